// Where the tests find their data. Paths come from CMake (tests/CMakeLists.txt).
#pragma once

#include <string>

namespace posescope::test {

inline std::string dataPath(const std::string& rel) {
    return std::string(POSESCOPE_TEST_DATA) + "/" + rel;
}
inline std::string officialPath(const std::string& rel) {
    return std::string(POSESCOPE_OFFICIAL_FIXTURES) + "/" + rel;
}
inline std::string outputPath(const std::string& rel) {
    return std::string(POSESCOPE_TEST_OUTPUT) + "/" + rel;
}

}  // namespace posescope::test
