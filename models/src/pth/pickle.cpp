#include "pth/pickle.h"

#include "posescope/datasets/error.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <unordered_map>

namespace posescope::models::pth {

size_t elementSize(DType t) {
    switch (t) {
        case DType::Float64:
        case DType::Int64: return 8;
        case DType::Float32:
        case DType::Int32: return 4;
        case DType::Float16:
        case DType::BFloat16:
        case DType::Int16: return 2;
        case DType::UInt8:
        case DType::Int8:
        case DType::Bool: return 1;
    }
    return 1;
}

const char* dtypeName(DType t) {
    switch (t) {
        case DType::Float32: return "float32";
        case DType::Float16: return "float16";
        case DType::BFloat16: return "bfloat16";
        case DType::Float64: return "float64";
        case DType::Int64: return "int64";
        case DType::Int32: return "int32";
        case DType::Int16: return "int16";
        case DType::UInt8: return "uint8";
        case DType::Int8: return "int8";
        case DType::Bool: return "bool";
    }
    return "?";
}

namespace {

using Kind = Node::Kind;

// Storage classes PyTorch names in persistent ids, and their element types.
const std::unordered_map<std::string, DType>& storageTypes() {
    static const std::unordered_map<std::string, DType> types = {
        {"torch.FloatStorage", DType::Float32},     {"torch.HalfStorage", DType::Float16},
        {"torch.BFloat16Storage", DType::BFloat16}, {"torch.DoubleStorage", DType::Float64},
        {"torch.LongStorage", DType::Int64},        {"torch.IntStorage", DType::Int32},
        {"torch.ShortStorage", DType::Int16},       {"torch.ByteStorage", DType::UInt8},
        {"torch.CharStorage", DType::Int8},         {"torch.BoolStorage", DType::Bool},
        {"torch.UntypedStorage", DType::UInt8},
    };
    return types;
}

// Everything a checkpoint may name. Nothing here runs code: each name maps to a fixed,
// data-only construction below.
bool allowedGlobal(const std::string& name) {
    static const std::set<std::string> allowed = {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "torch.Size",
        "_codecs.encode",
        "builtins.set",
        "__builtin__.set",
        "numpy.dtype",
        "numpy.core.multiarray.scalar",
        "numpy._core.multiarray.scalar",
    };
    return allowed.count(name) > 0 || storageTypes().count(name) > 0;
}

class Machine {
public:
    Machine(const uint8_t* data, size_t size, const std::string& path, const std::string& record)
        : m_data(data), m_size(size), m_path(path), m_record(record) {}

    PickleResult run();

private:
    [[noreturn]] void fail(const std::string& problem) const {
        throw FileError(m_path, m_record + ": " + problem + " (at byte " + std::to_string(m_opPos) + ")");
    }

    Node* make(Kind k) {
        if (m_result.arena.size() >= kMaxNodes) fail("pickle has too many objects");
        m_result.arena.push_back(std::make_unique<Node>());
        m_result.arena.back()->kind = k;
        return m_result.arena.back().get();
    }
    void push(Node* n) {
        if (m_stack.size() >= kMaxStack) fail("pickle stack too deep");
        m_stack.push_back(n);
    }
    Node* pop() {
        if (m_stack.empty() || (!m_marks.empty() && m_stack.size() <= m_marks.back())) fail("pickle stack underflow");
        Node* n = m_stack.back();
        m_stack.pop_back();
        return n;
    }
    Node* top() {
        if (m_stack.empty()) fail("pickle stack underflow");
        return m_stack.back();
    }
    std::vector<Node*> popMark() {
        if (m_marks.empty()) fail("pickle MARK missing");
        const size_t mark = m_marks.back();
        m_marks.pop_back();
        std::vector<Node*> items(m_stack.begin() + static_cast<long>(mark), m_stack.end());
        m_stack.resize(mark);
        return items;
    }

    const uint8_t* take(size_t n) {
        if (n > m_size - m_pos) fail("pickle truncated");
        const uint8_t* p = m_data + m_pos;
        m_pos += n;
        return p;
    }
    uint64_t le(size_t n) {
        const uint8_t* p = take(n);
        uint64_t v = 0;
        for (size_t i = 0; i < n; ++i)
            v |= static_cast<uint64_t>(p[i]) << (8 * i);
        return v;
    }
    std::string bytes(uint64_t n) {
        if (n > m_size - m_pos) fail("pickle truncated (string of " + std::to_string(n) + " bytes)");
        const char* p = reinterpret_cast<const char*>(take(static_cast<size_t>(n)));
        return std::string(p, static_cast<size_t>(n));
    }
    std::string line() {
        const size_t start = m_pos;
        while (m_pos < m_size && m_data[m_pos] != '\n')
            ++m_pos;
        if (m_pos >= m_size) fail("pickle truncated (unterminated line)");
        std::string s(reinterpret_cast<const char*>(m_data + start), m_pos - start);
        ++m_pos;
        return s;
    }

    Node* integer(int64_t v) {
        Node* n = make(Kind::Int);
        n->integer = v;
        return n;
    }
    Node* str(Kind k, std::string s) {
        Node* n = make(k);
        n->text = std::move(s);
        return n;
    }
    Node* container(Kind k, std::vector<Node*> items) {
        Node* n = make(k);
        n->items = std::move(items);
        return n;
    }
    Node* longInt(size_t n) {
        if (n > 8) {  // kept as raw little-endian bytes (e.g. the legacy format's magic number)
            if (n > 1024) fail("integer of " + std::to_string(n) + " bytes is too large");
            return str(Kind::BigInt, bytes(n));
        }
        const uint8_t* p = take(n);
        uint64_t v = 0;
        for (size_t i = 0; i < n; ++i)
            v |= static_cast<uint64_t>(p[i]) << (8 * i);
        if (n > 0 && n < 8 && (p[n - 1] & 0x80)) v |= ~uint64_t(0) << (8 * n);  // sign-extend
        return integer(static_cast<int64_t>(v));
    }
    int64_t parseInt(const std::string& s) {
        std::string t = s;
        if (!t.empty() && t.back() == 'L') t.pop_back();
        try {
            size_t used = 0;
            const long long v = std::stoll(t, &used, 10);
            if (used != t.size()) fail("malformed integer '" + s + "'");
            return v;
        } catch (const std::logic_error&) {
            fail("malformed integer '" + s + "'");
        }
    }

    void memoPut(uint64_t index) { m_memo[index] = top(); }
    Node* memoGet(uint64_t index) {
        auto it = m_memo.find(index);
        if (it == m_memo.end()) fail("pickle memo entry " + std::to_string(index) + " is missing");
        return it->second;
    }

    Node* global(const std::string& module, const std::string& name) {
        const std::string full = module + "." + name;
        if (!allowedGlobal(full))
            fail("refused global '" + full +
                 "': checkpoints may hold only tensors, containers, numbers and strings (PoseScope executes "
                 "nothing from a checkpoint; save model.state_dict() instead)");
        return str(Kind::Global, full);
    }

    static bool isInt(const Node* n) { return n->kind == Kind::Int || n->kind == Kind::Bool; }
    std::vector<int64_t> intTuple(const Node* n, const char* what) {
        if (n->kind != Kind::Tuple && n->kind != Kind::List) fail(std::string(what) + " must be a tuple of integers");
        std::vector<int64_t> v;
        for (const Node* item : n->items) {
            if (!isInt(item)) fail(std::string(what) + " must be a tuple of integers");
            v.push_back(item->integer);
        }
        return v;
    }

    Node* persistentLoad(Node* pid);
    Node* reduce(Node* callable, Node* args);
    Node* rebuildTensor(const std::vector<Node*>& a);
    Node* numpyScalar(const std::vector<Node*>& a);

    static constexpr size_t kMaxStack = 1u << 20;
    static constexpr size_t kMaxNodes = 1u << 26;

    const uint8_t* m_data;
    size_t m_size;
    const std::string& m_path;
    const std::string& m_record;
    size_t m_pos = 0;
    size_t m_opPos = 0;
    std::vector<Node*> m_stack;
    std::vector<size_t> m_marks;
    std::unordered_map<uint64_t, Node*> m_memo;
    std::unordered_map<std::string, Node*> m_storages;
    PickleResult m_result;
};

Node* Machine::persistentLoad(Node* pid) {
    if (pid->kind != Kind::Tuple || pid->items.empty() || pid->items[0]->kind != Kind::Str)
        fail("unsupported persistent id (expected a ('storage', …) tuple)");
    if (pid->items[0]->text != "storage")
        fail("unsupported persistent id '" + pid->items[0]->text + "' (only tensor storages can be loaded)");
    const auto& it = pid->items;
    if (it.size() < 5 || it[1]->kind != Kind::Global || it[2]->kind != Kind::Str || it[3]->kind != Kind::Str ||
        !isInt(it[4]))
        fail("malformed storage persistent id");
    const auto type = storageTypes().find(it[1]->text);
    if (type == storageTypes().end()) fail("'" + it[1]->text + "' is not a supported storage type");
    if (it[4]->integer < 0 || it[4]->integer > (int64_t(1) << 40)) fail("storage has an impossible size");
    const std::string& key = it[2]->text;

    Node* root = nullptr;
    auto found = m_storages.find(key);
    if (found != m_storages.end()) {
        root = found->second;
        if (root->dtype != type->second || root->numel != it[4]->integer)
            fail("storage '" + key + "' is declared twice with different types or sizes");
    } else {
        root = make(Kind::Storage);
        root->dtype = type->second;
        root->key = key;
        root->location = it[3]->text;
        root->numel = it[4]->integer;
        m_storages.emplace(key, root);
        m_result.storages.push_back(root);
    }
    // Legacy files: ('storage', type, root_key, location, root_numel, (view_key, offset, view_numel)).
    if (it.size() >= 6 && it[5]->kind != Kind::None) {
        const Node* view = it[5];
        if (view->kind != Kind::Tuple || view->items.size() != 3 || view->items[0]->kind != Kind::Str ||
            !isInt(view->items[1]) || !isInt(view->items[2]))
            fail("malformed storage view in persistent id");
        const std::string& viewKey = view->items[0]->text;
        auto v = m_storages.find(viewKey);
        if (v != m_storages.end()) return v->second;
        const int64_t off = view->items[1]->integer;
        const int64_t n = view->items[2]->integer;
        if (off < 0 || n < 0 || off > root->numel || n > root->numel - off)
            fail("storage view '" + viewKey + "' lies outside storage '" + key + "'");
        Node* s = make(Kind::Storage);
        s->dtype = root->dtype;
        s->key = viewKey;
        s->location = root->location;
        s->numel = n;
        s->viewOf = root;
        s->viewOffset = off;
        m_storages.emplace(viewKey, s);
        return s;
    }
    return root;
}

Node* Machine::rebuildTensor(const std::vector<Node*>& a) {
    if (a.size() < 4 || a[0]->kind != Kind::Storage || !isInt(a[1]))
        fail("malformed tensor record (_rebuild_tensor arguments)");
    Node* t = make(Kind::Tensor);
    t->storage = a[0];
    t->offset = a[1]->integer;
    t->sizes = intTuple(a[2], "tensor size");
    t->strides = intTuple(a[3], "tensor stride");
    t->requiresGrad = a.size() > 4 && a[4]->kind == Kind::Bool && a[4]->boolean;
    if (t->sizes.size() != t->strides.size()) fail("tensor size and stride have different lengths");
    if (t->offset < 0) fail("tensor has a negative storage offset");
    // The furthest element the view touches must lie inside the storage.
    // Sizes and strides are below 2^63 each, so neither sum nor product overflows 128 bits before
    // it is capped.
    constexpr __int128 kCap = static_cast<__int128>(1) << 62;
    __int128 last = t->offset, elements = 1;
    bool empty = false;
    for (size_t d = 0; d < t->sizes.size(); ++d) {
        if (t->sizes[d] < 0 || t->strides[d] < 0) fail("tensor has a negative size or stride");
        if (t->sizes[d] == 0) empty = true;
        last = std::min(kCap, last + static_cast<__int128>(t->sizes[d] > 0 ? t->sizes[d] - 1 : 0) * t->strides[d]);
        elements = std::min(kCap, elements * t->sizes[d]);
    }
    if (!empty && elements >= kCap) fail("tensor has more elements than any memory holds (2^62 or more)");
    if (!empty && last >= t->storage->numel)
        fail("tensor view needs " +
             (last >= kCap ? std::string("2^62 or more") : std::to_string(static_cast<long long>(last + 1))) +
             " elements of storage '" + t->storage->key + "', which holds only " + std::to_string(t->storage->numel));
    return t;
}

Node* Machine::numpyScalar(const std::vector<Node*>& a) {
    if (a.size() != 2 || a[0]->kind != Kind::Dtype || a[1]->kind != Kind::Bytes) fail("malformed numpy scalar");
    const std::string code = a[0]->text;
    const std::string& raw = a[1]->text;
    auto read = [&](size_t n) {
        if (raw.size() != n) fail("numpy scalar of type '" + code + "' has " + std::to_string(raw.size()) + " bytes");
        uint64_t v = 0;
        for (size_t i = 0; i < n; ++i)
            v |= static_cast<uint64_t>(static_cast<uint8_t>(raw[i])) << (8 * i);
        return v;
    };
    if (code == "f8") {
        Node* n = make(Kind::Float);
        const uint64_t bits = read(8);
        std::memcpy(&n->real, &bits, 8);
        return n;
    }
    if (code == "f4") {
        Node* n = make(Kind::Float);
        const uint32_t bits = static_cast<uint32_t>(read(4));
        float f = 0;
        std::memcpy(&f, &bits, 4);
        n->real = f;
        return n;
    }
    if (code == "b1") {
        Node* n = make(Kind::Bool);
        n->boolean = read(1) != 0;
        n->integer = n->boolean;
        return n;
    }
    if (code.size() == 2 && (code[0] == 'i' || code[0] == 'u') &&
        (code[1] == '1' || code[1] == '2' || code[1] == '4' || code[1] == '8')) {
        const size_t n = static_cast<size_t>(code[1] - '0');
        uint64_t v = read(n);
        if (code[0] == 'i' && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t(0) << (8 * n);
        return integer(static_cast<int64_t>(v));
    }
    fail("numpy scalar type '" + code + "' is not supported");
}

Node* Machine::reduce(Node* callable, Node* args) {
    if (callable->kind != Kind::Global) fail("REDUCE on something that is not a global");
    if (args->kind != Kind::Tuple) fail("REDUCE arguments are not a tuple");
    const std::string& f = callable->text;
    const std::vector<Node*>& a = args->items;
    if (f == "collections.OrderedDict") {
        Node* d = make(Kind::Dict);
        if (!a.empty()) {
            if (a[0]->kind != Kind::List && a[0]->kind != Kind::Tuple) fail("malformed OrderedDict arguments");
            for (Node* pair : a[0]->items) {
                if (pair->kind != Kind::Tuple || pair->items.size() != 2) fail("malformed OrderedDict item");
                d->entries.emplace_back(pair->items[0], pair->items[1]);
            }
        }
        return d;
    }
    if (f == "torch._utils._rebuild_tensor_v2" || f == "torch._utils._rebuild_tensor") return rebuildTensor(a);
    if (f == "torch._utils._rebuild_parameter" || f == "torch._utils._rebuild_parameter_with_state") {
        if (a.size() < 2 || a[0]->kind != Kind::Tensor) fail("malformed parameter record");
        Node* t = make(Kind::Tensor);
        *t = *a[0];
        t->requiresGrad = a[1]->kind == Kind::Bool && a[1]->boolean;
        return t;
    }
    if (f == "torch.Size") {
        if (a.size() != 1) fail("malformed torch.Size");
        intTuple(a[0], "torch.Size");
        return container(Kind::Tuple, a[0]->items);
    }
    if (f == "_codecs.encode") {
        // Protocol 2 stores bytes as _codecs.encode(<latin-1 text as unicode>, 'latin1').
        if (a.size() != 2 || a[0]->kind != Kind::Str || a[1]->kind != Kind::Str ||
            (a[1]->text != "latin1" && a[1]->text != "latin-1"))
            fail("unsupported _codecs.encode call");
        std::string out;
        const std::string& s = a[0]->text;
        for (size_t i = 0; i < s.size(); ++i) {
            const auto c = static_cast<uint8_t>(s[i]);
            if (c < 0x80) {
                out.push_back(static_cast<char>(c));
            } else if ((c & 0xE0) == 0xC0 && i + 1 < s.size() && c <= 0xC3) {
                out.push_back(static_cast<char>(((c & 0x1F) << 6) | (static_cast<uint8_t>(s[i + 1]) & 0x3F)));
                ++i;
            } else {
                fail("_codecs.encode: text is not latin-1");
            }
        }
        return str(Kind::Bytes, out);
    }
    if (f == "builtins.set" || f == "__builtin__.set") {
        if (a.empty()) return container(Kind::Set, {});
        if (a[0]->kind != Kind::List && a[0]->kind != Kind::Tuple) fail("malformed set arguments");
        return container(Kind::Set, a[0]->items);
    }
    if (f == "numpy.dtype") {
        if (a.empty() || a[0]->kind != Kind::Str) fail("malformed numpy dtype");
        return str(Kind::Dtype, a[0]->text);
    }
    if (f == "numpy.core.multiarray.scalar" || f == "numpy._core.multiarray.scalar") return numpyScalar(a);
    fail("global '" + f + "' cannot be called");
}

PickleResult Machine::run() {
    while (true) {
        m_opPos = m_pos;
        const uint8_t op = static_cast<uint8_t>(le(1));
        switch (op) {
            case 0x80: {  // PROTO
                const auto v = le(1);
                if (v > 5) fail("pickle protocol " + std::to_string(v) + " is not supported");
                break;
            }
            case 0x95: le(8); break;  // FRAME: length hint only
            case '(': m_marks.push_back(m_stack.size()); break;
            case '.': {  // STOP
                if (m_stack.empty()) fail("pickle ends with an empty stack");
                m_result.root = m_stack.back();
                m_result.bytesConsumed = m_pos;
                return std::move(m_result);
            }
            case '0':  // POP
                if (m_stack.empty() || (!m_marks.empty() && m_stack.size() == m_marks.back())) {
                    if (m_marks.empty()) fail("pickle stack underflow");
                    m_marks.pop_back();
                } else {
                    m_stack.pop_back();
                }
                break;
            case '1': popMark(); break;
            case '2': push(top()); break;
            case 'N': push(make(Kind::None)); break;
            case 0x88:
            case 0x89: {
                Node* n = make(Kind::Bool);
                n->boolean = op == 0x88;
                n->integer = n->boolean;
                push(n);
                break;
            }
            case 'J': push(integer(static_cast<int32_t>(static_cast<uint32_t>(le(4))))); break;
            case 'K': push(integer(static_cast<int64_t>(le(1)))); break;
            case 'M': push(integer(static_cast<int64_t>(le(2)))); break;
            case 0x8a: push(longInt(static_cast<size_t>(le(1)))); break;
            case 0x8b: {
                const uint64_t n = le(4);
                if (n > 1024) fail("integer of " + std::to_string(n) + " bytes is too large");
                push(longInt(static_cast<size_t>(n)));
                break;
            }
            case 'I': {
                const std::string s = line();
                if (s == "00" || s == "01") {
                    Node* n = make(Kind::Bool);
                    n->boolean = s == "01";
                    n->integer = n->boolean;
                    push(n);
                } else {
                    push(integer(parseInt(s)));
                }
                break;
            }
            case 'L': push(integer(parseInt(line()))); break;
            case 'F': {
                const std::string s = line();
                Node* n = make(Kind::Float);
                char* end = nullptr;
                n->real = std::strtod(s.c_str(), &end);
                if (s.empty() || end != s.c_str() + s.size()) fail("malformed float '" + s + "'");
                push(n);
                break;
            }
            case 'G': {  // BINFLOAT, big-endian
                const uint8_t* p = take(8);
                uint64_t bits = 0;
                for (int i = 0; i < 8; ++i)
                    bits = (bits << 8) | p[i];
                Node* n = make(Kind::Float);
                std::memcpy(&n->real, &bits, 8);
                push(n);
                break;
            }
            case 'X': push(str(Kind::Str, bytes(le(4)))); break;
            case 0x8c: push(str(Kind::Str, bytes(le(1)))); break;
            case 0x8d: push(str(Kind::Str, bytes(le(8)))); break;
            case 'T': push(str(Kind::Str, bytes(le(4)))); break;  // BINSTRING (Python 2 str)
            case 'U': push(str(Kind::Str, bytes(le(1)))); break;  // SHORT_BINSTRING
            case 'B': push(str(Kind::Bytes, bytes(le(4)))); break;
            case 'C': push(str(Kind::Bytes, bytes(le(1)))); break;
            case 0x8e:
            case 0x96: push(str(Kind::Bytes, bytes(le(8)))); break;  // BINBYTES8, BYTEARRAY8
            case ')': push(container(Kind::Tuple, {})); break;
            case 't': push(container(Kind::Tuple, popMark())); break;
            case 0x85: {
                Node* a = pop();
                push(container(Kind::Tuple, {a}));
                break;
            }
            case 0x86: {
                Node* b = pop();
                Node* a = pop();
                push(container(Kind::Tuple, {a, b}));
                break;
            }
            case 0x87: {
                Node* c = pop();
                Node* b = pop();
                Node* a = pop();
                push(container(Kind::Tuple, {a, b, c}));
                break;
            }
            case ']': push(container(Kind::List, {})); break;
            case 'l': push(container(Kind::List, popMark())); break;
            case '}': push(make(Kind::Dict)); break;
            case 0x8f: push(container(Kind::Set, {})); break;
            case 0x91: push(container(Kind::Set, popMark())); break;
            case 'd': {
                const std::vector<Node*> items = popMark();
                if (items.size() % 2) fail("DICT with an odd number of items");
                Node* d = make(Kind::Dict);
                for (size_t i = 0; i < items.size(); i += 2)
                    d->entries.emplace_back(items[i], items[i + 1]);
                push(d);
                break;
            }
            case 'a': {
                Node* v = pop();
                Node* list = top();
                if (list->kind != Kind::List) fail("APPEND to something that is not a list");
                list->items.push_back(v);
                break;
            }
            case 'e': {
                const std::vector<Node*> items = popMark();
                Node* list = top();
                if (list->kind != Kind::List) fail("APPENDS to something that is not a list");
                list->items.insert(list->items.end(), items.begin(), items.end());
                break;
            }
            case 0x90: {
                const std::vector<Node*> items = popMark();
                Node* set = top();
                if (set->kind != Kind::Set) fail("ADDITEMS to something that is not a set");
                set->items.insert(set->items.end(), items.begin(), items.end());
                break;
            }
            case 's': {
                Node* v = pop();
                Node* k = pop();
                Node* d = top();
                if (d->kind != Kind::Dict) fail("SETITEM on something that is not a dict");
                d->entries.emplace_back(k, v);
                break;
            }
            case 'u': {
                const std::vector<Node*> items = popMark();
                if (items.size() % 2) fail("SETITEMS with an odd number of items");
                Node* d = top();
                if (d->kind != Kind::Dict) fail("SETITEMS on something that is not a dict");
                for (size_t i = 0; i < items.size(); i += 2)
                    d->entries.emplace_back(items[i], items[i + 1]);
                break;
            }
            case 'b': {  // BUILD: object state (OrderedDict._metadata, numpy dtype flags) is not needed
                pop();
                top();
                break;
            }
            case 'c': {
                const std::string module = line();
                const std::string name = line();
                push(global(module, name));
                break;
            }
            case 0x93: {  // STACK_GLOBAL
                Node* name = pop();
                Node* module = pop();
                if (name->kind != Kind::Str || module->kind != Kind::Str) fail("STACK_GLOBAL needs two strings");
                push(global(module->text, name->text));
                break;
            }
            case 'R': {
                Node* args = pop();
                Node* callable = pop();
                push(reduce(callable, args));
                break;
            }
            case 'Q': push(persistentLoad(pop())); break;
            case 'p': memoPut(static_cast<uint64_t>(parseInt(line()))); break;
            case 'q': memoPut(le(1)); break;
            case 'r': memoPut(le(4)); break;
            case 0x94: memoPut(m_memo.size()); break;
            case 'g': push(memoGet(static_cast<uint64_t>(parseInt(line())))); break;
            case 'h': push(memoGet(le(1))); break;
            case 'j': push(memoGet(le(4))); break;
            case 'i':
            case 'o':
            case 0x81:
            case 0x92:
                fail("refused object construction (pickle opcode 0x" + [&] {
                    char b[3];
                    std::snprintf(b, sizeof b, "%02x", op);
                    return std::string(b);
                }() + "): PoseScope executes nothing from a checkpoint");
            default: {
                char b[8];
                std::snprintf(b, sizeof b, "0x%02x", op);
                fail(std::string("unknown or unsupported pickle opcode ") + b);
            }
        }
    }
}

}  // namespace

Unpickler::Unpickler(const uint8_t* data, size_t size, std::string path, std::string record)
    : m_data(data), m_size(size), m_path(std::move(path)), m_record(std::move(record)) {}

PickleResult Unpickler::load() {
    Machine m(m_data, m_size, m_path, m_record);
    return m.run();
}

}  // namespace posescope::models::pth
