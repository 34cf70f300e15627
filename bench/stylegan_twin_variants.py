"""Variants of the PyTorch StyleGAN twin (bench/pytorch_stylegan_bench.py) on MNIST padded to 32 px,
to tell which change keeps the digit classes: every 200 rounds, 1,000 samples of the raw and of
the EMA generator (noise off) are classified by the `cnn 32-64` judge of bench/mnist_judge_idx.py
(trained once, cached in /tmp); printed: classes with at least 2 % of the samples, mean
confidence, class histogram.

Usage: python3 bench/stylegan_twin_variants.py NAME [rounds=600] [seed=0] [gamma=10] [lr=0.002]
         [lrg=..] [lrd=..] [b1=0] [group=4] [map=4] [mixing=0.9] [ms=0] [maps=32]
(ms: the mode-seeking weight, 0 is StyleGAN as published; maps: the most feature maps per layer.)
"""
import copy
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytorch_stylegan_bench as T  # noqa: E402
from mnist_judge_idx import cnn, idx  # noqa: E402


def judge():
    path = "/tmp/stylegan-variants-judge.pt"
    net = cnn(32, 64)
    if os.path.exists(path):
        net.load_state_dict(torch.load(path))
        return net.eval()
    d = os.environ.get("MNIST_DIR", "../shared/data/mnist") + "/"
    x = idx(d + "t10k-images-idx3-ubyte.gz").float().reshape(-1, 784) / 127.5 - 1
    y = idx(d + "t10k-labels-idx1-ubyte.gz").long()
    torch.manual_seed(0)
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    for _ in range(1406):
        i = torch.randint(0, 10000, (128,))
        loss = F.cross_entropy(net(x[i]), y[i])
        opt.zero_grad()
        loss.backward()
        opt.step()
    torch.save(net.state_dict(), path)
    return net.eval()


def score(run, net):
    out = {}
    with torch.no_grad():
        z = torch.randn(1000, run.g.z_dim)
        for name, g in [("raw", run.g), ("ema", run.ema)]:
            x = g.synthesis([g.map(z)] * g.num_ws, noise=False)[:, 0, 2:30, 2:30]
            p = F.softmax(net(x.clamp(-1, 1).reshape(-1, 784)), 1)
            h = torch.bincount(p.argmax(1), minlength=10)
            out[name] = (int((h >= 20).sum()), round(p.max(1).values.mean().item(), 3), h.tolist())
    return out


def main():
    torch.set_num_threads(2)
    name = sys.argv[1]
    a = dict(arg.split("=") for arg in sys.argv[2:])
    net = judge()
    torch.manual_seed(int(a.get("seed", 0)))
    if "maps" in a:
        top, plain_features = int(a["maps"]), T.features
        T.features = lambda r, base=1024, _top=32: plain_features(r, max(base, 32 * top), top)
    if "group" in a:
        group, plain = int(a["group"]), T.mbstd
        T.mbstd = lambda x, max_group=4: plain(x, group)
    lr = float(a.get("lr", 0.002))
    run = T.Run(T.mnist_padded("cpu"), 32, gamma=float(a.get("gamma", 10)),
                mixing=float(a.get("mixing", 0.9)), lr=lr, mode_seeking=float(a.get("ms", 0)))
    if "map" in a:
        run.g = T.Generator(mapping=int(a["map"]))
        run.ema = copy.deepcopy(run.g).requires_grad_(False)
    b1 = float(a.get("b1", 0.0))
    run.opt_g = torch.optim.Adam(run.g.parameters(), lr=float(a.get("lrg", lr)), betas=(b1, 0.99), eps=1e-8)
    run.opt_d = torch.optim.Adam(run.d.parameters(), lr=float(a.get("lrd", lr)), betas=(b1, 0.99), eps=1e-8)
    started = time.time()
    for i in range(int(a.get("rounds", 600))):
        run.round()
        if (i + 1) % 200 == 0:
            print(name, i + 1, f"{time.time() - started:.0f}s", score(run, net), flush=True)


if __name__ == "__main__":
    main()
