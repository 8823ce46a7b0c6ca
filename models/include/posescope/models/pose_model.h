// The interface every model family implements (TransPose, TokenPose/PPT, BTranspose, HRPVT),
// and the trace through which attention leaves a model.
//
// Usage:
//   std::shared_ptr<const PoseModel> model = loadModel(ModelConfig::resolve("transpose-r-a4"), "tp_r_a4.pth");
//   torch::Tensor heatmaps = model->forward(input);            // [N, K, 64, 48], no trace: no cost
//   Trace trace;                                                 // or your own TraceObserver
//   heatmaps = model->forward(input, &trace);                    // the same forward pass, observed
//   torch::Tensor a = trace.layers[0].attentionMean;             // [N, Q, K]
//   Trace light;  light.keepAttention = false;                   // keep projections, not [L, L]
//   heatmaps = model->forward(input, &light);
//   torch::Tensor rows = model->attentionRows(light.layers[0], tokenIds);   // [N, heads, K, L]
//
// A loaded model is immutable: forward() is const and safe to call from several threads at once
// (each call builds its own tensors). Per-run state (traces, buffers) belongs to the caller.
// Errors: forward() throws ModelError for an input of the wrong shape; LibTorch errors are
// translated into ModelError naming the model. Loading throws FileError/StateDictMismatch/ConfigError.
#pragma once

#include "posescope/datasets/error.h"
#include "posescope/models/model_config.h"
#include "posescope/models/simcc.h"

#include <torch/nn/module.h>
#include <torch/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace posescope::models {

class ModelError : public Error {
public:
    using Error::Error;
};

/// What forward() returns: heatmaps, or SimCC's two 1-D classifications (pose_output.h decodes both).
enum class OutputKind {
    Heatmaps,  // [N, K, outputHeight, outputWidth]
    SimCC,     // [N, K, Wx + Wy]: the x logits (Wx = int(inputWidth·k) bins), then the y logits
};

struct ModelInfo {
    std::string family;   // "TransPose-R"
    std::string variant;  // "R-A4", or "" for a configuration that is no paper variant
    int inputWidth = 192, inputHeight = 256;
    int outputWidth = 48, outputHeight = 64;  // heatmap size; SimCC: the input size (it decodes to crop pixels)
    OutputKind output = OutputKind::Heatmaps;
    SimCCOptions simcc;  // SimCC models: split ratio k, label σ, loss β (the family's configuration)
    int keypoints = 17;
    int encoderLayers = 0;
    int heads = 0;
    int dModel = 0;
    int gridRows = 0, gridCols = 0;  // the encoder's token grid (visual tokens)
    int prefixTokens = 0;            // tokens before the visual ones (TokenPose: one per keypoint)
    std::vector<int> pruningLayers;  // PPT: layers after whose attention visual tokens are pruned
    double keepRatio = 1;            // PPT: the share of visual tokens each pruning keeps
    bool layerwiseHeatmaps = true;   // false: headOnTokens() is not defined (TokenPose-L's fused head)
    /// BTranspose: the MHSA blocks of its BoT groups and their heads. Their attention is on the
    /// encoder's token grid (both at stride 8) and reaches any observer as the extras
    /// "mhsa_attention/block_<b>" ([N, mhsaHeads, T, T], b = 0 … mhsaBlocks − 1), whatever
    /// wantsAttention() says (T is at most 768 at 256×192).
    int mhsaBlocks = 0, mhsaHeads = 0;
};

/// One encoder layer as a forward pass saw it. Queries are rows, keys are columns; the sequence is
/// the prefix tokens, then the visual tokens still present (all of them unless the family prunes).
struct LayerTrace {
    int index = 0;
    torch::Tensor attention;         // [N, heads, L, L] post-softmax, per head
    torch::Tensor attentionMean;     // [N, L, L] averaged over heads (as nn.MultiheadAttention returns it)
    torch::Tensor tokens;            // [N, L', d] the layer's output (after a pruning, fewer visual tokens)
    torch::Tensor queries, keys;     // [N, L, d] the attention's query and key projections (unscaled;
                                     //   heads split d), for PoseModel::attentionRows
    torch::Tensor visualTokens;      // [N, L − prefix] int64: the grid index (row·cols + col) of each
                                     //   visual token of the attention's sequence (pruned ones absent)
    int gridRows = 0, gridCols = 0;  // the visual token grid of this pass (depends on the input size)
};

/// Receives what a forward pass computes, during that pass. Implementations must not keep
/// references to tensors they do not copy or hold (holding a torch::Tensor is fine).
class TraceObserver {
public:
    virtual ~TraceObserver() = default;
    /// false: the model may leave LayerTrace::attention and attentionMean undefined (they are
    /// [N, heads, L, L] per layer); the projections stay, so attentionRows() can give any rows.
    virtual bool wantsAttention() const { return true; }
    virtual void onLayer(const LayerTrace& layer) = 0;
    /// Family-specific tensors, e.g. "features/backbone", "kept_tokens/stage_1".
    virtual void onExtra(const std::string& name, const torch::Tensor& value) {
        (void)name;
        (void)value;
    }
};

/// A TraceObserver that keeps everything.
struct Trace : TraceObserver {
    std::vector<LayerTrace> layers;
    std::map<std::string, torch::Tensor> extras;
    bool keepAttention = true;
    bool wantsAttention() const override { return keepAttention; }
    void onLayer(const LayerTrace& layer) override { layers.push_back(layer); }
    void onExtra(const std::string& name, const torch::Tensor& value) override { extras[name] = value; }
};

class PoseModel {
public:
    virtual ~PoseModel() = default;
    virtual const ModelInfo& info() const = 0;
    /// `input`: [N, 3, H, W] float32, RGB, ImageNet-normalised. Returns the raw heatmaps, or for
    /// OutputKind::SimCC the raw x and y logits side by side (decode either with pose_output.h).
    virtual torch::Tensor forward(const torch::Tensor& input, TraceObserver* observer = nullptr) const = 0;
    /// The model's head applied to an encoder layer's output (LayerTrace::tokens on its grid):
    /// layer-wise heatmaps, decoded like the final ones.
    virtual torch::Tensor headOnTokens(const LayerTrace& layer) const = 0;
    /// Post-softmax attention rows of chosen query tokens, recomputed from a layer's traced
    /// projections: `queries` [N, Q] int64 sequence positions → [N, heads, Q, L]. Equal to the
    /// rows of LayerTrace::attention up to float rounding; costs Q rows instead of L.
    virtual torch::Tensor attentionRows(const LayerTrace& layer, const torch::Tensor& queries) const = 0;
    /// The module holding the weights, with the official state-dict key names.
    virtual torch::nn::Module& module() = 0;

    // Training (the trainer owns a model it built with createModel; not thread-safe, not const).
    /// The forward pass with autograd, in the module's current mode (module().train() turns on
    /// BatchNorm batch statistics and dropout). Same input and output as forward(); an observer
    /// receives the layers with their autograd graph (distillation losses on attention).
    virtual torch::Tensor forwardTraining(const torch::Tensor& input, TraceObserver* observer = nullptr) = 0;
    /// PPT: the keep ratio forwardTraining() prunes with from now on (the trainer's warm-up schedule;
    /// ModelInfo::keepRatio, for inference, stays). Families that do not prune ignore it.
    virtual void setTrainingKeepRatio(double keepRatio) { (void)keepRatio; }
    /// The official recipe's initialisation for training from scratch (seed torch first for a
    /// reproducible one), e.g. TransPose: heads N(0, 0.001), stem convolutions He-normal.
    virtual void initialiseForTraining() = 0;
};

/// Builds the model a configuration describes (random weights). ConfigError for unknown families.
std::shared_ptr<PoseModel> createModel(const ModelConfig& config);
/// createModel + strict loading of a checkpoint; the model is then immutable.
std::shared_ptr<const PoseModel> loadModel(const ModelConfig& config, const std::string& checkpointPath);

}  // namespace posescope::models
