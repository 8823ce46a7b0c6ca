// Reads datasets of the official reference fixtures (../shared/fixtures/official/*.h5) as tensors,
// and compares with the fixtures' tolerance: max |ours − ref| ≤ 1e-4 + 2e-4 · max |ref|.
#pragma once

#include <gtest/gtest.h>
#include <hdf5.h>
#include <torch/torch.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace posescope::test {

/// The dataset as a CPU tensor: float32, float64 or int64, with the file's shape.
inline torch::Tensor readH5(const std::string& file, const std::string& dataset) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) throw std::runtime_error("cannot open " + file);
    const hid_t d = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
    if (d < 0) {
        H5Fclose(f);
        throw std::runtime_error(file + ": no dataset " + dataset);
    }
    const hid_t space = H5Dget_space(d);
    const int rank = H5Sget_simple_extent_ndims(space);
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    std::vector<int64_t> shape(dims.begin(), dims.end());
    const hid_t type = H5Dget_type(d);
    torch::Tensor out;
    hid_t mem = -1;
    if (H5Tget_class(type) == H5T_INTEGER) {
        out = torch::empty(shape, torch::kInt64);
        mem = H5T_NATIVE_INT64;
    } else if (H5Tget_size(type) == 8) {
        out = torch::empty(shape, torch::kFloat64);
        mem = H5T_NATIVE_DOUBLE;
    } else {
        out = torch::empty(shape, torch::kFloat32);
        mem = H5T_NATIVE_FLOAT;
    }
    const herr_t rc = H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data_ptr());
    H5Tclose(type);
    H5Sclose(space);
    H5Dclose(d);
    H5Fclose(f);
    if (rc < 0) throw std::runtime_error(file + ": cannot read " + dataset);
    return out;
}

/// The fixtures' recommended check (README §6).
inline void expectClose(const torch::Tensor& ours, const torch::Tensor& ref, const std::string& what) {
    ASSERT_EQ(ours.sizes(), ref.sizes()) << what;
    const double scale = ref.abs().max().item<double>();
    const double diff = (ours.to(torch::kFloat64) - ref.to(torch::kFloat64)).abs().max().item<double>();
    EXPECT_LE(diff, 1e-4 + 2e-4 * scale) << what << ": max |diff| " << diff << " (max |ref| " << scale << ")";
}

}  // namespace posescope::test
