// The checks every command makes on an output path before it does any work (cli.h).
#include "cli.h"

#include "posescope/analysis/h5_file.h"
#include "posescope/datasets/error.h"

#include <filesystem>
#include <fstream>

namespace posescope::cli {
namespace {

namespace fs = std::filesystem;

bool hasHdf5Signature(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    char head[8] = {};
    return in.read(head, sizeof head) && std::string(head, sizeof head) == std::string("\x89HDF\r\n\x1a\n", 8);
}

bool isRecordedRun(const std::string& path) {
    try {
        return analysis::H5File::open(path).exists("/samples");
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace

void checkOutput(const std::string& option, const std::string& out, const std::vector<std::string>& inputs,
                 bool hdf5Output) {
    if (out.empty()) throw UsageError(option + " needs a file name");
    std::error_code ec;
    if (fs::is_directory(out, ec)) throw UsageError(option + " " + out + " is a folder; give a file name");
    const fs::path parent = fs::path(out).parent_path();
    if (!parent.empty() && !fs::is_directory(parent, ec))
        throw FileError(out, fs::exists(parent, ec) ? "cannot be written: " + parent.string() + " is not a folder"
                                                    : "cannot be written: no folder " + parent.string());
    if (!fs::exists(out, ec)) return;
    for (const std::string& in : inputs)
        if (!in.empty() && fs::exists(in, ec) && fs::equivalent(out, in, ec))
            throw UsageError(option + " " + out + " is an input of this command (" + in +
                             "); write the result to another file");
    if (!hasHdf5Signature(out)) return;
    const bool run = isRecordedRun(out);  // opened once: HDF5 reads the file's metadata
    if (run || !hdf5Output)
        throw FileError(out, std::string(run ? "is a recorded run" : "is an HDF5 file") + "; " + option +
                                 " does not replace it: choose another name, or remove it first");
}

}  // namespace posescope::cli
