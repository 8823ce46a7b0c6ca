#include "synthpose_figure.h"

#include <algorithm>
#include <array>

namespace posescope::synth {

namespace {

constexpr uint32_t bit(int k) {
    return 1u << k;
}

// Joint limits in degrees (min, max).
struct Limit {
    double lo, hi;
};
constexpr Limit kArmAbd{-20, 180}, kArmFlex{-60, 180}, kArmRot{-90, 90}, kElbow{0, 150}, kWrist{-60, 60};
constexpr Limit kLegAbd{-20, 60}, kLegFlex{-30, 135}, kLegRot{-40, 45}, kKnee{0, 155}, kAnkle{-30, 40};
constexpr Limit kLean{-25, 90}, kSideBend{-30, 30}, kTwist{-40, 40};
constexpr Limit kHeadYaw{-70, 70}, kHeadPitch{-40, 45}, kHeadRoll{-30, 30};

double within(double degrees, Limit l) {
    return deg(clampd(degrees, l.lo, l.hi));
}
double anyIn(Rng& r, Limit l) {
    return r.uniform(l.lo, l.hi);
}

// The pose families, in degrees; samplePose converts and clamps to the limits above.
struct Degrees {
    double yaw, pitch, roll, lean, sideBend, twist, headYaw, headPitch, headRoll;
    double arm[2][5];  // abd, flex, rot, elbow, wrist
    double leg[2][5];  // abd, flex, rot, knee, ankle
};

void relaxed(Rng& r, Degrees& d) {
    d.lean = r.normal(3, 5);
    d.sideBend = r.normal(0, 4);
    d.twist = r.normal(0, 8);
    d.headYaw = r.normal(0, 25);
    d.headPitch = r.normal(0, 12);
    d.headRoll = r.normal(0, 7);
    for (auto& a : d.arm) {
        a[0] = r.uniform(4, 22);
        a[1] = r.normal(0, 12);
        a[2] = r.normal(-10, 20);
        a[3] = r.uniform(3, 35);
        a[4] = r.normal(0, 15);
    }
    for (auto& l : d.leg) {
        l[0] = r.uniform(0, 10);
        l[1] = r.normal(0, 5);
        l[2] = r.normal(5, 10);
        l[3] = r.uniform(0, 10);
        l[4] = r.normal(0, 8);
    }
}

void gait(Rng& r, Degrees& d, double amplitude, double kneeLift, double elbow) {
    const double phase = r.uniform(0, 2 * kPi);
    for (int s = 0; s < 2; ++s) {
        const double p = phase + s * kPi;
        d.leg[s][1] = amplitude * std::sin(p);
        d.leg[s][3] = 5 + kneeLift * std::max(0.0, std::cos(p)) + r.uniform(0, 10);
        d.leg[s][4] = r.normal(0, 12);
        d.arm[s][1] = -0.9 * amplitude * std::sin(p) + r.normal(0, 8);
        d.arm[s][0] = r.uniform(5, 18);
        d.arm[s][3] = elbow + r.normal(0, 12);
    }
}

void raiseArm(Rng& r, double* a) {
    switch (r.weighted({1.2, 1, 1, 1, 0.8, 0.8, 0.8})) {
        case 0:  // overhead
            a[0] = r.uniform(130, 180), a[1] = r.normal(0, 20), a[3] = r.uniform(0, 40);
            break;
        case 1:  // out to the side
            a[0] = r.uniform(65, 115), a[1] = r.normal(0, 15), a[3] = r.uniform(0, 30);
            break;
        case 2:  // forward
            a[0] = r.uniform(0, 25), a[1] = r.uniform(60, 120), a[3] = r.uniform(0, 50);
            break;
        case 3:  // waving: forearm up
            a[0] = r.uniform(70, 130), a[1] = r.normal(0, 15), a[2] = r.uniform(50, 90), a[3] = r.uniform(50, 130);
            break;
        case 4:  // hand on the hip
            a[0] = r.uniform(35, 55), a[1] = r.normal(-5, 8), a[2] = r.uniform(-85, -55), a[3] = r.uniform(95, 130);
            break;
        case 5:  // folded in front (arms crossed, phone)
            a[0] = r.uniform(0, 20), a[1] = r.uniform(15, 55), a[2] = r.uniform(-90, -50), a[3] = r.uniform(100, 145);
            break;
        default:  // pointing
            a[0] = r.uniform(15, 70), a[1] = r.uniform(50, 100), a[3] = r.uniform(0, 15);
            break;
    }
}

}  // namespace

const char* partName(int part) {
    static const char* const names[kPartCount] = {
        "torso",        "neck",          "head",       "nose",           "left_eye",
        "right_eye",    "left_ear",      "right_ear",  "left_upper_arm", "right_upper_arm",
        "left_forearm", "right_forearm", "left_hand",  "right_hand",     "left_thigh",
        "right_thigh",  "left_shin",     "right_shin", "left_foot",      "right_foot",
        "pelvis"};
    return part >= 0 && part < kPartCount ? names[part] : "?";
}

uint32_t partKeypoints(int part) {
    switch (part) {
        case kNose: return bit(0);
        case kLeftEye: return bit(1);
        case kRightEye: return bit(2);
        case kLeftEar: return bit(3);
        case kRightEar: return bit(4);
        case kLeftUpperArm: return bit(5) | bit(7);
        case kRightUpperArm: return bit(6) | bit(8);
        case kLeftForearm: return bit(7) | bit(9);
        case kRightForearm: return bit(8) | bit(10);
        case kLeftHand: return bit(9);
        case kRightHand: return bit(10);
        case kLeftThigh: return bit(11) | bit(13);
        case kRightThigh: return bit(12) | bit(14);
        case kLeftShin: return bit(13) | bit(15);
        case kRightShin: return bit(14) | bit(16);
        case kLeftFoot: return bit(15);
        case kRightFoot: return bit(16);
        case kPelvis: return bit(11) | bit(12);  // the hips lie on the pelvis as much as on the thighs
        default: return 0;
    }
}

Body sampleBody(Rng& r) {
    Body b{};
    const double build = r.uniform(0.8, 1.35);  // slim … heavy
    const double limbs = r.uniform(0.94, 1.06);
    b.headR = 0.058 * r.uniform(0.88, 1.25);
    b.neck = r.uniform(0.03, 0.055);
    b.neckR = r.uniform(0.022, 0.03) * build;
    b.torso = r.uniform(0.28, 0.32);
    b.shoulderHalf = r.uniform(0.1, 0.125) * (0.9 + 0.1 * build);
    b.hipHalf = r.uniform(0.055, 0.075);
    b.upperArm = r.uniform(0.165, 0.195) * limbs;
    b.forearm = r.uniform(0.135, 0.16) * limbs;
    b.hand = r.uniform(0.075, 0.1);
    b.thigh = r.uniform(0.23, 0.26) * limbs;
    b.shin = r.uniform(0.22, 0.25) * limbs;
    b.foot = r.uniform(0.12, 0.15);
    b.upperArmR[0] = r.uniform(0.03, 0.04) * build;
    b.upperArmR[1] = b.upperArmR[0] * r.uniform(0.72, 0.85);
    b.forearmR[0] = b.upperArmR[1] * r.uniform(0.9, 1.0);
    b.forearmR[1] = b.forearmR[0] * r.uniform(0.65, 0.8);
    b.handR = b.forearmR[1] * r.uniform(1.0, 1.2);
    b.thighR[0] = r.uniform(0.045, 0.058) * build;
    b.thighR[1] = b.thighR[0] * r.uniform(0.62, 0.75);
    b.shinR[0] = b.thighR[1] * r.uniform(0.9, 1.0);
    b.shinR[1] = b.shinR[0] * r.uniform(0.55, 0.7);
    b.footR = b.shinR[1] * r.uniform(0.9, 1.15);
    const double hips = r.uniform(0.085, 0.105) * build, waist = r.uniform(0.07, 0.085) * build;
    const double chest = r.uniform(0.085, 0.1) * build;
    const double widths[5] = {hips * 0.92, hips, waist, chest, b.shoulderHalf * 0.86};
    const double depths[5] = {0.055, 0.06, 0.055, 0.065, 0.05};
    for (int i = 0; i < 5; ++i) {
        b.torsoHalfWidth[i] = widths[i];
        b.torsoHalfDepth[i] = depths[i] * build;
    }
    b.belt = r.uniform(0.18, 0.42);
    return b;
}

Pose samplePose(Rng& r) {
    Degrees d{};
    switch (r.weighted({0.34, 0.18, 0.26, 0.22})) {
        case 0: d.yaw = r.normal(0, 18); break;                               // facing the camera
        case 1: d.yaw = r.normal(180, 20); break;                             // seen from behind
        case 2: d.yaw = (r.chance(0.5) ? 90 : -90) + r.normal(0, 20); break;  // side views
        default: d.yaw = r.uniform(-180, 180); break;
    }
    d.pitch = clampd(r.normal(0, 8), -25, 25);
    d.roll = r.chance(0.04) ? r.uniform(-180, 180) : r.normal(0, 5);
    relaxed(r, d);
    switch (r.weighted({0.2, 0.15, 0.07, 0.15, 0.1, 0.07, 0.05, 0.06, 0.15})) {
        case 0: break;                                                                       // standing
        case 1: gait(r, d, r.uniform(15, 32), r.uniform(15, 45), r.uniform(10, 35)); break;  // walking
        case 2:                                                                              // running
            gait(r, d, r.uniform(30, 55), r.uniform(50, 110), r.uniform(70, 105));
            d.lean = r.uniform(5, 20);
            break;
        case 3:  // arms raised, waving, pointing, hands on hips …
            for (auto& a : d.arm)
                if (r.chance(0.7)) raiseArm(r, a);
            break;
        case 4:  // sitting
            d.lean = r.uniform(-8, 15);
            for (auto& l : d.leg)
                l[0] = r.uniform(3, 20), l[1] = r.uniform(70, 100), l[3] = r.uniform(70, 110);
            for (auto& a : d.arm)
                a[1] = r.uniform(10, 50), a[3] = r.uniform(20, 90);
            break;
        case 5:  // crouching, squatting
            d.lean = r.uniform(20, 50);
            for (auto& l : d.leg)
                l[0] = r.uniform(5, 30), l[1] = r.uniform(95, 130), l[3] = r.uniform(115, 150);
            for (auto& a : d.arm)
                a[1] = r.uniform(20, 80), a[3] = r.uniform(10, 80);
            break;
        case 6: {  // kneeling on one knee
            const int s = r.integer(0, 1);
            d.leg[s][1] = r.uniform(75, 100), d.leg[s][3] = r.uniform(80, 105);
            d.leg[1 - s][1] = r.uniform(-10, 15), d.leg[1 - s][3] = r.uniform(80, 110);
            break;
        }
        case 7:  // bending over, reaching down
            d.lean = r.uniform(40, 85);
            for (auto& l : d.leg)
                l[1] = r.uniform(-5, 20), l[3] = r.uniform(0, 25);
            for (auto& a : d.arm)
                a[1] = d.lean * r.uniform(0.7, 1.1), a[3] = r.uniform(0, 40);
            break;
        default:  // anything within the joint limits
            d.lean = r.uniform(-15, 60), d.sideBend = anyIn(r, kSideBend), d.twist = anyIn(r, kTwist);
            for (auto& a : d.arm)
                a[0] = anyIn(r, kArmAbd), a[1] = anyIn(r, kArmFlex), a[2] = anyIn(r, kArmRot), a[3] = anyIn(r, kElbow),
                a[4] = anyIn(r, kWrist);
            for (auto& l : d.leg)
                l[0] = r.uniform(-10, 45), l[1] = r.uniform(-25, 110), l[2] = anyIn(r, kLegRot), l[3] = anyIn(r, kKnee),
                l[4] = anyIn(r, kAnkle);
            break;
    }
    Pose p;
    p.yaw = deg(d.yaw), p.pitch = deg(d.pitch), p.roll = deg(d.roll);
    p.lean = within(d.lean, kLean), p.sideBend = within(d.sideBend, kSideBend), p.twist = within(d.twist, kTwist);
    p.headYaw = within(d.headYaw, kHeadYaw), p.headPitch = within(d.headPitch, kHeadPitch);
    p.headRoll = within(d.headRoll, kHeadRoll);
    for (int s = 0; s < 2; ++s) {
        const double* a = d.arm[s];
        p.arm[s] = {within(a[0], kArmAbd), within(a[1], kArmFlex), within(a[2], kArmRot), within(a[3], kElbow),
                    within(a[4], kWrist)};
        const double* l = d.leg[s];
        p.leg[s] = {within(l[0], kLegAbd), within(l[1], kLegFlex), within(l[2], kLegRot), within(l[3], kKnee),
                    within(l[4], kAnkle)};
    }
    return p;
}

namespace {

V2 xy(V3 v) {
    return {v.x, v.y};
}

PartGeometry capsule(int part, V3 a, V3 b, double ra, double rb) {
    PartGeometry g;
    g.part = part;
    g.shape = Shape::Capsule;
    g.a = xy(a), g.b = xy(b);
    g.ra = ra, g.rb = rb;
    g.depth = g.group = (a.z + b.z) / 2;
    g.length = length(b - a);
    return g;
}

// The outline of an elliptic cross-section (axes u, v from centre c), projected.
void crossSection(std::vector<V2>& out, V3 c, V3 u, V3 v) {
    for (int i = 0; i < 12; ++i) {
        const double t = i * (2 * kPi / 12);
        out.push_back(xy(c + u * std::cos(t) + v * std::sin(t)));
    }
}

// Convex hull (monotone chain), counter-clockwise, without collinear points.
std::vector<V2> convexHull(std::vector<V2> p) {
    std::sort(p.begin(), p.end(), [](V2 a, V2 b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
    if (p.size() < 3) return p;
    std::vector<V2> h(2 * p.size());
    size_t k = 0;
    for (size_t i = 0; i < p.size(); ++i) {
        while (k >= 2 && cross(h[k - 1] - h[k - 2], p[i] - h[k - 2]) <= 0)
            --k;
        h[k++] = p[i];
    }
    for (size_t i = p.size() - 1, t = k + 1; i > 0; --i) {
        while (k >= t && cross(h[k - 1] - h[k - 2], p[i - 1] - h[k - 2]) <= 0)
            --k;
        h[k++] = p[i - 1];
    }
    h.resize(k - 1);
    return h;
}

}  // namespace

Figure buildFigure(const Body& b, const Pose& p) {
    // Camera axes: x right, y down, z away from the camera. At yaw 0 the figure faces the camera.
    const V3 f0{std::sin(p.yaw), 0, -std::cos(p.yaw)}, u0{0, -1, 0};
    const M3 base{{cross(f0, u0), u0, f0}};  // columns: the person's right, up, forward
    const M3 pelvis = rotZ(p.roll) * rotX(p.pitch) * base;
    const M3 chest = pelvis * rotY(p.twist) * rotX(p.lean) * rotZ(p.sideBend);
    const V3 down{0, -1, 0};

    Figure fig;
    std::vector<PartGeometry>& parts = fig.parts;

    // Torso: elliptic cross-sections at five levels, lofted as convex pieces.
    {
        const double levels[5] = {-0.05, 0.0, 0.12, 0.22, b.torso - 0.03};
        PartGeometry g;
        g.part = kTorso;
        g.shape = Shape::Hull;
        V3 centre[5];
        std::vector<V2> section[5];
        for (int i = 0; i < 5; ++i) {
            const M3& frame = levels[i] <= 0 ? pelvis : chest;
            centre[i] = frame * V3{0, levels[i], 0};
            crossSection(section[i], centre[i], frame.c[0] * b.torsoHalfWidth[i], frame.c[2] * b.torsoHalfDepth[i]);
        }
        for (int i = 0; i < 4; ++i) {
            std::vector<V2> pts = section[i];
            pts.insert(pts.end(), section[i + 1].begin(), section[i + 1].end());
            g.hulls.push_back(convexHull(pts));
        }
        g.a = xy(centre[0]);
        g.b = xy(centre[4]);
        const V2 spine = g.b - g.a, side = xy(chest.c[0]);
        if (length(spine) > 0.05)
            g.lateral = V2{-spine.y, spine.x} * (1.0 / length(spine));
        else
            g.lateral = length(side) > 1e-3 ? side * (1.0 / length(side)) : V2{1, 0};
        for (int i = 0; i < 5; ++i) {
            g.levelCentre.push_back(xy(centre[i]));
            const double w = b.torsoHalfWidth[i] * dot(xy(chest.c[0]), g.lateral);
            const double d = b.torsoHalfDepth[i] * dot(xy(chest.c[2]), g.lateral);
            g.levelHalf.push_back(std::max(1e-6, std::sqrt(w * w + d * d)));
        }
        g.length = b.torso;
        g.belt = b.belt;
        g.facing = chest.c[2].z < 0;
        // Two layers: the pelvis (hips to waist) and the chest (waist to shoulders), each sorted
        // by its own depth; limbs at the same depth go in front of them.
        PartGeometry pelvisPart = g;
        pelvisPart.part = kPelvis;
        pelvisPart.hulls.assign(g.hulls.begin(), g.hulls.begin() + 2);
        pelvisPart.depth = pelvisPart.group = (centre[0].z + centre[2].z) / 2 + 0.03;
        g.hulls.erase(g.hulls.begin(), g.hulls.begin() + 2);
        g.depth = g.group = (centre[2].z + centre[4].z) / 2 + 0.03;
        parts.push_back(pelvisPart);
        parts.push_back(g);
    }

    // Head: an ellipsoid with face marks; the neck and the marks sort together with it.
    const V3 neckBase = chest * V3{0, b.torso - 0.02, 0};
    const M3 head = chest * rotY(p.headYaw) * rotX(-p.headPitch) * rotZ(p.headRoll);
    const double R = b.headR;
    const V3 headCentre = neckBase + head * V3{0, b.neck * 0.6 + 1.2 * R * 0.85, 0.15 * R};
    const M3 skull{{head.c[0] * R, head.c[1] * (1.2 * R), head.c[2] * (1.08 * R)}};
    const double headZ = headCentre.z;
    {
        PartGeometry g = capsule(kNeck, neckBase, headCentre - head.c[1] * (0.6 * R), b.neckR, b.neckR * 0.95);
        g.group = headZ;
        g.depth = headZ + 1e3;  // first within the head group
        parts.push_back(g);
        PartGeometry s;
        s.part = kHead;
        s.shape = Shape::Ellipsoid;
        s.a = xy(headCentre);
        s.m = skull;
        s.depth = s.group = headZ;
        s.length = 2.4 * R;
        s.facing = head.c[2].z < 0;
        parts.push_back(s);
    }
    const V2 headUp = xy(head.c[1]) * R;
    auto feature = [&](int part, int keypoint, V3 onSphere, double radius, double stretch) {
        const V3 pos = headCentre + skull * onSphere;
        PartGeometry g = capsule(part, pos, pos, radius * R, radius * R);
        g.a = xy(pos) - headUp * stretch;
        g.b = xy(pos) + headUp * stretch;
        g.group = headZ;
        g.depth = pos.z;
        parts.push_back(g);
        fig.keypoints[keypoint] = xy(pos);
    };
    feature(kNose, 0, {0, -0.12, 1.04}, 0.16, 0.0);
    feature(kLeftEye, 1, {-0.36, 0.12, 0.9}, 0.12, 0.0);
    feature(kRightEye, 2, {0.36, 0.12, 0.9}, 0.12, 0.0);
    feature(kLeftEar, 3, {-1.08, 0.0, -0.08}, 0.17, 0.22);
    feature(kRightEar, 4, {1.08, 0.0, -0.08}, 0.17, 0.22);

    // Arms and legs: s = 0 left (the person's -x), 1 right.
    for (int s = 0; s < 2; ++s) {
        const double sign = s == 0 ? -1.0 : 1.0;
        const ArmAngles& a = p.arm[s];
        const V3 shoulder = chest * V3{sign * b.shoulderHalf, b.torso - 0.035, 0};
        const M3 upper = chest * rotZ(sign * a.abd) * rotX(-a.flex) * rotY(sign * a.rot);
        const V3 elbow = shoulder + upper * (down * b.upperArm);
        const M3 fore = upper * rotX(-a.elbow);
        const V3 wrist = elbow + fore * (down * b.forearm);
        const M3 hand = fore * rotX(-a.wrist);
        const V3 fingers = wrist + hand * (down * b.hand);
        parts.push_back(capsule(kLeftUpperArm + s, shoulder, elbow, b.upperArmR[0], b.upperArmR[1]));
        parts.push_back(capsule(kLeftForearm + s, elbow, wrist, b.forearmR[0], b.forearmR[1]));
        parts.push_back(capsule(kLeftHand + s, wrist, fingers, b.handR * 0.85, b.handR));
        fig.keypoints[5 + s] = xy(shoulder);
        fig.keypoints[7 + s] = xy(elbow);
        fig.keypoints[9 + s] = xy(wrist);

        const LegAngles& l = p.leg[s];
        const V3 hip = pelvis * V3{sign * b.hipHalf, 0, 0};
        const M3 thigh = pelvis * rotZ(sign * l.abd) * rotX(-l.flex) * rotY(sign * l.rot);
        const V3 knee = hip + thigh * (down * b.thigh);
        const M3 shin = thigh * rotX(l.knee);
        const V3 ankle = knee + shin * (down * b.shin);
        const M3 foot = shin * rotX(-(kPi / 2 + l.ankle));
        const V3 footDir = foot * (down * 1.0), shinDown = shin * (down * 1.0);
        const V3 heel = ankle + shinDown * 0.02 - footDir * 0.03;
        const V3 toe = ankle + shinDown * 0.03 + footDir * (b.foot - 0.03);
        parts.push_back(capsule(kLeftThigh + s, hip, knee, b.thighR[0], b.thighR[1]));
        parts.push_back(capsule(kLeftShin + s, knee, ankle, b.shinR[0], b.shinR[1]));
        parts.push_back(capsule(kLeftFoot + s, heel, toe, b.footR * 0.9, b.footR));
        fig.keypoints[11 + s] = xy(hip);
        fig.keypoints[13 + s] = xy(knee);
        fig.keypoints[15 + s] = xy(ankle);
    }

    std::stable_sort(parts.begin(), parts.end(), [](const PartGeometry& x, const PartGeometry& y) {
        if (x.group != y.group) return x.group > y.group;
        return x.depth > y.depth;
    });

    // Extent.
    fig.minX = fig.minY = 1e9;
    fig.maxX = fig.maxY = -1e9;
    auto grow = [&](V2 q, double r) {
        fig.minX = std::min(fig.minX, q.x - r), fig.maxX = std::max(fig.maxX, q.x + r);
        fig.minY = std::min(fig.minY, q.y - r), fig.maxY = std::max(fig.maxY, q.y + r);
    };
    for (const PartGeometry& g : parts) {
        if (g.shape == Shape::Capsule) {
            grow(g.a, g.ra), grow(g.b, g.rb);
        } else if (g.shape == Shape::Hull) {
            for (const auto& h : g.hulls)
                for (V2 q : h)
                    grow(q, 0);
        } else {
            grow(g.a, 1.25 * R);
        }
    }
    return fig;
}

void placeFigure(Figure& f, double stature, V2 offset) {
    auto map = [&](V2 q) { return q * stature + offset; };
    for (PartGeometry& g : f.parts) {
        g.a = map(g.a), g.b = map(g.b);
        g.ra *= stature, g.rb *= stature;
        for (auto& h : g.hulls)
            for (V2& q : h)
                q = map(q);
        for (V2& q : g.levelCentre)
            q = map(q);
        for (double& h : g.levelHalf)
            h *= stature;
        for (V3& c : g.m.c)
            c = c * stature;
        g.depth *= stature, g.group *= stature;
    }
    for (V2& k : f.keypoints)
        k = map(k);
    f.stature = stature;
    f.minX = f.minX * stature + offset.x, f.maxX = f.maxX * stature + offset.x;
    f.minY = f.minY * stature + offset.y, f.maxY = f.maxY * stature + offset.y;
}

}  // namespace posescope::synth
