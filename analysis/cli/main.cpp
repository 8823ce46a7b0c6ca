// posescope-cli: the headless PoseScope. One subcommand per task; `--help` on each.
// Exit codes: 0 success, 1 an error (one line on stderr), 2 a usage error.
#include "cli.h"
#include "posescope/datasets/error.h"
#include "posescope/models/runtime.h"

#include <iostream>
#include <string>
#include <vector>

namespace {

// Every subcommand, in the order --help lists them.
const std::vector<posescope::cli::Command>& commands() {
    // clang-format off
    static const std::vector<posescope::cli::Command> list = {
        posescope::cli::infoCommand(),
        posescope::cli::convertCommand(),
        posescope::cli::synthCommand(),
        posescope::cli::evalCommand(),
        posescope::cli::forwardCommand(),
        posescope::cli::predictCommand(),
        posescope::cli::recordCommand(),
        posescope::cli::inspectCommand(),
        posescope::cli::mergeCommand(),
        posescope::cli::trainCommand(),
        posescope::cli::distillCommand(),
        posescope::cli::trainingLogCommand(),
        posescope::cli::pretrainCommand(),
        posescope::cli::figureCommand(),
        posescope::cli::flopsCommand(),
        posescope::cli::scalesCommand(),
        posescope::cli::occludeCommand(),
        posescope::cli::occlusionReportCommand(),
        posescope::cli::attentionStatsCommand(),
        posescope::cli::compareCommand(),
    };
    // clang-format on
    return list;
}

void printHelp(std::ostream& out) {
    out << "usage: posescope-cli <command> [options]\n\nPoseScope, headless.\n\ncommands:\n";
    for (const auto& c : commands())
        out << "  " << c.name << std::string(c.name.size() < 18 ? 18 - c.name.size() : 1, ' ') << c.summary << '\n';
    out << "\nRun 'posescope-cli <command> --help' for a command's options.\n";
}

}  // namespace

int main(int argc, char** argv) {
    posescope::models::preferPassiveOpenMpWaiting(argv);
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        printHelp(std::cerr);
        return 2;
    }
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        printHelp(std::cout);
        return 0;
    }
    if (args[0] == "--version") {
        posescope::models::initialiseRuntime();
        std::cout << "posescope-cli " << POSESCOPE_VERSION << " (" << posescope::models::intraOpThreads()
                  << " intra-op threads, OpenMP waiting " << posescope::models::openMpWaitPolicy() << ", BLAS "
                  << posescope::models::blasLibrary() << ")\n";
        return 0;
    }
    for (const auto& c : commands()) {
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
        } catch (const posescope::cli::UsageError& e) {
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
