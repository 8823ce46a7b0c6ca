#include "posescope/analysis/distill.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace posescope::analysis {

int matchedTeacherLayer(int index, int studentLayers, int teacherLayers) {
    // Student layer i ends (i + 1) / S of the way through; the teacher layer ending closest to it.
    const double depth = static_cast<double>(index + 1) / std::max(1, studentLayers);
    return std::clamp(static_cast<int>(std::lround(depth * teacherLayers)) - 1, 0, teacherLayers - 1);
}

namespace {

// Head-averaged keypoint → visual rows of a traced layer, [N, K, V] (with the layer's graph).
torch::Tensor keypointRows(const models::LayerTrace& layer, int keypoints) {
    const torch::Tensor mean = layer.attentionMean.defined() ? layer.attentionMean : layer.attention.mean(1);
    return mean.slice(1, 0, keypoints).slice(2, keypoints);
}

}  // namespace

DistillTerms distillationTerms(const torch::Tensor& studentHeatmaps, const models::Trace& student,
                               const torch::Tensor& teacherHeatmaps, const models::Trace& teacher,
                               const torch::Tensor& targetWeight, int keypoints, const DistillWeights& weights) {
    if (studentHeatmaps.sizes() != teacherHeatmaps.sizes())
        throw Error("distill: the student's heatmaps " + c10::str(studentHeatmaps.sizes()) + " and the teacher's " +
                    c10::str(teacherHeatmaps.sizes()) + " differ");
    DistillTerms d;
    const torch::Tensor w = targetWeight.unsqueeze(-1).unsqueeze(-1);
    d.heatmap = (studentHeatmaps - teacherHeatmaps.detach()).mul(w).pow(2).mean().mul(0.5);
    d.attention = torch::zeros({}, studentHeatmaps.options());
    d.feature = torch::zeros({}, studentHeatmaps.options());
    if (weights.attention != 0) {
        if (student.layers.empty() || teacher.layers.empty())
            throw Error("distill: attention distillation needs both models' traced layers");
        const int S = static_cast<int>(student.layers.size()), Tl = static_cast<int>(teacher.layers.size());
        for (int i = 0; i < S; ++i) {
            const models::LayerTrace& sl = student.layers[static_cast<size_t>(i)];
            const models::LayerTrace& tl = teacher.layers[static_cast<size_t>(matchedTeacherLayer(i, S, Tl))];
            if (sl.gridRows != tl.gridRows || sl.gridCols != tl.gridCols)
                throw Error("distill: the student's token grid " + std::to_string(sl.gridRows) + "×" +
                            std::to_string(sl.gridCols) + " differs from the teacher's " + std::to_string(tl.gridRows) +
                            "×" + std::to_string(tl.gridCols));
            if ((!sl.attention.defined() && !sl.attentionMean.defined()) ||
                (!tl.attention.defined() && !tl.attentionMean.defined()))
                throw Error("distill: attention distillation needs the traced attention of both models");
            const torch::Tensor s = keypointRows(sl, keypoints);              // [N, K, V_s]
            const torch::Tensor full = keypointRows(tl, keypoints).detach();  // [N, K, V_t]
            // The teacher's columns for the student's visual tokens (by original grid index).
            const torch::Tensor tIndex = tl.visualTokens;  // [N, V_t]
            torch::Tensor onGrid = torch::zeros(
                {full.size(0), full.size(1), static_cast<int64_t>(tl.gridRows) * tl.gridCols}, full.options());
            onGrid.scatter_(2, tIndex.unsqueeze(1).expand({-1, full.size(1), -1}), full);
            const torch::Tensor t = onGrid.gather(2, sl.visualTokens.unsqueeze(1).expand({-1, s.size(1), -1}));
            const torch::Tensor sn = s / s.sum(-1, true).clamp_min(1e-12);
            const torch::Tensor tn = t / t.sum(-1, true).clamp_min(1e-12);
            d.attention = d.attention + (sn - tn).pow(2).mean().mul(static_cast<double>(s.size(2)));
        }
        d.attention = d.attention / static_cast<double>(S);
    }
    if (weights.feature != 0) {
        const auto s = student.extras.find("features/keypoint_tokens_out");
        const auto t = teacher.extras.find("features/keypoint_tokens_out");
        if (s == student.extras.end() || t == teacher.extras.end())
            throw Error("distill: feature distillation needs keypoint tokens (TokenPose/PPT models)");
        if (s->second.sizes() != t->second.sizes())
            throw Error("distill: the keypoint tokens differ in shape (student " + c10::str(s->second.sizes()) +
                        ", teacher " + c10::str(t->second.sizes()) +
                        "); give both the same MODEL.DIM or set the "
                        "feature weight to 0");
        d.feature = (s->second - t->second.detach()).pow(2).mean();
    }
    return d;
}

}  // namespace posescope::analysis
