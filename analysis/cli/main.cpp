// posescope-cli: the headless PoseScope. One subcommand per task; `--help` on each.
// Exit codes: 0 success, 1 an error (one line on stderr), 2 a usage error.
#include "posescope/analysis/checkpoint_report.h"
#include "posescope/datasets/error.h"
#include "posescope/models/checkpoint.h"
#include "posescope/models/checkpoint_info.h"
#include "posescope/models/runtime.h"

#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Command {
    std::string name;
    std::string summary;
    std::string usage;  // full help text
    std::function<int(const std::vector<std::string>&)> run;
};

// Splits arguments into positionals and --flags; rejects flags not in `known`.
struct Args {
    std::vector<std::string> positional;
    std::vector<std::string> flags;
    bool has(const std::string& f) const {
        for (const auto& x : flags)
            if (x == f) return true;
        return false;
    }
};

Args parse(const std::vector<std::string>& argv, const std::vector<std::string>& known) {
    Args a;
    for (const std::string& s : argv) {
        if (s.size() > 1 && s[0] == '-') {
            bool ok = false;
            for (const auto& k : known)
                ok = ok || k == s;
            if (!ok) throw UsageError("unknown option '" + s + "'");
            a.flags.push_back(s);
        } else {
            a.positional.push_back(s);
        }
    }
    return a;
}

int runInfo(const std::vector<std::string>& argv) {
    const Args a = parse(argv, {"--json", "--no-tensors"});
    if (a.positional.size() != 1) throw UsageError("info takes exactly one checkpoint file");
    const auto info = posescope::models::inspectCheckpoint(a.positional[0]);
    if (a.has("--json"))
        std::cout << posescope::analysis::formatCheckpointJson(info);
    else
        std::cout << posescope::analysis::formatCheckpointText(info, !a.has("--no-tensors"));
    return 0;
}

int runConvert(const std::vector<std::string>& argv) {
    const Args a = parse(argv, {});
    if (a.positional.size() != 2) throw UsageError("convert takes an input and an output file");
    const auto ckpt = posescope::models::loadCheckpoint(a.positional[0]);
    posescope::models::saveStateDict(ckpt.tensors, a.positional[1]);
    std::cout << "wrote " << ckpt.tensors.size() << " tensors to " << a.positional[1] << '\n';
    return 0;
}

const std::vector<Command>& commands() {
    static const std::vector<Command> list = {
        {"info", "show a checkpoint's keys, shapes, dtypes, counts and architecture",
         "usage: posescope-cli info FILE.pth [--json] [--no-tensors]\n"
         "\n"
         "Reads a PyTorch checkpoint (zip or legacy format, bare state dict or wrapped in\n"
         "{\"state_dict\"|\"model\"|\"model_state\": ...}) without Python and prints what it holds.\n"
         "\n"
         "  --json         print one JSON object instead of text\n"
         "  --no-tensors   omit the per-tensor listing\n",
         runInfo},
        {"convert", "re-save a checkpoint's state dict as a plain zip-format .pth",
         "usage: posescope-cli convert IN.pth OUT.pth\n"
         "\n"
         "Loads IN (any format info reads), unwraps the state dict, drops a DataParallel 'module.'\n"
         "prefix, and writes it as torch.save(state_dict) would (opens with Python's torch.load).\n",
         runConvert},
    };
    return list;
}

void printHelp(std::ostream& out) {
    out << "usage: posescope-cli <command> [options]\n\nPoseScope, headless.\n\ncommands:\n";
    for (const Command& c : commands())
        out << "  " << c.name << std::string(12 - c.name.size(), ' ') << c.summary << '\n';
    out << "\nRun 'posescope-cli <command> --help' for a command's options.\n";
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        printHelp(std::cerr);
        return 2;
    }
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        printHelp(std::cout);
        return 0;
    }
    if (args[0] == "--version") {
        std::cout << "posescope-cli " << POSESCOPE_VERSION << '\n';
        return 0;
    }
    for (const Command& c : commands()) {
        if (c.name != args[0]) continue;
        const std::vector<std::string> rest(args.begin() + 1, args.end());
        for (const std::string& s : rest)
            if (s == "--help" || s == "-h") {
                std::cout << c.usage;
                return 0;
            }
        try {
            posescope::models::initialiseRuntime();
            return c.run(rest);
        } catch (const UsageError& e) {
            std::cerr << "posescope-cli " << c.name << ": " << e.what() << " (see --help)\n";
            return 2;
        } catch (const posescope::Error& e) {
            std::cerr << "posescope-cli: error: " << e.what() << '\n';
            return 1;
        } catch (const std::exception& e) {
            const std::string what = e.what();
            std::cerr << "posescope-cli: internal error: " << what.substr(0, what.find('\n')) << '\n';
            return 1;
        }
    }
    std::cerr << "posescope-cli: unknown command '" << args[0] << "' (see posescope-cli --help)\n";
    return 2;
}
