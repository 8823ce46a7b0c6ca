#include "posescope/datasets/crop.h"

#include <opencv2/imgproc.hpp>

#include <cmath>

namespace posescope {

CenterScale boxToCenterScale(const Box& box, double aspectRatio, double padding) {
    // float32 center as np.zeros(2, dtype=np.float32) stores it; w/h stay Python floats.
    CenterScale cs;
    cs.cx = static_cast<float>(box.x + (box.w - 1) * 0.5);
    cs.cy = static_cast<float>(box.y + (box.h - 1) * 0.5);
    double w = box.w;
    double h = box.h;
    if (w > aspectRatio * h)
        h = w * 1.0 / aspectRatio;
    else if (w < aspectRatio * h)
        w = h * aspectRatio;
    float sw = static_cast<float>(w * 1.0 / 200.0);
    float sh = static_cast<float>(h * 1.0 / 200.0);
    if (cs.cx != -1) {
        sw = static_cast<float>(sw * padding);
        sh = static_cast<float>(sh * padding);
    }
    cs.sw = sw;
    cs.sh = sh;
    return cs;
}

cv::Mat cropTransform(const CenterScale& cs, cv::Size outputSize, double rotationDeg, bool inverse) {
    const float srcW = cs.sw * 200.0f;  // scale_tmp[0], float32
    const float dstW = static_cast<float>(outputSize.width);
    const float dstH = static_cast<float>(outputSize.height);
    const double rot = M_PI * rotationDeg / 180.0;
    const double sn = std::sin(rot);
    const double cn = std::cos(rot);
    // get_dir([0, (src_w − 1)·−0.5], rot): float32 input, float64 arithmetic.
    const double v = static_cast<float>((srcW - 1) * -0.5f);
    const double dirX = 0 * cn - v * sn;
    const double dirY = 0 * sn + v * cn;

    cv::Point2f src[3];
    cv::Point2f dst[3];
    src[0] = {cs.cx, cs.cy};
    src[1] = {static_cast<float>(cs.cx + dirX), static_cast<float>(cs.cy + dirY)};
    dst[0] = {(dstW - 1) * 0.5f, (dstH - 1) * 0.5f};
    dst[1] = {(dstW - 1) * 0.5f + 0.0f, (dstH - 1) * 0.5f + (dstW - 1) * -0.5f};
    auto third = [](cv::Point2f a, cv::Point2f b) {
        const cv::Point2f d = a - b;
        return cv::Point2f(b.x - d.y, b.y + d.x);
    };
    src[2] = third(src[0], src[1]);
    dst[2] = third(dst[0], dst[1]);
    return inverse ? cv::getAffineTransform(dst, src) : cv::getAffineTransform(src, dst);
}

cv::Mat cropPerson(const cv::Mat& image, const CenterScale& cs, cv::Size outputSize, double rotationDeg) {
    cv::Mat out;
    cv::warpAffine(image, out, cropTransform(cs, outputSize, rotationDeg), outputSize, cv::INTER_LINEAR,
                   cv::BORDER_CONSTANT, cv::Scalar());
    return out;
}

namespace {
cv::Point2d apply(const cv::Mat& m, cv::Point2d p) {
    return {m.at<double>(0, 0) * p.x + m.at<double>(0, 1) * p.y + m.at<double>(0, 2),
            m.at<double>(1, 0) * p.x + m.at<double>(1, 1) * p.y + m.at<double>(1, 2)};
}
}  // namespace

cv::Point2d fromCrop(cv::Point2d p, const CenterScale& cs, cv::Size size) {
    return apply(cropTransform(cs, size, 0, true), p);
}

cv::Point2d toCrop(cv::Point2d p, const CenterScale& cs, cv::Size size) {
    return apply(cropTransform(cs, size, 0, false), p);
}

}  // namespace posescope
