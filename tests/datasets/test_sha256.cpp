#include "posescope/datasets/error.h"
#include "posescope/datasets/sha256.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

using namespace posescope;

TEST(Sha256, FipsTestVectors) {
    EXPECT_EQ(sha256Hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256Hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const std::string two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";  // 448 bits: padding spills
    EXPECT_EQ(sha256Hex(two.data(), two.size()), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const std::string million(1000000, 'a');
    EXPECT_EQ(sha256Hex(million.data(), million.size()),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, FileEqualsBytesAcrossReadBlocks) {
    const auto path = std::filesystem::temp_directory_path() / "posescope_sha256_test.bin";
    std::string bytes(3 * (1 << 20) + 17, '\0');
    for (size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<char>((i * 131) % 251);
    std::ofstream(path, std::ios::binary) << bytes;
    EXPECT_EQ(sha256File(path.string()), sha256Hex(bytes.data(), bytes.size()));
    std::filesystem::remove(path);
}

TEST(Sha256, MissingFileNamesIt) {
    try {
        sha256File("/nonexistent/ann.json");
        FAIL();
    } catch (const FileError& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/ann.json: cannot open"), std::string::npos);
    }
}
