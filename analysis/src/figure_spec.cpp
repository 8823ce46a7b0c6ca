// Figure specs: the JSON that describes a figure (docs/figures.md), read, checked and written.
#include "posescope/analysis/figure.h"

#include "posescope/analysis/colormap.h"
#include "posescope/datasets/atomic_file.h"
#include "posescope/datasets/error.h"
#include "posescope/datasets/json.h"
#include "posescope/datasets/json_text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace posescope::analysis {

namespace fs = std::filesystem;

std::string figureKindName(FigureKind kind) {
    switch (kind) {
        case FigureKind::Dependencies: return "dependencies";
        case FigureKind::Heatmaps: return "heatmaps";
        case FigureKind::Pose: return "pose";
        case FigureKind::Layerwise: return "layerwise";
        case FigureKind::Image: return "image";
        case FigureKind::Tokens: return "tokens";
        case FigureKind::Pruning: return "pruning";
        case FigureKind::Scales: return "scales";
        case FigureKind::Sensitivity: return "sensitivity";
        case FigureKind::Targeted: return "targeted";
        case FigureKind::Occlusion: return "occlusion";
        case FigureKind::Models: return "models";
        case FigureKind::Comparison: return "comparison";
    }
    return "dependencies";
}

// ---------------------------------------------------------------------------------------------
// The spec as JSON.

namespace {

std::string number(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

template <typename T>
std::string list(const std::vector<T>& v) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i)
        out += (i ? ", " : "") + std::to_string(v[i]);
    return out + "]";
}

std::string stringList(const std::vector<std::string>& v) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i)
        out += (i ? ", " : "") + jsonString(v[i]);
    return out + "]";
}

}  // namespace

std::string figureSpecJson(const FigureSpec& s) {
    std::string j = "{\n";
    j += "  \"format\": \"posescope-figure\",\n  \"version\": 1,\n";
    j += "  \"kind\": " + jsonString(figureKindName(s.kind)) + ",\n";
    j += "  \"run\": " + jsonString(s.run) + ",\n";
    j += "  \"rows\": " + list(s.rows) + ",\n";
    j += "  \"layers\": " + list(s.layers) + ",\n";
    j += "  \"keypoints\": " + list(s.keypoints) + ",\n";
    j += "  \"head\": " + std::to_string(s.head) + ",\n";
    j += "  \"mhsa_blocks\": " + list(s.mhsaBlocks) + ",\n";
    j += "  \"mhsa_head\": " + std::to_string(s.mhsaHead) + ",\n";
    j += std::string("  \"direction\": ") + (s.direction == MapDirection::Affect ? "\"affect\"" : "\"dependency\"") +
         ",\n";
    j += "  \"point\": " + (s.usePoint ? "[" + number(s.pointX) + ", " + number(s.pointY) + "]" : "null") + ",\n";
    j += "  \"colormap\": " + jsonString(s.colormap) + ",\n";
    j += std::string("  \"scale\": ") + (s.sharedScale ? "\"shared\"" : "\"panel\"") + ",\n";
    j += "  \"threshold\": " + number(s.threshold) + ",\n";
    j += "  \"alpha\": " + number(s.alpha) + ",\n";
    j += std::string("  \"show_pose\": ") + (s.showPose ? "true" : "false") + ",\n";
    j += std::string("  \"colorbar\": ") + (s.showColorbar ? "true" : "false") + ",\n";
    j += std::string("  \"labels\": ") + (s.showLabels ? "true" : "false") + ",\n";
    j += "  \"panel_width_mm\": " + number(s.panelWidthMm) + ",\n";
    j += "  \"dpi\": " + std::to_string(s.dpi) + ",\n";
    j += std::string("  \"overlay\": ") +
         (s.overlay == ImageOverlay::Heatmap       ? "\"heatmap\""
          : s.overlay == ImageOverlay::Dependency  ? "\"dependency\""
          : s.overlay == ImageOverlay::Sensitivity ? "\"sensitivity\""
                                                   : "\"none\"") +
         ",\n";
    j += std::string("  \"whole_image\": ") + (s.wholeImage ? "true" : "false") + ",\n";
    j += "  \"context\": " + number(s.context) + ",\n";
    j += "  \"bands\": " + jsonString(s.bands) + ",\n";
    j += "  \"gt\": " + jsonString(s.gt) + ",\n";
    j += std::string("  \"quantisation_unit\": ") +
         (s.quantisationUnit == QuantisationUnit::Normalised ? "\"normalised\"" : "\"pixels\"") + ",\n";
    j += "  \"measure\": " + jsonString(sensitivityMeasureName(s.measure)) + ",\n";
    j += "  \"runs\": " + stringList(s.runs) + ",\n";
    j += "  \"part\": " + jsonString(s.part) + ",\n";
    j += "  \"chart\": " + jsonString(s.chart) + ",\n";
    j += "  \"output\": " + jsonString(s.output) + "\n}\n";
    return j;
}

FigureSpec parseFigureSpec(const std::string& text, const std::string& file) {
    const json::JsonDocument doc(text, file);
    const json::JsonValue root = doc.root();
    if (!root.isObject()) root.fail("expected an object (a figure spec)");
    FigureSpec s;
    json::JsonValue v = root;
    if (root.optional("format", &v) && v.string() != "posescope-figure")
        v.fail("expected \"posescope-figure\", got \"" + v.string() + "\"");
    if (root.optional("version", &v) && v.integer() > 1)
        v.fail("version " + std::to_string(v.integer()) + " is newer than this PoseScope reads (1)");
    if (root.optional("kind", &v)) {
        const std::string k = v.string();
        if (k == "dependencies")
            s.kind = FigureKind::Dependencies;
        else if (k == "heatmaps")
            s.kind = FigureKind::Heatmaps;
        else if (k == "pose")
            s.kind = FigureKind::Pose;
        else if (k == "layerwise")
            s.kind = FigureKind::Layerwise;
        else if (k == "image")
            s.kind = FigureKind::Image;
        else if (k == "tokens")
            s.kind = FigureKind::Tokens;
        else if (k == "pruning")
            s.kind = FigureKind::Pruning;
        else if (k == "scales")
            s.kind = FigureKind::Scales;
        else if (k == "sensitivity")
            s.kind = FigureKind::Sensitivity;
        else if (k == "targeted")
            s.kind = FigureKind::Targeted;
        else if (k == "occlusion")
            s.kind = FigureKind::Occlusion;
        else if (k == "models")
            s.kind = FigureKind::Models;
        else if (k == "comparison")
            s.kind = FigureKind::Comparison;
        else
            v.fail("unknown kind \"" + k +
                   "\" (dependencies, heatmaps, pose, layerwise, image, tokens, pruning, scales, sensitivity, "
                   "targeted, occlusion, models or comparison)");
    }
    s.run = root.field("run").string();
    auto ints = [](const json::JsonValue& a) {
        std::vector<int64_t> out;
        for (const json::JsonValue& e : a.array())
            out.push_back(e.integer());
        return out;
    };
    if (root.optional("rows", &v)) s.rows = ints(v);
    if (root.optional("layers", &v))
        for (int64_t x : ints(v))
            s.layers.push_back(static_cast<int>(x));
    if (root.optional("keypoints", &v))
        for (int64_t x : ints(v))
            s.keypoints.push_back(static_cast<int>(x));
    if (root.optional("head", &v)) s.head = static_cast<int>(v.integer());
    if (root.optional("mhsa_blocks", &v))
        for (int64_t x : ints(v))
            s.mhsaBlocks.push_back(static_cast<int>(x));
    if (root.optional("mhsa_head", &v)) s.mhsaHead = static_cast<int>(v.integer());
    if (root.optional("direction", &v)) {
        const std::string d = v.string();
        if (d == "dependency")
            s.direction = MapDirection::Dependency;
        else if (d == "affect")
            s.direction = MapDirection::Affect;
        else
            v.fail("unknown direction \"" + d + "\" (dependency or affect)");
    }
    if (root.optional("point", &v)) {
        const std::vector<double> p = v.numbers(2);
        s.usePoint = true;
        s.pointX = p[0];
        s.pointY = p[1];
    }
    if (root.optional("colormap", &v)) s.colormap = v.string();
    if (root.optional("scale", &v)) {
        const std::string sc = v.string();
        if (sc != "shared" && sc != "panel") v.fail("expected \"panel\" or \"shared\", got \"" + sc + "\"");
        s.sharedScale = sc == "shared";
    }
    if (root.optional("threshold", &v)) s.threshold = v.number();
    if (root.optional("alpha", &v)) s.alpha = v.number();
    if (root.optional("show_pose", &v)) s.showPose = v.boolean();
    if (root.optional("colorbar", &v)) s.showColorbar = v.boolean();
    if (root.optional("labels", &v)) s.showLabels = v.boolean();
    if (root.optional("panel_width_mm", &v)) s.panelWidthMm = v.number();
    if (root.optional("dpi", &v)) s.dpi = static_cast<int>(v.integer());
    if (root.optional("output", &v)) s.output = v.string();
    if (root.optional("overlay", &v)) {
        const std::string o = v.string();
        if (o == "none")
            s.overlay = ImageOverlay::None;
        else if (o == "heatmap")
            s.overlay = ImageOverlay::Heatmap;
        else if (o == "dependency")
            s.overlay = ImageOverlay::Dependency;
        else if (o == "sensitivity")
            s.overlay = ImageOverlay::Sensitivity;
        else
            v.fail("unknown overlay \"" + o + "\" (none, heatmap, dependency or sensitivity)");
    }
    if (root.optional("whole_image", &v)) s.wholeImage = v.boolean();
    if (root.optional("context", &v)) s.context = v.number();
    if (root.optional("bands", &v)) s.bands = v.string();
    if (root.optional("gt", &v)) s.gt = v.string();
    if (root.optional("part", &v)) s.part = v.string();
    if (root.optional("chart", &v)) {
        s.chart = v.string();
        if (s.chart != "accuracy" && s.chart != "errors" && s.chart != "attention" && s.chart != "keypoints")
            v.fail("unknown chart \"" + s.chart + "\" (accuracy, errors, attention or keypoints)");
    }
    if (root.optional("quantisation_unit", &v)) {
        const std::string u = v.string();
        if (u == "pixels")
            s.quantisationUnit = QuantisationUnit::Pixels;
        else if (u == "normalised")
            s.quantisationUnit = QuantisationUnit::Normalised;
        else
            v.fail("unknown quantisation unit \"" + u + "\" (pixels or normalised)");
    }
    if (root.optional("measure", &v)) {
        const std::string m = v.string();
        try {
            s.measure = parseSensitivityMeasure(m);
        } catch (const Error&) {
            v.fail("unknown measure \"" + m + "\" (score, displacement or oks)");
        }
    }
    if (root.optional("runs", &v))
        for (const json::JsonValue& e : v.array())
            s.runs.push_back(e.string());
    // Checks that need no run: the rest are checked against the run when drawing.
    auto bad = [&](const char* field, const std::string& problem) { throw FileError(file, field + (": " + problem)); };
    if (std::find(colormapNames().begin(), colormapNames().end(), s.colormap) == colormapNames().end())
        bad("colormap", "unknown colormap \"" + s.colormap + "\"");
    if (!(s.threshold >= 0 && s.threshold <= 1)) bad("threshold", "expected a number in [0, 1]");
    if (!(s.alpha >= 0 && s.alpha <= 1)) bad("alpha", "expected a number in [0, 1]");
    if (!(s.panelWidthMm >= 2 && s.panelWidthMm <= 500)) bad("panel_width_mm", "expected 2 … 500");
    if (s.dpi < 10 || s.dpi > 2400) bad("dpi", "expected 10 … 2400");
    if (s.rows.empty()) bad("rows", "expected at least one row");
    if (!(s.context >= 0 && s.context <= 20)) bad("context", "expected 0 … 20 (times the crop's size)");
    if (!s.bands.empty()) {
        try {
            (void)parseScaleBands(s.bands);
        } catch (const EvaluationError& e) {
            bad("bands", e.what());
        }
    }
    return s;
}

FigureSpec readFigureSpec(const std::string& path) {
    const simdjson::padded_string bytes = json::readJsonFile(path);
    FigureSpec s = parseFigureSpec(std::string(bytes.data(), bytes.size()), path);
    // A relative run path is relative to the spec's folder, so a figure and its run move together
    // (and so does an annotation file named beside them).
    if (!s.run.empty() && fs::path(s.run).is_relative()) s.run = (fs::path(path).parent_path() / s.run).string();
    if (!s.gt.empty() && fs::path(s.gt).is_relative()) s.gt = (fs::path(path).parent_path() / s.gt).string();
    for (std::string& r : s.runs)
        if (!r.empty() && fs::path(r).is_relative()) r = (fs::path(path).parent_path() / r).string();
    return s;
}

void writeFigureSpec(const FigureSpec& spec, const std::string& path) {
    writeFileAtomically(path, figureSpecJson(spec));
}

std::string figureOutputPath(const FigureSpec& spec, int64_t row, const std::string& fallback) {
    if (!spec.output.empty()) {
        std::string out = spec.output;
        const size_t at = out.find("{row}");
        if (at != std::string::npos) out.replace(at, 5, std::to_string(row));
        return out;
    }
    if (spec.rows.size() <= 1) return fallback;
    const fs::path p(fallback);
    return (p.parent_path() / (p.stem().string() + "_" + std::to_string(row) + p.extension().string())).string();
}

}  // namespace posescope::analysis
