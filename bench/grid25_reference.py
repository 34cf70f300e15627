"""PyTorch reference for grid25 in BENCHMARKS.md: the recipe of presets/grid25.toml (G and D 4x256,
ReLU G, leaky-ReLU D, pack 4, non-saturating loss, Adam beta1 0.5 with G 1e-4 / D 1e-3, 2 D steps,
batch 256, EMA 0.999 of G for evaluation), with a Gaussian latent of 2 or a mixture latent.
Prints modes covered (>= 20 of 2,500 samples within 3 sigma) and % high quality every 2,000 steps.

Usage: python3 bench/grid25_reference.py gauss|mix:COMPONENTS:DIM:SPREAD STEPS SEED
"""
import torch, torch.nn as nn, torch.nn.functional as F, sys, time, copy
torch.set_num_threads(1)
variant, steps, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.manual_seed(seed)
means = torch.tensor([[x, y] for x in (-4., -2., 0., 2., 4.) for y in (-4., -2., 0., 2., 4.)])
def real(n): return means[torch.randint(0, 25, (n,))] + 0.05 * torch.randn(n, 2)
if variant == 'gauss':
    dim = 2
    def latent(n): return torch.randn(n, dim)
else:  # mix:K:dim:sigma
    _, K, dim, sig = variant.split(':'); K, dim, sig = int(K), int(dim), float(sig)
    g0 = torch.Generator().manual_seed(1234); centres = torch.randn(K, dim, generator=g0)
    def latent(n): return centres[torch.randint(0, K, (n,))] + sig * torch.randn(n, dim)
def mlp(i, o, act): 
    L = []; 
    for k in range(4): L += [nn.Linear(i if k == 0 else 256, 256), act()]
    return nn.Sequential(*L, nn.Linear(256, o))
G = mlp(dim, 2, nn.ReLU); D = mlp(8, 1, lambda: nn.LeakyReLU(0.2))
ema = copy.deepcopy(G)
og = torch.optim.Adam(G.parameters(), 1e-4, betas=(0.5, 0.999)); od = torch.optim.Adam(D.parameters(), 1e-3, betas=(0.5, 0.999))
pack = lambda x: x.reshape(-1, 8)
t = time.time()
for step in range(1, steps + 1):
    for _ in range(2):
        f = G(latent(256)).detach()
        ld = F.softplus(-D(pack(real(256)))).mean() + F.softplus(D(pack(f))).mean()
        od.zero_grad(); ld.backward(); od.step()
    lg = F.softplus(-D(pack(G(latent(256))))).mean()
    og.zero_grad(); lg.backward(); og.step()
    with torch.no_grad():
        for pe, p in zip(ema.parameters(), G.parameters()): pe.mul_(0.999).add_(p, alpha=0.001)
    if step % 2000 == 0:
        with torch.no_grad():
            s = ema(latent(2500)); d = torch.cdist(s, means); m, i = d.min(1); hq = m <= 0.15
            counts = torch.bincount(i[hq], minlength=25)
        print(variant, seed, step, 'modes', (counts >= 20).sum().item(), 'hq %.1f' % (100 * hq.float().mean().item()), '%.0f steps/s' % (step / (time.time() - t)), flush=True)
