"""Scores generated digits saved as IDX (`ganvas sample --checkpoint RUN --n 2000 --out S.idx`)
with PyTorch judges trained on 9,000 of the 10k MNIST test digits (1,406 steps of 128, Adam 1e-3,
as ganvas's classifier): a copy of ganvas's MLP (784-256-64-10) and two CNNs (4x4 stride-2
convolutions 16-32 and 32-64, then 64, then 10). Prints each judge's held-out accuracy, its mean
confidence on held-out real digits and on every sample file, and the samples' class histogram.

Usage: python3 bench/mnist_judge_idx.py S1.idx [S2.idx ...]   (MNIST from ../shared/data/mnist)
"""
import gzip, os, struct, sys
import torch, torch.nn as nn, torch.nn.functional as F


def idx(path):
    raw = open(path, 'rb').read()
    if path.endswith('.gz'):
        raw = gzip.decompress(raw)
    dims = struct.unpack('>' + 'I' * raw[3], raw[4:4 + 4 * raw[3]])
    return torch.frombuffer(bytearray(raw[4 + 4 * raw[3]:]), dtype=torch.uint8).reshape(dims)


def cnn(a, b):
    return nn.Sequential(nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, a, 4, 2, 1), nn.ReLU(),
                         nn.Conv2d(a, b, 4, 2, 1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(b * 49, 64), nn.ReLU(), nn.Linear(64, 10))


def main():
    torch.set_num_threads(2)
    d = os.environ.get('MNIST_DIR', '../shared/data/mnist') + '/'
    x = idx(d + 't10k-images-idx3-ubyte.gz').float().reshape(-1, 784) / 127.5 - 1
    y = idx(d + 't10k-labels-idx1-ubyte.gz').long()
    samples = {p: idx(p).float().reshape(-1, 784) / 127.5 - 1 for p in sys.argv[1:]}
    torch.manual_seed(0)
    perm = torch.randperm(10000)
    te, tr = perm[:1000], perm[1000:]
    judges = {
        'mlp (ganvas)': lambda: nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 64),
                                              nn.ReLU(), nn.Linear(64, 10)),
        'cnn 16-32': lambda: cnn(16, 32),
        'cnn 32-64': lambda: cnn(32, 64),
    }
    for name, make in judges.items():
        torch.manual_seed(0)
        net = make()
        opt = torch.optim.Adam(net.parameters(), 1e-3)
        for _ in range(1406):
            i = tr[torch.randint(0, 9000, (128,))]
            loss = F.cross_entropy(net(x[i]), y[i])
            opt.zero_grad(); loss.backward(); opt.step()
        with torch.no_grad():
            p = net(x[te]).softmax(1)
            print(f'{name}: held-out accuracy {(p.argmax(1) == y[te]).float().mean():.3f}, '
                  f'confidence on real {p.max(1).values.mean():.3f}')
            for path, s in samples.items():
                q = net(s).softmax(1)
                hist = torch.bincount(q.argmax(1), minlength=10).tolist()
                print(f'  {path}: confidence {q.max(1).values.mean():.3f}, classes {hist}')


if __name__ == '__main__':
    main()
