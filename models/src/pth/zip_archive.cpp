#include "pth/zip_archive.h"

#include "posescope/datasets/error.h"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

namespace posescope::models::pth {
namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr size_t kLocalHeaderSize = 30;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kEndSize = 22;
constexpr size_t kAlignment = 64;

// Bounds-checked little-endian cursor over a byte range.
class Cursor {
public:
    Cursor(const uint8_t* data, size_t size, size_t pos, const std::string& path, const char* what)
        : m_data(data), m_size(size), m_pos(pos), m_path(path), m_what(what) {
        if (pos > size) fail();
    }
    uint16_t u16() { return static_cast<uint16_t>(get(2)); }
    uint32_t u32() { return static_cast<uint32_t>(get(4)); }
    uint64_t u64() { return get(8); }
    std::string str(size_t n) {
        need(n);
        std::string s(reinterpret_cast<const char*>(m_data + m_pos), n);
        m_pos += n;
        return s;
    }
    void skip(size_t n) {
        need(n);
        m_pos += n;
    }
    size_t pos() const { return m_pos; }

private:
    uint64_t get(size_t n) {
        need(n);
        uint64_t v = 0;
        for (size_t i = 0; i < n; ++i)
            v |= static_cast<uint64_t>(m_data[m_pos + i]) << (8 * i);
        m_pos += n;
        return v;
    }
    void need(size_t n) const {
        if (n > m_size - m_pos) fail();
    }
    [[noreturn]] void fail() const {
        throw FileError(m_path,
                        std::string("truncated or corrupt ZIP archive (") + m_what + " runs past the end of the file)");
    }
    const uint8_t* m_data;
    size_t m_size;
    size_t m_pos;
    const std::string& m_path;
    const char* m_what;
};

uint32_t readU32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
           static_cast<uint32_t>(p[3]) << 24;
}

void putU16(std::vector<uint8_t>& out, uint16_t v) {
    out.push_back(static_cast<uint8_t>(v));
    out.push_back(static_cast<uint8_t>(v >> 8));
}
void putU32(std::vector<uint8_t>& out, uint32_t v) {
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint32_t crcOf(const uint8_t* data, size_t size) {
    uLong crc = crc32(0L, Z_NULL, 0);
    while (size > 0) {
        const uInt chunk = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
        crc = crc32(crc, data, chunk);
        data += chunk;
        size -= chunk;
    }
    return static_cast<uint32_t>(crc);
}

}  // namespace

bool looksLikeZip(const uint8_t* data, size_t size) {
    return size >= 4 && readU32(data) == kLocalSig;
}

ZipReader::ZipReader(const uint8_t* data, size_t size, std::string path)
    : m_data(data), m_size(size), m_path(std::move(path)) {
    if (size < kEndSize) throw FileError(m_path, "truncated ZIP archive (no end-of-directory record)");
    // The end-of-central-directory record sits in the last 64 KiB + 22 bytes.
    size_t endPos = std::numeric_limits<size_t>::max();
    const size_t lowest = size > kEndSize + 0xFFFF ? size - kEndSize - 0xFFFF : 0;
    for (size_t p = size - kEndSize + 1; p-- > lowest;) {
        if (readU32(data + p) == kEndSig) {
            endPos = p;
            break;
        }
    }
    if (endPos == std::numeric_limits<size_t>::max())
        throw FileError(m_path, "truncated or corrupt ZIP archive (end-of-directory record not found)");

    Cursor end(data, size, endPos + 4, m_path, "end-of-directory record");
    end.skip(6);
    uint64_t count = end.u16();
    uint64_t dirSize = end.u32();
    uint64_t dirOffset = end.u32();
    if (count == 0xFFFF || dirSize == 0xFFFFFFFF || dirOffset == 0xFFFFFFFF) {
        if (endPos < 20) throw FileError(m_path, "corrupt ZIP64 archive (locator missing)");
        Cursor loc(data, size, endPos - 20, m_path, "ZIP64 locator");
        if (loc.u32() != kZip64LocatorSig) throw FileError(m_path, "corrupt ZIP64 archive (locator missing)");
        loc.skip(4);
        const uint64_t z64 = loc.u64();
        if (z64 > size) throw FileError(m_path, "corrupt ZIP64 archive (bad end-of-directory offset)");
        Cursor e64(data, size, static_cast<size_t>(z64), m_path, "ZIP64 end-of-directory record");
        if (e64.u32() != kZip64EndSig) throw FileError(m_path, "corrupt ZIP64 archive (bad end-of-directory record)");
        e64.skip(8 + 2 + 2 + 4 + 4 + 8);
        count = e64.u64();
        dirSize = e64.u64();
        dirOffset = e64.u64();
    }
    if (dirOffset > size || dirSize > size - dirOffset)
        throw FileError(m_path, "truncated ZIP archive (central directory lies past the end of the file)");
    if (count > dirSize / kCentralHeaderSize)
        throw FileError(m_path, "corrupt ZIP archive (entry count does not fit the central directory)");

    Cursor dir(data, size, static_cast<size_t>(dirOffset), m_path, "central directory");
    m_entries.reserve(static_cast<size_t>(count));
    for (uint64_t i = 0; i < count; ++i) {
        if (dir.u32() != kCentralSig)
            throw FileError(m_path, "corrupt ZIP archive (bad central directory entry " + std::to_string(i) + ")");
        ZipEntry e;
        dir.skip(4);
        const uint16_t flags = dir.u16();
        e.method = dir.u16();
        dir.skip(4);
        e.crc32 = dir.u32();
        e.compressedSize = dir.u32();
        e.uncompressedSize = dir.u32();
        const uint16_t nameLen = dir.u16();
        const uint16_t extraLen = dir.u16();
        const uint16_t commentLen = dir.u16();
        dir.skip(8);
        e.localHeaderOffset = dir.u32();
        e.name = dir.str(nameLen);
        const size_t extraEnd = dir.pos() + extraLen;
        while (dir.pos() + 4 <= extraEnd) {
            const uint16_t id = dir.u16();
            const uint16_t len = dir.u16();
            const size_t fieldEnd = dir.pos() + len;
            if (id == 0x0001) {  // ZIP64 extended information
                if (e.uncompressedSize == 0xFFFFFFFF && dir.pos() + 8 <= fieldEnd) e.uncompressedSize = dir.u64();
                if (e.compressedSize == 0xFFFFFFFF && dir.pos() + 8 <= fieldEnd) e.compressedSize = dir.u64();
                if (e.localHeaderOffset == 0xFFFFFFFF && dir.pos() + 8 <= fieldEnd) e.localHeaderOffset = dir.u64();
            }
            if (fieldEnd < dir.pos()) break;
            dir.skip(fieldEnd - dir.pos());
        }
        if (extraEnd > dir.pos()) dir.skip(extraEnd - dir.pos());
        dir.skip(commentLen);
        if (flags & 0x1) throw FileError(m_path, "ZIP entry '" + e.name + "' is encrypted");
        if (e.method != 0 && e.method != 8)
            throw FileError(
                m_path, "ZIP entry '" + e.name + "' uses unsupported compression method " + std::to_string(e.method));
        m_entries.push_back(std::move(e));
    }
}

long ZipReader::find(const std::string& name) const {
    for (size_t i = 0; i < m_entries.size(); ++i)
        if (m_entries[i].name == name) return static_cast<long>(i);
    return -1;
}

size_t ZipReader::dataStart(const ZipEntry& e) const {
    const std::string what = "ZIP entry '" + e.name + "'";
    if (e.localHeaderOffset > m_size) throw FileError(m_path, "truncated ZIP archive (" + what + " lies past the end)");
    Cursor local(m_data, m_size, static_cast<size_t>(e.localHeaderOffset), m_path, "local file header");
    if (local.u32() != kLocalSig) throw FileError(m_path, "corrupt ZIP archive (bad local header for " + what + ")");
    local.skip(22);
    const uint16_t nameLen = local.u16();
    const uint16_t extraLen = local.u16();
    local.skip(static_cast<size_t>(nameLen) + extraLen);
    const size_t start = local.pos();
    if (e.compressedSize > m_size - start)
        throw FileError(m_path, "truncated file: " + what + " needs " + std::to_string(e.compressedSize) +
                                    " bytes, only " + std::to_string(m_size - start) + " remain");
    if (e.method == 0 && e.uncompressedSize != e.compressedSize)
        throw FileError(m_path, "corrupt ZIP archive (" + what + " is stored but sizes differ)");
    return start;
}

void checkEntryCrc(const std::string& archivePath, const ZipEntry& e, const uint8_t* data, size_t size) {
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION  // let the fuzzer reach the pickle behind the checksum
    if (crcOf(data, size) != e.crc32)
        throw FileError(archivePath, "corrupt ZIP archive (ZIP entry '" + e.name + "' fails its CRC check)");
#else
    (void)archivePath, (void)e, (void)data, (void)size;
#endif
}

void ZipReader::checkCrc(const ZipEntry& e, const uint8_t* data, size_t size) const {
    checkEntryCrc(m_path, e, data, size);
}

std::pair<const uint8_t*, size_t> ZipReader::storedSpan(const ZipEntry& e) const {
    if (e.method != 0) return {nullptr, 0};
    const size_t start = dataStart(e);
    return {m_data + start, static_cast<size_t>(e.compressedSize)};
}

std::vector<uint8_t> ZipReader::read(const ZipEntry& e) const {
    const std::string what = "ZIP entry '" + e.name + "'";
    const size_t start = dataStart(e);
    const uint8_t* src = m_data + start;
    std::vector<uint8_t> out;
    if (e.method == 0) {
        out.assign(src, src + e.compressedSize);
    } else {
        // DEFLATE can expand at most ~1032:1; anything claiming more is corrupt (or a bomb).
        if (e.uncompressedSize > e.compressedSize * 1100 + 1024)
            throw FileError(m_path, "corrupt ZIP archive (" + what + " claims an impossible size)");
        out.resize(static_cast<size_t>(e.uncompressedSize));
        z_stream zs{};
        if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) throw FileError(m_path, "cannot initialise zlib");
        zs.next_in = const_cast<Bytef*>(src);
        zs.avail_in = static_cast<uInt>(e.compressedSize);
        zs.next_out = out.data();
        zs.avail_out = static_cast<uInt>(out.size());
        const int rc = inflate(&zs, Z_FINISH);
        const uLong produced = zs.total_out;
        inflateEnd(&zs);
        if (rc != Z_STREAM_END || produced != e.uncompressedSize)
            throw FileError(m_path, "corrupt ZIP archive (" + what + " does not inflate to its stated size)");
    }
    checkCrc(e, out.data(), out.size());
    return out;
}

ZipWriter::ZipWriter(std::string path) : m_path(std::move(path)) {
    m_file = std::fopen(m_path.c_str(), "wb");
    if (!m_file) throw FileError(m_path, std::string("cannot open for writing: ") + std::strerror(errno));
}

ZipWriter::~ZipWriter() {
    if (m_file) std::fclose(m_file);
}

void ZipWriter::write(const void* data, size_t size) {
    if (size && std::fwrite(data, 1, size, m_file) != size)
        throw FileError(m_path, std::string("write failed: ") + std::strerror(errno));
    m_offset += size;
}

void ZipWriter::add(const std::string& name, const void* data, size_t size) {
    if (m_offset + size + 4096 >= 0xFFFFFFFFull) throw FileError(m_path, "checkpoints over 4 GiB cannot be written");
    ZipEntry e;
    e.name = name;
    e.compressedSize = e.uncompressedSize = size;
    e.localHeaderOffset = m_offset;
    e.crc32 = crcOf(static_cast<const uint8_t*>(data), size);

    // Pad the extra field so the data starts on a 64-byte boundary.
    const size_t before = m_offset + kLocalHeaderSize + name.size() + 4;
    const size_t pad = (kAlignment - before % kAlignment) % kAlignment;
    std::vector<uint8_t> h;
    putU32(h, kLocalSig);
    putU16(h, 20);
    putU16(h, 0x0800);  // UTF-8 names
    putU16(h, 0);
    putU16(h, 0);
    putU16(h, 0x21);
    putU32(h, e.crc32);
    putU32(h, static_cast<uint32_t>(size));
    putU32(h, static_cast<uint32_t>(size));
    putU16(h, static_cast<uint16_t>(name.size()));
    putU16(h, static_cast<uint16_t>(4 + pad));
    h.insert(h.end(), name.begin(), name.end());
    putU16(h, 0x4246);  // "FB": padding field, as PyTorch writes it
    putU16(h, static_cast<uint16_t>(pad));
    h.insert(h.end(), pad, 'Z');
    write(h.data(), h.size());
    write(data, size);
    m_entries.push_back(std::move(e));
}

void ZipWriter::finish() {
    const uint64_t dirOffset = m_offset;
    std::vector<uint8_t> d;
    for (const ZipEntry& e : m_entries) {
        putU32(d, kCentralSig);
        putU16(d, 20);
        putU16(d, 20);
        putU16(d, 0x0800);
        putU16(d, 0);
        putU16(d, 0);
        putU16(d, 0x21);
        putU32(d, e.crc32);
        putU32(d, static_cast<uint32_t>(e.compressedSize));
        putU32(d, static_cast<uint32_t>(e.uncompressedSize));
        putU16(d, static_cast<uint16_t>(e.name.size()));
        putU16(d, 0);
        putU16(d, 0);
        putU16(d, 0);
        putU16(d, 0);
        putU32(d, 0);
        putU32(d, static_cast<uint32_t>(e.localHeaderOffset));
        d.insert(d.end(), e.name.begin(), e.name.end());
    }
    const uint32_t dirSize = static_cast<uint32_t>(d.size());
    putU32(d, kEndSig);
    putU16(d, 0);
    putU16(d, 0);
    putU16(d, static_cast<uint16_t>(m_entries.size()));
    putU16(d, static_cast<uint16_t>(m_entries.size()));
    putU32(d, dirSize);
    putU32(d, static_cast<uint32_t>(dirOffset));
    putU16(d, 0);
    write(d.data(), d.size());
    if (std::fflush(m_file) != 0 || std::ferror(m_file))
        throw FileError(m_path, std::string("write failed: ") + std::strerror(errno));
    // On disk before the caller renames the file over an older one (a crash then leaves either).
    if (::fsync(::fileno(m_file)) != 0) throw FileError(m_path, std::string("write failed: ") + std::strerror(errno));
    const int rc = std::fclose(m_file);
    m_file = nullptr;
    if (rc != 0) throw FileError(m_path, std::string("write failed on close: ") + std::strerror(errno));
    m_finished = true;
}

}  // namespace posescope::models::pth
