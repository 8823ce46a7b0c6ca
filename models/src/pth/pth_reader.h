// Parses a .pth file into plain data: storages (raw bytes) and the state dict as views into
// them. No LibTorch here, so the fuzzer and the GUI-side summary use the same code as loading.
//
// Errors: posescope::FileError naming the file and the problem.
// Thread-safety: pure function of its input.
#pragma once

#include "posescope/models/checkpoint_info.h"
#include "pth/pickle.h"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace posescope::models::pth {

struct RawStorage {
    DType dtype = DType::Float32;
    std::string key;
    std::string location;  // as saved, e.g. "cpu" or "cuda:0" (always loaded to CPU)
    int64_t numel = 0;
    // numel * elementSize(dtype) bytes, little-endian: a span of the buffer given to
    // parseCheckpoint (valid while it lives), or `owned` when they had to be inflated or swapped.
    const uint8_t* data = nullptr;
    size_t size = 0;
    std::vector<uint8_t> owned;
    // Set while the bytes still await their ZIP CRC-32 check (see ParseOptions::deferCrc).
    std::function<void(const uint8_t* data, size_t size)> verify;
};

struct RawTensor {
    std::string name;
    const RawStorage* storage = nullptr;
    int64_t offset = 0;  // in elements of storage->dtype
    std::vector<int64_t> sizes;
    std::vector<int64_t> strides;
};

struct RawCheckpoint {
    std::string path;
    std::string format;  // "zip" or "legacy"
    std::string stateDictKey;
    bool strippedModulePrefix = false;
    std::vector<std::unique_ptr<RawStorage>> storages;
    std::vector<RawTensor> tensors;  // the state dict, in file order
    std::vector<std::pair<std::string, std::string>> metadata;
};

struct ParseOptions {
    /// Leave the storages' CRC-32 checks to the caller (RawStorage::verify), who can run them in
    /// parallel, on the copies it makes anyway. Otherwise every storage is checked while parsing.
    bool deferCrc = false;
    /// Read the whole pickled tree, not just the state dict (training checkpoints): every tensor
    /// anywhere in nested dicts, lists and tuples becomes a RawTensor named by its dotted path
    /// ("optimizer.state.0.exp_avg"), every other leaf a metadata entry (path → value as text:
    /// integers exact, floats with 17 significant digits, strings whole, True/False/None).
    bool wholeTree = false;
};

/// `data` must outlive the result: storages point into it.
RawCheckpoint parseCheckpoint(const uint8_t* data, size_t size, const std::string& path,
                              const ParseOptions& options = {});

/// A whole file, mapped read-only into memory (empty files map to size 0).
/// Throws FileError (missing, unreadable, a directory).
class MappedFile {
public:
    explicit MappedFile(const std::string& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const uint8_t* data() const { return m_data; }
    size_t size() const { return m_size; }

private:
    const uint8_t* m_data = nullptr;
    size_t m_size = 0;
};

/// Reads a whole file into memory; throws FileError as MappedFile does.
std::vector<uint8_t> readFileBytes(const std::string& path);

/// The summary of a parsed checkpoint (shapes, dtypes, counts, architecture).
CheckpointInfo summarise(const RawCheckpoint& raw);

}  // namespace posescope::models::pth
