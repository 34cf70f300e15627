"""PyTorch reference for `ganvas bench`: the same two GANs (shapes, batch, optimizer, loss,
D-then-G step) timed the same way. Prints `steps_per_sec=<value>`.

Usage: python3 bench/pytorch_gan_bench.py --model ring|dcgan --device cpu|cuda --steps N --threads T
"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def ring_models():
    def mlp(i, o):
        return nn.Sequential(nn.Linear(i, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                             nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, o))
    return mlp(2, 2), mlp(2, 1), 2


def dcgan_models():
    class G(nn.Module):
        def __init__(self):
            super().__init__()
            self.project = nn.Linear(100, 128 * 7 * 7)
            self.bn0 = nn.BatchNorm2d(128)
            self.up1 = nn.ConvTranspose2d(128, 64, 4, 2, 1)
            self.bn1 = nn.BatchNorm2d(64)
            self.up2 = nn.ConvTranspose2d(64, 1, 4, 2, 1)

        def forward(self, z):
            h = F.relu(self.bn0(self.project(z).view(-1, 128, 7, 7)))
            h = F.relu(self.bn1(self.up1(h)))
            return torch.tanh(self.up2(h)).flatten(1)

    class D(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(1, 64, 4, 2, 1)
            self.c2 = nn.Conv2d(64, 128, 4, 2, 1)
            self.bn2 = nn.BatchNorm2d(128)
            self.out = nn.Linear(128 * 7 * 7, 1)

        def forward(self, x):
            h = F.leaky_relu(self.c1(x.view(-1, 1, 28, 28)), 0.2)
            h = F.leaky_relu(self.bn2(self.c2(h)), 0.2)
            return self.out(h.flatten(1))

    return G(), D(), 100


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=["ring", "dcgan"], required=True)
    p.add_argument("--device", default="cpu")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--dcgan-batch", type=int, default=64)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = torch.device(a.device)
    if a.model == "ring":
        g, d, latent = ring_models()
        batch, lr = 256, 1e-3
        angles = torch.arange(8) * (2 * math.pi / 8)
        means = torch.stack([angles.cos(), angles.sin()], 1).to(dev)

        def real_batch():
            idx = torch.randint(0, 8, (batch,), device=dev)
            return means[idx] + 0.01 * torch.randn(batch, 2, device=dev)
    else:
        g, d, latent = dcgan_models()
        batch, lr = a.dcgan_batch, 2e-4
        data = torch.rand(1000, 784, device=dev) * 2 - 1

        def real_batch():
            return data[torch.randint(0, 1000, (batch,), device=dev)]
    g, d = g.to(dev), d.to(dev)
    opt_g = torch.optim.Adam(g.parameters(), lr=lr, betas=(0.5, 0.999), eps=1e-8)
    opt_d = torch.optim.Adam(d.parameters(), lr=lr, betas=(0.5, 0.999), eps=1e-8)
    ones = torch.ones(batch, 1, device=dev)
    zeros = torch.zeros(batch, 1, device=dev)

    def step():
        real = real_batch()
        fake = g(torch.randn(batch, latent, device=dev)).detach()
        loss_d = F.binary_cross_entropy_with_logits(d(real), ones) + \
            F.binary_cross_entropy_with_logits(d(fake), zeros)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        fake = g(torch.randn(batch, latent, device=dev))
        loss_g = F.binary_cross_entropy_with_logits(d(fake), ones)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        # ganvas reads the losses every step; so does the reference.
        return loss_d.item() + loss_g.item()

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
