// posescope-cli forward: run a model on an input tensor stored in HDF5 (the bridge to Python).
#include "cli.h"
#include "posescope/analysis/dependencies.h"
#include "posescope/analysis/dependency_figure.h"
#include "posescope/analysis/h5_file.h"
#include "posescope/datasets/atomic_file.h"
#include "posescope/datasets/image.h"
#include "posescope/datasets/json_text.h"
#include "posescope/datasets/skeleton.h"
#include "posescope/models/flip.h"
#include "posescope/models/flops.h"
#include "posescope/models/heatmap_decode.h"
#include "posescope/models/model_config.h"
#include "posescope/models/pose_model.h"
#include "posescope/models/pose_output.h"
#include "posescope/models/preprocess.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

namespace posescope::cli {
namespace {

std::string presetList() {
    std::string s;
    for (const auto& p : models::ModelConfig::presetNames())
        s += (s.empty() ? "" : ", ") + p;
    return s;
}

/// "x,y,w,h"; an empty text means the whole image (resolved once its size is known).
std::optional<Box> parseBox(const std::string& text) {
    if (text.empty()) return std::nullopt;
    std::vector<double> v;
    std::stringstream in(text);
    for (std::string part; std::getline(in, part, ',');) {
        try {
            size_t used = 0;
            v.push_back(std::stod(part, &used));
            if (used != part.size() || !std::isfinite(v.back())) throw std::invalid_argument(part);
        } catch (const std::exception&) {
            throw UsageError("--box must be x,y,w,h (finite numbers)");
        }
    }
    if (v.size() != 4 || !(v[2] > 0 && v[3] > 0)) throw UsageError("--box must be x,y,w,h with a positive size");
    return Box{v[0], v[1], v[2], v[3]};
}

models::DecodeMethod decodeMethod(const std::string& name) {
    if (name == "dark") return models::DecodeMethod::Dark;
    if (name == "argmax") return models::DecodeMethod::Argmax;
    if (name == "quarter") return models::DecodeMethod::ArgmaxQuarterOffset;
    throw UsageError("--decode must be dark, argmax or quarter");
}

const Skeleton& skeletonFor(int keypoints) {
    return keypoints == 16 ? mpiiSkeleton() : cocoSkeleton();
}

std::string keypointsJson(const std::vector<models::Keypoint>& kps, const Skeleton& skeleton) {
    std::string s = "[";
    char buf[128];
    for (size_t i = 0; i < kps.size(); ++i) {
        s += i ? ", " : "";
        s += "{\"name\": ";
        appendJsonString(s, static_cast<int>(i) < skeleton.size() ? skeleton.keypoints[i] : std::to_string(i));
        std::snprintf(buf, sizeof buf, ", \"x\": %.4f, \"y\": %.4f, \"score\": %.6f}", kps[i].x, kps[i].y,
                      kps[i].score);
        s += buf;
    }
    return s + "]";
}

int runPredict(const std::vector<std::string>& argv) {
    const Args a(
        argv, {"--flip", "--layerwise"},
        {"--config", "--set", "--checkpoint", "--image", "--box", "--decode", "--out", "--figure", "--threshold"});
    if (!a.positional().empty()) throw UsageError("predict takes no positional arguments");
    const std::optional<Box> givenBox = parseBox(a.value("--box", ""));
    const std::vector<std::string> inputs = {a.value("--image"), a.value("--checkpoint"), a.value("--config")};
    checkOutput("--out", a.value("--out"), inputs);
    if (a.has("--figure")) checkOutput("--figure", a.value("--figure"), inputs);
    if (a.has("--figure") && a.value("--figure") == a.value("--out"))
        throw UsageError("--figure and --out name the same file");
    const models::ModelConfig config = configFrom(a);
    const models::DecodeOptions decode{decodeMethod(a.value("--decode", "dark")),
                                       static_cast<int>(config.integer("TEST.BLUR_KERNEL", 11))};
    const auto model = models::loadModel(config, a.value("--checkpoint"));
    const models::ModelInfo& info = model->info();
    const Skeleton& skeleton = skeletonFor(info.keypoints);

    const cv::Mat rgb = loadImageRgb(a.value("--image"));
    const Box box = givenBox ? *givenBox : Box{0, 0, static_cast<double>(rgb.cols), static_cast<double>(rgb.rows)};
    if (box.x >= rgb.cols || box.y >= rgb.rows || box.x + box.w <= 0 || box.y + box.h <= 0)
        throw UsageError("--box lies outside the image (" + std::to_string(rgb.cols) + "×" + std::to_string(rgb.rows) +
                         " pixels)");
    const models::PersonInput person = models::preprocessPerson(rgb, box, {info.inputWidth, info.inputHeight});
    const torch::Tensor input = person.tensor.unsqueeze(0);
    const bool figure = a.has("--figure");
    int64_t lastMhsaRows = 0;  // BTranspose: the MHSA rows of the figure
    models::Trace trace;
    if (a.flag("--layerwise") && !info.layerwiseHeatmaps)
        throw UsageError("--layerwise: " + info.family + " has no layer-wise heatmaps");
    torch::Tensor output = model->forward(input, figure || a.flag("--layerwise") ? &trace : nullptr);
    if (a.flag("--flip"))
        output = models::averageFlip(
            output, models::flipBackOutput(info, model->forward(models::flipWidth(input)), skeleton.flipPairs));
    const auto keypoints = models::decodeOutputToImage(info, output, {person.centerScale}, decode)[0];

    std::ostringstream json;
    json << "{\"image\": " << jsonString(a.value("--image")) << ", \"box\": [" << box.x << ", " << box.y << ", "
         << box.w << ", " << box.h
         << "], \"model\": " << jsonString(info.family + (info.variant.empty() ? "" : " " + info.variant))
         << ", \"checkpoint\": " << jsonString(a.value("--checkpoint")) << ", \"decode\": "
         << jsonString(info.output == models::OutputKind::SimCC ? "simcc" : a.value("--decode", "dark"))
         << ", \"flip\": " << (a.flag("--flip") ? "true" : "false")
         << ",\n \"keypoints\": " << keypointsJson(keypoints, skeleton);
    if (a.flag("--layerwise")) {
        json << ",\n \"layerwise\": [";
        const auto perLayer = analysis::layerwiseHeatmaps(*model, trace);
        for (size_t l = 0; l < perLayer.size(); ++l)
            json << (l ? ",\n  " : "")
                 << keypointsJson(models::decodeToImage(perLayer[l], {person.centerScale}, decode)[0], skeleton);
        json << "]";
    }
    json << "}\n";
    writeFileAtomically(a.value("--out"), json.str());
    if (figure) {
        analysis::DependencyFigure fig;
        fig.crop = analysis::denormalizeCrop(person.tensor);
        fig.queries = analysis::keypointQueries(models::decodeOutput(info, output, decode)[0], info);
        fig.labels = skeleton.keypoints;
        fig.skeleton = &skeleton;
        const double threshold = a.number("--threshold", 0.0);
        // BTranspose: first the MHSA maps its paper draws, the last BoT block's attention rows of
        // each keypoint's token, one row per head; then the encoder layers.
        int lastBlock = -1;
        for (const auto& [name, t] : trace.extras)
            if (name.rfind("mhsa_attention/block_", 0) == 0)
                lastBlock = std::max(lastBlock, std::stoi(name.substr(std::string("mhsa_attention/block_").size())));
        if (lastBlock >= 0 && !trace.layers.empty()) {
            const torch::Tensor mhsa = trace.extras.at("mhsa_attention/block_" + std::to_string(lastBlock))[0];
            lastMhsaRows = mhsa.size(0);
            for (int64_t h = 0; h < mhsa.size(0); ++h) {
                std::vector<torch::Tensor> row;
                for (const cv::Point2d& q : fig.queries) {
                    const int token = analysis::queryToken(q, trace.layers.front(), info);
                    row.push_back(
                        analysis::upsampleToCrop(mhsa[h][token].view({info.gridRows, info.gridCols}), info, threshold));
                }
                fig.maps.push_back(std::move(row));
                fig.rowLabels.push_back("MHSA h" + std::to_string(h + 1));
            }
        }
        for (const models::LayerTrace& layer : trace.layers) {
            std::vector<torch::Tensor> row;
            for (const cv::Point2d& q : fig.queries)
                row.push_back(
                    analysis::upsampleToCrop(analysis::attentionMap(layer, analysis::queryToken(q, layer, info),
                                                                    analysis::AttentionDirection::Dependency),
                                             info, threshold));
            fig.maps.push_back(std::move(row));
            fig.rowLabels.push_back("Layer " + std::to_string(layer.index));
        }
        analysis::saveFigure(analysis::renderDependencyFigure(fig), a.value("--figure"));
    }
    std::cout << "wrote " << keypoints.size() << " keypoints to " << a.value("--out")
              << (figure ? " and the dependency figure to " + a.value("--figure") : std::string()) << '\n';
    if (figure && lastMhsaRows > 0)
        std::cout << "figure rows: " << lastMhsaRows << " MHSA heads of the last BoT block, then "
                  << trace.layers.size() << " encoder layers\n";
    return 0;
}

}  // namespace

Command predictCommand() {
    return {"predict", "keypoints of one person in an image, with the dependency figure",
            "usage: posescope-cli predict --config PRESET|FILE.yaml [--set KEY=VALUE]... --checkpoint F.pth\n"
            "                             --image I.jpg [--box x,y,w,h] [--flip] [--decode dark|argmax|quarter]\n"
            "                             --out result.json [--figure fig.png [--threshold T]] [--layerwise]\n"
            "\n"
            "Crops the box (default: the whole image) as the official pipeline does, runs the model\n"
            "(with --flip: averaged with the flipped pass), decodes the heatmaps (DARK by default, or plain\n"
            "argmax, or argmax + quarter offset) and writes the keypoints in image coordinates.\n"
            "  --figure     the dependency areas: rows = encoder layers, columns = keypoints, over the crop\n"
            "               (BTranspose: first one row per MHSA head of the last BoT block, as its paper)\n"
            "  --threshold  attention values at or below T are left out of the figure\n"
            "  --layerwise  also the keypoints decoded from the head applied to every encoder layer\n",
            runPredict};
}

Command forwardCommand() {
    return {
        "forward", "run a model on an input tensor from HDF5; write heatmaps and attention",
        "usage: posescope-cli forward --config PRESET|FILE.yaml [--set KEY=VALUE]... --checkpoint F.pth\n"
        "                             --input IN.h5:/dataset --out OUT.h5\n"
        "\n"
        "Runs the model once on the [N, 3, H, W] float32 tensor IN.h5:/dataset (normalised RGB, as\n"
        "the official pipelines feed it) and writes OUT.h5 with /heatmaps (the raw output),\n"
        "/attention/layer_<i> (the head-averaged attention [N, L, L], as nn.MultiheadAttention\n"
        "returns it; rows are queries) and /features/* (backbone, reduce, encoder, …).\n"
        "\n"
        "  --config   a preset (" +
            presetList() +
            ")\n"
            "             or an official YAML experiment file\n"
            "  --set      override a configuration key, e.g. --set MODEL.ENCODER_LAYERS=3 (repeatable)\n",
        [](const std::vector<std::string>& argv) {
            const Args a(argv, {}, {"--config", "--set", "--checkpoint", "--input", "--out"});
            if (!a.positional().empty()) throw UsageError("forward takes no positional arguments");
            const std::string input = a.value("--input");
            const size_t colon = input.rfind(":/");
            if (colon == std::string::npos) throw UsageError("--input must be FILE.h5:/dataset");
            const std::string outPath = a.value("--out");
            checkOutput("--out", outPath, {input.substr(0, colon), a.value("--checkpoint"), a.value("--config")},
                        /*hdf5Output=*/true);
            const models::ModelConfig config = configFrom(a);
            const auto model = models::loadModel(config, a.value("--checkpoint"));
            const torch::Tensor x =
                analysis::H5File::open(input.substr(0, colon)).readTensor(input.substr(colon + 1)).to(torch::kFloat32);
            models::Trace trace;
            const torch::Tensor heatmaps = model->forward(x, &trace);
            // Written beside the destination and renamed over it when complete: a failure (a full
            // disk) leaves the old file, if any, and no half-written one.
            const std::string temporary = outPath + ".partial";
            struct RemoveUnlessKept {
                std::string path;
                bool keep = false;
                ~RemoveUnlessKept() {
                    std::error_code ec;
                    if (!keep) std::filesystem::remove(path, ec);
                }
            } cleanup{temporary};
            try {
                analysis::H5File out = analysis::H5File::create(temporary);
                out.writeTensor("/heatmaps", heatmaps);
                for (const models::LayerTrace& t : trace.layers)
                    out.writeTensor("/attention/layer_" + std::to_string(t.index), t.attentionMean);
                for (const auto& [name, value] : trace.extras)
                    out.writeTensor("/" + name, value);
                const models::ModelInfo& info = model->info();
                out.writeAttribute("/", "model", info.family + (info.variant.empty() ? "" : " " + info.variant));
                out.writeAttribute("/", "config", config.source());
                out.writeAttribute("/", "checkpoint", a.value("--checkpoint"));
                out.close();
            } catch (const FileError& e) {  // name the destination, not the temporary file
                std::string what = e.what();
                if (what.rfind(temporary + ": ", 0) == 0) what.erase(0, temporary.size() + 2);
                throw FileError(outPath, what);
            }
            std::error_code ec;
            std::filesystem::rename(temporary, outPath, ec);
            if (ec) throw FileError(outPath, "cannot write: " + ec.message());
            cleanup.keep = true;
            std::cout << "wrote heatmaps " << c10::str(heatmaps.sizes()) << " and " << trace.layers.size()
                      << " attention layers to " << a.value("--out") << '\n';
            return 0;
        }};
}

Command flopsCommand() {
    return {"flops", "count a model's parameters and the multiply-adds of one forward pass",
            "usage: posescope-cli flops --config PRESET|FILE.yaml [--set KEY=VALUE]... [--batch N]\n"
            "\n"
            "Builds the model (random weights: the cost does not depend on them), runs one forward pass\n"
            "of N zero inputs (1) of its input size and counts the multiply-adds of its convolutions,\n"
            "transposed convolutions and matrix products (linear layers, attention) as they run, so a\n"
            "PPT counts the tokens it keeps. GFLOP = 2 x GMAC; the pose papers' \"GFLOPs\" are GMAC.\n"
            "Prints the visual tokens each encoder layer sees.\n",
            [](const std::vector<std::string>& argv) {
                const Args a(argv, {}, {"--config", "--set", "--batch"});
                if (!a.positional().empty()) throw UsageError("flops takes no positional arguments");
                const long long batch = a.integer("--batch", 1);
                if (batch < 1 || batch > 4096) throw UsageError("--batch must be 1…4096");
                const models::ModelConfig config = configFrom(a);
                const std::shared_ptr<models::PoseModel> model = models::createModel(config);
                const models::ModelInfo& info = model->info();
                int64_t parameters = 0;
                for (const torch::Tensor& p : model->module().parameters())
                    parameters += p.numel();
                const models::FlopCount count = models::countForwardFlops(*model, static_cast<int>(batch));
                models::Trace trace;
                trace.keepAttention = false;
                {
                    torch::NoGradGuard noGrad;
                    model->forward(torch::zeros({1, 3, info.inputHeight, info.inputWidth}), &trace);
                }
                char output[96];
                if (info.output == models::OutputKind::SimCC)
                    std::snprintf(output, sizeof output, "SimCC %d + %d bins",
                                  static_cast<int>(info.inputWidth * info.simcc.splitRatio),
                                  static_cast<int>(info.inputHeight * info.simcc.splitRatio));
                else
                    std::snprintf(output, sizeof output, "heatmaps %dx%d", info.outputWidth, info.outputHeight);
                std::printf("%s%s (%s): %.3f M parameters, input %dx%d, %s\n", info.family.c_str(),
                            info.variant.empty() ? "" : (" " + info.variant).c_str(), config.source().c_str(),
                            static_cast<double>(parameters) / 1e6, info.inputWidth, info.inputHeight, output);
                if (!trace.layers.empty()) {
                    std::printf("visual tokens per encoder layer:");
                    for (const models::LayerTrace& l : trace.layers)
                        std::printf(" %lld",
                                    static_cast<long long>(l.visualTokens.defined() ? l.visualTokens.size(1)
                                                                                    : l.gridRows * l.gridCols));
                    std::printf("\n");
                }
                const double perSample = count.multiplyAdds / static_cast<double>(batch);
                std::printf("per sample: %.4f GMAC = %.4f GFLOP (batch %lld)\n", perSample / 1e9, 2 * perSample / 1e9,
                            batch);
                for (const auto& [kind, macs] : count.byKind)
                    std::printf("  %-24s %.4f GMAC\n", kind.c_str(), macs / static_cast<double>(batch) / 1e9);
                return 0;
            }};
}

}  // namespace posescope::cli
