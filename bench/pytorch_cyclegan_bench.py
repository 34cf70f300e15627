"""PyTorch twin of ganvas's CycleGAN bench row: the same networks (ResNet generators with 16
filters, 3 residual blocks, zero padding, nearest-neighbour upsampling then a 3x3 convolution;
PatchGAN critics with 16 filters; instance norm without affine parameters), the same losses
(least squares, cycle L1 x10, identity L1 x5), batch, Adam (2e-4, betas 0.5/0.999), a replay
buffer of 50 and the same round (generators, then critics) on 28x28 grey images, timed the
same way. Prints `steps_per_sec=<value>`.

ganvas runs each generator's cycle back and its identity as one batch, and each critic's real
and shown fake images as one batch (every layer works image by image, so the values are those
of separate calls). `--paired-calls` does the same here; by default the twin makes one call
each, which is PyTorch's faster form on 2 CPU threads (2-3 % on 2026-12-06, BENCHMARKS.md), so
the bench row compares against PyTorch at its best.

Usage: python3 bench/pytorch_cyclegan_bench.py --device cpu|cuda --steps N --threads T [--batch B]
       [--paired-calls]
"""
import argparse
import random
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def norm(c):
    return nn.InstanceNorm2d(c, affine=False, eps=1e-5)


class ResidualBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1), norm(c), nn.ReLU(),
                                  nn.Conv2d(c, c, 3, 1, 1), norm(c))

    def forward(self, x):
        return x + self.body(x)


class Generator(nn.Module):
    def __init__(self, f=16, blocks=3, c_in=1, c_out=1):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(c_in, f, 7, 1, 3), norm(f), nn.ReLU())
        self.down = nn.Sequential(nn.Conv2d(f, 2 * f, 3, 2, 1), norm(2 * f), nn.ReLU(),
                                  nn.Conv2d(2 * f, 4 * f, 3, 2, 1), norm(4 * f), nn.ReLU())
        self.blocks = nn.Sequential(*[ResidualBlock(4 * f) for _ in range(blocks)])
        self.up1 = nn.Sequential(nn.Conv2d(4 * f, 2 * f, 3, 1, 1), norm(2 * f), nn.ReLU())
        self.up2 = nn.Sequential(nn.Conv2d(2 * f, f, 3, 1, 1), norm(f), nn.ReLU())
        self.head = nn.Conv2d(f, c_out, 7, 1, 3)

    def forward(self, x):
        h = self.blocks(self.down(self.stem(x)))
        h = self.up1(F.interpolate(h, scale_factor=2, mode="nearest"))
        h = self.up2(F.interpolate(h, scale_factor=2, mode="nearest"))
        return torch.tanh(self.head(h))


class Critic(nn.Module):
    def __init__(self, f=16, c=1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(c, f, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(f, 2 * f, 4, 2, 1), norm(2 * f), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * f, 4 * f, 4, 1, 1), norm(4 * f), nn.LeakyReLU(0.2),
            nn.Conv2d(4 * f, 1, 4, 1, 1))

    def forward(self, x):
        return self.net(x).flatten(1)


class Pool:
    """The replay buffer: fill, then show a stored fake instead of a new one half the time."""

    def __init__(self, size):
        self.size, self.images = size, []

    def query(self, fakes):
        out = []
        for img in fakes.detach():
            img = img.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(img)
                out.append(img)
            elif random.random() < 0.5:
                i = random.randrange(self.size)
                out.append(self.images[i].clone())
                self.images[i] = img
            else:
                out.append(img)
        return torch.cat(out, 0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cpu")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--paired-calls", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    random.seed(0)
    dev = torch.device(a.device)
    g_ab, g_ba, d_a, d_b = (m.to(dev) for m in (Generator(), Generator(), Critic(), Critic()))
    opt_g = torch.optim.Adam(list(g_ab.parameters()) + list(g_ba.parameters()),
                             lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    opt_d = torch.optim.Adam(list(d_a.parameters()) + list(d_b.parameters()),
                             lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    data_a = torch.rand(1000, 1, 28, 28, device=dev) * 2 - 1
    data_b = torch.rand(1000, 1, 28, 28, device=dev) * 2 - 1
    pool_a, pool_b = Pool(50), Pool(50)
    lam, idt = 10.0, 0.5

    def lsgan(scores, target):
        return ((scores - target) ** 2).mean()

    def pair(net, x, y):
        if not a.paired_calls:
            return net(x), net(y)
        both = net(torch.cat([x, y], 0))
        return both[:x.shape[0]], both[x.shape[0]:]

    def step():
        a_ = data_a[torch.randint(0, 1000, (a.batch,), device=dev)]
        b_ = data_b[torch.randint(0, 1000, (a.batch,), device=dev)]
        fake_b, fake_a = g_ab(a_), g_ba(b_)
        back_a, same_a = pair(g_ba, fake_b, a_)
        back_b, same_b = pair(g_ab, fake_a, b_)
        cycle_a = (back_a - a_).abs().mean()
        cycle_b = (back_b - b_).abs().mean()
        idt_a = (same_a - a_).abs().mean()
        idt_b = (same_b - b_).abs().mean()
        for p_ in list(d_a.parameters()) + list(d_b.parameters()):
            p_.requires_grad_(False)
        adv = lsgan(d_b(fake_b), 1.0) + lsgan(d_a(fake_a), 1.0)
        loss_g = adv + lam * (cycle_a + cycle_b) + lam * idt * (idt_a + idt_b)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        for p_ in list(d_a.parameters()) + list(d_b.parameters()):
            p_.requires_grad_(True)
        shown_a, shown_b = pool_a.query(fake_a), pool_b.query(fake_b)
        real_a, fake_a_scores = pair(d_a, a_, shown_a)
        real_b, fake_b_scores = pair(d_b, b_, shown_b)
        loss_d = 0.5 * (lsgan(real_a, 1.0) + lsgan(fake_a_scores, 0.0)) + \
            0.5 * (lsgan(real_b, 1.0) + lsgan(fake_b_scores, 0.0))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        # ganvas reads its curves every round; so does the twin.
        return loss_g.item() + loss_d.item() + cycle_a.item() + cycle_b.item()

    for _ in range(max(2, a.steps // 10)):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(a.steps):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    print(f"steps_per_sec={a.steps / (time.perf_counter() - t)}")


if __name__ == "__main__":
    main()
