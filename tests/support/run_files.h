// Hand-made run files for tests: a header with the identity fields filled, and a copy of a run
// with one root attribute changed (HDF5's C API only, so GUI tests stay free of LibTorch headers).
//
//   analysis::RunHeader h = test::runHeader();          // then set keypoints, sizes, grid, layers
//   std::string mpii = test::runCopyWith(test::sharedRun(), "mpii.h5", "dataset_kind", "mpii");
#pragma once

#include "posescope/analysis/run_header.h"
#include "test_paths.h"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <filesystem>
#include <string>

namespace posescope::test {

/// The identity and provenance attributes of a COCO run by a TransPose-R (placeholder hashes),
/// level keypoints; the caller fills the shape fields.
inline analysis::RunHeader runHeader(const std::string& dataset = "ann.json") {
    analysis::RunHeader h;
    h.modelFamily = "TransPose-R";
    h.config = "{}";
    h.configSource = "test";
    h.checkpoint = "x.pth";
    h.checkpointSha256 = std::string(64, 'a');
    h.datasetKind = "coco";
    h.dataset = dataset;
    h.datasetSha256 = std::string(64, 'b');
    h.selection = "all";
    h.level = analysis::RunLevel::Keypoints;
    h.posescopeVersion = "test";
    h.created = "2026-01-01T00:00:00Z";
    return h;
}

/// runHeader() with three keypoints (nose and eyes, a skeleton and a flip pair), a 12 × 16 input,
/// 3 × 4 heatmaps and a 2 × 3 token grid; `layers` layers of `heads` heads, `samples` planned.
inline analysis::RunHeader threeKeypointRunHeader(int layers, int heads, int samples) {
    analysis::RunHeader h = runHeader();
    h.keypointNames = {"nose", "left_eye", "right_eye"};
    h.skeleton = {{0, 1}, {0, 2}};
    h.flipPairs = {{1, 2}};
    h.inputWidth = 12;
    h.inputHeight = 16;
    h.heatmapWidth = 3;
    h.heatmapHeight = 4;
    h.gridRows = 2;
    h.gridCols = 3;
    h.layers = layers;
    h.heads = heads;
    h.totalSamples = samples;
    h.plannedSamples = samples;
    return h;
}

/// A copy of `run` (under the test output folder, as `name`) with one string attribute of its
/// root replaced by `value`.
inline std::string runCopyWith(const std::string& run, const std::string& name, const char* attribute,
                               const std::string& value) {
    const std::string out = outputPath(name);
    std::filesystem::copy_file(run, out, std::filesystem::copy_options::overwrite_existing);
    const hid_t f = H5Fopen(out.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    EXPECT_GE(f, 0) << out;
    H5Adelete(f, attribute);
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, value.size());
    H5Tset_cset(type, H5T_CSET_UTF8);
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t a = H5Acreate2(f, attribute, type, space, H5P_DEFAULT, H5P_DEFAULT);
    EXPECT_GE(H5Awrite(a, type, value.data()), 0) << out;
    H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
    H5Fclose(f);
    return out;
}

}  // namespace posescope::test
