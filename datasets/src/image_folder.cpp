#include "posescope/datasets/image_folder.h"

#include "posescope/datasets/error.h"
#include "posescope/datasets/json.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace posescope {
namespace {

namespace fs = std::filesystem;

bool isImage(const fs::path& p) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    for (const char* e : {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})
        if (ext == e) return true;
    return false;
}

std::string trim(const std::string& s) {
    const size_t a = s.find_first_not_of(" \t\r");
    const size_t b = s.find_last_not_of(" \t\r");
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

void checkBox(const Box& b, const std::string& file, const std::string& where) {
    if (!(b.w > 0 && b.h > 0)) throw FileError(file, where + ": box width and height must be positive");
}

std::map<std::string, std::vector<Box>> readCsv(const std::string& file) {
    std::ifstream in(file);
    if (!in) throw FileError(file, "cannot open");
    std::map<std::string, std::vector<Box>> out;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        line = trim(line);
        if (line.empty() || line[0] == '#' || (number == 1 && line.rfind("file", 0) == 0)) continue;
        std::vector<std::string> f;
        std::stringstream s(line);
        for (std::string cell; std::getline(s, cell, ',');)
            f.push_back(trim(cell));
        const std::string where = "line " + std::to_string(number);
        if (f.size() != 5) throw FileError(file, where + ": expected file,x,y,w,h");
        Box b;
        try {
            size_t used = 0;
            double* dst[] = {&b.x, &b.y, &b.w, &b.h};
            for (int i = 0; i < 4; ++i) {
                *dst[i] = std::stod(f[static_cast<size_t>(i + 1)], &used);
                if (used != f[static_cast<size_t>(i + 1)].size()) throw std::invalid_argument("trailing text");
            }
        } catch (const std::exception&) {
            throw FileError(file, where + ": x, y, w, h must be numbers");
        }
        checkBox(b, file, where);
        out[f[0]].push_back(b);
    }
    return out;
}

std::map<std::string, std::vector<Box>> readJson(const std::string& file) {
    const json::JsonDocument doc(file);
    const json::JsonValue root = doc.root();
    std::map<std::string, std::vector<Box>> out;
    auto box = [&](const json::JsonValue& v) {
        const std::vector<double> n = v.numbers(4);
        const Box b{n[0], n[1], n[2], n[3]};
        checkBox(b, file, v.where());
        return b;
    };
    if (root.isArray()) {
        for (const json::JsonValue& item : root.array())
            out[item.field("file").string()].push_back(box(item.field("bbox")));
        return out;
    }
    for (const auto& [name, boxes] : root.members())
        for (const json::JsonValue& b : boxes.array())
            out[name].push_back(box(b));
    return out;
}

}  // namespace

ImageFolder ImageFolder::open(const std::string& folder, const std::string& boxesFile) {
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) throw FileError(folder, "not a folder (or it cannot be read)");
    ImageFolder f;
    for (const fs::directory_entry& e : fs::directory_iterator(folder, ec)) {
        if (e.is_regular_file(ec) && isImage(e.path())) {
            FolderImage item;
            item.name = e.path().filename().string();
            item.path = (fs::path(folder) / item.name).string();
            f.m_items.push_back(std::move(item));
        }
    }
    if (ec) throw FileError(folder, "cannot list: " + ec.message());
    std::sort(f.m_items.begin(), f.m_items.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    if (!boxesFile.empty()) {
        const bool csv = fs::path(boxesFile).extension() == ".csv";
        const auto boxes = csv ? readCsv(boxesFile) : readJson(boxesFile);
        for (const auto& [name, list] : boxes) {
            auto it = std::find_if(f.m_items.begin(), f.m_items.end(), [&](const auto& i) { return i.name == name; });
            if (it == f.m_items.end()) throw FileError(boxesFile, "no image '" + name + "' in " + folder);
            it->boxes = list;
        }
    }
    return f;
}

std::vector<Box> ImageFolder::boxesFor(const FolderImage& item, cv::Size imageSize) {
    if (!item.boxes.empty()) return item.boxes;
    return {Box{0, 0, static_cast<double>(imageSize.width), static_cast<double>(imageSize.height)}};
}

}  // namespace posescope
