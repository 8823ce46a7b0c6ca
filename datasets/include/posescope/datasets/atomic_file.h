// Whole-file writes that never leave a half-written file behind: the bytes go to "<path>.partial",
// are flushed to disk (fsync), and the temporary then replaces `path` in one rename.
//
// Usage:
//   posescope::writeFileAtomically("figure.svg", svgBytes);   // FileError on failure
//
// Errors: FileError naming `path` and the system's reason (a full disk, a missing folder, no
// permission); the temporary is removed and an existing `path` stays as it was.
// Thread-safety: safe for different paths; concurrent writes of one path race on the rename.
#pragma once

#include <string>

namespace posescope {

void writeFileAtomically(const std::string& path, const std::string& bytes);

}  // namespace posescope
