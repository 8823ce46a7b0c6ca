// DPPT distillation terms (analysis/distill.h): zero for a student equal to its teacher, the
// teacher's attention gathered at the student's surviving tokens, gradients to the student only.
#include "posescope/analysis/distill.h"
#include "posescope/datasets/error.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

using namespace posescope;
using namespace posescope::analysis;

namespace {

// A traced layer of J keypoint tokens and `visual` tokens of a rows × cols grid with these
// keypoint → visual rows (the rest of the matrix uniform).
models::LayerTrace layerWith(const torch::Tensor& rows, const torch::Tensor& visual, int J, int gridRows,
                             int gridCols) {
    const int64_t V = visual.size(0), L = J + V;
    torch::Tensor mean = torch::full({1, L, L}, 1.0 / static_cast<double>(L));
    mean.slice(1, 0, J).slice(2, J).copy_(rows.unsqueeze(0));
    models::LayerTrace t;
    t.attentionMean = mean;
    t.visualTokens = visual.unsqueeze(0);
    t.gridRows = gridRows;
    t.gridCols = gridCols;
    return t;
}

}  // namespace

TEST(Distill, TeacherLayersAreMatchedByRelativeDepth) {
    EXPECT_EQ(matchedTeacherLayer(11, 12, 4), 3);
    EXPECT_EQ(matchedTeacherLayer(5, 12, 4), 1);
    EXPECT_EQ(matchedTeacherLayer(0, 12, 4), 0);
    EXPECT_EQ(matchedTeacherLayer(3, 4, 12), 11);
    EXPECT_EQ(matchedTeacherLayer(0, 4, 12), 2);
    EXPECT_EQ(matchedTeacherLayer(6, 12, 12), 6);
}

TEST(Distill, TheTeachersAttentionIsReadAtTheTokensTheStudentKept) {
    torch::manual_seed(4);
    const int J = 2, rows = 2, cols = 3, T = rows * cols;
    const torch::Tensor teacherRows = torch::rand({J, T});
    const models::LayerTrace teacher = layerWith(teacherRows, torch::arange(T), J, rows, cols);
    // The student kept tokens 4, 0 and 3, in this order (pruning reorders by score).
    const torch::Tensor kept = torch::tensor({4, 0, 3}, torch::kInt64);
    models::Trace st, tt;
    tt.layers = {teacher};
    const torch::Tensor hm = torch::zeros({1, J, 4, 3}), weight = torch::ones({1, J});
    // Proportional to the teacher's rows at those tokens: no attention loss (mass renormalised).
    st.layers = {layerWith(teacherRows.index_select(1, kept) * 0.5, kept, J, rows, cols)};
    DistillTerms d = distillationTerms(hm, st, hm, tt, weight, J, {1, 1, 0});
    EXPECT_NEAR(d.attention.item<double>(), 0, 1e-12);
    // The same values in another order are a different map.
    st.layers = {layerWith(teacherRows.index_select(1, torch::tensor({0, 3, 4}, torch::kInt64)), kept, J, rows, cols)};
    d = distillationTerms(hm, st, hm, tt, weight, J, {1, 1, 0});
    EXPECT_GT(d.attention.item<double>(), 1e-3);
    // Another grid cannot be compared.
    st.layers = {layerWith(teacherRows.index_select(1, kept), kept, J, 3, 2)};
    EXPECT_THROW(distillationTerms(hm, st, hm, tt, weight, J, {1, 1, 0}), Error);
}

TEST(Distill, HeatmapAndFeatureTermsAndTheirGradients) {
    torch::manual_seed(5);
    const int J = 3;
    const torch::Tensor student = torch::rand({2, J, 4, 3}).requires_grad_(true);
    const torch::Tensor teacherHm = torch::rand({2, J, 4, 3}).requires_grad_(true);
    const torch::Tensor weight = torch::tensor({{1.f, 0.f, 1.f}, {1.f, 1.f, 0.f}});
    models::Trace st, tt;
    st.extras["features/keypoint_tokens_out"] = torch::rand({2, J, 8}).requires_grad_(true);
    tt.extras["features/keypoint_tokens_out"] = torch::rand({2, J, 8});
    const DistillTerms d = distillationTerms(student, st, teacherHm, tt, weight, J, {1, 0, 1});
    const torch::Tensor want =
        (student - teacherHm).detach().mul(weight.unsqueeze(-1).unsqueeze(-1)).pow(2).mean() * 0.5;
    EXPECT_NEAR(d.heatmap.item<double>(), want.item<double>(), 1e-7);
    EXPECT_NEAR(d.feature.item<double>(),
                (st.extras.at("features/keypoint_tokens_out") - tt.extras.at("features/keypoint_tokens_out"))
                    .detach()
                    .pow(2)
                    .mean()
                    .item<double>(),
                1e-7);
    EXPECT_EQ(d.attention.item<double>(), 0);
    (d.heatmap + d.feature).backward();
    EXPECT_TRUE(student.grad().defined());
    EXPECT_FALSE(teacherHm.grad().defined());  // the teacher is never trained
    // Keypoint tokens of different widths need the feature weight at 0.
    tt.extras["features/keypoint_tokens_out"] = torch::rand({2, J, 16});
    EXPECT_THROW(distillationTerms(student, st, teacherHm, tt, weight, J, {1, 0, 1}), Error);
    EXPECT_NO_THROW(distillationTerms(student, st, teacherHm, tt, weight, J, {1, 0, 0}));
}
