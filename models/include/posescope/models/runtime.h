// Process-wide LibTorch settings, applied once at start-up by the app and the CLI.
//
// Usage:
//   int main() { posescope::models::initialiseRuntime(); … }
//
// initialiseRuntime() sets LibTorch's intra-op thread count to the number of cores (LibTorch's
// own default can be lower in containers).
// Errors: none. Thread-safety: call once from main() before any model runs.
#pragma once

namespace posescope::models {

void initialiseRuntime();
/// LibTorch's current intra-op thread count.
int intraOpThreads();

}  // namespace posescope::models
