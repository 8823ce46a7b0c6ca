"""bench_train_reference.py SYNTH_DIR PERSONS EPOCHS: the PyTorch side of the training comparison in
docs/benchmarks.md. Trains, in PyTorch eager on 2 threads, the network of
resources/models/demo_transpose_r.yaml with MODEL.ENCODER_LAYERS=0 at a 96x128 input (ResNet stem
of width 16 to layer2, the 1x1 reduce to 64, one 4x4 deconvolution, the 1x1 head) on the same crops
and targets as `posescope-cli train --no-augment --sigma 1.5` (the official crop, DarkPose's
Gaussians, 0.5*mean((w*(pred-target))^2), Adam 2e-3, batch 16), with the crops precomputed in
memory, and prints the mean loss of each epoch, samples/s and a PCK (argmax within 2 heatmap
pixels). Run with Debian's /usr/bin/python3 (python3-torch, python3-opencv).
"""
import json, sys, time
import cv2, numpy as np, torch, torch.nn as nn
torch.set_num_threads(2); torch.manual_seed(0); np.random.seed(0)
root = sys.argv[1]; W, H, HW, HH, SIG = 96, 128, 24, 32, 1.5
def load(split, n):
    d = json.load(open(f'{root}/annotations/person_keypoints_{split}.json'))
    ims = {i['id']: i for i in d['images']}
    X, T, Wt = [], [], []
    for a in d['annotations'][:n]:
        k = np.array(a['keypoints'], np.float64).reshape(-1, 3)
        if (k[:, 2] > 0).sum() == 0: continue
        x, y, w, h = a['bbox']; cx, cy = x + (w - 1) / 2, y + (h - 1) / 2
        if w > 0.75 * h: h = w / 0.75
        else: w = h * 0.75
        sw, sh = w * 1.25, h * 1.25
        img = cv2.cvtColor(cv2.imread(f"{root}/images/{split}/{ims[a['image_id']]['file_name']}"), cv2.COLOR_BGR2RGB)
        def tr(ow, oh):
            src = np.float32([[cx, cy], [cx, cy - sw * 0.5], [cx - sw * 0.5, cy - sw * 0.5]])
            dst = np.float32([[(ow - 1) * 0.5, (oh - 1) * 0.5], [(ow - 1) * 0.5, (oh - 1) * 0.5 - (ow - 1) * 0.5], [0, (oh - 1) * 0.5 - (ow - 1) * 0.5]])
            return cv2.getAffineTransform(src, dst)
        crop = cv2.warpAffine(img, tr(W, H), (W, H), flags=cv2.INTER_LINEAR)
        t2 = tr(HW, HH); t = np.zeros((17, HH, HW), np.float32); wt = np.zeros(17, np.float32)
        gx, gy = np.arange(HW, dtype=np.float32), np.arange(HH, dtype=np.float32)[:, None]
        for j in range(17):
            if k[j, 2] <= 0: continue
            mx, my = t2 @ np.array([k[j, 0], k[j, 1], 1.0])
            if int(mx - 3 * SIG) >= HW or int(my - 3 * SIG) >= HH or int(mx + 3 * SIG + 1) < 0 or int(my + 3 * SIG + 1) < 0: continue
            wt[j] = 1; t[j] = np.exp(-((gx - mx) ** 2 + (gy - my) ** 2) / (2 * SIG ** 2))
        X.append(((crop / 255.0 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]).transpose(2, 0, 1).astype(np.float32)); T.append(t); Wt.append(wt)
    return torch.tensor(np.stack(X)), torch.tensor(np.stack(T)), torch.tensor(np.stack(Wt))
class Bottleneck(nn.Module):
    def __init__(s, i, p, stride):
        super().__init__(); o = p * 4
        s.c1 = nn.Conv2d(i, p, 1, bias=False); s.b1 = nn.BatchNorm2d(p); s.c2 = nn.Conv2d(p, p, 3, stride, 1, bias=False); s.b2 = nn.BatchNorm2d(p)
        s.c3 = nn.Conv2d(p, o, 1, bias=False); s.b3 = nn.BatchNorm2d(o)
        s.d = nn.Sequential(nn.Conv2d(i, o, 1, stride, bias=False), nn.BatchNorm2d(o)) if stride != 1 or i != o else None
    def forward(s, x):
        y = torch.relu(s.b1(s.c1(x))); y = torch.relu(s.b2(s.c2(y))); y = s.b3(s.c3(y))
        return torch.relu(y + (s.d(x) if s.d is not None else x))
w = 16
net = nn.Sequential(nn.Conv2d(3, w, 7, 2, 3, bias=False), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(3, 2, 1),
    Bottleneck(w, w, 1), Bottleneck(4 * w, w, 1), Bottleneck(4 * w, w, 1),
    Bottleneck(4 * w, 2 * w, 2), Bottleneck(8 * w, 2 * w, 1), Bottleneck(8 * w, 2 * w, 1), Bottleneck(8 * w, 2 * w, 1),
    nn.Conv2d(8 * w, 64, 1, bias=False), nn.ConvTranspose2d(64, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.Conv2d(64, 17, 1))
for m in net.modules():
    if isinstance(m, nn.Conv2d): nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
nn.init.normal_(net[-1].weight, std=0.001); nn.init.zeros_(net[-1].bias); nn.init.normal_(net[-4].weight, std=0.001)
X, T, Wt = load('train', int(sys.argv[2])); Xv, Tv, Wv = load('val', 200)
print('train', X.shape, 'val', Xv.shape, flush=True)
opt = torch.optim.Adam(net.parameters(), lr=2e-3)
epochs = int(sys.argv[3])
# The cosine schedule of posescope-cli train (CosineAnnealingLR to 1e-5, stepped per epoch).
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs, eta_min=1e-5)
def pck(Xe, Te, We):
    net.eval()
    with torch.no_grad(): P = net(Xe)
    net.train()
    pi = P.flatten(2).argmax(2); ti = Te.flatten(2).argmax(2)
    d = ((pi % HW - ti % HW) ** 2 + (pi // HW - ti // HW) ** 2).float().sqrt()
    return ((d <= 2).float() * We).sum().item() / We.sum().item()
for epoch in range(epochs):
    perm = torch.randperm(len(X)); tot = 0; n = 0; t0 = time.time()
    for i in range(0, len(X) - 15, 16):
        b = perm[i:i + 16]
        loss = 0.5 * (((net(X[b]) - T[b]) * Wt[b][:, :, None, None]) ** 2).mean()
        opt.zero_grad(); loss.backward(); opt.step(); tot += loss.item(); n += 1
    took = time.time() - t0
    sched.step()
    print(f'epoch {epoch + 1}: loss {tot / n:.6f}, {16 * n / took:.1f} samples/s, val PCK@2px {pck(Xv, Tv, Wv):.3f}', flush=True)
