// posescope-cli synth: writes a SynthPose dataset (procedural COCO keypoints).
#include "cli.h"
#include "posescope/datasets/synthpose.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>

namespace posescope::cli {

namespace {

int intOption(const Args& a, const std::string& name, long long fallback, long long lo, long long hi) {
    const long long v = a.integer(name, fallback);
    if (v < lo || v > hi)
        throw UsageError("option '" + name + "' must be " + std::to_string(lo) + "…" + std::to_string(hi) + ", got " +
                         std::to_string(v));
    return static_cast<int>(v);
}

}  // namespace

Command synthCommand() {
    return {"synth", "generate a SynthPose dataset: procedural figures with exact COCO keypoints",
            "usage: posescope-cli synth --out DIR --n N [--seed S] [--split NAME] [--width W --height H]\n"
            "                           [--min-people A --max-people B] [--occluders P] [--threads T]\n"
            "                           [--quality Q]\n"
            "\n"
            "Renders N images of human-like figures (random proportions, poses and views, clothing,\n"
            "occluders, clutter) and writes a COCO keypoints dataset that COCO tools open unchanged:\n"
            "  DIR/annotations/person_keypoints_NAME.json   (file_name relative to DIR/images/NAME/)\n"
            "  DIR/images/NAME/000000000001.jpg …\n"
            "Visibility is exact: v=2 visible, v=1 covered (by a shape, another person or the figure's\n"
            "own body; the extra field \"occluded_by\" names what covers it), v=0 outside the image.\n"
            "The same seed and options give byte-identical files, whatever the thread count.\n"
            "\n"
            "  --out DIR          output folder (created when missing)\n"
            "  --n N              number of images\n"
            "  --seed S           random seed (default 0)\n"
            "  --split NAME       split name (default synth)\n"
            "  --width W          fixed image width (default: 320…640 per image)\n"
            "  --height H         fixed image height (default: from the width and a common aspect, 240…480)\n"
            "  --min-people A     persons per image, at least (default 1)\n"
            "  --max-people B     persons per image, at most (default 4)\n"
            "  --occluders P      chance of an occluder shape in front of each person (default 0.3)\n"
            "  --threads T        worker threads (default: one per core)\n"
            "  --quality Q        JPEG quality 1…100 (default 90)\n",
            [](const std::vector<std::string>& argv) {
                const Args a(argv, {},
                             {"--out", "--n", "--seed", "--split", "--width", "--height", "--min-people",
                              "--max-people", "--occluders", "--threads", "--quality"});
                if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
                SynthOptions o;
                o.outputDir = a.value("--out");
                if (!a.has("--n")) throw UsageError("option '--n' is required");
                o.numImages = intOption(a, "--n", 0, 0, 100000000);
                const long long seed = a.integer("--seed", 0);
                if (seed < 0) throw UsageError("option '--seed' must be >= 0");
                o.seed = static_cast<uint64_t>(seed);
                o.split = a.value("--split", o.split);
                if (a.has("--width")) o.minWidth = o.maxWidth = intOption(a, "--width", 0, 32, 8192);
                if (a.has("--height")) o.minHeight = o.maxHeight = intOption(a, "--height", 0, 32, 8192);
                o.minPeople = intOption(a, "--min-people", o.minPeople, 0, 100);
                o.maxPeople = intOption(a, "--max-people", std::max(o.maxPeople, o.minPeople), 0, 100);
                o.occluderProbability = a.number("--occluders", o.occluderProbability);
                o.threads = intOption(a, "--threads", 0, 0, 1024);
                o.jpegQuality = intOption(a, "--quality", o.jpegQuality, 1, 100);
                const std::string problem = checkSynthOptions(o);
                if (!problem.empty()) throw UsageError(problem);
                {  // a second split of the same name would replace the first and leave its other images behind
                    namespace fs = std::filesystem;
                    std::error_code ec;
                    const fs::path annotations =
                        fs::path(o.outputDir) / "annotations" / ("person_keypoints_" + o.split + ".json");
                    const fs::path images = fs::path(o.outputDir) / "images" / o.split;
                    if (fs::exists(annotations, ec) || (fs::is_directory(images, ec) && !fs::is_empty(images, ec)))
                        throw FileError(o.outputDir, "already holds a split '" + o.split +
                                                         "'; synth does not replace one: choose another --out or "
                                                         "--split, or remove it first");
                }

                SynthCallbacks callbacks;
                const auto start = std::chrono::steady_clock::now();
                int nextReport = 1;  // progress at every 10 %, for runs long enough to need it
                callbacks.progress = [&](int done, int total) {
                    if (total < 100 || done * 10 < nextReport * total || done == total) return;
                    std::cerr << "synth: " << done << "/" << total << " images\n";
                    nextReport = done * 10 / total + 1;
                };
                const SynthResult r = generateSynthPose(o, callbacks);
                const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                std::cout << "wrote " << r.images.size() << " images, " << r.annotations.size() << " persons ("
                          << r.smallPersons << " small, " << r.mediumPersons << " medium, " << r.largePersons
                          << " large; " << r.visibleKeypoints << " visible and " << r.occludedKeypoints
                          << " occluded keypoints) to " << r.annotationFile << " in " << std::fixed
                          << std::setprecision(2) << seconds << " s\n";
                return 0;
            }};
}

}  // namespace posescope::cli
