#include "matfile.h"

#include "posescope/datasets/error.h"

#include <zlib.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

namespace posescope::mat {
namespace {

enum : uint32_t {
    miINT8 = 1,
    miUINT8 = 2,
    miINT16 = 3,
    miUINT16 = 4,
    miINT32 = 5,
    miUINT32 = 6,
    miSINGLE = 7,
    miDOUBLE = 9,
    miINT64 = 12,
    miUINT64 = 13,
    miMATRIX = 14,
    miCOMPRESSED = 15,
};
enum : uint8_t { mxDOUBLE = 6, mxSINGLE = 7, mxINT8 = 8, mxUINT64 = 15 };

struct Reader {
    const uint8_t* data;
    size_t size;
    const std::string& file;

    [[noreturn]] void fail(const std::string& problem) const { throw FileError(file, problem); }
    uint32_t u32(size_t at) const {
        if (at + 4 > size) fail("truncated MAT file");
        uint32_t v;
        std::memcpy(&v, data + at, 4);
        return v;
    }
};

struct Element {
    uint32_t type = 0;
    const uint8_t* body = nullptr;
    size_t bytes = 0;
    size_t next = 0;  // offset after the element (padded to 8)
};

Element element(const Reader& r, size_t at) {
    Element e;
    const uint32_t first = r.u32(at);
    if (first >> 16) {  // small data element: 2-byte size, 2-byte type, data in the next 4 bytes
        e.type = first & 0xFFFF;
        e.bytes = first >> 16;
        if (e.bytes > 4) r.fail("corrupt MAT file (small element larger than 4 bytes)");
        if (at + 8 > r.size) r.fail("truncated MAT file");
        e.body = r.data + at + 4;
        e.next = at + 8;
        return e;
    }
    e.type = first;
    e.bytes = r.u32(at + 4);
    if (e.bytes > r.size - at - 8) r.fail("truncated MAT file (an element runs past the end)");
    e.body = r.data + at + 8;
    e.next = at + 8 + e.bytes;
    if (e.type != miCOMPRESSED) e.next = (e.next + 7) & ~size_t(7);
    return e;
}

template <typename T>
void convert(const uint8_t* p, size_t n, std::vector<double>& out) {
    for (size_t i = 0; i < n; ++i) {
        T v;
        std::memcpy(&v, p + i * sizeof(T), sizeof(T));
        out.push_back(static_cast<double>(v));
    }
}

std::vector<double> numbers(const Reader& r, const Element& e) {
    std::vector<double> out;
    switch (e.type) {
        case miINT8: convert<int8_t>(e.body, e.bytes, out); break;
        case miUINT8: convert<uint8_t>(e.body, e.bytes, out); break;
        case miINT16: convert<int16_t>(e.body, e.bytes / 2, out); break;
        case miUINT16: convert<uint16_t>(e.body, e.bytes / 2, out); break;
        case miINT32: convert<int32_t>(e.body, e.bytes / 4, out); break;
        case miUINT32: convert<uint32_t>(e.body, e.bytes / 4, out); break;
        case miSINGLE: convert<float>(e.body, e.bytes / 4, out); break;
        case miDOUBLE: convert<double>(e.body, e.bytes / 8, out); break;
        case miINT64: convert<int64_t>(e.body, e.bytes / 8, out); break;
        case miUINT64: convert<uint64_t>(e.body, e.bytes / 8, out); break;
        default: r.fail("corrupt MAT file (numeric data of unknown type " + std::to_string(e.type) + ")");
    }
    return out;
}

void readMatrix(const Reader& r, const Element& m, std::map<std::string, MatArray>& out) {
    const Reader inner{m.body, m.bytes, r.file};
    if (m.bytes == 0) return;  // an empty matrix
    const Element flags = element(inner, 0);
    if (flags.bytes < 8) r.fail("corrupt MAT file (array flags)");
    const uint8_t cls = flags.body[0];
    const Element dimsEl = element(inner, flags.next);
    const Element nameEl = element(inner, dimsEl.next);
    if (cls < mxDOUBLE || cls > mxUINT64) return;  // cell, struct, object, char, sparse: not needed
    MatArray a;
    int64_t count = 1;
    for (double d : numbers(r, dimsEl)) {
        // Real dimensions are int32; the product is bounded by the data that must follow.
        if (!(d >= 0 && d <= 2147483647.0) || d != std::floor(d)) r.fail("corrupt MAT file (bad dimension)");
        a.dims.push_back(static_cast<int64_t>(d));
        count = a.dims.back() == 0 || count <= (int64_t(1) << 40) / a.dims.back() ? count * a.dims.back()
                                                                                  : (int64_t(1) << 40) + 1;
    }
    const std::string name(reinterpret_cast<const char*>(nameEl.body), nameEl.bytes);
    a.data = numbers(r, element(inner, nameEl.next));
    if (static_cast<int64_t>(a.data.size()) != count)
        r.fail("corrupt MAT file (array '" + name + "' has " + std::to_string(a.data.size()) + " values for " +
               std::to_string(count) + " elements)");
    out[name] = std::move(a);
}

void readElements(const Reader& r, size_t at, std::map<std::string, MatArray>& out, int depth) {
    while (at + 8 <= r.size) {
        const Element e = element(r, at);
        if (e.type == miMATRIX) {
            readMatrix(r, e, out);
        } else if (e.type == miCOMPRESSED) {
            if (depth > 0) r.fail("corrupt MAT file (nested compression)");
            std::vector<uint8_t> plain;
            z_stream zs{};
            if (inflateInit(&zs) != Z_OK) r.fail("cannot initialise zlib");
            zs.next_in = const_cast<Bytef*>(e.body);
            zs.avail_in = static_cast<uInt>(e.bytes);
            uint8_t buf[1 << 15];
            int rc = Z_OK;
            while (rc == Z_OK) {
                zs.next_out = buf;
                zs.avail_out = sizeof buf;
                rc = inflate(&zs, Z_NO_FLUSH);
                plain.insert(plain.end(), buf, buf + (sizeof buf - zs.avail_out));
                if (plain.size() > (size_t(1) << 32)) rc = Z_MEM_ERROR;
            }
            inflateEnd(&zs);
            if (rc != Z_STREAM_END) r.fail("corrupt MAT file (compressed element does not inflate)");
            readElements(Reader{plain.data(), plain.size(), r.file}, 0, out, depth + 1);
        }
        at = e.next;
    }
}

}  // namespace

double MatArray::at(const std::vector<int64_t>& index) const {
    int64_t offset = 0;
    int64_t stride = 1;
    for (size_t d = 0; d < dims.size(); ++d) {
        offset += (d < index.size() ? index[d] : 0) * stride;
        stride *= dims[d];
    }
    return data.at(static_cast<size_t>(offset));
}

std::map<std::string, MatArray> parseMatNumeric(const uint8_t* data, size_t size, const std::string& name) {
    const Reader r{data, size, name};
    if (size < 128) r.fail("not a MATLAB 5 .mat file (too short)");
    if (std::memcmp(data, "MATLAB 5.0 MAT-file", 19) != 0) {
        r.fail(std::memcmp(data, "\x89HDF", 4) == 0 || (size >= 516 && std::memcmp(data + 512, "\x89HDF", 4) == 0)
                   ? "MATLAB 7.3 (HDF5) .mat files are not supported; save with -v7"
                   : "not a MATLAB 5 .mat file");
    }
    if (data[126] != 'I' || data[127] != 'M') r.fail("big-endian .mat files are not supported");
    std::map<std::string, MatArray> out;
    readElements(r, 128, out, 0);
    return out;
}

std::map<std::string, MatArray> readMatNumeric(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FileError(path, std::string("cannot open: ") + std::strerror(errno));
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return parseMatNumeric(bytes.data(), bytes.size(), path);
}

}  // namespace posescope::mat
