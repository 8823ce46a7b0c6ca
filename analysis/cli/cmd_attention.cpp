// posescope-cli attention-stats: attention statistics of one or more recorded runs per layer and
// head (entropy, mean attention distance, share inside the person box and on other people).
#include "cli.h"
#include "posescope/analysis/attention_stats.h"
#include "posescope/analysis/run_store.h"
#include "posescope/datasets/atomic_file.h"

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

std::string quoted(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s)
        q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + '"';
}

// Tidy CSV, one value per line: run,model,layer,head,statistic,value (layer 1-based; head empty for
// the head-averaged rows).
void addMeasures(std::string& csv, const std::string& run, const std::string& model, int layer, int head,
                 const analysis::AttentionMeasures& m) {
    const std::string prefix = quoted(run) + ',' + quoted(model) + ',' + std::to_string(layer + 1) + ',' +
                               (head < 0 ? std::string() : std::to_string(head + 1)) + ',';
    const auto add = [&](const char* statistic, double value) {
        char v[64];
        std::snprintf(v, sizeof v, "%.9g", value);
        csv += prefix + statistic + ',' + (std::isnan(value) ? "" : v) + '\n';
    };
    add("count", static_cast<double>(m.count));
    add("mass", m.mass);
    add("entropy", m.entropy);
    add("normalised_entropy", m.normalisedEntropy);
    add("distance_px", m.distance);
    add("relative_distance", m.relativeDistance);
    add("box_share", m.boxShare);
    add("other_share", m.otherShare);
    add("with_others", static_cast<double>(m.withOthers));
    add("other_share_with_others", m.otherShareWithOthers);
}

void printRow(const char* label, const analysis::AttentionMeasures& m) {
    std::printf("  %-11s %7s %7s  %8s %7s  %6s  %9s %9s\n", label, num(m.entropy).c_str(),
                num(m.normalisedEntropy).c_str(), num(m.distance, "%.1f").c_str(), num(m.relativeDistance).c_str(),
                num(m.boxShare).c_str(), num(m.otherShare).c_str(), num(m.otherShareWithOthers).c_str());
}

int runAttentionStats(const std::vector<std::string>& argv) {
    const Args a(argv, {"--labelled"}, {"--csv", "--annotations"});
    if (a.positional().empty()) throw UsageError("attention-stats takes one or more run files");
    if (a.has("--annotations") && a.positional().size() > 1) throw UsageError("--annotations applies to one run only");
    if (a.has("--csv")) {
        std::vector<std::string> inputs = a.positional();
        inputs.push_back(a.value("--annotations", ""));
        checkOutput("--csv", a.value("--csv"), inputs);
    }
    analysis::AttentionStatsOptions o;
    o.labelledOnly = a.flag("--labelled");
    o.annotationFile = a.value("--annotations", "");
    o.requireOtherPeople = a.has("--annotations");
    StopOnSignals stop;
    o.cancel = [] { return StopOnSignals::stopRequested(); };
    std::string csv = "run,model,layer,head,statistic,value\n";
    for (const std::string& path : a.positional()) {
        const analysis::RunReader run = analysis::RunReader::open(path);
        const analysis::RunHeader& h = run.header();
        ProgressLine progress;
        o.progress = [&](int64_t done, int64_t total) {
            progress.show("reading " + path + ": " + std::to_string(done) + "/" + std::to_string(total), done == total);
        };
        const analysis::AttentionStats s = analysis::attentionStats(run, o);
        progress.finish();
        if (s.cancelled) {
            std::fprintf(stderr, "interrupted\n");
            return 130;
        }
        const std::string model = h.modelFamily + (h.modelVariant.empty() ? "" : " " + h.modelVariant);
        std::printf("%s: %s, %d layers, %d heads, token grid %dx%d, input %dx%d (diagonal %.1f px)\n", path.c_str(),
                    model.c_str(), s.layers, s.heads, h.gridRows, h.gridCols, h.inputWidth, h.inputHeight,
                    s.cropDiagonal);
        std::printf("%lld samples, %lld %skeypoints; other people: %s\n", static_cast<long long>(s.samples),
                    static_cast<long long>(s.pairs), o.labelledOnly ? "labelled " : "",
                    s.otherPeople ? ("boxes of " + s.annotationFile).c_str()
                                  : ("not computed (" + s.otherPeopleNote + ")").c_str());
        std::printf("\n  %-11s %7s %7s  %8s %7s  %6s  %9s %9s\n", "layer", "entropy", "/ln T", "dist px", "/diag",
                    "in box", "on others", "(crowded)");
        for (int l = 0; l < s.layers; ++l) {
            const auto li = static_cast<size_t>(l);
            const std::string label = std::to_string(l + 1) + " (" + num((l + 0.5) / s.layers, "%.2f") + ")";
            printRow(label.c_str(), s.layer[li]);
            addMeasures(csv, path, model, l, -1, s.layer[li]);
            for (int hd = 0; hd < s.heads; ++hd)
                addMeasures(csv, path, model, l, hd, s.head[li][static_cast<size_t>(hd)]);
        }
        if (s.heads > 1) {
            std::printf("\n  per head:\n  %-11s %7s %7s  %8s %7s  %6s  %9s %9s\n", "layer.head", "entropy", "/ln T",
                        "dist px", "/diag", "in box", "on others", "(crowded)");
            for (int l = 0; l < s.layers; ++l)
                for (int hd = 0; hd < s.heads; ++hd) {
                    const std::string label = std::to_string(l + 1) + "." + std::to_string(hd + 1);
                    printRow(label.c_str(), s.head[static_cast<size_t>(l)][static_cast<size_t>(hd)]);
                }
        }
        std::printf("\n");
    }
    if (a.has("--csv")) {
        writeFileAtomically(a.value("--csv"), csv);
        std::printf("wrote %s\n", a.value("--csv").c_str());
    }
    return 0;
}

}  // namespace

Command attentionStatsCommand() {
    return {"attention-stats", "attention statistics per layer and head of one or more runs",
            "usage: posescope-cli attention-stats run_a.h5 [run_b.h5 …] [--labelled] [--annotations FILE]\n"
            "         [--csv stats.csv]\n"
            "\n"
            "For each recorded run, per layer (its relative depth in parentheses, to set models of\n"
            "different depth side by side) and per head, the mean over every sample and keypoint of the\n"
            "keypoint's dependency row: its entropy (nats, and over ln T), the mean attention distance\n"
            "from the keypoint's prediction (crop pixels, and over the crop's diagonal), and the share of\n"
            "the row inside the person's box and on other persons' boxes outside it (over all keypoints,\n"
            "and over those whose crop shows another person: 'crowded'). Other persons come from the\n"
            "run's COCO annotation file (not computed for MPII runs or when the file is gone);\n"
            "--annotations names the file instead (one run only; an error when it cannot be read).\n"
            "--labelled keeps the keypoints with ground truth. --csv writes every number as one line\n"
            "(run,model,layer,head,statistic,value; head empty for the head-averaged rows).\n",
            runAttentionStats};
}

}  // namespace posescope::cli
