"""Does the StyleGAN twin (bench/pytorch_stylegan_bench.py, the `mnist-32` networks of issue 16's
third part: 32 maps, bilinear, no packing) use its latent input early in training? Trained
class-conditionally on MNIST (StyleGAN2-ADA's form: the label's embedding normalised and
concatenated to z before the mapping; a projection critic), the share of samples the judge
puts in their own label's class says whether the generator's output follows its input: ~10 %
is chance. Every 200 rounds: the judge's classes (≥ 2 % of 1,000 EMA samples), mean
confidence, label accuracy of the EMA and of the raw generator, the pixel spread within a
class, and a 10 × 10 grid (a row per label) in /tmp/NAME.png.

Usage: MNIST_DIR=../shared/data/mnist python3 bench/stylegan_twin_conditional.py NAME
         [cond=1] [rounds=600] [gamma=1] [ms=0] [lr=0.002] [b1=0] [maplr=0.01] [freezebias=0]
         [nodemod=0] [bnd=0] [lrd=..] [b1d=0.5] [up=bilinear] [threads=1] [seed=0]
(cond=0: unconditional; freezebias: the style affines' biases fixed at 1; nodemod: no
demodulation; bnd: DCGAN's batch-normalised critic instead of StyleGAN's; lrd/b1d: its Adam.)
"""
import math, os, sys, time, copy
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch, torch.nn as nn, torch.nn.functional as F
import pytorch_stylegan_bench as T
from stylegan_twin_variants import judge
from mnist_judge_idx import idx

a = dict(x.split("=") for x in sys.argv[2:])
name = sys.argv[1]
COND = int(a.get("cond", 1))
T.UPSAMPLING, T.PACK = a.get("up", "bilinear"), 1
torch.set_num_threads(int(a.get("threads", 1)))
torch.manual_seed(int(a.get("seed", 0)))

def norm2(x):
    return x * (x.square().mean(1, keepdim=True) + 1e-8).rsqrt()

class G(T.Generator):
    def __init__(self):
        super().__init__()
        if COND:
            self.embed = T.EqLinear(10, 64)
            self.mapping[0] = T.EqLinear(128, 64, float(a.get("maplr", 0.01)))
        if "maplr" in a:
            for i in range(1, len(self.mapping)):
                self.mapping[i] = T.EqLinear(64, 64, float(a["maplr"]))
        if int(a.get("nodemod", 0)):
            for m in self.modules():
                if isinstance(m, T.ModConv):
                    m.demod = False

    def map(self, z, c=None):
        x = norm2(z)
        if COND:
            x = torch.cat([x, norm2(self.embed(F.one_hot(c, 10).float()))], 1)
        for layer in self.mapping:
            x = T.lrelu(layer(x))
        return x

class D(T.Critic):
    def __init__(self):
        super().__init__()
        if COND:
            self.cmap = T.EqLinear(10, 32)
            self.out = T.EqLinear(32, 32)
    def forward(self, x, c=None):
        n, ch, rows, cols = x.shape
        h = T.lrelu(self.from_rgb(x))
        for block in self.blocks:
            h = block(h)
        h = T.lrelu(self.last(T.mbstd(h)))
        h = T.lrelu(self.fc(h.flatten(1)))
        if COND:
            return (self.out(h) * self.cmap(F.one_hot(c, 10).float())).sum(1) / math.sqrt(32)
        return self.out(h).flatten()

class BND(nn.Module):
    """DCGAN's critic at 32 px: batch norm after the second and third convolutions."""
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
            nn.Conv2d(128, 256, 4, 2, 1), nn.BatchNorm2d(256), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(256 * 16, 1))
    def forward(self, x, c=None):
        return self.net(x).flatten()

d = os.environ.get("MNIST_DIR", "../shared/data/mnist") + "/"
raw = idx(d + "t10k-images-idx3-ubyte.gz").reshape(-1, 1, 28, 28).float() / 127.5 - 1
data = F.pad(raw, (2, 2, 2, 2), value=-1.0)
labels = idx(d + "t10k-labels-idx1-ubyte.gz").long()
net = judge()
lr, gamma, ms = float(a.get("lr", 0.002)), float(a.get("gamma", 1)), float(a.get("ms", 0))
g, dn = G(), (BND() if int(a.get("bnd", 0)) else D())
if int(a.get("freezebias", 0)):
    for m in g.modules():
        if isinstance(m, T.ModConv):
            m.affine.bias.requires_grad_(False)
ema = copy.deepcopy(g).requires_grad_(False)
b1 = float(a.get("b1", 0.0))
adam = lambda m: torch.optim.Adam([p for p in m.parameters() if p.requires_grad], lr=lr, betas=(b1, 0.99), eps=1e-8)
og, od = adam(g), adam(dn)
if "lrd" in a:
    od = torch.optim.Adam(dn.parameters(), lr=float(a["lrd"]), betas=(float(a.get("b1d", 0.5)), 0.999))
n = 32
def ws(c):
    z = torch.randn(n, 64)
    first = g.map(z, c)
    w = [first] * g.num_ws
    if torch.rand([]).item() < 0.9:
        second = g.map(torch.randn(n, 64), c)
        cut = int(torch.randint(1, g.num_ws, []).item())
        w = [first] * cut + [second] * (g.num_ws - cut)
    return w, z
t0 = time.time()
for r in range(int(a.get("rounds", 600))):
    i = torch.randint(0, len(data), (n,))
    real, creal = data[i].clone(), labels[i]
    cf = torch.randint(0, 10, (n,))
    with torch.no_grad():
        fake = g.synthesis(ws(cf)[0])
    reg = gamma > 0 and r % 16 == 0
    real.requires_grad_(reg)
    dr, df = dn(real, creal), dn(fake, cf)
    loss = F.softplus(df).mean() + F.softplus(-dr).mean()
    if reg:
        (gr,) = torch.autograd.grad(dr.sum(), real, create_graph=True)
        loss = loss + gr.square().sum() / n * gamma / 2 * 16
    od.zero_grad(); loss.backward(); od.step()
    dn.requires_grad_(False)
    cg = torch.randint(0, 10, (n // 2,)).repeat(2)
    w, z = ws(cg)
    img = g.synthesis(w, "paired" if ms > 0 else True)
    lg = F.softplus(-dn(img, cg)).mean()
    if ms > 0:
        h = n // 2
        ratio = (img[:h] - img[h:]).abs().mean([1, 2, 3]) / (z[:h] - z[h:]).abs().mean(1)
        lg = lg + ms / (ratio.mean() + 1e-5)
    og.zero_grad(); lg.backward(); og.step()
    dn.requires_grad_(True)
    beta = min(0.999, (1 + r) / (10 + r))
    with torch.no_grad():
        for e, p in zip(ema.parameters(), g.parameters()):
            e.lerp_(p, 1 - beta)
    if (r + 1) % 200 == 0:
        with torch.no_grad():
            c = torch.arange(1000) % 10
            x = ema.synthesis([ema.map(torch.randn(1000, 64), c)] * ema.num_ws, noise=False)[:, 0, 2:30, 2:30]
            p = F.softmax(net(x.clamp(-1, 1).reshape(-1, 784)), 1)
            hist = torch.bincount(p.argmax(1), minlength=10)
            acc = (p.argmax(1) == c).float().mean().item() if COND else float("nan")
            xr = g.synthesis([g.map(torch.randn(1000, 64), c)] * g.num_ws, noise=False)[:, 0, 2:30, 2:30]
            pr = F.softmax(net(xr.clamp(-1, 1).reshape(-1, 784)), 1)
            raw_acc = (pr.argmax(1) == c).float().mean().item()
            raw_cls = int((torch.bincount(pr.argmax(1), minlength=10) >= 20).sum())
            # within-class variety: mean pixel distance between samples of one class / real's
            var = x.reshape(100, 10, -1).std(0).mean().item()  # samples i, i+10, … share a label
        print(name, r + 1, f"{time.time()-t0:.0f}s d={loss.item():.2f} classes={int((hist>=20).sum())} conf={p.max(1).values.mean():.3f} label_acc={acc:.3f} raw_acc={raw_acc:.3f} raw_cls={raw_cls} std={var:.3f} hist={hist.tolist()} ", flush=True)
        pix = ((x[:100].clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
        # rows: classes 0-9 (c = i % 10 → column-major), 10 per row
        grid = pix.reshape(10, 10, 28, 28).permute(1, 0, 2, 3)  # [class, k, 28, 28]
        grid = grid.permute(0, 2, 1, 3).reshape(280, 280)
        from PIL import Image
        Image.fromarray(grid.numpy()).save(f"/tmp/{name}.png")
