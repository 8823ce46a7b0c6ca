#include "posescope/analysis/h5_file.h"

#include "h5_detail.h"

#include <hdf5.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace posescope::analysis {
namespace {

using h5::fail;
using h5::Handle;
using h5::quiet;

hid_t memType(torch::ScalarType t) {
    switch (t) {
        case torch::kFloat32: return H5T_NATIVE_FLOAT;
        case torch::kFloat64: return H5T_NATIVE_DOUBLE;
        case torch::kInt64: return H5T_NATIVE_INT64;
        default: return -1;
    }
}

}  // namespace

namespace h5 {

std::string errorStack() {
    // Innermost first; the driver's long errno report is cut down to its message, repeats dropped.
    std::vector<std::string> entries;
    H5Ewalk2(
        H5E_DEFAULT, H5E_WALK_UPWARD,
        [](unsigned, const H5E_error2_t* e, void* data) -> herr_t {
            std::string desc = e->desc && *e->desc ? e->desc : "failed";
            const std::string tag = "error message = '";
            if (const size_t at = desc.find(tag); at != std::string::npos) {
                const size_t end = desc.find('\'', at + tag.size());
                desc = desc.substr(0, desc.find(':')) + ": " + desc.substr(at + tag.size(), end - at - tag.size());
            }
            auto* list = static_cast<std::vector<std::string>*>(data);
            const std::string entry = std::string(e->func_name ? e->func_name : "?") + ": " + desc;
            if (std::find(list->begin(), list->end(), entry) == list->end()) list->push_back(entry);
            return 0;
        },
        &entries);
    H5Eclear2(H5E_DEFAULT);
    std::string out;
    for (size_t i = 0; i < entries.size() && i < 4; ++i)
        out += (i ? "; " : "") + entries[i];
    if (entries.size() > 4) out += "; …";
    return out.empty() ? "unknown HDF5 error" : out;
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    const std::string stack = errorStack();
    // A chunk that no longer decompresses or matches its checksum: the bytes on disk are damaged.
    const bool damaged = stack.find("inflate() failed") != std::string::npos ||
                         stack.find("data error detected by") != std::string::npos ||
                         stack.find("checksum") != std::string::npos;
    // HDF5 finds the end missing when it opens a file: say so in words, with the sizes.
    std::string cut;
    if (const size_t at = stack.find("truncated file: eof = "); at != std::string::npos) {
        const size_t stored = stack.find("stored_eof = ", at);
        const long long have = std::atoll(stack.c_str() + at + 22);
        const long long want = stored == std::string::npos ? 0 : std::atoll(stack.c_str() + stored + 13);
        cut = ": the file was cut short (" +
              (want > 0 ? std::to_string(have) + " of its " + std::to_string(want) + " bytes are there"
                        : std::string("its end is missing")) +
              "; an interrupted copy or download?)";
    }
    throw H5Error(path, what + (damaged ? ": the file's data is damaged (a broken copy or disk?)" : "") + cut + " (" +
                            stack + ")");
}

void requireHdf5File(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw H5Error(path, "is a folder, not an HDF5 file");
    if (!std::filesystem::exists(path, ec)) return;
    quiet();
    if (H5Fis_hdf5(path.c_str()) == 0)
        throw H5Error(path, std::filesystem::file_size(path, ec) == 0
                                ? "empty file, not an HDF5 file"
                                : "not an HDF5 file (no HDF5 signature: another format, or only its end was kept)");
    errorStack();  // a failed check leaves the real open to report
}

void quiet() {
    static const bool once = [] {
        // Every file is closed by its owner (RAII); HDF5's own clean-up at exit would retry a close
        // that already failed (a full disk) and crash inside the library (SIGSEGV in H5F__close_cb).
        H5dont_atexit();
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        return true;
    }();
    (void)once;
}

hid_t float16Type() {
    static const hid_t type = [] {
        const hid_t t = H5Tcopy(H5T_IEEE_F32LE);
        H5Tset_fields(t, 15, 10, 5, 0, 10);
        H5Tset_size(t, 2);
        H5Tset_ebias(t, 15);
        H5Tlock(t);
        return t;
    }();
    return type;
}

}  // namespace h5

H5File H5File::create(const std::string& path) {
    quiet();
    const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (id < 0) fail(path, "cannot create the file");
    return H5File(id, path);
}

H5File H5File::open(const std::string& path, bool writable) {
    quiet();
    h5::requireHdf5File(path);
    const hid_t id = H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT);
    if (id < 0) fail(path, "cannot open as HDF5");
    return H5File(id, path);
}

H5File::H5File(H5File&& other) noexcept : m_id(other.m_id), m_path(std::move(other.m_path)) {
    other.m_id = -1;
}

H5File& H5File::operator=(H5File&& other) noexcept {
    if (this != &other) {
        if (m_id >= 0) H5Fclose(static_cast<hid_t>(m_id));
        m_id = other.m_id;
        m_path = std::move(other.m_path);
        other.m_id = -1;
    }
    return *this;
}

H5File::~H5File() {
    if (m_id >= 0) H5Fclose(static_cast<hid_t>(m_id));
}

void H5File::close() {
    if (m_id < 0) return;
    const hid_t id = static_cast<hid_t>(m_id);
    m_id = -1;
    if (H5Fflush(id, H5F_SCOPE_GLOBAL) < 0) {
        H5Fclose(id);
        fail(m_path, "cannot write the file");
    }
    if (H5Fclose(id) < 0) fail(m_path, "cannot close the file");
}

bool H5File::exists(const std::string& object) const {
    // Check each level: H5Lexists fails on a missing intermediate group.
    size_t pos = 0;
    while ((pos = object.find('/', pos + 1)) != std::string::npos)
        if (H5Lexists(static_cast<hid_t>(m_id), object.substr(0, pos).c_str(), H5P_DEFAULT) <= 0) return false;
    return H5Lexists(static_cast<hid_t>(m_id), object.c_str(), H5P_DEFAULT) > 0;
}

void H5File::writeTensor(const std::string& dataset, const torch::Tensor& tensor) {
    const torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
    const hid_t type = memType(t.scalar_type());
    if (type < 0)
        throw H5Error(m_path,
                      dataset + ": cannot store tensors of type " + std::string(c10::toString(t.scalar_type())));
    std::vector<hsize_t> dims(t.sizes().begin(), t.sizes().end());
    Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
    H5Pset_create_intermediate_group(lcpl.get(), 1);
    Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
    Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    if (t.numel() > 0 && !dims.empty()) {
        std::vector<hsize_t> chunk = dims;
        // Chunks of at most ~1 MiB: shrink the leading dimensions first.
        hsize_t bytes = static_cast<hsize_t>(t.numel() * t.element_size());
        for (size_t i = 0; i < chunk.size() && bytes > (1u << 20); ++i) {
            while (chunk[i] > 1 && bytes > (1u << 20)) {
                bytes = bytes / chunk[i] * ((chunk[i] + 1) / 2);
                chunk[i] = (chunk[i] + 1) / 2;
            }
        }
        H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data());
        H5Pset_deflate(dcpl.get(), 4);
    }
    const hid_t fileType = t.scalar_type() == torch::kFloat32   ? H5T_IEEE_F32LE
                           : t.scalar_type() == torch::kFloat64 ? H5T_IEEE_F64LE
                                                                : H5T_STD_I64LE;
    Handle d(H5Dcreate2(static_cast<hid_t>(m_id), dataset.c_str(), fileType, space.get(), lcpl.get(), dcpl.get(),
                        H5P_DEFAULT),
             H5Dclose);
    if (!d.ok()) fail(m_path, "cannot create dataset " + dataset);
    if (t.numel() > 0 && H5Dwrite(d.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data_ptr()) < 0)
        fail(m_path, "cannot write dataset " + dataset);
}

torch::Tensor H5File::readTensor(const std::string& dataset) const {
    if (!exists(dataset)) throw H5Error(m_path, "no dataset " + dataset);
    Handle d(H5Dopen2(static_cast<hid_t>(m_id), dataset.c_str(), H5P_DEFAULT), H5Dclose);
    if (!d.ok()) fail(m_path, "cannot open dataset " + dataset);
    Handle space(H5Dget_space(d.get()), H5Sclose);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0) fail(m_path, dataset + ": cannot read its shape");
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    Handle type(H5Dget_type(d.get()), H5Tclose);
    const H5T_class_t cls = H5Tget_class(type.get());
    torch::ScalarType st = torch::kFloat32;
    if (cls == H5T_INTEGER)
        st = torch::kInt64;
    else if (cls == H5T_FLOAT)
        st = H5Tget_size(type.get()) == 8 ? torch::kFloat64 : torch::kFloat32;
    else
        throw H5Error(m_path, dataset + ": not a numeric dataset");
    torch::Tensor out = torch::empty(std::vector<int64_t>(dims.begin(), dims.end()), st);
    if (out.numel() > 0 && H5Dread(d.get(), memType(st), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data_ptr()) < 0)
        fail(m_path, "cannot read dataset " + dataset);
    return out;
}

void H5File::writeAttribute(const std::string& object, const std::string& name, const std::string& value) {
    Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type.get(), value.empty() ? 1 : value.size());
    H5Tset_cset(type.get(), H5T_CSET_UTF8);
    Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    if (H5Aexists_by_name(static_cast<hid_t>(m_id), object.c_str(), name.c_str(), H5P_DEFAULT) > 0)
        H5Adelete_by_name(static_cast<hid_t>(m_id), object.c_str(), name.c_str(), H5P_DEFAULT);
    Handle a(H5Acreate_by_name(static_cast<hid_t>(m_id), object.c_str(), name.c_str(), type.get(), space.get(),
                               H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
             H5Aclose);
    if (!a.ok()) fail(m_path, "cannot create attribute " + object + "@" + name);
    if (H5Awrite(a.get(), type.get(), value.empty() ? "" : value.data()) < 0)
        fail(m_path, "cannot write attribute " + object + "@" + name);
}

}  // namespace posescope::analysis
