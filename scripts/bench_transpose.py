#!/usr/bin/python3
"""TransPose inference speed, C++ (PoseScope, LibTorch) vs PyTorch eager, side by side (issue #4).

    /usr/bin/python3 scripts/bench_transpose.py [--rounds N] [--rounds8 N8] [--repeats R] [--repeats8 R8]
                                                [--bench PATH] [--models r,h] [--batches 1,8] [--profile]

For TransPose-R-A4 and TransPose-H-A6 on 256x192 crops, batch 1 and 8, capture off and on, each
round runs the C++ benchmark binary (tests/bench/model_bench.cpp, a fresh process: 2 warm-up passes
then the median of R passes) and the same architecture written here as a plain PyTorch nn.Module
(eval(), torch.no_grad(), nn.MultiheadAttention with need_weights=True as the official code calls
it; 2 warm-up passes then the median of R passes), alternating which side goes first, N rounds
(N8 rounds of R8 passes at batch 8). The reported time is the median over the rounds, with the
fastest single pass beside it. Both sides use os.cpu_count() intra-op threads,
the same LibTorch (Debian's 1.13) and the same BLAS.

Capture: C++ passes a Trace that keeps every layer's per-head and head-averaged attention and its
tokens; Python keeps the head-averaged attention weights of every self_attn (forward hooks taking
output[1], as the official visualize.py does) and the output of every encoder layer.

Also measured: this machine's sgemm peak (torch.mm of square float32 matrices, best of several
runs, same thread count; GFLOP/s = 2n^3/t) and each model's FLOPs per forward at batch 1 (counted
by torch.profiler with_flops=True, cross-checked against an analytic count of the multiply-adds of
every conv, deconv, linear layer and attention product). Achieved GFLOP/s = FLOPs x batch / time.

With --profile, also prints where PyTorch eager spends its time by operator class (self CPU time
of torch.autograd.profiler) for each model at batch 1.

Prints a Markdown section for docs/benchmarks.md. Needs the C++ binary (build/tests/model_bench or
build-lead/tests/model_bench; --bench to choose).

The Python models below are written from the architecture description in
../shared/research/transpose.md section 1 and the C++ models in models/src/transpose/; they
use the official module names so the structure is easy to compare, but only speed matters here:
weights are random (as in model_bench).
"""
import argparse
import math
import os
import platform
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# --------------------------------------------------------------------------------------------
# The models (eager PyTorch, same architecture as models/src/transpose/*.cpp).


def conv_bn(cin, cout, k, stride, pad, relu):
    layers = [nn.Conv2d(cin, cout, k, stride, pad, bias=False), nn.BatchNorm2d(cout)]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)  # v1.5: stride in the 3x3
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or inplanes != planes * 4:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes * 4, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes * 4))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if inplanes != planes:
            self.downsample = conv_bn(inplanes, planes, 1, 1, 0, False)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class EncoderLayer(nn.Module):
    """Post-norm DETR-style layer: q = k = src + pos, v = src; ReLU FFN; sequence-first [L, N, d]."""

    def __init__(self, d, heads, ffn):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d, heads, dropout=0.1)
        self.linear1 = nn.Linear(d, ffn)
        self.dropout = nn.Dropout(0.1)
        self.linear2 = nn.Linear(ffn, d)
        self.norm1 = nn.LayerNorm(d)
        self.norm2 = nn.LayerNorm(d)
        self.dropout1 = nn.Dropout(0.1)
        self.dropout2 = nn.Dropout(0.1)

    def forward(self, src, pos):
        q = k = src + pos
        src2 = self.self_attn(q, k, value=src, need_weights=True)[0]
        src = self.norm1(src + self.dropout1(src2))
        src2 = self.linear2(self.dropout(F.relu(self.linear1(src))))
        return self.norm2(src + self.dropout2(src2))


class Encoder(nn.Module):
    def __init__(self, layers, d, heads, ffn):
        super().__init__()
        self.layers = nn.ModuleList([EncoderLayer(d, heads, ffn) for _ in range(layers)])

    def forward(self, src, pos):
        for layer in self.layers:
            src = layer(src, pos)
        return src


def sine_position_embedding(h, w, d):
    """DETR-style normalised 2-D sine embedding, [h*w, 1, d]."""
    ones = torch.ones(1, h, w)
    y = ones.cumsum(1)
    x = ones.cumsum(2)
    eps, scale = 1e-6, 2 * math.pi
    y = y / (y[:, -1:, :] + eps) * scale
    x = x / (x[:, :, -1:] + eps) * scale
    f = d // 2
    dim_t = torch.arange(f, dtype=torch.float32)
    dim_t = 10000 ** (2 * torch.div(dim_t, 2, rounding_mode="floor") / f)
    px = x[:, :, :, None] / dim_t
    py = y[:, :, :, None] / dim_t
    px = torch.stack((px[:, :, :, 0::2].sin(), px[:, :, :, 1::2].cos()), dim=4).flatten(3)
    py = torch.stack((py[:, :, :, 0::2].sin(), py[:, :, :, 1::2].cos()), dim=4).flatten(3)
    pos = torch.cat((py, px), dim=3).permute(0, 3, 1, 2)
    return pos.flatten(2).permute(2, 0, 1).contiguous()


class TransPoseBase(nn.Module):
    def encode_and_head(self, x):
        x = self.reduce(x)
        n, c, h, w = x.shape
        x = x.flatten(2).permute(2, 0, 1)  # [L, N, d]
        x = self.global_encoder(x, self.pos_embedding)
        x = x.permute(1, 2, 0).contiguous().view(n, c, h, w)
        if self.deconv_layers is not None:
            x = self.deconv_layers(x)
        return self.final_layer(x)


class TransPoseR(TransPoseBase):
    """ResNet-50 stem + layer1 + layer2 (stride 8), reduce 512->d, encoder, deconv x1, 1x1 head."""

    def __init__(self, layers=4, d=256, heads=8, ffn=1024, joints=17, size=(256, 192)):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.inplanes = 64
        self.layer1 = self._make_layer(64, 3, 1)
        self.layer2 = self._make_layer(128, 4, 2)
        self.reduce = nn.Conv2d(512, d, 1, bias=False)
        self.pos_embedding = nn.Parameter(sine_position_embedding(size[0] // 8, size[1] // 8, d), requires_grad=False)
        self.global_encoder = Encoder(layers, d, heads, ffn)
        self.deconv_layers = nn.Sequential(nn.ConvTranspose2d(d, 256, 4, 2, 1, 0, bias=False), nn.BatchNorm2d(256),
                                           nn.ReLU(inplace=True))
        self.final_layer = nn.Conv2d(256, joints, 1)

    def _make_layer(self, planes, blocks, stride):
        layers = [Bottleneck(self.inplanes, planes, stride)]
        self.inplanes = planes * 4
        layers += [Bottleneck(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.encode_and_head(self.layer2(self.layer1(x)))


class HighResolutionModule(nn.Module):
    def __init__(self, in_channels, blocks, channels, multi_scale_output):
        super().__init__()
        n = len(channels)
        self.branches = nn.ModuleList()
        for i in range(n):
            self.branches.append(nn.Sequential(*[BasicBlock(in_channels[i] if k == 0 else channels[i], channels[i])
                                                 for k in range(blocks[i])]))
        self.fuse_layers = nn.ModuleList()
        for i in range(n if multi_scale_output else 1):
            row = nn.ModuleList()
            for j in range(n):
                if j > i:
                    row.append(nn.Sequential(nn.Conv2d(channels[j], channels[i], 1, bias=False),
                                             nn.BatchNorm2d(channels[i]),
                                             nn.Upsample(scale_factor=2 ** (j - i), mode="nearest")))
                elif j == i:
                    row.append(None)
                else:
                    chain = []
                    for k in range(i - j):
                        last = k == i - j - 1
                        chain.append(conv_bn(channels[j], channels[i] if last else channels[j], 3, 2, 1, not last))
                    row.append(nn.Sequential(*chain))
            self.fuse_layers.append(row)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        x = [branch(xi) for branch, xi in zip(self.branches, x)]
        out = []
        for i, row in enumerate(self.fuse_layers):
            y = x[0] if i == 0 else row[0](x[0])
            for j in range(1, len(x)):
                y = y + x[j] if i == j else y + row[j](x[j])
            out.append(self.relu(y))
        return out


class TransPoseH(TransPoseBase):
    """HRNet-S (stem, layer1, stage2 [W,2W], stage3 [W,2W,4W] x4 modules, branch 0 out, stride 4),
    reduce W->d, encoder, 1x1 head."""

    def __init__(self, width=48, layers=6, d=96, heads=1, ffn=192, joints=17, size=(256, 192)):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.conv2 = nn.Conv2d(64, 64, 3, 2, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = nn.Sequential(Bottleneck(64, 64), *[Bottleneck(256, 64) for _ in range(3)])
        c2 = [width, 2 * width]
        c3 = [width, 2 * width, 4 * width]
        self.transition1 = nn.ModuleList([conv_bn(256, c2[0], 3, 1, 1, True),
                                          nn.Sequential(conv_bn(256, c2[1], 3, 2, 1, True))])
        self.stage2 = nn.ModuleList([HighResolutionModule(c2, [4, 4], c2, True)])
        self.transition2 = nn.ModuleList([None, None, nn.Sequential(conv_bn(c2[1], c3[2], 3, 2, 1, True))])
        self.stage3 = nn.ModuleList([HighResolutionModule(c3, [4, 4, 4], c3, m != 3) for m in range(4)])
        self.reduce = nn.Conv2d(width, d, 1, bias=False)
        self.pos_embedding = nn.Parameter(sine_position_embedding(size[0] // 4, size[1] // 4, d), requires_grad=False)
        self.global_encoder = Encoder(layers, d, heads, ffn)
        self.deconv_layers = None
        self.final_layer = nn.Conv2d(d, joints, 1)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.relu(self.bn2(self.conv2(x)))
        x = self.layer1(x)
        y = [t(x) for t in self.transition1]
        for m in self.stage2:
            y = m(y)
        y = [y[i] if t is None else t(y[-1]) for i, t in enumerate(self.transition2)]
        for m in self.stage3:
            y = m(y)
        return self.encode_and_head(y[0])


MODELS = {
    "r": ("TransPose-R-A4", "transpose-r-a4", lambda: TransPoseR(layers=4, d=256, heads=8, ffn=1024)),
    "h": ("TransPose-H-A6", "transpose-h-a6", lambda: TransPoseH(width=48, layers=6, d=96, heads=1, ffn=192)),
}


class Capture:
    """What the official visualize.py keeps: forward hooks on every self_attn taking output[1]
    (head-averaged weights [N, L, L]); also every encoder layer's output tokens."""

    def __init__(self, model):
        self.attention, self.tokens = [], []
        self.handles = []
        for layer in model.global_encoder.layers:
            self.handles.append(layer.self_attn.register_forward_hook(
                lambda m, i, o: self.attention.append(o[1])))
            self.handles.append(layer.register_forward_hook(lambda m, i, o: self.tokens.append(o)))

    def remove(self):
        for h in self.handles:
            h.remove()


# --------------------------------------------------------------------------------------------
# FLOPs.


def analytic_flops(model, x):
    """2 x multiply-adds of every conv, deconv, linear layer and both attention products."""
    total = [0]
    handles = []

    def conv(m, i, o):
        total[0] += 2 * o.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def deconv(m, i, o):  # every input element scatters into out_channels x k x k outputs
        total[0] += 2 * i[0].numel() * (m.out_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear(m, i, o):
        total[0] += 2 * o.numel() * m.in_features

    def mha(m, i, o):
        q, k = i[0], i[1]  # value is passed by keyword (not seen by hooks); it has k's shape
        L, N, E = q.shape
        S = k.shape[0]
        total[0] += 2 * N * (L + S + S) * E * E  # q, k, v projections
        total[0] += 2 * 2 * N * L * S * E  # Q K^T and A V over all heads
        total[0] += 2 * N * L * E * E  # out_proj (F.linear inside F.multi_head_attention_forward)

    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv))
        elif isinstance(m, nn.ConvTranspose2d):
            handles.append(m.register_forward_hook(deconv))
        elif isinstance(m, nn.Linear) and not isinstance(m, nn.modules.linear.NonDynamicallyQuantizableLinear):
            handles.append(m.register_forward_hook(linear))
        elif isinstance(m, nn.MultiheadAttention):
            handles.append(m.register_forward_hook(mha))
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return total[0]


def profiler_flops(model, x):
    """torch.profiler's count (1.13 counts aten::conv2d, mm, addmm, bmm, baddbmm, add, mul);
    returns (matrix-product FLOPs, elementwise add/mul FLOPs)."""
    from torch.profiler import ProfilerActivity, profile
    with torch.no_grad(), profile(activities=[ProfilerActivity.CPU], with_flops=True) as prof:
        model(x)
    products, elementwise = 0, 0
    for e in prof.key_averages():
        if not e.flops:
            continue
        if e.key in ("aten::add", "aten::mul", "aten::add_", "aten::mul_"):
            elementwise += e.flops
        else:
            products += e.flops
    return products, elementwise


# --------------------------------------------------------------------------------------------
# Timing.


def sgemm_peak(sizes=(1024, 2048, 4096), runs=7):
    best = {}
    for n in sizes:
        a, b = torch.randn(n, n), torch.randn(n, n)
        c = torch.empty(n, n)
        torch.mm(a, b, out=c)  # warm-up
        t = min(timed(lambda: torch.mm(a, b, out=c)) for _ in range(runs))
        best[n] = 2 * n ** 3 / t / 1e9
    return best


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def python_ms(model, x, capture, repeats, warmup=2):
    def once():
        cap = Capture(model) if capture else None
        start = time.perf_counter()
        with torch.no_grad():
            model(x)
        ms = (time.perf_counter() - start) * 1000
        if cap:
            cap.remove()
        return ms

    for _ in range(warmup):
        once()
    ms = [once() for _ in range(repeats)]
    return statistics.median(ms), min(ms)


def cpp_ms(bench, preset, batch, capture, repeats, threads):
    """(median, min) of `repeats` passes of model_bench, after its 2 warm-up passes."""
    out = subprocess.run([bench, preset, str(batch), "1" if capture else "0", str(repeats), str(threads)],
                         check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


# --------------------------------------------------------------------------------------------
# Profile (PyTorch side), by operator class.

CLASSES = [
    ("convolution (incl. deconv)", ("conv", "mkldnn_convolution", "thnn_conv", "slow_conv")),
    ("linear layers (addmm/mm)", ("aten::addmm", "aten::mm", "aten::linear")),
    ("attention products (bmm)", ("aten::bmm", "aten::baddbmm", "aten::matmul")),
    ("softmax", ("softmax",)),
    ("sum / div / fill_ (need_weights' head average, q scaling)", ("aten::sum", "aten::div", "aten::fill_",
                                                                   "aten::zero_")),
    ("layer norm", ("layer_norm",)),
    ("batch norm", ("batch_norm",)),
    ("relu / add / max pool / upsample", ("aten::relu", "aten::add", "aten::mul", "aten::clamp_min",
                                          "aten::threshold", "max_pool2d", "upsample")),
    ("copies and views (copy_, contiguous, cat, empty, ...)", ("copy", "contiguous", "clone", "empty", "cat",
                                                               "reshape", "view", "transpose", "permute",
                                                               "as_strided", "_unsafe_view", "expand", "split",
                                                               "chunk", "select", "slice", "unflatten",
                                                               "flatten", "stack", "t")),
]


def classify(key):
    k = key.lower()
    for name, needles in CLASSES:
        for s in needles:
            if s in ("t",):
                if k == "aten::t":
                    return name
            elif s in k:
                return name
    return "other"


def python_profile(model, x, capture):
    with torch.no_grad():
        model(x)
        model(x)
    cap = Capture(model) if capture else None
    with torch.no_grad(), torch.autograd.profiler.profile() as prof:
        model(x)
    if cap:
        cap.remove()
    by = {}
    total = 0.0
    for e in prof.key_averages():
        by.setdefault(classify(e.key), 0.0)
        by[classify(e.key)] += e.self_cpu_time_total / 1000
        total += e.self_cpu_time_total / 1000
    return by, total, prof


# --------------------------------------------------------------------------------------------


def find_bench(path):
    if path:
        return path
    for d in ("build", "build-lead"):
        p = os.path.join(ROOT, d, "tests", "model_bench")
        if os.path.exists(p):
            return p
    sys.exit("bench_transpose.py: no model_bench binary; build it (scripts/setup.sh) or pass --bench")


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def loaded_blas():
    """The BLAS libraries this process has mapped (after a matrix product)."""
    torch.mm(torch.ones(2, 2), torch.ones(2, 2))
    found = []
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if "blas" in os.path.basename(path) and path not in found:
                found.append(path)
    return ", ".join(found) or "?"


def runtime_environment():
    """Variables that change how LibTorch, OpenMP, OpenBLAS or malloc behave (inherited by the C++ side)."""
    names = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE",
             "LD_LIBRARY_PATH", "LD_PRELOAD", "GLIBC_TUNABLES", "MALLOC_ARENA_MAX")
    return " ".join(f"{n}={os.environ[n]}" for n in names if n in os.environ)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=7, help="rounds at batch 1")
    ap.add_argument("--rounds8", type=int, default=3, help="rounds at batch 8")
    ap.add_argument("--repeats", type=int, default=7, help="timed passes per side per round at batch 1")
    ap.add_argument("--repeats8", type=int, default=3, help="timed passes per side per round at batch 8")
    ap.add_argument("--bench", default=None, help="the model_bench binary")
    ap.add_argument("--models", default="r,h", help="r (TransPose-R-A4), h (TransPose-H-A6)")
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--profile", action="store_true", help="also profile PyTorch eager by operator class")
    args = ap.parse_args()

    threads = os.cpu_count()
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    bench = find_bench(args.bench)
    batches = [int(b) for b in args.batches.split(",")]
    load_before = os.getloadavg()
    t_start = time.time()

    def log(text):
        print(text, file=sys.stderr, flush=True)

    peak = sgemm_peak()
    peak_best = max(peak.values())
    log(f"sgemm peak (GFLOP/s, {threads} threads): " + ", ".join(f"n={n}: {g:.1f}" for n, g in peak.items()))

    results = {}  # (title, batch, capture) -> dict(c=median, p=median, cmin=min, pmin=min)
    flops = {}
    profiles = {}
    for key in args.models.split(","):
        title, preset, make = MODELS[key]
        model = make().eval()
        x1 = torch.randn(1, 3, 256, 192)
        analytic = analytic_flops(model, x1)
        products, elementwise = profiler_flops(model, x1)
        flops[title] = (analytic, products, elementwise)
        log(f"{title}: analytic {analytic / 1e9:.2f} GFLOP, profiler {products / 1e9:.2f} GFLOP "
            f"(+{elementwise / 1e9:.3f} add/mul)")
        for batch in batches:
            x = torch.randn(batch, 3, 256, 192)
            repeats = args.repeats if batch == 1 else args.repeats8
            rounds = args.rounds if batch == 1 else args.rounds8
            for capture in (False, True):
                cs, ps = [], []
                for r in range(rounds):
                    sides = [(cs, lambda: cpp_ms(bench, preset, batch, capture, repeats, threads)),
                             (ps, lambda: python_ms(model, x, capture, repeats))]
                    if r % 2:
                        sides.reverse()
                    for out, fn in sides:
                        out.append(fn())
                res = dict(c=statistics.median(m for m, _ in cs), p=statistics.median(m for m, _ in ps),
                           cmin=min(m for _, m in cs), pmin=min(m for _, m in ps))
                results[(title, batch, capture)] = res
                log(f"{title} batch {batch} capture {int(capture)}: C++ {res['c']:.1f} (min {res['cmin']:.1f}) "
                    f"{['%.0f' % m for m, _ in cs]}, Python {res['p']:.1f} (min {res['pmin']:.1f}) "
                    f"{['%.0f' % m for m, _ in ps]}")
        if args.profile:
            profiles[title] = python_profile(model, x1, False)

    load_after = os.getloadavg()
    minutes = (time.time() - t_start) / 60

    # ---- Markdown ----
    env = runtime_environment()
    cmd = (env + " " if env else "") + "/usr/bin/python3 scripts/bench_transpose.py" + "".join(
        f" {a}" for a in sys.argv[1:])
    print("## TransPose inference speed (issue #4)\n")
    print("Goals: C++ ≥ 1.2× PyTorch eager at batch 1; capture overhead ≤ 10 %; ≥ 50 % of this machine's sgemm "
          "peak.\n")
    print(f"Command: `{cmd}`. {args.rounds} rounds at batch 1, {args.rounds8} at batch 8; in each round the C++ "
          f"binary (`{os.path.relpath(bench, ROOT)}`, a fresh process) and the same architecture in PyTorch "
          f"eager (in-process) each run 2 warm-up passes and then {args.repeats} timed passes at batch 1, "
          f"{args.repeats8} at batch 8; the side that goes first alternates. Times are the median over the "
          f"rounds of each round's median (the fastest single pass in brackets). Random weights, 256×192 input, "
          f"{threads} intra-op threads on both sides, torch {torch.__version__} (the same LibTorch .so on both "
          f"sides), BLAS {loaded_blas()}. CPU: {cpu_name()}, {threads} cores. Load average before "
          f"{load_before[0]:.2f}, after {load_after[0]:.2f} (the benchmark itself keeps {threads} threads busy); "
          f"{minutes:.1f} min.\n")
    print(f"sgemm peak (torch.mm, float32, best of 7, {threads} threads): "
          + ", ".join(f"n = {n}: {g:.1f} GFLOP/s" for n, g in peak.items())
          + f"; the peak used below is {peak_best:.1f} GFLOP/s.\n")
    print("| model | GFLOP per forward, batch 1 (analytic: conv, deconv, linear, attention) | "
          "torch.profiler with_flops (conv2d, addmm, mm, bmm; it skips the deconv) |")
    print("|---|---:|---:|")
    for title, (a, pr, el) in flops.items():
        print(f"| {title} | {a / 1e9:.2f} ({a / 2e9:.2f} GMAC) | {pr / 1e9:.2f} (+{el / 1e9:.3f} for add/mul) |")
    print()
    print("| model | batch | capture | C++ (ms) | Python eager (ms) | Python / C++ | capture overhead C++ / Python "
          "| C++ GFLOP/s (% of peak) | Python GFLOP/s (% of peak) |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for (title, batch, capture), r in results.items():
        base = results.get((title, batch, False))
        f = flops[title][0] * batch
        cg, pg = f / (r["c"] / 1000) / 1e9, f / (r["p"] / 1000) / 1e9
        over = "–"
        if capture and base:
            over = f"{(r['c'] / base['c'] - 1) * 100:+.0f} % / {(r['p'] / base['p'] - 1) * 100:+.0f} %"
        print(f"| {title} | {batch} | {'on' if capture else 'off'} | {r['c']:.0f} ({r['cmin']:.0f}) | "
              f"{r['p']:.0f} ({r['pmin']:.0f}) | {r['p'] / r['c']:.2f}× | {over} | "
              f"{cg:.1f} ({cg / peak_best * 100:.0f} %) | {pg:.1f} ({pg / peak_best * 100:.0f} %) |")
    print()
    lines = []
    for (title, batch, capture), r in results.items():
        if batch == 1:
            ratio = r["p"] / r["c"]
            lines.append(f"- C++ ≥ 1.2× Python eager, {title}, batch 1, capture {'on' if capture else 'off'}: "
                         f"{ratio:.2f}× — {'met' if ratio >= 1.2 else 'missed'}")
    for (title, batch, capture), r in results.items():
        if capture and (title, batch, False) in results:
            o = r["c"] / results[(title, batch, False)]["c"] - 1
            lines.append(f"- C++ capture overhead ≤ 10 %, {title}, batch {batch}: {o * 100:+.0f} % — "
                         f"{'met' if o <= 0.10 else 'missed'}")
    for (title, batch, capture), r in results.items():
        if not capture:
            g = flops[title][0] * batch / (r["c"] / 1000) / 1e9
            lines.append(f"- C++ ≥ 50 % of sgemm peak, {title}, batch {batch}: {g / peak_best * 100:.0f} % — "
                         f"{'met' if g >= 0.5 * peak_best else 'missed'}")
    print("\n".join(lines))
    print()
    if profiles:
        print("PyTorch eager, batch 1, capture off, self CPU time by operator class (torch.autograd.profiler, "
              "one pass after two warm-ups; the profiler adds a little per operator):\n")
        titles = list(profiles)
        print("| operator class | " + " | ".join(f"{t} (ms)" for t in titles) + " |")
        print("|---|" + "---:|" * len(titles))
        for n in [n for n, _ in CLASSES] + ["other"]:
            print(f"| {n} | " + " | ".join(f"{profiles[t][0].get(n, 0.0):.1f} "
                                            f"({profiles[t][0].get(n, 0.0) / profiles[t][1] * 100:.0f} %)"
                                            for t in titles) + " |")
        print("| total | " + " | ".join(f"{profiles[t][1]:.1f}" for t in titles) + " |")
        print()
        for t in titles:
            log(f"{t} top operators:\n"
                + profiles[t][2].key_averages().table(sort_by="self_cpu_time_total", row_limit=20))


if __name__ == "__main__":
    main()
