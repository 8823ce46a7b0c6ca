// Reads the numeric arrays of a MATLAB level-5 .mat file (private to datasets/), for the MPII
// ground truth the HRNet/TransPose code bases evaluate against (annot/gt_valid.mat).
//
//   auto arrays = readMatNumeric("gt_valid.mat");      // name -> array
//   const MatArray& a = arrays.at("jnt_missing");        // dims {16, 2958}, column-major
//
// Handles little-endian files, compressed (zlib) and plain elements, the numeric classes with any
// storage type; cell, struct, char and sparse arrays are skipped. Complex arrays keep the real part.
// Errors: FileError naming the file and the problem. Thread-safety: pure function.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace posescope::mat {

struct MatArray {
    std::vector<int64_t> dims;
    std::vector<double> data;  // column-major, as MATLAB stores it
    double at(const std::vector<int64_t>& index) const;
};

std::map<std::string, MatArray> readMatNumeric(const std::string& path);
/// The same from bytes in memory (`name` stands for the file in errors).
std::map<std::string, MatArray> parseMatNumeric(const uint8_t* data, size_t size, const std::string& name);

}  // namespace posescope::mat
