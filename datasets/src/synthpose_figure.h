// SynthPose internals: the human figure — body proportions, joint angles within human limits, a
// small 3D forward-kinematic model seen by an orthographic camera, and its body parts as 2D
// shapes sorted back to front.
#pragma once

#include <cstdint>
#include <vector>

#include "synthpose_math.h"

namespace posescope::synth {

constexpr int kKeypoints = 17;  // COCO order (cocoSkeleton())

enum Part : int {
    kTorso,
    kNeck,
    kHead,
    kNose,
    kLeftEye,
    kRightEye,
    kLeftEar,
    kRightEar,
    kLeftUpperArm,
    kRightUpperArm,
    kLeftForearm,
    kRightForearm,
    kLeftHand,
    kRightHand,
    kLeftThigh,
    kRightThigh,
    kLeftShin,
    kRightShin,
    kLeftFoot,
    kRightFoot,
    kPelvis,  // the torso below the waist (a layer of its own so that it sorts with the thighs)
    kPartCount
};

const char* partName(int part);
/// The COCO keypoints (bit k = keypoint k) a part carries: a keypoint is visible when the
/// topmost layer at its pixel is one of these parts of the same person.
uint32_t partKeypoints(int part);

/// Lengths and half-thicknesses as fractions of the stature.
struct Body {
    double headR, neck, neckR, torso, shoulderHalf, hipHalf;
    double upperArm, forearm, hand, thigh, shin, foot;
    double upperArmR[2], forearmR[2], handR, thighR[2], shinR[2], footR;
    double torsoHalfWidth[5], torsoHalfDepth[5];  // hips bottom, hips, waist, chest, shoulders
    double belt;                                  // where the trousers end, 0 (hips) … 1 (shoulders)
};

struct ArmAngles {
    double abd = 0, flex = 0, rot = 0, elbow = 0, wrist = 0;
};
struct LegAngles {
    double abd = 0, flex = 0, rot = 0, knee = 0, ankle = 0;
};

/// Joint angles in radians; index 0 is the left side, 1 the right side.
struct Pose {
    double yaw = 0, pitch = 0, roll = 0;  // body orientation (yaw 0: facing the camera)
    double lean = 0, sideBend = 0, twist = 0;
    double headYaw = 0, headPitch = 0, headRoll = 0;
    ArmAngles arm[2];
    LegAngles leg[2];
};

Body sampleBody(Rng& rng);
Pose samplePose(Rng& rng);

enum class Shape { Capsule, Hull, Ellipsoid };

/// One body part in image coordinates (pixels once placed).
struct PartGeometry {
    int part = 0;
    Shape shape = Shape::Capsule;
    V2 a, b;                             // capsule axis; hull: spine from hips (a) to neck (b); ellipsoid: centre (a)
    double ra = 0, rb = 0;               // capsule radii at a and b
    std::vector<std::vector<V2>> hulls;  // hull: convex pieces whose union is the part
    std::vector<V2> levelCentre;         // hull: torso centre line and half-extent per level
    std::vector<double> levelHalf;
    V2 lateral;          // hull: image direction of the torso's width
    M3 m;                // ellipsoid: surface = centre + m·p, |p| = 1 (camera axes, z away)
    double depth = 0;    // larger is farther
    double group = 0;    // parts are sorted by group depth first (the head's parts share one)
    double length = 0;   // capsule or torso length in stature units (texture scale)
    double belt = 0;     // hull: trousers below this fraction of the torso, shirt above
    bool facing = true;  // torso and head: the front faces the camera
};

struct Figure {
    std::vector<PartGeometry> parts;  // back to front
    V2 keypoints[kKeypoints];
    double stature = 1;                             // pixels per stature unit
    double minX = 0, minY = 0, maxX = 0, maxY = 0;  // extent of all parts
};

/// The figure in stature units with the pelvis at the origin (x right, y down).
Figure buildFigure(const Body& body, const Pose& pose);
/// Scales by `stature` pixels and moves by `offset`.
void placeFigure(Figure& figure, double stature, V2 offset);

}  // namespace posescope::synth
