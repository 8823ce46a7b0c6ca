#include "posescope/analysis/training_log.h"

#include "posescope/datasets/error.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <limits>
#include <sstream>

namespace posescope::analysis {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> splitCells(const std::string& line) {
    std::vector<std::string> cells;
    size_t start = 0;
    for (;;) {
        const size_t comma = line.find(',', start);
        cells.push_back(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return cells;
}

// The text's complete lines without their line ends; a last line without its newline is left
// out (a row a running training is writing, or one torn by a kill).
std::vector<std::string> completeLines(const std::string& text) {
    std::vector<std::string> lines;
    for (size_t start = 0, newline; (newline = text.find('\n', start)) != std::string::npos; start = newline + 1) {
        lines.push_back(text.substr(start, newline - start));
        if (!lines.back().empty() && lines.back().back() == '\r') lines.back().pop_back();
    }
    return lines;
}

// The whole cell as a finite or infinite number; false for text.
bool parseNumber(const std::string& cell, double* out) {
    if (cell.empty() || std::isspace(static_cast<unsigned char>(cell.front()))) return false;
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(cell.c_str(), &end);
    if (end != cell.c_str() + cell.size() || errno == ERANGE) return false;
    *out = v;
    return true;
}

// One data row against the header's width; an empty string when it is fine, else the problem.
// `notFinite` (when not null and empty) receives the first nan/inf cell as "COLUMN is TEXT".
std::string parseRow(const std::string& line, const std::vector<std::string>& columns, TrainingLog::Row* row,
                     std::string* notFinite = nullptr) {
    std::vector<std::string> cells = splitCells(line);
    if (cells.size() < 3) return "the row needs kind, epoch and step";
    if (cells.size() > columns.size() + 3)
        return std::to_string(cells.size()) + " cells where the header has " + std::to_string(columns.size() + 3);
    cells.resize(columns.size() + 3);  // trailing empty cells may be left out
    if (cells[0].empty()) return "the row has no kind";
    row->kind = cells[0];
    double epoch = 0, step = 0;
    if (!parseNumber(cells[1], &epoch) || epoch < 0 || epoch != std::floor(epoch) || epoch > 1e9)
        return "column epoch: \"" + cells[1] + "\" is not an epoch number";
    if (!parseNumber(cells[2], &step) || step < 0 || step != std::floor(step) || step > 1e15)
        return "column step: \"" + cells[2] + "\" is not a step number";
    row->epoch = static_cast<int>(epoch);
    row->step = static_cast<int64_t>(step);
    row->cells.assign(columns.size(), std::numeric_limits<double>::quiet_NaN());
    for (size_t c = 0; c < columns.size(); ++c) {
        const std::string& cell = cells[c + 3];
        if (cell.empty()) continue;
        if (!parseNumber(cell, &row->cells[c])) return "column " + columns[c] + ": \"" + cell + "\" is not a number";
        if (!std::isfinite(row->cells[c])) {
            if (notFinite && notFinite->empty()) *notFinite = columns[c] + " is " + cell;
            row->cells[c] = std::numeric_limits<double>::quiet_NaN();
        }
    }
    return {};
}

std::string readWhole(const std::string& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw FileError(path, "no such file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FileError(path, std::string("cannot open: ") + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw FileError(path, "read failed");
    return text.str();
}

std::string numberCell(double v) {
    if (std::isnan(v)) return "";
    std::ostringstream s;
    const double a = std::fabs(v);
    if (v == std::floor(v) && a < 1e9)
        s << static_cast<long long>(v);
    else if (a != 0 && (a < 1e-3 || a >= 1e6))
        s << std::setprecision(3) << std::scientific << v;
    else
        s << std::setprecision(4) << std::fixed << v;
    return s.str();
}

}  // namespace

int TrainingLog::columnIndex(const std::string& name) const {
    const auto it = std::find(columns.begin(), columns.end(), name);
    return it == columns.end() ? -1 : static_cast<int>(it - columns.begin());
}

TrainingSeries TrainingLog::series(const std::string& kind, const std::string& column) const {
    TrainingSeries s;
    const int c = columnIndex(column);
    if (c < 0) return s;
    for (const Row& r : rows) {
        if (r.kind != kind || std::isnan(r.cells[static_cast<size_t>(c)])) continue;
        s.x.push_back(kind == "epoch" ? r.epoch : static_cast<double>(r.step));
        s.value.push_back(r.cells[static_cast<size_t>(c)]);
    }
    return s;
}

const TrainingLog::Row* TrainingLog::best(const std::string& column) const {
    const int c = columnIndex(column);
    const Row* found = nullptr;
    if (c < 0) return found;
    for (const Row& r : rows) {
        const double v = r.cells[static_cast<size_t>(c)];
        if (r.kind == "epoch" && !std::isnan(v) && (!found || v > found->cells[static_cast<size_t>(c)])) found = &r;
    }
    return found;
}

std::vector<TrainingPlot> trainingPlots(const TrainingLog& log) {
    std::vector<TrainingPlot> plots;
    auto add = [&](TrainingPlot p) {
        if (std::any_of(p.lines.begin(), p.lines.end(), [](const TrainingSeries& s) { return !s.empty(); }))
            plots.push_back(std::move(p));
    };
    const bool iterLoss = !log.series("iter", "loss").empty();
    add({"training loss",
         iterLoss ? "step" : "epoch",
         "loss",
         {"loss"},
         {iterLoss ? log.series("iter", "loss") : log.series("epoch", "loss")},
         !iterLoss,
         false});
    add({"learning rate", "step", "learning rate", {"lr"}, {log.series("iter", "lr")}, false, true});
    if (log.columnIndex("val_ap") >= 0)
        add({"validation",
             "epoch",
             "OKS AP",
             {"AP", "AP50", "AP75"},
             {log.series("epoch", "val_ap"), log.series("epoch", "val_ap50"), log.series("epoch", "val_ap75")},
             true,
             true});
    else
        add({"teacher entropy",
             "step",
             "entropy (nats)",
             {"entropy"},
             {log.series("iter", "teacher_entropy")},
             false,
             true});
    return plots;
}

TrainingLog parseTrainingLog(const std::string& text, const std::string& file) {
    TrainingLog log;
    log.path = file;
    const std::vector<std::string> lines = completeLines(text);
    if (lines.empty()) throw FileError(file, "empty: not a PoseScope training log (no header line)");
    const std::vector<std::string> header = splitCells(lines.front());
    if (header.size() < 3 || header[0] != "kind" || header[1] != "epoch" || header[2] != "step")
        throw FileError(file, "not a PoseScope training log (its first line should start with kind,epoch,step)");
    log.columns.assign(header.begin() + 3, header.end());
    for (const std::string& name : log.columns)
        if (name.empty()) throw FileError(file, "line 1: a column without a name");
    for (size_t i = 1; i < lines.size(); ++i) {
        if (lines[i].empty()) continue;
        TrainingLog::Row row;
        std::string notFinite;
        const std::string problem = parseRow(lines[i], log.columns, &row, &notFinite);
        if (!problem.empty()) throw FileError(file, "line " + std::to_string(i + 1) + ": " + problem);
        if (!notFinite.empty() && log.notFinite.empty())
            log.notFinite = notFinite + " at epoch " + std::to_string(row.epoch) + ", step " + std::to_string(row.step);
        log.rows.push_back(std::move(row));
    }
    return log;
}

TrainingLog readTrainingLog(const std::string& path) {
    std::error_code ec;
    const std::string file = fs::is_directory(path, ec) ? (fs::path(path) / "log.csv").string() : path;
    return parseTrainingLog(readWhole(file), file);
}

std::string formatTrainingLogText(const TrainingLog& log) {
    std::ostringstream out;
    out << log.path << ": ";
    size_t iters = 0, epochs = 0;
    for (const auto& r : log.rows) {
        epochs += r.kind == "epoch";
        iters += r.kind == "iter";
    }
    out << epochs << " epoch rows, " << iters << " iteration rows\n";
    // Columns with a value in some epoch row (or, without epoch rows, in some iteration row).
    const std::string kind = epochs > 0 ? "epoch" : "iter";
    std::vector<size_t> shown;
    for (size_t c = 0; c < log.columns.size(); ++c)
        for (const auto& r : log.rows)
            if (r.kind == kind && !std::isnan(r.cells[c])) {
                shown.push_back(c);
                break;
            }
    std::vector<std::vector<std::string>> table;
    std::vector<std::string> head = {"", "epoch", "step"};
    for (size_t c : shown)
        head.push_back(log.columns[c]);
    table.push_back(head);
    const TrainingLog::Row* lastIter = nullptr;
    for (const auto& r : log.rows) {
        if (r.kind == "iter") lastIter = &r;
        if (r.kind != kind) continue;
        std::vector<std::string> line = {r.kind, std::to_string(r.epoch), std::to_string(r.step)};
        for (size_t c : shown)
            line.push_back(numberCell(r.cells[c]));
        table.push_back(line);
    }
    if (epochs > 0 && lastIter && (log.rows.back().kind == "iter")) {  // an epoch under way
        std::vector<std::string> line = {"iter", std::to_string(lastIter->epoch), std::to_string(lastIter->step)};
        for (size_t c : shown)
            line.push_back(numberCell(lastIter->cells[c]));
        table.push_back(line);
    }
    std::vector<size_t> width(head.size(), 0);
    for (const auto& line : table)
        for (size_t i = 0; i < line.size(); ++i)
            width[i] = std::max(width[i], line[i].size());
    for (const auto& line : table) {
        for (size_t i = 0; i < line.size(); ++i)
            out << (i ? "  " : "") << std::setw(static_cast<int>(width[i])) << (i ? std::right : std::left) << line[i];
        out << '\n';
    }
    if (!log.notFinite.empty())
        out << "not a number: " << log.notFinite << " (the training diverged; a lower --lr may help)\n";
    if (const TrainingLog::Row* b = log.best("val_ap")) {
        out << "best validation AP " << numberCell(b->cells[static_cast<size_t>(log.columnIndex("val_ap"))])
            << " after epoch " << b->epoch << " (step " << b->step << ")\n";
    }
    return out.str();
}

std::vector<std::string> trainingLogRowsUpTo(const std::string& path, int64_t step) {
    std::vector<std::string> kept;
    std::error_code ec;
    if (!fs::exists(path, ec)) return kept;
    const std::vector<std::string> lines = completeLines(readWhole(path));
    if (lines.empty()) return kept;
    std::vector<std::string> columns = splitCells(lines.front());
    if (columns.size() < 3) return kept;
    columns.erase(columns.begin(), columns.begin() + 3);
    for (size_t i = 1; i < lines.size(); ++i) {
        TrainingLog::Row row;
        if (parseRow(lines[i], columns, &row).empty() && row.step <= step) kept.push_back(lines[i]);
    }
    return kept;
}

}  // namespace posescope::analysis
