#include "posescope/models/flops.h"

#include <ATen/record_function.h>
#include <torch/torch.h>

namespace posescope::models {
namespace {

// The count of the countFlops() running on this thread; `depth` > 0 while inside a counted
// operator, whose own sub-operators (e.g. a convolution's im2col product) are not counted again.
struct Counter {
    FlopCount count;
    int depth = 0;
};
thread_local Counter* t_counter = nullptr;

struct Counted : at::ObserverContext {};

int64_t product(c10::IntArrayRef sizes, size_t from = 0) {
    int64_t p = 1;
    for (size_t i = from; i < sizes.size(); ++i)
        p *= sizes[i];
    return p;
}

std::vector<int64_t> intList(const c10::IValue& v, size_t n, int64_t fallback) {
    std::vector<int64_t> out(n, fallback);
    if (!v.isIntList()) return out;
    const auto l = v.toIntVector();
    for (size_t i = 0; i < n; ++i)
        out[i] = l.size() == 1 ? l[0] : (i < l.size() ? l[i] : fallback);
    return out;
}

// Multiply-adds of aten::convolution(input, weight, bias, stride, padding, dilation, transposed,
// output_padding, groups). Normal: every output element sums Cin/groups · k taps; transposed:
// every input element scatters to Cout/groups · k outputs (weight [Cin, Cout/groups, k…]).
double convolution(c10::ArrayRef<const c10::IValue> in, bool& transposed) {
    const at::Tensor x = in[0].toTensor(), w = in[1].toTensor();
    transposed = in.size() > 6 && in[6].isBool() && in[6].toBool();
    const int64_t taps = product(w.sizes(), 2);
    if (transposed) return static_cast<double>(x.numel()) * static_cast<double>(w.size(1) * taps);
    const size_t spatial = static_cast<size_t>(x.dim() - 2);
    const auto stride = intList(in[3], spatial, 1), padding = intList(in[4], spatial, 0),
               dilation = intList(in[5], spatial, 1);
    double outputs = static_cast<double>(x.size(0) * w.size(0));
    for (size_t i = 0; i < spatial; ++i) {
        const int64_t n = x.size(static_cast<int64_t>(i) + 2);
        const int64_t k = w.size(static_cast<int64_t>(i) + 2);
        outputs *= static_cast<double>((n + 2 * padding[i] - dilation[i] * (k - 1) - 1) / stride[i] + 1);
    }
    return outputs * static_cast<double>(w.size(1) * taps);
}

// [.., n, k] · [.., k, m]: n·k·m per matrix (addmm, mm, bmm, baddbmm: the last two inputs of the
// product are the matrices; addmm and baddbmm take the added term first).
double matrixProduct(const at::Tensor& a, const at::Tensor& b) {
    return static_cast<double>(a.numel()) * static_cast<double>(b.size(-1));
}

std::unique_ptr<at::ObserverContext> onStart(const at::RecordFunction& fn) {
    Counter* c = t_counter;
    if (!c) return nullptr;
    const std::string name = fn.name();
    const bool conv = name == "aten::convolution";
    const bool mm = name == "aten::mm" || name == "aten::bmm";
    const bool addmm = name == "aten::addmm" || name == "aten::baddbmm";
    if (!conv && !mm && !addmm) return nullptr;
    if (c->depth++ == 0) {
        const auto in = fn.inputs();
        double macs = 0;
        std::string kind = "matrix product";
        if (conv) {
            bool transposed = false;
            macs = convolution(in, transposed);
            kind = transposed ? "transposed convolution" : "convolution";
        } else {
            const size_t a = mm ? 0 : 1;
            macs = matrixProduct(in[a].toTensor(), in[a + 1].toTensor());
        }
        c->count.multiplyAdds += macs;
        c->count.byKind[kind] += macs;
    }
    return std::make_unique<Counted>();
}

void onEnd(const at::RecordFunction&, at::ObserverContext* context) {
    if (context && t_counter) --t_counter->depth;
}

}  // namespace

FlopCount countFlops(const std::function<void()>& work) {
    Counter counter;
    Counter* const outer = t_counter;
    t_counter = &counter;
    at::RecordFunctionGuard enabled(true);
    const at::CallbackHandle handle = at::addThreadLocalCallback(
        at::RecordFunctionCallback(onStart, onEnd).needsInputs(true).scopes({at::RecordScope::FUNCTION}));
    try {
        work();
    } catch (...) {
        at::removeCallback(handle);
        t_counter = outer;
        throw;
    }
    at::removeCallback(handle);
    t_counter = outer;
    return counter.count;
}

FlopCount countForwardFlops(const PoseModel& model, int batch) {
    const ModelInfo& info = model.info();
    const torch::Tensor input = torch::zeros({batch, 3, info.inputHeight, info.inputWidth});
    return countFlops([&] {
        torch::NoGradGuard noGrad;
        model.forward(input);
    });
}

}  // namespace posescope::models
