// SynthPose internals: painting. A Canvas holds the image and a label map that records, per
// pixel, which layer painted it last; every layer is rasterised once into a mask and the same
// mask decides both the colours and the labels, so visibility is exactly what the pixels show.
#pragma once

#include <opencv2/core.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "synthpose_figure.h"
#include "synthpose_math.h"

namespace posescope::synth {

struct Canvas {
    cv::Mat3b image;
    cv::Mat1i labels;         // 0 = background or clutter, otherwise index of the layer + 1
    V3 light{0, -0.6, -0.8};  // unit vector towards the light (camera axes)
    double ambient = 0.45;
    float noise[2][16 * 16];  // two wrapping value-noise grids for textures

    int width() const { return image.cols; }
    int height() const { return image.rows; }
    /// Smooth noise in [0, 1], wrapping every 16 units.
    double noiseAt(double u, double v, int grid = 0) const;
    /// Lambert lighting factor for a unit normal (camera axes).
    double light3(V3 n) const { return ambient + (1 - ambient) * std::max(0.0, dot(n, light)); }
};

enum class Pattern { Solid, Rings, Lengthwise, Checks, Noise, Dots };

struct Paint {
    cv::Vec3f base{128, 128, 128};  // BGR, 0…255
    cv::Vec3f alt{64, 64, 64};
    Pattern pattern = Pattern::Solid;
    double freq = 10;  // pattern repeats per stature unit (or per 100 px for shapes)
    double phase = 0;
};

/// How a figure is dressed.
struct Appearance {
    cv::Vec3f skin, hair, lips, iris;
    Paint shirt, pants, shoes;
    bool longSleeves = true, sleeveless = false, longPants = true, bald = false;
    double hairFront = 0.4, hairBack = -0.3;  // hairline height on the head, front and back
    bool logo = false, neckline = true;
    cv::Vec3f logoColour;
};

/// A painted layer (internal bookkeeping; the masks feed bbox/area and SynthResult::layers).
struct Layer {
    int object = -1;         // scene object index
    int part = -1;           // body part (Part) or -1 for an occluder shape
    const char* kind = "";   // part or shape name
    uint32_t keypoints = 0;  // bit k: carries COCO keypoint k
    cv::Rect roi;
    cv::Mat mask;  // CV_8U, roi-sized
    int pixels = 0;
};

void initCanvas(Canvas& canvas, Rng& rng, int width, int height);
void paintBackground(Canvas& canvas, Rng& rng);
void paintClutter(Canvas& canvas, Rng& rng);
Appearance sampleAppearance(Rng& rng);
Paint randomPaint(Rng& rng);
cv::Vec3f randomColour(Rng& rng);

/// Paints one body part as layer `layers.size()` (appended). `stamp` lists the pixels that must
/// belong to the part (its keypoints' pixels inside the image) however thin it is.
void paintPart(Canvas& canvas, std::vector<Layer>& layers, int object, const PartGeometry& part, const Appearance& look,
               const std::vector<cv::Point>& stamp);

/// Paints a filled polygon (occluder shape) as an appended layer.
void paintShape(Canvas& canvas, std::vector<Layer>& layers, int object, const char* kind,
                const std::vector<V2>& polygon, const Paint& paint, V2 gradient);

/// Camera effects on the finished image (blur, noise, colour balance); labels are unchanged.
void finishImage(Canvas& canvas, Rng& rng);

}  // namespace posescope::synth
