//! StyleGAN's layers. Every weight is stored N(0, 1) (÷ the layer's learning-rate multiplier)
//! and scaled at run time by multiplier / √fan-in: the *equalised learning rate* (Karras et
//! al. 2018), so that Adam's step is the same relative size in every layer. The mapping
//! network's multiplier of 0.01 makes its effective learning rate 100× smaller, as StyleGAN's.
//!
//! The modulated convolution is the non-fused form of StyleGAN2: scale the input's channels
//! by the style, convolve with the shared weight, scale each output channel by the
//! demodulation factor 1/√(Σ (w·s)² + ε) (the output's expected standard deviation for a unit
//! input), then add per-pixel noise with a learned strength, the bias, and the activation.

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor, TensorData};

use crate::engine::cyclegan::nets::upsample2;
use crate::engine::nn::kernels::conv as kernels;
use crate::engine::nn::kernels::epilogue::scale_offset_bias_act;
use crate::engine::nn::kernels::norm::{Nonlinearity, activate};
use crate::engine::rng::Rng;

/// LeakyReLU's slope, and the gain that keeps the activations' scale (√2).
pub const SLOPE: f32 = 0.2;
pub const ACT_GAIN: f32 = std::f32::consts::SQRT_2;

/// LeakyReLU(0.2) × √2.
pub fn lrelu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    activate(x, Nonlinearity::LeakyRelu(SLOPE)).mul_scalar(ACT_GAIN)
}

fn normal_param<const D: usize>(
    rng: &mut Rng,
    shape: [usize; D],
    std: f32,
    device: &Device,
) -> Param<Tensor<D>> {
    let n = shape.iter().product();
    let values = rng.normals(n).into_iter().map(|v| std * v).collect();
    Param::from_tensor(Tensor::from_data(TensorData::new(values, shape), device))
}

fn constant_param(n: usize, value: f32, device: &Device) -> Param<Tensor<1>> {
    Param::from_tensor(Tensor::full([n], value, device))
}

/// A fully connected layer with an equalised learning rate.
#[derive(Module, Debug)]
pub struct EqLinear {
    /// [in, out], stored N(0, 1/lr_mul²).
    pub weight: Param<Tensor<2>>,
    pub bias: Param<Tensor<1>>,
    pub lr_mul: f32,
}

impl EqLinear {
    pub fn new(
        rng: &mut Rng,
        [d_in, d_out]: [usize; 2],
        lr_mul: f32,
        bias_init: f32,
        device: &Device,
    ) -> Self {
        Self {
            weight: normal_param(rng, [d_in, d_out], 1.0 / lr_mul, device),
            bias: constant_param(d_out, bias_init / lr_mul, device),
            lr_mul,
        }
    }

    /// [n, in] → [n, out].
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let [d_in, _] = self.weight.dims();
        let gain = self.lr_mul / (d_in as f32).sqrt();
        let b = self.bias.val().mul_scalar(self.lr_mul).unsqueeze::<2>();
        x.matmul(self.weight.val().mul_scalar(gain)).add(b)
    }
}

/// A convolution keeping the size, with an equalised learning rate.
#[derive(Module, Debug)]
pub struct EqConv {
    /// [out, in, k, k], stored N(0, 1).
    pub weight: Param<Tensor<4>>,
    pub bias: Param<Tensor<1>>,
}

impl EqConv {
    pub fn new(rng: &mut Rng, [c_in, c_out, k]: [usize; 3], device: &Device) -> Self {
        Self {
            weight: normal_param(rng, [c_out, c_in, k, k], 1.0, device),
            bias: constant_param(c_out, 0.0, device),
        }
    }

    /// The weight as the convolution uses it (× 1/√fan-in).
    pub fn scaled_weight(&self) -> Tensor<4> {
        let [_, c_in, k, _] = self.weight.dims();
        self.weight
            .val()
            .mul_scalar(1.0 / ((c_in * k * k) as f32).sqrt())
    }

    /// [n, in, h, w] → [n, out, h, w].
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.forward_times(x, 1.0)
    }

    /// The output times `gain` (> 0), with the gain applied to the weight and the bias (small
    /// tensors) instead of to the output. The critic folds its constants in this way: LeakyReLU
    /// is positively homogeneous and pooling linear, so lrelu(conv(x))·a = lrelu(a·conv(x)).
    pub fn forward_times(&self, x: Tensor<4>, gain: f32) -> Tensor<4> {
        let [_, c_in, k, _] = self.weight.dims();
        let scale = gain / ((c_in * k * k) as f32).sqrt();
        let weight = self.weight.val().mul_scalar(scale);
        kernels::conv(x, weight, self.bias.val().mul_scalar(gain), 1, k / 2)
    }
}

/// A modulated convolution: the style comes from w through its own affine layer.
#[derive(Module, Debug)]
pub struct ModConv {
    pub conv: EqConv,
    /// w → one scale per input channel (bias 1: the identity style at the start).
    pub affine: EqLinear,
    /// Per-pixel noise's learned strength (absent for toRGB), starting at 0.
    pub noise_strength: Option<Param<Tensor<1>>>,
    pub demodulate: bool,
    /// Upsample the input ×2 first.
    pub up: bool,
    /// Upsample bilinearly (StyleGAN2's [1, 3, 3, 1] filter) rather than by copying pixels.
    pub smooth: bool,
    /// toRGB has no activation.
    pub activate: bool,
}

/// What the noise input of a layer is for one forward pass.
#[derive(Clone, Debug)]
pub enum Noise {
    /// No noise (the "noise off" toggle; also the mean image).
    Off,
    /// This [n, 1, h, w] noise (fresh per call in training, fixed to compare).
    Given(Box<Tensor<4>>),
}

impl ModConv {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        rng: &mut Rng,
        [c_in, c_out, k]: [usize; 3],
        w_dim: usize,
        demodulate: bool,
        up: bool,
        rgb: bool,
        device: &Device,
    ) -> Self {
        Self {
            conv: EqConv::new(rng, [c_in, c_out, k], device),
            affine: EqLinear::new(rng, [w_dim, c_in], 1.0, 1.0, device),
            noise_strength: (!rgb).then(|| constant_param(1, 0.0, device)),
            demodulate,
            up,
            smooth: false,
            activate: !rgb,
        }
    }

    /// The styles of `w` [n, w_dim] → [n, in]. (toRGB, which does not demodulate, takes its
    /// 1/√in from the equalised weight, as StyleGAN2's weight gain on its styles.)
    pub fn styles(&self, w: Tensor<2>) -> Tensor<2> {
        self.affine.forward(w)
    }

    /// toRGB: a 1×1 modulated convolution, as one matrix product per sample with the style
    /// folded into that sample's weights ([out, in] · s), which reads the features once
    /// instead of scaling them first (the same sums; toRGB is not demodulated).
    fn to_rgb(&self, x: Tensor<4>, s: Tensor<2>) -> Tensor<4> {
        let [n, c_in, h, w] = x.dims();
        let weight = self.conv.scaled_weight();
        let [c_out, _, _, _] = weight.dims();
        let per_sample = weight
            .reshape([1, c_out, c_in])
            .mul(s.reshape([n, 1, c_in]));
        let y = per_sample.matmul(x.reshape([n, c_in, h * w]));
        let bias = self.conv.bias.val().reshape([1, c_out, 1]);
        y.add(bias).reshape([n, c_out, h, w])
    }

    /// The demodulation factors [n, out] for styles `s` [n, in]: 1/√(Σ_{i,k} (w_oik·s_i)² + ε).
    pub fn demodulation(&self, s: Tensor<2>) -> Tensor<2> {
        let w = self.conv.scaled_weight();
        let [c_out, c_in, k, _] = w.dims();
        let w2: Tensor<2> = w
            .square()
            .reshape([c_out, c_in, k * k])
            .sum_dim(2)
            .reshape([c_out, c_in]);
        s.square()
            .matmul(w2.transpose())
            .add_scalar(1e-8)
            .sqrt()
            .recip()
    }

    /// `x` [n, in, h, w] with style from `w` [n, w_dim] → [n, out, h', w'].
    pub fn forward(&self, x: Tensor<4>, w: Tensor<2>, noise: &Noise) -> Tensor<4> {
        let [n, c_in, _, _] = x.dims();
        let s = self.styles(w);
        if !self.activate && !self.demodulate && !self.up {
            return self.to_rgb(x, s);
        }
        let x = x.mul(s.clone().reshape([n, c_in, 1, 1]));
        // The style scales whole channels, so it is applied before upsampling (4× fewer
        // products; both upsamplings are linear within each channel).
        let x = match (self.up, self.smooth) {
            (false, _) => x,
            (true, false) => upsample2(x),
            (true, true) => upsample2_bilinear(x),
        };
        let weight = self.conv.scaled_weight();
        let [c_out, _, k, _] = weight.dims();
        let zero = Tensor::zeros([c_out], &x.device());
        let y = kernels::conv(x, weight, zero, 1, k / 2);
        let bias = self.conv.bias.val();
        if self.demodulate && self.activate {
            // Demodulation, noise, bias and activation in one pass (see `epilogue`).
            let [_, _, h, w] = y.dims();
            let offset = match (&self.noise_strength, noise) {
                (Some(strength), Noise::Given(noise)) => noise
                    .as_ref()
                    .clone()
                    .mul(strength.val().reshape([1, 1, 1, 1])),
                _ => Tensor::zeros([n, 1, h, w], &y.device()),
            };
            let scale = self.demodulation(s);
            let act = Nonlinearity::LeakyRelu(SLOPE);
            return scale_offset_bias_act(y, scale, offset, bias, act, ACT_GAIN);
        }
        let mut y = y;
        if self.demodulate {
            y = y.mul(self.demodulation(s).reshape([n, c_out, 1, 1]));
        }
        if let (Some(strength), Noise::Given(noise)) = (&self.noise_strength, noise) {
            y = y.add(
                noise
                    .as_ref()
                    .clone()
                    .mul(strength.val().reshape([1, 1, 1, 1])),
            );
        }
        let y = y.add(bias.reshape([1, c_out, 1, 1]));
        if self.activate { lrelu(y) } else { y }
    }
}

/// ×2 bilinear upsampling with half-pixel centres: each output pixel mixes its two nearest
/// inputs per axis by ¾ and ¼ (StyleGAN2's [1, 3, 3, 1] filter; the edges repeat their pixel).
/// Written as two small matrix products, one per axis, because burn's GPU backend has no
/// backward for bilinear interpolation; on the CPU they cost less than the interpolation.
pub fn upsample2_bilinear(x: Tensor<4>) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    let device = x.device();
    let along_w = upsample_matrix(w, &device).transpose().unsqueeze::<4>();
    let along_h = upsample_matrix(h, &device).unsqueeze::<4>();
    along_h.matmul(x.matmul(along_w))
}

/// The [2n, n] matrix of ×2 bilinear upsampling along one axis.
fn upsample_matrix(n: usize, device: &Device) -> Tensor<2> {
    let mut m = vec![0.0f32; 2 * n * n];
    for i in 0..n {
        let (before, after) = (i.saturating_sub(1), (i + 1).min(n - 1));
        m[2 * i * n + i] += 0.75;
        m[2 * i * n + before] += 0.25;
        m[(2 * i + 1) * n + i] += 0.75;
        m[(2 * i + 1) * n + after] += 0.25;
    }
    Tensor::from_data(TensorData::new(m, [2 * n, n]), device)
}

/// Minibatch standard deviation (StyleGAN): `channels` more channels holding, for each group
/// of up to `max_group` images (StyleGAN: 4; its CIFAR setting: 32), the mean of their
/// standard deviation over one of `channels` equal slices of the features (StyleGAN: one
/// slice, all of them): D sees the batch's variety, which makes collapse visible to it, and
/// with several slices it sees which features lack variety.
pub fn minibatch_stddev(x: Tensor<4>, max_group: usize, channels: usize) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    let group = (1..=n.min(max_group.max(1)))
        .rev()
        .find(|g| n % g == 0)
        .unwrap_or(1);
    let stats = channels.max(1);
    assert!(c.is_multiple_of(stats), "{c} features in {stats} slices");
    let m = n / group;
    let y: Tensor<5> = x.clone().reshape([group, m, c, h, w]);
    let centred = y.clone().sub(y.mean_dim(0));
    let std = centred.square().mean_dim(0).add_scalar(1e-8).sqrt(); // [1, m, c, h, w]
    let per_group: Tensor<2> = std
        .reshape([m, stats, c / stats * h * w])
        .mean_dim(2)
        .reshape([m, stats]);
    let channel = per_group
        .reshape([1, m, stats, 1, 1])
        .expand([group, m, stats, h, w])
        .reshape([n, stats, h, w]);
    Tensor::cat(vec![x, channel], 1)
}

/// 2×2 average pooling, as sums over reshaped axes: the same values as `avg_pool2d`, and a
/// backward pass that is a broadcast (the flex backend's pooling backward took 7 % of a
/// StyleGAN round).
pub fn downsample2(x: Tensor<4>) -> Tensor<4> {
    sum_pool2(x).mul_scalar(0.25)
}

/// The sum of each 2×2 block: [n, c, h, w] → [n, c, h/2, w/2] (4 × [`downsample2`]; the
/// critic folds the ¼ into its convolutions' weights).
pub fn sum_pool2(x: Tensor<4>) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    x.reshape([n, c, h / 2, 2, w / 2, 2])
        .sum_dim(5)
        .sum_dim(3)
        .reshape([n, c, h / 2, w / 2])
}

#[cfg(test)]
mod tests {
    use burn::tensor::TensorData;

    use super::*;

    fn random(rng: &mut Rng, shape: [usize; 4], device: &Device) -> Tensor<4> {
        let n = shape.iter().product();
        Tensor::from_data(TensorData::new(rng.normals(n), shape), device)
    }

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().expect("f32")
    }

    #[test]
    fn bilinear_upsampling_weighs_the_nearer_pixel_three_to_one() {
        let device = Device::flex();
        let x = Tensor::<4>::from_data(
            TensorData::new(vec![0.0, 4.0, 0.0, 4.0], [1, 1, 2, 2]),
            &device,
        );
        let up = values(upsample2_bilinear(x));
        // Each row 0, 4 becomes 0, ¾·0 + ¼·4, ¼·0 + ¾·4, 4 (the edges repeat their pixel).
        for row in up.chunks(4) {
            assert_close(row, &[0.0, 1.0, 3.0, 4.0], 1e-6);
        }
        assert_eq!(up.len(), 16);
    }

    #[test]
    fn bilinear_upsampling_is_burns_half_pixel_bilinear_interpolation() {
        use burn::tensor::module::interpolate;
        use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
        let device = Device::flex();
        let mut rng = Rng::seeded(5);
        let x = random(&mut rng, [2, 3, 4, 8], &device);
        let options = InterpolateOptions::new(InterpolateMode::Bilinear)
            .with_align_corners(false)
            .with_output_size([8, 16]);
        let theirs = values(interpolate(x.clone(), options));
        assert_close(&values(upsample2_bilinear(x)), &theirs, 1e-5);
    }

    #[test]
    fn downsampling_is_2x2_average_pooling() {
        let device = Device::flex();
        let x = random(&mut Rng::seeded(3), [2, 3, 8, 8], &device);
        let pooled = burn::tensor::module::avg_pool2d(
            x.clone(),
            burn::tensor::ops::AvgPoolOptions::new([2, 2]),
        );
        assert_close(&values(downsample2(x)), &values(pooled), 1e-6);
    }

    fn assert_close(a: &[f32], b: &[f32], tolerance: f32) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= tolerance * (1.0 + y.abs()),
                "{i}: {x} vs {y}"
            );
        }
    }

    #[test]
    fn a_modulated_convolution_is_a_plain_one_with_style_scaled_weights() {
        let device = Device::flex();
        let mut rng = Rng::seeded(11);
        let (c_in, c_out, w_dim) = (5, 7, 6);
        for demodulate in [false, true] {
            let mut m = ModConv::new(
                &mut rng,
                [c_in, c_out, 3],
                w_dim,
                demodulate,
                false,
                false,
                &device,
            );
            m.conv.bias = constant_param(c_out, 0.25, &device);
            let x = random(&mut rng, [1, c_in, 6, 6], &device);
            let w: Tensor<2> =
                Tensor::from_data(TensorData::new(rng.normals(w_dim), [1, w_dim]), &device);
            let ours = m.forward(x.clone(), w.clone(), &Noise::Off);
            // The same by hand: weight[o, i] · s_i (· d_o), one ordinary convolution.
            let s = m.styles(w);
            let mut weight = m
                .conv
                .scaled_weight()
                .mul(s.clone().reshape([1, c_in, 1, 1]));
            if demodulate {
                let d = weight
                    .clone()
                    .square()
                    .reshape([c_out, c_in * 9])
                    .sum_dim(1)
                    .add_scalar(1e-8)
                    .sqrt()
                    .recip();
                weight = weight.mul(d.reshape([c_out, 1, 1, 1]));
            }
            let plain = lrelu(kernels::conv(x, weight, m.conv.bias.val(), 1, 1));
            assert_close(&values(ours), &values(plain), 1e-4);
        }
    }

    #[test]
    fn to_rgb_is_a_plain_1x1_convolution_with_each_sample_s_style_scaled_weights() {
        let device = Device::flex();
        let mut rng = Rng::seeded(13);
        let (c_in, c_out, w_dim, n) = (6, 3, 5, 3);
        let mut m = ModConv::new(
            &mut rng,
            [c_in, c_out, 1],
            w_dim,
            false,
            false,
            true,
            &device,
        );
        m.conv.bias = constant_param(c_out, -0.5, &device);
        let x = random(&mut rng, [n, c_in, 4, 5], &device);
        let w: Tensor<2> =
            Tensor::from_data(TensorData::new(rng.normals(n * w_dim), [n, w_dim]), &device);
        let ours = values(m.forward(x.clone(), w.clone(), &Noise::Off));
        let s = m.styles(w);
        let mut plain = Vec::new();
        for i in 0..n {
            let weight = m
                .conv
                .scaled_weight()
                .mul(s.clone().narrow(0, i, 1).reshape([1, c_in, 1, 1]));
            let xi = x.clone().narrow(0, i, 1);
            plain.extend(values(kernels::conv(xi, weight, m.conv.bias.val(), 1, 0)));
        }
        assert_close(&ours, &plain, 1e-5);
    }

    #[test]
    fn demodulation_keeps_unit_output_variance_on_random_input() {
        let device = Device::flex();
        let mut rng = Rng::seeded(12);
        let (c_in, c_out, w_dim) = (16, 16, 8);
        let mut m = ModConv::new(
            &mut rng,
            [c_in, c_out, 3],
            w_dim,
            true,
            false,
            false,
            &device,
        );
        m.activate = false;
        let x = random(&mut rng, [4, c_in, 34, 34], &device);
        // Styles far from 1, so that without demodulation the scale would be off.
        let w: Tensor<2> = Tensor::from_data(
            TensorData::new(
                rng.normals(4 * w_dim)
                    .iter()
                    .map(|v| 3.0 * v)
                    .collect::<Vec<_>>(),
                [4, w_dim],
            ),
            &device,
        );
        let y = m.forward(x, w, &Noise::Off);
        // The interior (the zero padding lowers the border's variance).
        let inner = values(y.slice([0..4, 0..c_out, 1..33, 1..33]));
        let var = inner.iter().map(|v| v * v).sum::<f32>() / inner.len() as f32;
        assert!((var - 1.0).abs() < 0.05, "output variance {var}");
        let s = m.styles(Tensor::from_data(
            TensorData::new(vec![3.0; w_dim], [1, w_dim]),
            &device,
        ));
        let scale = values(s.square().mean()).first().copied().unwrap_or(0.0);
        assert!(
            !(0.5..=1.5).contains(&scale),
            "the styles do change the scale ({scale})"
        );
    }

    #[test]
    fn the_minibatch_deviation_is_zero_for_identical_images_and_grows_with_spread() {
        let device = Device::flex();
        let mut rng = Rng::seeded(13);
        let one = random(&mut rng, [1, 3, 4, 4], &device);
        let same = one.clone().repeat_dim(0, 4);
        let out = minibatch_stddev(same, 4, 1);
        assert_eq!(out.dims(), [4, 4, 4, 4]);
        let extra = values(out.slice([0..4, 3..4, 0..4, 0..4]));
        assert!(extra.iter().all(|v| v.abs() < 1e-3), "{extra:?}");
        let spread = minibatch_stddev(
            random(&mut rng, [4, 3, 4, 4], &device).mul_scalar(2.0),
            4,
            1,
        );
        let extra = values(spread.slice([0..4, 3..4, 0..4, 0..4]));
        assert!(extra.iter().all(|v| *v > 1.0), "{extra:?}");
    }

    #[test]
    fn each_minibatch_deviation_channel_measures_its_own_slice_of_the_features() {
        // Four images alike in features 0-1 and different in features 2-3: with two slices
        // the first statistic is zero and the second is not; with one they are averaged.
        let device = Device::flex();
        let mut rng = Rng::seeded(14);
        let alike = random(&mut rng, [1, 2, 4, 4], &device).repeat_dim(0, 4);
        let apart = random(&mut rng, [4, 2, 4, 4], &device).mul_scalar(2.0);
        let x = Tensor::cat(vec![alike, apart], 1);
        let out = minibatch_stddev(x.clone(), 4, 2);
        assert_eq!(out.dims(), [4, 6, 4, 4]);
        let first = values(out.clone().slice([0..4, 4..5, 0..4, 0..4]));
        let second = values(out.slice([0..4, 5..6, 0..4, 0..4]));
        assert!(first.iter().all(|v| v.abs() < 1e-3), "{first:?}");
        assert!(second.iter().all(|v| *v > 1.0), "{second:?}");
        let one = values(minibatch_stddev(x, 4, 1).slice([0..1, 4..5, 0..1, 0..1]))[0];
        assert!(
            (one - second[0] / 2.0).abs() < 1e-3 * second[0],
            "{one} vs {}",
            second[0]
        );
    }
}
