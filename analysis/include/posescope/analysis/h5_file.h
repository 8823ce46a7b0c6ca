// HDF5 files through the C API, with RAII handles and translated errors (the base of the run
// store). Tensors go in and out as float32/float64/int64 datasets, gzip-compressed and chunked.
//
// Usage:
//   auto f = posescope::analysis::H5File::create("out.h5");            // truncates
//   f.writeTensor("/attention/layer_0", attention);                    // groups are created
//   auto in = posescope::analysis::H5File::open("in.h5").readTensor("/input");
//
// Errors: H5Error (a FileError) naming the file, the object and HDF5's own message; HDF5 never
// prints to the console. Thread-safety: Debian's HDF5 is built thread-safe; one H5File must not
// be used from two threads at once.
#pragma once

#include "posescope/datasets/error.h"

#include <torch/types.h>

#include <string>

namespace posescope::analysis {

class H5Error : public FileError {
public:
    using FileError::FileError;
};

class H5File {
public:
    static H5File create(const std::string& path);
    static H5File open(const std::string& path, bool writable = false);
    H5File(H5File&& other) noexcept;
    H5File& operator=(H5File&& other) noexcept;
    H5File(const H5File&) = delete;
    H5File& operator=(const H5File&) = delete;
    ~H5File();

    /// Writes a CPU tensor (float32, float64 or int64) as a dataset, creating parent groups.
    void writeTensor(const std::string& dataset, const torch::Tensor& tensor);
    torch::Tensor readTensor(const std::string& dataset) const;
    bool exists(const std::string& object) const;
    void writeAttribute(const std::string& object, const std::string& name, const std::string& value);
    /// Flushes and closes; throws H5Error if the data could not be written (e.g. a full disk).
    void close();
    const std::string& path() const { return m_path; }

private:
    H5File(long long id, std::string path) : m_id(id), m_path(std::move(path)) {}
    long long m_id = -1;  // hid_t
    std::string m_path;
};

}  // namespace posescope::analysis
