"""PyTorch reference for the MNIST confidence figure in BENCHMARKS.md: trains ganvas's MNIST
classifier (the same MLP 784-256-64-10, Adam 1e-3, 1,406 steps of 128 on 9,000 of the 10k test
digits) and a small CNN beside it, then the same DCGAN as `presets/mnist-dcgan.toml` / `ganvas
bench`, and prints both classifiers' mean confidence on 2,500 samples every 250 steps (G in eval
mode: BN running statistics), saving the samples at steps 1000, 2000, ... as samplesN.pt.

Usage: python3 bench/mnist_dcgan_reference.py STEPS   (MNIST from ../shared/data/mnist)
"""
import gzip, torch, torch.nn as nn, torch.nn.functional as F, time, sys
torch.set_num_threads(1); torch.manual_seed(0)
d=__import__('os').environ.get('MNIST_DIR','../shared/data/mnist')+'/'
img=torch.frombuffer(bytearray(gzip.open(d+'t10k-images-idx3-ubyte.gz').read()[16:]),dtype=torch.uint8).float().view(-1,1,28,28)/127.5-1
lab=torch.frombuffer(bytearray(gzip.open(d+'t10k-labels-idx1-ubyte.gz').read()[8:]),dtype=torch.uint8).long()
perm=torch.randperm(10000); te,tr=perm[:1000],perm[1000:]
def mlp(): return nn.Sequential(nn.Flatten(),nn.Linear(784,256),nn.ReLU(),nn.Linear(256,64),nn.ReLU(),nn.Linear(64,10))
def cnn(): return nn.Sequential(nn.Conv2d(1,16,4,2,1),nn.ReLU(),nn.Conv2d(16,32,4,2,1),nn.ReLU(),nn.Flatten(),nn.Linear(32*49,64),nn.ReLU(),nn.Linear(64,10))
def train(net,steps=1406):
    opt=torch.optim.Adam(net.parameters(),1e-3)
    for s in range(steps):
        i=tr[torch.randint(0,9000,(128,))]
        loss=F.cross_entropy(net(img[i]),lab[i]); opt.zero_grad(); loss.backward(); opt.step()
    with torch.no_grad():
        p=net(img[te]).softmax(1)
    print(type(net[1]).__name__, 'acc',(p.argmax(1)==lab[te]).float().mean().item(),'conf',p.max(1)[0].mean().item())
    return net
class G(nn.Module):
    def __init__(s):
        super().__init__(); s.p=nn.Linear(100,128*49); s.b0=nn.BatchNorm2d(128); s.u1=nn.ConvTranspose2d(128,64,4,2,1); s.b1=nn.BatchNorm2d(64); s.u2=nn.ConvTranspose2d(64,1,4,2,1)
    def forward(s,z):
        h=F.relu(s.b0(s.p(z).view(-1,128,7,7))); h=F.relu(s.b1(s.u1(h))); return torch.tanh(s.u2(h))
class D(nn.Module):
    def __init__(s):
        super().__init__(); s.c1=nn.Conv2d(1,64,4,2,1); s.c2=nn.Conv2d(64,128,4,2,1); s.b2=nn.BatchNorm2d(128); s.o=nn.Linear(128*49,1)
    def forward(s,x):
        h=F.leaky_relu(s.c1(x),0.2); h=F.leaky_relu(s.b2(s.c2(h)),0.2); return s.o(h.flatten(1))
t=time.time(); m=train(mlp()); c=train(cnn()); print('classifiers',time.time()-t)
g,dn=G(),D()
og=torch.optim.Adam(g.parameters(),2e-4,betas=(0.5,0.999)); od=torch.optim.Adam(dn.parameters(),2e-4,betas=(0.5,0.999))
def judge(x):
    with torch.no_grad():
        pm=m(x).softmax(1); pc=c(x).softmax(1)
    hist=torch.bincount(pc.argmax(1),minlength=10).tolist()
    return pm.max(1)[0].mean().item(), pc.max(1)[0].mean().item(), hist
print('noise', judge(torch.rand(2500,1,28,28)*2-1)[:2])
print('blend of two reals', judge((img[tr[:2500]]+img[tr[2500:5000]])/2)[:2])
for step in range(1,int(sys.argv[1])+1):
    x=img[tr[torch.randint(0,9000,(64,))]]
    f=g(torch.randn(64,100))
    ld=F.softplus(-dn(x)).mean()+F.softplus(dn(f.detach())).mean(); od.zero_grad(); ld.backward(); od.step()
    lg=F.softplus(-dn(f)).mean(); og.zero_grad(); lg.backward(); og.step()
    if step%250==0:
        g.eval()
        with torch.no_grad(): s=g(torch.randn(2500,100))
        g.train()
        print(step, 'mlp %.3f cnn %.3f'%judge(s)[:2], judge(s)[2], flush=True)
        if step%1000==0: torch.save(s, 'samples%d.pt'%step)
