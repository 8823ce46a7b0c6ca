// SynthPose: options, the worker threads, and the files (JPEG images, the COCO JSON).
#include "posescope/datasets/synthpose.h"

#include "posescope/datasets/json_text.h"

#include <opencv2/imgcodecs.hpp>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "posescope/datasets/error.h"
#include "posescope/datasets/skeleton.h"
#include "synthpose_scene.h"

namespace posescope {

namespace {

namespace fs = std::filesystem;

std::string errnoText(int err) {
    return err ? std::strerror(err) : "unknown error";
}

void makeDirectory(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw FileError(dir.string(), "cannot create directory: " + ec.message());
    if (!fs::is_directory(dir, ec)) throw FileError(dir.string(), "cannot create directory: not a directory");
}

void writeFile(const fs::path& path, const void* data, size_t size) {
    errno = 0;
    std::FILE* f = std::fopen(path.string().c_str(), "wb");
    if (!f) throw FileError(path.string(), "cannot write: " + errnoText(errno));
    errno = 0;
    const size_t written = size ? std::fwrite(data, 1, size, f) : 0;
    int err = written == size ? 0 : (errno ? errno : EIO);
    if (std::fflush(f) != 0 && !err) err = errno ? errno : EIO;
    if (std::fclose(f) != 0 && !err) err = errno ? errno : EIO;
    if (err) {
        std::error_code ignored;
        fs::remove(path, ignored);
        throw FileError(path.string(), "cannot write: " + errnoText(err));
    }
}

void writeJpeg(const fs::path& path, const cv::Mat& image, int quality) {
    std::vector<uchar> bytes;
    if (!cv::imencode(".jpg", image, bytes, {cv::IMWRITE_JPEG_QUALITY, quality}))
        throw FileError(path.string(), "cannot encode the image as JPEG");
    writeFile(path, bytes.data(), bytes.size());
}

// --- JSON, by hand: strings escaped, numbers independent of the C locale.

void appendInt(std::string& out, long long v) {
    out += std::to_string(v);
}

// A number with at most two decimals ("12.5", "3", "-0.25").
void appendFixed2(std::string& out, double v) {
    long long c = std::llround(v * 100);
    if (c < 0) out += '-', c = -c;
    out += std::to_string(c / 100);
    const int cents = static_cast<int>(c % 100);
    if (cents == 0) return;
    out += '.';
    out += static_cast<char>('0' + cents / 10);
    if (cents % 10) out += static_cast<char>('0' + cents % 10);
}

std::string cocoJson(const SynthOptions& o, const SynthResult& r) {
    std::string j;
    size_t counts = 0;
    for (const ObjectMask& m : r.occluderMasks)
        counts += m.counts.size();
    j.reserve(1024 + r.images.size() * 80 + r.annotations.size() * 700 + r.occluderMasks.size() * 100 + counts * 6);
    j += "{\"info\": {\"description\": \"SynthPose: procedural COCO keypoints rendered by PoseScope\", ";
    j += "\"version\": \"1.0\", \"contributor\": \"PoseScope\", \"url\": \"\", \"date_created\": \"\", \"seed\": ";
    j += std::to_string(o.seed);
    j += ", \"split\": ";
    appendJsonString(j, o.split);
    j += "},\n\"licenses\": [],\n\"images\": [";
    for (size_t i = 0; i < r.images.size(); ++i) {
        const ImageInfo& im = r.images[i];
        j += i ? ",\n" : "\n";
        j += "{\"id\": ";
        appendInt(j, im.id);
        j += ", \"file_name\": ";
        appendJsonString(j, im.fileName);
        j += ", \"width\": ";
        appendInt(j, im.width);
        j += ", \"height\": ";
        appendInt(j, im.height);
        j += '}';
    }
    j += "],\n\"annotations\": [";
    for (size_t i = 0; i < r.annotations.size(); ++i) {
        const PersonAnnotation& a = r.annotations[i];
        j += i ? ",\n" : "\n";
        j += "{\"id\": ";
        appendInt(j, a.id);
        j += ", \"image_id\": ";
        appendInt(j, a.imageId);
        j += ", \"category_id\": 1, \"iscrowd\": 0, \"num_keypoints\": ";
        appendInt(j, a.numKeypoints);
        j += ", \"area\": ";
        appendInt(j, std::llround(a.area));
        j += ", \"bbox\": [";
        const double box[4] = {a.bbox.x, a.bbox.y, a.bbox.w, a.bbox.h};
        for (int k = 0; k < 4; ++k) {
            if (k) j += ", ";
            appendFixed2(j, box[k]);
        }
        j += "], \"keypoints\": [";
        for (size_t k = 0; k < a.keypoints.size(); ++k) {
            if (k) j += ", ";
            appendFixed2(j, a.keypoints[k]);
        }
        j += "], \"segmentation\": [], \"occluded_by\": [";
        for (size_t k = 0; k < a.occludedBy.size(); ++k) {
            if (k) j += ", ";
            appendInt(j, a.occludedBy[k]);
        }
        j += "]}";
    }
    j += "],\n\"occluder_masks\": [";
    for (size_t i = 0; i < r.occluderMasks.size(); ++i) {
        const ObjectMask& m = r.occluderMasks[i];
        j += i ? ",\n" : "\n";
        j += "{\"id\": ";
        appendInt(j, m.id);
        j += ", \"image_id\": ";
        appendInt(j, m.imageId);
        j += ", \"segmentation\": {\"size\": [";
        appendInt(j, m.height);
        j += ", ";
        appendInt(j, m.width);
        j += "], \"counts\": [";
        for (size_t k = 0; k < m.counts.size(); ++k) {
            if (k) j += ", ";
            appendInt(j, m.counts[k]);
        }
        j += "]}}";
    }
    const Skeleton& coco = cocoSkeleton();
    j += "],\n\"categories\": [{\"id\": 1, \"name\": \"person\", \"supercategory\": \"person\", \"keypoints\": [";
    for (int k = 0; k < coco.size(); ++k) {
        if (k) j += ", ";
        appendJsonString(j, coco.keypoints[static_cast<size_t>(k)]);
    }
    j += "], \"skeleton\": [";
    for (size_t k = 0; k < coco.limbs.size(); ++k) {
        if (k) j += ", ";
        j += '[';
        appendInt(j, coco.limbs[k].first + 1);
        j += ", ";
        appendInt(j, coco.limbs[k].second + 1);
        j += ']';
    }
    j += "]}]}\n";
    return j;
}

// Joins the workers on every way out of generateSynthPose (callbacks may throw).
struct Workers {
    std::vector<std::thread> threads;
    std::atomic<bool>& stop;
    ~Workers() {
        stop = true;
        for (std::thread& t : threads)
            if (t.joinable()) t.join();
    }
};

}  // namespace

std::string checkSynthOptions(const SynthOptions& o) {
    if (o.outputDir.empty()) return "no output folder given";
    if (o.split.empty() || o.split[0] == '.') return "split name '" + o.split + "' must not be empty or start with '.'";
    for (const char c : o.split)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
            return "split name '" + o.split + "' may only hold letters, digits, '_', '-' and '.'";
    if (o.numImages < 0 || o.numImages > 100000000) return "number of images must be 0…100000000";
    auto range = [](const char* what, int lo, int hi, int min, int max) -> std::string {
        if (lo < min || hi > max || lo > hi)
            return std::string(what) + " range " + std::to_string(lo) + "…" + std::to_string(hi) + " must lie in " +
                   std::to_string(min) + "…" + std::to_string(max) + " with min <= max";
        return "";
    };
    for (const std::string& p :
         {range("width", o.minWidth, o.maxWidth, 32, 8192), range("height", o.minHeight, o.maxHeight, 32, 8192),
          range("people", o.minPeople, o.maxPeople, 0, 100)})
        if (!p.empty()) return p;
    if (!(o.occluderProbability >= 0 && o.occluderProbability <= 1)) return "occluder probability must be 0…1";
    if (o.jpegQuality < 1 || o.jpegQuality > 100) return "JPEG quality must be 1…100";
    if (o.threads < 0) return "thread count must be >= 0";
    return "";
}

SynthResult generateSynthPose(const SynthOptions& o, const SynthCallbacks& callbacks) {
    const std::string problem = checkSynthOptions(o);
    if (!problem.empty()) throw Error("SynthPose: " + problem);

    const fs::path root(o.outputDir), annotations = root / "annotations", images = root / "images" / o.split;
    makeDirectory(root);
    makeDirectory(annotations);
    makeDirectory(images);

    SynthResult result;
    result.annotationFile = (annotations / ("person_keypoints_" + o.split + ".json")).string();
    result.imageDir = images.string();

    const int n = o.numImages;
    std::vector<std::optional<synth::SceneOutput>> done(static_cast<size_t>(n));
    auto render = [&](int i) {
        synth::SceneOutput s = synth::renderScene(o, i + 1, o.keepLayers);
        writeJpeg(images / s.info.fileName, s.image, o.jpegQuality);
        s.image.release();
        done[static_cast<size_t>(i)] = std::move(s);
    };
    auto cancelled = [&] { return callbacks.cancelled && callbacks.cancelled(); };

    int threads = o.threads > 0 ? o.threads : static_cast<int>(std::thread::hardware_concurrency());
    threads = std::max(1, std::min(threads, n));
    if (threads == 1) {
        for (int i = 0; i < n; ++i) {
            if (cancelled()) {
                result.cancelled = true;
                break;
            }
            render(i);
            if (callbacks.progress) callbacks.progress(i + 1, n);
        }
    } else {
        std::atomic<bool> stop{false};
        std::atomic<int> next{0};
        std::mutex mutex;
        std::condition_variable wake;
        int finished = 0, exited = 0;
        std::exception_ptr error;
        {
            Workers workers{{}, stop};
            for (int t = 0; t < threads; ++t)
                workers.threads.emplace_back([&] {
                    while (!stop) {
                        const int i = next++;
                        if (i >= n) break;
                        try {
                            render(i);
                        } catch (...) {
                            std::lock_guard<std::mutex> lock(mutex);
                            if (!error) error = std::current_exception();
                            stop = true;
                            break;
                        }
                        std::lock_guard<std::mutex> lock(mutex);
                        ++finished;
                        wake.notify_all();
                    }
                    std::lock_guard<std::mutex> lock(mutex);
                    ++exited;
                    wake.notify_all();
                });
            int reported = 0;
            for (;;) {
                int now, gone;
                {
                    std::unique_lock<std::mutex> lock(mutex);
                    wake.wait_for(lock, std::chrono::milliseconds(20),
                                  [&] { return finished > reported || exited == threads; });
                    now = finished, gone = exited;
                }
                if (!callbacks.progress) reported = now;
                while (reported < now)
                    callbacks.progress(++reported, n);
                if (gone == threads) {
                    std::lock_guard<std::mutex> lock(mutex);
                    if (finished == reported) break;
                    continue;
                }
                if (!stop && cancelled()) {
                    result.cancelled = true;
                    stop = true;
                }
            }
        }
        if (error) std::rethrow_exception(error);
    }

    for (auto& s : done) {
        if (!s) continue;
        result.images.push_back(s->info);
        for (PersonAnnotation& a : s->annotations) {
            const double area = a.area;
            (area < 32 * 32 ? result.smallPersons : area <= 96 * 96 ? result.mediumPersons : result.largePersons)++;
            for (int k = 0; k < a.keypointCount(); ++k) {
                const double v = a.keypoints[static_cast<size_t>(3 * k + 2)];
                if (v == 2) ++result.visibleKeypoints;
                if (v == 1) ++result.occludedKeypoints;
            }
            result.annotations.push_back(std::move(a));
        }
        for (ObjectMask& m : s->occluderMasks)
            result.occluderMasks.push_back(std::move(m));
        if (o.keepLayers) result.layers.push_back({s->info.id, std::move(s->layers)});
        s.reset();
    }

    // Through a temporary file, so that a failed run never leaves a truncated annotation file.
    const std::string json = cocoJson(o, result);
    const fs::path target(result.annotationFile), temporary(result.annotationFile + ".tmp");
    writeFile(temporary, json.data(), json.size());
    std::error_code ec;
    fs::rename(temporary, target, ec);
    if (ec) {
        fs::remove(temporary, ec);
        throw FileError(target.string(), "cannot write: " + ec.message());
    }
    return result;
}

}  // namespace posescope
