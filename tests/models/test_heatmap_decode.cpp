// Heatmap decoding (models/include/posescope/models/heatmap_decode.h): hand-derived cases, the
// per-map steps white-box (models/src/heatmap_decode_detail.h), and reference values written by
// the official NumPy/OpenCV decoding (scripts/make_decode_fixtures.py → tests/data/decode).
#include "heatmap_decode_detail.h"
#include "posescope/datasets/error.h"
#include "posescope/models/heatmap_decode.h"
#include "test_paths.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

using namespace posescope;
using namespace posescope::models;

namespace {

constexpr DecodeMethod kAllMethods[] = {DecodeMethod::Argmax, DecodeMethod::ArgmaxQuarterOffset, DecodeMethod::Dark};

torch::Tensor gaussianMap(int h, int w, double cx, double cy, double sigma, double amp = 1.0) {
    torch::Tensor t = torch::empty({h, w}, torch::kFloat32);
    auto a = t.accessor<float, 2>();
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            a[y][x] =
                static_cast<float>(amp * std::exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * sigma * sigma)));
    return t;
}

Keypoint decodeOne(const torch::Tensor& map, DecodeMethod method, int kernel = 11) {
    return decodeHeatmaps(map.view({1, 1, map.size(0), map.size(1)}), {method, kernel}).at(0).at(0);
}

// f(x, y) = −(0.5·(x − x0)² + 0.25·(y − y0)² + 0.125·(x − x0)(y − y0)): a log map whose Newton step
// lands on (x0, y0) from any start, since the official central differences are exact on quadratics.
std::vector<float> logQuadratic(int h, int w, double x0, double y0) {
    std::vector<float> m(static_cast<size_t>(h * w));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const double dx = x - x0, dy = y - y0;
            m[static_cast<size_t>(y * w + x)] = static_cast<float>(-(0.5 * dx * dx + 0.25 * dy * dy + 0.125 * dx * dy));
        }
    return m;
}

Keypoint stepFrom(const std::vector<float>& logMap, int h, int w, double x, double y) {
    Keypoint k;
    k.x = x;
    k.y = y;
    posescope::models::detail::taylorStep(logMap.data(), h, w, k);
    return k;
}

}  // namespace

TEST(Decode, ArgmaxOfASinglePeak) {
    torch::Tensor hm = torch::zeros({1, 1, 6, 8});
    hm[0][0][4][5] = 0.7f;  // y = 4, x = 5
    const Keypoint k = decodeHeatmaps(hm, {DecodeMethod::Argmax})[0][0];
    EXPECT_EQ(k.x, 5);
    EXPECT_EQ(k.y, 4);
    EXPECT_EQ(k.score, 0.7f);
}

TEST(Decode, ArgmaxTakesTheFirstMaximumInRowMajorOrder) {
    torch::Tensor hm = torch::zeros({1, 1, 6, 8});
    hm[0][0][3][2] = 0.5f;  // flat index 26
    hm[0][0][1][6] = 0.5f;  // flat index 14: first
    const Keypoint k = decodeHeatmaps(hm, {DecodeMethod::Argmax})[0][0];
    EXPECT_EQ(k.x, 6);
    EXPECT_EQ(k.y, 1);
}

TEST(Decode, NonPositiveMaximaZeroTheCoordinates) {
    torch::Tensor negative = torch::full({12, 10}, -1.0f);
    negative[3][7] = -0.25f;
    const torch::Tensor zero = torch::zeros({12, 10});
    for (DecodeMethod method : kAllMethods) {
        const Keypoint n = decodeOne(negative, method);
        EXPECT_EQ(n.x, 0) << static_cast<int>(method);
        EXPECT_EQ(n.y, 0) << static_cast<int>(method);
        EXPECT_EQ(n.score, -0.25f);
        const Keypoint z = decodeOne(zero, method);  // DARK divides 0 by 0 here, as the official code does
        EXPECT_EQ(z.x, 0) << static_cast<int>(method);
        EXPECT_EQ(z.y, 0) << static_cast<int>(method);
        EXPECT_EQ(z.score, 0);
    }
}

TEST(Decode, QuarterOffsetStepsTowardTheHigherNeighbour) {
    torch::Tensor map = torch::zeros({10, 12});
    map[4][5] = 1.0f;
    map[4][4] = 0.2f;  // left
    map[4][6] = 0.5f;  // right: higher → +0.25
    map[3][5] = 0.6f;  // up: higher → −0.25
    map[5][5] = 0.3f;  // down
    const Keypoint k = decodeOne(map, DecodeMethod::ArgmaxQuarterOffset);
    EXPECT_EQ(k.x, 5.25);
    EXPECT_EQ(k.y, 3.75);
    EXPECT_EQ(k.score, 1.0f);
    map[4][6] = 0.2f;  // equal neighbours: np.sign(0) = 0, no step along x
    const Keypoint equal = decodeOne(map, DecodeMethod::ArgmaxQuarterOffset);
    EXPECT_EQ(equal.x, 5);
    EXPECT_EQ(equal.y, 3.75);
}

TEST(Decode, QuarterOffsetOnlyInsideOneToSizeMinusOne) {
    // 1 < px < w − 1 and 1 < py < h − 1 (w = 12, h = 10); the right/lower neighbour is higher.
    auto at = [](int px, int py) {
        torch::Tensor map = torch::zeros({10, 12});
        map[py][px] = 1.0f;
        if (px + 1 < 12) map[py][px + 1] = 0.5f;
        if (py + 1 < 10) map[py + 1][px] = 0.5f;
        return decodeOne(map, DecodeMethod::ArgmaxQuarterOffset);
    };
    EXPECT_EQ(at(1, 5).x, 1);  // px = 1: no step at all
    EXPECT_EQ(at(1, 5).y, 5);
    EXPECT_EQ(at(2, 5).x, 2.25);
    EXPECT_EQ(at(2, 5).y, 5.25);
    EXPECT_EQ(at(10, 5).x, 10.25);  // px = w − 2: still inside
    EXPECT_EQ(at(11, 5).x, 11);     // px = w − 1
    EXPECT_EQ(at(5, 1).y, 1);
    EXPECT_EQ(at(5, 8).y, 8.25);  // py = h − 2
    EXPECT_EQ(at(5, 9).y, 9);
}

TEST(Heatmap, TaylorStepReachesTheExtremumOfALogQuadratic) {
    const int h = 32, w = 16;
    const std::vector<float> m = logQuadratic(h, w, 10.25, 20.5);
    const Keypoint k = stepFrom(m, h, w, 10, 20);
    EXPECT_NEAR(k.x, 10.25, 1e-5);
    EXPECT_NEAR(k.y, 20.5, 1e-5);
    // Hand check of the step from (10, 20): dx = 0.5·(f(11,20) − f(9,20)) = 0.3125, dy = 0.28125,
    // dxx = −1, dyy = −0.5, dxy = −0.125, det = 0.484375; −H⁻¹·∇ = (0.25, 0.5).
    EXPECT_FLOAT_EQ(static_cast<float>(k.x - 10), 0.25f);
    EXPECT_FLOAT_EQ(static_cast<float>(k.y - 20), 0.5f);
}

TEST(Heatmap, TaylorStepOnlyInsideOneToSizeMinusTwo) {
    // 1 < px < w − 2 and 1 < py < h − 2: the five-point stencil must fit.
    const int h = 32, w = 16;
    const std::vector<float> m = logQuadratic(h, w, 7.25, 15.5);
    auto moved = [&](int px, int py) {
        const Keypoint k = stepFrom(m, h, w, px, py);
        return k.x != px || k.y != py;
    };
    EXPECT_FALSE(moved(1, 15));
    EXPECT_TRUE(moved(2, 15));
    EXPECT_TRUE(moved(13, 15));   // w − 3
    EXPECT_FALSE(moved(14, 15));  // w − 2
    EXPECT_FALSE(moved(7, 1));
    EXPECT_TRUE(moved(7, 2));
    EXPECT_TRUE(moved(7, 29));   // h − 3
    EXPECT_FALSE(moved(7, 30));  // h − 2
    const Keypoint corner = stepFrom(m, h, w, 2, 29);
    EXPECT_NEAR(corner.x, 7.25, 1e-5);
    EXPECT_NEAR(corner.y, 15.5, 1e-5);
}

TEST(Heatmap, TaylorStepSkipsASingularHessian) {
    // f = −(x − 5)²: dyy = dxy = 0, so det H = 0 and the official code leaves the point alone
    // (even though the x extremum is well defined).
    const int h = 12, w = 12;
    std::vector<float> m(static_cast<size_t>(h * w));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            m[static_cast<size_t>(y * w + x)] = static_cast<float>(-(x - 5.5) * (x - 5.5));
    const Keypoint k = stepFrom(m, h, w, 5, 6);
    EXPECT_EQ(k.x, 5);
    EXPECT_EQ(k.y, 6);
}

TEST(Heatmap, DarkLogMapIsTheRescaledBlurFlooredAt1e10) {
    const int h = 40, w = 30;
    std::vector<float> map(static_cast<size_t>(h * w), 0.0f);
    map[static_cast<size_t>(20 * w + 15)] = 0.9f;
    std::vector<float> out(map.size());
    posescope::models::detail::darkLogMap(map.data(), h, w, 11, out.data());
    // The blurred map is rescaled to the original maximum: log(0.9) at the peak (to float32 rounding).
    EXPECT_NEAR(out[static_cast<size_t>(20 * w + 15)], std::log(0.9f), 1e-6);
    // Beyond the kernel radius (5) the blur is exactly 0 → log(float32(1e-10)).
    EXPECT_EQ(out[static_cast<size_t>(20 * w + 21)], std::log(1e-10f));
    EXPECT_GT(out[static_cast<size_t>(20 * w + 20)], std::log(1e-10f));
    // Symmetric around the peak.
    EXPECT_EQ(out[static_cast<size_t>(20 * w + 13)], out[static_cast<size_t>(20 * w + 17)]);
    EXPECT_EQ(out[static_cast<size_t>(18 * w + 15)], out[static_cast<size_t>(22 * w + 15)]);
}

TEST(Decode, DarkKeepsASymmetricIntegerPeak) {
    const Keypoint k = decodeOne(gaussianMap(64, 48, 23, 31, 2.0, 0.8), DecodeMethod::Dark);
    EXPECT_NEAR(k.x, 23, 1e-5);
    EXPECT_NEAR(k.y, 31, 1e-5);
    EXPECT_FLOAT_EQ(static_cast<float>(k.score), 0.8f);
}

TEST(Decode, DarkRefinesASubPixelGaussian) {
    // A σ = 2 Gaussian stays (nearly) Gaussian under the σ = 2 blur, its log is quadratic, so one
    // Newton step recovers the centre up to the truncation of the 11×11 kernel.
    const Keypoint k = decodeOne(gaussianMap(64, 48, 20.3, 30.6, 2.0), DecodeMethod::Dark);
    EXPECT_NEAR(k.x, 20.3, 0.01);
    EXPECT_NEAR(k.y, 30.6, 0.01);
    const Keypoint a = decodeOne(gaussianMap(64, 48, 20.3, 30.6, 2.0), DecodeMethod::Argmax);
    EXPECT_EQ(a.x, 20);
    EXPECT_EQ(a.y, 31);
    // The kernel is configurable (the cfg default is 3): a different blur, a different estimate.
    const Keypoint k3 = decodeOne(gaussianMap(64, 48, 20.3, 30.6, 2.0), DecodeMethod::Dark, 3);
    EXPECT_NE(k3.x, k.x);
    EXPECT_NEAR(k3.x, 20.3, 0.05);
}

TEST(Decode, DarkNearTheBorderStopsAtTheTaylorBounds) {
    // Peaks on x = 1 and x = w − 2 keep their integer argmax; x = 2 is refined.
    EXPECT_EQ(decodeOne(gaussianMap(64, 48, 1.3, 30.2, 2.0), DecodeMethod::Dark).x, 1);
    EXPECT_EQ(decodeOne(gaussianMap(64, 48, 46.2, 30.2, 2.0), DecodeMethod::Dark).x, 46);
    EXPECT_NE(decodeOne(gaussianMap(64, 48, 2.3, 30.2, 2.0), DecodeMethod::Dark).x, 2);
    EXPECT_EQ(decodeOne(gaussianMap(64, 48, 20.0, 61.8, 2.0), DecodeMethod::Dark).y, 62);
}

TEST(Decode, AcceptsAnyFloatTensorLayout) {
    const torch::Tensor hm = torch::rand({2, 3, 16, 12});
    const auto ref = decodeHeatmaps(hm);
    const auto fromDouble = decodeHeatmaps(hm.to(torch::kFloat64));
    const auto fromView = decodeHeatmaps(hm.transpose(2, 3).contiguous().transpose(2, 3));  // non-contiguous
    for (int n = 0; n < 2; ++n)
        for (int k = 0; k < 3; ++k) {
            EXPECT_EQ(ref[n][k].x, fromDouble[n][k].x);
            EXPECT_EQ(ref[n][k].y, fromView[n][k].y);
            EXPECT_EQ(ref[n][k].score, fromView[n][k].score);
        }
}

TEST(Decode, MapsBackToTheImageWithTheWMinusOneConvention) {
    // transform_preds: x = (x_hm − 23.5)·(s_w − 1)/47 + cx, y = (y_hm − 31.5)·(s_w − 1)/47 + cy.
    const CenterScale cs = boxToCenterScale({100, 50, 60, 120});  // 200·s_w = 112.5, center (129.5, 109.5)
    torch::Tensor hm = torch::zeros({1, 2, 64, 48});
    hm[0][0][63][47] = 1.0f;
    hm[0][1][10][5] = 1.0f;
    const auto people = decodeToImage(hm, {cs}, {DecodeMethod::Argmax});
    ASSERT_EQ(people.size(), 1u);
    ASSERT_EQ(people[0].size(), 2u);
    EXPECT_NEAR(people[0][0].x, 23.5 * 111.5 / 47 + 129.5, 1e-4);
    EXPECT_NEAR(people[0][0].y, 31.5 * 111.5 / 47 + 109.5, 1e-4);
    EXPECT_NEAR(people[0][1].x, (5 - 23.5) * 111.5 / 47 + 129.5, 1e-4);
    EXPECT_NEAR(people[0][1].y, (10 - 31.5) * 111.5 / 47 + 109.5, 1e-4);
    const cv::Point2d p = fromCrop({5, 10}, cs, {48, 64});
    EXPECT_EQ(people[0][1].x, static_cast<float>(p.x));  // stored as float32, like the official preds
    EXPECT_EQ(people[0][1].y, static_cast<float>(p.y));
    EXPECT_EQ(people[0][1].score, 1.0);
}

TEST(Decode, RejectsBadInput) {
    EXPECT_THROW(decodeHeatmaps(torch::zeros({17, 64, 48})), Error);
    EXPECT_THROW(decodeHeatmaps(torch::Tensor()), Error);
    EXPECT_THROW(decodeHeatmaps(torch::zeros({1, 17, 0, 48})), Error);
    EXPECT_THROW(decodeHeatmaps(torch::zeros({1, 1, 8, 8}), {DecodeMethod::Dark, 4}), Error);
    EXPECT_THROW(decodeHeatmaps(torch::zeros({1, 1, 8, 8}), {DecodeMethod::Dark, 1}), Error);
    EXPECT_NO_THROW(decodeHeatmaps(torch::zeros({1, 1, 8, 8}), {DecodeMethod::Argmax, 4}));  // kernel unused
    EXPECT_THROW(decodeToImage(torch::zeros({2, 17, 64, 48}), {CenterScale{}}), Error);
    EXPECT_TRUE(decodeToImage(torch::zeros({0, 17, 64, 48}), {}).empty());
}

// ---- the official NumPy/OpenCV decoding (scripts/make_decode_fixtures.py) -----------------------

namespace {

struct Fixture {
    int n = 0, k = 0, h = 0, w = 0, kernel = 0;
    std::vector<CenterScale> cs;
    // per (n, k): maxval, argmax xy, quarter xy, dark xy, argmax img xy, quarter img xy, dark img xy
    std::vector<std::array<double, 13>> rows;
    torch::Tensor heatmaps;
};

Fixture loadFixture() {
    Fixture f;
    std::ifstream text(test::dataPath("decode/expected.txt"));
    EXPECT_TRUE(text.good());
    std::string line;
    while (std::getline(text, line)) {
        std::istringstream in(line);
        std::string tag;
        in >> tag;
        if (tag == "shape") {
            in >> f.n >> f.k >> f.h >> f.w;
        } else if (tag == "kernel") {
            in >> f.kernel;
        } else if (tag == "cs") {
            int i = 0;
            double cx, cy, sw, sh;
            in >> i >> cx >> cy >> sw >> sh;
            f.cs.push_back(
                {static_cast<float>(cx), static_cast<float>(cy), static_cast<float>(sw), static_cast<float>(sh)});
        } else if (tag == "kp") {
            int n = 0, k = 0;
            std::array<double, 13> v{};
            in >> n >> k;
            for (double& x : v)
                in >> x;
            EXPECT_FALSE(in.fail()) << line;
            EXPECT_EQ(static_cast<int>(f.rows.size()), n * f.k + k);
            f.rows.push_back(v);
        }
    }
    f.heatmaps = torch::empty({f.n, f.k, f.h, f.w}, torch::kFloat32);
    std::ifstream bin(test::dataPath("decode/heatmaps.bin"), std::ios::binary);
    bin.read(reinterpret_cast<char*>(f.heatmaps.data_ptr<float>()), static_cast<std::streamsize>(f.heatmaps.nbytes()));
    EXPECT_EQ(bin.gcount(), static_cast<std::streamsize>(f.heatmaps.nbytes()));
    return f;
}

}  // namespace

TEST(Heatmap, MatchesTheOfficialDecodingReferences) {
    const Fixture f = loadFixture();
    ASSERT_EQ(f.n, 2);
    ASSERT_EQ(f.cs.size(), 2u);
    ASSERT_EQ(static_cast<int>(f.rows.size()), f.n * f.k);

    struct Case {
        DecodeMethod method;
        int column;       // heatmap x in the row; y follows, image x/y at column + 6 … (see the script)
        double hmTol;     // heatmap pixels
        double imageTol;  // image pixels
    };
    // Argmax and the quarter step are exact; the image mapping may differ in the last float32 bit;
    // DARK to ~1e-4 px (NumPy's SIMD float32 log and LAPACK's inverse vs std::log and Cramer).
    const Case cases[] = {{DecodeMethod::Argmax, 1, 0, 1e-4},
                          {DecodeMethod::ArgmaxQuarterOffset, 3, 0, 1e-4},
                          {DecodeMethod::Dark, 5, 1e-4, 1e-3}};
    for (const Case& c : cases) {
        const auto hm = decodeHeatmaps(f.heatmaps, {c.method, f.kernel});
        const auto img = decodeToImage(f.heatmaps, f.cs, {c.method, f.kernel});
        double worstHm = 0, worstImg = 0;
        int differ = 0;
        for (int n = 0; n < f.n; ++n)
            for (int k = 0; k < f.k; ++k) {
                const auto& r = f.rows[static_cast<size_t>(n * f.k + k)];
                const Keypoint& a = hm[n][k];
                const Keypoint& b = img[n][k];
                // The file holds float32 values with 9 digits: compare as float32.
                const auto f32 = [](double v) { return static_cast<float>(v); };
                EXPECT_EQ(f32(a.score), f32(r[0])) << n << "," << k;
                EXPECT_EQ(f32(b.score), f32(r[0])) << n << "," << k;
                const int imgCol = 7 + (c.column - 1);  // argmax img at 7, quarter img at 9, dark img at 11
                const double dx = std::abs(f32(a.x) - f32(r[c.column]));
                const double dy = std::abs(f32(a.y) - f32(r[c.column + 1]));
                const double ix = std::abs(f32(b.x) - f32(r[imgCol]));
                const double iy = std::abs(f32(b.y) - f32(r[imgCol + 1]));
                EXPECT_LE(std::max(dx, dy), c.hmTol)
                    << "method " << static_cast<int>(c.method) << " at " << n << "," << k;
                EXPECT_LE(std::max(ix, iy), c.imageTol)
                    << "method " << static_cast<int>(c.method) << " at " << n << "," << k;
                worstHm = std::max({worstHm, dx, dy});
                differ += std::max(dx, dy) > 0;
                worstImg = std::max({worstImg, ix, iy});
            }
        std::cout << "[ decode  ] method " << static_cast<int>(c.method) << ": max |Δ| " << worstHm << " heatmap px, "
                  << worstImg << " image px; " << differ << " of " << f.n * f.k << " keypoints differ at all\n";
    }
}
