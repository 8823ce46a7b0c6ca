#include "synthpose_scene.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "synthpose_figure.h"
#include "synthpose_math.h"
#include "synthpose_render.h"

namespace posescope::synth {

namespace {

constexpr int64_t kIdsPerImage = 1000;  // annotation ids i·1000 + 1 + p, occluder ids i·1000 + 500 + k
constexpr int64_t kFirstOccluder = 500;

struct PersonObject {
    Figure figure;
    Appearance look;
    V2 keypoints[kKeypoints];  // rounded to 0.01
    bool inside[kKeypoints];
    cv::Point pixel[kKeypoints];
};

struct OccluderObject {
    const char* kind = "";
    std::vector<V2> polygon;
    Paint paint;
    V2 gradient;
};

struct SceneObject {
    int index = 0;  // into persons or occluders
    bool person = false;
    double depth = 0;  // larger is farther
};

double round2(double v) {
    return std::round(v * 100) / 100;
}

std::vector<V2> ellipsePolygon(V2 c, double rx, double ry, double angle, int n) {
    std::vector<V2> p;
    const double ca = std::cos(angle), sa = std::sin(angle);
    for (int i = 0; i < n; ++i) {
        const double t = i * 2 * kPi / n, x = rx * std::cos(t), y = ry * std::sin(t);
        p.push_back({c.x + x * ca - y * sa, c.y + x * sa + y * ca});
    }
    return p;
}

// An occluder shape near `around` (a keypoint of the target or a free spot) of size `size`.
OccluderObject makeOccluder(Rng& rng, V2 around, double size, double imageHeight, bool lowerBody) {
    OccluderObject o;
    o.paint = randomPaint(rng);
    const double g = rng.uniform(0, 2 * kPi);
    o.gradient = {std::cos(g), std::sin(g)};
    const double angle = rng.chance(0.6) ? 0 : rng.uniform(0, kPi);
    switch (lowerBody ? 4 : rng.weighted({0.32, 0.32, 0.18, 0.1})) {
        case 0: {
            o.kind = "rectangle";
            const double w = size * rng.uniform(0.4, 1.6), h = size * rng.uniform(0.4, 1.6);
            const V2 c = around + V2{rng.normal(0, 0.2), rng.normal(0, 0.2)} * size;
            const double ca = std::cos(angle), sa = std::sin(angle);
            for (int k = 0; k < 4; ++k) {
                const double x = (k == 0 || k == 3 ? -w : w) / 2, y = (k < 2 ? -h : h) / 2;
                o.polygon.push_back({c.x + x * ca - y * sa, c.y + x * sa + y * ca});
            }
            break;
        }
        case 1: {
            o.kind = "blob";
            const V2 c = around + V2{rng.normal(0, 0.2), rng.normal(0, 0.2)} * size;
            double amp[3], phase[3];
            for (int k = 0; k < 3; ++k)
                amp[k] = rng.uniform(0, 0.22), phase[k] = rng.uniform(0, 2 * kPi);
            const double stretch = rng.uniform(0.6, 1.4);
            for (int i = 0; i < 24; ++i) {
                const double t = i * 2 * kPi / 24;
                double r = 1;
                for (int k = 0; k < 3; ++k)
                    r += amp[k] * std::sin((k + 2) * t + phase[k]);
                o.polygon.push_back({c.x + size / 2 * r * std::cos(t) * stretch, c.y + size / 2 * r * std::sin(t)});
            }
            break;
        }
        case 2:
            o.kind = "ellipse";
            o.polygon = ellipsePolygon(around + V2{rng.normal(0, 0.2), rng.normal(0, 0.2)} * size,
                                       size * rng.uniform(0.25, 0.8), size * rng.uniform(0.25, 0.8), angle, 32);
            break;
        case 3: {
            o.kind = "pole";
            const double w = size * rng.uniform(0.08, 0.25), h = imageHeight * rng.uniform(0.6, 1.6);
            const double tilt = rng.normal(0, 0.08), ct = std::cos(tilt), st = std::sin(tilt);
            for (int k = 0; k < 4; ++k) {
                const double x = (k == 0 || k == 3 ? -w : w) / 2, y = (k < 2 ? -h : h) / 2;
                o.polygon.push_back({around.x + x * ct - y * st, around.y + x * st + y * ct});
            }
            break;
        }
        default: {  // a counter or a low wall in front of the legs
            o.kind = "counter";
            const double w = size * rng.uniform(1.5, 4), top = around.y + rng.normal(0, 0.1) * size;
            const double left = around.x - w * rng.uniform(0.2, 0.8), bottom = imageHeight + size;
            o.polygon = {{left, top}, {left + w, top}, {left + w, bottom}, {left, bottom}};
            break;
        }
    }
    return o;
}

void placePerson(Rng& rng, PersonObject& p, const std::vector<PersonObject>& before, int width, int height) {
    Figure& fig = p.figure;
    const double figW = fig.maxX - fig.minX, figH = std::max(1e-6, fig.maxY - fig.minY);
    double target;  // the figure's larger side in pixels: small, medium and large persons
    switch (rng.weighted({0.3, 0.42, 0.28})) {
        case 0: target = height * rng.logUniform(0.08, 0.22); break;
        case 1: target = height * rng.logUniform(0.22, 0.6); break;
        default: target = height * rng.logUniform(0.6, 1.4); break;
    }
    // The larger side sets the scale, so lying figures are no larger than standing ones.
    const double stature = std::max(12.0, target) / std::max(figH, figW);
    const double bw = figW * stature, bh = figH * stature;
    double x0, y0;                             // top-left corner of the figure's extent
    if (!before.empty() && rng.chance(0.3)) {  // next to (and overlapping) someone
        const Figure& o = before[static_cast<size_t>(rng.integer(0, static_cast<int>(before.size()) - 1))].figure;
        x0 = (o.minX + o.maxX) / 2 + rng.normal(0, 0.5) * std::max(bw, o.maxX - o.minX) - bw / 2;
        y0 = o.maxY - bh + rng.normal(0, 0.15) * bh;
    } else if (rng.chance(0.8)) {  // inside the image where it fits
        x0 = bw <= width ? rng.uniform(0, width - bw) : rng.uniform(width - bw, 0);
        y0 = bh <= height ? rng.uniform(0, height - bh) : rng.uniform(height - bh, 0);
    } else {  // anywhere, often cut by the border
        x0 = rng.uniform(-0.15, 1.15) * width - bw / 2;
        y0 = rng.uniform(-0.1, 1.1) * height - bh / 2;
    }
    placeFigure(fig, stature, {x0 - fig.minX * stature, y0 - fig.minY * stature});
}

}  // namespace

SceneOutput renderScene(const SynthOptions& o, int64_t imageId, bool keepLayers) {
    Rng rng(splitmix64(o.seed ^ splitmix64(static_cast<uint64_t>(imageId))));
    static const double aspects[] = {4.0 / 3, 3.0 / 2, 16.0 / 9, 1.0, 3.0 / 4, 2.0 / 3};
    const int width = rng.integer(o.minWidth, o.maxWidth);
    const double aspect = aspects[rng.weighted({3, 2, 1.5, 1, 1.5, 1})];
    const int height = std::clamp(static_cast<int>(std::lround(width / aspect)), o.minHeight, o.maxHeight);

    Canvas canvas;
    initCanvas(canvas, rng, width, height);
    paintBackground(canvas, rng);
    paintClutter(canvas, rng);

    std::vector<PersonObject> persons;
    std::vector<OccluderObject> occluders;
    std::vector<SceneObject> objects;
    const int people = rng.integer(o.minPeople, o.maxPeople);
    for (int i = 0; i < people; ++i) {
        PersonObject p;
        const Body body = sampleBody(rng);
        const Pose pose = samplePose(rng);
        p.figure = buildFigure(body, pose);
        p.look = sampleAppearance(rng);
        placePerson(rng, p, persons, width, height);
        for (int k = 0; k < kKeypoints; ++k) {
            const V2 q{round2(p.figure.keypoints[k].x), round2(p.figure.keypoints[k].y)};
            p.keypoints[k] = q;
            p.inside[k] = q.x >= 0 && q.y >= 0 && q.x <= width - 1 && q.y <= height - 1;
            p.pixel[k] = p.inside[k] ? cv::Point(static_cast<int>(std::lround(q.x)), static_cast<int>(std::lround(q.y)))
                                     : cv::Point(-1, -1);
        }
        objects.push_back({static_cast<int>(persons.size()), true, -p.figure.stature * rng.uniform(0.8, 1.2)});
        persons.push_back(std::move(p));
    }
    for (int i = 0; i < people; ++i) {
        if (!rng.chance(o.occluderProbability)) continue;
        const Figure& f = persons[static_cast<size_t>(i)].figure;
        const bool lower = rng.chance(0.15);
        const int k = lower ? rng.integer(11, 14) : rng.integer(0, kKeypoints - 1);
        const double size = f.stature * rng.uniform(0.12, 0.45);
        occluders.push_back(makeOccluder(rng, f.keypoints[k], size, height, lower));
        const double depth = objects[static_cast<size_t>(i)].depth - f.stature * rng.uniform(0.01, 0.3);
        objects.push_back({static_cast<int>(occluders.size()) - 1, false, depth});
    }
    if (rng.chance(o.occluderProbability * 0.5)) {
        double nearest = -1e9, farthest = 1e9;
        for (const SceneObject& s : objects)
            nearest = std::max(nearest, s.depth), farthest = std::min(farthest, s.depth);
        for (int n = rng.integer(1, 2); n > 0; --n) {
            const V2 at{rng.uniform(0, width), rng.uniform(0, height)};
            occluders.push_back(makeOccluder(rng, at, std::min(width, height) * rng.uniform(0.1, 0.4), height, false));
            const double depth = objects.empty() ? 0 : rng.uniform(farthest - 10, nearest + 10);
            objects.push_back({static_cast<int>(occluders.size()) - 1, false, depth});
        }
    }
    std::stable_sort(objects.begin(), objects.end(),
                     [](const SceneObject& a, const SceneObject& b) { return a.depth > b.depth; });

    // Paint back to front.
    std::vector<Layer> layers;
    std::vector<int> objectOf(persons.size(), -1);  // person → index in objects
    for (size_t s = 0; s < objects.size(); ++s) {
        const SceneObject& obj = objects[s];
        if (!obj.person) {
            const OccluderObject& oc = occluders[static_cast<size_t>(obj.index)];
            paintShape(canvas, layers, static_cast<int>(s), oc.kind, oc.polygon, oc.paint, oc.gradient);
            continue;
        }
        PersonObject& p = persons[static_cast<size_t>(obj.index)];
        objectOf[static_cast<size_t>(obj.index)] = static_cast<int>(s);
        const Figure& f = p.figure;
        if (f.maxX < -1 || f.maxY < -1 || f.minX > width || f.minY > height) continue;
        for (const PartGeometry& g : f.parts) {
            std::vector<cv::Point> stamp;
            const uint32_t carried = partKeypoints(g.part);
            for (int k = 0; k < kKeypoints; ++k)
                if ((carried >> k & 1u) && p.inside[k]) stamp.push_back(p.pixel[k]);
            paintPart(canvas, layers, static_cast<int>(s), g, p.look, stamp);
        }
    }
    finishImage(canvas, rng);

    // Ids: annotated persons in draw order, occluder shapes in draw order.
    std::vector<int64_t> idOf(objects.size(), -1);
    std::vector<cv::Rect> unionBox(objects.size());
    std::vector<int> personIndexOfObject(objects.size(), -1);
    for (size_t i = 0; i < persons.size(); ++i)
        personIndexOfObject[static_cast<size_t>(objectOf[i])] = static_cast<int>(i);
    for (const Layer& l : layers)
        unionBox[static_cast<size_t>(l.object)] |= l.roi;
    int64_t nextPerson = 0, nextOccluder = 0;
    for (size_t s = 0; s < objects.size(); ++s) {
        if (!objects[s].person)
            idOf[s] = imageId * kIdsPerImage + kFirstOccluder + nextOccluder++;
        else if (!unionBox[s].empty())
            idOf[s] = imageId * kIdsPerImage + 1 + nextPerson++;
    }

    SceneOutput out;
    out.info.id = imageId;
    char name[32];
    std::snprintf(name, sizeof name, "%012lld.jpg", static_cast<long long>(imageId));
    out.info.fileName = name;
    out.info.width = width;
    out.info.height = height;

    for (size_t s = 0; s < objects.size(); ++s) {
        if (!objects[s].person || idOf[s] < 0) continue;
        const PersonObject& p = persons[static_cast<size_t>(personIndexOfObject[s])];
        // The whole silhouette: the union of the person's layers.
        const cv::Rect box = unionBox[s];
        cv::Mat silhouette = cv::Mat::zeros(box.size(), CV_8U);
        for (const Layer& l : layers)
            if (l.object == static_cast<int>(s)) silhouette(l.roi - box.tl()) |= l.mask;
        int area = 0, x0 = box.width, y0 = box.height, x1 = -1, y1 = -1;
        for (int y = 0; y < box.height; ++y) {
            const uchar* row = silhouette.ptr<uchar>(y);
            for (int x = 0; x < box.width; ++x)
                if (row[x])
                    ++area, x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
        }
        PersonAnnotation a;
        a.id = idOf[s];
        a.imageId = imageId;
        a.area = area;
        a.bbox = {static_cast<double>(box.x + x0), static_cast<double>(box.y + y0), static_cast<double>(x1 - x0 + 1),
                  static_cast<double>(y1 - y0 + 1)};
        a.keypoints.assign(3 * kKeypoints, 0.0);
        a.occludedBy.assign(kKeypoints, -1);
        for (int k = 0; k < kKeypoints; ++k) {
            if (!p.inside[k]) continue;
            const int label = canvas.labels(p.pixel[k].y, p.pixel[k].x);
            int v = 2;
            if (label > 0) {
                const Layer& top = layers[static_cast<size_t>(label - 1)];
                if (top.object != static_cast<int>(s) || !(top.keypoints >> k & 1u)) {
                    v = 1;
                    a.occludedBy[static_cast<size_t>(k)] = idOf[static_cast<size_t>(top.object)];
                }
            }
            a.keypoints[static_cast<size_t>(3 * k)] = p.keypoints[k].x;
            a.keypoints[static_cast<size_t>(3 * k + 1)] = p.keypoints[k].y;
            a.keypoints[static_cast<size_t>(3 * k + 2)] = v;
            ++a.numKeypoints;
        }
        out.annotations.push_back(std::move(a));
    }
    std::sort(out.annotations.begin(), out.annotations.end(),
              [](const PersonAnnotation& a, const PersonAnnotation& b) { return a.id < b.id; });

    // The region of every occluder: where it is the topmost object, read from the same label map
    // that decided the visibility above, so each occluded keypoint's pixel lies in its occluder's mask.
    std::set<int64_t> occluderIds;
    for (const PersonAnnotation& a : out.annotations)
        for (const int64_t by : a.occludedBy)
            if (by >= 0 && by != a.id) occluderIds.insert(by);
    if (!occluderIds.empty()) {
        std::vector<int> slotOfLayer(layers.size(), -1);  // layer → index into masks, -1 when not wanted
        std::vector<int64_t> maskIds(occluderIds.begin(), occluderIds.end());
        for (size_t l = 0; l < layers.size(); ++l) {
            const auto at =
                std::lower_bound(maskIds.begin(), maskIds.end(), idOf[static_cast<size_t>(layers[l].object)]);
            if (at != maskIds.end() && *at == idOf[static_cast<size_t>(layers[l].object)])
                slotOfLayer[l] = static_cast<int>(at - maskIds.begin());
        }
        std::vector<cv::Mat> masks(maskIds.size());
        for (cv::Mat& m : masks)
            m = cv::Mat::zeros(height, width, CV_8U);
        for (int y = 0; y < height; ++y) {
            const int* label = canvas.labels.ptr<int>(y);
            for (int x = 0; x < width; ++x) {
                if (label[x] <= 0) continue;
                const int slot = slotOfLayer[static_cast<size_t>(label[x] - 1)];
                if (slot >= 0) masks[static_cast<size_t>(slot)].ptr<uchar>(y)[x] = 255;
            }
        }
        for (size_t i = 0; i < maskIds.size(); ++i)
            out.occluderMasks.push_back(encodeMask(masks[i], maskIds[i], imageId));
    }

    if (keepLayers) {
        for (Layer& l : layers) {
            SynthLayer d;
            d.objectId = idOf[static_cast<size_t>(l.object)];
            d.person = l.part >= 0;
            d.part = l.kind;
            for (int k = 0; k < kKeypoints; ++k)
                if (l.keypoints >> k & 1u) d.keypoints.push_back(k);
            d.roi = l.roi;
            d.mask = std::move(l.mask);
            out.layers.push_back(std::move(d));
        }
    }
    out.image = canvas.image;
    return out;
}

}  // namespace posescope::synth
