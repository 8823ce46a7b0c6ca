// posescope-cli occlusion-report: the occlusion runs of one or more models summarised side by
// side (attention vs causal effect per layer, targeted occlusion, occluded vs visible keypoints).
#include "cli.h"
#include "posescope/analysis/occlusion_report.h"
#include "posescope/analysis/run_store.h"
#include "posescope/datasets/atomic_file.h"
#include "posescope/datasets/error.h"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace posescope::cli {
namespace {

std::string num(double v, const char* format = "%.3f") {
    if (std::isnan(v)) return "-";
    char text[64];
    std::snprintf(text, sizeof text, format, v);
    return text;
}

// Tidy CSV, one value per line: run,model,table,group,layer,keypoint,statistic,value.
class Table {
public:
    void add(const std::string& run, const std::string& model, const std::string& table, const std::string& group,
             int layer, const std::string& keypoint, const std::string& statistic, double value) {
        char v[64];
        std::snprintf(v, sizeof v, "%.9g", value);
        m_text += quoted(run) + ',' + quoted(model) + ',' + table + ',' + group + ',' +
                  (layer < 0 ? std::string() : std::to_string(layer + 1)) + ',' + keypoint + ',' + statistic + ',' +
                  (std::isnan(value) ? "" : v) + '\n';
    }
    std::string text() const { return "run,model,table,group,layer,keypoint,statistic,value\n" + m_text; }

private:
    static std::string quoted(const std::string& s) {
        if (s.find_first_of(",\"\n") == std::string::npos) return s;
        std::string q = "\"";
        for (char c : s)
            q += c == '"' ? std::string("\"\"") : std::string(1, c);
        return q + '"';
    }
    std::string m_text;
};

void addLayerValues(Table& t, const std::string& run, const std::string& model, const std::string& table,
                    const std::string& group, const std::string& statistic, const std::vector<double>& values) {
    for (size_t l = 0; l < values.size(); ++l)
        t.add(run, model, table, group, static_cast<int>(l), "", statistic, values[l]);
}

int runOcclusionReport(const std::vector<std::string>& argv) {
    const Args a(argv, {}, {"--measure", "--top", "--csv"});
    if (a.positional().empty()) throw UsageError("occlusion-report takes one or more occlusion run files");
    if (a.has("--csv")) checkOutput("--csv", a.value("--csv"), a.positional());
    analysis::OcclusionReportOptions o;
    const std::string measure = a.value("--measure", "score");
    try {
        o.measure = analysis::parseSensitivityMeasure(measure);
    } catch (const Error&) {
        throw UsageError("--measure must be score, displacement or oks");
    }
    o.topFraction = a.number("--top", 0.1);
    if (!(o.topFraction > 0 && o.topFraction <= 1)) throw UsageError("--top must be a fraction in (0, 1]");
    StopOnSignals stop;
    o.cancel = [] { return StopOnSignals::stopRequested(); };
    Table csv;
    for (const std::string& path : a.positional()) {
        const analysis::RunReader run = analysis::RunReader::open(path);
        const analysis::RunHeader& h = run.header();
        ProgressLine progress;
        o.progress = [&](int64_t done, int64_t total) {
            progress.show("summarising " + path + ": " + std::to_string(done) + "/" + std::to_string(total),
                          done == total);
        };
        const analysis::OcclusionReport r = analysis::occlusionReport(run, o);
        progress.finish();
        if (r.cancelled) {
            std::fprintf(stderr, "interrupted\n");
            return 130;
        }
        const std::string model = h.modelFamily + (h.modelVariant.empty() ? "" : " " + h.modelVariant);
        std::printf("%s: %s, %lld samples, window %d px stride %d, fill %s\n", path.c_str(), model.c_str(),
                    static_cast<long long>(r.samples), h.occlusionWindow, h.occlusionStride, h.occlusionFill.c_str());
        std::printf("\nattention vs causal effect (%s; top %.0f%% of %d cells):\n", measure.c_str(),
                    100 * o.topFraction, h.tokens());
        std::printf("  layer  spearman  top-k   | visible: spearman top-k | occluded: spearman top-k\n");
        for (int l = 0; l < r.layers; ++l) {
            const auto i = static_cast<size_t>(l);
            std::printf("  %5d  %8s  %6s  |          %8s %6s |           %8s %6s\n", l + 1,
                        num(r.all.spearman[i]).c_str(), num(r.all.topKOverlap[i]).c_str(),
                        num(r.visible.spearman[i]).c_str(), num(r.visible.topKOverlap[i]).c_str(),
                        num(r.occluded.spearman[i]).c_str(), num(r.occluded.topKOverlap[i]).c_str());
        }
        for (const auto& [group, agreement] : {std::pair<std::string, const analysis::LayerAgreement*>{"all", &r.all},
                                               {"visible", &r.visible},
                                               {"occluded", &r.occluded}}) {
            addLayerValues(csv, path, model, "agreement_" + measure, group, "spearman", agreement->spearman);
            addLayerValues(csv, path, model, "agreement_" + measure, group, "top_k_overlap", agreement->topKOverlap);
        }
        for (int k = 0; k < r.keypoints; ++k) {
            const std::string name = h.keypointNames[static_cast<size_t>(k)];
            csv.add(path, model, "sensitivity", "all", -1, name, "peak_score_drop",
                    r.peakScoreDrop[static_cast<size_t>(k)]);
            for (int l = 0; l < r.layers; ++l)
                csv.add(path, model, "agreement_" + measure, "all", l, name, "spearman",
                        r.keypointSpearman[static_cast<size_t>(l * r.keypoints + k)]);
        }
        if (r.targeted) {
            std::printf(
                "\ntargeted occlusion (%d px around each keypoint): the hidden keypoint moves %s px, the "
                "others %s px\n",
                h.targetedMargin, num(r.hiddenDisplacement, "%.1f").c_str(), num(r.otherDisplacement, "%.1f").c_str());
            std::printf("  layer  own row on the hidden region: before  after | other rows: before  after\n");
            for (int l = 0; l < r.layers; ++l) {
                const auto i = static_cast<size_t>(l);
                std::printf("  %5d                                %6s %6s |             %6s %6s\n", l + 1,
                            num(r.hiddenShareBefore[i]).c_str(), num(r.hiddenShareAfter[i]).c_str(),
                            num(r.otherShareBefore[i]).c_str(), num(r.otherShareAfter[i]).c_str());
            }
            addLayerValues(csv, path, model, "targeted", "hidden", "share_before", r.hiddenShareBefore);
            addLayerValues(csv, path, model, "targeted", "hidden", "share_after", r.hiddenShareAfter);
            addLayerValues(csv, path, model, "targeted", "others", "share_before", r.otherShareBefore);
            addLayerValues(csv, path, model, "targeted", "others", "share_after", r.otherShareAfter);
            csv.add(path, model, "targeted", "hidden", -1, "", "displacement_px", r.hiddenDisplacement);
            csv.add(path, model, "targeted", "others", -1, "", "displacement_px", r.otherDisplacement);
            if (!r.parts.empty()) {
                std::printf(
                    "\ntargeted occlusion of body parts (%d px around the part's keypoints; shares in the last "
                    "layer):\n",
                    h.targetedMargin);
                std::printf("  part          keypoints  hidden moves  others move | own rows: before  after\n");
                for (const analysis::PartEffect& e : r.parts) {
                    const size_t last = e.hiddenShareBefore.empty() ? 0 : e.hiddenShareBefore.size() - 1;
                    std::printf("  %-12s  %9zu  %9s px  %8s px |           %6s %6s\n", e.name.c_str(),
                                e.keypoints.size(), num(e.hiddenDisplacement, "%.1f").c_str(),
                                num(e.otherDisplacement, "%.1f").c_str(),
                                e.hiddenShareBefore.empty() ? "-" : num(e.hiddenShareBefore[last]).c_str(),
                                e.hiddenShareAfter.empty() ? "-" : num(e.hiddenShareAfter[last]).c_str());
                    for (int l = 0; l < r.layers; ++l) {
                        const auto i = static_cast<size_t>(l);
                        csv.add(path, model, "targeted_part", "hidden", l, e.name, "share_before",
                                e.hiddenShareBefore[i]);
                        csv.add(path, model, "targeted_part", "hidden", l, e.name, "share_after",
                                e.hiddenShareAfter[i]);
                        csv.add(path, model, "targeted_part", "others", l, e.name, "share_before",
                                e.otherShareBefore[i]);
                        csv.add(path, model, "targeted_part", "others", l, e.name, "share_after", e.otherShareAfter[i]);
                    }
                    csv.add(path, model, "targeted_part", "hidden", -1, e.name, "displacement_px",
                            e.hiddenDisplacement);
                    csv.add(path, model, "targeted_part", "others", -1, e.name, "displacement_px", e.otherDisplacement);
                }
            }
        }
        const analysis::VisibilityStats& v = r.visibility;
        if (v.layers > 0) {
            std::printf("\noccluded vs visible keypoints: %lld occluded, %lld visible\n",
                        static_cast<long long>(v.occluded.keypoints), static_cast<long long>(v.visible.keypoints));
            std::printf("  error %s vs %s px, OKS %s vs %s\n", num(v.occluded.meanError, "%.1f").c_str(),
                        num(v.visible.meanError, "%.1f").c_str(), num(v.occluded.meanOks).c_str(),
                        num(v.visible.meanOks).c_str());
            std::printf(
                "  layer  entropy occ/vis   own cell occ/vis   symmetric occ/vis   adjacent occ/vis   "
                "on occluder (n)\n");
            for (int l = 0; l < v.layers; ++l) {
                const auto i = static_cast<size_t>(l);
                std::printf("  %5d  %6s %6s     %6s %6s        %6s %6s         %6s %6s      %6s (%lld)\n", l + 1,
                            num(v.occluded.entropy[i]).c_str(), num(v.visible.entropy[i]).c_str(),
                            num(v.occluded.ownCell[i]).c_str(), num(v.visible.ownCell[i]).c_str(),
                            num(v.occluded.symmetric[i]).c_str(), num(v.visible.symmetric[i]).c_str(),
                            num(v.occluded.adjacent[i]).c_str(), num(v.visible.adjacent[i]).c_str(),
                            num(v.occluded.occluder[i]).c_str(), static_cast<long long>(v.occluded.occluderCount[i]));
            }
            for (const auto& [group, g] :
                 {std::pair<std::string, const analysis::VisibilityGroupStats*>{"visible", &v.visible},
                  {"occluded", &v.occluded}}) {
                csv.add(path, model, "visibility", group, -1, "", "keypoints", static_cast<double>(g->keypoints));
                csv.add(path, model, "visibility", group, -1, "", "error_px", g->meanError);
                csv.add(path, model, "visibility", group, -1, "", "oks", g->meanOks);
                addLayerValues(csv, path, model, "visibility", group, "entropy", g->entropy);
                addLayerValues(csv, path, model, "visibility", group, "own_cell", g->ownCell);
                addLayerValues(csv, path, model, "visibility", group, "symmetric", g->symmetric);
                addLayerValues(csv, path, model, "visibility", group, "adjacent", g->adjacent);
                addLayerValues(csv, path, model, "visibility", group, "occluder", g->occluder);
            }
        }
        std::printf("\n");
    }
    if (a.has("--csv")) {
        writeFileAtomically(a.value("--csv"), csv.text());
        std::printf("wrote %s\n", a.value("--csv").c_str());
    }
    return 0;
}

}  // namespace

Command occlusionReportCommand() {
    return {"occlusion-report", "summarise occlusion runs of one or more models side by side",
            "usage: posescope-cli occlusion-report occ_a.h5 [occ_b.h5 …] [--measure score|displacement|oks]\n"
            "         [--top FRACTION] [--csv report.csv]\n"
            "\n"
            "For each occlusion run (posescope-cli occlude): per layer, the agreement between the\n"
            "keypoints' dependency maps and their occlusion sensitivity maps on the token grid\n"
            "(Spearman's rank correlation and the overlap of the top --top cells, default 0.1), for all,\n"
            "visible and occluded keypoints; where attention goes when a keypoint's region is hidden;\n"
            "and occluded against visible keypoints (error, OKS, and per layer entropy and the share of\n"
            "attention on the own, symmetric and adjacent joints and on the occluder). --measure picks\n"
            "the sensitivity: the score drop (default), the displacement or the OKS drop. --csv writes\n"
            "every number as one line (run,model,table,group,layer,keypoint,statistic,value).\n",
            runOcclusionReport};
}

}  // namespace posescope::cli
