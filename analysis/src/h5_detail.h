// Private HDF5 helpers shared by h5_file.cpp and the run store: RAII handles, the error stack as
// text, automatic error printing off.
#pragma once

#include "posescope/analysis/h5_file.h"

#include <hdf5.h>

#include <string>

namespace posescope::analysis::h5 {

/// HDF5's error stack as one line, innermost call first ("H5F__super_read: file signature not
/// found; H5F_open: unable to read superblock; H5Fopen: unable to open file"), and
/// clears it. "unknown HDF5 error" when the stack is empty.
std::string errorStack();

/// Throws H5Error(path, what + " (" + errorStack() + ")").
[[noreturn]] void fail(const std::string& path, const std::string& what);

/// Turns HDF5's automatic error printing off (once per process).
void quiet();

/// Throws H5Error with a plain reason when `path` is a folder or exists but is not an HDF5 file
/// (no signature: a truncated download, another format); does nothing otherwise (a missing
/// file is left to the caller's own message).
void requireHdf5File(const std::string& path);

/// Owns one hid_t and closes it with the right function.
class Handle {
public:
    Handle() = default;
    Handle(hid_t id, herr_t (*close)(hid_t)) : m_id(id), m_close(close) {}
    ~Handle() { reset(); }
    Handle(Handle&& o) noexcept : m_id(o.m_id), m_close(o.m_close) { o.m_id = -1; }
    Handle& operator=(Handle&& o) noexcept {
        if (this != &o) {
            reset();
            m_id = o.m_id;
            m_close = o.m_close;
            o.m_id = -1;
        }
        return *this;
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    hid_t get() const { return m_id; }
    bool ok() const { return m_id >= 0; }
    /// Closes now; returns false if closing failed (e.g. the last data could not be written).
    bool reset() {
        bool good = true;
        if (m_id >= 0 && m_close) good = m_close(m_id) >= 0;
        m_id = -1;
        return good;
    }

private:
    hid_t m_id = -1;
    herr_t (*m_close)(hid_t) = nullptr;
};

/// IEEE half precision, little-endian (numpy's '<f2').
hid_t float16Type();

}  // namespace posescope::analysis::h5
