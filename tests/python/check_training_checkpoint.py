"""check_training_checkpoint.py CKPT [OTHER]: opens a PoseScope training checkpoint with torch.load,
loads its optimizer state into torch.optim.Adam and its weights into tensors, and prints a summary.
With OTHER, also checks that both hold bit-identical weights and optimizer state (not the RNG)."""
import sys

import torch


def load(path):
    ckpt = torch.load(path, map_location="cpu")
    for key in ("epoch", "iteration", "step", "state_dict", "optimizer", "posescope"):
        assert key in ckpt, f"{path}: no '{key}'"
    group = ckpt["optimizer"]["param_groups"][0]
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in group["params"]]
    for i, state in ckpt["optimizer"]["state"].items():
        params[i] = torch.nn.Parameter(torch.zeros_like(state["exp_avg"]))
    adam = torch.optim.Adam(params, lr=group["lr"])
    adam.load_state_dict(ckpt["optimizer"])  # PyTorch accepts it
    return ckpt


a = load(sys.argv[1])
steps = {int(s["step"]) for s in a["optimizer"]["state"].values()}
assert steps == {a["step"]}, f"optimizer steps {steps} != checkpoint step {a['step']}"
if len(sys.argv) > 2:
    b = load(sys.argv[2])
    assert a["step"] == b["step"], (a["step"], b["step"])
    for k, v in a["state_dict"].items():
        assert torch.equal(v, b["state_dict"][k]), k
    for i, s in a["optimizer"]["state"].items():
        for k in ("exp_avg", "exp_avg_sq", "step"):
            assert torch.equal(s[k], b["optimizer"]["state"][i][k]), (i, k)
    print(f"same state at step {a['step']}")
else:
    print(f"checkpoint at epoch {a['epoch']} iteration {a['iteration']} step {a['step']} opens in torch.load")
