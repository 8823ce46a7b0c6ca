// Models compared on the same samples, and the comparison's tables (comparison.h).
#include "posescope/analysis/comparison.h"

#include "posescope/analysis/run_scales.h"
#include "posescope/analysis/run_store.h"
#include "posescope/datasets/atomic_file.h"
#include "posescope/datasets/error.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <system_error>
#include <utility>

namespace posescope::analysis {

namespace fs = std::filesystem;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kErrorTypeNames[kPoseErrorTypeTypes] = {"good", "jitter", "inversion", "swap", "miss"};

// ---- compareRuns ------------------------------------------------------------------------------------

class Stages {
public:
    explicit Stages(const ComparisonOptions& o) : m_o(o) {}
    void report(const std::string& stage, int64_t done, int64_t total) const {
        if (m_o.progress) m_o.progress(stage, done, total);
    }
    bool cancelled() const { return m_o.cancel && m_o.cancel(); }

private:
    const ComparisonOptions& m_o;
};

// The error cases of one run: its keypoint errors, background false positives and false negatives.
void addCases(ModelComparison& m, const RunCocoInput& in, double backgroundOks) {
    const ErrorTaxonomy& t = m.taxonomy;
    auto rowOf = [&](std::size_t prediction) {
        return prediction < in.predictionRows.size() ? in.predictionRows[prediction] : int64_t{-1};
    };
    for (const MatchedPrediction& mp : t.matched) {
        for (std::size_t k = 0; k < mp.errors.size(); ++k) {
            const int e = mp.errors[k];
            if (e <= static_cast<int>(PoseErrorType::Good)) continue;  // unlabelled or good
            KeypointErrorCase c;
            c.row = rowOf(mp.prediction);
            c.imageId = in.predictions[mp.prediction].imageId;
            c.annotationId = mp.gtId;
            c.keypoint = static_cast<int>(k);
            c.type = static_cast<PoseErrorType>(e);
            c.swappedWith = k < mp.swappedWith.size() ? mp.swappedWith[k] : 0;
            m.errorCases.push_back(c);
        }
    }
    if (t.oksThresholds.empty()) return;
    std::size_t at = 0;
    for (std::size_t i = 1; i < t.oksThresholds.size(); ++i)
        if (std::abs(t.oksThresholds[i] - backgroundOks) < std::abs(t.oksThresholds[at] - backgroundOks)) at = i;
    m.backgroundOks = t.oksThresholds[at];
    for (std::size_t p : t.backgroundFalsePositives[at])
        m.backgroundFalsePositives.push_back({rowOf(p), in.predictions[p].imageId, 0});
    std::sort(m.backgroundFalsePositives.begin(), m.backgroundFalsePositives.end(),
              [](const PoseCase& x, const PoseCase& y) { return x.row < y.row; });
    std::map<int64_t, int64_t> firstRow;  // annotation id → the first row recorded from it
    for (std::size_t r = 0; r < in.rowAnnotationIds.size(); ++r)
        firstRow.emplace(in.rowAnnotationIds[r], static_cast<int64_t>(r));
    std::map<int64_t, int64_t> imageOf;
    for (const PersonAnnotation& a : in.annotations)
        imageOf.emplace(a.id, a.imageId);
    for (int64_t id : t.falseNegatives[at]) {
        const auto row = firstRow.find(id);
        m.falseNegatives.push_back({row == firstRow.end() ? -1 : row->second, imageOf[id], id});
    }
}

}  // namespace

std::vector<std::string> modelDisplayNames(const std::vector<std::string>& runPaths,
                                           const std::vector<RunHeader>& headers) {
    if (runPaths.size() != headers.size())
        throw EvaluationError("model names: " + std::to_string(runPaths.size()) + " runs but " +
                              std::to_string(headers.size()) + " headers");
    const std::size_t n = runPaths.size();
    std::vector<std::string> names(n);
    std::vector<bool> isFileName(n, false);
    for (std::size_t i = 0; i < n; ++i) {
        const RunHeader& h = headers[i];
        names[i] = h.modelFamily + (h.modelVariant.empty() || h.modelFamily.empty() ? "" : " ") + h.modelVariant;
        if (names[i].empty()) {
            names[i] = fs::path(runPaths[i]).filename().string();
            isFileName[i] = true;
        }
    }
    auto shared = [&](std::size_t i) { return std::count(names.begin(), names.end(), names[i]) > 1; };
    std::vector<bool> twice(n);
    for (std::size_t i = 0; i < n; ++i)
        twice[i] = shared(i);
    for (std::size_t i = 0; i < n; ++i)
        if (twice[i] && !isFileName[i]) names[i] += " · " + fs::path(runPaths[i]).filename().string();
    for (std::size_t i = 0; i < n; ++i)
        twice[i] = shared(i);
    std::map<std::string, int> seen;
    for (std::size_t i = 0; i < n; ++i)
        if (twice[i]) names[i] += " (" + std::to_string(++seen[names[i]]) + ")";
    return names;
}

ComparisonReport compareRuns(const std::vector<std::string>& runPaths, const ComparisonOptions& o) {
    if (runPaths.empty()) throw EvaluationError("comparison: no runs");
    const Stages stages(o);
    ComparisonReport report;
    std::vector<RunReader> readers;
    readers.reserve(runPaths.size());
    for (const std::string& path : runPaths)
        readers.push_back(RunReader::open(path));
    std::vector<const RunReader*> pointers;
    std::vector<RunHeader> headers;
    for (const RunReader& r : readers) {
        pointers.push_back(&r);
        headers.push_back(r.header());
    }

    {
        const std::string gt =
            o.gtFile.empty() ? locateRecordedFile(headers.front().dataset, runPaths.front()) : o.gtFile;
        std::error_code ec;
        report.gtFile = std::filesystem::exists(gt, ec) ? std::filesystem::absolute(gt, ec).string() : gt;
    }
    stages.report("pairing", 0, 1);
    PairingOptions pairing;
    if (static_cast<int>(o.breakdown.eval.sigmas.size()) == headers.front().keypoints())
        pairing.sigmas = o.breakdown.eval.sigmas;
    report.pairing = pairRuns(pointers, pairing);  // FileError naming a run of other samples
    stages.report("pairing", 1, 1);

    const std::vector<std::string> names = modelDisplayNames(runPaths, headers);
    for (std::size_t i = 0; i < readers.size(); ++i) {
        const RunReader& run = readers[i];
        const RunHeader& h = headers[i];
        ModelComparison m;
        m.run = run.path();
        m.name = names[i];
        m.family = h.modelFamily;
        m.variant = h.modelVariant;
        m.layers = h.layers;
        m.heads = h.heads;
        for (int l = 0; l < h.layers; ++l)
            m.firstModelLayer.push_back(layerAtSameDepth(l, h.layers, headers.front().layers));

        if (stages.cancelled()) {
            report.cancelled = true;
            return report;
        }
        const std::string breakdownStage = "breakdown " + m.name;
        stages.report(breakdownStage, 0, 1);
        const RunCocoInput in = cocoInputOfRun(run, o.gtFile);  // read once, for the breakdowns and the taxonomy
        m.breakdown = breakdownRun(run, in, o.breakdown);
        stages.report(breakdownStage, 1, 1);

        if (stages.cancelled()) {
            report.cancelled = true;
            return report;
        }
        const std::string taxonomyStage = "error taxonomy " + m.name;
        stages.report(taxonomyStage, 0, 1);
        m.predictions = static_cast<int64_t>(in.predictions.size());
        try {
            m.taxonomy = errorTaxonomy(in.images, in.annotations, in.predictions, o.taxonomy);
        } catch (const EvaluationError& e) {
            throw FileError(run.path(), e.what());
        }
        addCases(m, in, o.backgroundOks);
        stages.report(taxonomyStage, 1, 1);

        if (stages.cancelled()) {
            report.cancelled = true;
            return report;
        }
        const std::string attentionStage = "attention " + m.name;
        AttentionStatsOptions ao = o.attention;
        if (ao.annotationFile.empty()) ao.annotationFile = o.gtFile;
        ao.progress = [&](int64_t done, int64_t total) { stages.report(attentionStage, done, total); };
        ao.cancel = o.cancel;
        stages.report(attentionStage, 0, run.size());
        m.attention = attentionStats(run, ao);
        report.models.push_back(std::move(m));
        if (report.models.back().attention.cancelled) {
            report.cancelled = true;
            return report;
        }
    }

    for (const PairedSample& s : report.pairing.samples)
        if (!std::isnan(s.disagreement)) report.disagreements.push_back(s);
    sortByDisagreement(report.disagreements);
    if (report.disagreements.size() > o.topDisagreements) report.disagreements.resize(o.topDisagreements);
    return report;
}

// ---- Tables -------------------------------------------------------------------------------------------

std::string latexEscape(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        switch (c) {
            case '_':
            case '&':
            case '%':
            case '$':
            case '#':
            case '{':
            case '}': out += '\\', out += c; break;
            case '~': out += "\\textasciitilde{}"; break;
            case '^': out += "\\textasciicircum{}"; break;
            case '\\': out += "\\textbackslash{}"; break;
            default:
                if (text.compare(i, 2, "\xC2\xB7") == 0) {  // "·" (U+00B7)
                    out += "$\\cdot$";
                    ++i;
                } else {
                    out += c;
                }
        }
    }
    return out;
}

namespace {

// -- CSV --

std::string csvField(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s)
        q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + '"';
}

// The shortest text that reads back as exactly `v`; "" for NaN and infinities.
std::string csvNumber(double v) {
    if (!std::isfinite(v)) return "";
    char text[64];
    const auto r = std::to_chars(text, text + sizeof text, v);
    return std::string(text, r.ptr);
}

// AP/AR: pycocotools' −1 (no GT in the setting) as a missing value.
std::string csvAp(double v) {
    return v < 0 ? std::string() : csvNumber(v);
}

class Csv {
public:
    explicit Csv(const std::vector<std::string>& header) { row(header); }
    void row(const std::vector<std::string>& fields) {
        for (std::size_t i = 0; i < fields.size(); ++i)
            m_text += (i ? "," : "") + csvField(fields[i]);
        m_text += '\n';
    }
    const std::string& text() const { return m_text; }

private:
    std::string m_text;
};

// -- LaTeX --

enum class Better { Higher, Lower, None };

// A value as printed: `scale`·v with `decimals` decimals; "--" when missing (NaN, or < 0 for AP-like
// values when `negativeMissing`).
struct Format {
    double scale = 1;
    int decimals = 3;
    bool negativeMissing = false;
    bool missing(double v) const { return !std::isfinite(v) || (negativeMissing && v < 0); }
    std::string text(double v) const {
        if (missing(v)) return "--";
        char t[64];
        std::snprintf(t, sizeof t, "%.*f", decimals, v * scale);
        return t;
    }
    // The printed value as an integer, to find ties at the printed precision.
    long long key(double v) const { return std::llround(v * scale * std::pow(10.0, decimals)); }
};
const Format kPercent{100, 1, true};  // AP, AR and shares in [0, 1]
const Format kThree{1, 3, false};     // errors, attention measures, OKS
const Format kCount{1, 0, false};

// The cells of values compared across models: the printed values, the best ones in bold (when at
// least two models have a value).
std::vector<std::string> compared(const std::vector<double>& values, const Format& f, Better better) {
    std::vector<std::string> cells;
    std::vector<std::size_t> present;
    for (std::size_t i = 0; i < values.size(); ++i) {
        cells.push_back(f.text(values[i]));
        if (!f.missing(values[i])) present.push_back(i);
    }
    if (better == Better::None || present.size() < 2) return cells;
    long long best = f.key(values[present.front()]);
    for (std::size_t i : present)
        best = better == Better::Higher ? std::max(best, f.key(values[i])) : std::min(best, f.key(values[i]));
    for (std::size_t i : present)
        if (f.key(values[i]) == best) cells[i] = "\\textbf{" + cells[i] + "}";
    return cells;
}

class Tex {
public:
    Tex(const std::string& comment, const std::string& columns) {
        m_text = "% " + comment +
                 "\n% Written by posescope-cli compare; needs \\usepackage{booktabs}.\n\\begin{tabular}{" + columns +
                 "}\n\\toprule\n";
    }
    void line(const std::string& raw) { m_text += raw + "\n"; }
    void row(const std::vector<std::string>& cells) {
        for (std::size_t i = 0; i < cells.size(); ++i)
            m_text += (i ? " & " : "") + cells[i];
        m_text += " \\\\\n";
    }
    void midrule() { m_text += "\\midrule\n"; }
    std::string finish() const { return m_text + "\\bottomrule\n\\end{tabular}\n"; }

private:
    std::string m_text;
};

// "\multicolumn{n}{c}{model}" for every model, then the \cmidrules under them; `first` is the
// 1-based column of the first model's first column.
void modelHeader(Tex& t, const std::vector<std::string>& models, int span, int first, const std::string& lead) {
    std::vector<std::string> cells = {lead};
    for (int i = 1; i < first - 1; ++i)
        cells.push_back("");
    std::string rules;
    for (std::size_t m = 0; m < models.size(); ++m) {
        cells.push_back("\\multicolumn{" + std::to_string(span) + "}{c}{" + latexEscape(models[m]) + "}");
        const int from = first + static_cast<int>(m) * span;
        rules += (m ? " " : "") + std::string("\\cmidrule(lr){") + std::to_string(from) + "-" +
                 std::to_string(from + span - 1) + "}";
    }
    t.row(cells);
    t.line(rules);
}

std::string repeat(const std::string& s, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i)
        out += s;
    return out;
}

std::string keypointName(const std::vector<std::string>& names, int k) {
    return k >= 0 && k < static_cast<int>(names.size()) ? names[static_cast<std::size_t>(k)] : std::to_string(k);
}

std::string integer(int64_t v) {
    return std::to_string(v);
}

// -- The tables --

struct Table {
    std::string name, csv, tex;  // tex empty: CSV only
};

std::vector<std::string> modelNames(const ComparisonReport& r) {
    std::vector<std::string> names;
    for (const ModelComparison& m : r.models)
        names.push_back(m.name);
    return names;
}

// The bins of the accuracy table: (breakdown, bin label, the bin of model m).
struct AccuracyRow {
    std::string breakdown, label, texLabel;
    std::function<const AccuracyBin&(const ModelComparison&)> of;
};

std::vector<AccuracyRow> accuracyRows(const ComparisonReport& r) {
    std::vector<AccuracyRow> rows = {
        {"all", "all", "all", [](const ModelComparison& m) -> const AccuracyBin& { return m.breakdown.overall; }}};
    const RunBreakdown& first = r.models.front().breakdown;
    for (std::size_t b = 0; b < first.bySize.size(); ++b)
        rows.push_back({"size", first.bySize[b].label, first.bySize[b].label,
                        [b](const ModelComparison& m) -> const AccuracyBin& { return m.breakdown.bySize.at(b); }});
    for (std::size_t b = 0; b < first.byCrowding.size(); ++b)
        rows.push_back({"people_in_crop", first.byCrowding[b].label, first.byCrowding[b].label + " in crop",
                        [b](const ModelComparison& m) -> const AccuracyBin& { return m.breakdown.byCrowding.at(b); }});
    return rows;
}

// accuracy.csv: model,breakdown,bin,statistic,value (breakdown all, size or people_in_crop;
// statistics ap, ap50, ap75, ar, persons).
Table accuracyTable(const ComparisonReport& r) {
    Csv csv({"model", "breakdown", "bin", "statistic", "value"});
    const std::vector<AccuracyRow> rows = accuracyRows(r);
    for (const ModelComparison& m : r.models)
        for (const AccuracyRow& row : rows) {
            const AccuracyBin& a = row.of(m);
            const auto add = [&](const char* statistic, const std::string& value) {
                csv.row({m.name, row.breakdown, row.label, statistic, value});
            };
            add("ap", csvAp(a.ap));
            add("ap50", csvAp(a.ap50));
            add("ap75", csvAp(a.ap75));
            add("ar", csvAp(a.ar));
            add("persons", integer(a.persons));
        }
    Tex tex("OKS AP/AR (%) of each model: all persons, by person size and by people in the crop.", "llrrrrr");
    tex.row({"Subset", "Model", "Persons", "AP", "AP$_{50}$", "AP$_{75}$", "AR"});
    for (std::size_t i = 0; i < rows.size(); ++i) {
        tex.midrule();
        std::vector<double> ap, ap50, ap75, ar;
        for (const ModelComparison& m : r.models) {
            const AccuracyBin& a = rows[i].of(m);
            ap.push_back(a.ap);
            ap50.push_back(a.ap50);
            ap75.push_back(a.ap75);
            ar.push_back(a.ar);
        }
        const auto c1 = compared(ap, kPercent, Better::Higher), c2 = compared(ap50, kPercent, Better::Higher),
                   c3 = compared(ap75, kPercent, Better::Higher), c4 = compared(ar, kPercent, Better::Higher);
        for (std::size_t m = 0; m < r.models.size(); ++m)
            tex.row({m == 0 ? latexEscape(rows[i].texLabel) : "", latexEscape(r.models[m].name),
                     integer(rows[i].of(r.models[m]).persons), c1[m], c2[m], c3[m], c4[m]});
    }
    return {"accuracy", csv.text(), tex.finish()};
}

// keypoint_errors.csv: model,keypoint,breakdown,bin,statistic,value — keypoint "all" or a name;
// breakdown all (bin all), visibility (visible, occluded), size, people_in_crop; statistics mean
// (of ‖prediction − GT‖ / √area) and count.
Table keypointErrorTable(const ComparisonReport& r) {
    Csv csv({"model", "keypoint", "breakdown", "bin", "statistic", "value"});
    for (const ModelComparison& m : r.models) {
        const KeypointErrorBreakdown& e = m.breakdown.errors;
        const std::vector<std::string>& names = m.breakdown.keypointNames;
        const auto add = [&](const std::string& keypoint, const std::string& breakdown, const std::string& bin,
                             const ErrorSum& s) {
            csv.row({m.name, keypoint, breakdown, bin, "mean", csvNumber(s.mean())});
            csv.row({m.name, keypoint, breakdown, bin, "count", integer(s.count)});
        };
        const auto addBins = [&](const std::string& breakdown, const ErrorBins& bins, int k) {
            for (std::size_t b = 0; b < bins.labels.size(); ++b)
                add(k < 0 ? "all" : keypointName(names, k), breakdown, bins.labels[b],
                    k < 0 ? bins.overall[b] : bins.at(b, k));
        };
        for (int k = -1; k < e.keypoints; ++k) {
            add(k < 0 ? "all" : keypointName(names, k), "all", "all",
                k < 0 ? e.overall : e.perKeypoint[static_cast<std::size_t>(k)]);
            addBins("visibility", e.byVisibility, k);
            addBins("size", e.bySize, k);
            addBins("people_in_crop", e.byCrowding, k);
        }
    }
    const std::size_t M = r.models.size();
    Tex tex(
        "Mean keypoint error / sqrt(GT area) of each model: all labelled keypoints, visible (v = 2), occluded (v = 1).",
        "l" + repeat("rrr", M));
    modelHeader(tex, modelNames(r), 3, 2, "");
    std::vector<std::string> head = {"Keypoint"};
    for (std::size_t m = 0; m < M; ++m)
        head.insert(head.end(), {"All", "Vis.", "Occ."});
    tex.row(head);
    tex.midrule();
    const int K = r.models.front().breakdown.errors.keypoints;
    for (int k = 0; k <= K; ++k) {
        const bool all = k == K;
        if (all) tex.midrule();
        std::vector<double> overall, visible, occluded;
        for (const ModelComparison& m : r.models) {
            const KeypointErrorBreakdown& e = m.breakdown.errors;
            const bool has = all || k < e.keypoints;
            overall.push_back(!has ? kNaN : all ? e.overall.mean() : e.perKeypoint[static_cast<std::size_t>(k)].mean());
            visible.push_back(!has ? kNaN : all ? e.byVisibility.overall[0].mean() : e.byVisibility.at(0, k).mean());
            occluded.push_back(!has ? kNaN : all ? e.byVisibility.overall[1].mean() : e.byVisibility.at(1, k).mean());
        }
        const auto a = compared(overall, kThree, Better::Lower), v = compared(visible, kThree, Better::Lower),
                   o = compared(occluded, kThree, Better::Lower);
        std::vector<std::string> cells = {all ? "all"
                                              : latexEscape(keypointName(r.models.front().breakdown.keypointNames, k))};
        for (std::size_t m = 0; m < M; ++m)
            cells.insert(cells.end(), {a[m], v[m], o[m]});
        tex.row(cells);
    }
    return {"keypoint_errors", csv.text(), tex.finish()};
}

// error_taxonomy.csv: model,keypoint,statistic,value — keypoint "all" or a name with count_<type>
// and share_<type> (of the labelled keypoints of the matched predictions; type good, jitter,
// inversion, swap, miss); keypoint empty for the model's ap_baseline, ap_without_miss,
// ap_without_swap, ap_without_inversion, ap_without_jitter, ap_without_background_fp,
// ap_without_false_negatives (cumulative), matched_predictions, predictions, background_oks,
// background_false_positives, false_negatives.
Table taxonomyTable(const ComparisonReport& r) {
    Csv csv({"model", "keypoint", "statistic", "value"});
    const auto shares = [](const std::array<int64_t, kPoseErrorTypeTypes>& c) {
        int64_t n = 0;
        for (int64_t v : c)
            n += v;
        std::array<double, kPoseErrorTypeTypes> s{};
        for (std::size_t i = 0; i < s.size(); ++i)
            s[i] = n > 0 ? static_cast<double>(c[i]) / static_cast<double>(n) : kNaN;
        return s;
    };
    for (const ModelComparison& m : r.models) {
        const ErrorTaxonomy& t = m.taxonomy;
        const auto addTypes = [&](const std::string& keypoint, const std::array<int64_t, kPoseErrorTypeTypes>& c) {
            const auto s = shares(c);
            for (std::size_t i = 0; i < c.size(); ++i)
                csv.row({m.name, keypoint, std::string("count_") + kErrorTypeNames[i], integer(c[i])});
            for (std::size_t i = 0; i < c.size(); ++i)
                csv.row({m.name, keypoint, std::string("share_") + kErrorTypeNames[i], csvNumber(s[i])});
        };
        addTypes("all", t.totals);
        for (std::size_t k = 0; k < t.counts.size(); ++k)
            addTypes(keypointName(m.breakdown.keypointNames, static_cast<int>(k)), t.counts[k]);
        const auto add = [&](const char* statistic, const std::string& value) {
            csv.row({m.name, "", statistic, value});
        };
        add("ap_baseline", csvAp(t.ap.baseline));
        add("ap_without_miss", csvAp(t.ap.withoutMiss));
        add("ap_without_swap", csvAp(t.ap.withoutSwap));
        add("ap_without_inversion", csvAp(t.ap.withoutInversion));
        add("ap_without_jitter", csvAp(t.ap.withoutJitter));
        add("ap_without_background_fp", csvAp(t.ap.withoutBackgroundFp));
        add("ap_without_false_negatives", csvAp(t.ap.withoutFalseNegatives));
        add("matched_predictions", integer(static_cast<int64_t>(t.matched.size())));
        add("predictions", integer(m.predictions));
        add("background_oks", csvNumber(m.backgroundOks));
        add("background_false_positives", integer(static_cast<int64_t>(m.backgroundFalsePositives.size())));
        add("false_negatives", integer(static_cast<int64_t>(m.falseNegatives.size())));
    }
    Tex tex(
        "Ronchi & Perona's error taxonomy: share (%) of the labelled keypoints of the predictions matched at "
        "OKS 0.1, and the AP (%) with the errors fixed cumulatively, then without background false positives "
        "and false negatives.",
        "l rrrrr rrrrrrr");
    tex.row({"", "\\multicolumn{5}{c}{Keypoints (\\%)}", "\\multicolumn{7}{c}{AP (\\%), fixing cumulatively}"});
    tex.line("\\cmidrule(lr){2-6} \\cmidrule(lr){7-13}");
    tex.row({"Model", "Good", "Jitter", "Inv.", "Swap", "Miss", "AP", "Miss", "Swap", "Inv.", "Jitter", "BG FP", "FN"});
    tex.midrule();
    std::vector<std::vector<std::string>> columns;
    for (std::size_t i = 0; i < kPoseErrorTypeTypes; ++i) {
        std::vector<double> v;
        for (const ModelComparison& m : r.models)
            v.push_back(shares(m.taxonomy.totals)[i]);
        columns.push_back(compared(v, kPercent, i == 0 ? Better::Higher : Better::Lower));
    }
    const std::vector<double TaxonomyAp::*> steps = {&TaxonomyAp::baseline,
                                                     &TaxonomyAp::withoutMiss,
                                                     &TaxonomyAp::withoutSwap,
                                                     &TaxonomyAp::withoutInversion,
                                                     &TaxonomyAp::withoutJitter,
                                                     &TaxonomyAp::withoutBackgroundFp,
                                                     &TaxonomyAp::withoutFalseNegatives};
    for (double TaxonomyAp::*step : steps) {
        std::vector<double> v;
        for (const ModelComparison& m : r.models)
            v.push_back(m.taxonomy.ap.*step);
        columns.push_back(compared(v, kPercent, Better::Higher));
    }
    for (std::size_t m = 0; m < r.models.size(); ++m) {
        std::vector<std::string> cells = {latexEscape(r.models[m].name)};
        for (const auto& c : columns)
            cells.push_back(c[m]);
        tex.row(cells);
    }
    return {"error_taxonomy", csv.text(), tex.finish()};
}

// attention.csv: model,layer,relative_depth,first_model_layer,head,statistic,value — layers and
// heads 1-based, head empty for the head-averaged rows; statistics count, mass, entropy,
// normalised_entropy, distance_px, relative_distance, box_share, other_share, with_others,
// other_share_with_others (attention_stats.h's AttentionMeasures).
Table attentionTable(const ComparisonReport& r) {
    Csv csv({"model", "layer", "relative_depth", "first_model_layer", "head", "statistic", "value"});
    for (const ModelComparison& m : r.models) {
        const AttentionStats& s = m.attention;
        for (int l = 0; l < s.layers; ++l) {
            const double depth = (l + 0.5) / s.layers;
            const int first =
                l < static_cast<int>(m.firstModelLayer.size()) ? m.firstModelLayer[static_cast<std::size_t>(l)] : -1;
            const auto add = [&](int head, const AttentionMeasures& a) {
                const auto put = [&](const char* statistic, const std::string& value) {
                    csv.row({m.name, integer(l + 1), csvNumber(depth), first < 0 ? "" : integer(first + 1),
                             head < 0 ? "" : integer(head + 1), statistic, value});
                };
                put("count", integer(a.count));
                put("mass", csvNumber(a.mass));
                put("entropy", csvNumber(a.entropy));
                put("normalised_entropy", csvNumber(a.normalisedEntropy));
                put("distance_px", csvNumber(a.distance));
                put("relative_distance", csvNumber(a.relativeDistance));
                put("box_share", csvNumber(a.boxShare));
                put("other_share", csvNumber(a.otherShare));
                put("with_others", integer(a.withOthers));
                put("other_share_with_others", csvNumber(a.otherShareWithOthers));
            };
            add(-1, s.layer[static_cast<std::size_t>(l)]);
            for (int h = 0; h < s.heads && static_cast<std::size_t>(l) < s.head.size(); ++h)
                add(h, s.head[static_cast<std::size_t>(l)][static_cast<std::size_t>(h)]);
        }
    }
    Tex tex(
        "Attention of each model's keypoint dependency rows per layer (relative depth (l + 1/2)/L), "
        "head-averaged: entropy / ln T, mean distance / crop diagonal, share in the person's box, share on "
        "other people.",
        "lrrrrrr");
    tex.row({"Model", "Layer", "Depth", "$H/\\ln T$", "Dist.", "In box", "On others"});
    for (const ModelComparison& m : r.models) {
        tex.midrule();
        const AttentionStats& s = m.attention;
        for (int l = 0; l < s.layers; ++l) {
            const AttentionMeasures& a = s.layer[static_cast<std::size_t>(l)];
            tex.row({l == 0 ? latexEscape(m.name) : "", integer(l + 1), kThree.text((l + 0.5) / s.layers),
                     kThree.text(a.normalisedEntropy), kThree.text(a.relativeDistance), kThree.text(a.boxShare),
                     kThree.text(a.otherShare)});
        }
    }
    return {"attention", csv.text(), tex.finish()};
}

// pruning.csv: model,keypoint,bin,statistic,value — pruning models only; keypoint "all" or a name,
// bin the pruned share's (breakdown.h's prunedShareBinLabels); statistics mean, count.
Table pruningTable(const ComparisonReport& r) {
    Csv csv({"model", "keypoint", "bin", "statistic", "value"});
    std::vector<const ModelComparison*> pruning;
    for (const ModelComparison& m : r.models)
        if (m.breakdown.pruning) pruning.push_back(&m);
    for (const ModelComparison* m : pruning) {
        const ErrorBins& p = m->breakdown.errors.byPruning;
        for (int k = -1; k < p.keypoints; ++k)
            for (std::size_t b = 0; b < p.labels.size(); ++b) {
                const ErrorSum& s = k < 0 ? p.overall[b] : p.at(b, k);
                const std::string keypoint = k < 0 ? "all" : keypointName(m->breakdown.keypointNames, k);
                csv.row({m->name, keypoint, p.labels[b], "mean", csvNumber(s.mean())});
                csv.row({m->name, keypoint, p.labels[b], "count", integer(s.count)});
            }
    }
    std::vector<std::string> names;
    for (const ModelComparison* m : pruning)
        names.push_back(m->name);
    Tex tex(
        "Mean keypoint error / sqrt(GT area) by the share of pruned tokens around the keypoint, and the "
        "keypoints counted.",
        "l" + repeat("rr", pruning.size()));
    modelHeader(tex, names, 2, 2, "");
    std::vector<std::string> head = {"Pruned share"};
    for (std::size_t m = 0; m < pruning.size(); ++m)
        head.insert(head.end(), {"Error", "$n$"});
    tex.row(head);
    tex.midrule();
    const std::vector<std::string> labels = pruning.front()->breakdown.errors.byPruning.labels;
    for (std::size_t b = 0; b < labels.size(); ++b) {
        std::vector<double> v;
        for (const ModelComparison* m : pruning) {
            const ErrorBins& p = m->breakdown.errors.byPruning;
            v.push_back(b < p.overall.size() ? p.overall[b].mean() : kNaN);
        }
        const auto c = compared(v, kThree, Better::Lower);
        std::vector<std::string> cells = {latexEscape(labels[b])};
        for (std::size_t m = 0; m < pruning.size(); ++m) {
            const ErrorBins& p = pruning[m]->breakdown.errors.byPruning;
            cells.insert(cells.end(), {c[m], b < p.overall.size() ? integer(p.overall[b].count) : "--"});
        }
        tex.row(cells);
    }
    return {"pruning", csv.text(), tex.finish()};
}

// disagreement.csv: rank,image_id,annotation_id,occurrence,disagreement,model,row,oks — one line per
// listed sample and model (rank 1 = the largest disagreement).
Table disagreementTable(const ComparisonReport& r) {
    Csv csv({"rank", "image_id", "annotation_id", "occurrence", "disagreement", "model", "row", "oks"});
    for (std::size_t i = 0; i < r.disagreements.size(); ++i) {
        const PairedSample& s = r.disagreements[i];
        for (std::size_t m = 0; m < r.models.size() && m < s.rows.size(); ++m)
            csv.row({integer(static_cast<int64_t>(i + 1)), integer(s.imageId), integer(s.annotationId),
                     integer(s.occurrence), csvNumber(s.disagreement), r.models[m].name, integer(s.rows[m]),
                     csvNumber(s.oks[m])});
    }
    const std::size_t M = r.models.size();
    Tex tex("The samples where the models' OKS differ most: each model's run row and OKS, and the difference.",
            "rrr" + repeat("rr", M) + "r");
    modelHeader(tex, modelNames(r), 2, 4, "");
    std::vector<std::string> head = {"\\#", "Image", "Person"};
    for (std::size_t m = 0; m < M; ++m)
        head.insert(head.end(), {"Row", "OKS"});
    head.push_back("$\\Delta$");
    tex.row(head);
    tex.midrule();
    for (std::size_t i = 0; i < r.disagreements.size(); ++i) {
        const PairedSample& s = r.disagreements[i];
        const auto oks = compared(s.oks, kThree, Better::Higher);
        std::vector<std::string> cells = {integer(static_cast<int64_t>(i + 1)), integer(s.imageId),
                                          integer(s.annotationId)};
        for (std::size_t m = 0; m < M; ++m)
            cells.insert(cells.end(), {m < s.rows.size() ? integer(s.rows[m]) : "--", m < oks.size() ? oks[m] : "--"});
        cells.push_back(kThree.text(s.disagreement));
        tex.row(cells);
    }
    return {"disagreement", csv.text(), tex.finish()};
}

// error_cases.csv: model,row,image_id,annotation_id,keypoint,type,swapped_with — every keypoint
// error case (type jitter, inversion, swap, miss; swapped_with the other person of a swap), then
// every background false positive (type background_fp, annotation id and keypoint empty) and false
// negative (type false_negative, keypoint empty; row empty when no row was recorded from it).
Table errorCaseTable(const ComparisonReport& r) {
    Csv csv({"model", "row", "image_id", "annotation_id", "keypoint", "type", "swapped_with"});
    const auto row = [](int64_t v) { return v < 0 ? std::string() : integer(v); };
    for (const ModelComparison& m : r.models) {
        for (const KeypointErrorCase& c : m.errorCases)
            csv.row({m.name, row(c.row), integer(c.imageId), integer(c.annotationId),
                     keypointName(m.breakdown.keypointNames, c.keypoint), poseErrorName(c.type),
                     c.type == PoseErrorType::Swap ? integer(c.swappedWith) : ""});
        for (const PoseCase& c : m.backgroundFalsePositives)
            csv.row({m.name, row(c.row), integer(c.imageId), "", "", "background_fp", ""});
        for (const PoseCase& c : m.falseNegatives)
            csv.row({m.name, row(c.row), integer(c.imageId), integer(c.annotationId), "", "false_negative", ""});
    }
    return {"error_cases", csv.text(), ""};
}

// models.csv: model,run,family,variant,layers,heads,samples,images,predictions,pruning (0/1).
Table modelTable(const ComparisonReport& r) {
    Csv csv({"model", "run", "family", "variant", "layers", "heads", "samples", "images", "predictions", "pruning"});
    for (const ModelComparison& m : r.models)
        csv.row({m.name, m.run, m.family, m.variant, integer(m.layers), integer(m.heads), integer(m.breakdown.samples),
                 integer(static_cast<int64_t>(m.breakdown.images)), integer(m.predictions),
                 m.breakdown.pruning ? "1" : "0"});
    return {"models", csv.text(), ""};
}

}  // namespace

std::vector<std::string> writeComparisonTables(const ComparisonReport& report, const std::string& dir) {
    if (report.cancelled) throw Error("comparison: the comparison was cancelled; no tables written");
    if (report.models.empty()) throw Error("comparison: no models; no tables written");
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw FileError(dir, "cannot create directory: " + ec.message());
    if (!fs::is_directory(dir, ec)) throw FileError(dir, "cannot create directory: not a directory");

    std::vector<Table> tables = {accuracyTable(report), keypointErrorTable(report), taxonomyTable(report),
                                 attentionTable(report)};
    if (std::any_of(report.models.begin(), report.models.end(),
                    [](const ModelComparison& m) { return m.breakdown.pruning; }))
        tables.push_back(pruningTable(report));
    tables.push_back(disagreementTable(report));
    tables.push_back(errorCaseTable(report));
    tables.push_back(modelTable(report));
    std::vector<std::string> written;
    for (const Table& t : tables) {
        const std::string csv = (fs::path(dir) / (t.name + ".csv")).string();
        writeFileAtomically(csv, t.csv);
        written.push_back(csv);
        if (t.tex.empty()) continue;
        const std::string tex = (fs::path(dir) / (t.name + ".tex")).string();
        writeFileAtomically(tex, t.tex);
        written.push_back(tex);
    }
    return written;
}

}  // namespace posescope::analysis
