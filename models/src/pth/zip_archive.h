// Minimal ZIP reader and writer for PyTorch's checkpoint container (private to models/).
//
// Reads what torch.save writes (STORED entries, ZIP64 records for large files) and also
// DEFLATE entries, so an archive re-zipped by another tool still opens. Writes STORED entries
// with their data aligned to 64 bytes, as PyTorch's own writer does.
//
// Errors: every malformed structure throws posescope::FileError naming the archive and what is
// wrong. No input can make the reader read outside its buffer.
// Thread-safety: a ZipReader is immutable after construction; concurrent reads are safe.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace posescope::models::pth {

struct ZipEntry {
    std::string name;
    uint16_t method = 0;  // 0 = stored, 8 = deflate
    uint64_t compressedSize = 0;
    uint64_t uncompressedSize = 0;
    uint64_t localHeaderOffset = 0;
    uint32_t crc32 = 0;
};

/// Throws FileError naming `archivePath` when `data` does not have the entry's CRC-32.
void checkEntryCrc(const std::string& archivePath, const ZipEntry& entry, const uint8_t* data, size_t size);

/// True when the buffer starts like a ZIP archive (local file header signature).
bool looksLikeZip(const uint8_t* data, size_t size);

class ZipReader {
public:
    /// Parses the central directory. `data` must outlive the reader. `path` is used in errors.
    ZipReader(const uint8_t* data, size_t size, std::string path);

    const std::vector<ZipEntry>& entries() const { return m_entries; }
    /// Index of the entry with this exact name, or -1.
    long find(const std::string& name) const;
    /// The entry's uncompressed bytes (inflated when needed), CRC-checked.
    std::vector<uint8_t> read(const ZipEntry& entry) const;
    /// A STORED entry's bytes inside the archive buffer, without copying and NOT yet CRC-checked
    /// (check with checkCrc, e.g. in parallel); {nullptr, 0} for a compressed entry (use read()).
    std::pair<const uint8_t*, size_t> storedSpan(const ZipEntry& entry) const;
    /// Throws FileError when `data` does not have the entry's CRC-32 (see checkEntryCrc).
    void checkCrc(const ZipEntry& entry, const uint8_t* data, size_t size) const;

private:
    size_t dataStart(const ZipEntry& entry) const;

    const uint8_t* m_data;
    size_t m_size;
    std::string m_path;
    std::vector<ZipEntry> m_entries;
};

/// Streams a ZIP archive to a file. Entries are STORED, data aligned to 64 bytes.
class ZipWriter {
public:
    explicit ZipWriter(std::string path);  // opens (truncates) the file; throws FileError
    ~ZipWriter();
    ZipWriter(const ZipWriter&) = delete;
    ZipWriter& operator=(const ZipWriter&) = delete;

    void add(const std::string& name, const void* data, size_t size);
    /// Writes the central directory and closes; throws FileError on any I/O failure.
    void finish();

private:
    void write(const void* data, size_t size);

    std::string m_path;
    std::FILE* m_file = nullptr;
    uint64_t m_offset = 0;
    std::vector<ZipEntry> m_entries;
    bool m_finished = false;
};

}  // namespace posescope::models::pth
