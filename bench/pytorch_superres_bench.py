"""PyTorch twin of ganvas's super-resolution bench row: the same networks (an SRResNet-style
generator without batch norm: 3x3 head, 4 residual blocks of 32 filters with residual scaling
0.2 and LeakyReLU 0.2, a trunk convolution and skip, two nearest-neighbour x2 upsamplings each
followed by a 3x3 convolution and LeakyReLU, a 3x3 tail added to the bicubic upscale; a critic
of 3x3 / 4x4-stride-2 convolutions with 16, 16, 32, 32, 64 filters and LeakyReLU, a 3x3 score
map), the same GAN-stage round on 28x28 grey images at 4x (7 -> 28 px), batch 16:
  a pixel-network update on L1;
  a GAN-network update on 0.01 L1 + 1.0 critic-feature L1 (the activations after the critic's
  two downsamplings) + 0.01 least-squares adversarial loss, then its weights' moving average;
  a critic update on real and generated images in one batch;
Adam (2e-4, betas 0.9/0.999). Each round draws its batch, area-downscales it and upscales the
low-res images bicubically, as ganvas does (its bicubic has a = -0.5, PyTorch's -0.75: the same
work). Timed the same way. Prints `steps_per_sec=<value>`.

Usage: python3 bench/pytorch_superres_bench.py --device cpu|cuda --steps N --threads T [--batch B]
"""
import argparse
import copy
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def lrelu(x):
    return F.leaky_relu(x, 0.2)


class Block(nn.Module):
    def __init__(self, f, scaling):
        super().__init__()
        self.a, self.b, self.scaling = nn.Conv2d(f, f, 3, 1, 1), nn.Conv2d(f, f, 3, 1, 1), scaling

    def forward(self, x):
        return x + self.scaling * self.b(lrelu(self.a(x)))


class Generator(nn.Module):
    def __init__(self, c=1, f=32, blocks=4, doublings=2):
        super().__init__()
        self.head = nn.Conv2d(c, f, 3, 1, 1)
        self.blocks = nn.Sequential(*[Block(f, 0.2) for _ in range(blocks)])
        self.trunk = nn.Conv2d(f, f, 3, 1, 1)
        self.ups = nn.ModuleList([nn.Conv2d(f, f, 3, 1, 1) for _ in range(doublings)])
        self.tail = nn.Conv2d(f, c, 3, 1, 1)

    def forward(self, lr, bicubic):
        start = lrelu(self.head(lr))
        h = start + self.trunk(self.blocks(start))
        for up in self.ups:
            h = lrelu(up(F.interpolate(h, scale_factor=2, mode="nearest")))
        return bicubic + self.tail(h)


class Critic(nn.Module):
    def __init__(self, c=1, f=16):
        super().__init__()
        self.layers = nn.ModuleList([
            nn.Conv2d(c, f, 3, 1, 1), nn.Conv2d(f, f, 4, 2, 1), nn.Conv2d(f, 2 * f, 3, 1, 1),
            nn.Conv2d(2 * f, 2 * f, 4, 2, 1), nn.Conv2d(2 * f, 4 * f, 3, 1, 1)])
        self.score = nn.Conv2d(4 * f, 1, 3, 1, 1)

    def forward(self, x):
        feats = []
        for i, layer in enumerate(self.layers):
            x = lrelu(layer(x))
            if i in (1, 3):
                feats.append(x)
        return self.score(x).flatten(1), feats


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cpu")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=16)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = torch.device(a.device)
    pixel, critic = Generator().to(dev), Critic().to(dev)
    gan = copy.deepcopy(pixel)
    ema = copy.deepcopy(gan)
    for q in ema.parameters():
        q.requires_grad_(False)
    adam = lambda m: torch.optim.Adam(m.parameters(), lr=2e-4, betas=(0.9, 0.999), eps=1e-8)
    opt_p, opt_g, opt_d = adam(pixel), adam(gan), adam(critic)
    data = torch.rand(1000, 1, 28, 28, device=dev) * 2 - 1

    def step():
        hr = data[torch.randint(0, 1000, (a.batch,), device=dev)]
        lr = F.avg_pool2d(hr, 4)
        bicubic = F.interpolate(lr, scale_factor=4, mode="bicubic", align_corners=False)
        # The pixel network: L1 alone.
        l1_p = (pixel(lr, bicubic) - hr).abs().mean()
        opt_p.zero_grad(set_to_none=True)
        l1_p.backward()
        opt_p.step()
        # The GAN network: the critic's weights are constants here.
        for q in critic.parameters():
            q.requires_grad_(False)
        out = gan(lr, bicubic)
        fake_scores, fake_feats = critic(out)
        _, real_feats = critic(hr)
        feature = 0.5 * sum((f - r.detach()).abs().mean() for f, r in zip(fake_feats, real_feats))
        adv = ((fake_scores - 1.0) ** 2).mean()
        l1_g = (out - hr).abs().mean()
        loss_g = 0.01 * l1_g + 1.0 * feature + 0.01 * adv
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        with torch.no_grad():
            for e, g in zip(ema.parameters(), gan.parameters()):
                e.mul_(0.999).add_(g, alpha=0.001)
        for q in critic.parameters():
            q.requires_grad_(True)
        # The critic, on real and generated images in one batch.
        scores, _ = critic(torch.cat([hr, out.detach()], 0))
        real, fake = scores[:a.batch], scores[a.batch:]
        loss_d = 0.5 * (((real - 1.0) ** 2).mean() + (fake ** 2).mean())
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        # ganvas reads its curves every round; so does the twin.
        return l1_p.item() + loss_g.item() + loss_d.item() + real.mean().item() + fake.mean().item()

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
