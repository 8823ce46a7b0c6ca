// Recognises a model family and variant from state-dict key names and shapes.
// One function per family, tried in order by recogniseArchitecture(); each reads the
// hyper-parameters that the official code stores in the shapes.
#include "posescope/models/checkpoint_info.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

namespace posescope::models {
namespace {

class Keys {
public:
    explicit Keys(const std::vector<TensorInfo>& tensors) {
        for (const TensorInfo& t : tensors)
            m_shapes.emplace(t.name, t.shape);
    }
    bool has(const std::string& name) const { return m_shapes.count(name) > 0; }
    /// Size of dimension `dim` of `name`, or -1.
    int64_t dim(const std::string& name, size_t dim) const {
        auto it = m_shapes.find(name);
        return it == m_shapes.end() || it->second.size() <= dim ? -1 : it->second[dim];
    }
    /// Number of distinct N in keys that start with "<prefix>N.".
    int count(const std::string& prefix) const {
        std::set<long> seen;
        for (auto it = m_shapes.lower_bound(prefix); it != m_shapes.end() && it->first.rfind(prefix, 0) == 0; ++it) {
            const std::string rest = it->first.substr(prefix.size());
            const size_t dot = rest.find('.');
            if (dot == 0 || dot == std::string::npos) continue;
            try {
                size_t used = 0;
                const long n = std::stol(rest.substr(0, dot), &used);
                if (used == dot) seen.insert(n);
            } catch (const std::exception&) {
            }
        }
        return static_cast<int>(seen.size());
    }

private:
    std::map<std::string, std::vector<int64_t>> m_shapes;
};

std::string encoderDetails(const Keys& k, const std::string& p, int64_t* d, int64_t* ffn, int* layers) {
    *layers = k.count(p + "global_encoder.layers.");
    *d = k.dim(p + "global_encoder.layers.0.self_attn.in_proj_weight", 1);
    *ffn = k.dim(p + "global_encoder.layers.0.linear1.weight", 0);
    return "d_model " + std::to_string(*d) + ", FFN " + std::to_string(*ffn) + ", " + std::to_string(*layers) +
           " encoder layers";
}

bool transpose(const Keys& k, ArchitectureMatch& m) {
    if (!k.has("global_encoder.layers.0.self_attn.in_proj_weight") || !k.has("reduce.weight")) return false;
    int64_t d = 0, ffn = 0;
    int layers = 0;
    const std::string enc = encoderDetails(k, "", &d, &ffn, &layers);
    if (k.has("transition1.0.0.weight")) {
        const int64_t w = k.dim("transition1.0.0.weight", 0);
        m.family = "TransPose-H";
        m.details = "HRNet-W" + std::to_string(w) + ", " + enc;
        if (w == 32 && d == 64 && ffn == 128 && layers == 4) m.variant = "H-S";
        if (w == 48 && d == 96 && ffn == 192 && layers >= 4 && layers <= 6) m.variant = "H-A" + std::to_string(layers);
        return true;
    }
    if (k.has("layer2.0.conv1.weight") && k.has("deconv_layers.0.weight")) {
        m.family = "TransPose-R";
        m.details = "ResNet-50 to layer2, " + enc;
        if (d == 256 && ffn == 1024 && (layers == 3 || layers == 4)) m.variant = "R-A" + std::to_string(layers);
        return true;
    }
    return false;
}

bool btranspose(const Keys& k, ArchitectureMatch& m) {
    if (!k.has("model_alpha.global_encoder.layers.0.self_attn.in_proj_weight")) return false;
    int64_t d = 0, ffn = 0;
    int layers = 0;
    const std::string enc = encoderDetails(k, "model_alpha.", &d, &ffn, &layers);
    // The groups: widths, blocks, which are BoT (MHSA) groups and their heads.
    std::vector<int64_t> planes, blocks;
    int convGroups = 0, mhsaGroups = 0;
    int64_t heads = -1;
    for (int g = 1; k.has("model_alpha.layer" + std::to_string(g) + ".0.conv1.weight"); ++g) {
        const std::string p = "model_alpha.layer" + std::to_string(g) + ".";
        planes.push_back(k.dim(p + "0.conv1.weight", 0));
        blocks.push_back(k.count(p));
        if (k.has(p + "0.conv2.0.rel_h")) {
            ++mhsaGroups;
            heads = k.dim(p + "0.conv2.0.rel_h", 1);
        } else {
            ++convGroups;
        }
    }
    auto list = [](const std::vector<int64_t>& v) {
        std::string s;
        for (int64_t x : v)
            s += (s.empty() ? "" : ",") + std::to_string(x);
        return "[" + s + "]";
    };
    m.family = "BTranspose";
    m.details = "groups of width " + list(planes) + " with blocks " + list(blocks) + ", the last " +
                std::to_string(mhsaGroups) + " BoT with " + std::to_string(heads) + " MHSA heads, " + enc;
    // The paper's variants: ResNet-50 block counts, d 256, FFN 1024, 4 (or 6: -N6) encoder layers.
    const std::vector<int64_t> resnet50{3, 4, 6, 3};
    const bool standard = d == 256 && ffn == 1024 && (layers == 4 || layers == 6) && mhsaGroups > 0 &&
                          blocks.size() <= 4 && std::equal(blocks.begin(), blocks.end(), resnet50.begin());
    const bool small = planes.size() >= 2 && planes[1] == 96, large = planes.size() >= 2 && planes[1] == 128;
    if (standard && (small || large)) {
        m.variant = "C" + std::to_string(convGroups) + "A" + std::to_string(mhsaGroups) + "(" + std::to_string(heads) +
                    ")" + (layers == 6 ? "-N6" : "") + (large ? "-Large" : "");
    }
    return true;
}

bool tokenpose(const Keys& k, ArchitectureMatch& m) {
    // S: everything under "features."; T and B: "transformer." (B's HRNet under "pre_feature.");
    // L: three encoders transformer.transformer{1,2,3}.
    std::string p, enc;
    if (k.has("features.keypoint_token")) {
        p = "features.";
        enc = p + "transformer.layers.";
    } else if (k.has("transformer.keypoint_token")) {
        p = "transformer.";
        enc =
            p + (k.has(p + "transformer1.layers.0.1.fn.norm.weight") ? "transformer1.layers." : "transformer.layers.");
    } else {
        return false;
    }
    const bool tokenposeLayout = k.has(enc + "0.0.fn.fn.to_qkv.weight");
    const bool pptLayout = k.has(enc + "0.0.fn.to_qkv.weight");
    if (!tokenposeLayout && !pptLayout) return false;
    const bool fusion = enc.find("transformer1.") != std::string::npos;
    const int64_t dim = k.dim(p + "keypoint_token", 2);
    const int64_t joints = k.dim(p + "keypoint_token", 1);
    const int depth = k.count(enc) * (fusion ? 3 : 1);
    const int64_t mlp = k.dim(enc + "0.1.fn.fn.net.0.weight", 0);
    const int64_t tokens = k.dim(p + "pos_embedding", 1);
    const int64_t patch = k.dim(p + "patch_to_embedding.weight", 1);
    const int64_t hrnet = k.dim("pre_feature.transition1.0.0.weight", 0);
    m.family = tokenposeLayout ? "TokenPose" : "PPT";
    std::string backbone = p == "features." ? "conv stem + layer1"
                           : hrnet > 0      ? "HRNet-W" + std::to_string(hrnet) + " stages 1-3"
                                            : "pixels";
    m.details = backbone + ", dim " + std::to_string(dim) + ", " + std::to_string(depth) + " layers" +
                (fusion ? " (3 encoders)" : "") + ", MLP " + std::to_string(mlp) + ", " + std::to_string(joints) +
                " keypoint tokens, " + std::to_string(tokens) + " visual tokens of " + std::to_string(patch);
    if (dim != 192) return true;
    if (p == "features." && depth == 12) m.variant = patch == 3072 ? "S-v1" : patch == 1024 ? "S-v2" : "";
    if (p == "transformer." && hrnet < 0 && depth == 12 && patch == 576) m.variant = "T";
    if (hrnet == 32 && !fusion && depth == 12) m.variant = "B";
    if (hrnet == 48 && !fusion && depth == 6) m.variant = "L/D6";  // the PPT repository's L/D6
    if (hrnet == 48 && fusion && (depth == 6 || depth == 24)) m.variant = "L/D" + std::to_string(depth);
    if (pptLayout && m.variant == "S-v1") m.variant = "S";
    return true;
}

bool pvt(const Keys& k, ArchitectureMatch& m) {
    for (const std::string p : {"", "backbone."}) {
        if (!k.has(p + "patch_embed1.proj.weight") || !k.has(p + "block1.0.attn.q.weight")) continue;
        std::vector<int64_t> dims;
        std::vector<int> depths;
        for (int s = 1; s <= 4; ++s) {
            dims.push_back(k.dim(p + "patch_embed" + std::to_string(s) + ".proj.weight", 0));
            depths.push_back(k.count(p + "block" + std::to_string(s) + "."));
        }
        auto list = [](const auto& v) {
            std::string s;
            for (size_t i = 0; i < v.size(); ++i)
                s += (i ? "/" : "") + std::to_string(v[i]);
            return s;
        };
        m.family = "PVT v2";
        m.details = "dims " + list(dims) + ", depths " + list(depths);
        if (k.has(p + "head.weight")) m.details += ", ImageNet classifier head";
        const bool small = dims == std::vector<int64_t>{32, 64, 160, 256};
        const bool wide = dims == std::vector<int64_t>{64, 128, 320, 512};
        const std::map<std::vector<int>, std::string> named = {
            {{3, 4, 6, 3}, "b2"}, {{3, 4, 18, 3}, "b3"}, {{3, 8, 27, 3}, "b4"}, {{3, 6, 40, 3}, "b5"}};
        if (small && depths == std::vector<int>{2, 2, 2, 2}) m.variant = "b0";
        if (wide && depths == std::vector<int>{2, 2, 2, 2}) m.variant = "b1";
        if (wide && named.count(depths)) m.variant = named.at(depths);
        if (p.empty() && k.has("hrpm.lateral.0.conv.weight") && k.has("simcc_head.mlp_head_x.weight")) {
            // PoseScope's HRPVT: layer-wise when every stage-1 block has its HRPM block(s).
            const int blocks = k.count("hrpm.blocks.");
            const bool layerWise = depths[0] > 1 && blocks % depths[0] == 0;
            m.family = "HRPVT";
            if (!m.variant.empty() && layerWise) m.variant += "-layerwise";
            m.details += ", " + std::to_string(blocks) + " HRPM block(s)" + (layerWise ? " (layer-wise)" : "") +
                         ", SimCC " + std::to_string(k.dim("simcc_head.mlp_head_x.weight", 0)) + " + " +
                         std::to_string(k.dim("simcc_head.mlp_head_y.weight", 0)) + " bins";
        }
        return true;
    }
    return false;
}

}  // namespace

ArchitectureMatch recogniseArchitecture(const std::vector<TensorInfo>& tensors) {
    const Keys keys(tensors);
    ArchitectureMatch m;
    if (transpose(keys, m) || btranspose(keys, m) || tokenpose(keys, m) || pvt(keys, m)) return m;
    return {};
}

}  // namespace posescope::models
