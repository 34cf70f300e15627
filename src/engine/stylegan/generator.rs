//! StyleGAN's generator, small (StyleGAN2's architecture, "skip" outputs):
//! a mapping network z → w, and a synthesis network that starts from a learned 4×4 constant
//! and doubles the resolution per level (an upsampling modulated 3×3 convolution, then a
//! second one), each level adding its toRGB output to the upsampled image so far. Every
//! convolution takes its own w (the *style*), so styles can be mixed per layer, and adds
//! per-pixel noise with a learned strength (stochastic detail: hair, stroke texture).
//!
//! w indices: convolution j takes w_j; level ℓ's toRGB takes w_{2ℓ+1} (shared with the next
//! level's first convolution, as StyleGAN2). A 32 px generator (levels 4, 8, 16, 32) has 8.

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor, TensorData};

use super::layers::{EqLinear, ModConv, Noise, lrelu, upsample2_bilinear};
use crate::engine::cyclegan::nets::upsample2;
use crate::engine::rng::Rng;

/// The generator's shape.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorShape {
    /// Output side: 32 or 64.
    pub resolution: usize,
    /// Image channels: 1 or 3.
    pub channels: usize,
    pub z_dim: usize,
    pub w_dim: usize,
    pub mapping_layers: usize,
    /// The mapping network's learning-rate multiplier (StyleGAN: 0.01).
    pub mapping_lr_mul: f32,
    /// Feature maps at level r: min(channel_max, channel_base / r).
    pub channel_base: usize,
    pub channel_max: usize,
    /// How the synthesis network doubles the resolution (absent in files from before it
    /// existed: nearest, as they were trained).
    #[serde(default)]
    pub upsampling: Upsampling,
}

/// How the synthesis network doubles the resolution, in its convolutions and on the skip path
/// that sums the toRGB outputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Upsampling {
    /// Copy each pixel into a 2×2 block (the first StyleGAN presets): cheap, but the low
    /// levels' toRGB outputs show through as blocks.
    #[default]
    Nearest,
    /// Bilinear, StyleGAN2's [1, 3, 3, 1] filter.
    Bilinear,
}

impl Upsampling {
    /// As presets spell it.
    pub fn name(self) -> &'static str {
        match self {
            Upsampling::Nearest => "nearest",
            Upsampling::Bilinear => "bilinear",
        }
    }

    /// `x` [n, c, h, w] → [n, c, 2h, 2w].
    pub fn apply(self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Upsampling::Nearest => upsample2(x),
            Upsampling::Bilinear => upsample2_bilinear(x),
        }
    }
}

impl GeneratorShape {
    /// Feature maps at resolution `r`.
    pub fn features(&self, r: usize) -> usize {
        (self.channel_base / r).clamp(1, self.channel_max)
    }

    /// Resolutions 4, 8, …, resolution.
    pub fn levels(&self) -> Vec<usize> {
        let mut r = 4;
        let mut out = Vec::new();
        while r <= self.resolution {
            out.push(r);
            r *= 2;
        }
        out
    }

    /// How many w the synthesis network takes.
    pub fn num_ws(&self) -> usize {
        2 * self.levels().len()
    }

    /// The resolution at which w index `i` acts (its convolution's output).
    pub fn resolution_of_w(&self, i: usize) -> usize {
        (4usize << i.div_ceil(2)).min(self.resolution)
    }

    /// The resolution of convolution `j`'s output (its noise input's side).
    pub fn resolution_of_conv(&self, j: usize) -> usize {
        4usize << j.div_ceil(2)
    }
}

/// z → w: a normalised z through fully connected layers with LeakyReLU.
#[derive(Module, Debug)]
pub struct Mapping {
    pub layers: Vec<EqLinear>,
}

impl Mapping {
    fn new(rng: &mut Rng, shape: &GeneratorShape, device: &Device) -> Self {
        let layers = (0..shape.mapping_layers)
            .map(|i| {
                let d_in = if i == 0 { shape.z_dim } else { shape.w_dim };
                EqLinear::new(rng, [d_in, shape.w_dim], shape.mapping_lr_mul, 0.0, device)
            })
            .collect();
        Self { layers }
    }

    /// [n, z_dim] → [n, w_dim].
    pub fn forward(&self, z: Tensor<2>) -> Tensor<2> {
        // Normalise each z to unit second moment (StyleGAN's "pixel norm" of the input).
        let norm = z.clone().square().mean_dim(1).add_scalar(1e-8).sqrt();
        let mut x = z.div(norm);
        for layer in &self.layers {
            x = lrelu(layer.forward(x));
        }
        x
    }
}

/// The synthesis network: per-layer w → image.
#[derive(Module, Debug)]
pub struct Synthesis {
    /// [1, features(4), 4, 4].
    pub constant: Param<Tensor<4>>,
    /// Convolution 0 at 4 px, then two per level.
    pub convs: Vec<ModConv>,
    /// One per level.
    pub to_rgb: Vec<ModConv>,
    /// Bilinear upsampling (else nearest) on the skip path; the convolutions have their own flag.
    pub smooth: bool,
}

impl Synthesis {
    fn new(rng: &mut Rng, shape: &GeneratorShape, device: &Device) -> Self {
        let levels = shape.levels();
        let f4 = shape.features(4);
        let values = rng.normals(f4 * 16);
        let constant = Param::from_tensor(Tensor::from_data(
            TensorData::new(values, [1, f4, 4, 4]),
            device,
        ));
        let w = shape.w_dim;
        let mut convs = vec![ModConv::new(
            rng,
            [f4, f4, 3],
            w,
            true,
            false,
            false,
            device,
        )];
        let mut to_rgb = vec![ModConv::new(
            rng,
            [f4, shape.channels, 1],
            w,
            false,
            false,
            true,
            device,
        )];
        for pair in levels.windows(2) {
            let (f_in, f_out) = (shape.features(pair[0]), shape.features(pair[1]));
            convs.push(ModConv::new(
                rng,
                [f_in, f_out, 3],
                w,
                true,
                true,
                false,
                device,
            ));
            convs.push(ModConv::new(
                rng,
                [f_out, f_out, 3],
                w,
                true,
                false,
                false,
                device,
            ));
            to_rgb.push(ModConv::new(
                rng,
                [f_out, shape.channels, 1],
                w,
                false,
                false,
                true,
                device,
            ));
        }
        let smooth = shape.upsampling == Upsampling::Bilinear;
        for conv in &mut convs {
            conv.smooth = smooth;
        }
        Self {
            constant,
            convs,
            to_rgb,
            smooth,
        }
    }

    /// `ws`: one [n, w_dim] per w index; `noise`: one per convolution → [n, channels, R, R].
    pub fn forward(&self, ws: &[Tensor<2>], noise: &[Noise]) -> Tensor<4> {
        let [n, _] = ws[0].dims();
        let [_, f, _, _] = self.constant.dims();
        let mut x = self.constant.val().expand([n, f, 4, 4]);
        x = self.convs[0].forward(x, ws[0].clone(), &noise[0]);
        let mut rgb = self.to_rgb[0].forward(x.clone(), ws[1].clone(), &Noise::Off);
        for level in 1..self.to_rgb.len() {
            let (a, b) = (2 * level - 1, 2 * level);
            x = self.convs[a].forward(x, ws[a].clone(), &noise[a]);
            x = self.convs[b].forward(x, ws[b].clone(), &noise[b]);
            let out = self.to_rgb[level].forward(x.clone(), ws[b + 1].clone(), &Noise::Off);
            let up = if self.smooth {
                Upsampling::Bilinear
            } else {
                Upsampling::Nearest
            };
            rgb = up.apply(rgb).add(out);
        }
        rgb
    }
}

/// The generator: mapping and synthesis.
#[derive(Module, Debug)]
pub struct StyleGenerator {
    pub mapping: Mapping,
    pub synthesis: Synthesis,
}

impl StyleGenerator {
    pub fn new(rng: &mut Rng, shape: &GeneratorShape, device: &Device) -> Self {
        Self {
            mapping: Mapping::new(rng, shape, device),
            synthesis: Synthesis::new(rng, shape, device),
        }
    }

    /// Random noise for every convolution of a batch of `n`.
    pub fn random_noise(&self, rng: &mut Rng, n: usize, device: &Device) -> Vec<Noise> {
        self.synthesis
            .convs
            .iter()
            .enumerate()
            .map(|(j, _)| {
                let side = 4usize << j.div_ceil(2);
                let values = rng.normals(n * side * side);
                Noise::Given(Box::new(Tensor::from_data(
                    TensorData::new(values, [n, 1, side, side]),
                    device,
                )))
            })
            .collect()
    }

    /// How many w the synthesis network takes.
    pub fn num_ws(&self) -> usize {
        2 * self.synthesis.to_rgb.len()
    }
}

/// Per-layer w for a batch: `a` for layers before `cut`, `b` from `cut` on (style mixing;
/// `cut` ≥ the number of layers: `a` everywhere).
pub fn mixed_ws(a: &Tensor<2>, b: &Tensor<2>, cut: usize, num_ws: usize) -> Vec<Tensor<2>> {
    (0..num_ws)
        .map(|i| if i < cut { a.clone() } else { b.clone() })
        .collect()
}

/// Truncation: w pulled towards the running mean `w_avg` [w_dim] by ψ (ψ = 1: unchanged; 0:
/// the mean image).
pub fn truncate(w: Tensor<2>, w_avg: Tensor<1>, psi: f32) -> Tensor<2> {
    let avg = w_avg.unsqueeze::<2>();
    avg.clone().add(w.sub(avg).mul_scalar(psi))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn small(resolution: usize) -> GeneratorShape {
        GeneratorShape {
            resolution,
            channels: 1,
            z_dim: 16,
            w_dim: 16,
            mapping_layers: 2,
            mapping_lr_mul: 0.01,
            channel_base: 128,
            channel_max: 16,
            upsampling: Upsampling::Nearest,
        }
    }

    fn latents(seed: u64, n: usize, dim: usize, device: &Device) -> Tensor<2> {
        Tensor::from_data(
            TensorData::new(Rng::seeded(seed).normals(n * dim), [n, dim]),
            device,
        )
    }

    fn pixels(t: Tensor<4>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().expect("f32")
    }

    fn differ(a: &[f32], b: &[f32]) -> bool {
        a.iter().zip(b).any(|(x, y)| (x - y).abs() > 1e-4)
    }

    #[test]
    fn a_32_px_generator_takes_8_styles_and_draws_32_px_images() {
        let device = Device::flex();
        let shape = small(32);
        assert_eq!(shape.levels(), vec![4, 8, 16, 32]);
        assert_eq!(shape.num_ws(), 8);
        let by_w: Vec<usize> = (0..8).map(|i| shape.resolution_of_w(i)).collect();
        assert_eq!(by_w, vec![4, 8, 8, 16, 16, 32, 32, 32]);
        let g = StyleGenerator::new(&mut Rng::seeded(1), &shape, &device);
        assert_eq!(g.num_ws(), 8);
        assert_eq!(g.synthesis.convs.len(), 7);
        let w = g.mapping.forward(latents(2, 3, 16, &device));
        let noise = g.random_noise(&mut Rng::seeded(3), 3, &device);
        let image = g.synthesis.forward(&mixed_ws(&w, &w, 8, 8), &noise);
        assert_eq!(image.dims(), [3, 1, 32, 32]);
        assert!(pixels(image).iter().all(|v| v.is_finite()));
    }

    #[test]
    fn a_64_px_generator_takes_10_styles_and_its_critic_scores_64_px_images() {
        let device = Device::flex();
        let shape = small(64);
        assert_eq!(shape.num_ws(), 10);
        let g = StyleGenerator::new(&mut Rng::seeded(1), &shape, &device);
        let w = g.mapping.forward(latents(2, 2, 16, &device));
        let noise = g.random_noise(&mut Rng::seeded(3), 2, &device);
        let image = g.synthesis.forward(&mixed_ws(&w, &w, 10, 10), &noise);
        assert_eq!(image.dims(), [2, 1, 64, 64]);
        let critic = super::super::critic::StyleCritic::new(
            &mut Rng::seeded(4),
            &shape,
            Default::default(),
            &device,
        );
        let logits = critic.forward(image);
        assert_eq!(logits.dims(), [2]);
        assert!(pixels(logits.unsqueeze()).iter().all(|v| v.is_finite()));
    }

    #[test]
    fn mixing_at_layer_k_takes_b_s_styles_from_k_on() {
        let device = Device::flex();
        let shape = small(16);
        let g = StyleGenerator::new(&mut Rng::seeded(4), &shape, &device);
        let n = g.num_ws();
        let [a, b, b2] = [5, 6, 7].map(|s| g.mapping.forward(latents(s, 2, 16, &device)));
        let ws = mixed_ws(&a, &b, 3, n);
        let is = |t: &Tensor<2>, u: &Tensor<2>| {
            !differ(
                &pixels(t.clone().unsqueeze()),
                &pixels(u.clone().unsqueeze()),
            )
        };
        assert!((0..3).all(|i| is(&ws[i], &a)) && (3..n).all(|i| is(&ws[i], &b)));
        let noise: Vec<Noise> = vec![Noise::Off; g.synthesis.convs.len()];
        let draw = |first: &Tensor<2>, second: &Tensor<2>, cut| {
            pixels(
                g.synthesis
                    .forward(&mixed_ws(first, second, cut, n), &noise),
            )
        };
        // A cut past the last layer is A alone; at 0, B alone; in between, B's styles matter
        // and so do A's.
        assert!(!differ(&draw(&a, &b, n), &draw(&a, &b2, n)));
        assert!(!differ(&draw(&a, &b, 0), &draw(&b2, &b, 0)));
        assert!(differ(&draw(&a, &b, 3), &draw(&a, &b2, 3)));
        assert!(differ(&draw(&a, &b, 3), &draw(&b2, &b, 3)));
    }

    #[test]
    fn truncation_to_zero_draws_the_mean_image_for_every_z() {
        let device = Device::flex();
        let shape = small(16);
        let g = StyleGenerator::new(&mut Rng::seeded(8), &shape, &device);
        let n = g.num_ws();
        let w = g.mapping.forward(latents(9, 4, 16, &device));
        let w_avg = g
            .mapping
            .forward(latents(10, 256, 16, &device))
            .mean_dim(0)
            .reshape([16]);
        let noise: Vec<Noise> = vec![Noise::Off; g.synthesis.convs.len()];
        let draw = |psi: f32| {
            let t = truncate(w.clone(), w_avg.clone(), psi);
            pixels(g.synthesis.forward(&mixed_ws(&t, &t, n, n), &noise))
        };
        let side = 16 * 16;
        let at_zero = draw(0.0);
        for i in 1..4 {
            assert!(!differ(
                &at_zero[..side],
                &at_zero[i * side..(i + 1) * side]
            ));
        }
        let at_one = draw(1.0);
        assert!(
            differ(&at_one[..side], &at_one[side..2 * side]),
            "ψ = 1 keeps the variety"
        );
        // Halfway, each image is nearer the mean image than at ψ = 1.
        let half = draw(0.5);
        let distance =
            |v: &[f32]| -> f32 { v.iter().zip(&at_zero).map(|(x, y)| (x - y) * (x - y)).sum() };
        assert!(distance(&half) < distance(&at_one));
    }
}
