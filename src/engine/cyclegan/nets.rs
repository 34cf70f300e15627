//! CycleGAN's networks (Zhu et al. 2017), sized for 28–64 px: a ResNet generator
//! (a 7×7 stem, two stride-2 downsamplings, residual blocks, two upsamplings by nearest
//! resize then a 3×3 convolution, which avoids the checkerboard artefacts of transposed
//! convolutions, a 7×7 head and tanh) and a PatchGAN critic (strided 4×4 convolutions ending in
//! one score per overlapping patch). Instance norm layers are burn's `InstanceNorm` modules (their
//! epsilon; no parameters), computed by the fused instance-norm kernel with the activation after
//! them (`kernels::norm`: one operation instead of burn's nine, the same values). Weights start from
//! N(0, 0.02), as the reference implementation's default; convolutions pad with zeros where
//! the reference pads its 7×7 ones by reflection (burn's padding is zeros, and at 28 px the
//! border is background anyway). Images travel as [n, c, h, w].

use burn::module::{Module, Param};
use burn::nn::{InstanceNorm, InstanceNormConfig};
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, Tensor, TensorData};

use crate::engine::nn::kernels::conv as kernels;
use crate::engine::nn::kernels::norm::{Nonlinearity, activate, instance_norm_act};
use crate::engine::rng::Rng;

/// A square convolution with its own kernel size, stride and zero padding.
#[derive(Module, Debug)]
pub struct Conv {
    pub weight: Param<Tensor<4>>,
    pub bias: Param<Tensor<1>>,
    pub stride: usize,
    pub padding: usize,
}

impl Conv {
    /// Weights from N(0, 0.02), the reference implementation's.
    pub fn new(
        rng: &mut Rng,
        shape: [usize; 3],
        stride: usize,
        padding: usize,
        device: &Device,
    ) -> Self {
        Self::scaled(rng, shape, stride, padding, 0.02, device)
    }

    /// Weights from N(0, `std`²).
    pub fn scaled(
        rng: &mut Rng,
        [c_in, c_out, kernel]: [usize; 3],
        stride: usize,
        padding: usize,
        std: f32,
        device: &Device,
    ) -> Self {
        let n = c_out * c_in * kernel * kernel;
        let w: Vec<f32> = rng.normals(n).into_iter().map(|v| std * v).collect();
        Self {
            weight: Param::from_tensor(Tensor::from_data(
                TensorData::new(w, [c_out, c_in, kernel, kernel]),
                device,
            )),
            bias: Param::from_tensor(Tensor::zeros([c_out], device)),
            stride,
            padding,
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        kernels::conv(
            x,
            self.weight.val(),
            self.bias.val(),
            self.stride,
            self.padding,
        )
    }
}

/// `norm` (no affine parameters) of `x`, then `act`, in one fused operation.
fn normalise(norm: &InstanceNorm, x: Tensor<4>, act: Nonlinearity) -> Tensor<4> {
    instance_norm_act(x, norm.epsilon, act)
}

fn instance_norm(channels: usize, device: &Device) -> InstanceNorm {
    // No affine parameters, as the reference implementation (PyTorch's InstanceNorm2d default).
    InstanceNormConfig::new(channels)
        .with_affine(false)
        .init(device)
}

/// Nearest-neighbour upsampling by two: each pixel becomes a 2×2 block. burn's `interpolate`
/// does it in one parallel pass each way; a reshape-expand-reshape (the first version) made
/// burn copy through strided views, 0.6 ms forward and backward at [8, 64, 7, 7].
pub fn upsample2(x: Tensor<4>) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    let options =
        InterpolateOptions::new(InterpolateMode::Nearest).with_output_size([2 * h, 2 * w]);
    interpolate(x, options)
}

/// conv → instance norm → ReLU.
#[derive(Module, Debug)]
pub struct ConvNormRelu {
    pub conv: Conv,
    pub norm: InstanceNorm,
}

impl ConvNormRelu {
    fn new(
        rng: &mut Rng,
        shape: [usize; 3],
        stride: usize,
        padding: usize,
        device: &Device,
    ) -> Self {
        Self {
            conv: Conv::new(rng, shape, stride, padding, device),
            norm: instance_norm(shape[1], device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        normalise(&self.norm, self.conv.forward(x), Nonlinearity::Relu)
    }
}

/// x + IN(conv(ReLU(IN(conv(x))))), 3×3 convolutions keeping the size.
#[derive(Module, Debug)]
pub struct ResidualBlock {
    pub first: ConvNormRelu,
    pub second: Conv,
    pub norm: InstanceNorm,
}

impl ResidualBlock {
    fn new(rng: &mut Rng, channels: usize, device: &Device) -> Self {
        Self {
            first: ConvNormRelu::new(rng, [channels, channels, 3], 1, 1, device),
            second: Conv::new(rng, [channels, channels, 3], 1, 1, device),
            norm: instance_norm(channels, device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let h = self.second.forward(self.first.forward(x.clone()));
        x.add(normalise(&self.norm, h, Nonlinearity::Identity))
    }
}

/// Sizes of a CycleGAN pair of networks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NetSpec {
    /// Channels of the generator's first layer (doubled at each downsampling).
    pub g_filters: usize,
    /// Stride-2 downsamplings before the residual blocks (the reference's 2), each undone by
    /// an upsampling after them. Fewer keep the blocks at a finer grid and shrink the
    /// generator's receptive field: it then edits strokes where it cannot redraw the shape.
    pub downsamplings: usize,
    pub residual_blocks: usize,
    /// Channels of the critic's first layer (doubled at each later layer).
    pub d_filters: usize,
}

/// The ResNet generator: an image of one domain → an image of the other, same side.
#[derive(Module, Debug)]
pub struct ResnetGenerator {
    pub stem: ConvNormRelu,
    pub down: Vec<ConvNormRelu>,
    pub blocks: Vec<ResidualBlock>,
    pub up: Vec<ConvNormRelu>,
    pub head: Conv,
}

impl ResnetGenerator {
    /// From `c_in` to `c_out` channels; the side must be a multiple of 2^downsamplings.
    pub fn new(rng: &mut Rng, c_in: usize, c_out: usize, spec: &NetSpec, device: &Device) -> Self {
        let f = spec.g_filters;
        let widths: Vec<usize> = (0..=spec.downsamplings).map(|i| f << i).collect();
        let deepest = widths[spec.downsamplings];
        // Drawn in the reference's order (stem, downs, blocks, ups, head), so that a seed
        // gives the same weights whatever comes later.
        let stem = ConvNormRelu::new(rng, [c_in, f, 7], 1, 3, device);
        let down = widths
            .windows(2)
            .map(|w| ConvNormRelu::new(rng, [w[0], w[1], 3], 2, 1, device))
            .collect();
        let blocks = (0..spec.residual_blocks)
            .map(|_| ResidualBlock::new(rng, deepest, device))
            .collect();
        let up = widths
            .windows(2)
            .rev()
            .map(|w| ConvNormRelu::new(rng, [w[1], w[0], 3], 1, 1, device))
            .collect();
        Self {
            stem,
            down,
            blocks,
            up,
            head: Conv::new(rng, [f, c_out, 7], 1, 3, device),
        }
    }

    /// [n, c_in, s, s] in [-1, 1] → [n, c_out, s, s] in (-1, 1).
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let mut h = self.stem.forward(x);
        for layer in &self.down {
            h = layer.forward(h);
        }
        for block in &self.blocks {
            h = block.forward(h);
        }
        for layer in &self.up {
            h = layer.forward(upsample2(h));
        }
        // The activation kernel: burn's tanh runs on one thread.
        activate(self.head.forward(h), Nonlinearity::Tanh)
    }
}

/// The PatchGAN critic: a grid of scores, one per overlapping patch of the input.
#[derive(Module, Debug)]
pub struct PatchCritic {
    /// Strided 4×4 convolutions halving the side (the first without instance norm).
    pub down: Vec<Conv>,
    pub norms: Vec<InstanceNorm>,
    /// A stride-1 4×4 convolution, then the one-channel score map.
    pub wide: Conv,
    pub wide_norm: InstanceNorm,
    pub score: Conv,
}

/// LeakyReLU's slope in the critic (the reference's 0.2).
const SLOPE: f32 = 0.2;

impl PatchCritic {
    pub fn new(rng: &mut Rng, channels: usize, spec: &NetSpec, device: &Device) -> Self {
        let f = spec.d_filters;
        Self {
            down: vec![
                Conv::new(rng, [channels, f, 4], 2, 1, device),
                Conv::new(rng, [f, 2 * f, 4], 2, 1, device),
            ],
            norms: vec![instance_norm(2 * f, device)],
            wide: Conv::new(rng, [2 * f, 4 * f, 4], 1, 1, device),
            wide_norm: instance_norm(4 * f, device),
            score: Conv::new(rng, [4 * f, 1, 4], 1, 1, device),
        }
    }

    /// [n, c, s, s] → [n, patches] scores (5×5 patches of a 28 px image).
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let leaky = Nonlinearity::LeakyRelu(SLOPE);
        let mut h = activate(self.down[0].forward(x), leaky);
        h = normalise(&self.norms[0], self.down[1].forward(h), leaky);
        h = normalise(&self.wide_norm, self.wide.forward(h), leaky);
        let s = self.score.forward(h);
        let [n, _, ph, pw] = s.dims();
        s.reshape([n, ph * pw])
    }
}

/// `f` of `x` and, when given, of `y` (images of the same size), computed as one batch. Every layer of
/// CycleGAN's networks works image by image (instance norm included, there is no batch norm),
/// so the values are those of two calls, from fewer and larger operations (BENCHMARKS.md).
pub fn with_second<const D: usize>(
    f: impl Fn(Tensor<4>) -> Tensor<D>,
    x: Tensor<4>,
    y: Option<Tensor<4>>,
) -> (Tensor<D>, Option<Tensor<D>>) {
    match y {
        Some(y) => {
            let (fx, fy) = in_one_batch(f, x, y);
            (fx, Some(fy))
        }
        None => (f(x), None),
    }
}

/// `f` of `x` and of `y` (the same image size, any counts) as one batch; see [`with_second`].
pub fn in_one_batch<const D: usize>(
    f: impl Fn(Tensor<4>) -> Tensor<D>,
    x: Tensor<4>,
    y: Tensor<4>,
) -> (Tensor<D>, Tensor<D>) {
    let (n, m) = (x.dims()[0], y.dims()[0]);
    let both = f(Tensor::cat(vec![x, y], 0));
    (both.clone().narrow(0, 0, n), both.narrow(0, n, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> Device {
        Device::flex()
    }

    #[test]
    fn upsampling_repeats_each_pixel_into_a_block() {
        let x = Tensor::<4>::from_data(
            TensorData::new(vec![1.0f32, 2.0, 3.0, 4.0], [1, 1, 2, 2]),
            &device(),
        );
        let up: Vec<f32> = upsample2(x).into_data().try_to_vec::<f32>().expect("f32");
        assert_eq!(
            up,
            [
                1., 1., 2., 2., 1., 1., 2., 2., 3., 3., 4., 4., 3., 3., 4., 4.
            ]
        );
    }

    #[test]
    fn the_networks_keep_the_side_and_map_channels() {
        let spec = NetSpec {
            g_filters: 4,
            downsamplings: 2,
            residual_blocks: 2,
            d_filters: 4,
        };
        let mut rng = Rng::seeded(1);
        let d = device();
        let g = ResnetGenerator::new(&mut rng, 1, 3, &spec, &d);
        let x = Tensor::<4>::zeros([2, 1, 28, 28], &d).add_scalar(0.5);
        let y = g.forward(x);
        assert_eq!(y.dims(), [2, 3, 28, 28]);
        let values: Vec<f32> = y.into_data().try_to_vec::<f32>().expect("f32");
        assert!(values.iter().all(|v| v.abs() < 1.0));
        let critic = PatchCritic::new(&mut rng, 3, &spec, &d);
        let scores = critic.forward(Tensor::zeros([2, 3, 28, 28], &d));
        assert_eq!(scores.dims(), [2, 25], "5×5 patches at 28 px");
        let scores = critic.forward(Tensor::zeros([1, 3, 32, 32], &d));
        assert_eq!(scores.dims(), [1, 36], "6×6 patches at 32 px");
    }

    fn images(n: usize, seed: u64, device: &Device) -> Tensor<4> {
        let values = Rng::seeded(seed).normals(n * 28 * 28);
        Tensor::from_data(TensorData::new(values, [n, 1, 28, 28]), device).tanh()
    }

    fn max_difference<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
        a.sub(b).abs().max().into_scalar()
    }

    #[test]
    fn one_batch_gives_what_two_calls_give() {
        let device = Device::flex();
        let spec = NetSpec {
            g_filters: 8,
            downsamplings: 2,
            residual_blocks: 1,
            d_filters: 8,
        };
        let mut rng = Rng::seeded(3);
        let g = ResnetGenerator::new(&mut rng, 1, 1, &spec, &device);
        let d = PatchCritic::new(&mut rng, 1, &spec, &device);
        let (x, y) = (images(3, 1, &device), images(2, 2, &device));
        let (gx, gy) = in_one_batch(|t| g.forward(t), x.clone(), y.clone());
        assert!(max_difference(gx, g.forward(x.clone())) < 1e-5);
        assert!(max_difference(gy, g.forward(y.clone())) < 1e-5);
        let (dx, dy) = in_one_batch(|t| d.forward(t), x.clone(), y.clone());
        assert_eq!(dx.dims(), [3, 25]);
        assert!(max_difference(dx, d.forward(x.clone())) < 1e-5);
        assert!(max_difference(dy, d.forward(y)) < 1e-5);
        let (alone, none) = with_second(|t| d.forward(t), x.clone(), None);
        assert!(none.is_none());
        assert!(max_difference(alone, d.forward(x)) == 0.0);
    }
}
