#include "tokenpose/tokenpose_model.h"

#include "posescope/models/checkpoint_info.h"
#include "transpose/encoder.h"
#include "transpose/resnet.h"

#include <cmath>
#include <regex>

namespace posescope::models::tokenpose {
namespace {

using torch::indexing::None;
using torch::indexing::Slice;

void require(bool ok, const ModelConfig& c, const std::string& what) {
    if (!ok) throw ConfigError(what + " (" + c.source() + ")");
}

}  // namespace

double TokenPoseConfig::attentionScale() const {
    return base == Base::S ? 1.0 / std::sqrt(static_cast<double>(dim))
                           : 1.0 / std::sqrt(static_cast<double>(dim / heads));
}

TokenPoseConfig tokenposeConfig(const ModelConfig& c) {
    TokenPoseConfig t;
    t.name = c.string("MODEL.NAME");
    if (t.name == "pose_tokenpose_s")
        t.base = Base::S;
    else if (t.name == "pose_tokenpose_t" || t.name == "pose_tokenpose_b")
        t.base = Base::TB;
    else if (t.name == "pose_tokenpose_l")
        t.base = Base::L;
    else
        throw ConfigError("MODEL.NAME: '" + t.name + "' is not a TokenPose model (" + c.source() + ")");
    t.hrnet = t.name == "pose_tokenpose_b" || t.name == "pose_tokenpose_l";
    const auto image = c.integers("MODEL.IMAGE_SIZE");
    const auto heatmap = c.integers("MODEL.HEATMAP_SIZE");
    const auto patch = c.integers("MODEL.PATCH_SIZE");
    require(image.size() == 2 && heatmap.size() == 2 && patch.size() == 2, c,
            "MODEL.IMAGE_SIZE, MODEL.HEATMAP_SIZE and MODEL.PATCH_SIZE are [width, height]");
    t.imageWidth = image[0];
    t.imageHeight = image[1];
    t.heatmapWidth = heatmap[0];
    t.heatmapHeight = heatmap[1];
    t.patchWidth = patch[0];
    t.patchHeight = patch[1];
    require(t.imageWidth > 0 && t.imageHeight > 0 && t.heatmapWidth > 0 && t.heatmapHeight > 0 && t.patchWidth > 0 &&
                t.patchHeight > 0,
            c, "MODEL.IMAGE_SIZE, MODEL.HEATMAP_SIZE and MODEL.PATCH_SIZE must be positive");
    t.joints = c.integer("MODEL.NUM_JOINTS", 17);
    t.dim = c.integer("MODEL.DIM");
    t.depth = c.integer("MODEL.TRANSFORMER_DEPTH");
    t.heads = c.integer("MODEL.TRANSFORMER_HEADS");
    t.mlpDim = t.dim * c.integer("MODEL.TRANSFORMER_MLP_RATIO");
    t.posEmbedding = c.string("MODEL.POS_EMBEDDING_TYPE", "learnable");
    // S cuts layer1's 256 channels; T, B and L cut MODEL.BASE_CHANNEL (3 pixels, 32 or 48 HRNet).
    // PoseScope's MODEL.EXTRA.STEM_WIDTH narrows S's stem (64 officially; layer1 gives 4x that).
    t.stemWidth = t.base == Base::S ? c.integer("MODEL.EXTRA.STEM_WIDTH", 64) : 64;
    require(t.stemWidth > 0, c, "MODEL.EXTRA.STEM_WIDTH must be positive");
    t.channels = t.base == Base::S ? 4 * t.stemWidth : c.integer("MODEL.BASE_CHANNEL", 32);
    // L reads MODEL.HIDDEN_HEATMAP_DIM; the others use an eighth of the heatmap.
    t.hiddenHeatmapDim =
        t.base == Base::L ? c.integer("MODEL.HIDDEN_HEATMAP_DIM") : t.heatmapWidth * t.heatmapHeight / 8;
    t.keepRatio = c.number("MODEL.PRUNING_RATIO", 1.0);  // PPT reads the ratio only (MODEL.PRUNING is unread)
    t.pruningLayers.clear();
    for (long long v : c.integers("MODEL.PRUNING_LOC", {3, 6, 9}))
        t.pruningLayers.push_back(v);
    require(t.keepRatio > 0 && t.keepRatio <= 1, c, "MODEL.PRUNING_RATIO: expected a keep ratio in (0, 1]");
    require(!(t.base == Base::L && t.prunes()), c,
            "MODEL.PRUNING_RATIO: PPT prunes TokenPose-S/T/B-style models, not the three-encoder L models");
    require(t.posEmbedding == "sine-full" || t.posEmbedding == "sine" || t.posEmbedding == "learnable" ||
                (t.posEmbedding == "none" && t.base == Base::S),
            c, "MODEL.POS_EMBEDDING_TYPE: expected sine-full, sine or learnable (or none for S)");
    require(t.dim > 0 && t.heads > 0 && t.dim % t.heads == 0, c,
            "MODEL.DIM must be a positive multiple of MODEL.TRANSFORMER_HEADS");
    require(t.dim % 2 == 0 || (t.posEmbedding != "sine" && t.posEmbedding != "sine-full"), c,
            "MODEL.DIM must be even for a sine position embedding");
    require(t.depth > 0 && t.patchWidth > 0 && t.patchHeight > 0, c,
            "MODEL.TRANSFORMER_DEPTH and MODEL.PATCH_SIZE must be positive");
    const int64_t fs = t.featureStride();
    require(t.imageHeight % (fs * t.patchHeight) == 0 && t.imageWidth % (fs * t.patchWidth) == 0, c,
            "MODEL.IMAGE_SIZE must be divisible by the patch size (times the backbone's stride " + std::to_string(fs) +
                ")");
    if (t.hrnet) {
        t.hrnetSpec = transpose::hrnetSpecFromConfig(c, "TokenPose");
        require(t.hrnetSpec.stage3.channels.at(0) == t.channels, c,
                "MODEL.BASE_CHANNEL must equal the first STAGE3 channel count (" +
                    std::to_string(t.hrnetSpec.stage3.channels.at(0)) + ")");
    }
    return t;
}

KeyMap tokenposeKeyMap() {
    return [](const std::string& key) -> std::optional<std::string> {
        static const std::regex norm(R"(^(.*\.layers\.\d+\.0\.)norm\.(.*)$)");
        static const std::regex fn(R"(^(.*\.layers\.\d+\.0\.)fn\.(to_qkv|to_out)\.(.*)$)");
        std::smatch m;
        if (std::regex_match(key, m, norm)) return m[1].str() + "fn.norm." + m[2].str();
        if (std::regex_match(key, m, fn)) return m[1].str() + "fn.fn." + m[2].str() + "." + m[3].str();
        return key;
    };
}

TransformerImpl::TransformerImpl(int64_t dim, int64_t depth, int64_t mlpDim) {
    layers = register_module("layers", torch::nn::ModuleList());
    for (int64_t i = 0; i < depth; ++i) {
        Layer b;
        // Residual(PreNorm(Attention)): layers.i.0.fn.norm, layers.i.0.fn.fn.to_qkv, …to_out.0
        auto attention = std::make_shared<torch::nn::Module>();
        b.qkv =
            attention->register_module("to_qkv", torch::nn::Linear(torch::nn::LinearOptions(dim, 3 * dim).bias(false)));
        b.out = torch::nn::Linear(dim, dim);
        attention->register_module("to_out", torch::nn::Sequential(b.out, torch::nn::Dropout(0.0)));
        auto preNorm1 = std::make_shared<torch::nn::Module>();
        b.norm1 = preNorm1->register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(1e-5)));
        preNorm1->register_module("fn", attention);
        auto residual1 = std::make_shared<torch::nn::Module>();
        residual1->register_module("fn", preNorm1);
        // Residual(PreNorm(FeedForward)): layers.i.1.fn.norm, layers.i.1.fn.fn.net.{0,3}
        auto feedForward = std::make_shared<torch::nn::Module>();
        b.fc1 = torch::nn::Linear(dim, mlpDim);
        b.fc2 = torch::nn::Linear(mlpDim, dim);
        feedForward->register_module("net", torch::nn::Sequential(b.fc1, torch::nn::GELU(), torch::nn::Dropout(0.0),
                                                                  b.fc2, torch::nn::Dropout(0.0)));
        auto preNorm2 = std::make_shared<torch::nn::Module>();
        b.norm2 = preNorm2->register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(1e-5)));
        preNorm2->register_module("fn", feedForward);
        auto residual2 = std::make_shared<torch::nn::Module>();
        residual2->register_module("fn", preNorm2);
        torch::nn::ModuleList layer;
        layer->push_back(residual1);
        layer->push_back(residual2);
        layers->push_back(layer);
        blocks.push_back(b);
    }
}

TokenPoseImpl::TokenPoseImpl(const TokenPoseConfig& c) : config(c) {
    if (c.hrnet)
        pre_feature = register_module("pre_feature", std::make_shared<transpose::HrnetBackboneImpl>(c.hrnetSpec));
    root = register_module(c.base == Base::S ? "features" : "transformer", std::make_shared<torch::nn::Module>());
    const int64_t n = c.tokens(), d = c.dim;
    keypoint_token = root->register_parameter("keypoint_token", torch::zeros({1, c.joints, d}));
    if (c.posEmbedding == "sine" || c.posEmbedding == "sine-full")
        pos_embedding = root->register_parameter(
            "pos_embedding",
            transpose::sinePositionEmbedding(c.gridRows(), c.gridCols(), d).permute({1, 0, 2}).contiguous(),
            /*requires_grad=*/false);
    else if (c.posEmbedding == "learnable")
        pos_embedding = root->register_parameter("pos_embedding", torch::zeros({1, n + c.joints, d}));
    patch_to_embedding =
        root->register_module("patch_to_embedding", torch::nn::Linear(c.channels * c.patchWidth * c.patchHeight, d));
    if (c.base == Base::S) {
        auto conv = [](int64_t in, int64_t out) {
            return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(2).padding(1).bias(false));
        };
        auto bn = [](int64_t ch) {
            return torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(ch).eps(1e-5).momentum(0.1));
        };
        const int64_t w = c.stemWidth;
        conv1 = root->register_module("conv1", conv(3, w));
        bn1 = root->register_module("bn1", bn(w));
        conv2 = root->register_module("conv2", conv(w, w));
        bn2 = root->register_module("bn2", bn(w));
        int64_t inplanes = w;
        layer1 = root->register_module("layer1", transpose::makeBottleneckLayer(inplanes, w, 4, 1));
    }
    if (c.base == Base::L) {
        for (const char* name : {"transformer1", "transformer2", "transformer3"})
            transformers.push_back(root->register_module(name, Transformer(d, c.depth, c.mlpDim)));
    } else {
        transformers.push_back(root->register_module("transformer", Transformer(d, c.depth, c.mlpDim)));
    }
    const int64_t in = c.headInput(), out = c.heatmapWidth * c.heatmapHeight;
    auto ln = [](int64_t ch) { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({ch}).eps(1e-5)); };
    mlp_head = root->register_module(
        "mlp_head", c.twoLayerHead()
                        ? torch::nn::Sequential(ln(in), torch::nn::Linear(in, c.hiddenHeatmapDim),
                                                ln(c.hiddenHeatmapDim), torch::nn::Linear(c.hiddenHeatmapDim, out))
                        : torch::nn::Sequential(ln(in), torch::nn::Linear(in, out)));
}

torch::Tensor TokenPoseImpl::head(const torch::Tensor& keypointTokens) {
    const torch::Tensor h = mlp_head->forward(keypointTokens);
    return h.view({h.size(0), h.size(1), config.heatmapHeight, config.heatmapWidth});
}

torch::Tensor TokenPoseImpl::runTransformer(size_t which, torch::Tensor x, torch::Tensor& pos, torch::Tensor& visual,
                                            double keepRatio, int& stage, TraceObserver* observer) {
    const TokenPoseConfig& c = config;
    const int64_t J = c.joints, H = c.heads, dh = c.dim / c.heads, B = x.size(0), d = c.dim;
    const bool grad = is_training() || torch::GradMode::is_enabled();
    const double scale = c.attentionScale();
    const bool sineFull = c.posEmbedding == "sine-full";
    const int layerOffset = static_cast<int>(which * static_cast<size_t>(c.depth));
    Transformer& t = transformers[which];
    for (size_t idx = 0; idx < t->blocks.size(); ++idx) {
        TransformerImpl::Layer& b = t->blocks[idx];
        // "sine-full": the (possibly pruned) position embedding re-added to the visual tokens.
        if (idx > 0 && sineFull) {
            if (grad)
                x = torch::cat({x.slice(1, 0, J), x.slice(1, J) + pos}, 1);
            else
                x.slice(1, J).add_(pos);
        }
        const int64_t L = x.size(1);
        const torch::Tensor qkv = b.qkv->forward(b.norm1->forward(x));
        const std::vector<torch::Tensor> parts = qkv.chunk(3, -1);
        auto split = [&](const torch::Tensor& v) { return v.view({B, L, H, dh}).permute({0, 2, 1, 3}); };
        const torch::Tensor q = split(parts[0]), k = split(parts[1]), v = split(parts[2]);
        torch::Tensor attn = torch::softmax(torch::matmul(q, k.transpose(-2, -1)) * scale, -1);  // [B, H, L, L]
        torch::Tensor o = torch::matmul(attn, v);
        o = b.out->forward(o.permute({0, 2, 1, 3}).reshape({B, L, d}));
        x = o + x;
        LayerTrace lt;
        if (observer) {
            lt.index = layerOffset + static_cast<int>(idx);
            if (observer->wantsAttention()) {
                lt.attention = attn;
                lt.attentionMean = attn.sum(1) / static_cast<double>(H);
            }
            lt.queries = parts[0].contiguous();
            lt.keys = parts[1].contiguous();
            lt.visualTokens = visual;
            lt.gridRows = static_cast<int>(c.gridRows());
            lt.gridCols = static_cast<int>(c.gridCols());
        }
        // PPT's human-token identification: keep the ⌈N·r⌉ visual tokens the keypoints attend to most.
        const bool pruneHere = keepRatio < 1 && std::find(c.pruningLayers.begin(), c.pruningLayers.end(),
                                                          static_cast<int64_t>(idx)) != c.pruningLayers.end();
        if (pruneHere) {
            const torch::Tensor tok = attn.slice(2, 0, J).slice(3, J).sum(1) / static_cast<double>(H);  // [B, J, N]
            const torch::Tensor score = tok.sum(1);                                                     // [B, N]
            const int64_t N = score.size(1);
            const auto keep = static_cast<int64_t>(std::ceil(static_cast<double>(N) * keepRatio));
            const torch::Tensor kept = std::get<1>(score.topk(keep, 1, true, true));  // [B, K], descending
            const torch::Tensor expanded = kept.unsqueeze(-1).expand({-1, -1, x.size(2)});
            x = torch::cat({x.slice(1, 0, J), x.slice(1, J).gather(1, expanded)}, 1);
            if (pos.defined()) pos = pos.expand({B, -1, -1}).gather(1, expanded);
            visual = visual.gather(1, kept);
            ++stage;
            if (observer) {
                const std::string s = std::to_string(stage);
                observer->onExtra("pruning/score_stage_" + s, score.detach());
                observer->onExtra("pruning/topk_stage_" + s, kept);
                observer->onExtra("kept_tokens/stage_" + s, visual);
            }
        }
        torch::Tensor f = b.fc2->forward(torch::gelu(b.fc1->forward(b.norm2->forward(x))));
        x = f + x;
        if (observer) {
            lt.tokens = x;
            observer->onLayer(lt);
        }
    }
    return x;
}

torch::Tensor TokenPoseImpl::forward(const torch::Tensor& input, TraceObserver* observer, double keepRatio) {
    const TokenPoseConfig& c = config;
    torch::Tensor f = input;
    if (c.base == Base::S) {
        f = torch::relu(bn1->forward(conv1->forward(f)));
        f = torch::relu(bn2->forward(conv2->forward(f)));
        f = layer1->forward(f);
    } else if (c.hrnet) {
        f = pre_feature->forward(f);
    }
    const int64_t B = f.size(0), C = f.size(1), p1 = c.patchHeight, p2 = c.patchWidth;
    const int64_t hp = f.size(2) / p1, wp = f.size(3) / p2;
    if (observer) observer->onExtra("features/backbone", f.contiguous());
    // 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)'
    const torch::Tensor patches =
        f.contiguous().view({B, C, hp, p1, wp, p2}).permute({0, 2, 4, 3, 5, 1}).reshape({B, hp * wp, p1 * p2 * C});
    torch::Tensor x = patch_to_embedding->forward(patches);
    if (observer) observer->onExtra("features/patch_embed", x.clone());
    const int64_t n = x.size(1);
    const torch::Tensor keypoints = keypoint_token.expand({B, -1, -1});
    torch::Tensor pos;  // the visual tokens' embedding for sine-full's re-adds
    if (c.posEmbedding == "sine" || c.posEmbedding == "sine-full") {
        x = torch::cat({keypoints, x + pos_embedding.slice(1, 0, n)}, 1);
        if (c.posEmbedding == "sine-full") pos = pos_embedding.slice(1, 0, n);
    } else {
        x = torch::cat({keypoints, x}, 1);
        if (c.posEmbedding == "learnable") x = x + pos_embedding.slice(1, 0, n + c.joints);
    }
    if (observer) observer->onExtra("features/tokens_in", x.clone());
    torch::Tensor visual = torch::arange(n, torch::kInt64).unsqueeze(0).expand({B, n}).contiguous();
    int stage = 0;
    std::vector<torch::Tensor> outs;
    for (size_t i = 0; i < transformers.size(); ++i) {
        torch::Tensor p = pos;  // each L encoder starts from the full embedding (its layer 0 adds none)
        x = runTransformer(i, x, p, visual, keepRatio, stage, observer);
        outs.push_back(x.slice(1, 0, c.joints));
    }
    const torch::Tensor tokens = outs.size() == 1 ? outs.front() : torch::cat(outs, 2);
    if (observer) observer->onExtra("features/keypoint_tokens_out", tokens.contiguous());
    return head(tokens);
}

TokenPoseModel::TokenPoseModel(const TokenPoseConfig& c)
    : m_net(std::make_shared<TokenPoseImpl>(c)), m_trainingKeepRatio(c.keepRatio) {
    m_net->eval();
    m_info.family = c.prunes() ? "PPT" : "TokenPose";
    std::vector<TensorInfo> keys;
    for (const auto& [name, t] : stateDictOf(*m_net))
        keys.push_back({name, t.sizes().vec(), ""});
    m_info.variant = recogniseArchitecture(keys).variant;  // the module has TokenPose's names
    if (c.prunes() && m_info.variant == "S-v1") m_info.variant = "S";
    m_info.inputWidth = static_cast<int>(c.imageWidth);
    m_info.inputHeight = static_cast<int>(c.imageHeight);
    m_info.outputWidth = static_cast<int>(c.heatmapWidth);
    m_info.outputHeight = static_cast<int>(c.heatmapHeight);
    m_info.keypoints = static_cast<int>(c.joints);
    m_info.encoderLayers = static_cast<int>(c.depth * (c.base == Base::L ? 3 : 1));
    m_info.heads = static_cast<int>(c.heads);
    m_info.dModel = static_cast<int>(c.dim);
    m_info.gridRows = static_cast<int>(c.gridRows());
    m_info.gridCols = static_cast<int>(c.gridCols());
    m_info.prefixTokens = static_cast<int>(c.joints);
    if (c.prunes())
        for (int64_t l : c.pruningLayers)
            if (l < c.depth) m_info.pruningLayers.push_back(static_cast<int>(l));  // PPT-L/D6 prunes once
    m_info.keepRatio = c.keepRatio;
    m_info.layerwiseHeatmaps = c.base != Base::L;
}

std::string TokenPoseModel::name() const {
    return m_info.family + (m_info.variant.empty() ? "" : " " + m_info.variant);
}

torch::Tensor TokenPoseModel::forward(const torch::Tensor& input, TraceObserver* observer) const {
    return forward(input, observer, m_net->config.keepRatio);
}

torch::Tensor TokenPoseModel::forward(const torch::Tensor& input, TraceObserver* observer, double keepRatio) const {
    const TokenPoseConfig& c = m_net->config;
    if (input.dim() != 4 || input.size(1) != 3 || input.size(2) != c.imageHeight || input.size(3) != c.imageWidth)
        throw ModelError(name() + ": expected an input [N, 3, " + std::to_string(c.imageHeight) + ", " +
                         std::to_string(c.imageWidth) + "] (TokenPose's position embedding fixes the size), got " +
                         c10::str(input.sizes()));
    if (input.scalar_type() != torch::kFloat32) throw ModelError(name() + ": expected a float32 input");
    if (!(keepRatio > 0 && keepRatio <= 1)) throw ModelError(name() + ": the keep ratio must be in (0, 1]");
    if (keepRatio < 1 && c.base == Base::L) throw ModelError(name() + ": L models are not pruned");
    try {
        torch::NoGradGuard noGrad;
        return m_net->forward(input.contiguous(), observer, keepRatio).contiguous();
    } catch (const c10::Error& e) {
        throw ModelError(name() + ": " + e.what_without_backtrace());
    }
}

torch::Tensor TokenPoseModel::forwardTraining(const torch::Tensor& input, TraceObserver* observer) {
    try {
        return m_net->forward(input.contiguous(), observer, m_trainingKeepRatio);
    } catch (const c10::Error& e) {
        throw ModelError(name() + ": " + e.what_without_backtrace());
    }
}

void TokenPoseModel::setTrainingKeepRatio(double keepRatio) {
    if (!(keepRatio > 0 && keepRatio <= 1))
        throw ModelError(name() + ": keep ratio " + std::to_string(keepRatio) + " is outside (0, 1]");
    m_trainingKeepRatio = keepRatio;
}

void TokenPoseModel::initialiseForTraining() {
    // The official recipe from scratch: Linear weights trunc_normal(0.02) (timm's bounds ±2 are
    // 100 σ away: a plain normal), zero biases; LayerNorm 1 and 0; the keypoint tokens
    // trunc_normal(0.02); convolutions N(0, 0.001) and BatchNorm 1 and 0 (init_weights).
    torch::NoGradGuard noGrad;
    for (const auto& item : m_net->named_modules("", false)) {
        torch::nn::Module& m = *item.value();
        if (auto* linear = dynamic_cast<torch::nn::LinearImpl*>(&m)) {
            linear->weight.normal_(0, 0.02);
            if (linear->bias.defined()) linear->bias.zero_();
        } else if (auto* ln = dynamic_cast<torch::nn::LayerNormImpl*>(&m)) {
            ln->weight.fill_(1);
            ln->bias.zero_();
        } else if (auto* conv = dynamic_cast<torch::nn::Conv2dImpl*>(&m)) {
            conv->weight.normal_(0, 0.001);
            if (conv->bias.defined()) conv->bias.zero_();
        } else if (auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(&m)) {
            bn->weight.fill_(1);
            bn->bias.zero_();
        }
    }
    m_net->keypoint_token.normal_(0, 0.02);
    if (m_net->config.posEmbedding == "learnable") m_net->pos_embedding.normal_(0, 0.02);
}

torch::Tensor TokenPoseModel::headOnTokens(const LayerTrace& layer) const {
    const TokenPoseConfig& c = m_net->config;
    if (c.base == Base::L)
        throw ModelError(name() +
                         ": layer-wise heatmaps are not defined for token-fusion (L) models: their head reads "
                         "the keypoint tokens of all three encoders");
    if (!layer.tokens.defined()) throw ModelError(name() + ": layer-wise heatmaps need a layer traced by this model");
    try {
        torch::NoGradGuard noGrad;
        return m_net->head(layer.tokens.slice(1, 0, c.joints)).contiguous();
    } catch (const c10::Error& e) {
        throw ModelError(name() + ": " + e.what_without_backtrace());
    }
}

torch::Tensor TokenPoseModel::attentionRows(const LayerTrace& layer, const torch::Tensor& queries) const {
    const TokenPoseConfig& c = m_net->config;
    if (!layer.queries.defined() || !layer.keys.defined())
        throw ModelError(name() + ": attention rows need a layer traced by this model");
    if (queries.dim() != 2 || queries.size(0) != layer.queries.size(0) || queries.scalar_type() != torch::kInt64)
        throw ModelError(name() + ": attention rows need queries [N, Q] int64 with N = " +
                         std::to_string(layer.queries.size(0)) + ", got " + c10::str(queries.sizes()));
    const int64_t B = layer.queries.size(0), L = layer.queries.size(1), H = c.heads, dh = c.dim / c.heads;
    if (queries.numel() > 0 && (queries.min().item<int64_t>() < 0 || queries.max().item<int64_t>() >= L))
        throw ModelError(name() + ": attention rows: a query is outside the sequence of " + std::to_string(L) +
                         " tokens");
    try {
        torch::NoGradGuard noGrad;
        const int64_t Q = queries.size(1);
        const torch::Tensor q = layer.queries.gather(1, queries.unsqueeze(-1).expand({B, Q, c.dim}))
                                    .view({B, Q, H, dh})
                                    .permute({0, 2, 1, 3});
        const torch::Tensor k = layer.keys.view({B, L, H, dh}).permute({0, 2, 1, 3});
        return torch::softmax(torch::matmul(q, k.transpose(-2, -1)) * c.attentionScale(), -1);
    } catch (const c10::Error& e) {
        throw ModelError(name() + ": " + e.what_without_backtrace());
    }
}

}  // namespace posescope::models::tokenpose
