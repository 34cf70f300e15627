//! The super-resolution networks, without batch norm (EDSR and ESRGAN drop it: it shifts the
//! colours of single images and makes outputs depend on the batch).
//!
//! Generator (SRResNet-style): a 3×3 head, residual blocks x + β·conv(LeakyReLU(conv(x))) with
//! residual scaling β, a 3×3 convolution and a skip over the whole trunk, then one upsampling
//! per doubling (nearest resize, then a 3×3 convolution: no checkerboard artefacts), and a
//! 3×3 tail whose output is added to the bicubic upscale of the input. Its weights start small
//! (He initialisation × 0.1 in the trunk, as ESRGAN, × 0.02 in the tail), so an untrained network returns nearly the bicubic
//! image and learns only the detail bicubic misses.
//!
//! Critic: 3×3 stride-1 and 4×4 stride-2 convolutions with LeakyReLU (no norm), ending in a
//! map of patch scores; the activations after its two downsamplings are the features of the
//! feature loss.

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use super::SrNets;
use crate::engine::cyclegan::nets::{Conv, upsample2};
use crate::engine::nn::kernels::norm::{Nonlinearity, activate};
use crate::engine::rng::Rng;

/// LeakyReLU's slope in both networks.
const SLOPE: f32 = 0.2;

fn leaky<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    activate(x, Nonlinearity::LeakyRelu(SLOPE))
}

/// A 3×3 convolution keeping the size, He-initialised × `gain`.
fn conv3(rng: &mut Rng, c_in: usize, c_out: usize, gain: f32, device: &Device) -> Conv {
    let std = gain * (2.0 / (c_in * 9) as f32).sqrt();
    Conv::scaled(rng, [c_in, c_out, 3], 1, 1, std, device)
}

/// x + β·conv(LeakyReLU(conv(x))).
#[derive(Module, Debug)]
pub struct ResidualBlock {
    pub first: Conv,
    pub second: Conv,
    pub scaling: f32,
}

impl ResidualBlock {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let h = self.second.forward(leaky(self.first.forward(x.clone())));
        x.add(h.mul_scalar(self.scaling))
    }
}

/// The generator: low-res image (and its bicubic upscale) → high-res image.
#[derive(Module, Debug)]
pub struct SrGenerator {
    pub head: Conv,
    pub blocks: Vec<ResidualBlock>,
    pub trunk: Conv,
    pub ups: Vec<Conv>,
    pub tail: Conv,
}

impl SrGenerator {
    pub fn new(rng: &mut Rng, channels: usize, nets: &SrNets, device: &Device) -> Self {
        let f = nets.g_filters;
        let head = conv3(rng, channels, f, 1.0, device);
        let blocks = (0..nets.residual_blocks)
            .map(|_| ResidualBlock {
                first: conv3(rng, f, f, 0.1, device),
                second: conv3(rng, f, f, 0.1, device),
                scaling: nets.residual_scaling,
            })
            .collect();
        let trunk = conv3(rng, f, f, 0.1, device);
        let doublings = nets.scale.trailing_zeros() as usize;
        let ups = (0..doublings)
            .map(|_| conv3(rng, f, f, 1.0, device))
            .collect();
        // Smaller still: the first outputs are the bicubic image plus a faint residual.
        let tail = conv3(rng, f, channels, 0.02, device);
        Self {
            head,
            blocks,
            trunk,
            ups,
            tail,
        }
    }

    /// `lr` [n, c, h, w] and its bicubic upscale [n, c, s·h, s·w] → [n, c, s·h, s·w] (not
    /// clamped: outputs are clamped to [-1, 1] where they are shown or measured).
    pub fn forward(&self, lr: Tensor<4>, bicubic: Tensor<4>) -> Tensor<4> {
        let start = leaky(self.head.forward(lr));
        let mut h = start.clone();
        for block in &self.blocks {
            h = block.forward(h);
        }
        h = start.add(self.trunk.forward(h));
        for up in &self.ups {
            h = leaky(up.forward(upsample2(h)));
        }
        bicubic.add(self.tail.forward(h))
    }
}

/// The critic: an image → a map of patch scores, and its features.
#[derive(Module, Debug)]
pub struct SrCritic {
    pub layers: Vec<Conv>,
    pub score: Conv,
}

/// What the critic makes of a batch.
pub struct Judged {
    /// [n, patches].
    pub scores: Tensor<2>,
    /// The activations after its two downsamplings (the feature loss compares them).
    pub features: [Tensor<4>; 2],
}

impl SrCritic {
    pub fn new(rng: &mut Rng, channels: usize, nets: &SrNets, device: &Device) -> Self {
        let f = nets.d_filters;
        let he = |c_in: usize, k: usize| (2.0 / (c_in * k * k) as f32).sqrt();
        let layers = vec![
            Conv::scaled(rng, [channels, f, 3], 1, 1, he(channels, 3), device),
            Conv::scaled(rng, [f, f, 4], 2, 1, he(f, 4), device),
            Conv::scaled(rng, [f, 2 * f, 3], 1, 1, he(f, 3), device),
            Conv::scaled(rng, [2 * f, 2 * f, 4], 2, 1, he(2 * f, 4), device),
            Conv::scaled(rng, [2 * f, 4 * f, 3], 1, 1, he(2 * f, 3), device),
        ];
        let score = Conv::scaled(rng, [4 * f, 1, 3], 1, 1, he(4 * f, 3), device);
        Self { layers, score }
    }

    pub fn forward(&self, x: Tensor<4>) -> Judged {
        let mut h = x;
        let mut features = Vec::with_capacity(2);
        for (i, layer) in self.layers.iter().enumerate() {
            h = leaky(layer.forward(h));
            if i == 1 || i == 3 {
                features.push(h.clone());
            }
        }
        let s = self.score.forward(h);
        let [n, _, ph, pw] = s.dims();
        let [early, late]: [Tensor<4>; 2] = features.try_into().expect("two downsamplings");
        Judged {
            scores: s.reshape([n, ph * pw]),
            features: [early, late],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::nn::params::{mix_weights, parameter_values};
    use burn::tensor::TensorData;

    fn nets() -> SrNets {
        SrNets {
            scale: 4,
            g_filters: 8,
            residual_blocks: 2,
            residual_scaling: 0.2,
            d_filters: 4,
        }
    }

    fn tensor(values: Vec<f32>, shape: [usize; 4], device: &Device) -> Tensor<4> {
        Tensor::from_data(TensorData::new(values, shape), device)
    }

    #[test]
    fn shapes_and_an_untrained_generator_stays_near_bicubic() {
        let d = Device::flex();
        let mut rng = Rng::seeded(2);
        let g = SrGenerator::new(&mut rng, 1, &nets(), &d);
        let lr = tensor(rng.normals(2 * 49), [2, 1, 7, 7], &d);
        let bicubic = tensor(rng.normals(2 * 784), [2, 1, 28, 28], &d);
        let out = g.forward(lr, bicubic.clone());
        assert_eq!(out.dims(), [2, 1, 28, 28]);
        let drift: f32 = out.sub(bicubic).abs().mean().into_scalar();
        assert!(drift < 0.05, "mean |G − bicubic| {drift}");
        let critic = SrCritic::new(&mut rng, 1, &nets(), &d);
        let judged = critic.forward(Tensor::zeros([3, 1, 28, 28], &d));
        assert_eq!(judged.scores.dims(), [3, 49], "7×7 patches at 28 px");
        assert_eq!(judged.features[0].dims(), [3, 4, 14, 14]);
        assert_eq!(judged.features[1].dims(), [3, 8, 7, 7]);
        // A 2× generator has one upsampling; any image size goes through.
        let two = SrGenerator::new(&mut rng, 3, &SrNets { scale: 2, ..nets() }, &d);
        assert_eq!(two.ups.len(), 1);
        let out = two.forward(
            Tensor::zeros([1, 3, 5, 9], &d),
            Tensor::zeros([1, 3, 10, 18], &d),
        );
        assert_eq!(out.dims(), [1, 3, 10, 18]);
    }

    #[test]
    fn weight_mixes_at_zero_and_one_are_the_two_networks() {
        let d = Device::flex();
        let a = SrGenerator::new(&mut Rng::seeded(1), 1, &nets(), &d);
        let b = SrGenerator::new(&mut Rng::seeded(2), 1, &nets(), &d);
        let (va, vb) = (parameter_values(&a), parameter_values(&b));
        assert_ne!(va, vb);
        assert_eq!(parameter_values(&mix_weights(&a, &b, 0.0)), va);
        assert_eq!(parameter_values(&mix_weights(&a, &b, 1.0)), vb);
        let half = parameter_values(&mix_weights(&a, &b, 0.5));
        for ((h, x), y) in half.iter().zip(&va).zip(&vb) {
            assert!((h - 0.5 * (x + y)).abs() < 1e-6);
        }
        // And the outputs follow: the mix at 1 upscales exactly as b does.
        let lr = tensor(Rng::seeded(5).normals(49), [1, 1, 7, 7], &d);
        let bic = tensor(Rng::seeded(6).normals(784), [1, 1, 28, 28], &d);
        let mixed = mix_weights(&a, &b, 1.0).forward(lr.clone(), bic.clone());
        let diff: f32 = mixed.sub(b.forward(lr, bic)).abs().max().into_scalar();
        assert_eq!(diff, 0.0);
    }
}
