"""Which classifier is a fair judge of generated digits? For an MLP (ganvas's) and a small CNN,
each trained plainly, with mixup (Beta(0.4, 0.4)) and with label smoothing (0.1), prints held-out
accuracy and mean confidence on: real held-out digits, uniform noise, blends of two digits of
different classes, and each samples file given (from bench/mnist_dcgan_reference.py).

Usage: python3 bench/mnist_judges.py samples1000.pt samples2000.pt
"""
import gzip, torch, torch.nn as nn, torch.nn.functional as F, sys
torch.set_num_threads(1); torch.manual_seed(0)
d=__import__('os').environ.get('MNIST_DIR','../shared/data/mnist')+'/'
img=torch.frombuffer(bytearray(gzip.open(d+'t10k-images-idx3-ubyte.gz').read()[16:]),dtype=torch.uint8).float().view(-1,1,28,28)/127.5-1
lab=torch.frombuffer(bytearray(gzip.open(d+'t10k-labels-idx1-ubyte.gz').read()[8:]),dtype=torch.uint8).long()
perm=torch.randperm(10000); te,tr=perm[:1000],perm[1000:]
def mlp(): return nn.Sequential(nn.Flatten(),nn.Linear(784,256),nn.ReLU(),nn.Linear(256,64),nn.ReLU(),nn.Linear(64,10))
def cnn(): return nn.Sequential(nn.Conv2d(1,16,4,2,1),nn.ReLU(),nn.Conv2d(16,32,4,2,1),nn.ReLU(),nn.Flatten(),nn.Linear(32*49,64),nn.ReLU(),nn.Linear(64,10))
def train(net,mode,steps=1406):
    opt=torch.optim.Adam(net.parameters(),1e-3)
    for s in range(steps):
        i=tr[torch.randint(0,9000,(128,))]
        x,y=img[i],F.one_hot(lab[i],10).float()
        if mode=='mixup':
            lam=torch.distributions.Beta(0.4,0.4).sample((128,1))
            j=torch.randperm(128); x=lam.view(-1,1,1,1)*x+(1-lam.view(-1,1,1,1))*x[j]; y=lam*y+(1-lam)*y[j]
        if mode=='smooth': y=y*0.9+0.01
        loss=-(F.log_softmax(net(x),1)*y).sum(1).mean(); opt.zero_grad(); loss.backward(); opt.step()
    return net
diff=[(a,b) for a,b in zip(tr[:4000].tolist(),tr[4000:8000].tolist()) if lab[a]!=lab[b]][:2500]
blend=(img[[a for a,_ in diff]]+img[[b for _,b in diff]])/2
noise=torch.rand(2500,1,28,28)*2-1
samples={k:torch.load(k) for k in sys.argv[1:]}
for name,make in [('mlp',mlp),('cnn',cnn)]:
    for mode in ['plain','mixup','smooth']:
        net=train(make(),mode)
        with torch.no_grad():
            conf=lambda x: net(x).softmax(1).max(1)[0].mean().item()
            p=net(img[te]).softmax(1)
            row=[name,mode,'acc %.3f'%(p.argmax(1)==lab[te]).float().mean().item(),'real %.3f'%conf(img[te]),'noise %.3f'%conf(noise),'blend %.3f'%conf(blend)]
            row+=['%s %.3f'%(k,conf(v)) for k,v in samples.items()]
        print(*row, flush=True)
