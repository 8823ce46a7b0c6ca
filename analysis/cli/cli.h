// The pieces every posescope-cli subcommand uses: argument parsing and the command table.
// Each subcommand lives in its own cmd_<name>.cpp and is listed in commands() (main.cpp).
#pragma once

#include "posescope/models/model_config.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace posescope::cli {

/// A mistake in the command line: reported with a pointer to --help, exit code 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Parsed arguments: positionals, boolean --flags, and --options with a value
/// (`--out DIR` or `--out=DIR`). Unknown --names are a UsageError.
class Args {
public:
    Args(const std::vector<std::string>& argv, const std::vector<std::string>& flags,
         const std::vector<std::string>& options);

    const std::vector<std::string>& positional() const { return m_positional; }
    bool flag(const std::string& name) const { return m_flags.count(name) > 0; }
    bool has(const std::string& option) const { return m_values.count(option) > 0; }
    /// Every value of a repeatable option (`--set A=1 --set B=2`), in order.
    std::vector<std::string> values(const std::string& option) const;
    /// The option's value (the last one given); UsageError if it is missing and no fallback is given.
    std::string value(const std::string& option) const;
    std::string value(const std::string& option, const std::string& fallback) const;
    long long integer(const std::string& option, long long fallback) const;
    double number(const std::string& option, double fallback) const;

private:
    std::vector<std::string> m_positional;
    std::map<std::string, bool> m_flags;
    std::map<std::string, std::vector<std::string>> m_values;
};

struct Command {
    std::string name;
    std::string summary;  // one line for the command list
    std::string usage;    // the whole --help text
    std::function<int(const std::vector<std::string>&)> run;
};

/// --config PRESET|FILE.yaml with every --set KEY=VALUE applied in order (args.cpp).
models::ModelConfig configFrom(const Args& a);

/// Before any work, the output file named by `option` (output.cpp): not a folder, in a folder
/// that exists, not one of `inputs` (also under another name), and not an HDF5 file that would be
/// replaced — a recorded run never, another HDF5 file only by an `hdf5Output`. UsageError or
/// FileError naming the option and the path. Nothing the user recorded is overwritten by mistake.
void checkOutput(const std::string& option, const std::string& out, const std::vector<std::string>& inputs,
                 bool hdf5Output = false);

/// "1h05m" or "3m07s"; "?" when unknown (progress.cpp).
std::string durationText(double seconds);

/// Progress lines of long commands on stderr (progress.cpp): rewritten in place on a terminal;
/// otherwise (logs, CI) one line at most every 10 s, and every `force`d one (an epoch's last).
class ProgressLine {
public:
    ProgressLine();
    void show(const std::string& line, bool force = false);
    /// Ends an in-place line before other output (a no-op when not on a terminal).
    void finish();

private:
    bool m_tty;
    std::chrono::steady_clock::time_point m_last;
};

/// While alive, SIGINT and SIGTERM ask long commands to stop cleanly (stopRequested() turns true)
/// instead of killing them; a second signal kills at once. Restores the defaults when destroyed.
class StopOnSignals {
public:
    StopOnSignals();
    ~StopOnSignals();
    StopOnSignals(const StopOnSignals&) = delete;
    StopOnSignals& operator=(const StopOnSignals&) = delete;
    static bool stopRequested();
};

// Subcommands (one file each).
Command infoCommand();
Command convertCommand();
Command synthCommand();
Command evalCommand();
Command forwardCommand();
Command predictCommand();
Command recordCommand();
Command inspectCommand();
Command mergeCommand();
Command trainCommand();
Command distillCommand();
Command trainingLogCommand();
Command figureCommand();
Command flopsCommand();
Command pretrainCommand();
Command scalesCommand();
Command occludeCommand();
Command occlusionReportCommand();
Command attentionStatsCommand();
Command compareCommand();

}  // namespace posescope::cli
