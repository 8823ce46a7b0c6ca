// posescope-cli compare: recorded runs of several models over the same samples compared side by
// side — accuracy breakdowns, the pose error taxonomy, attention statistics, where they disagree —
// and written as tables (CSV and LaTeX) into a folder.
#include "cli.h"
#include "posescope/analysis/comparison.h"
#include "posescope/analysis/figure.h"
#include "posescope/datasets/error.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace posescope::cli {
namespace {

std::string num(double v, const char* format = "%.3f") {
    if (std::isnan(v) || v < 0) return "-";
    char text[64];
    std::snprintf(text, sizeof text, format, v);
    return text;
}

void printSummary(const analysis::ComparisonReport& r) {
    const analysis::RunPairing& p = r.pairing;
    std::string unpaired;
    for (std::size_t i = 0; i < p.unpaired.size(); ++i)
        unpaired += (i ? ", " : "") + std::to_string(p.unpaired[i]);
    std::printf("%zu models, %zu samples paired (unpaired rows per run: %s)\n\n", r.models.size(), p.samples.size(),
                unpaired.c_str());
    int width = 5;
    for (const analysis::ModelComparison& m : r.models)
        width = std::max(width, static_cast<int>(m.name.size()));
    std::printf("%-*s  %6s %6s   AP fixing: %6s %6s %6s %6s   without: %6s %6s\n", width, "model", "AP", "AR", "miss",
                "+swap", "+inv", "+jitter", "bg FP", "+FN");
    for (const analysis::ModelComparison& m : r.models) {
        const analysis::TaxonomyAp& ap = m.taxonomy.ap;
        std::printf("%-*s  %6s %6s              %6s %6s %6s %6s            %6s %6s\n", width, m.name.c_str(),
                    num(m.breakdown.overall.ap).c_str(), num(m.breakdown.overall.ar).c_str(),
                    num(ap.withoutMiss).c_str(), num(ap.withoutSwap).c_str(), num(ap.withoutInversion).c_str(),
                    num(ap.withoutJitter).c_str(), num(ap.withoutBackgroundFp).c_str(),
                    num(ap.withoutFalseNegatives).c_str());
    }
    std::printf("\nerror cases: keypoints of matched predictions (jitter, inversion, swap, miss); poses at OKS %.2f\n",
                r.models.front().backgroundOks);
    std::printf("%-*s  %8s %9s %6s %6s   %8s %8s\n", width, "model", "jitter", "inversion", "swap", "miss", "bg FP",
                "FN");
    for (const analysis::ModelComparison& m : r.models) {
        const auto& t = m.taxonomy.totals;
        std::printf("%-*s  %8lld %9lld %6lld %6lld   %8zu %8zu\n", width, m.name.c_str(), static_cast<long long>(t[1]),
                    static_cast<long long>(t[2]), static_cast<long long>(t[3]), static_cast<long long>(t[4]),
                    m.backgroundFalsePositives.size(), m.falseNegatives.size());
    }
    const std::size_t top = std::min<std::size_t>(5, r.disagreements.size());
    std::printf("\nlargest disagreement (OKS max - min): %s\n",
                r.disagreements.empty() ? "-" : num(r.disagreements.front().disagreement).c_str());
    if (top == 0) return;
    std::printf("  %4s %10s %12s  %s\n", "rank", "image", "annotation", "OKS per model (row) -> disagreement");
    for (std::size_t i = 0; i < top; ++i) {
        const analysis::PairedSample& s = r.disagreements[i];
        std::string oks;
        for (std::size_t m = 0; m < s.oks.size(); ++m)
            oks += (m ? "  " : "") + num(s.oks[m]) + " (" + std::to_string(s.rows[m]) + ")";
        std::printf("  %4zu %10lld %12lld  %s  -> %s\n", i + 1, static_cast<long long>(s.imageId),
                    static_cast<long long>(s.annotationId), oks.c_str(), num(s.disagreement).c_str());
    }
}

int runCompare(const std::vector<std::string>& argv) {
    const Args a(argv, {}, {"--out", "--gt", "--top", "--figures"});
    if (a.positional().empty()) throw UsageError("compare takes one or more run files");
    if (!a.has("--out")) throw UsageError("compare needs --out DIR, the folder the tables are written to");
    const long long top = a.integer("--top", 50);
    if (top < 0) throw UsageError("--top must be 0 or more");
    const long long figures = a.integer("--figures", 3);
    if (figures < 0) throw UsageError("--figures must be 0 or more");
    const std::string out = a.value("--out");
    {  // found out now, not after hours of analysis
        std::error_code ec;
        if (std::filesystem::exists(out, ec) && !std::filesystem::is_directory(out, ec))
            throw UsageError("--out " + out + " is a file; compare writes its tables into a folder");
        const std::filesystem::path parent = std::filesystem::path(out).parent_path();
        if (!parent.empty() && !std::filesystem::is_directory(parent, ec))
            throw FileError(out, "cannot be created: " + parent.string() +
                                     (std::filesystem::exists(parent, ec) ? " is not a folder" : " does not exist"));
    }

    analysis::ComparisonOptions o;
    o.gtFile = a.value("--gt", "");
    o.topDisagreements = static_cast<std::size_t>(top);
    StopOnSignals stop;
    o.cancel = [] { return StopOnSignals::stopRequested(); };
    ProgressLine progress;
    o.progress = [&](const std::string& stage, int64_t done, int64_t total) {
        progress.show(stage + ": " + std::to_string(done) + "/" + std::to_string(total), done == total);
    };
    const analysis::ComparisonReport report = analysis::compareRuns(a.positional(), o);
    progress.finish();
    if (report.cancelled) {
        std::fprintf(stderr, "interrupted\n");
        return 130;
    }
    printSummary(report);

    std::printf("\n");
    for (const std::string& path : analysis::writeComparisonTables(report, out))
        std::printf("wrote %s\n", path.c_str());
    analysis::ensureGuiApplication();
    for (const std::string& path : analysis::writeComparisonFigures(report, out, static_cast<std::size_t>(figures)))
        std::printf("wrote %s\n", path.c_str());
    return 0;
}

}  // namespace

Command compareCommand() {
    return {"compare", "compare models: breakdowns, error taxonomy, attention, tables",
            "usage: posescope-cli compare run_a.h5 [run_b.h5 …] --out DIR [--gt person_keypoints.json] [--top N]\n"
            "         [--figures N]\n"
            "\n"
            "Compares recorded COCO runs of one or more models over the same samples (the same dataset\n"
            "and boxes; order, subset and shards may differ). Per model: OKS AP/AR overall, by person\n"
            "size and by people in the crop; the keypoint error by visibility (and by pruned share for\n"
            "PPT); Ronchi & Perona's error taxonomy with the AP gained by fixing each error type, the\n"
            "background false positives and false negatives; attention statistics per layer (labelled\n"
            "keypoints). Across the models: the samples whose OKS differs most.\n"
            "Prints a summary and writes into DIR (created when missing), each as .csv and .tex (a\n"
            "booktabs tabular, the best model in bold): accuracy, keypoint_errors, error_taxonomy,\n"
            "attention, pruning (when a model prunes tokens), disagreement; and error_cases.csv (every\n"
            "error with its run row, image and annotation) and models.csv. Figures, each as .pdf and\n"
            ".png with its spec (.json; `posescope-cli figure` redraws it): chart_accuracy,\n"
            "chart_errors, chart_attention, chart_keypoints, and for two or more models\n"
            "disagreement_1 … N: the samples they disagree on most side by side.\n"
            "  --gt FILE   the COCO annotation file of every run (default: each run's own)\n"
            "  --top N     samples in the disagreement table (default 50)\n"
            "  --figures N side-by-side figures of the most disagreed samples (default 3)\n",
            runCompare};
}

}  // namespace posescope::cli
