#include "posescope/datasets/skeleton.h"

#include "posescope/datasets/error.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <sstream>

namespace posescope {
namespace {

std::string trimmed(const std::string& s) {
    size_t a = 0, b = s.size();
    while (a < b && std::isspace(static_cast<unsigned char>(s[a])))
        ++a;
    while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1])))
        --b;
    return s.substr(a, b - a);
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, sep);)
        out.push_back(trimmed(item));
    return out;
}

}  // namespace

std::vector<BodyPart> standardBodyParts(const std::vector<std::string>& keypointNames) {
    struct Recipe {
        const char* name;
        std::vector<std::string> keypoints;
    };
    static const std::array<Recipe, 6> recipes{{
        {"head", {"nose", "left_eye", "right_eye", "left_ear", "right_ear", "upper_neck", "head_top"}},
        {"torso", {"left_shoulder", "right_shoulder", "left_hip", "right_hip", "thorax", "pelvis"}},
        {"left_arm", {"left_shoulder", "left_elbow", "left_wrist"}},
        {"right_arm", {"right_shoulder", "right_elbow", "right_wrist"}},
        {"left_leg", {"left_hip", "left_knee", "left_ankle"}},
        {"right_leg", {"right_hip", "right_knee", "right_ankle"}},
    }};
    std::vector<BodyPart> parts;
    for (const Recipe& r : recipes) {
        BodyPart part{r.name, {}};
        for (size_t k = 0; k < keypointNames.size(); ++k)
            if (std::find(r.keypoints.begin(), r.keypoints.end(), keypointNames[k]) != r.keypoints.end())
                part.keypoints.push_back(static_cast<int>(k));
        if (!part.keypoints.empty()) parts.push_back(std::move(part));
    }
    return parts;
}

std::vector<BodyPart> parseBodyParts(const std::string& spec, const std::vector<std::string>& keypointNames) {
    const std::string all = trimmed(spec);
    if (all.empty() || all == "none") return {};
    if (all == "auto") return standardBodyParts(keypointNames);
    std::vector<BodyPart> parts;
    for (const std::string& item : split(all, ';')) {
        if (item.empty()) continue;
        const size_t eq = item.find('=');
        BodyPart part{trimmed(item.substr(0, std::min(eq, item.size()))), {}};
        if (eq == std::string::npos || part.name.empty())
            throw Error("body parts: \"" + item + "\" is not name=keypoint,keypoint,…");
        for (const auto& p : parts)
            if (p.name == part.name) throw Error("body parts: the part \"" + part.name + "\" is named twice");
        for (const std::string& k : split(item.substr(eq + 1), ',')) {
            if (k.empty()) continue;
            int index = -1;
            const auto named = std::find(keypointNames.begin(), keypointNames.end(), k);
            if (named != keypointNames.end()) {
                index = static_cast<int>(named - keypointNames.begin());
            } else if (std::all_of(k.begin(), k.end(), [](unsigned char c) { return std::isdigit(c) != 0; }) &&
                       k.size() < 6) {
                index = std::stoi(k);
                if (index >= static_cast<int>(keypointNames.size())) index = -1;
            }
            if (index < 0)
                throw Error("body parts: the part \"" + part.name + "\" names an unknown keypoint \"" + k + "\"");
            if (std::find(part.keypoints.begin(), part.keypoints.end(), index) == part.keypoints.end())
                part.keypoints.push_back(index);
        }
        if (part.keypoints.empty()) throw Error("body parts: the part \"" + part.name + "\" names no keypoint");
        parts.push_back(std::move(part));
    }
    return parts;
}

int Skeleton::indexOf(const std::string& keypoint) const {
    for (int i = 0; i < size(); ++i)
        if (keypoints[static_cast<size_t>(i)] == keypoint) return i;
    return -1;
}

int Skeleton::flipped(int i) const {
    for (const auto& [a, b] : flipPairs) {
        if (a == i) return b;
        if (b == i) return a;
    }
    return i;
}

const Skeleton& cocoSkeleton() {
    static const Skeleton s{
        "coco17",
        {"nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
         "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
         "right_ankle"},
        {{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}, {11, 12}, {13, 14}, {15, 16}},
        // COCO's 1-based skeleton [[16,14],[14,12],[17,15],[15,13],[12,13],[6,12],[7,13],[6,7],[6,8],
        // [7,9],[8,10],[9,11],[2,3],[1,2],[1,3],[2,4],[3,5],[4,6],[5,7]], made 0-based.
        {{15, 13},
         {13, 11},
         {16, 14},
         {14, 12},
         {11, 12},
         {5, 11},
         {6, 12},
         {5, 6},
         {5, 7},
         {6, 8},
         {7, 9},
         {8, 10},
         {1, 2},
         {0, 1},
         {0, 2},
         {1, 3},
         {2, 4},
         {3, 5},
         {4, 6}},
    };
    return s;
}

const Skeleton& mpiiSkeleton() {
    static const Skeleton s{
        "mpii16",
        {"right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle", "pelvis", "thorax",
         "upper_neck", "head_top", "right_wrist", "right_elbow", "right_shoulder", "left_shoulder", "left_elbow",
         "left_wrist"},
        {{0, 5}, {1, 4}, {2, 3}, {10, 15}, {11, 14}, {12, 13}},
        {{0, 1},
         {1, 2},
         {2, 6},
         {6, 3},
         {3, 4},
         {4, 5},
         {6, 7},
         {7, 8},
         {8, 9},
         {7, 12},
         {12, 11},
         {11, 10},
         {7, 13},
         {13, 14},
         {14, 15}},
    };
    return s;
}

}  // namespace posescope
