// torch.optim.Adam / AdamW arithmetic with the state in PyTorch's state_dict layout (private to
// analysis/: the trainer and the DINO pre-training).
#pragma once

#include "posescope/datasets/error.h"
#include "posescope/models/checkpoint.h"

#include <torch/torch.h>

#include <cmath>
#include <vector>

namespace posescope::analysis {

// torch.optim.Adam (amsgrad off, no weight decay) with its state in PyTorch's state_dict layout.
struct Adam {
    using CheckpointValue = models::CheckpointValue;
    std::vector<torch::Tensor> params;  // module.parameters() order (PyTorch's indices)
    std::vector<torch::Tensor> expAvg, expAvgSq;
    std::vector<int64_t> steps;  // per parameter (PyTorch keeps one per state entry)
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;

    explicit Adam(std::vector<torch::Tensor> p) : params(std::move(p)) {
        for (const torch::Tensor& t : params) {
            expAvg.push_back(torch::zeros_like(t));
            expAvgSq.push_back(torch::zeros_like(t));
            steps.push_back(0);
        }
    }

    void zeroGrad() {
        for (torch::Tensor& p : params)
            if (p.grad().defined()) p.mutable_grad().zero_();
    }

    /// One step; `weightDecay` > 0 decays the parameters whose `decays` flag is set first, as
    /// AdamW does (p ← p·(1 − lr·wd)); `decays` empty: every parameter.
    void step(double lr, double weightDecay = 0, const std::vector<bool>& decays = {}) {
        torch::NoGradGuard noGrad;
        for (size_t i = 0; i < params.size(); ++i) {
            torch::Tensor& p = params[i];
            if (!p.grad().defined()) continue;
            if (weightDecay > 0 && (decays.empty() || decays[i])) p.mul_(1 - lr * weightDecay);
            const torch::Tensor& g = p.grad();
            const int64_t t = ++steps[i];
            expAvg[i].lerp_(g, 1 - beta1);
            expAvgSq[i].mul_(beta2).addcmul_(g, g, 1 - beta2);
            const double bc1 = 1 - std::pow(beta1, static_cast<double>(t));
            const double bc2 = 1 - std::pow(beta2, static_cast<double>(t));
            const torch::Tensor denom = (expAvgSq[i].sqrt() / std::sqrt(bc2)).add_(eps);
            p.addcdiv_(expAvg[i], denom, -lr / bc1);
        }
    }

    CheckpointValue state(double lr) const {
        std::vector<std::pair<CheckpointValue, CheckpointValue>> st;
        std::vector<CheckpointValue> indices;
        for (size_t i = 0; i < params.size(); ++i) {
            indices.emplace_back(static_cast<int64_t>(i));
            if (steps[i] == 0) continue;
            st.emplace_back(CheckpointValue(static_cast<int64_t>(i)),
                            CheckpointValue::dict({{CheckpointValue("step"),
                                                    CheckpointValue(torch::tensor(static_cast<float>(steps[i])))},
                                                   {CheckpointValue("exp_avg"), CheckpointValue(expAvg[i])},
                                                   {CheckpointValue("exp_avg_sq"), CheckpointValue(expAvgSq[i])}}));
        }
        const CheckpointValue group = CheckpointValue::dict(
            {{CheckpointValue("lr"), CheckpointValue(lr)},
             {CheckpointValue("betas"), CheckpointValue::list({CheckpointValue(beta1), CheckpointValue(beta2)}, true)},
             {CheckpointValue("eps"), CheckpointValue(eps)},
             {CheckpointValue("weight_decay"), CheckpointValue(int64_t{0})},
             {CheckpointValue("amsgrad"), CheckpointValue(false)},
             {CheckpointValue("maximize"), CheckpointValue(false)},
             {CheckpointValue("foreach"), CheckpointValue()},
             {CheckpointValue("capturable"), CheckpointValue(false)},
             {CheckpointValue("differentiable"), CheckpointValue(false)},
             {CheckpointValue("fused"), CheckpointValue(false)},
             {CheckpointValue("params"), CheckpointValue::list(indices)}});
        return CheckpointValue::dict({{CheckpointValue("state"), CheckpointValue::dict(std::move(st))},
                                      {CheckpointValue("param_groups"), CheckpointValue::list({group})}});
    }

    void restore(const models::CheckpointContents& c) {
        torch::NoGradGuard noGrad;
        for (size_t i = 0; i < params.size(); ++i) {
            const std::string base = "optimizer.state." + std::to_string(i) + ".";
            bool present = false;
            for (const auto& [name, t] : c.tensors)
                if (name == base + "exp_avg") present = true;
            if (!present) {
                steps[i] = 0;
                expAvg[i].zero_();
                expAvgSq[i].zero_();
                continue;
            }
            steps[i] = static_cast<int64_t>(std::llround(c.tensor(base + "step").item<double>()));
            const torch::Tensor& m = c.tensor(base + "exp_avg");
            const torch::Tensor& v = c.tensor(base + "exp_avg_sq");
            if (m.sizes() != params[i].sizes() || v.sizes() != params[i].sizes())
                throw FileError(c.source,
                                "optimizer state " + std::to_string(i) + " does not fit the model's parameter");
            expAvg[i].copy_(m);
            expAvgSq[i].copy_(v);
        }
    }
};

}  // namespace posescope::analysis
