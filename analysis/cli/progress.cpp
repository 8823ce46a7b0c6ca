// Shared pieces of the long-running subcommands: durations and clean stops on signals.
#include "cli.h"

#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>

#include <unistd.h>

namespace posescope::cli {
namespace {
volatile std::sig_atomic_t g_stopRequested = 0;

extern "C" void requestStop(int signal) {
    g_stopRequested = 1;
    std::signal(signal, SIG_DFL);
}
}  // namespace

std::string durationText(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "?";
    const long s = std::lround(seconds);
    char buf[32];
    if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
    else
        std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
    return buf;
}

ProgressLine::ProgressLine()
    : m_tty(::isatty(STDERR_FILENO) != 0), m_last(std::chrono::steady_clock::now() - std::chrono::hours(1)) {}

void ProgressLine::show(const std::string& line, bool force) {
    if (m_tty) {
        std::cerr << '\r' << line << "   " << std::flush;
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - m_last < std::chrono::seconds(10)) return;
    m_last = now;
    std::cerr << line << '\n' << std::flush;
}

void ProgressLine::finish() {
    if (m_tty) std::cerr << '\n';
}

StopOnSignals::StopOnSignals() {
    g_stopRequested = 0;
    std::signal(SIGINT, requestStop);
    std::signal(SIGTERM, requestStop);
}

StopOnSignals::~StopOnSignals() {
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
}

bool StopOnSignals::stopRequested() {
    return g_stopRequested != 0;
}

}  // namespace posescope::cli
