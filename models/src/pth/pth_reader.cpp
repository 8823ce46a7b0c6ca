#include "pth/pth_reader.h"

#include "posescope/datasets/error.h"
#include "pth/zip_archive.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <sstream>
#include <tuple>

namespace posescope::models::pth {
namespace {

using Kind = Node::Kind;

// torch.save's legacy format starts with this integer (0x1950a86a20f9469cfc6c), little-endian.
const std::string kLegacyMagic("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10);

// Keys under which training scripts keep the model's weights, in order of preference.
const char* const kWrapperKeys[] = {"state_dict", "model_state_dict", "model_state", "model", "net", "module"};

bool isTensorDict(const Node* n) {
    if (n->kind != Kind::Dict) return false;
    for (const auto& [k, v] : n->entries)
        if (k->kind != Kind::Str || v->kind != Kind::Tensor) return false;
    return true;
}

const Node* dictGet(const Node* dict, const std::string& key) {
    for (const auto& [k, v] : dict->entries)
        if (k->kind == Kind::Str && k->text == key) return v;
    return nullptr;
}

std::string describe(const Node* n, int depth = 0) {
    if (depth > 3) return "…";
    switch (n->kind) {
        case Kind::None: return "None";
        case Kind::Bool: return n->boolean ? "True" : "False";
        case Kind::Int: return std::to_string(n->integer);
        case Kind::Float: {
            std::ostringstream s;
            s.precision(10);
            s << n->real;
            return s.str();
        }
        case Kind::Str: return n->text.size() > 200 ? n->text.substr(0, 200) + "…" : n->text;
        case Kind::Bytes: return "<" + std::to_string(n->text.size()) + " bytes>";
        case Kind::BigInt: return "<" + std::to_string(n->text.size() * 8) + "-bit integer>";
        case Kind::Tensor: {
            std::string s = "tensor " + std::string(dtypeName(n->storage->dtype)) + " [";
            for (size_t i = 0; i < n->sizes.size(); ++i)
                s += (i ? ", " : "") + std::to_string(n->sizes[i]);
            return s + "]";
        }
        case Kind::Dict: return "dict with " + std::to_string(n->entries.size()) + " entries";
        case Kind::Tuple:
        case Kind::List: {
            if (n->items.size() > 8)
                return (n->kind == Kind::List ? "list of " : "tuple of ") + std::to_string(n->items.size()) + " items";
            std::string s = n->kind == Kind::List ? "[" : "(";
            for (size_t i = 0; i < n->items.size(); ++i)
                s += (i ? ", " : "") + describe(n->items[i], depth + 1);
            return s + (n->kind == Kind::List ? "]" : ")");
        }
        case Kind::Set: return "set of " + std::to_string(n->items.size()) + " items";
        case Kind::Global: return n->text;
        case Kind::Storage: return "storage";
        case Kind::Dtype: return "dtype " + n->text;
    }
    return "?";
}

struct Located {
    const Node* dict = nullptr;
    std::string key;
};

// Finds the state dict: the root itself, or a tensor dict under a known key, searched breadth-first
// through nested dicts (depth-limited: pickles can hold cycles).
Located locateStateDict(const Node* root, const std::string& path) {
    if (root->kind != Kind::Dict)
        throw FileError(path, "the checkpoint holds a " + describe(root) + ", not a state dict (a dict of tensors)");
    if (isTensorDict(root)) return {root, ""};
    std::vector<std::pair<const Node*, std::string>> level = {{root, ""}};
    for (int depth = 0; depth < 4 && !level.empty(); ++depth) {
        std::vector<std::pair<const Node*, std::string>> next;
        for (const auto& [dict, prefix] : level) {
            for (const char* key : kWrapperKeys) {
                const Node* v = dictGet(dict, key);
                if (v && isTensorDict(v)) return {v, prefix + key};
            }
            for (const auto& [k, v] : dict->entries)
                if (k->kind == Kind::Str && v->kind == Kind::Dict) next.emplace_back(v, prefix + k->text + ".");
        }
        level = std::move(next);
    }
    std::string keys;
    for (const auto& [k, v] : root->entries) {
        if (keys.size() > 200) {
            keys += ", …";
            break;
        }
        keys += (keys.empty() ? "" : ", ") + describe(k);
    }
    throw FileError(path, "no state dict found: the checkpoint is a dict with keys {" + keys +
                              "} and none of them (or 'state_dict', 'model', 'model_state') holds only tensors");
}

std::vector<std::pair<std::string, std::string>> metadataOf(const Node* root, const Node* stateDict) {
    std::vector<std::pair<std::string, std::string>> out;
    if (root == stateDict || root->kind != Kind::Dict) return out;
    for (const auto& [k, v] : root->entries) {
        if (v == stateDict) continue;
        out.emplace_back(describe(k), describe(v));
    }
    return out;
}

// A storage's bytes: a span of the file buffer, or a vector of their own (inflated records).
struct Bytes {
    const uint8_t* data = nullptr;
    size_t size = 0;
    std::vector<uint8_t> owned;
    std::function<void(const uint8_t*, size_t)> verify;  // pending CRC check of a span, if any
};

void byteSwap(std::vector<uint8_t>& bytes, size_t width) {
    if (width < 2) return;
    for (size_t i = 0; i + width <= bytes.size(); i += width)
        std::reverse(bytes.begin() + i, bytes.begin() + i + width);
}

// Every leaf of a pickled tree under its dotted path: tensors to `tensors`, the rest to `values`.
void flattenTree(const Node* n, const std::string& name, int depth, const std::string& path,
                 std::vector<std::pair<std::string, const Node*>>& tensors,
                 std::vector<std::pair<std::string, std::string>>& values) {
    if (depth > 32) throw FileError(path, "'" + name + "': the checkpoint nests deeper than 32 levels");
    const auto child = [&](const std::string& key) { return name.empty() ? key : name + "." + key; };
    switch (n->kind) {
        case Kind::Tensor: tensors.emplace_back(name, n); return;
        case Kind::Dict:
            for (const auto& [k, v] : n->entries) {
                if (k->kind != Kind::Str && k->kind != Kind::Int)
                    throw FileError(path,
                                    "'" + name + "': a dict key is a " + describe(k) + ", not a string or integer");
                flattenTree(v, child(k->kind == Kind::Str ? k->text : std::to_string(k->integer)), depth + 1, path,
                            tensors, values);
            }
            return;
        case Kind::List:
        case Kind::Tuple:
            for (size_t i = 0; i < n->items.size(); ++i)
                flattenTree(n->items[i], child(std::to_string(i)), depth + 1, path, tensors, values);
            return;
        case Kind::Float: {
            std::ostringstream s;
            s.precision(17);
            s << n->real;
            values.emplace_back(name, s.str());
            return;
        }
        case Kind::Str: values.emplace_back(name, n->text); return;
        default: values.emplace_back(name, describe(n)); return;
    }
}

RawCheckpoint assemble(const std::string& path, const std::string& format, const PickleResult& pickle,
                       const std::function<Bytes(const Node&)>& storageBytes, bool bigEndian, bool wholeTree = false) {
    RawCheckpoint raw;
    raw.path = path;
    raw.format = format;
    std::vector<std::pair<std::string, const Node*>> entries;
    if (wholeTree) {
        flattenTree(pickle.root, "", 0, path, entries, raw.metadata);
    } else {
        const Located located = locateStateDict(pickle.root, path);
        raw.stateDictKey = located.key;
        raw.metadata = metadataOf(pickle.root, located.dict);
        for (const auto& [k, v] : located.dict->entries)
            entries.emplace_back(k->text, v);
    }

    // Load the storages the state dict uses (root storages; legacy views point into them).
    std::map<const Node*, const RawStorage*> loaded;
    auto storageFor = [&](const Node* s) -> const RawStorage* {
        const Node* root = s->viewOf ? s->viewOf : s;
        auto it = loaded.find(root);
        if (it != loaded.end()) return it->second;
        auto st = std::make_unique<RawStorage>();
        st->dtype = root->dtype;
        st->key = root->key;
        st->location = root->location;
        st->numel = root->numel;
        Bytes b = storageBytes(*root);
        st->verify = std::move(b.verify);
        st->owned = std::move(b.owned);
        st->data = b.data ? b.data : st->owned.data();
        st->size = b.data ? b.size : st->owned.size();
        const uint64_t want = static_cast<uint64_t>(root->numel) * elementSize(root->dtype);
        if (st->size < want)
            throw FileError(path, "storage '" + root->key + "' holds " + std::to_string(st->size) +
                                      " bytes, but the checkpoint declares " + std::to_string(root->numel) + " " +
                                      dtypeName(root->dtype) + " elements (" + std::to_string(want) + " bytes)");
        st->size = static_cast<size_t>(want);
        if (bigEndian) {
            if (st->verify) {  // the checksum covers the bytes as stored
                st->verify(st->data, b.size);
                st->verify = nullptr;
            }
            if (st->owned.empty()) st->owned.assign(st->data, st->data + st->size);
            st->owned.resize(st->size);
            byteSwap(st->owned, elementSize(root->dtype));
            st->data = st->owned.data();
        }
        raw.storages.push_back(std::move(st));
        loaded.emplace(root, raw.storages.back().get());
        return raw.storages.back().get();
    };

    raw.strippedModulePrefix =
        !wholeTree && !entries.empty() &&
        std::all_of(entries.begin(), entries.end(), [](const auto& e) { return e.first.rfind("module.", 0) == 0; });
    for (const auto& [name, t] : entries) {
        RawTensor rt;
        rt.name = raw.strippedModulePrefix ? name.substr(7) : name;
        rt.storage = storageFor(t->storage);
        rt.offset = t->offset + (t->storage->viewOf ? t->storage->viewOffset : 0);
        rt.sizes = t->sizes;
        rt.strides = t->strides;
        raw.tensors.push_back(std::move(rt));
    }
    return raw;
}

RawCheckpoint parseZip(const uint8_t* data, size_t size, const std::string& path, const ParseOptions& options) {
    ZipReader zip(data, size, path);
    if (std::any_of(zip.entries().begin(), zip.entries().end(),
                    [](const ZipEntry& e) { return e.name.find("/code/") != std::string::npos; }))
        throw FileError(path, "this is a TorchScript archive, not a state-dict checkpoint");
    std::string prefix;
    for (const ZipEntry& e : zip.entries()) {
        const size_t slash = e.name.find('/');
        if (slash != std::string::npos && e.name.compare(slash, std::string::npos, "/data.pkl") == 0) {
            prefix = e.name.substr(0, slash + 1);
            break;
        }
    }
    if (prefix.empty()) throw FileError(path, "not a PyTorch checkpoint: the ZIP archive has no data.pkl record");
    const long versionIndex = zip.find(prefix + "version");
    if (versionIndex < 0) throw FileError(path, "not a PyTorch checkpoint: the ZIP archive has no version record");
    const std::vector<uint8_t> versionBytes = zip.read(zip.entries()[static_cast<size_t>(versionIndex)]);
    const std::string version(versionBytes.begin(), versionBytes.end());
    if (version.empty() || !std::isdigit(static_cast<unsigned char>(version[0])))
        throw FileError(path, "malformed version record '" + version.substr(0, 20) + "'");
    bool bigEndian = false;
    const long order = zip.find(prefix + "byteorder");
    if (order >= 0) {
        const std::vector<uint8_t> b = zip.read(zip.entries()[static_cast<size_t>(order)]);
        const std::string s(b.begin(), b.end());
        if (s != "little" && s != "big") throw FileError(path, "malformed byteorder record '" + s.substr(0, 20) + "'");
        bigEndian = s == "big";
    }
    const std::vector<uint8_t> pkl = zip.read(zip.entries()[static_cast<size_t>(zip.find(prefix + "data.pkl"))]);
    const PickleResult pickle = Unpickler(pkl.data(), pkl.size(), path, "data.pkl").load();
    auto storageBytes = [&](const Node& s) {
        const std::string record = prefix + "data/" + s.key;
        const long i = zip.find(record);
        if (i < 0) throw FileError(path, "storage record '" + record + "' is missing from the archive");
        const ZipEntry& entry = zip.entries()[static_cast<size_t>(i)];
        Bytes b;
        std::tie(b.data, b.size) = zip.storedSpan(entry);
        if (!b.data) {
            b.owned = zip.read(entry);  // inflated and checked
        } else if (options.deferCrc) {
            b.verify = [path, entry](const uint8_t* bytes, size_t n) { checkEntryCrc(path, entry, bytes, n); };
        } else {
            zip.checkCrc(entry, b.data, b.size);
        }
        return b;
    };
    return assemble(path, "zip", pickle, storageBytes, bigEndian, options.wholeTree);
}

RawCheckpoint parseLegacy(const uint8_t* data, size_t size, const std::string& path, bool wholeTree) {
    size_t pos = 0;
    auto next = [&](const char* what) {
        if (pos >= size) throw FileError(path, std::string("truncated legacy checkpoint (") + what + " missing)");
        PickleResult r = Unpickler(data + pos, size - pos, path, what).load();
        pos += r.bytesConsumed;
        return r;
    };
    const PickleResult magic = next("magic number");
    if (magic.root->kind != Kind::BigInt || magic.root->text != kLegacyMagic)
        throw FileError(path, "not a PyTorch checkpoint: a plain pickle file, not written by torch.save");
    const PickleResult protocol = next("protocol version");
    if (protocol.root->kind != Kind::Int || protocol.root->integer != 1001)
        throw FileError(path, "unsupported legacy checkpoint protocol " + describe(protocol.root));
    const PickleResult sysInfo = next("system info");
    bool bigEndian = false;
    if (sysInfo.root->kind == Kind::Dict) {
        const Node* little = dictGet(sysInfo.root, "little_endian");
        bigEndian = little && little->kind == Kind::Bool && !little->boolean;
    }
    const PickleResult main = next("data pickle");
    const PickleResult keys = next("storage key list");
    if (keys.root->kind != Kind::List) throw FileError(path, "malformed legacy checkpoint (storage key list)");

    // After the key list, each storage follows as <int64 numel><raw data>, in key-list order.
    std::map<std::string, const Node*> byKey;
    for (const Node* s : main.storages)
        byKey[s->key] = s;
    std::map<std::string, std::pair<size_t, size_t>> spans;  // key -> (offset, bytes)
    for (const Node* k : keys.root->items) {
        if (k->kind != Kind::Str) throw FileError(path, "malformed legacy checkpoint (storage key list)");
        auto it = byKey.find(k->text);
        if (it == byKey.end())
            throw FileError(path, "malformed legacy checkpoint (storage '" + k->text + "' is not used by any tensor)");
        if (size - pos < 8) throw FileError(path, "truncated file: storage '" + k->text + "' is missing");
        int64_t numel = 0;
        std::memcpy(&numel, data + pos, 8);
        if (bigEndian) {
            uint8_t* p = reinterpret_cast<uint8_t*>(&numel);
            std::reverse(p, p + 8);
        }
        pos += 8;
        if (numel != it->second->numel)
            throw FileError(path, "storage '" + k->text + "' has " + std::to_string(numel) +
                                      " elements on disk, but the checkpoint declares " +
                                      std::to_string(it->second->numel));
        const uint64_t bytes = static_cast<uint64_t>(numel) * elementSize(it->second->dtype);
        if (bytes > size - pos)
            throw FileError(path, "truncated file: storage '" + k->text + "' needs " + std::to_string(bytes) +
                                      " bytes, only " + std::to_string(size - pos) + " remain");
        spans[k->text] = {pos, static_cast<size_t>(bytes)};
        pos += static_cast<size_t>(bytes);
    }
    auto storageBytes = [&](const Node& s) {
        auto it = spans.find(s.key);
        if (it == spans.end()) throw FileError(path, "truncated file: storage '" + s.key + "' is missing");
        return Bytes{data + it->second.first, it->second.second, {}, {}};
    };
    return assemble(path, "legacy", main, storageBytes, bigEndian, wholeTree);
}

}  // namespace

RawCheckpoint parseCheckpoint(const uint8_t* data, size_t size, const std::string& path, const ParseOptions& options) {
    if (size == 0) throw FileError(path, "empty file");
    if (looksLikeZip(data, size)) return parseZip(data, size, path, options);
    if (size >= 2 && data[0] == 0x80 && data[1] <= 5) return parseLegacy(data, size, path, options.wholeTree);
    if (size > 262 && std::memcmp(data + 257, "ustar", 5) == 0)
        throw FileError(path, "tar-based checkpoints (PyTorch < 0.4) are not supported; re-save with a newer PyTorch");
    throw FileError(path, "not a PyTorch checkpoint (neither a ZIP archive nor a pickle)");
}

MappedFile::MappedFile(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw FileError(path, std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        const int err = S_ISDIR(st.st_mode) ? EISDIR : errno;
        ::close(fd);
        throw FileError(path, std::string("cannot read: ") + std::strerror(err ? err : EINVAL));
    }
    m_size = static_cast<size_t>(st.st_size);
    if (m_size > 0) {
        void* p = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (p == MAP_FAILED) {
            const int err = errno;
            ::close(fd);
            throw FileError(path, std::string("cannot read: ") + std::strerror(err));
        }
        m_data = static_cast<const uint8_t*>(p);
    }
    ::close(fd);
}

MappedFile::~MappedFile() {
    if (m_data) ::munmap(const_cast<uint8_t*>(m_data), m_size);
}

std::vector<uint8_t> readFileBytes(const std::string& path) {
    const MappedFile file(path);
    return std::vector<uint8_t>(file.data(), file.data() + file.size());
}

CheckpointInfo summarise(const RawCheckpoint& raw) {
    CheckpointInfo info;
    info.path = raw.path;
    info.format = raw.format;
    info.stateDictKey = raw.stateDictKey;
    info.strippedModulePrefix = raw.strippedModulePrefix;
    info.metadata = raw.metadata;
    for (const RawTensor& t : raw.tensors) {
        TensorInfo ti;
        ti.name = t.name;
        ti.shape = t.sizes;
        ti.dtype = dtypeName(t.storage->dtype);
        info.elementCount += ti.numel();
        info.byteCount += ti.numel() * static_cast<int64_t>(elementSize(t.storage->dtype));
        info.tensors.push_back(std::move(ti));
    }
    info.parameterCount = countParameters(info.tensors);
    info.architecture = recogniseArchitecture(info.tensors);
    return info;
}

}  // namespace posescope::models::pth

namespace posescope::models {

int64_t TensorInfo::numel() const {
    int64_t n = 1;
    for (int64_t d : shape)
        n *= d;
    return n;
}

std::string TensorInfo::shapeText() const {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

std::string ArchitectureMatch::text() const {
    if (!recognised()) return "not recognised";
    std::string s = family;
    if (!variant.empty()) s += " " + variant;
    if (!details.empty()) s += " (" + details + ")";
    return s;
}

int64_t countParameters(const std::vector<TensorInfo>& tensors) {
    auto endsWith = [](const std::string& s, const std::string& suffix) {
        return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    int64_t n = 0;
    for (const TensorInfo& t : tensors)
        if (!endsWith(t.name, "running_mean") && !endsWith(t.name, "running_var") &&
            !endsWith(t.name, "num_batches_tracked"))
            n += t.numel();
    return n;
}

CheckpointInfo inspectCheckpoint(const std::string& path) {
    const pth::MappedFile file(path);
    return pth::summarise(pth::parseCheckpoint(file.data(), file.size(), path));
}

}  // namespace posescope::models
