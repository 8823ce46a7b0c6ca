// Process-wide LibTorch settings, applied once at start-up by the app and the CLI.
//
// Usage:
//   int main() { posescope::models::initialiseRuntime(); … }
//   std::cout << posescope::models::blasLibrary();   // ".../openblas-pthread/libblas.so.3"
//
// initialiseRuntime() sets LibTorch's intra-op thread count to the number of cores (LibTorch's
// own default can be lower in containers) and tunes glibc malloc to serve large blocks from the
// heap and keep up to 512 MiB freed for the next forward pass instead of faulting pages in again.
// Errors: none. Thread-safety: call initialiseRuntime once from main() before any model runs.
#pragma once

#include <string>

namespace posescope::models {

void initialiseRuntime();
/// LibTorch's current intra-op thread count.
int intraOpThreads();
/// The resolved path of the BLAS library LibTorch's matrix products run on ("" if none is
/// loaded). Debian's reference BLAS is ~14x slower than OpenBLAS, so this is worth checking.
std::string blasLibrary();

}  // namespace posescope::models
