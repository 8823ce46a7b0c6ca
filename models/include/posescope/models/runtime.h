// Process-wide LibTorch settings, applied once at start-up by the app and the CLI.
//
// Usage:
//   int main(int, char** argv) { posescope::models::preferPassiveOpenMpWaiting(argv);
//                                posescope::models::initialiseRuntime(); … }
//   std::cout << posescope::models::blasLibrary();   // ".../openblas-pthread/libblas.so.3"
//
// initialiseRuntime() sets LibTorch's intra-op thread count to the number of cores (LibTorch's
// own default can be lower in containers) and tunes glibc malloc to serve large blocks from the
// heap and keep up to 512 MiB freed for the next forward pass instead of faulting pages in again.
// Errors: none. Thread-safety: call initialiseRuntime once from main() before any model runs.
#pragma once

#include <cstddef>
#include <string>

namespace posescope::models {

void initialiseRuntime();
/// Keep up to `bytes` of freed heap (instead of 512 MiB) for the next pass: training holds every
/// activation for the backward pass, far more than inference.
void keepFreedMemory(size_t bytes);
/// LibTorch's OpenMP workers spin-wait between parallel regions while OpenBLAS's own threads run
/// the matrix products, and on few cores the two take the CPU from each other (TransPose-R-A4,
/// batch 1, 2 cores: about 240 → 130 ms with passive waiting). libgomp reads OMP_WAIT_POLICY
/// only when it is loaded, so when the user has not chosen a policy this sets PASSIVE and
/// re-executes the program once (same arguments). Call first thing in main(); returns if the
/// policy is already set or the re-execution fails.
void preferPassiveOpenMpWaiting(char** argv);
/// OMP_WAIT_POLICY as this process started with it ("" when unset).
std::string openMpWaitPolicy();
/// LibTorch's current intra-op thread count.
int intraOpThreads();
/// The resolved path of the BLAS library LibTorch's matrix products run on ("" if none is
/// loaded). Debian's reference BLAS is ~14x slower than OpenBLAS, so this is worth checking.
std::string blasLibrary();

}  // namespace posescope::models
