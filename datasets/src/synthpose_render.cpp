#include "synthpose_render.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace posescope::synth {

namespace {

double frac(double v) {
    return v - std::floor(v);
}

cv::Vec3f rgb(double r, double g, double b) {
    return {static_cast<float>(b), static_cast<float>(g), static_cast<float>(r)};
}

cv::Vec3f jitter(Rng& rng, cv::Vec3f c, double amount) {
    const double k = rng.uniform(1 - amount, 1 + amount);
    cv::Vec3f out;
    for (int i = 0; i < 3; ++i)
        out[i] = static_cast<float>(clampd(c[i] * k * rng.uniform(0.97, 1.03), 0, 255));
    return out;
}

cv::Scalar scalar(cv::Vec3f c) {
    return {c[0], c[1], c[2]};
}

cv::Vec3f mix(cv::Vec3f a, cv::Vec3f b, double w) {
    return a * static_cast<float>(1 - w) + b * static_cast<float>(w);
}

cv::Vec3b toPixel(cv::Vec3f c, double light) {
    return {cv::saturate_cast<uchar>(c[0] * light), cv::saturate_cast<uchar>(c[1] * light),
            cv::saturate_cast<uchar>(c[2] * light)};
}

cv::Vec3f patternColour(const Paint& p, double along, double across, const Canvas& canvas) {
    const double angle = std::asin(clampd(across, -1, 1));
    const double around = angle * p.freq * 0.08 + p.phase;
    double w = 0;
    switch (p.pattern) {
        case Pattern::Solid: return p.base;
        case Pattern::Rings: w = frac(along * p.freq + p.phase) < 0.5 ? 1 : 0; break;
        case Pattern::Lengthwise: w = frac(around) < 0.5 ? 1 : 0; break;
        case Pattern::Checks: w = (frac(along * p.freq + p.phase) < 0.5) != (frac(around) < 0.5) ? 1 : 0; break;
        case Pattern::Noise: w = canvas.noiseAt(along * p.freq * 0.5, across * 3 + p.phase * 16, 1); break;
        case Pattern::Dots: {
            const double u = frac(along * p.freq + p.phase) - 0.5, v = frac(around) - 0.5;
            w = u * u + v * v < 0.09 ? 1 : 0;
            break;
        }
    }
    return mix(p.base, p.alt, w);
}

// Rasterises one layer: `sample(x, y, force, colour)` says whether pixel (x, y) is inside and
// gives its colour (always when force is set). Stamped pixels are added after the shape.
template <class Sample>
void rasterise(Canvas& canvas, std::vector<Layer>& layers, Layer layer, cv::Rect box,
               const std::vector<cv::Point>& stamp, Sample&& sample) {
    for (const cv::Point& p : stamp)
        box |= cv::Rect(p.x, p.y, 1, 1);
    box &= cv::Rect(0, 0, canvas.width(), canvas.height());
    if (box.empty()) return;
    layer.roi = box;
    layer.mask = cv::Mat::zeros(box.size(), CV_8U);
    const int label = static_cast<int>(layers.size()) + 1;
    int pixels = 0;
    auto put = [&](int x, int y, const cv::Vec3b& colour) {
        canvas.image(y, x) = colour;
        canvas.labels(y, x) = label;
        uchar& m = layer.mask.at<uchar>(y - box.y, x - box.x);
        if (!m) ++pixels;
        m = 255;
    };
    cv::Vec3b colour;
    for (int y = box.y; y < box.y + box.height; ++y)
        for (int x = box.x; x < box.x + box.width; ++x)
            if (sample(x, y, false, colour)) put(x, y, colour);
    for (const cv::Point& p : stamp)
        if (box.contains(p) && !layer.mask.at<uchar>(p.y - box.y, p.x - box.x)) {
            sample(p.x, p.y, true, colour);
            put(p.x, p.y, colour);
        }
    if (pixels == 0) return;
    layer.pixels = pixels;
    layers.push_back(std::move(layer));
}

cv::Rect boundsOf(double minX, double minY, double maxX, double maxY) {
    const int x0 = static_cast<int>(std::floor(minX)) - 1, y0 = static_cast<int>(std::floor(minY)) - 1;
    const int x1 = static_cast<int>(std::ceil(maxX)) + 1, y1 = static_cast<int>(std::ceil(maxY)) + 1;
    // Keep far-off geometry from overflowing int arithmetic.
    const int lim = 1 << 20;
    return cv::Rect(cv::Point(std::clamp(x0, -lim, lim), std::clamp(y0, -lim, lim)),
                    cv::Point(std::clamp(x1, -lim, lim), std::clamp(y1, -lim, lim)));
}

// A polygon's coverage inside `box`, rasterised by OpenCV with 4 fractional bits.
cv::Mat coverage(cv::Rect box, const std::vector<std::vector<V2>>& polygons, bool convex) {
    cv::Mat mask = cv::Mat::zeros(box.size(), CV_8U);
    std::vector<std::vector<cv::Point>> pts;
    for (const auto& poly : polygons) {
        std::vector<cv::Point> p;
        for (V2 q : poly)
            p.emplace_back(static_cast<int>(std::lround((q.x - box.x) * 16)),
                           static_cast<int>(std::lround((q.y - box.y) * 16)));
        if (convex)
            cv::fillConvexPoly(mask, p, cv::Scalar(255), cv::LINE_8, 4);
        else
            pts.push_back(std::move(p));
    }
    if (!convex) cv::fillPoly(mask, pts, cv::Scalar(255), cv::LINE_8, 4);
    return mask;
}

cv::Vec3f hsv(double h, double s, double v) {
    h = frac(h / 360.0) * 6;
    const int i = static_cast<int>(h);
    const double f = h - i, p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    double r = v, g = t, b = p;
    switch (i) {
        case 1: r = q, g = v, b = p; break;
        case 2: r = p, g = v, b = t; break;
        case 3: r = p, g = q, b = v; break;
        case 4: r = t, g = p, b = v; break;
        case 5: r = v, g = p, b = q; break;
        default: break;
    }
    return rgb(r * 255, g * 255, b * 255);
}

}  // namespace

double Canvas::noiseAt(double u, double v, int grid) const {
    const double fu = std::floor(u), fv = std::floor(v);
    const int iu = static_cast<int>(static_cast<int64_t>(fu) & 15),
              iv = static_cast<int>(static_cast<int64_t>(fv) & 15);
    const double a = u - fu, b = v - fv;
    const double sa = a * a * (3 - 2 * a), sb = b * b * (3 - 2 * b);
    const float* n = noise[grid];
    auto at = [n](int x, int y) { return static_cast<double>(n[(y & 15) * 16 + (x & 15)]); };
    const double top = at(iu, iv) + (at(iu + 1, iv) - at(iu, iv)) * sa;
    const double bottom = at(iu, iv + 1) + (at(iu + 1, iv + 1) - at(iu, iv + 1)) * sa;
    return top + (bottom - top) * sb;
}

cv::Vec3f randomColour(Rng& rng) {
    return hsv(rng.uniform(0, 360), rng.uniform(0.05, 0.95), rng.uniform(0.12, 0.97));
}

Paint randomPaint(Rng& rng) {
    Paint p;
    p.base = randomColour(rng);
    p.alt = rng.chance(0.5) ? randomColour(rng) : p.base * static_cast<float>(rng.uniform(0.4, 0.8));
    const Pattern kinds[] = {Pattern::Solid,  Pattern::Rings, Pattern::Lengthwise,
                             Pattern::Checks, Pattern::Noise, Pattern::Dots};
    p.pattern = kinds[rng.weighted({0.42, 0.15, 0.1, 0.1, 0.15, 0.08})];
    p.freq = rng.logUniform(6, 40);
    p.phase = rng.uniform();
    return p;
}

void initCanvas(Canvas& canvas, Rng& rng, int width, int height) {
    canvas.image.create(height, width);
    canvas.labels = cv::Mat1i::zeros(height, width);
    for (auto& grid : canvas.noise)
        for (float& v : grid)
            v = static_cast<float>(rng.uniform());
    canvas.light = normalized({rng.uniform(-0.8, 0.8), rng.uniform(-1, -0.1), rng.uniform(-1, -0.3)});
    canvas.ambient = rng.uniform(0.3, 0.6);
}

void paintBackground(Canvas& canvas, Rng& rng) {
    const int w = canvas.width(), h = canvas.height();
    cv::Mat3b& img = canvas.image;
    const cv::Vec3f c1 = randomColour(rng), c2 = randomColour(rng), c3 = randomColour(rng), c4 = randomColour(rng);
    const double grain = rng.uniform(0, 0.35), grainScale = rng.logUniform(3, 40);
    const int kind = rng.weighted({0.25, 0.2, 0.3, 0.25});
    if (kind == 2) {  // colour blotches at two scales
        cv::Mat coarse(rng.integer(2, 10), rng.integer(2, 10), CV_8UC3),
            fine(rng.integer(12, 60), rng.integer(12, 60), CV_8UC3);
        for (cv::Mat* m : {&coarse, &fine})
            for (int y = 0; y < m->rows; ++y)
                for (int x = 0; x < m->cols; ++x) {
                    const cv::Vec3f c = randomColour(rng);
                    m->at<cv::Vec3b>(y, x) = toPixel(c, 1);
                }
        cv::Mat a, b;
        cv::resize(coarse, a, img.size(), 0, 0, cv::INTER_CUBIC);
        cv::resize(fine, b, img.size(), 0, 0, cv::INTER_LINEAR);
        cv::addWeighted(a, 0.8, b, 0.2, 0, img);
        return;
    }
    const double angle = rng.uniform(0, 2 * kPi), ca = std::cos(angle), sa = std::sin(angle);
    const double horizon = h * rng.uniform(0.2, 0.75);
    const double cell = rng.logUniform(6, 70), tilt = rng.chance(0.5) ? 0 : rng.uniform(-0.6, 0.6);
    const int tiling = rng.integer(0, 3);  // checks, stripes, bricks, tiles with grout
    for (int y = 0; y < h; ++y) {
        cv::Vec3b* row = img.ptr<cv::Vec3b>(y);
        for (int x = 0; x < w; ++x) {
            cv::Vec3f c;
            if (kind == 0) {  // sky and ground
                c = y < horizon ? mix(c1, c2, y / horizon) : mix(c3, c4, (y - horizon) / std::max(1.0, h - horizon));
            } else if (kind == 1) {  // linear gradient
                const double t = ((x - w / 2.0) * ca + (y - h / 2.0) * sa) / std::max(w, h) + 0.5;
                c = mix(c1, c2, clampd(t, 0, 1));
            } else {  // tiled pattern
                const double u = (x * std::cos(tilt) + y * std::sin(tilt)) / cell;
                const double v = (-x * std::sin(tilt) + y * std::cos(tilt)) / cell;
                const double fu = frac(u), fv = frac(v);
                bool second = false, grout = false;
                switch (tiling) {
                    case 0:
                        second = (static_cast<int64_t>(std::floor(u)) + static_cast<int64_t>(std::floor(v))) & 1;
                        break;
                    case 1: second = fu < 0.5; break;
                    case 2: grout = fv < 0.1 || frac(u + (static_cast<int64_t>(std::floor(v)) & 1) * 0.5) < 0.06; break;
                    default: grout = fu < 0.08 || fv < 0.08; break;
                }
                c = grout ? c3 : second ? c2 : c1;
            }
            if (grain > 0)
                c *= static_cast<float>(1 - grain + 2 * grain * canvas.noiseAt(x / grainScale, y / grainScale));
            row[x] = toPixel(c, 1);
        }
    }
}

void paintClutter(Canvas& canvas, Rng& rng) {
    const int w = canvas.width(), h = canvas.height(), size = std::min(w, h);
    const int count = rng.integer(2, 16);
    for (int i = 0; i < count; ++i) {
        const cv::Scalar colour = scalar(randomColour(rng));
        const cv::Point c(rng.integer(0, w - 1), rng.integer(0, h - 1));
        const int r = std::max(2, static_cast<int>(size * rng.logUniform(0.02, 0.35)));
        const int thick = rng.chance(0.7) ? cv::FILLED : rng.integer(1, 4);
        switch (rng.weighted({1, 1, 1, 0.8, 1, 0.5})) {
            case 0: {  // rectangle, maybe rotated
                const cv::RotatedRect rr(c,
                                         cv::Size2f(static_cast<float>(r * rng.uniform(0.3, 2)),
                                                    static_cast<float>(r * rng.uniform(0.3, 2))),
                                         static_cast<float>(rng.chance(0.5) ? 0 : rng.uniform(0, 180)));
                cv::Point2f q[4];
                rr.points(q);
                std::vector<cv::Point> p(q, q + 4);
                if (thick == cv::FILLED)
                    cv::fillConvexPoly(canvas.image, p, colour, cv::LINE_AA);
                else
                    cv::polylines(canvas.image, p, true, colour, thick, cv::LINE_AA);
                break;
            }
            case 1:  // ellipse
                cv::ellipse(canvas.image, c, cv::Size(r, std::max(1, static_cast<int>(r * rng.uniform(0.3, 1)))),
                            rng.uniform(0, 180), 0, 360, colour, thick, cv::LINE_AA);
                break;
            case 2: {  // polygon
                std::vector<cv::Point> p;
                const int n = rng.integer(3, 7);
                for (int k = 0; k < n; ++k)
                    p.emplace_back(c.x + rng.integer(-r, r), c.y + rng.integer(-r, r));
                cv::fillPoly(canvas.image, std::vector<std::vector<cv::Point>>{p}, colour, cv::LINE_AA);
                break;
            }
            case 3:  // a straight bar or cable
                cv::line(canvas.image, c, c + cv::Point(rng.integer(-2 * r, 2 * r), rng.integer(-2 * r, 2 * r)), colour,
                         rng.integer(1, std::max(2, r / 4)), cv::LINE_AA);
                break;
            case 4: {  // jointed sticks (limb-like distractors, not people)
                cv::Point p = c;
                const int t = rng.integer(2, std::max(3, r / 3));
                double a = rng.uniform(0, 2 * kPi);
                for (int k = rng.integer(2, 4); k > 0; --k) {
                    a += rng.uniform(-1.6, 1.6);
                    const cv::Point q =
                        p + cv::Point(static_cast<int>(r * std::cos(a)), static_cast<int>(r * std::sin(a)));
                    cv::line(canvas.image, p, q, colour, t, cv::LINE_AA);
                    p = q;
                }
                break;
            }
            default: {  // lettering
                std::string text;
                for (int k = rng.integer(2, 8); k > 0; --k)
                    text += static_cast<char>('A' + rng.integer(0, 25));
                cv::putText(canvas.image, text, c, cv::FONT_HERSHEY_SIMPLEX, std::max(0.3, r / 40.0), colour,
                            rng.integer(1, 3), cv::LINE_AA);
                break;
            }
        }
    }
}

Appearance sampleAppearance(Rng& rng) {
    static const cv::Vec3f skins[] = {rgb(255, 224, 196), rgb(241, 194, 167), rgb(224, 172, 138), rgb(198, 134, 98),
                                      rgb(161, 102, 70),  rgb(120, 75, 50),   rgb(87, 55, 40)};
    static const cv::Vec3f hairs[] = {rgb(25, 20, 18),  rgb(60, 40, 28),    rgb(110, 75, 45),  rgb(200, 170, 110),
                                      rgb(150, 70, 35), rgb(160, 160, 160), rgb(225, 222, 215)};
    Appearance a;
    a.skin = jitter(rng, skins[rng.integer(0, 6)], 0.08);
    a.hair = jitter(rng, hairs[rng.weighted({3, 3, 2, 1.5, 0.6, 0.8, 0.4})], 0.1);
    a.lips = a.skin * 0.75f + rgb(40, 0, 0);
    a.iris = jitter(rng, rgb(35, 28, 25), 0.3);
    a.shirt = randomPaint(rng);
    a.pants = randomPaint(rng);
    if (rng.chance(0.5)) a.pants.pattern = Pattern::Solid;
    a.shoes.base = rng.chance(0.6) ? jitter(rng, rgb(35, 30, 28), 0.4) : randomColour(rng);
    a.longSleeves = rng.chance(0.55);
    a.sleeveless = !a.longSleeves && rng.chance(0.2);
    a.longPants = rng.chance(0.7);
    a.bald = rng.chance(0.06);
    a.hairFront = rng.uniform(0.25, 0.6);
    a.hairBack = rng.uniform(-0.75, -0.1);
    a.logo = rng.chance(0.3);
    a.logoColour = randomColour(rng);
    a.neckline = rng.chance(0.7);
    return a;
}

void paintPart(Canvas& canvas, std::vector<Layer>& layers, int object, const PartGeometry& g, const Appearance& look,
               const std::vector<cv::Point>& stamp) {
    Layer layer;
    layer.object = object;
    layer.part = g.part;
    layer.kind = partName(g.part);
    layer.keypoints = partKeypoints(g.part);

    if (g.shape == Shape::Ellipsoid) {
        // Visible surface point p (|p| = 1, head axes) of the pixel: m2·p = d with the nearer root.
        const V3 r0 = g.m.row(0), r1 = g.m.row(1), r2 = g.m.row(2);
        const double a00 = dot(r0, r0), a01 = dot(r0, r1), a11 = dot(r1, r1), det = a00 * a11 - a01 * a01;
        const V3 k = cross(r0, r1);
        const double kk = length(k);
        V3 inv[3];
        for (int i = 0; i < 3; ++i)
            inv[i] = g.m.c[i] * (1.0 / std::max(1e-12, dot(g.m.c[i], g.m.c[i])));
        const double ex = std::sqrt(std::max(a00, 0.0)), ey = std::sqrt(std::max(a11, 0.0));
        const cv::Rect box = boundsOf(g.a.x - ex, g.a.y - ey, g.a.x + ex, g.a.y + ey);
        rasterise(canvas, layers, std::move(layer), box, stamp, [&](int x, int y, bool force, cv::Vec3b& out) {
            const double dx = x - g.a.x, dy = y - g.a.y;
            if (det <= 1e-12) return false;
            const double qx = (a11 * dx - a01 * dy) / det, qy = (a00 * dy - a01 * dx) / det;
            V3 p0 = r0 * qx + r1 * qy;
            double n0 = dot(p0, p0);
            if (n0 > 1 && !force) return false;
            if (n0 > 1) p0 = p0 * (1 / std::sqrt(n0)), n0 = 1;
            const double lambda = std::sqrt(1 - n0) / std::max(kk, 1e-12);
            V3 p = p0 + k * lambda;
            if (dot(r2, k) > 0) p = p0 - k * lambda;  // the root nearer to the camera
            const V3 n = normalized(inv[0] * p.x + inv[1] * p.y + inv[2] * p.z);
            cv::Vec3f c = look.skin;
            const double line =
                p.z > 0.35 ? look.hairFront
                           : look.hairBack + (look.hairFront - look.hairBack) * clampd((p.z + 0.25) / 0.6, 0, 1);
            const bool hair = look.bald ? (p.z < -0.4 && p.y < 0.2 && p.y > -0.5) : p.y > line;
            if (hair) {
                c = look.hair * static_cast<float>(0.85 + 0.3 * canvas.noiseAt(p.x * 9, p.y * 9, 1));
            } else if (p.z > 0.75 && p.y > -0.56 && p.y < -0.43 && std::abs(p.x) < 0.28) {
                c = look.lips;
            } else if (p.z > 0.55 && p.y > 0.25 && p.y < 0.33 && std::abs(p.x) > 0.12 && std::abs(p.x) < 0.52) {
                c = look.hair * 0.8f;  // eyebrows
            }
            out = toPixel(c, canvas.light3(n));
            return true;
        });
        return;
    }

    if (g.shape == Shape::Hull) {  // the chest or the pelvis
        double minX = 1e18, minY = 1e18, maxX = -1e18, maxY = -1e18;
        for (const auto& h : g.hulls)
            for (V2 q : h)
                minX = std::min(minX, q.x), minY = std::min(minY, q.y), maxX = std::max(maxX, q.x),
                maxY = std::max(maxY, q.y);
        cv::Rect box = boundsOf(minX, minY, maxX, maxY) & cv::Rect(0, 0, canvas.width(), canvas.height());
        if (box.empty()) return;
        const cv::Mat cover = coverage(box, g.hulls, true);
        const V2 spine = g.b - g.a;
        const double len2 = std::max(dot(spine, spine), 1e-12);
        std::vector<double> at;  // position of each level along the spine
        for (V2 c : g.levelCentre)
            at.push_back(dot(c - g.a, spine) / len2);
        const Paint& paint = look.shirt;
        rasterise(canvas, layers, std::move(layer), box, stamp, [&](int x, int y, bool force, cv::Vec3b& out) {
            if (!force && !cover.at<uchar>(y - box.y, x - box.x)) return false;
            const V2 q{static_cast<double>(x), static_cast<double>(y)};
            const double t = clampd(dot(q - g.a, spine) / len2, at.front(), at.back());
            size_t i = 0;
            while (i + 2 < at.size() && t > at[i + 1])
                ++i;
            const double s = at[i + 1] > at[i] ? (t - at[i]) / (at[i + 1] - at[i]) : 0;
            const V2 centre = g.levelCentre[i] + (g.levelCentre[i + 1] - g.levelCentre[i]) * s;
            const double half = g.levelHalf[i] + (g.levelHalf[i + 1] - g.levelHalf[i]) * s;
            const double across = clampd(dot(q - centre, g.lateral) / half, -1, 1);
            const double up = clampd((t - at.front()) / std::max(1e-9, at.back() - at.front()), 0, 1);
            cv::Vec3f c = patternColour(up < g.belt ? look.pants : paint, up * g.length, across, canvas);
            if (g.facing && look.neckline && up > 0.86 && std::abs(across) < (up - 0.86) * 3.5) c = look.skin;
            if (g.facing && look.logo && up > 0.5 && up < 0.7 && std::abs(across) < 0.3) c = look.logoColour;
            const V3 n{g.lateral.x * across, g.lateral.y * across, -std::sqrt(1 - across * across)};
            out = toPixel(c, canvas.light3(n));
            return true;
        });
        return;
    }

    // Capsules: limbs, hands, feet, neck and face marks.
    Paint paint;
    paint.base = look.skin;
    bool flat = false;
    switch (g.part) {
        case kNose: paint.base = look.skin * 0.8f; break;
        case kLeftEye:
        case kRightEye:
            paint.base = look.iris;
            flat = true;
            break;
        case kLeftEar:
        case kRightEar: paint.base = look.skin * 0.92f; break;
        case kLeftUpperArm:
        case kRightUpperArm:
            if (!look.sleeveless) paint = look.shirt;
            break;
        case kLeftForearm:
        case kRightForearm:
            if (look.longSleeves) paint = look.shirt;
            break;
        case kLeftThigh:
        case kRightThigh: paint = look.pants; break;
        case kLeftShin:
        case kRightShin:
            if (look.longPants) paint = look.pants;
            break;
        case kLeftFoot:
        case kRightFoot: paint = look.shoes; break;
        default: break;
    }
    const V2 a = g.a, L = g.b - g.a;
    const double len2 = dot(L, L), len = std::sqrt(len2), lengthUnits = g.length;
    const cv::Rect box = boundsOf(std::min(a.x - g.ra, g.b.x - g.rb), std::min(a.y - g.ra, g.b.y - g.rb),
                                  std::max(a.x + g.ra, g.b.x + g.rb), std::max(a.y + g.ra, g.b.y + g.rb));
    rasterise(canvas, layers, std::move(layer), box, stamp, [&](int x, int y, bool force, cv::Vec3b& out) {
        const V2 q{static_cast<double>(x), static_cast<double>(y)};
        const double t = len2 > 1e-12 ? clampd(dot(q - a, L) / len2, 0, 1) : 0;
        const V2 d = q - (a + L * t);
        const double rad = g.ra + (g.rb - g.ra) * t, d2 = dot(d, d);
        if (d2 > rad * rad && !force) return false;
        const double rr = std::max(rad, 1e-6);
        V2 n2 = d * (1 / rr);
        double nn = dot(n2, n2);
        if (nn > 1) n2 = n2 * (1 / std::sqrt(nn)), nn = 1;
        const double across = len > 1e-6 ? clampd(cross(L, d) / (len * rr), -1, 1) : n2.x;
        const cv::Vec3f c = patternColour(paint, t * lengthUnits, across, canvas);
        out = toPixel(c, flat ? 1.0 : canvas.light3({n2.x, n2.y, -std::sqrt(1 - nn)}));
        return true;
    });
}

void paintShape(Canvas& canvas, std::vector<Layer>& layers, int object, const char* kind,
                const std::vector<V2>& polygon, const Paint& paint, V2 gradient) {
    Layer layer;
    layer.object = object;
    layer.kind = kind;
    double minX = 1e18, minY = 1e18, maxX = -1e18, maxY = -1e18;
    for (V2 q : polygon)
        minX = std::min(minX, q.x), minY = std::min(minY, q.y), maxX = std::max(maxX, q.x), maxY = std::max(maxY, q.y);
    const cv::Rect box = boundsOf(minX, minY, maxX, maxY) & cv::Rect(0, 0, canvas.width(), canvas.height());
    if (box.empty()) return;
    const cv::Mat cover = coverage(box, {polygon}, false);
    const V2 centre{(minX + maxX) / 2, (minY + maxY) / 2};
    const double extent = std::max(1.0, std::max(maxX - minX, maxY - minY));
    rasterise(canvas, layers, std::move(layer), box, {}, [&](int x, int y, bool, cv::Vec3b& out) {
        if (!cover.at<uchar>(y - box.y, x - box.x)) return false;
        const V2 q = V2{static_cast<double>(x), static_cast<double>(y)} - centre;
        const cv::Vec3f c = patternColour(paint, dot(q, gradient) / 100.0, cross(gradient, q) / extent, canvas);
        out = toPixel(c, 0.8 + 0.5 * dot(q, gradient) / extent);
        return true;
    });
}

void finishImage(Canvas& canvas, Rng& rng) {
    cv::Mat3b& img = canvas.image;
    if (rng.chance(0.5)) cv::GaussianBlur(img, img, cv::Size(0, 0), rng.uniform(0.35, 1.0));
    const double gain[3] = {rng.uniform(0.88, 1.12), rng.uniform(0.88, 1.12), rng.uniform(0.88, 1.12)};
    const double contrast = rng.uniform(0.8, 1.15), brightness = rng.uniform(-18, 18);
    const double sigma = rng.chance(0.7) ? rng.uniform(0, 6) : 0;
    uint64_t state = rng.next() | 1;
    const float scale = static_cast<float>(sigma * 2.45 / 4294967296.0);
    float lut[3][256];
    for (int c = 0; c < 3; ++c)
        for (int v = 0; v < 256; ++v)
            lut[c][v] = static_cast<float>((v * gain[c] - 128) * contrast + 128 + brightness);
    for (int y = 0; y < img.rows; ++y) {
        uchar* row = img.ptr<uchar>(y);
        for (int x = 0; x < img.cols; ++x)
            for (int c = 0; c < 3; ++c) {
                float v = lut[c][row[3 * x + c]];
                if (sigma > 0) {  // triangular noise from xorshift64*
                    state ^= state >> 12, state ^= state << 25, state ^= state >> 27;
                    const uint64_t r = state * 0x2545F4914F6CDD1DULL;
                    v += static_cast<float>(static_cast<int64_t>(r >> 32) + static_cast<int64_t>(r & 0xffffffffu) -
                                            4294967295LL) *
                         scale;
                }
                row[3 * x + c] = cv::saturate_cast<uchar>(v);
            }
    }
}

}  // namespace posescope::synth
