// posescope-cli figure: draws the figure a spec (JSON) describes, for its samples or a batch.
#include "cli.h"
#include "posescope/analysis/figure.h"
#include "posescope/datasets/error.h"

#include <filesystem>
#include <iostream>

namespace posescope::cli {

namespace {

// "all", "12", "0-99" or "3,5,8" (combinations separated by commas).
std::vector<int64_t> parseRows(const std::string& text, int64_t size) {
    std::vector<int64_t> rows;
    if (text == "all") {
        for (int64_t r = 0; r < size; ++r)
            rows.push_back(r);
        return rows;
    }
    size_t at = 0;
    while (at <= text.size()) {
        const size_t comma = std::min(text.find(',', at), text.size());
        const std::string part = text.substr(at, comma - at);
        const size_t dash = part.find('-');
        try {
            size_t used = 0;
            const long long a = std::stoll(part.substr(0, dash), &used);
            if (used != (dash == std::string::npos ? part.size() : dash)) throw std::invalid_argument(part);
            long long b = a;
            if (dash != std::string::npos) {
                b = std::stoll(part.substr(dash + 1), &used);
                if (used != part.size() - dash - 1) throw std::invalid_argument(part);
            }
            if (a < 0 || b < a) throw std::invalid_argument(part);
            for (long long r = a; r <= b; ++r)
                rows.push_back(r);
        } catch (const std::logic_error&) {
            throw UsageError("--rows: expected all, N, A-B or a comma-separated list, got '" + text + "'");
        }
        at = comma + 1;
    }
    return rows;
}

}  // namespace

Command figureCommand() {
    return {"figure", "draw the figure a figure spec (JSON) describes, for one sample or a batch",
            "usage: posescope-cli figure SPEC.json [--rows all|N|A-B|A,B,…] [--out FILE]\n"
            "\n"
            "Draws the figure that SPEC.json describes (the workbench writes one beside every export;\n"
            "the format is in docs/figures.md) from its recorded run, without the model: PNG at the\n"
            "spec's DPI, or SVG / PDF with vector skeletons, labels and colourbars.\n"
            "\n"
            "  --rows R    samples (rows of the run) to draw instead of the spec's, e.g. 0-99 or all\n"
            "  --out FILE  output (.png, .svg or .pdf); with several rows, {row} in FILE is replaced by\n"
            "              the row, else _<row> is added. Default: the spec's \"output\", else SPEC with\n"
            "              the extension .png\n",
            [](const std::vector<std::string>& argv) {
                const Args a(argv, {}, {"--rows", "--out"});
                if (a.positional().size() != 1) throw UsageError("expected one figure spec (JSON)");
                const std::string specPath = a.positional()[0];
                analysis::FigureSpec spec = analysis::readFigureSpec(specPath);
                analysis::ensureGuiApplication();
                const auto run = analysis::RunBrowser::open(spec.run);
                if (a.has("--rows")) spec.rows = parseRows(a.value("--rows"), run->size());
                if (spec.rows.empty()) throw UsageError("no rows to draw");
                if (a.has("--out")) {
                    spec.output = a.value("--out");
                    if (spec.output.find("{row}") == std::string::npos)
                        checkOutput("--out", spec.output, {specPath, spec.run});
                }
                const std::string fallback = std::filesystem::path(specPath).replace_extension(".png").string();
                if (spec.rows.size() > 1 && !spec.output.empty() && spec.output.find("{row}") == std::string::npos) {
                    const std::filesystem::path p(spec.output);
                    spec.output = (p.parent_path() / (p.stem().string() + "_{row}" + p.extension().string())).string();
                }
                const analysis::FigureRenderer renderer(*run);
                for (const int64_t row : spec.rows) {
                    const std::string out = analysis::figureOutputPath(spec, row, fallback);
                    try {
                        renderer.write(spec, row, out);
                    } catch (const FileError&) {
                        throw;
                    } catch (const Error& e) {
                        throw FileError(specPath, e.what());
                    }
                    std::cout << out << '\n';
                }
                return 0;
            }};
}

}  // namespace posescope::cli
