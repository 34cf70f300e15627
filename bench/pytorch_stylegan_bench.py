"""PyTorch twin of ganvas's StyleGAN (src/engine/stylegan): the same networks and round, for the
bench row and to tell a bug in ganvas from a property of the model.

Networks (the `digits-32` preset's): a mapping network (z normalised to unit second moment, 4
equalised-lr linear layers of 64 with lr multiplier 0.01, LeakyReLU 0.2 x sqrt 2); a synthesis
network from a learned 4x4 constant, per level a nearest x2 upsampling and two modulated /
demodulated 3x3 convolutions (non-fused: scale the input by the style, convolve, scale by
1/sqrt(sum (w s)^2 + 1e-8)), per-pixel noise with learned strengths, skip toRGB (1x1, modulated,
not demodulated); a resnet critic with minibatch stddev (group 4) at 4x4. Feature maps
min(32, 1024 / r). Logistic losses, R1 (gamma 10, every 16th critic update, weighted x16; here
with PyTorch's double backward), style mixing with probability 0.9 (one cut per batch), the
mode-seeking term (weight 2: first half of the batch against the second, with the same noise,
1 / (mean |dG| / |dz| + 1e-5)), Adam (0.002, betas 0/0.99, eps 1e-8). A round: a critic update, then a generator update.

Bench:  python3 bench/pytorch_stylegan_bench.py --device cpu|cuda --steps N --threads T [--batch B]
        prints `steps_per_sec=<value>` (random images, as the other twins).
Train:  python3 bench/pytorch_stylegan_bench.py --train ROUNDS --out DIR [--threads T]
        on the MNIST test set (../shared/data/mnist, padded to 32 px) writes DIR/samples.idx (2,000
        EMA samples cropped to 28 px, for bench/mnist_judge_idx.py) and DIR/samples.png.
"""
import argparse
import copy
import gzip
import math
import os
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

GAIN = math.sqrt(2.0)


def lrelu(x):
    return F.leaky_relu(x, 0.2) * GAIN


class EqLinear(nn.Module):
    def __init__(self, d_in, d_out, lr_mul=1.0, bias_init=0.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(d_out, d_in) / lr_mul)
        self.bias = nn.Parameter(torch.full([d_out], bias_init / lr_mul))
        self.gain, self.lr_mul = lr_mul / math.sqrt(d_in), lr_mul

    def forward(self, x):
        return F.linear(x, self.weight * self.gain, self.bias * self.lr_mul)


class EqConv(nn.Module):
    def __init__(self, c_in, c_out, k):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in, k, k))
        self.bias = nn.Parameter(torch.zeros(c_out))
        self.gain = 1 / math.sqrt(c_in * k * k)

    def forward(self, x):
        return F.conv2d(x, self.weight * self.gain, self.bias, padding=self.weight.shape[-1] // 2)


UPSAMPLING = "nearest"  # or "bilinear" (--upsampling): ganvas's `upsampling` option
PACK = 1  # PacGAN (--pack): the critic judges PACK images at once, ganvas's `pack` option


def upsample(x):
    if UPSAMPLING == "bilinear":  # half-pixel centres: StyleGAN2's [1, 3, 3, 1] filter
        return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    return F.interpolate(x, scale_factor=2, mode="nearest")


class ModConv(nn.Module):
    def __init__(self, c_in, c_out, k, w_dim, demod=True, up=False, rgb=False):
        super().__init__()
        self.conv = EqConv(c_in, c_out, k)
        self.affine = EqLinear(w_dim, c_in, 1.0, 1.0)
        self.noise_strength = None if rgb else nn.Parameter(torch.zeros([]))
        self.demod, self.up, self.act = demod, up, not rgb

    def forward(self, x, w, noise=True):
        if self.up:
            x = upsample(x)
        s = self.affine(w)
        weight = self.conv.weight * self.conv.gain
        y = F.conv2d(x * s[:, :, None, None], weight, padding=weight.shape[-1] // 2)
        if self.demod:
            w2 = weight.square().sum([2, 3])  # [out, in]
            y = y * (s.square() @ w2.t() + 1e-8).rsqrt()[:, :, None, None]
        if self.noise_strength is not None and noise:
            n, _, h, wd = y.shape
            if noise == "paired":  # both halves of the batch share their noise (mode seeking)
                draw = torch.randn(n // 2, 1, h, wd, device=y.device).repeat(2, 1, 1, 1)
            else:
                draw = torch.randn(n, 1, h, wd, device=y.device)
            y = y + draw * self.noise_strength
        y = y + self.conv.bias[None, :, None, None]
        return lrelu(y) if self.act else y


CHANNEL_BASE, CHANNEL_MAX = 1024, 32  # --channel-base / --channel-max: ganvas's options


def features(r, base=None, top=None):
    base = CHANNEL_BASE if base is None else base
    top = CHANNEL_MAX if top is None else top
    return max(1, min(top, base // r))


class Generator(nn.Module):
    def __init__(self, res=32, c=1, z=64, w=64, mapping=4, lr_mul=0.01):
        super().__init__()
        self.z_dim = z
        self.mapping = nn.ModuleList(
            [EqLinear(z if i == 0 else w, w, lr_mul) for i in range(mapping)])
        levels = [4 << i for i in range(int(math.log2(res)) - 1)]
        f4 = features(4)
        self.const = nn.Parameter(torch.randn(1, f4, 4, 4))
        self.convs = nn.ModuleList([ModConv(f4, f4, 3, w)])
        self.rgbs = nn.ModuleList([ModConv(f4, c, 1, w, demod=False, rgb=True)])
        for a, b in zip(levels, levels[1:]):
            self.convs.append(ModConv(features(a), features(b), 3, w, up=True))
            self.convs.append(ModConv(features(b), features(b), 3, w))
            self.rgbs.append(ModConv(features(b), c, 1, w, demod=False, rgb=True))
        self.num_ws = 2 * len(levels)

    def map(self, z):
        x = z * (z.square().mean(1, keepdim=True) + 1e-8).rsqrt()
        for layer in self.mapping:
            x = lrelu(layer(x))
        return x

    def synthesis(self, ws, noise=True):
        x = self.const.expand(ws[0].shape[0], -1, -1, -1)
        x = self.convs[0](x, ws[0], noise)
        rgb = self.rgbs[0](x, ws[1])
        for level in range(1, len(self.rgbs)):
            a, b = 2 * level - 1, 2 * level
            x = self.convs[b](self.convs[a](x, ws[a], noise), ws[b], noise)
            rgb = upsample(rgb) + self.rgbs[level](x, ws[b + 1])
        return rgb


class Block(nn.Module):
    def __init__(self, f_in, f_out):
        super().__init__()
        self.first, self.second, self.skip = EqConv(f_in, f_in, 3), EqConv(f_in, f_out, 3), EqConv(f_in, f_out, 1)

    def forward(self, x):
        skip = self.skip(F.avg_pool2d(x, 2))
        h = F.avg_pool2d(lrelu(self.second(lrelu(self.first(x)))), 2)
        return (skip + h) / math.sqrt(2)


def mbstd(x, max_group=4):
    n, c, h, w = x.shape
    g = next(g for g in range(min(n, max_group), 0, -1) if n % g == 0)
    y = x.reshape(g, n // g, c, h, w)
    std = (y - y.mean(0)).square().mean(0).add(1e-8).sqrt()  # [m, c, h, w]
    per = std.reshape(n // g, -1).mean(1)
    return torch.cat([x, per.reshape(1, -1, 1, 1, 1).expand(g, -1, 1, h, w).reshape(n, 1, h, w)], 1)


class Critic(nn.Module):
    def __init__(self, res=32, c=1):
        super().__init__()
        levels = [4 << i for i in range(int(math.log2(res)) - 1)]
        self.from_rgb = EqConv(c * PACK, features(res), 1)
        self.blocks = nn.ModuleList(
            [Block(features(b), features(a)) for a, b in reversed(list(zip(levels, levels[1:])))])
        f4 = features(4)
        self.last = EqConv(f4 + 1, f4, 3)
        self.fc, self.out = EqLinear(f4 * 16, f4), EqLinear(f4, 1)

    def forward(self, x):
        n, c, rows, cols = x.shape
        h = lrelu(self.from_rgb(x.reshape(n // PACK, c * PACK, rows, cols)))
        for block in self.blocks:
            h = block(h)
        h = lrelu(self.last(mbstd(h)))
        return self.out(lrelu(self.fc(h.flatten(1)))).flatten()


def mnist_padded(device):
    d = os.environ.get("MNIST_DIR", "../shared/data/mnist") + "/"
    raw = gzip.decompress(open(d + "t10k-images-idx3-ubyte.gz", "rb").read())
    x = torch.frombuffer(bytearray(raw[16:]), dtype=torch.uint8).reshape(-1, 1, 28, 28)
    return F.pad(x.float() / 127.5 - 1, (2, 2, 2, 2), value=-1.0).to(device)


class Run:
    def __init__(self, data, batch, gamma=10.0, r1_every=16, mixing=0.9, lr=0.002, ema=0.999,
                 mode_seeking=2.0):
        self.data, self.batch, self.gamma, self.r1_every, self.mixing = data, batch, gamma, r1_every, mixing
        self.mode_seeking = mode_seeking
        c, res = data.shape[1], data.shape[-1]
        dev = data.device
        self.g, self.d = Generator(res, c).to(dev), Critic(res, c).to(dev)
        self.ema, self.ema_beta = copy.deepcopy(self.g).requires_grad_(False), ema
        adam = lambda m: torch.optim.Adam(m.parameters(), lr=lr, betas=(0.0, 0.99), eps=1e-8)
        self.opt_g, self.opt_d = adam(self.g), adam(self.d)
        self.updates, self.rounds = 0, 0

    def ws(self):
        n, dev = self.batch, self.data.device
        z = torch.randn(n, self.g.z_dim, device=dev)
        first = self.g.map(z)
        ws = [first] * self.g.num_ws
        if torch.rand([]).item() < self.mixing:
            second = self.g.map(torch.randn(n, self.g.z_dim, device=dev))
            cut = int(torch.randint(1, self.g.num_ws, []).item())
            ws = [first] * cut + [second] * (self.g.num_ws - cut)
        return ws, z

    def round(self):
        n = self.batch
        real = self.data[torch.randint(0, len(self.data), (n,), device=self.data.device)]
        with torch.no_grad():
            fake = self.g.synthesis(self.ws()[0])
        regularise = self.gamma > 0 and self.updates % self.r1_every == 0
        real.requires_grad_(regularise)
        d_real, d_fake = self.d(real), self.d(fake)
        loss_d = F.softplus(d_fake).mean() + F.softplus(-d_real).mean()
        if regularise:
            (grad,) = torch.autograd.grad(d_real.sum(), real, create_graph=True)
            per_input = grad.square().sum() / d_real.shape[0]  # ‖∇D‖² per (packed) critic input
            loss_d = loss_d + per_input * (self.gamma / 2) * self.r1_every
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        self.updates += 1
        self.d.requires_grad_(False)
        ws, z = self.ws()
        images = self.g.synthesis(ws, "paired" if self.mode_seeking > 0 else True)
        loss_g = F.softplus(-self.d(images)).mean()
        if self.mode_seeking > 0:
            h = n // 2
            ratio = (images[:h] - images[h:2 * h]).abs().mean([1, 2, 3]) / (z[:h] - z[h:2 * h]).abs().mean(1)
            loss_g = loss_g + self.mode_seeking / (ratio.mean() + 1e-5)
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self.d.requires_grad_(True)
        beta = min(self.ema_beta, (1 + self.rounds) / (10 + self.rounds))
        with torch.no_grad():
            for e, p in zip(self.ema.parameters(), self.g.parameters()):
                e.lerp_(p, 1 - beta)
        self.rounds += 1
        # ganvas reads its curves every round; so does the twin.
        return loss_d.item() + loss_g.item() + d_real.mean().item() + d_fake.mean().item()


def write_outputs(run, out):
    os.makedirs(out, exist_ok=True)
    with torch.no_grad():
        z = torch.randn(2000, run.g.z_dim, device=run.data.device)
        w = run.ema.map(z)
        x = run.ema.synthesis([w] * run.ema.num_ws, noise=False)[:, 0, 2:30, 2:30]
    pix = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).cpu()
    with open(os.path.join(out, "samples.idx"), "wb") as f:
        f.write(struct.pack(">BBBBIII", 0, 0, 8, 3, 2000, 28, 28) + pix.numpy().tobytes())
    grid = pix[:64].reshape(8, 8, 28, 28).permute(0, 2, 1, 3).reshape(224, 224)
    try:
        from PIL import Image
        Image.fromarray(grid.numpy()).save(os.path.join(out, "samples.png"))
    except ImportError:
        pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cpu")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--train", type=int, default=0)
    p.add_argument("--out", default="/tmp/stylegan-twin")
    p.add_argument("--gamma", type=float, default=10.0)
    p.add_argument("--mode-seeking", type=float, default=2.0)
    p.add_argument("--upsampling", choices=["nearest", "bilinear"], default="nearest")
    p.add_argument("--pack", type=int, default=1)
    p.add_argument("--channel-base", type=int, default=1024)
    p.add_argument("--channel-max", type=int, default=32)
    a = p.parse_args()
    global UPSAMPLING, PACK, CHANNEL_BASE, CHANNEL_MAX
    UPSAMPLING, PACK = a.upsampling, a.pack
    CHANNEL_BASE, CHANNEL_MAX = a.channel_base, a.channel_max
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = torch.device(a.device)
    if a.train:
        run = Run(mnist_padded(dev), a.batch, gamma=a.gamma, mode_seeking=a.mode_seeking)
        t = time.perf_counter()
        for i in range(a.train):
            run.round()
            if (i + 1) % 100 == 0:
                print(f"round {i + 1}: {time.perf_counter() - t:.1f} s", flush=True)
        write_outputs(run, a.out)
        return
    run = Run(torch.rand(1000, 1, 32, 32, device=dev) * 2 - 1, a.batch, gamma=a.gamma,
              mode_seeking=a.mode_seeking)
    for _ in range(max(2, a.steps // 10)):
        run.round()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(a.steps):
        run.round()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    print(f"steps_per_sec={a.steps / (time.perf_counter() - t):.4f}")


if __name__ == "__main__":
    main()
