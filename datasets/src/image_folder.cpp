#include "posescope/datasets/image_folder.h"

#include "posescope/datasets/error.h"
#include "posescope/datasets/json.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
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

// One CSV line's fields: comma-separated, a field in double quotes may hold commas and "" for a
// quote (as spreadsheets write them); fields are trimmed. Empty optional when a quote is unclosed.
std::optional<std::vector<std::string>> csvFields(const std::string& line) {
    std::vector<std::string> out;
    std::string field;
    bool quoted = false, wasQuoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c != '"') {
                field += c;
            } else if (i + 1 < line.size() && line[i + 1] == '"') {
                field += '"';
                ++i;
            } else {
                quoted = false;
            }
        } else if (c == '"' && trim(field).empty()) {
            quoted = wasQuoted = true;
            field.clear();
        } else if (c == ',') {
            out.push_back(wasQuoted ? field : trim(field));
            field.clear();
            wasQuoted = false;
        } else if (!wasQuoted || (c != ' ' && c != '\t' && c != '\r')) {
            field += c;
        }
    }
    if (quoted) return std::nullopt;
    out.push_back(wasQuoted ? field : trim(field));
    return out;
}

// x, y, w, h from fields 1…4; false when one is not a number.
bool parseBox(const std::vector<std::string>& f, Box& b) {
    double* dst[] = {&b.x, &b.y, &b.w, &b.h};
    try {
        for (size_t i = 0; i < 4; ++i) {
            size_t used = 0;
            *dst[i] = std::stod(f[i + 1], &used);
            if (used != f[i + 1].size()) return false;
        }
    } catch (const std::exception&) {
        return false;
    }
    return true;
}

std::map<std::string, std::vector<Box>> readCsv(const std::string& file) {
    std::ifstream in(file);
    if (!in) throw FileError(file, "cannot open");
    std::map<std::string, std::vector<Box>> out;
    std::string line;
    bool first = true;  // the first line that is not empty or a comment may be a header
    for (int number = 1; std::getline(in, line); ++number) {
        if (number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // UTF-8 byte order mark
        line = trim(line);
        if (line.empty() || line[0] == '#') continue;
        const std::string where = "line " + std::to_string(number);
        const auto f = csvFields(line);
        if (!f) throw FileError(file, where + ": a quoted field is not closed");
        if (f->size() != 5) throw FileError(file, where + ": expected file,x,y,w,h");
        Box b;
        const bool numbers = parseBox(*f, b);
        const bool header = first && !numbers;
        first = false;
        if (header) continue;  // e.g. file,x,y,w,h
        if (!numbers) throw FileError(file, where + ": x, y, w, h must be numbers");
        checkBox(b, file, where);
        out[(*f)[0]].push_back(b);
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
    fs::directory_iterator it(folder, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        std::error_code entry;  // a dangling link or an unreadable entry is skipped, not the folder
        if (name.rfind("._", 0) == 0 || !it->is_regular_file(entry) || !isImage(it->path())) continue;
        FolderImage item;
        item.name = name;
        item.path = (fs::path(folder) / item.name).string();
        f.m_items.push_back(std::move(item));
    }
    if (ec) throw FileError(folder, "cannot list: " + ec.message());
    std::sort(f.m_items.begin(), f.m_items.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    if (!boxesFile.empty()) {
        std::string ext = fs::path(boxesFile).extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
        const auto boxes = ext == ".csv" ? readCsv(boxesFile) : readJson(boxesFile);
        for (const auto& [name, list] : boxes) {
            auto it2 = std::find_if(f.m_items.begin(), f.m_items.end(), [&](const auto& i) { return i.name == name; });
            if (it2 == f.m_items.end()) throw FileError(boxesFile, "no image '" + name + "' in " + folder);
            it2->boxes = list;
        }
    }
    return f;
}

std::vector<Box> ImageFolder::boxesFor(const FolderImage& item, cv::Size imageSize) {
    if (!item.boxes.empty()) return item.boxes;
    return {Box{0, 0, static_cast<double>(imageSize.width), static_cast<double>(imageSize.height)}};
}

}  // namespace posescope
