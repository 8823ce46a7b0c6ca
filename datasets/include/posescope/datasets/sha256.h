// SHA-256 of files and byte strings (FIPS 180-4), as hex, to identify the checkpoint and the
// dataset a run was recorded from.
//
// Usage:
//   std::string hex = posescope::sha256File("person_keypoints_val2017.json");   // 64 hex digits
//   std::string h2 = posescope::sha256Hex("abc", 3);
//
// Errors: FileError naming the file when it cannot be opened or read.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>

namespace posescope {

std::string sha256Hex(const void* data, size_t size);
std::string sha256File(const std::string& path);

}  // namespace posescope
