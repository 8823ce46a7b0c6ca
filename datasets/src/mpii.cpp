#include "posescope/datasets/mpii.h"

#include "matfile.h"
#include "posescope/datasets/error.h"
#include "posescope/datasets/json.h"

#include <cmath>

namespace posescope {

MpiiDataset MpiiDataset::load(const std::string& jsonFile, const std::string& imageDir) {
    const json::JsonDocument doc(jsonFile);
    MpiiDataset d;
    d.m_imageDir = imageDir;
    for (const json::JsonValue& a : doc.root().array()) {
        MpiiSample s;
        s.image = a.field("image").string();
        const std::vector<double> c = a.field("center").numbers(2);
        s.centerX = c[0];
        s.centerY = c[1];
        s.scale = a.field("scale").number();
        if (!(s.scale > 0)) a.field("scale").fail("scale must be positive");
        json::JsonValue joints = a;
        if (a.optional("joints", &joints)) {
            const std::vector<json::JsonValue> rows = joints.array();
            if (rows.size() != kMpiiJoints)
                joints.fail("expected " + std::to_string(kMpiiJoints) + " joints, got " + std::to_string(rows.size()));
            for (size_t j = 0; j < rows.size(); ++j) {
                const std::vector<double> xy = rows[j].numbers(2);
                s.joints[2 * j] = xy[0];
                s.joints[2 * j + 1] = xy[1];
            }
            const std::vector<double> vis = a.field("joints_vis").numbers(kMpiiJoints);
            for (size_t j = 0; j < vis.size(); ++j) {
                if (vis[j] != 0 && vis[j] != 1) a.field("joints_vis").fail("expected 0 or 1 per joint");
                s.visible[j] = static_cast<int>(vis[j]);
            }
            s.hasJoints = true;
        }
        d.m_samples.push_back(s);
    }
    return d;
}

std::string MpiiDataset::imagePath(const MpiiSample& s) const {
    if (m_imageDir.empty() || (!s.image.empty() && s.image.front() == '/')) return s.image;
    return m_imageDir.back() == '/' ? m_imageDir + s.image : m_imageDir + "/" + s.image;
}

CenterScale mpiiCenterScale(const MpiiSample& s) {
    // lib/dataset/mpii.py::_get_db: float64 arithmetic, center −1 after the adjustment.
    double cx = s.centerX, cy = s.centerY, sc = s.scale;
    if (cx != -1) {
        cy = cy + 15 * sc;
        sc = sc * 1.25;
    }
    CenterScale cs;
    cs.cx = static_cast<float>(cx - 1);
    cs.cy = static_cast<float>(cy - 1);
    cs.sw = cs.sh = static_cast<float>(sc);
    return cs;
}

std::vector<double> mpiiJoints(const MpiiSample& s) {
    std::vector<double> out;
    for (int j = 0; j < kMpiiJoints; ++j) {
        out.push_back(s.joints[static_cast<size_t>(2 * j)] - 1);
        out.push_back(s.joints[static_cast<size_t>(2 * j + 1)] - 1);
        out.push_back(s.visible[static_cast<size_t>(j)]);
    }
    return out;
}

MpiiGroundTruth loadMpiiGroundTruth(const std::string& matFile) {
    const auto arrays = mat::readMatNumeric(matFile);
    auto get = [&](const char* name) -> const mat::MatArray& {
        auto it = arrays.find(name);
        if (it == arrays.end()) throw FileError(matFile, std::string("no numeric variable '") + name + "'");
        return it->second;
    };
    const mat::MatArray& pos = get("pos_gt_src");       // 16 × 2 × N
    const mat::MatArray& missing = get("jnt_missing");  // 16 × N
    const mat::MatArray& heads = get("headboxes_src");  // 2 × 2 × N: [top-left; bottom-right] × [x, y]
    if (pos.dims.size() != 3 || pos.dims[0] != kMpiiJoints || pos.dims[1] != 2)
        throw FileError(matFile, "pos_gt_src: expected 16×2×N");
    const int64_t n = pos.dims[2];
    if (missing.dims.size() != 2 || missing.dims[0] != kMpiiJoints || missing.dims[1] != n)
        throw FileError(matFile, "jnt_missing: expected 16×" + std::to_string(n));
    if (heads.dims.size() != 3 || heads.dims[0] != 2 || heads.dims[1] != 2 || heads.dims[2] != n)
        throw FileError(matFile, "headboxes_src: expected 2×2×" + std::to_string(n));
    MpiiGroundTruth gt;
    for (int64_t i = 0; i < n; ++i) {
        std::array<double, 2 * kMpiiJoints> joints{};
        std::array<bool, kMpiiJoints> miss{};
        for (int64_t j = 0; j < kMpiiJoints; ++j) {
            joints[static_cast<size_t>(2 * j)] = pos.at({j, 0, i});
            joints[static_cast<size_t>(2 * j + 1)] = pos.at({j, 1, i});
            miss[static_cast<size_t>(j)] = missing.at({j, i}) != 0;
        }
        gt.joints.push_back(joints);
        gt.missing.push_back(miss);
        const double dx = heads.at({1, 0, i}) - heads.at({0, 0, i});
        const double dy = heads.at({1, 1, i}) - heads.at({0, 1, i});
        gt.headSize.push_back(std::sqrt(dx * dx + dy * dy));
    }
    return gt;
}

std::vector<std::array<double, 2 * kMpiiJoints>> loadMpiiPredictions(const std::string& file) {
    std::vector<std::array<double, 2 * kMpiiJoints>> out;
    if (file.size() > 5 && file.compare(file.size() - 5, 5, ".json") == 0) {
        const json::JsonDocument doc(file);
        for (const json::JsonValue& sample : doc.root().array()) {
            const std::vector<json::JsonValue> joints = sample.array();
            if (joints.size() != kMpiiJoints)
                sample.fail("expected " + std::to_string(kMpiiJoints) + " joints, got " +
                            std::to_string(joints.size()));
            std::array<double, 2 * kMpiiJoints> p{};
            for (size_t j = 0; j < joints.size(); ++j) {
                const std::vector<double> xy = joints[j].numbers(2);
                p[2 * j] = xy[0];
                p[2 * j + 1] = xy[1];
            }
            out.push_back(p);
        }
        return out;
    }
    const auto arrays = mat::readMatNumeric(file);
    const auto it = arrays.find("preds");
    if (it == arrays.end()) throw FileError(file, "no numeric variable 'preds'");
    const mat::MatArray& preds = it->second;
    if (preds.dims.size() != 3 || preds.dims[1] != kMpiiJoints || preds.dims[2] < 2)
        throw FileError(file, "preds: expected N×16×2");
    for (int64_t i = 0; i < preds.dims[0]; ++i) {
        std::array<double, 2 * kMpiiJoints> p{};
        for (int64_t j = 0; j < kMpiiJoints; ++j) {
            p[static_cast<size_t>(2 * j)] = preds.at({i, j, 0});
            p[static_cast<size_t>(2 * j + 1)] = preds.at({i, j, 1});
        }
        out.push_back(p);
    }
    return out;
}

}  // namespace posescope
