// posescope-cli record / inspect / merge: recording runs to HDF5 and looking into them.
#include "cli.h"
#include "posescope/analysis/record.h"
#include "posescope/analysis/run_merge.h"
#include "posescope/analysis/run_store.h"

#include <unistd.h>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

namespace posescope::cli {
namespace {

std::vector<int64_t> parseIds(const std::string& text) {
    std::vector<int64_t> ids;
    std::stringstream in(text);
    for (std::string part; std::getline(in, part, ',');) {
        try {
            size_t used = 0;
            ids.push_back(std::stoll(part, &used));
            if (used != part.size()) throw std::invalid_argument(part);
        } catch (const std::exception&) {
            throw UsageError("--ids must be image ids separated by commas, got '" + text + "'");
        }
    }
    return ids;
}

std::pair<int, int> parseShard(const std::string& text) {
    int i = 0, n = 0;
    char slash = 0, extra = 0;
    if (std::sscanf(text.c_str(), "%d%c%d%c", &i, &slash, &n, &extra) != 3 || slash != '/' || n < 1 || i < 0 || i >= n)
        throw UsageError("--shard must be i/n with 0 <= i < n, got '" + text + "'");
    return {i, n};
}

// A bar redrawn in place on a terminal; plain lines every few seconds otherwise (logs, SLURM).
class ProgressPrinter {
public:
    ProgressPrinter() : m_tty(::isatty(STDERR_FILENO) != 0) {}
    void operator()(const analysis::RecordProgress& p) {
        const double pct = p.total > 0 ? 100.0 * static_cast<double>(p.done) / static_cast<double>(p.total) : 100;
        char line[160];
        if (m_tty) {
            const int width = 30, filled = static_cast<int>(pct / 100 * width);
            std::string bar(static_cast<size_t>(filled), '#');
            bar.resize(width, ' ');
            std::snprintf(line, sizeof line, "\r[%s] %lld/%lld %3.0f%% %.2f samples/s ETA %s ", bar.c_str(),
                          static_cast<long long>(p.done), static_cast<long long>(p.total), pct, p.samplesPerSecond,
                          durationText(p.etaSeconds).c_str());
            std::cerr << line << std::flush;
            return;
        }
        const auto now = std::chrono::steady_clock::now();
        if (p.done < p.total && now - m_last < std::chrono::seconds(5)) return;
        m_last = now;
        std::snprintf(line, sizeof line, "recorded %lld/%lld (%.0f%%), %.2f samples/s, ETA %s\n",
                      static_cast<long long>(p.done), static_cast<long long>(p.total), pct, p.samplesPerSecond,
                      durationText(p.etaSeconds).c_str());
        std::cerr << line << std::flush;
    }
    void end() {
        if (m_tty) std::cerr << '\n';
    }

private:
    bool m_tty;
    std::chrono::steady_clock::time_point m_last{};
};

const std::vector<std::string> kRecordOptions = {"--config", "--set", "--checkpoint",   "--dataset", "--images",
                                                 "--subset", "--ids", "--boxes",        "--level",   "--decode",
                                                 "--shard",  "--out", "--flush-seconds"};

// What record and occlude share: model, data, selection, output.
analysis::RecordOptions recordOptionsFrom(const Args& a, int defaultBatch) {
    analysis::RecordOptions o;
    o.config = configFrom(a);
    o.checkpoint = a.value("--checkpoint");
    o.dataset = a.value("--dataset", "");  // none: a folder of your own images
    o.images = a.value("--images");
    o.boxes = a.value("--boxes", "");
    o.subset = a.integer("--subset", -1);
    if (a.has("--subset") && o.subset < 0) throw UsageError("--subset must be a count >= 0");
    if (a.has("--ids")) o.imageIds = parseIds(a.value("--ids"));
    try {
        o.level = analysis::parseRunLevel(a.value("--level", "keypoints"));
    } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("--level: ") + e.what());
    }
    const std::string decode = a.value("--decode", "dark");
    if (decode == "dark")
        o.decode = models::DecodeMethod::Dark;
    else if (decode == "argmax")
        o.decode = models::DecodeMethod::Argmax;
    else if (decode == "quarter")
        o.decode = models::DecodeMethod::ArgmaxQuarterOffset;
    else
        throw UsageError("--decode must be dark, argmax or quarter");
    o.flip = a.flag("--flip");
    o.layerwise = !a.flag("--no-layerwise");
    if (a.has("--shard")) std::tie(o.shardIndex, o.shardCount) = parseShard(a.value("--shard"));
    o.out = a.value("--out");
    o.resume = a.flag("--resume");
    o.batchSize = static_cast<int>(a.integer("--batch", defaultBatch));
    if (o.batchSize < 1) throw UsageError("--batch must be at least 1");
    o.flushSeconds = a.number("--flush-seconds", 2.0);
    if (!(o.flushSeconds >= 0)) throw UsageError("--flush-seconds must be >= 0");
    o.posescopeVersion = POSESCOPE_VERSION;
    return o;
}

int recordWith(const analysis::RecordOptions& o) {
    ProgressPrinter printer;
    analysis::RecordCallbacks cb;
    cb.progress = [&](const analysis::RecordProgress& p) { printer(p); };
    // One line per problem: the persons of one broken image share it.
    std::map<std::string, int64_t> problems;
    int64_t repeated = 0;
    cb.issue = [&](int64_t index, const std::string& problem) {
        if (problems[problem]++ > 0) {
            ++repeated;
            return;
        }
        std::cerr << "\nskipped sample " << index << ": " << problem << '\n';
    };
    cb.cancel = [] { return StopOnSignals::stopRequested(); };
    analysis::RecordResult r;
    {
        // Ctrl-C or SIGTERM: finish the current batch, flush, close and say how to continue.
        const StopOnSignals stopOnSignals;
        r = analysis::recordRun(o, cb);
    }
    printer.end();
    if (r.cancelled) {
        std::printf("interrupted: %lld of %lld samples are saved in %s; continue with --resume\n",
                    static_cast<long long>(r.recorded), static_cast<long long>(r.total), r.out.c_str());
        return 130;
    }
    std::printf("recorded %lld of %lld samples into %s in %.1f s", static_cast<long long>(r.recorded),
                static_cast<long long>(r.total), r.out.c_str(), r.seconds);
    if (r.resumedFrom > 0) std::printf(" (resumed after %lld)", static_cast<long long>(r.resumedFrom));
    if (r.skipped > 0) std::printf(", %lld skipped", static_cast<long long>(r.skipped));
    if (repeated > 0) std::printf(" (%lld of them for a problem reported above)", static_cast<long long>(repeated));
    std::printf("\n");
    if (r.recorded == 0 && r.skipped > 0 && r.resumedFrom == 0) {
        std::fflush(stdout);
        std::fprintf(stderr, "posescope-cli: error: %s: nothing recorded: every sample was skipped (see above)\n",
                     r.out.c_str());
        return 1;
    }
    return 0;
}

int runRecord(const std::vector<std::string>& argv) {
    std::vector<std::string> options = kRecordOptions;
    options.push_back("--batch");
    const Args a(argv, {"--flip", "--resume", "--no-layerwise"}, options);
    if (!a.positional().empty()) throw UsageError("record takes no positional arguments");
    return recordWith(recordOptionsFrom(a, 8));
}

int runOcclude(const std::vector<std::string>& argv) {
    std::vector<std::string> options = kRecordOptions;
    options.insert(options.end(), {"--batch", "--window", "--stride", "--fill", "--blur-sigma", "--seed", "--texture",
                                   "--targeted-margin", "--targeted-parts", "--occlusion-batch"});
    const Args a(argv, {"--resume", "--no-layerwise", "--targeted-all-rows"}, options);
    if (!a.positional().empty()) throw UsageError("occlude takes no positional arguments");
    analysis::RecordOptions o = recordOptionsFrom(a, 1);
    analysis::OcclusionRecipe& r = o.occlusion;
    r.window = static_cast<int>(a.integer("--window", 32));
    r.stride = static_cast<int>(a.integer("--stride", 16));
    if (r.window < 1 || r.stride < 1) throw UsageError("--window and --stride must be at least 1 pixel");
    r.fill = a.value("--fill", "mean");
    if (r.fill != "mean" && r.fill != "black" && r.fill != "blur" && r.fill != "noise" && r.fill != "texture")
        throw UsageError("--fill must be mean, black, blur, noise or texture");
    r.blurSigma = a.number("--blur-sigma", 8);
    if (!(r.blurSigma > 0)) throw UsageError("--blur-sigma must be positive");
    r.seed = static_cast<uint64_t>(a.integer("--seed", 1));
    r.texture = a.value("--texture", "");
    if (r.fill == "texture" && r.texture.empty()) throw UsageError("--fill texture needs --texture IMAGE");
    if (r.fill != "texture" && !r.texture.empty())
        throw UsageError("--texture is used by --fill texture only (the fill is " + r.fill + ")");
    r.targetedMargin = static_cast<int>(a.integer("--targeted-margin", 16));
    if (r.targetedMargin < 0) throw UsageError("--targeted-margin must be >= 0 (0: no targeted occlusion)");
    r.targetedAllRows = a.flag("--targeted-all-rows");
    if (r.targetedAllRows && r.targetedMargin == 0)
        throw UsageError("--targeted-all-rows needs targeted occlusions (--targeted-margin > 0)");
    r.targetedParts = a.value("--targeted-parts", "auto");
    if (r.targetedMargin == 0 && a.has("--targeted-parts"))
        throw UsageError("--targeted-parts needs targeted occlusions (--targeted-margin > 0)");
    r.batch = static_cast<int>(a.integer("--occlusion-batch", 32));
    if (r.batch < 1) throw UsageError("--occlusion-batch must be at least 1");
    return recordWith(o);
}

int runInspect(const std::vector<std::string>& argv) {
    const Args a(argv, {}, {"--sample"});
    if (a.positional().size() != 1) throw UsageError("inspect takes one run file");
    if (a.has("--sample")) (void)a.integer("--sample", 0);  // a usage error before any output
    const analysis::RunReader r = analysis::RunReader::open(a.positional()[0]);
    const analysis::RunHeader& h = r.header();
    std::printf("run:         %s (%.1f MB)\n", r.path().c_str(), static_cast<double>(r.fileBytes()) / 1e6);
    std::printf("state:       %s\n", h.complete ? ("complete, finished " + h.finished).c_str()
                                                : "incomplete (recording, cancelled or killed; --resume continues it)");
    std::printf("samples:     %lld of %lld planned", static_cast<long long>(r.size()),
                static_cast<long long>(h.plannedSamples));
    if (h.shardCount > 1)
        std::printf(" (shard %d/%d: samples %lld..%lld of %lld)", h.shardIndex, h.shardCount,
                    static_cast<long long>(h.firstIndex), static_cast<long long>(h.firstIndex + h.plannedSamples - 1),
                    static_cast<long long>(h.totalSamples));
    if (h.skippedSamples > 0) std::printf(", %lld skipped", static_cast<long long>(h.skippedSamples));
    std::printf("\nmodel:       %s%s, %d layers, %d heads, token grid %dx%d, input %dx%d, heatmaps %dx%d\n",
                h.modelFamily.c_str(), h.modelVariant.empty() ? "" : (" " + h.modelVariant).c_str(), h.layers, h.heads,
                h.gridRows, h.gridCols, h.inputWidth, h.inputHeight, h.heatmapWidth, h.heatmapHeight);
    if (h.keypointTokens > 0)
        std::printf("queries:     %d keypoint tokens before the visual ones (dependencies are their attention)\n",
                    h.keypointTokens);
    if (h.pruningStages() > 0) {
        std::printf("pruning:     layers ");
        for (int i = 0; i < h.pruningStages(); ++i)
            std::printf("%s%d", i ? ", " : "", h.pruningLayers[static_cast<size_t>(i)] + 1);
        std::printf(": keep %.0f%% of the visual tokens each time\n", h.keepRatio * 100);
    }
    if (h.mhsaBlocks > 0)
        std::printf("mhsa:        %d BoT block(s) with %d heads on the same grid (their dependencies too)\n",
                    h.mhsaBlocks, h.mhsaHeads);
    if (h.hasOcclusion()) {
        std::printf("occlusion:   window %d px, stride %d (%dx%d windows), fill %s", h.occlusionWindow,
                    h.occlusionStride, h.occlusionRows, h.occlusionCols, h.occlusionFill.c_str());
        if (h.targetedMargin > 0)
            std::printf(", targeted margin %d px%s", h.targetedMargin, h.targetedAllRows ? " (all rows)" : "");
        std::printf("\n");
        if (!h.targetedParts.empty()) {
            std::printf("body parts:  ");
            for (size_t p = 0; p < h.targetedParts.size(); ++p) {
                std::printf("%s%s (", p ? ", " : "", h.targetedParts[p].name.c_str());
                for (size_t i = 0; i < h.targetedParts[p].keypoints.size(); ++i)
                    std::printf("%s%s", i ? " " : "",
                                h.keypointNames[static_cast<size_t>(h.targetedParts[p].keypoints[i])].c_str());
                std::printf(")");
            }
            std::printf("\n");
        }
    }
    std::printf("config:      %s\n", h.configSource.c_str());
    std::printf("checkpoint:  %s (sha256 %s)\n", h.checkpoint.c_str(), h.checkpointSha256.c_str());
    if (h.datasetKind == "images") {
        std::printf("dataset:     your own images in %s (no ground truth), %s\n", h.images.c_str(),
                    h.selection.c_str());
        std::printf("boxes:       %s\n",
                    h.boxes.empty() ? "whole images" : (h.boxes + ", whole images without one").c_str());
    } else {
        std::printf("dataset:     %s %s (sha256 %s), images %s, %s\n", h.datasetKind.c_str(), h.dataset.c_str(),
                    h.datasetSha256.c_str(), h.images.c_str(), h.selection.c_str());
        std::printf("boxes:       %s\n", h.boxes.empty() ? "ground truth" : h.boxes.c_str());
    }
    std::printf("level:       %s, decoder %s, flip %s%s\n", analysis::runLevelName(h.level).c_str(), h.decoder.c_str(),
                h.flip ? "on" : "off", h.layerwise ? "" : ", no layer-wise keypoints");
    std::printf("keypoints:   %d (", h.keypoints());
    for (int k = 0; k < h.keypoints(); ++k)
        std::printf("%s%s", k ? ", " : "", h.keypointNames[static_cast<size_t>(k)].c_str());
    std::printf(")\nrecorded by: PoseScope %s on %s\n", h.posescopeVersion.c_str(), h.created.c_str());
    if (a.has("--sample")) {
        const long long row = a.integer("--sample", 0);
        const analysis::RunSample s = r.sample(row);
        std::printf("\nsample row %lld: index %lld, image %lld, annotation %lld, box [%.1f, %.1f, %.1f, %.1f]\n", row,
                    static_cast<long long>(s.index), static_cast<long long>(s.imageId),
                    static_cast<long long>(s.annotationId), s.box[0], s.box[1], s.box[2], s.box[3]);
        for (int k = 0; k < h.keypoints(); ++k)
            std::printf("  %-16s x %8.2f  y %8.2f  score %.3f  token %d\n",
                        h.keypointNames[static_cast<size_t>(k)].c_str(), s.keypoints[static_cast<size_t>(3 * k)],
                        s.keypoints[static_cast<size_t>(3 * k + 1)], s.keypoints[static_cast<size_t>(3 * k + 2)],
                        s.queryTokens[static_cast<size_t>(k)]);
    }
    return 0;
}

int runMerge(const std::vector<std::string>& argv) {
    const Args a(argv, {}, {"--out"});
    if (a.positional().empty()) throw UsageError("merge takes the shard files to join");
    const analysis::MergeResult r = analysis::mergeRuns(a.positional(), a.value("--out"));
    std::printf("merged %zu shards: %lld samples into %s (%s", a.positional().size(), static_cast<long long>(r.samples),
                a.value("--out").c_str(), r.complete ? "complete" : "incomplete");
    if (r.missing > 0) std::printf(", %lld samples missing", static_cast<long long>(r.missing));
    std::printf(")\n");
    return 0;
}

}  // namespace

Command recordCommand() {
    return {"record", "record a model over a dataset into a run file (HDF5)",
            "usage: posescope-cli record --config PRESET|YAML [--set KEY=VALUE]… --checkpoint F.pth\n"
            "         [--dataset ann.json] --images DIR [--subset N | --ids ID,ID…] [--boxes det.json]\n"
            "         [--level keypoints|heatmaps|full] [--flip] [--decode dark|argmax|quarter]\n"
            "         [--no-layerwise]\n"
            "         [--shard i/n] [--batch N] [--flush-seconds S] --out run.h5 [--resume]\n"
            "\n"
            "Runs the model on every person instance of a COCO keypoints file (ground-truth boxes, or\n"
            "the detected boxes of --boxes) or an MPII annotation file — or, without --dataset, on a\n"
            "folder of your own images (sorted by name; image id i is the i-th): every box of --boxes\n"
            "(CSV file,x,y,w,h or JSON {\"a.jpg\": [[x,y,w,h], …]}), the whole image for images\n"
            "without one; such runs have no ground truth. It records per sample the\n"
            "ground truth, the predicted keypoints, the crop (JPEG), the layer-wise keypoints and the\n"
            "keypoint dependencies of every layer (per head and averaged). --level heatmaps adds the\n"
            "heatmaps, --level full the whole attention matrices (large). Layout: docs/hdf5-schema.md.\n"
            "--no-layerwise skips the layer-wise keypoints (the head on every layer; costly for\n"
            "TransPose-R's deconvolution head) and leaves them NaN.\n"
            "\n"
            "Samples are made durable at least every --flush-seconds (default 2): a killed run keeps\n"
            "them, and --resume continues it with nothing missing or repeated. --shard i/n records the\n"
            "i-th of n contiguous slices (join them with merge). Progress goes to stderr: a bar on a\n"
            "terminal, a line every 5 s otherwise. Ctrl-C (or SIGTERM, e.g. from a batch scheduler)\n"
            "stops after the current batch with everything saved (exit status 130).\n",
            runRecord};
}

Command occludeCommand() {
    return {"occlude", "occlusion analysis of a model over a dataset, into a run file (HDF5)",
            "usage: posescope-cli occlude --config PRESET|YAML [--set KEY=VALUE]… --checkpoint F.pth\n"
            "         --dataset ann.json --images DIR [--subset N | --ids ID,ID…] [--boxes det.json]\n"
            "         [--window PX] [--stride PX] [--fill mean|black|blur|noise|texture]\n"
            "         [--blur-sigma S] [--seed N] [--texture IMAGE] [--targeted-margin PX]\n"
            "         [--targeted-parts auto|none|NAME=KP,KP;…] [--targeted-all-rows]\n"
            "         [--occlusion-batch N] [--level keypoints|heatmaps|full] [--decode dark|argmax|quarter]\n"
            "         [--no-layerwise] [--shard i/n] [--batch N] [--flush-seconds S] --out occ.h5 [--resume]\n"
            "\n"
            "Records a run as `record` does (keypoints, crops, dependency rows of every layer) and per\n"
            "sample: (1) a sliding occluder of --window pixels (default 32) at every --stride (16) over\n"
            "the crop, filled with the normalisation mean, black, a blur of the crop, seeded noise or a\n"
            "texture image: per window and keypoint the drop of its score, the displacement of its\n"
            "prediction and its OKS term; (2) for each keypoint, the region of --targeted-margin pixels\n"
            "(16; 0 skips it) around it hidden: every keypoint's prediction, and per layer the rows'\n"
            "share on that region before and after, with the hidden keypoint's row after (and every\n"
            "keypoint's rows with --targeted-all-rows: K times larger); the same for each body part\n"
            "(--targeted-parts: auto = head, torso, arms and legs; none; or parts of keypoint names or\n"
            "indices such as \"face=nose,left_eye,right_eye;hands=9,10\"), the region around its\n"
            "keypoints hidden at once; (3) for\n"
            "SynthPose data, each occluded keypoint's occluder and its rows' share on it.\n"
            "Occluded variants go through the model --occlusion-batch (32) at a time.\n"
            "\n"
            "Each sample is made durable once done (--flush-seconds): a killed run keeps them and\n"
            "--resume continues with nothing missing or repeated; Ctrl-C stops cleanly (exit 130).\n"
            "Summarise with `posescope-cli occlusion-report occ.h5 …`; the workbench shows the maps.\n",
            runOcclude};
}

Command inspectCommand() {
    return {"inspect", "describe what a run file holds",
            "usage: posescope-cli inspect run.h5 [--sample ROW]\n"
            "\n"
            "Prints the run's model, checkpoint, dataset, level and how many samples it holds (also for a\n"
            "run being recorded or killed); --sample prints one sample's keypoints and query tokens.\n",
            runInspect};
}

Command mergeCommand() {
    return {"merge", "join the shards of a run into one run file",
            "usage: posescope-cli merge shard0.h5 shard1.h5 … --out run.h5\n"
            "\n"
            "Checks that the shards come from the same run (checkpoint, config, dataset, selection, level)\n"
            "and hold disjoint samples, and copies them in sample order into a new file.\n",
            runMerge};
}

}  // namespace posescope::cli
