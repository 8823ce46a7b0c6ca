#include "posescope/datasets/object_mask.h"

#include <cstring>
#include <limits>
#include <string>

#include "posescope/datasets/error.h"

namespace posescope {

ObjectMask encodeMask(const cv::Mat& mask, int64_t id, int64_t imageId) {
    if (mask.dims > 2 || (!mask.empty() && mask.type() != CV_8UC1))
        throw Error("encodeMask: expected a 2-D single-channel 8-bit mask, got type " + std::to_string(mask.type()) +
                    " with " + std::to_string(mask.dims) + " dimensions");
    if (static_cast<uint64_t>(mask.total()) > std::numeric_limits<uint32_t>::max())
        throw Error("encodeMask: a mask of more than 2^32-1 pixels cannot be run-length encoded");
    ObjectMask m;
    m.id = id;
    m.imageId = imageId;
    m.width = mask.cols;
    m.height = mask.rows;
    if (mask.empty()) {
        m.counts = {0};
        return m;
    }
    // Column-major order: the transposed matrix's rows are the mask's columns.
    cv::Mat columns;
    cv::transpose(mask, columns);
    bool inside = false;  // the first run counts 0s
    uint32_t run = 0;
    for (int x = 0; x < columns.rows; ++x) {
        const uchar* p = columns.ptr<uchar>(x);
        for (int y = 0; y < columns.cols; ++y) {
            if ((p[y] != 0) != inside) {
                m.counts.push_back(run);
                run = 0;
                inside = !inside;
            }
            ++run;
        }
    }
    m.counts.push_back(run);
    return m;
}

cv::Mat decodeMask(const ObjectMask& m) {
    if (m.width < 0 || m.height < 0)
        throw Error("decodeMask: object " + std::to_string(m.id) + " has a negative size " + std::to_string(m.width) +
                    "x" + std::to_string(m.height));
    const uint64_t pixels = static_cast<uint64_t>(m.width) * static_cast<uint64_t>(m.height);
    uint64_t sum = 0;
    for (const uint32_t c : m.counts)
        sum += c;
    if (sum != pixels)
        throw Error("decodeMask: the counts of object " + std::to_string(m.id) + " sum to " + std::to_string(sum) +
                    ", expected width·height = " + std::to_string(pixels));
    if (pixels == 0) return cv::Mat::zeros(m.height, m.width, CV_8U);
    // Fill column-major (the transposed matrix is continuous), then transpose back.
    cv::Mat columns = cv::Mat::zeros(m.width, m.height, CV_8U);
    uchar* p = columns.data;
    bool inside = false;
    for (const uint32_t c : m.counts) {
        if (inside) std::memset(p, 255, c);
        p += c;
        inside = !inside;
    }
    cv::Mat mask;
    cv::transpose(columns, mask);
    return mask;
}

}  // namespace posescope
