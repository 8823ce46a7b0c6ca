#include "posescope/analysis/run_store.h"

#include "h5_detail.h"

#include <simdjson.h>
#include <torch/torch.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string_view>

namespace posescope::analysis {
namespace {

using h5::fail;
using h5::Handle;

constexpr const char* kFormat = "posescope-run";
constexpr int64_t kFormatVersion = 1;

enum class Kind { I64, I32, F32, F16, U8 };

hid_t fileType(Kind k) {
    switch (k) {
        case Kind::I64: return H5T_STD_I64LE;
        case Kind::I32: return H5T_STD_I32LE;
        case Kind::F32: return H5T_IEEE_F32LE;
        case Kind::F16: return h5::float16Type();
        case Kind::U8: return H5T_STD_U8LE;
    }
    return -1;
}

hid_t memType(Kind k) {
    switch (k) {
        case Kind::I64: return H5T_NATIVE_INT64;
        case Kind::I32: return H5T_NATIVE_INT32;
        case Kind::F32: return H5T_NATIVE_FLOAT;
        case Kind::F16: return h5::float16Type();
        case Kind::U8: return H5T_NATIVE_UINT8;
    }
    return -1;
}

size_t kindBytes(Kind k) {
    switch (k) {
        case Kind::I64: return 8;
        case Kind::I32:
        case Kind::F32: return 4;
        case Kind::F16: return 2;
        case Kind::U8: return 1;
    }
    return 0;
}

// One per-sample dataset: /samples/<name>, shape [rows, shape…].
//
// Crash safety rests on two rules. Large arrays have one chunk per sample, written once and never
// rewritten. Small arrays share chunks between samples and are NOT compressed: an unfiltered chunk
// keeps its place in the file when later rows are added, and the bytes of rows already there are
// rewritten with the same values, so a write torn by a kill or a full disk cannot damage them
// (a compressed chunk would move, and the index could end up pointing at bytes never written).
struct Column {
    std::string name;
    Kind kind;
    std::vector<hsize_t> shape;  // per sample
    std::vector<hsize_t> chunk;  // per sample part of the chunk (leading 1s allowed)
    hsize_t chunkRows;           // 0: about 16 KiB per chunk
    int deflate;                 // 0: stored raw
    size_t elements() const {
        size_t n = 1;
        for (hsize_t d : shape)
            n *= d;
        return n;
    }
};

std::vector<Column> columnsFor(const RunHeader& h) {
    const auto K = static_cast<hsize_t>(h.keypoints()), Ly = static_cast<hsize_t>(h.layers),
               H = static_cast<hsize_t>(h.heads), T = static_cast<hsize_t>(h.tokens());
    std::vector<Column> c = {
        {"index", Kind::I64, {}, {}, 0, 0},
        {"image_id", Kind::I64, {}, {}, 0, 0},
        {"annotation_id", Kind::I64, {}, {}, 0, 0},
        {"box", Kind::F32, {4}, {4}, 0, 0},
        {"box_score", Kind::F32, {}, {}, 0, 0},
        {"center", Kind::F32, {2}, {2}, 0, 0},
        {"scale", Kind::F32, {2}, {2}, 0, 0},
        {"crop_transform", Kind::F32, {2, 3}, {2, 3}, 0, 0},
        {"ground_truth", Kind::F32, {K, 3}, {K, 3}, 0, 0},
        {"keypoints", Kind::F32, {K, 3}, {K, 3}, 0, 0},
        {"layer_keypoints", Kind::F32, {Ly, K, 3}, {Ly, K, 3}, 0, 0},
        {"query_tokens", Kind::I32, {K}, {K}, 0, 0},
        {"crop_jpeg_range", Kind::I64, {2}, {2}, 0, 0},
        {"dependency", Kind::F16, {Ly, K, T}, {Ly, K, T}, 1, 1},
    };
    if (h.pruningStages() > 0) {
        const auto S = static_cast<hsize_t>(h.pruningStages());
        c.push_back({"pruning_scores", Kind::F32, {S, T}, {S, T}, 1, 1});  // one sample per chunk, compressed
        c.push_back({"kept_rank", Kind::I32, {S, T}, {S, T}, 1, 1});
    }
    if (h.heads > 1) c.push_back({"dependency_heads", Kind::F16, {Ly, H, K, T}, {Ly, H, K, T}, 1, 1});
    const auto B = static_cast<hsize_t>(h.mhsaBlocks), HB = static_cast<hsize_t>(h.mhsaHeads);
    if (B > 0) c.push_back({"mhsa_dependency", Kind::F16, {B, HB, K, T}, {B, HB, K, T}, 1, 1});
    if (h.level != RunLevel::Keypoints) {
        const auto hh = static_cast<hsize_t>(h.heatmapHeight), hw = static_cast<hsize_t>(h.heatmapWidth);
        c.push_back({"heatmaps", Kind::F16, {K, hh, hw}, {K, hh, hw}, 1, 1});
    }
    if (h.hasOcclusion()) {
        const auto P = static_cast<hsize_t>(h.occlusionWindows());
        c.push_back({"occlusion_score_drop", Kind::F32, {P, K}, {P, K}, 1, 1});
        c.push_back({"occlusion_displacement", Kind::F32, {P, K}, {P, K}, 1, 1});
        c.push_back({"occlusion_oks", Kind::F32, {P, K}, {P, K}, 1, 1});
        c.push_back({"reference_oks", Kind::F32, {K}, {K}, 0, 0});
        c.push_back({"occluder_id", Kind::I64, {K}, {K}, 0, 0});
        c.push_back({"occluder_share", Kind::F32, {Ly, K}, {Ly, K}, 0, 0});
        if (h.targetedMargin > 0) {  // one region per keypoint, then one per body part
            const auto R = static_cast<hsize_t>(h.targetedRegions());
            c.push_back({"targeted_region", Kind::I32, {R, 4}, {R, 4}, 0, 0});
            c.push_back({"targeted_keypoints", Kind::F32, {R, K, 3}, {R, K, 3}, 1, 1});
            c.push_back({"targeted_share_before", Kind::F32, {R, Ly, K}, {R, Ly, K}, 1, 1});
            c.push_back({"targeted_share_after", Kind::F32, {R, Ly, K}, {R, Ly, K}, 1, 1});
            c.push_back({"targeted_rows", Kind::F16, {R, Ly, T}, {R, Ly, T}, 1, 1});
            if (h.targetedAllRows) c.push_back({"targeted_dependency", Kind::F16, {R, Ly, K, T}, {1, Ly, K, T}, 1, 1});
        }
    }
    if (h.level == RunLevel::Full) {
        const hsize_t rows = std::max<hsize_t>(1, std::min<hsize_t>(T, (1u << 18) / std::max<hsize_t>(T, 1)));
        c.push_back({"attention", Kind::F16, {Ly, H, T, T}, {1, 1, rows, T}, 1, 1});
        if (B > 0) c.push_back({"mhsa_attention", Kind::F16, {B, HB, T, T}, {1, 1, rows, T}, 1, 1});
    }
    return c;
}

// ---- attributes ---------------------------------------------------------------------------

void setString(hid_t obj, const std::string& path, const char* name, const std::string& value) {
    if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
    Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type.get(), value.empty() ? 1 : value.size());
    H5Tset_cset(type.get(), H5T_CSET_UTF8);
    Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    Handle a(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    if (!a.ok() || H5Awrite(a.get(), type.get(), value.empty() ? "" : value.data()) < 0)
        fail(path, std::string("cannot write attribute ") + name);
}

void setInts(hid_t obj, const std::string& path, const char* name, const std::vector<int64_t>& values,
             std::vector<hsize_t> dims = {}) {
    if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
    if (dims.empty() && values.size() != 1) dims = {static_cast<hsize_t>(values.size())};
    Handle space(
        dims.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
        H5Sclose);
    Handle a(H5Acreate2(obj, name, H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    if (!a.ok() || (!values.empty() && H5Awrite(a.get(), H5T_NATIVE_INT64, values.data()) < 0))
        fail(path, std::string("cannot write attribute ") + name);
}

void setDouble(hid_t obj, const std::string& path, const char* name, double value) {
    if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
    Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    Handle a(H5Acreate2(obj, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    if (!a.ok() || H5Awrite(a.get(), H5T_NATIVE_DOUBLE, &value) < 0)
        fail(path, std::string("cannot write attribute ") + name);
}

void setInt(hid_t obj, const std::string& path, const char* name, int64_t value) {
    setInts(obj, path, name, {value});
}

void setStrings(hid_t obj, const std::string& path, const char* name, const std::vector<std::string>& values) {
    if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
    Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type.get(), H5T_VARIABLE);
    H5Tset_cset(type.get(), H5T_CSET_UTF8);
    const hsize_t n = values.size();
    Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
    std::vector<const char*> ptrs;
    for (const auto& v : values)
        ptrs.push_back(v.c_str());
    Handle a(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    if (!a.ok() || (n > 0 && H5Awrite(a.get(), type.get(), ptrs.data()) < 0))
        fail(path, std::string("cannot write attribute ") + name);
}

std::vector<int64_t> pairsToInts(const std::vector<std::pair<int, int>>& pairs) {
    std::vector<int64_t> v;
    for (const auto& [a, b] : pairs) {
        v.push_back(a);
        v.push_back(b);
    }
    return v;
}

void writeHeader(hid_t file, const std::string& path, const RunHeader& h) {
    setString(file, path, "format", kFormat);
    setInt(file, path, "format_version", kFormatVersion);
    setString(file, path, "posescope_version", h.posescopeVersion);
    setString(file, path, "created", h.created);
    setString(file, path, "model_family", h.modelFamily);
    setString(file, path, "model_variant", h.modelVariant);
    setString(file, path, "config", h.config);
    setString(file, path, "config_source", h.configSource);
    setString(file, path, "checkpoint", h.checkpoint);
    setString(file, path, "checkpoint_sha256", h.checkpointSha256);
    setString(file, path, "dataset_kind", h.datasetKind);
    setString(file, path, "dataset", h.dataset);
    setString(file, path, "dataset_sha256", h.datasetSha256);
    setString(file, path, "images", h.images);
    setString(file, path, "boxes", h.boxes);
    setString(file, path, "boxes_sha256", h.boxesSha256);
    setString(file, path, "selection", h.selection);
    setStrings(file, path, "keypoint_names", h.keypointNames);
    setInts(file, path, "skeleton", pairsToInts(h.skeleton), {h.skeleton.size(), 2});
    setInts(file, path, "flip_pairs", pairsToInts(h.flipPairs), {h.flipPairs.size(), 2});
    setInts(file, path, "input_size", {h.inputWidth, h.inputHeight});
    setInts(file, path, "heatmap_size", {h.heatmapWidth, h.heatmapHeight});
    setInts(file, path, "token_grid", {h.gridRows, h.gridCols});
    setInt(file, path, "layers", h.layers);
    setInt(file, path, "heads", h.heads);
    setInt(file, path, "keypoint_tokens", h.keypointTokens);
    setInts(file, path, "pruning_layers", std::vector<int64_t>(h.pruningLayers.begin(), h.pruningLayers.end()),
            {h.pruningLayers.size()});
    setDouble(file, path, "keep_ratio", h.keepRatio);
    setInt(file, path, "mhsa_blocks", h.mhsaBlocks);
    setInt(file, path, "mhsa_heads", h.mhsaHeads);
    setInts(file, path, "occlusion_window", {h.occlusionWindow, h.occlusionStride});
    setInts(file, path, "occlusion_grid", {h.occlusionRows, h.occlusionCols});
    setString(file, path, "occlusion_fill", h.occlusionFill);
    setInt(file, path, "targeted_margin", h.targetedMargin);
    setInt(file, path, "targeted_all_rows", h.targetedAllRows ? 1 : 0);
    if (!h.targetedParts.empty()) {  // names, and a [parts, keypoints] 0/1 membership matrix
        std::vector<std::string> names;
        std::vector<int64_t> members;
        for (const BodyPart& part : h.targetedParts) {
            names.push_back(part.name);
            for (int k = 0; k < h.keypoints(); ++k)
                members.push_back(std::count(part.keypoints.begin(), part.keypoints.end(), k) > 0 ? 1 : 0);
        }
        setStrings(file, path, "targeted_part_names", names);
        setInts(file, path, "targeted_part_keypoints", members,
                {h.targetedParts.size(), static_cast<size_t>(h.keypoints())});
    }
    setString(file, path, "decoder", h.decoder);
    setInt(file, path, "flip", h.flip ? 1 : 0);
    setInt(file, path, "layerwise", h.layerwise ? 1 : 0);
    setString(file, path, "level", runLevelName(h.level));
    setInts(file, path, "shard", {h.shardIndex, h.shardCount});
    setInt(file, path, "total_samples", h.totalSamples);
    setInt(file, path, "first_index", h.firstIndex);
    setInt(file, path, "planned_samples", h.plannedSamples);
    setInt(file, path, "complete", h.complete ? 1 : 0);
    setString(file, path, "finished", h.finished);
    setInt(file, path, "skipped_samples", h.skippedSamples);
}

Handle openAttribute(hid_t file, const std::string& path, const char* name) {
    Handle a(H5Aopen(file, name, H5P_DEFAULT), H5Aclose);
    if (!a.ok()) {
        h5::errorStack();
        throw RunFormatError(path, std::string("not a PoseScope run: no attribute '") + name + "'");
    }
    return a;
}

std::string getString(hid_t file, const std::string& path, const char* name) {
    const Handle a = openAttribute(file, path, name);
    Handle type(H5Aget_type(a.get()), H5Tclose);
    if (H5Tget_class(type.get()) != H5T_STRING)
        throw RunFormatError(path, std::string("attribute '") + name + "' is not a string");
    if (H5Tis_variable_str(type.get()) > 0) {
        char* s = nullptr;
        Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
        H5Tset_size(mem.get(), H5T_VARIABLE);
        if (H5Aread(a.get(), mem.get(), &s) < 0) fail(path, std::string("cannot read attribute ") + name);
        std::string out = s ? s : "";
        H5free_memory(s);
        return out;
    }
    std::string out(H5Tget_size(type.get()), '\0');
    if (H5Aread(a.get(), type.get(), out.data()) < 0) fail(path, std::string("cannot read attribute ") + name);
    out.resize(std::strlen(out.c_str()));
    return out;
}

std::vector<int64_t> getInts(hid_t file, const std::string& path, const char* name) {
    const Handle a = openAttribute(file, path, name);
    Handle space(H5Aget_space(a.get()), H5Sclose);
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    std::vector<int64_t> v(static_cast<size_t>(std::max<hssize_t>(n, 0)));
    if (!v.empty() && H5Aread(a.get(), H5T_NATIVE_INT64, v.data()) < 0)
        fail(path, std::string("cannot read attribute ") + name);
    return v;
}

int64_t getInt(hid_t file, const std::string& path, const char* name) {
    const auto v = getInts(file, path, name);
    if (v.size() != 1) throw RunFormatError(path, std::string("attribute '") + name + "' is not a single number");
    return v[0];
}

std::vector<std::string> getStrings(hid_t file, const std::string& path, const char* name) {
    const Handle a = openAttribute(file, path, name);
    Handle space(H5Aget_space(a.get()), H5Sclose);
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    std::vector<char*> ptrs(static_cast<size_t>(std::max<hssize_t>(n, 0)), nullptr);
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.get(), H5T_VARIABLE);
    H5Tset_cset(mem.get(), H5T_CSET_UTF8);
    if (!ptrs.empty() && H5Aread(a.get(), mem.get(), ptrs.data()) < 0)
        fail(path, std::string("cannot read attribute ") + name);
    std::vector<std::string> out;
    for (char* p : ptrs) {
        out.emplace_back(p ? p : "");
        H5free_memory(p);
    }
    return out;
}

std::vector<std::pair<int, int>> getPairs(hid_t file, const std::string& path, const char* name) {
    const auto v = getInts(file, path, name);
    std::vector<std::pair<int, int>> out;
    for (size_t i = 0; i + 1 < v.size(); i += 2)
        out.emplace_back(static_cast<int>(v[i]), static_cast<int>(v[i + 1]));
    return out;
}

RunHeader readHeader(hid_t file, const std::string& path) {
    if (H5Aexists(file, "format") <= 0 || getString(file, path, "format") != kFormat)
        throw RunFormatError(path, "not a PoseScope run (no format = \"posescope-run\" attribute)");
    const int64_t version = getInt(file, path, "format_version");
    if (version > kFormatVersion)
        throw RunFormatError(path, "written by a newer PoseScope (format version " + std::to_string(version) + ")");
    RunHeader h;
    h.posescopeVersion = getString(file, path, "posescope_version");
    h.created = getString(file, path, "created");
    h.modelFamily = getString(file, path, "model_family");
    h.modelVariant = getString(file, path, "model_variant");
    h.config = getString(file, path, "config");
    h.configSource = getString(file, path, "config_source");
    h.checkpoint = getString(file, path, "checkpoint");
    h.checkpointSha256 = getString(file, path, "checkpoint_sha256");
    h.datasetKind = getString(file, path, "dataset_kind");
    h.dataset = getString(file, path, "dataset");
    h.datasetSha256 = getString(file, path, "dataset_sha256");
    h.images = getString(file, path, "images");
    h.boxes = getString(file, path, "boxes");
    h.boxesSha256 = getString(file, path, "boxes_sha256");
    h.selection = getString(file, path, "selection");
    h.keypointNames = getStrings(file, path, "keypoint_names");
    h.skeleton = getPairs(file, path, "skeleton");
    h.flipPairs = getPairs(file, path, "flip_pairs");
    const auto input = getInts(file, path, "input_size"), heat = getInts(file, path, "heatmap_size"),
               grid = getInts(file, path, "token_grid"), shard = getInts(file, path, "shard");
    if (input.size() != 2 || heat.size() != 2 || grid.size() != 2 || shard.size() != 2)
        throw RunFormatError(path, "input_size, heatmap_size, token_grid and shard must hold two numbers");
    h.inputWidth = static_cast<int>(input[0]);
    h.inputHeight = static_cast<int>(input[1]);
    h.heatmapWidth = static_cast<int>(heat[0]);
    h.heatmapHeight = static_cast<int>(heat[1]);
    h.gridRows = static_cast<int>(grid[0]);
    h.gridCols = static_cast<int>(grid[1]);
    h.shardIndex = static_cast<int>(shard[0]);
    h.shardCount = static_cast<int>(shard[1]);
    h.layers = static_cast<int>(getInt(file, path, "layers"));
    h.heads = static_cast<int>(getInt(file, path, "heads"));
    // Written since token models (absent: a TransPose run of an earlier PoseScope).
    if (H5Aexists(file, "keypoint_tokens") > 0)
        h.keypointTokens = static_cast<int>(getInt(file, path, "keypoint_tokens"));
    if (H5Aexists(file, "pruning_layers") > 0)
        for (int64_t v : getInts(file, path, "pruning_layers"))
            h.pruningLayers.push_back(static_cast<int>(v));
    if (H5Aexists(file, "keep_ratio") > 0) {
        const Handle a = openAttribute(file, path, "keep_ratio");
        if (H5Aread(a.get(), H5T_NATIVE_DOUBLE, &h.keepRatio) < 0) fail(path, "cannot read attribute keep_ratio");
    }
    // Written since BTranspose (absent: a run of an earlier PoseScope, which had no MHSA).
    if (H5Aexists(file, "mhsa_blocks") > 0) h.mhsaBlocks = static_cast<int>(getInt(file, path, "mhsa_blocks"));
    if (H5Aexists(file, "mhsa_heads") > 0) h.mhsaHeads = static_cast<int>(getInt(file, path, "mhsa_heads"));
    // Written since occlusion runs (absent: a run of an earlier PoseScope, which had none).
    if (H5Aexists(file, "occlusion_window") > 0) {
        const auto window = getInts(file, path, "occlusion_window"), grid = getInts(file, path, "occlusion_grid");
        if (window.size() != 2 || grid.size() != 2)
            throw RunFormatError(path, "occlusion_window and occlusion_grid must hold two numbers");
        h.occlusionWindow = static_cast<int>(window[0]);
        h.occlusionStride = static_cast<int>(window[1]);
        h.occlusionRows = static_cast<int>(grid[0]);
        h.occlusionCols = static_cast<int>(grid[1]);
        h.occlusionFill = getString(file, path, "occlusion_fill");
        h.targetedMargin = static_cast<int>(getInt(file, path, "targeted_margin"));
        if (H5Aexists(file, "targeted_all_rows") > 0) h.targetedAllRows = getInt(file, path, "targeted_all_rows") != 0;
        // Written since body parts (absent: keypoint regions only).
        if (H5Aexists(file, "targeted_part_names") > 0) {
            const std::vector<std::string> names = getStrings(file, path, "targeted_part_names");
            const std::vector<int64_t> members = getInts(file, path, "targeted_part_keypoints");
            const size_t K = h.keypointNames.size();
            if (members.size() != names.size() * K)
                throw RunFormatError(path, "targeted_part_keypoints does not match targeted_part_names × keypoints");
            for (size_t p = 0; p < names.size(); ++p) {
                BodyPart part{names[p], {}};
                for (size_t k = 0; k < K; ++k)
                    if (members[p * K + k] != 0) part.keypoints.push_back(static_cast<int>(k));
                if (part.keypoints.empty())
                    throw RunFormatError(path, "the targeted body part '" + part.name + "' names no keypoint");
                h.targetedParts.push_back(std::move(part));
            }
        }
        if (h.occlusionWindow < 0 || h.occlusionRows < 0 || h.occlusionCols < 0 || h.targetedMargin < 0 ||
            (h.occlusionWindow > 0 && h.occlusionWindows() == 0))
            throw RunFormatError(path, "the occlusion attributes are inconsistent");
    }
    h.decoder = getString(file, path, "decoder");
    h.flip = getInt(file, path, "flip") != 0;
    h.layerwise = getInt(file, path, "layerwise") != 0;
    try {
        h.level = parseRunLevel(getString(file, path, "level"));
    } catch (const std::invalid_argument& e) {
        throw RunFormatError(path, e.what());
    }
    h.totalSamples = getInt(file, path, "total_samples");
    h.firstIndex = getInt(file, path, "first_index");
    h.plannedSamples = getInt(file, path, "planned_samples");
    h.complete = getInt(file, path, "complete") != 0;
    h.finished = getString(file, path, "finished");
    h.skippedSamples = getInt(file, path, "skipped_samples");
    return h;
}

// ---- datasets -----------------------------------------------------------------------------

hsize_t rowsOf(hid_t dataset) {
    Handle space(H5Dget_space(dataset), H5Sclose);
    hsize_t dims[8] = {0};
    if (H5Sget_simple_extent_ndims(space.get()) < 1) return 0;
    H5Sget_simple_extent_dims(space.get(), dims, nullptr);
    return dims[0];
}

void createColumn(hid_t group, const std::string& path, const Column& c) {
    // Small arrays: about 16 KiB per chunk (chunkRows 0); large ones give their own.
    const hsize_t rows =
        c.chunkRows > 0 ? c.chunkRows : std::max<hsize_t>(16, (16u << 10) / (c.elements() * kindBytes(c.kind)));
    std::vector<hsize_t> dims = {0}, maxDims = {H5S_UNLIMITED}, chunk = {rows};
    for (size_t i = 0; i < c.shape.size(); ++i) {
        dims.push_back(c.shape[i]);
        maxDims.push_back(c.shape[i]);
        chunk.push_back(std::max<hsize_t>(1, std::min(c.shape[i], c.chunk[i])));
    }
    Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), maxDims.data()), H5Sclose);
    Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data());
    if (c.deflate > 0) {
        if (kindBytes(c.kind) > 1) H5Pset_shuffle(dcpl.get());
        H5Pset_deflate(dcpl.get(), static_cast<unsigned>(c.deflate));
    }
    Handle d(H5Dcreate2(group, c.name.c_str(), fileType(c.kind), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
             H5Dclose);
    if (!d.ok()) fail(path, "cannot create dataset /samples/" + c.name);
}

void createBytes(hid_t file, const std::string& path) {
    const hsize_t dims = 0, maxDims = H5S_UNLIMITED, chunk = 1 << 16;
    Handle space(H5Screate_simple(1, &dims, &maxDims), H5Sclose);
    Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    H5Pset_chunk(dcpl.get(), 1, &chunk);
    Handle d(H5Dcreate2(file, "crop_jpeg", H5T_STD_U8LE, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT), H5Dclose);
    if (!d.ok()) fail(path, "cannot create dataset /crop_jpeg");
    const hsize_t one = 1;
    Handle counterSpace(H5Screate_simple(1, &one, nullptr), H5Sclose);
    Handle counterDcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    H5Pset_chunk(counterDcpl.get(), 1, &one);
    Handle counter(H5Dcreate2(file, "committed_samples", H5T_STD_I64LE, counterSpace.get(), H5P_DEFAULT,
                              counterDcpl.get(), H5P_DEFAULT),
                   H5Dclose);
    const int64_t zero = 0;
    if (!counter.ok() || H5Dwrite(counter.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &zero) < 0)
        fail(path, "cannot create dataset /committed_samples");
}

// The rows made durable by the last flush (see RunWriter::flush).
hsize_t committedRows(hid_t file, const std::string& path) {
    Handle d(H5Dopen2(file, "committed_samples", H5P_DEFAULT), H5Dclose);
    if (!d.ok()) {
        h5::errorStack();
        throw RunFormatError(path, "missing dataset /committed_samples");
    }
    int64_t v = 0;
    if (H5Dread(d.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) < 0)
        fail(path, "cannot read /committed_samples");
    return static_cast<hsize_t>(std::max<int64_t>(v, 0));
}

// Appends `count` rows (or bytes, for 1-D) at `at` from `data`.
void appendRows(hid_t d, const std::string& path, const std::string& name, hsize_t at, hsize_t count,
                const std::vector<hsize_t>& rowShape, hid_t mem, const void* data) {
    std::vector<hsize_t> dims = {at + count};
    dims.insert(dims.end(), rowShape.begin(), rowShape.end());
    if (H5Dset_extent(d, dims.data()) < 0) fail(path, "cannot extend " + name);
    if (count == 0) return;
    Handle fs(H5Dget_space(d), H5Sclose);
    std::vector<hsize_t> start(dims.size(), 0), size = dims;
    start[0] = at;
    size[0] = count;
    H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, start.data(), nullptr, size.data(), nullptr);
    Handle ms(H5Screate_simple(static_cast<int>(size.size()), size.data(), nullptr), H5Sclose);
    if (H5Dwrite(d, mem, ms.get(), fs.get(), H5P_DEFAULT, data) < 0) fail(path, "cannot write " + name);
}

// Reads rows [row, row + 1) of a column, restricted to `start`/`size` in the other dimensions.
void readBlock(hid_t d, const std::string& path, const std::string& name, std::vector<hsize_t> start,
               std::vector<hsize_t> size, hid_t mem, void* out) {
    Handle fs(H5Dget_space(d), H5Sclose);
    H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, start.data(), nullptr, size.data(), nullptr);
    Handle ms(H5Screate_simple(static_cast<int>(size.size()), size.data(), nullptr), H5Sclose);
    if (H5Dread(d, mem, ms.get(), fs.get(), H5P_DEFAULT, out) < 0) fail(path, "cannot read " + name);
}

// A write that failed on a full disk can leave a superblock whose end-of-file address lies past
// the bytes that reached the disk; HDF5 then refuses the file as truncated. The missing tail only
// held data of unflushed rows, so extending the file with zeros (sparse) to the recorded length
// makes it open again. Superblock versions 2 and 3 (what the run store writes) only.
// Returns the bytes the file was short by (0: it was whole).
uint64_t extendTruncatedFile(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return 0;
    unsigned char b[48] = {0};
    const size_t n = std::fread(b, 1, sizeof b, f);
    std::fclose(f);
    static const unsigned char signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    if (n < 44 || std::memcmp(b, signature, 8) != 0 || b[8] < 2 || b[9] != 8) return 0;
    auto u64 = [&](size_t at) {
        uint64_t v = 0;
        for (int i = 7; i >= 0; --i)
            v = (v << 8) | b[at + static_cast<size_t>(i)];
        return v;
    };
    const uint64_t end = u64(12) + u64(28);  // base address + end-of-file address
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) < end &&
        ::truncate(path.c_str(), static_cast<off_t>(end)) == 0)
        return end - static_cast<uint64_t>(st.st_size);
    return 0;
}

hid_t fileAccess(bool latest) {
    const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (latest) H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
    return fapl;
}

std::string nowUtc() {
    const std::time_t t = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
}

torch::Tensor asHalf(const torch::Tensor& t, const std::vector<int64_t>& shape, const std::string& path,
                     const std::string& name) {
    if (!t.defined()) throw RunFormatError(path, "sample without " + name);
    if (t.sizes().vec() != shape)
        throw RunFormatError(
            path, name + ": expected shape " + c10::str(c10::IntArrayRef(shape)) + ", got " + c10::str(t.sizes()));
    return t.detach().to(torch::kCPU).to(torch::kHalf).contiguous();
}

}  // namespace

namespace {

using Fields = std::vector<std::pair<const char*, std::pair<std::string, std::string>>>;

std::optional<RunDifference> firstDifference(const Fields& fields) {
    for (const auto& [name, values] : fields)
        if (values.first != values.second) return RunDifference{name, values.first, values.second};
    return std::nullopt;
}

}  // namespace

std::optional<RunDifference> sampleDifference(const RunHeader& a, const RunHeader& b) {
    return firstDifference({
        {"dataset_sha256", {a.datasetSha256, b.datasetSha256}},
        {"boxes_sha256", {a.boxesSha256, b.boxesSha256}},
        {"selection", {a.selection, b.selection}},
        {"keypoint_names", {std::to_string(a.keypoints()), std::to_string(b.keypoints())}},
        {"first_index", {std::to_string(a.firstIndex), std::to_string(b.firstIndex)}},
    });
}

std::vector<int> RunHeader::targetedRegionKeypoints(int r) const {
    if (r >= 0 && r < keypoints()) return {r};
    if (r >= keypoints() && r < targetedRegions()) return targetedParts[static_cast<size_t>(r - keypoints())].keypoints;
    return {};
}

std::string RunHeader::targetedRegionName(int r) const {
    if (r >= 0 && r < keypoints()) return keypointNames[static_cast<size_t>(r)];
    if (r >= keypoints() && r < targetedRegions()) return targetedParts[static_cast<size_t>(r - keypoints())].name;
    return "region " + std::to_string(r);
}

namespace {

std::string partsText(const std::vector<BodyPart>& parts) {
    std::string text;
    for (const BodyPart& part : parts) {
        text += (text.empty() ? "" : ";") + part.name + "=";
        for (size_t i = 0; i < part.keypoints.size(); ++i)
            text += (i ? "," : "") + std::to_string(part.keypoints[i]);
    }
    return text.empty() ? "none" : text;
}

}  // namespace

int layerAtSameDepth(int layer, int fromLayers, int toLayers) {
    if (layer < 0 || fromLayers <= 0 || toLayers <= 0) return -1;
    const double depth = (layer + 0.5) / fromLayers;  // the layer's middle, 0 … 1
    return std::clamp(static_cast<int>(std::floor(depth * toLayers)), 0, toLayers - 1);
}

namespace {

void flattenJson(simdjson::dom::element e, const std::string& prefix, std::map<std::string, std::string>& out) {
    simdjson::dom::object object;
    if (e.get(object) == simdjson::SUCCESS) {
        for (const auto field : object)
            flattenJson(field.value, prefix.empty() ? std::string(field.key) : prefix + "." + std::string(field.key),
                        out);
        return;
    }
    std::string_view text;
    out[prefix] = e.get(text) == simdjson::SUCCESS ? std::string(text) : simdjson::minify(e);
}

// The first key on which two configurations (as JSON) differ, e.g. "config MODEL.N_HEAD", instead
// of both configurations whole; nullopt when either does not parse.
std::optional<RunDifference> configKeyDifference(const std::string& a, const std::string& b) {
    simdjson::dom::parser pa, pb;
    simdjson::dom::element ea, eb;
    if (pa.parse(a).get(ea) != simdjson::SUCCESS || pb.parse(b).get(eb) != simdjson::SUCCESS) return std::nullopt;
    std::map<std::string, std::string> fa, fb;
    flattenJson(ea, "", fa);
    flattenJson(eb, "", fb);
    for (const auto& [key, value] : fa) {
        const auto it = fb.find(key);
        const std::string other = it == fb.end() ? "(not set)" : it->second;
        if (value != other) return RunDifference{"config " + key, value, other};
    }
    for (const auto& [key, value] : fb)
        if (!fa.count(key)) return RunDifference{"config " + key, "(not set)", value};
    return std::nullopt;
}

}  // namespace

std::optional<RunDifference> identityDifference(const RunHeader& a, const RunHeader& b) {
    if (a.checkpointSha256 == b.checkpointSha256 && a.config != b.config)
        if (auto key = configKeyDifference(a.config, b.config)) return key;
    return firstDifference({
        {"checkpoint_sha256", {a.checkpointSha256, b.checkpointSha256}},
        {"config", {a.config, b.config}},
        {"dataset_sha256", {a.datasetSha256, b.datasetSha256}},
        {"boxes_sha256", {a.boxesSha256, b.boxesSha256}},
        {"selection", {a.selection, b.selection}},
        {"level", {runLevelName(a.level), runLevelName(b.level)}},
        {"flip", {a.flip ? "1" : "0", b.flip ? "1" : "0"}},
        {"layerwise", {a.layerwise ? "1" : "0", b.layerwise ? "1" : "0"}},
        {"decoder", {a.decoder, b.decoder}},
        {"occlusion_window",
         {std::to_string(a.occlusionWindow) + " stride " + std::to_string(a.occlusionStride),
          std::to_string(b.occlusionWindow) + " stride " + std::to_string(b.occlusionStride)}},
        {"occlusion_fill", {a.occlusionFill, b.occlusionFill}},
        {"targeted_margin", {std::to_string(a.targetedMargin), std::to_string(b.targetedMargin)}},
        {"targeted_all_rows", {a.targetedAllRows ? "1" : "0", b.targetedAllRows ? "1" : "0"}},
        {"targeted_parts", {partsText(a.targetedParts), partsText(b.targetedParts)}},
        {"shard count", {std::to_string(a.shardCount), std::to_string(b.shardCount)}},
        {"total_samples", {std::to_string(a.totalSamples), std::to_string(b.totalSamples)}},
    });
}

std::string locateRecordedFile(const std::string& recorded, const std::string& runPath) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (recorded.empty() || fs::exists(recorded, ec) || fs::path(recorded).is_absolute()) return recorded;
    const fs::path beside = fs::path(runPath).parent_path() / recorded;
    return fs::exists(beside, ec) ? beside.string() : recorded;
}

std::string runLevelName(RunLevel level) {
    switch (level) {
        case RunLevel::Keypoints: return "keypoints";
        case RunLevel::Heatmaps: return "heatmaps";
        case RunLevel::Full: return "full";
    }
    return "keypoints";
}

RunLevel parseRunLevel(const std::string& name) {
    if (name == "keypoints") return RunLevel::Keypoints;
    if (name == "heatmaps") return RunLevel::Heatmaps;
    if (name == "full") return RunLevel::Full;
    throw std::invalid_argument("unknown level '" + name + "' (keypoints, heatmaps or full)");
}

// ---- writer -------------------------------------------------------------------------------

// One writer per run file: a POSIX write lock (fcntl) held while a RunWriter has the file open,
// so that a second record/occlude/merge on the same file stops with a message instead of writing
// beside the first (HDF5's own lock is gone once single-writer mode starts, and resuming clears
// the "open for writing" mark). fcntl locks do not interact with the flock HDF5 takes itself.
class WriterLock {
public:
    WriterLock() = default;
    explicit WriterLock(const std::string& path) {
        m_fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
        if (m_fd < 0) return;  // the HDF5 open that follows reports it
        struct flock lock {};
        lock.l_type = F_WRLCK;
        lock.l_whence = SEEK_SET;
        if (::fcntl(m_fd, F_SETLK, &lock) == 0) return;
        const int err = errno;
        ::close(m_fd);
        m_fd = -1;
        if (err == EACCES || err == EAGAIN)
            throw H5Error(path,
                          "is being written by another process (a record, occlude or merge still running): "
                          "let it finish or stop it first");
    }
    ~WriterLock() {
        if (m_fd >= 0) ::close(m_fd);
    }
    WriterLock(WriterLock&& o) noexcept : m_fd(o.m_fd) { o.m_fd = -1; }
    WriterLock& operator=(WriterLock&& o) noexcept {
        std::swap(m_fd, o.m_fd);
        return *this;
    }

private:
    int m_fd = -1;
};

struct RunWriter::State {
    WriterLock lock;  // first: released after the file is closed
    std::string path;
    RunHeader header;
    std::vector<Column> columns;
    Handle file;
    std::vector<Handle> datasets;  // parallel to columns
    Handle bytes;
    Handle committed;
    hsize_t rows = 0, byteCount = 0;
    int64_t lastIndex = -1;

    void openDatasets() {
        Handle group(H5Gopen2(file.get(), "samples", H5P_DEFAULT), H5Gclose);
        if (!group.ok()) fail(path, "no group /samples");
        datasets.clear();
        for (const Column& c : columns) {
            Handle d(H5Dopen2(group.get(), c.name.c_str(), H5P_DEFAULT), H5Dclose);
            if (!d.ok()) {
                h5::errorStack();
                throw RunFormatError(path, "missing dataset /samples/" + c.name);
            }
            datasets.push_back(std::move(d));
        }
        bytes = Handle(H5Dopen2(file.get(), "crop_jpeg", H5P_DEFAULT), H5Dclose);
        committed = Handle(H5Dopen2(file.get(), "committed_samples", H5P_DEFAULT), H5Dclose);
        if (!bytes.ok() || !committed.ok()) {
            h5::errorStack();
            throw RunFormatError(path, "missing dataset /crop_jpeg or /committed_samples");
        }
    }

    bool failed = false;
    hsize_t committedCount = 0;

    // After a failed write HDF5 must not write again: closing would flush a superblock and chunk
    // index that point at data which never reached the disk. Point the file descriptor at
    // /dev/null, then close: the file keeps exactly what the last successful writes left, like a
    // killed process, and resume() continues from its last flush.
    void detach() {
        failed = true;
        void* handle = nullptr;
        if (file.ok() && H5Fget_vfd_handle(file.get(), H5P_DEFAULT, &handle) >= 0 && handle) {
            const int nul = ::open("/dev/null", O_RDWR);
            if (nul >= 0) {
                ::dup2(nul, *static_cast<int*>(handle));
                ::close(nul);
            }
        }
        datasets.clear();
        bytes.reset();
        committed.reset();
        file.reset();
        h5::errorStack();
    }

    void startSwmr() {
        if (H5Fstart_swmr_write(file.get()) < 0) fail(path, "cannot start single-writer mode");
    }
};

RunWriter::RunWriter(std::unique_ptr<State> s) : m(std::move(s)) {}
RunWriter::RunWriter(RunWriter&&) noexcept = default;
RunWriter& RunWriter::operator=(RunWriter&&) noexcept = default;
RunWriter::~RunWriter() {
    if (m && m->file.ok()) {
        try {
            close();
        } catch (...) {
        }
    }
}

RunWriter RunWriter::create(const std::string& path, const RunHeader& header) {
    h5::quiet();
    if (std::filesystem::exists(path))
        throw H5Error(path, "already exists; pass --resume to continue it or remove it first");
    auto s = std::make_unique<State>();
    s->path = path;
    s->header = header;
    s->header.complete = false;
    s->header.finished.clear();
    if (s->header.created.empty()) s->header.created = nowUtc();
    s->columns = columnsFor(header);
    Handle fapl(fileAccess(true), H5Pclose);
    s->file = Handle(H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl.get()), H5Fclose);
    if (!s->file.ok()) fail(path, "cannot create the run file");
    s->lock = WriterLock(path);
    writeHeader(s->file.get(), path, s->header);
    {
        Handle group(H5Gcreate2(s->file.get(), "samples", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
        if (!group.ok()) fail(path, "cannot create /samples");
        for (const Column& c : s->columns)
            createColumn(group.get(), path, c);
    }
    createBytes(s->file.get(), path);
    s->openDatasets();
    s->startSwmr();
    return RunWriter(std::move(s));
}

RunWriter RunWriter::resume(const std::string& path, RunHeader& header) {
    h5::quiet();
    if (!std::filesystem::exists(path)) throw H5Error(path, "cannot resume: no such file");
    h5::requireHdf5File(path);
    auto s = std::make_unique<State>();
    s->lock = WriterLock(path);  // before anything touches the file
    s->path = path;
    Handle fapl(fileAccess(true), H5Pclose);
    // A writer killed in single-writer mode leaves the superblock marked "open for writing";
    // this is the property HDF5's own h5clear tool uses to take the mark off.
    hbool_t clear = 1;
    H5Pset(fapl.get(), "clear_status_flags", &clear);
    extendTruncatedFile(path);
    h5::errorStack();
    s->file = Handle(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl.get()), H5Fclose);
    if (!s->file.ok()) fail(path, "cannot reopen the run for writing");
    s->header = readHeader(s->file.get(), path);
    s->columns = columnsFor(s->header);
    s->openDatasets();
    // Rows the last flush made durable; a crash can leave columns longer than that.
    hsize_t rows = committedRows(s->file.get(), path);
    for (const Handle& d : s->datasets)
        rows = std::min(rows, rowsOf(d.get()));
    for (const Handle& d : s->datasets)
        rows = std::min(rows, rowsOf(d.get()));
    hsize_t byteCount = 0;
    if (rows > 0) {
        const size_t rangeColumn =
            static_cast<size_t>(std::find_if(s->columns.begin(), s->columns.end(),
                                             [](const Column& c) { return c.name == "crop_jpeg_range"; }) -
                                s->columns.begin());
        int64_t range[2];
        readBlock(s->datasets[rangeColumn].get(), path, "crop_jpeg_range", {rows - 1, 0}, {1, 2}, H5T_NATIVE_INT64,
                  range);
        byteCount = static_cast<hsize_t>(range[0] + range[1]);
        int64_t last = 0;
        readBlock(s->datasets[0].get(), path, "index", {rows - 1}, {1}, H5T_NATIVE_INT64, &last);
        s->lastIndex = last;
    }
    if (rowsOf(s->bytes.get()) < byteCount)
        throw RunFormatError(path, "/crop_jpeg is shorter than /samples/crop_jpeg_range says");
    for (size_t i = 0; i < s->columns.size(); ++i)
        appendRows(s->datasets[i].get(), path, s->columns[i].name, rows, 0, s->columns[i].shape, H5T_NATIVE_UINT8,
                   nullptr);
    appendRows(s->bytes.get(), path, "crop_jpeg", byteCount, 0, {}, H5T_NATIVE_UINT8, nullptr);
    s->rows = rows;
    s->committedCount = rows;
    s->byteCount = byteCount;
    s->header.complete = false;
    setInt(s->file.get(), path, "complete", 0);
    if (H5Fflush(s->file.get(), H5F_SCOPE_GLOBAL) < 0) fail(path, "cannot write the file");
    s->startSwmr();
    header = s->header;
    return RunWriter(std::move(s));
}

const RunHeader& RunWriter::header() const {
    return m->header;
}

int64_t RunWriter::size() const {
    return static_cast<int64_t>(m->rows);
}

int64_t RunWriter::lastIndex() const {
    return m->lastIndex;
}

void RunWriter::append(const std::vector<RunSample>& samples) {
    if (samples.empty()) return;
    if (!m->file.ok()) throw H5Error(m->path, "the run is closed");
    try {
        appendBatch(samples);
    } catch (const H5Error&) {
        m->detach();
        throw;
    }
}

void RunWriter::appendBatch(const std::vector<RunSample>& samples) {
    const RunHeader& h = m->header;
    const std::string& path = m->path;
    const hsize_t n = samples.size();
    const int K = h.keypoints();
    // Gather every column into one contiguous buffer, then write each with a single hyperslab.
    std::vector<uint8_t> jpeg;
    std::vector<int64_t> ranges;
    for (const RunSample& s : samples) {
        ranges.push_back(static_cast<int64_t>(m->byteCount + jpeg.size()));
        ranges.push_back(static_cast<int64_t>(s.cropJpeg.size()));
        jpeg.insert(jpeg.end(), s.cropJpeg.begin(), s.cropJpeg.end());
    }
    for (size_t ci = 0; ci < m->columns.size(); ++ci) {
        const Column& c = m->columns[ci];
        const size_t per = c.elements();
        auto check = [&](size_t got, const char* what) {
            if (got != per)
                throw RunFormatError(path, std::string(what) + ": expected " + std::to_string(per) + " values, got " +
                                               std::to_string(got));
        };
        std::vector<int64_t> i64;
        std::vector<int32_t> i32;
        std::vector<float> f32;
        torch::Tensor f16;
        const void* data = nullptr;
        if (c.kind == Kind::I64) {
            for (size_t r = 0; r < samples.size(); ++r) {
                const RunSample& s = samples[r];
                if (c.name == "index") i64.push_back(s.index);
                if (c.name == "image_id") i64.push_back(s.imageId);
                if (c.name == "annotation_id") i64.push_back(s.annotationId);
                if (c.name == "crop_jpeg_range") i64.insert(i64.end(), {ranges[2 * r], ranges[2 * r + 1]});
                if (c.name == "occluder_id") {
                    check(s.occluderId.size(), "occluder_id");
                    i64.insert(i64.end(), s.occluderId.begin(), s.occluderId.end());
                }
            }
            data = i64.data();
        } else if (c.kind == Kind::I32) {
            for (const RunSample& s : samples) {
                const std::vector<int32_t>& v = c.name == "query_tokens"      ? s.queryTokens
                                                : c.name == "targeted_region" ? s.targetedRegion
                                                                              : s.keptRank;
                check(v.size(), c.name.c_str());
                i32.insert(i32.end(), v.begin(), v.end());
            }
            data = i32.data();
        } else if (c.kind == Kind::F32) {
            for (const RunSample& s : samples) {
                const float* p = nullptr;
                size_t count = 0;
                if (c.name == "box") p = s.box.data(), count = 4;
                if (c.name == "box_score") p = &s.boxScore, count = 1;
                if (c.name == "center") p = s.center.data(), count = 2;
                if (c.name == "scale") p = s.scale.data(), count = 2;
                if (c.name == "crop_transform") p = s.cropTransform.data(), count = 6;
                if (c.name == "ground_truth") {
                    if (s.groundTruth.empty()) {
                        f32.insert(f32.end(), static_cast<size_t>(3 * K), 0.f);
                        continue;
                    }
                    p = s.groundTruth.data(), count = s.groundTruth.size();
                }
                if (c.name == "keypoints") p = s.keypoints.data(), count = s.keypoints.size();
                if (c.name == "layer_keypoints") p = s.layerKeypoints.data(), count = s.layerKeypoints.size();
                if (c.name == "pruning_scores") p = s.pruningScores.data(), count = s.pruningScores.size();
                if (c.name == "reference_oks") p = s.referenceOks.data(), count = s.referenceOks.size();
                if (c.name == "occluder_share") p = s.occluderShare.data(), count = s.occluderShare.size();
                if (c.name == "targeted_keypoints") p = s.targetedKeypoints.data(), count = s.targetedKeypoints.size();
                if (c.name == "targeted_share_before")
                    p = s.targetedShareBefore.data(), count = s.targetedShareBefore.size();
                if (c.name == "targeted_share_after")
                    p = s.targetedShareAfter.data(), count = s.targetedShareAfter.size();
                torch::Tensor map;  // the sliding-occlusion maps arrive as tensors
                if (c.name == "occlusion_score_drop") map = s.occlusionScoreDrop;
                if (c.name == "occlusion_displacement") map = s.occlusionDisplacement;
                if (c.name == "occlusion_oks") map = s.occlusionOks;
                if (map.defined()) {
                    map = map.to(torch::kFloat32).contiguous();
                    p = map.data_ptr<float>(), count = static_cast<size_t>(map.numel());
                } else if (c.name.rfind("occlusion_", 0) == 0) {
                    count = 0;
                }
                check(count, c.name.c_str());
                f32.insert(f32.end(), p, p + count);
            }
            data = f32.data();
        } else {  // float16 tensors
            std::vector<torch::Tensor> parts;
            std::vector<int64_t> shape(c.shape.begin(), c.shape.end());
            for (const RunSample& s : samples) {
                const torch::Tensor& t = c.name == "dependency"            ? s.dependency
                                         : c.name == "dependency_heads"    ? s.dependencyHeads
                                         : c.name == "mhsa_dependency"     ? s.mhsaDependency
                                         : c.name == "heatmaps"            ? s.heatmaps
                                         : c.name == "mhsa_attention"      ? s.mhsaAttention
                                         : c.name == "targeted_rows"       ? s.targetedRows
                                         : c.name == "targeted_dependency" ? s.targetedDependency
                                                                           : s.attention;
                parts.push_back(asHalf(t, shape, path, c.name));
            }
            f16 = torch::stack(parts).contiguous();
            data = f16.data_ptr();
        }
        appendRows(m->datasets[ci].get(), path, "/samples/" + c.name, m->rows, n, c.shape, memType(c.kind), data);
    }
    appendRows(m->bytes.get(), path, "/crop_jpeg", m->byteCount, jpeg.size(), {}, H5T_NATIVE_UINT8, jpeg.data());
    m->rows += n;
    m->byteCount += jpeg.size();
    m->lastIndex = samples.back().index;
}

void RunWriter::flush() {
    if (!m->file.ok()) return;
    try {
        flushNow();
    } catch (const H5Error&) {
        m->detach();
        throw;
    }
}

void RunWriter::flushNow() {
    // Two steps: first everything appended reaches the file, then the counter that says so. A kill
    // at any moment leaves a counter no larger than the rows that are fully on disk.
    if (H5Fflush(m->file.get(), H5F_SCOPE_GLOBAL) < 0) fail(m->path, "cannot write the file");
    const auto rows = static_cast<int64_t>(m->rows);
    if (H5Dwrite(m->committed.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &rows) < 0 ||
        H5Fflush(m->file.get(), H5F_SCOPE_GLOBAL) < 0)
        fail(m->path, "cannot write the file");
    m->committedCount = m->rows;
}

int64_t RunWriter::durableSize() const {
    return static_cast<int64_t>(m->committedCount);
}

void RunWriter::close() {
    if (!m->file.ok()) return;
    flush();
    m->datasets.clear();
    m->bytes.reset();
    m->committed.reset();
    if (!m->file.reset()) fail(m->path, "cannot close the file");
}

void RunWriter::finish(int64_t skippedSamples) {
    if (m->failed) throw H5Error(m->path, "cannot mark the run complete after a failed write; resume it");
    close();
    // Attributes cannot change in single-writer mode: reopen the closed file normally to mark it.
    Handle fapl(fileAccess(true), H5Pclose);
    Handle file(H5Fopen(m->path.c_str(), H5F_ACC_RDWR, fapl.get()), H5Fclose);
    if (!file.ok()) fail(m->path, "cannot reopen the run to mark it complete");
    m->header.complete = true;
    m->header.finished = nowUtc();
    m->header.skippedSamples = skippedSamples;
    setInt(file.get(), m->path, "complete", 1);
    setString(file.get(), m->path, "finished", m->header.finished);
    setInt(file.get(), m->path, "skipped_samples", skippedSamples);
    if (H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0) fail(m->path, "cannot write the file");
    if (!file.reset()) fail(m->path, "cannot close the file");
}

// ---- reader -------------------------------------------------------------------------------

struct RunReader::State {
    std::string path;
    RunHeader header;
    std::vector<Column> columns;
    Handle file;
    std::vector<Handle> datasets;
    Handle bytes;
    hsize_t rows = 0;

    hid_t column(const std::string& name) const {
        for (size_t i = 0; i < columns.size(); ++i)
            if (columns[i].name == name) return datasets[i].get();
        throw RunFormatError(path, "the run has no /samples/" + name + " (level " + runLevelName(header.level) + ", " +
                                       std::to_string(header.heads) + " head(s))");
    }
    const Column& spec(const std::string& name) const {
        for (const Column& c : columns)
            if (c.name == name) return c;
        throw RunFormatError(path, "the run has no /samples/" + name);
    }
    void checkRow(int64_t row) const {
        if (row < 0 || static_cast<hsize_t>(row) >= rows)
            throw RunFormatError(path, "sample row " + std::to_string(row) + " out of range (the run holds " +
                                           std::to_string(rows) + ")");
    }
    torch::Tensor halfRows(const std::string& name, std::vector<hsize_t> start, std::vector<hsize_t> size) const {
        std::vector<int64_t> shape(size.begin() + 1, size.end());
        torch::Tensor out = torch::empty(shape, torch::kHalf);
        readBlock(column(name), path, "/samples/" + name, std::move(start), std::move(size), h5::float16Type(),
                  out.data_ptr());
        return out.to(torch::kFloat32);
    }
    /// One [T, T] attention matrix of a row from `name` ([rows, layers or blocks, heads, T, T]).
    torch::Tensor matrix(const std::string& name, int64_t row, int index, int head) const {
        const auto T = static_cast<hsize_t>(header.tokens());
        return halfRows(name,
                        {static_cast<hsize_t>(row), static_cast<hsize_t>(index), static_cast<hsize_t>(head), 0, 0},
                        {1, 1, 1, T, T})
            .reshape({header.tokens(), header.tokens()});
    }
};

RunReader::RunReader(std::unique_ptr<State> s) : m(std::move(s)) {}
RunReader::RunReader(RunReader&&) noexcept = default;
RunReader& RunReader::operator=(RunReader&&) noexcept = default;
RunReader::~RunReader() = default;

RunReader RunReader::open(const std::string& path) {
    h5::quiet();
    if (!std::filesystem::exists(path)) throw H5Error(path, "no such file");
    h5::requireHdf5File(path);
    auto s = std::make_unique<State>();
    s->path = path;
    // A file shorter than HDF5 recorded: normal for a run being recorded or stopped by a kill or a
    // full disk (the missing bytes lie past its last flush), damage for a finished run (a copy cut
    // short), whose samples would read as zeros. The latter is refused and the file put back as it was.
    const uint64_t shortBy = extendTruncatedFile(path);
    const auto cutShort = [&](const std::string& detail) {
        s->file = Handle();
        const uint64_t size = std::filesystem::file_size(path);
        (void)::truncate(path.c_str(), static_cast<off_t>(size - shortBy));
        return RunFormatError(path, "was cut short: its last " + std::to_string(shortBy) + " of " +
                                        std::to_string(size) + " bytes are missing" + detail +
                                        " (an interrupted copy or download?); copy it again");
    };
    Handle fapl(fileAccess(false), H5Pclose);
    s->file = Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
    if (!s->file.ok()) {
        // Being recorded right now, or killed while recording: open as a single-writer reader.
        const std::string plain = h5::errorStack();
        s->file = Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl.get()), H5Fclose);
        if (!s->file.ok()) {
            h5::errorStack();
            if (shortBy > 0) throw cutShort("");
            throw H5Error(path, "cannot open as HDF5 (" + plain + ")");
        }
    }
    try {
        s->header = readHeader(s->file.get(), path);
    } catch (const RunFormatError&) {
        if (shortBy > 0) throw cutShort(", with its run attributes");
        throw;
    }
    if (shortBy > 0 && s->header.complete) throw cutShort(" although the run was finished");
    s->columns = columnsFor(s->header);
    Handle group(H5Gopen2(s->file.get(), "samples", H5P_DEFAULT), H5Gclose);
    if (!group.ok()) {
        h5::errorStack();
        throw RunFormatError(path, "missing group /samples");
    }
    s->rows = ~hsize_t{0};
    for (const Column& c : s->columns) {
        Handle d(H5Dopen2(group.get(), c.name.c_str(), H5P_DEFAULT), H5Dclose);
        if (!d.ok()) {
            h5::errorStack();
            throw RunFormatError(path, "missing dataset /samples/" + c.name);
        }
        Handle space(H5Dget_space(d.get()), H5Sclose);
        std::vector<hsize_t> dims(static_cast<size_t>(std::max(0, H5Sget_simple_extent_ndims(space.get()))));
        H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
        if (dims.size() != c.shape.size() + 1 || !std::equal(c.shape.begin(), c.shape.end(), dims.begin() + 1))
            throw RunFormatError(path, "/samples/" + c.name + " does not have the shape the header implies");
        s->rows = std::min(s->rows, dims[0]);
        s->datasets.push_back(std::move(d));
    }
    s->bytes = Handle(H5Dopen2(s->file.get(), "crop_jpeg", H5P_DEFAULT), H5Dclose);
    if (!s->bytes.ok()) {
        h5::errorStack();
        throw RunFormatError(path, "missing dataset /crop_jpeg");
    }
    s->rows = std::min(s->rows, committedRows(s->file.get(), path));
    return RunReader(std::move(s));
}

const RunHeader& RunReader::header() const {
    return m->header;
}

const std::string& RunReader::path() const {
    return m->path;
}

int64_t RunReader::size() const {
    return static_cast<int64_t>(m->rows);
}

RunSample RunReader::sample(int64_t row) const {
    m->checkRow(row);
    const auto r = static_cast<hsize_t>(row);
    const int K = m->header.keypoints(), L = m->header.layers;
    RunSample s;
    auto i64 = [&](const char* name) {
        int64_t v = 0;
        readBlock(m->column(name), m->path, name, {r}, {1}, H5T_NATIVE_INT64, &v);
        return v;
    };
    auto f32 = [&](const char* name, float* out) {
        const Column& c = m->spec(name);
        std::vector<hsize_t> start(c.shape.size() + 1, 0), size = {1};
        start[0] = r;
        size.insert(size.end(), c.shape.begin(), c.shape.end());
        readBlock(m->column(name), m->path, name, start, size, H5T_NATIVE_FLOAT, out);
    };
    s.index = i64("index");
    s.imageId = i64("image_id");
    s.annotationId = i64("annotation_id");
    f32("box", s.box.data());
    f32("box_score", &s.boxScore);
    f32("center", s.center.data());
    f32("scale", s.scale.data());
    f32("crop_transform", s.cropTransform.data());
    s.groundTruth.resize(static_cast<size_t>(3 * K));
    f32("ground_truth", s.groundTruth.data());
    s.keypoints.resize(static_cast<size_t>(3 * K));
    f32("keypoints", s.keypoints.data());
    s.layerKeypoints.resize(static_cast<size_t>(3 * K * L));
    f32("layer_keypoints", s.layerKeypoints.data());
    s.queryTokens.resize(static_cast<size_t>(K));
    readBlock(m->column("query_tokens"), m->path, "query_tokens", {r, 0}, {1, static_cast<hsize_t>(K)},
              H5T_NATIVE_INT32, s.queryTokens.data());
    if (const int stages = m->header.pruningStages(); stages > 0) {
        const auto S = static_cast<hsize_t>(stages), T = static_cast<hsize_t>(m->header.tokens());
        s.pruningScores.resize(static_cast<size_t>(S * T));
        f32("pruning_scores", s.pruningScores.data());
        s.keptRank.resize(static_cast<size_t>(S * T));
        readBlock(m->column("kept_rank"), m->path, "kept_rank", {r, 0, 0}, {1, S, T}, H5T_NATIVE_INT32,
                  s.keptRank.data());
    }
    if (m->header.hasOcclusion()) {
        s.referenceOks.resize(static_cast<size_t>(K));
        f32("reference_oks", s.referenceOks.data());
        s.occluderId.resize(static_cast<size_t>(K));
        readBlock(m->column("occluder_id"), m->path, "occluder_id", {r, 0}, {1, static_cast<hsize_t>(K)},
                  H5T_NATIVE_INT64, s.occluderId.data());
        s.occluderShare.resize(static_cast<size_t>(L * K));
        f32("occluder_share", s.occluderShare.data());
        if (m->header.targetedMargin > 0) {
            const int R = m->header.targetedRegions();
            s.targetedRegion.resize(static_cast<size_t>(4 * R));
            readBlock(m->column("targeted_region"), m->path, "targeted_region", {r, 0, 0},
                      {1, static_cast<hsize_t>(R), 4}, H5T_NATIVE_INT32, s.targetedRegion.data());
            s.targetedKeypoints.resize(static_cast<size_t>(3 * R * K));
            f32("targeted_keypoints", s.targetedKeypoints.data());
            s.targetedShareBefore.resize(static_cast<size_t>(R * L * K));
            f32("targeted_share_before", s.targetedShareBefore.data());
            s.targetedShareAfter.resize(static_cast<size_t>(R * L * K));
            f32("targeted_share_after", s.targetedShareAfter.data());
        }
    }
    return s;
}

torch::Tensor RunReader::dependency(int64_t row) const {
    m->checkRow(row);
    const RunHeader& h = m->header;
    return m->halfRows(
        "dependency", {static_cast<hsize_t>(row), 0, 0, 0},
        {1, static_cast<hsize_t>(h.layers), static_cast<hsize_t>(h.keypoints()), static_cast<hsize_t>(h.tokens())});
}

torch::Tensor RunReader::dependencyHeads(int64_t row) const {
    m->checkRow(row);
    const RunHeader& h = m->header;
    if (h.heads <= 1) return dependency(row).unsqueeze(1);
    return m->halfRows("dependency_heads", {static_cast<hsize_t>(row), 0, 0, 0, 0},
                       {1, static_cast<hsize_t>(h.layers), static_cast<hsize_t>(h.heads),
                        static_cast<hsize_t>(h.keypoints()), static_cast<hsize_t>(h.tokens())});
}

torch::Tensor RunReader::dependencyMap(int64_t row, int layer, int keypoint, int head) const {
    m->checkRow(row);
    const RunHeader& h = m->header;
    if (layer < 0 || layer >= h.layers || keypoint < 0 || keypoint >= h.keypoints() || head < -1 || head >= h.heads)
        throw RunFormatError(m->path, "layer " + std::to_string(layer) + ", keypoint " + std::to_string(keypoint) +
                                          ", head " + std::to_string(head) + " out of range");
    const auto T = static_cast<hsize_t>(h.tokens());
    torch::Tensor t;
    if (head < 0 || h.heads == 1)
        t = m->halfRows("dependency",
                        {static_cast<hsize_t>(row), static_cast<hsize_t>(layer), static_cast<hsize_t>(keypoint), 0},
                        {1, 1, 1, T});
    else
        t = m->halfRows("dependency_heads",
                        {static_cast<hsize_t>(row), static_cast<hsize_t>(layer), static_cast<hsize_t>(head),
                         static_cast<hsize_t>(keypoint), 0},
                        {1, 1, 1, 1, T});
    return t.reshape({h.gridRows, h.gridCols});
}

torch::Tensor RunReader::mhsaDependency(int64_t row) const {
    m->checkRow(row);
    const RunHeader& h = m->header;
    if (h.mhsaBlocks == 0) throw RunFormatError(m->path, "the run's model has no MHSA blocks (BTranspose's BoT)");
    return m->halfRows("mhsa_dependency", {static_cast<hsize_t>(row), 0, 0, 0, 0},
                       {1, static_cast<hsize_t>(h.mhsaBlocks), static_cast<hsize_t>(h.mhsaHeads),
                        static_cast<hsize_t>(h.keypoints()), static_cast<hsize_t>(h.tokens())});
}

torch::Tensor RunReader::mhsaDependencyMap(int64_t row, int block, int keypoint, int head) const {
    m->checkRow(row);
    const RunHeader& h = m->header;
    if (h.mhsaBlocks == 0) throw RunFormatError(m->path, "the run's model has no MHSA blocks (BTranspose's BoT)");
    if (block < 0 || block >= h.mhsaBlocks || keypoint < 0 || keypoint >= h.keypoints() || head < -1 ||
        head >= h.mhsaHeads)
        throw RunFormatError(m->path, "MHSA block " + std::to_string(block) + ", keypoint " + std::to_string(keypoint) +
                                          ", head " + std::to_string(head) + " out of range");
    const auto T = static_cast<hsize_t>(h.tokens());
    const bool all = head < 0;
    const torch::Tensor t = m->halfRows("mhsa_dependency",
                                        {static_cast<hsize_t>(row), static_cast<hsize_t>(block),
                                         all ? 0 : static_cast<hsize_t>(head), static_cast<hsize_t>(keypoint), 0},
                                        {1, 1, all ? static_cast<hsize_t>(h.mhsaHeads) : 1, 1, T});
    return (all ? t.mean(1) : t).reshape({h.gridRows, h.gridCols});  // [1, heads, 1, T]
}

torch::Tensor RunReader::mhsaAttention(int64_t row, int block, int head) const {
    m->checkRow(row);
    const RunHeader& h = m->header;
    if (block < 0 || block >= h.mhsaBlocks || head < 0 || head >= h.mhsaHeads)
        throw RunFormatError(
            m->path, "MHSA block " + std::to_string(block) + ", head " + std::to_string(head) + " out of range");
    return m->matrix("mhsa_attention", row, block, head);
}

std::string RunReader::cropJpeg(int64_t row) const {
    m->checkRow(row);
    int64_t range[2];
    readBlock(m->column("crop_jpeg_range"), m->path, "crop_jpeg_range", {static_cast<hsize_t>(row), 0}, {1, 2},
              H5T_NATIVE_INT64, range);
    std::string out(static_cast<size_t>(range[1]), '\0');
    if (range[1] > 0)
        readBlock(m->bytes.get(), m->path, "/crop_jpeg", {static_cast<hsize_t>(range[0])},
                  {static_cast<hsize_t>(range[1])}, H5T_NATIVE_UINT8, out.data());
    return out;
}

torch::Tensor RunReader::heatmaps(int64_t row) const {
    m->checkRow(row);
    const RunHeader& h = m->header;
    return m->halfRows("heatmaps", {static_cast<hsize_t>(row), 0, 0, 0},
                       {1, static_cast<hsize_t>(h.keypoints()), static_cast<hsize_t>(h.heatmapHeight),
                        static_cast<hsize_t>(h.heatmapWidth)});
}

torch::Tensor RunReader::attention(int64_t row, int layer, int head) const {
    m->checkRow(row);
    const RunHeader& h = m->header;
    if (layer < 0 || layer >= h.layers || head < 0 || head >= h.heads)
        throw RunFormatError(m->path,
                             "layer " + std::to_string(layer) + ", head " + std::to_string(head) + " out of range");
    return m->matrix("attention", row, layer, head);
}

torch::Tensor RunReader::array(int64_t row, const std::string& column) const {
    m->checkRow(row);
    const Column& c = m->spec(column);
    if (c.kind != Kind::F32 && c.kind != Kind::F16)
        throw RunFormatError(m->path, "/samples/" + column + " is not a float array");
    std::vector<hsize_t> start(c.shape.size() + 1, 0), size = {1};
    start[0] = static_cast<hsize_t>(row);
    size.insert(size.end(), c.shape.begin(), c.shape.end());
    std::vector<int64_t> shape(c.shape.begin(), c.shape.end());
    torch::Tensor out = torch::empty(shape, torch::kFloat32);
    readBlock(m->column(column), m->path, column, start, size, H5T_NATIVE_FLOAT, out.data_ptr<float>());
    return out;
}

std::vector<int64_t> RunReader::indices() const {
    return int64Column("index");
}

std::vector<int64_t> RunReader::int64Column(const std::string& name) const {
    std::vector<int64_t> out(m->rows);
    if (m->rows > 0) readBlock(m->column(name), m->path, name, {0}, {m->rows}, H5T_NATIVE_INT64, out.data());
    return out;
}

std::vector<float> RunReader::floatColumn(const std::string& name) const {
    const Column& c = m->spec(name);
    std::vector<float> out(m->rows * c.elements());
    if (m->rows == 0) return out;
    std::vector<hsize_t> start(c.shape.size() + 1, 0), size = {m->rows};
    size.insert(size.end(), c.shape.begin(), c.shape.end());
    readBlock(m->column(name), m->path, name, start, size, H5T_NATIVE_FLOAT, out.data());
    return out;
}

int64_t RunReader::fileBytes() const {
    struct stat st {};
    return ::stat(m->path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

}  // namespace posescope::analysis
