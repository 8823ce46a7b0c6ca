// The HDF5 wrapper: round trips, groups, attributes, and errors that name file and object.
#include "posescope/analysis/h5_file.h"
#include "test_paths.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

using namespace posescope;
using analysis::H5File;

TEST(H5File, RoundTripsTensorsOfEveryStoredType) {
    const std::string path = test::outputPath("roundtrip.h5");
    const torch::Tensor f = torch::randn({2, 3, 5});
    const torch::Tensor d = torch::randn({4}, torch::kFloat64);
    const torch::Tensor i = torch::arange(7, torch::kInt64);
    const torch::Tensor big = torch::randn({3, 400, 400});  // chunked over more than 1 MiB
    {
        H5File out = H5File::create(path);
        out.writeTensor("/a/b/f", f);
        out.writeTensor("/d", d);
        out.writeTensor("/i", i);
        out.writeTensor("/big", big);
        out.writeTensor("/empty", torch::zeros({0, 3}));
        out.writeAttribute("/", "model", "TransPose-R R-A4");
        out.close();
    }
    const H5File in = H5File::open(path);
    EXPECT_TRUE(torch::equal(in.readTensor("/a/b/f"), f));
    EXPECT_TRUE(torch::equal(in.readTensor("/d"), d));
    EXPECT_TRUE(torch::equal(in.readTensor("/i"), i));
    EXPECT_TRUE(torch::equal(in.readTensor("/big"), big));
    EXPECT_EQ(in.readTensor("/empty").sizes(), (std::vector<int64_t>{0, 3}));
    EXPECT_TRUE(in.exists("/a/b"));
    EXPECT_FALSE(in.exists("/a/c/d"));
}

TEST(H5File, ErrorsNameTheFileAndObject) {
    const std::string path = test::outputPath("errors.h5");
    H5File::create(path).close();
    try {
        H5File::open(path).readTensor("/missing/x");
        FAIL();
    } catch (const analysis::H5Error& e) {
        EXPECT_EQ(std::string(e.what()), path + ": no dataset /missing/x");
    }
    const std::string text = test::outputPath("not.h5");
    std::ofstream(text) << "plain text";
    try {
        H5File::open(text);
        FAIL();
    } catch (const analysis::H5Error& e) {
        EXPECT_EQ(std::string(e.what()),
                  text + ": not an HDF5 file (no HDF5 signature: another format, or only its end was kept)");
    }
    try {
        H5File::create(test::outputPath("no/such/dir.h5"));
        FAIL();
    } catch (const FileError& e) {
        EXPECT_NE(std::string(e.what()).find("cannot create the file"), std::string::npos);
    }
    H5File f = H5File::create(path);
    f.writeTensor("/x", torch::ones({2}));
    EXPECT_THROW(f.writeTensor("/x", torch::ones({2})), analysis::H5Error);  // exists already
    EXPECT_THROW(f.writeTensor("/b", torch::ones({2}, torch::kBool)), analysis::H5Error);
}
