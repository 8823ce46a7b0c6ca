#include "posescope/models/runtime.h"

#include <gtest/gtest.h>

#include <thread>

using namespace posescope;

TEST(Runtime, UsesEveryCoreForIntraOpThreads) {
    models::initialiseRuntime();
    EXPECT_EQ(models::intraOpThreads(), static_cast<int>(std::thread::hardware_concurrency()));
}

TEST(Runtime, MatrixProductsRunOnOpenBlas) {
    // Debian's reference BLAS is ~14x slower; scripts/setup.sh installs libopenblas0-pthread.
    EXPECT_NE(models::blasLibrary().find("openblas"), std::string::npos) << models::blasLibrary();
}
