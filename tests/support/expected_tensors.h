// Reads the *.expected.tsv / official_reference.tsv files written by scripts/make_pth_fixtures.py
// (what Python's torch.load sees) and compares loaded tensors with them.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace posescope::test {

struct ExpectedTensor {
    std::string file;  // only in official_reference.tsv
    std::string name;
    std::string shape;
    std::string dtype;
    double sum = 0;
    std::vector<double> first;
};

inline std::vector<std::string> splitOn(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    std::istringstream in(s);
    while (std::getline(in, cur, sep))
        out.push_back(cur);
    if (!s.empty() && s.back() == sep) out.emplace_back();
    return out;
}

inline std::vector<ExpectedTensor> readExpected(const std::string& path, bool withFile = false) {
    std::ifstream in(path);
    EXPECT_TRUE(in.good()) << "cannot read " << path;
    std::vector<ExpectedTensor> out;
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> f = splitOn(line, '\t');
        ExpectedTensor e;
        if (withFile) {
            e.file = f.at(0);
            f.erase(f.begin());
        }
        e.name = f.at(0);
        e.shape = f.at(1);
        e.dtype = f.at(2);
        e.sum = std::stod(f.at(3));
        for (const std::string& v : splitOn(f.size() > 4 ? f[4] : "", ','))
            if (!v.empty()) e.first.push_back(std::stod(v));
        out.push_back(e);
    }
    return out;
}

inline std::string shapeOf(const torch::Tensor& t) {
    std::string s = "[";
    for (int64_t i = 0; i < t.dim(); ++i)
        s += (i ? ", " : "") + std::to_string(t.size(i));
    return s + "]";
}

/// Same values as Python saw: float64 sum (to 1e-9 relative) and the first values exactly.
inline void expectMatches(const ExpectedTensor& e, const std::string& name, const torch::Tensor& t) {
    SCOPED_TRACE(e.file + " " + e.name);
    EXPECT_EQ(name, e.name);
    EXPECT_EQ(shapeOf(t), e.shape);
    EXPECT_EQ(std::string(c10::toString(t.scalar_type())), e.dtype == "float32"    ? "Float"
                                                           : e.dtype == "float16"  ? "Half"
                                                           : e.dtype == "bfloat16" ? "BFloat16"
                                                           : e.dtype == "float64"  ? "Double"
                                                           : e.dtype == "int64"    ? "Long"
                                                           : e.dtype == "int32"    ? "Int"
                                                           : e.dtype == "int16"    ? "Short"
                                                           : e.dtype == "uint8"    ? "Byte"
                                                           : e.dtype == "int8"     ? "Char"
                                                           : e.dtype == "bool"     ? "Bool"
                                                                                   : e.dtype);
    const torch::Tensor flat = t.reshape({-1}).to(torch::kFloat64);
    const double sum = flat.numel() ? flat.sum().item<double>() : 0.0;
    const double scale = flat.numel() ? flat.abs().sum().item<double>() : 0.0;
    EXPECT_NEAR(sum, e.sum, 1e-9 * scale + 1e-12);
    ASSERT_GE(flat.numel(), static_cast<int64_t>(e.first.size()));
    for (size_t i = 0; i < e.first.size(); ++i)
        EXPECT_EQ(flat[static_cast<int64_t>(i)].item<double>(), e.first[i]) << "value " << i;
}

}  // namespace posescope::test
