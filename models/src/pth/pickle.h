// A restricted pickle interpreter for PyTorch checkpoints (private to models/).
//
// Usage:
//   pth::Unpickler u(bytes.data(), bytes.size(), "ckpt.pth");
//   pth::PickleResult r = u.load();          // r.root points into r.arena
//
// Like PyTorch's weights_only loader it executes nothing: GLOBAL/STACK_GLOBAL names are checked
// against an allow-list (containers, tensor rebuild functions, storage types, a few value
// constructors) and any other name is refused, naming it. Persistent ids of the form
// ('storage', <type>, key, location, numel[, view]) become Storage nodes.
//
// Errors: posescope::FileError naming the file, the byte offset and the problem.
// Thread-safety: an Unpickler is single-use and not shared; results are plain data.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace posescope::models::pth {

enum class DType { Float32, Float16, BFloat16, Float64, Int64, Int32, Int16, UInt8, Int8, Bool };

size_t elementSize(DType t);
const char* dtypeName(DType t);  // "float32", "int64", … (PyTorch's names without "torch.")

struct Node {
    enum class Kind {
        None,
        Bool,
        Int,
        Float,
        Str,
        Bytes,
        Tuple,
        List,
        Dict,
        Set,
        Global,
        Storage,
        Tensor,
        Dtype,
        BigInt
    };
    Kind kind = Kind::None;
    bool boolean = false;
    int64_t integer = 0;
    double real = 0.0;
    std::string text;                              // Str, Bytes, Global ("module.name"), Dtype (numpy code, e.g. "f8"),
                                                   // BigInt (integers over 64 bits, raw little-endian two's complement)
    std::vector<Node*> items;                      // Tuple, List, Set
    std::vector<std::pair<Node*, Node*>> entries;  // Dict (insertion order)

    // Storage: a persistent id. numel counts elements of `dtype`.
    DType dtype = DType::Float32;
    std::string key;
    std::string location;
    int64_t numel = 0;
    Node* viewOf = nullptr;  // legacy storage views: root storage, offset in elements
    int64_t viewOffset = 0;

    // Tensor: a view into `storage`.
    Node* storage = nullptr;
    int64_t offset = 0;
    std::vector<int64_t> sizes;
    std::vector<int64_t> strides;
    bool requiresGrad = false;
};

struct PickleResult {
    std::vector<std::unique_ptr<Node>> arena;  // owns every node; nodes refer to each other raw
    Node* root = nullptr;
    std::vector<Node*> storages;  // Storage nodes in first-seen order
    size_t bytesConsumed = 0;     // where the STOP opcode ended
};

class Unpickler {
public:
    /// `path` and `record` (e.g. "data.pkl") name the source in errors.
    Unpickler(const uint8_t* data, size_t size, std::string path, std::string record);
    /// Runs until STOP. Storage persistent ids with the same key yield the same node.
    PickleResult load();

private:
    const uint8_t* m_data;
    size_t m_size;
    std::string m_path;
    std::string m_record;
};

}  // namespace posescope::models::pth
