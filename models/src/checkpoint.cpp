#include "posescope/models/checkpoint.h"

#include "pth/pth_reader.h"
#include "pth/zip_archive.h"

#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <unordered_map>

namespace posescope::models {
namespace {

torch::ScalarType scalarType(pth::DType t) {
    switch (t) {
        case pth::DType::Float32: return torch::kFloat32;
        case pth::DType::Float16: return torch::kFloat16;
        case pth::DType::BFloat16: return torch::kBFloat16;
        case pth::DType::Float64: return torch::kFloat64;
        case pth::DType::Int64: return torch::kInt64;
        case pth::DType::Int32: return torch::kInt32;
        case pth::DType::Int16: return torch::kInt16;
        case pth::DType::UInt8: return torch::kUInt8;
        case pth::DType::Int8: return torch::kInt8;
        case pth::DType::Bool: return torch::kBool;
    }
    return torch::kFloat32;
}

// PyTorch's storage class name for a dtype, as written in persistent ids.
const char* storageClass(torch::ScalarType t, const std::string& path) {
    switch (t) {
        case torch::kFloat32: return "FloatStorage";
        case torch::kFloat16: return "HalfStorage";
        case torch::kBFloat16: return "BFloat16Storage";
        case torch::kFloat64: return "DoubleStorage";
        case torch::kInt64: return "LongStorage";
        case torch::kInt32: return "IntStorage";
        case torch::kInt16: return "ShortStorage";
        case torch::kUInt8: return "ByteStorage";
        case torch::kInt8: return "CharStorage";
        case torch::kBool: return "BoolStorage";
        default: break;
    }
    throw FileError(path, std::string("cannot save tensors of type ") + c10::toString(t));
}

// Protocol-2 pickle writer: just the opcodes a state dict needs.
class PickleWriter {
public:
    void op(uint8_t code) { m_out.push_back(code); }
    void global(const std::string& module, const std::string& name) {
        op('c');
        m_out.insert(m_out.end(), module.begin(), module.end());
        m_out.push_back('\n');
        m_out.insert(m_out.end(), name.begin(), name.end());
        m_out.push_back('\n');
    }
    void text(const std::string& s) {
        op('X');
        put(static_cast<uint64_t>(s.size()), 4);
        m_out.insert(m_out.end(), s.begin(), s.end());
    }
    void integer(int64_t v) {
        if (v >= 0 && v < 256) {
            op('K');
            put(static_cast<uint64_t>(v), 1);
        } else if (v >= 0 && v < 65536) {
            op('M');
            put(static_cast<uint64_t>(v), 2);
        } else if (v >= INT32_MIN && v <= INT32_MAX) {
            op('J');
            put(static_cast<uint64_t>(static_cast<uint32_t>(static_cast<int32_t>(v))), 4);
        } else {
            op(0x8a);  // LONG1, 8 bytes two's complement
            put(8, 1);
            put(static_cast<uint64_t>(v), 8);
        }
    }
    void real(double v) {
        op('G');  // BINFLOAT: 8 bytes, big-endian
        uint64_t bits = 0;
        std::memcpy(&bits, &v, 8);
        for (int i = 7; i >= 0; --i)
            m_out.push_back(static_cast<uint8_t>(bits >> (8 * i)));
    }
    void intTuple(const std::vector<int64_t>& v) {
        op('(');
        for (int64_t x : v)
            integer(x);
        op('t');
    }
    std::vector<uint8_t>& bytes() { return m_out; }

private:
    void put(uint64_t v, int n) {
        for (int i = 0; i < n; ++i)
            m_out.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
    std::vector<uint8_t> m_out;
};

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const std::string& x : v)
        s += (s.empty() ? "" : ", ") + x;
    return s;
}

// The first few of a mismatch list: a checkpoint of another family would list every key (tens of
// kilobytes in one message); the exception keeps the whole lists.
std::string firstFew(const std::vector<std::string>& v) {
    constexpr size_t kShown = 12;
    if (v.size() <= kShown) return joined(v);
    return joined(std::vector<std::string>(v.begin(), v.begin() + kShown)) + ", … (" +
           std::to_string(v.size() - kShown) + " more)";
}

std::string shapeText(const torch::Tensor& t) {
    std::string s = "[";
    for (int64_t i = 0; i < t.dim(); ++i)
        s += (i ? ", " : "") + std::to_string(t.size(i));
    return s + "]";
}

}  // namespace

namespace {

// The tensors of a parsed checkpoint, copied out of the file.
StateDict materialise(const pth::RawCheckpoint& raw) {
    StateDict out;

    // Copy the storages out of the mapped file, spread over LibTorch's threads.
    std::vector<torch::Tensor> flat(raw.storages.size());
    for (size_t i = 0; i < raw.storages.size(); ++i)
        flat[i] =
            torch::empty({raw.storages[i]->numel}, torch::TensorOptions().dtype(scalarType(raw.storages[i]->dtype)));
    // Exceptions must not leave a parallel region: the first failure is kept and rethrown.
    std::mutex failureLock;
    std::exception_ptr failure;
    at::parallel_for(0, static_cast<int64_t>(flat.size()), 1, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            const pth::RawStorage& s = *raw.storages[static_cast<size_t>(i)];
            if (s.size == 0) continue;
            uint8_t* dst = static_cast<uint8_t*>(flat[static_cast<size_t>(i)].data_ptr());
            std::memcpy(dst, s.data, s.size);
            try {
                if (s.verify) s.verify(dst, s.size);
            } catch (...) {
                const std::lock_guard<std::mutex> lock(failureLock);
                if (!failure) failure = std::current_exception();
            }
        }
    });
    if (failure) std::rethrow_exception(failure);
    std::unordered_map<const pth::RawStorage*, torch::Tensor> storages;
    for (size_t i = 0; i < flat.size(); ++i)
        storages.emplace(raw.storages[i].get(), flat[i]);
    for (const pth::RawTensor& t : raw.tensors) {
        const torch::Tensor& base = storages.at(t.storage);
        torch::Tensor view = torch::empty({0}, base.options());
        view.set_(base.storage(), t.offset, t.sizes, t.strides);
        out.emplace_back(t.name, view);
    }
    return out;
}

}  // namespace

Checkpoint loadCheckpoint(const std::string& path) {
    const pth::MappedFile file(path);
    pth::ParseOptions parse;
    parse.deferCrc = true;  // checked in materialise, on the copies, spread over LibTorch's threads
    const pth::RawCheckpoint raw = pth::parseCheckpoint(file.data(), file.size(), path, parse);
    Checkpoint ckpt;
    ckpt.info = pth::summarise(raw);
    ckpt.tensors = materialise(raw);
    return ckpt;
}

CheckpointContents loadCheckpointContents(const std::string& path) {
    const pth::MappedFile file(path);
    pth::ParseOptions parse;
    parse.deferCrc = true;
    parse.wholeTree = true;
    const pth::RawCheckpoint raw = pth::parseCheckpoint(file.data(), file.size(), path, parse);
    CheckpointContents c;
    c.source = path;
    c.tensors = materialise(raw);
    for (const auto& [k, v] : raw.metadata)
        c.values[k] = v;
    return c;
}

namespace {

// One record per distinct storage, in first-use order; tensors sharing a storage keep sharing it.
struct StorageRecords {
    std::vector<std::pair<std::string, torch::Tensor>> records;
    std::map<const void*, std::string> keyOf;
};

void writeTensor(PickleWriter& p, const torch::Tensor& tensor, const std::string& name, StorageRecords& storages,
                 const std::string& path) {
    if (!tensor.defined()) throw FileError(path, "cannot save '" + name + "': tensor is undefined");
    torch::Tensor t = tensor.device().is_cpu() ? tensor.detach() : tensor.detach().to(torch::kCPU);
    const void* impl = t.storage().unsafeGetStorageImpl();
    auto it = storages.keyOf.find(impl);
    if (it == storages.keyOf.end()) {
        it = storages.keyOf.emplace(impl, std::to_string(storages.records.size())).first;
        storages.records.emplace_back(it->second, t);
    }
    const int64_t itemSize = static_cast<int64_t>(t.element_size());
    p.global("torch._utils", "_rebuild_tensor_v2");
    p.op('(');
    p.op('(');
    p.text("storage");
    p.global("torch", storageClass(t.scalar_type(), path));
    p.text(it->second);
    p.text("cpu");
    p.integer(static_cast<int64_t>(t.storage().nbytes()) / itemSize);
    p.op('t');
    p.op('Q');
    p.integer(t.storage_offset());
    p.intTuple(t.sizes().vec());
    p.intTuple(t.strides().vec());
    p.op(0x89);  // requires_grad = False
    p.global("collections", "OrderedDict");
    p.op(')');
    p.op('R');
    p.op('t');
    p.op('R');
}

void writeValue(PickleWriter& p, const CheckpointValue& v, const std::string& name, StorageRecords& storages,
                const std::string& path, int depth) {
    using Kind = CheckpointValue::Kind;
    if (depth > 32) throw FileError(path, "cannot save '" + name + "': nested deeper than 32 levels");
    switch (v.kind) {
        case Kind::None: p.op('N'); return;
        case Kind::Bool: p.op(v.boolean ? 0x88 : 0x89); return;
        case Kind::Int: p.integer(v.integer); return;
        case Kind::Float: p.real(v.real); return;
        case Kind::Str: p.text(v.text); return;
        case Kind::Tensor: writeTensor(p, v.tensor, name, storages, path); return;
        case Kind::List:
        case Kind::Tuple:
            if (v.kind == Kind::List) p.op(']');
            p.op('(');
            for (size_t i = 0; i < v.items.size(); ++i)
                writeValue(p, v.items[i], name + "." + std::to_string(i), storages, path, depth + 1);
            p.op(v.kind == Kind::List ? 'e' : 't');  // APPENDS / TUPLE
            return;
        case Kind::Dict:
        case Kind::OrderedDict:
            if (v.kind == Kind::Dict) {
                p.op('}');
            } else {
                p.global("collections", "OrderedDict");
                p.op(')');
                p.op('R');
            }
            p.op('(');
            for (const auto& [key, value] : v.entries) {
                if (key.kind != Kind::Str && key.kind != Kind::Int)
                    throw FileError(path, "cannot save '" + name + "': dict keys must be strings or integers");
                writeValue(p, key, name, storages, path, depth + 1);
                writeValue(p, value, name + "." + (key.kind == Kind::Str ? key.text : std::to_string(key.integer)),
                           storages, path, depth + 1);
            }
            p.op('u');  // SETITEMS
            return;
    }
}

}  // namespace

CheckpointValue CheckpointValue::list(std::vector<CheckpointValue> items, bool tuple) {
    CheckpointValue v;
    v.kind = tuple ? Kind::Tuple : Kind::List;
    v.items = std::move(items);
    return v;
}

CheckpointValue CheckpointValue::dict(std::vector<std::pair<CheckpointValue, CheckpointValue>> entries) {
    CheckpointValue v;
    v.kind = Kind::Dict;
    v.entries = std::move(entries);
    return v;
}

CheckpointValue CheckpointValue::stateDict(const StateDict& tensors) {
    CheckpointValue v;
    v.kind = Kind::OrderedDict;
    for (const auto& [name, t] : tensors)
        v.entries.emplace_back(CheckpointValue(name), CheckpointValue(t));
    return v;
}

void saveCheckpoint(const CheckpointValue& root, const std::string& path) {
    const std::string archive = "archive/";
    PickleWriter p;
    p.op(0x80);
    p.op(2);
    StorageRecords storages;
    writeValue(p, root, "", storages, path, 0);
    p.op('.');

    const std::string tmp = path + ".partial";
    try {
        pth::ZipWriter zip(tmp);
        zip.add(archive + "data.pkl", p.bytes().data(), p.bytes().size());
        zip.add(archive + "byteorder", "little", 6);
        for (const auto& [key, t] : storages.records)
            zip.add(archive + "data/" + key, t.storage().data(), t.storage().nbytes());
        zip.add(archive + "version", "3\n", 2);
        zip.finish();
    } catch (const FileError& e) {
        std::remove(tmp.c_str());
        throw FileError(path, e.problem());
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        std::remove(tmp.c_str());
        throw FileError(path, "cannot replace the file: " + why);
    }
}

void saveStateDict(const StateDict& tensors, const std::string& path) {
    saveCheckpoint(CheckpointValue::stateDict(tensors), path);
}

const torch::Tensor& CheckpointContents::tensor(const std::string& path) const {
    for (const auto& [name, t] : tensors)
        if (name == path) return t;
    throw FileError(source, "no tensor '" + path + "' in the checkpoint");
}

const std::string& CheckpointContents::value(const std::string& path) const {
    const auto it = values.find(path);
    if (it == values.end()) throw FileError(source, "no value '" + path + "' in the checkpoint");
    return it->second;
}

StateDict stateDictOf(const torch::nn::Module& module) {
    StateDict out;
    for (const auto& item : module.named_modules("", /*include_self=*/true)) {
        const std::string prefix = item.key().empty() ? "" : item.key() + ".";
        for (const auto& p : item.value()->named_parameters(/*recurse=*/false))
            if (p.value().defined()) out.emplace_back(prefix + p.key(), p.value());
        for (const auto& b : item.value()->named_buffers(/*recurse=*/false))
            if (b.value().defined()) out.emplace_back(prefix + b.key(), b.value());
    }
    return out;
}

StateDictMismatch::StateDictMismatch(const std::string& source, std::vector<std::string> missing,
                                     std::vector<std::string> unexpected, std::vector<std::string> misshaped,
                                     const std::string& note)
    : FileError(
          source, "the checkpoint does not match the model (" +
                      [&] {
                          // Another model altogether: its every key would be listed, so only the first few.
                          const auto list = [&](const std::vector<std::string>& v) {
                              return note.empty() ? joined(v) : firstFew(v);
                          };
                          std::string s;
                          if (!missing.empty()) s += std::to_string(missing.size()) + " missing: " + list(missing);
                          if (!unexpected.empty())
                              s += (s.empty() ? "" : "; ") + std::to_string(unexpected.size()) +
                                   " unexpected: " + list(unexpected);
                          if (!misshaped.empty())
                              s += (s.empty() ? "" : "; ") + std::to_string(misshaped.size()) +
                                   " with a different shape: " + list(misshaped);
                          return s;
                      }() +
                      ")" + note),
      m_missing(std::move(missing)),
      m_unexpected(std::move(unexpected)),
      m_misshaped(std::move(misshaped)) {}

void loadStateDict(torch::nn::Module& module, const StateDict& tensors, const std::string& source,
                   const LoadOptions& options) {
    StateDict targets = stateDictOf(module);
    std::map<std::string, torch::Tensor> byName(targets.begin(), targets.end());
    std::map<std::string, const torch::Tensor*> given;
    std::vector<std::string> unexpected;
    std::vector<std::string> misshaped;
    for (const auto& [fileKey, tensor] : tensors) {
        std::optional<std::string> key = options.keyMap ? options.keyMap(fileKey) : std::optional(fileKey);
        if (!key) continue;
        auto it = byName.find(*key);
        if (it == byName.end()) {
            unexpected.push_back(fileKey);
            continue;
        }
        if (!given.emplace(*key, &tensor).second) {
            unexpected.push_back(fileKey + " (maps onto '" + *key + "' a second time)");
            continue;
        }
        if (it->second.sizes() != tensor.sizes())
            misshaped.push_back(*key + ": file " + shapeText(tensor) + " vs model " + shapeText(it->second));
    }
    std::vector<std::string> missing;
    for (const auto& [name, tensor] : targets)
        if (!given.count(name) && !options.allowMissing) missing.push_back(name);
    if (!missing.empty() || !unexpected.empty() || !misshaped.empty())
        throw StateDictMismatch(source, std::move(missing), std::move(unexpected), std::move(misshaped));

    torch::NoGradGuard noGrad;
    for (auto& [name, target] : byName)
        if (given.count(name)) target.copy_(*given.at(name));
}

}  // namespace posescope::models
