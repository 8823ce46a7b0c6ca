// Writing JSON by hand: string quoting shared by every writer (SynthPose, reports, results).
//
// Usage:
//   std::string out = "{\"name\": " + posescope::jsonString(name) + "}";
//
// Escapes quotes, backslashes and control characters; other bytes (UTF-8) pass through.
// Errors: none. Thread-safety: pure functions.
#pragma once

#include <string>

namespace posescope {

/// Appends `s` to `out` as a quoted JSON string.
void appendJsonString(std::string& out, const std::string& s);
/// `s` as a quoted JSON string.
std::string jsonString(const std::string& s);

}  // namespace posescope
