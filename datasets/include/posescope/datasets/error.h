// posescope::Error — the root of every exception PoseScope throws.
//
// Usage:
//   try {
//     auto ckpt = posescope::models::loadCheckpoint("tp_r.pth");
//   } catch (const posescope::Error& e) {
//     std::cerr << e.what() << '\n';   // "tp_r.pth: truncated file (…)"
//   }
//
// Every layer derives its own typed errors from Error and raises them at the lowest layer
// that knows the context (file, key, layer). Foreign errors (HDF5, LibTorch, OpenCV) are
// translated into these types and never leak out raw. The GUI and the CLI catch Error at
// their boundary and show what() as one message.
//
// Thread-safety: exception objects are immutable after construction.
#pragma once

#include <stdexcept>
#include <string>

namespace posescope {

/// Base of all PoseScope exceptions. what() is a complete, user-facing one-line message.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// A file could not be read or written, or its contents are malformed.
/// what() is "<file>: <problem>"; file() and problem() give the two parts.
class FileError : public Error {
public:
    FileError(std::string file, std::string problem)
        : Error(file + ": " + problem), m_file(std::move(file)), m_problem(std::move(problem)) {}

    const std::string& file() const noexcept { return m_file; }
    const std::string& problem() const noexcept { return m_problem; }

private:
    std::string m_file;
    std::string m_problem;
};

}  // namespace posescope
