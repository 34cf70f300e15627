//! StyleGAN2's discriminator, small ("resnet" form): fromRGB (1×1), then per level two 3×3
//! convolutions and a 2× average-pooling, with a pooled 1×1 skip, the sum scaled by 1/√2;
//! at 4×4 the minibatch standard deviation, a 3×3 convolution and two fully connected
//! layers down to one logit. Equalised learning rate throughout, no normalisation.

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use super::generator::GeneratorShape;
use std::f32::consts::FRAC_1_SQRT_2;

use super::layers::{ACT_GAIN, EqConv, EqLinear, SLOPE, lrelu, minibatch_stddev, sum_pool2};
use crate::engine::nn::kernels::norm::{Nonlinearity, activate};
use crate::engine::rng::Rng;

/// One level: [n, f, r, r] → [n, f', r/2, r/2].
#[derive(Module, Debug)]
pub struct CriticBlock {
    pub first: EqConv,
    pub second: EqConv,
    pub skip: EqConv,
}

impl CriticBlock {
    /// (skip(avgpool(x)) + avgpool(lrelu(second(lrelu(first(x)))))) / √2, with lrelu's gain √2,
    /// the pooling's ¼ and the sum's 1/√2 folded into the convolutions' weights (LeakyReLU
    /// is positively homogeneous): the same function without three whole-tensor passes.
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let skip = self
            .skip
            .forward_times(sum_pool2(x.clone()), 0.25 * FRAC_1_SQRT_2);
        let h = leaky(self.first.forward_times(x, ACT_GAIN));
        let h = sum_pool2(leaky(self.second.forward_times(h, 0.25)));
        skip.add(h)
    }
}

/// LeakyReLU(0.2) without its gain (folded into the convolution before it).
fn leaky(x: Tensor<4>) -> Tensor<4> {
    activate(x, Nonlinearity::LeakyRelu(SLOPE))
}

/// What the critic adds to the generator's shape.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CriticOptions {
    /// The minibatch standard deviation's largest group.
    pub mbstd_group: usize,
    /// Its channels: the features split into this many groups, one statistic each.
    pub mbstd_channels: usize,
    /// PacGAN: images judged together, stacked along the channels (1: one by one).
    pub pack: usize,
    /// Feature maps per level as a multiple of the generator's.
    pub width: usize,
}

impl Default for CriticOptions {
    /// StyleGAN's critic: groups of 4, one statistic, one image at a time, G's widths.
    fn default() -> Self {
        Self {
            mbstd_group: 4,
            mbstd_channels: 1,
            pack: 1,
            width: 1,
        }
    }
}

/// The discriminator.
#[derive(Module, Debug)]
pub struct StyleCritic {
    pub from_rgb: EqConv,
    pub blocks: Vec<CriticBlock>,
    /// At 4×4, after the minibatch standard deviation (one more channel).
    pub last_conv: EqConv,
    pub fc: EqLinear,
    pub out: EqLinear,
    /// The minibatch standard deviation's largest group.
    pub mbstd_group: usize,
    /// The minibatch standard deviation's channels (feature groups).
    pub mbstd_channels: usize,
    /// PacGAN: this many images are judged together, stacked along the channels (1: one).
    pub pack: usize,
}

impl StyleCritic {
    /// The critic of `shape`'s images, with `options`' packing, width and statistics.
    pub fn new(
        rng: &mut Rng,
        shape: &GeneratorShape,
        options: CriticOptions,
        device: &Device,
    ) -> Self {
        let levels = shape.levels();
        let top = shape.resolution;
        let pack = options.pack.max(1);
        let features = |r: usize| shape.features(r) * options.width.max(1);
        let from_rgb = EqConv::new(rng, [shape.channels * pack, features(top), 1], device);
        let blocks = levels
            .windows(2)
            .rev()
            .map(|pair| {
                let (f_in, f_out) = (features(pair[1]), features(pair[0]));
                CriticBlock {
                    first: EqConv::new(rng, [f_in, f_in, 3], device),
                    second: EqConv::new(rng, [f_in, f_out, 3], device),
                    skip: EqConv::new(rng, [f_in, f_out, 1], device),
                }
            })
            .collect();
        let f4 = features(4);
        let stats = options.mbstd_channels.max(1);
        Self {
            from_rgb,
            blocks,
            last_conv: EqConv::new(rng, [f4 + stats, f4, 3], device),
            fc: EqLinear::new(rng, [f4 * 16, f4], 1.0, 0.0, device),
            out: EqLinear::new(rng, [f4, 1], 1.0, 0.0, device),
            mbstd_group: options.mbstd_group,
            mbstd_channels: stats,
            pack,
        }
    }

    /// Images [n, c, R, R] → logits [n / pack]: with packing, images k·pack … k·pack + pack − 1
    /// are one input of pack·c channels (PacGAN: a generator that repeats itself shows it
    /// within one input, which the critic can learn to notice).
    pub fn forward(&self, x: Tensor<4>) -> Tensor<1> {
        let [n, c, r, _] = x.dims();
        let x = x.reshape([n / self.pack, c * self.pack, r, r]);
        let mut h = leaky(self.from_rgb.forward_times(x, ACT_GAIN));
        for block in &self.blocks {
            h = block.forward(h);
        }
        let h = minibatch_stddev(h, self.mbstd_group, self.mbstd_channels);
        let h = leaky(self.last_conv.forward_times(h, ACT_GAIN));
        let [n, f, _, _] = h.dims();
        let h = lrelu(self.fc.forward(h.reshape([n, f * 16])));
        self.out.forward(h).reshape([n])
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::TensorData;

    use super::super::generator::tests::small;
    use super::super::layers::downsample2;
    use super::*;

    /// StyleGAN2's critic written out as published: every gain applied to the activations.
    fn textbook_forward(critic: &StyleCritic, x: Tensor<4>) -> Tensor<1> {
        let mut h = lrelu(critic.from_rgb.forward(x));
        for block in &critic.blocks {
            let skip = block.skip.forward(downsample2(h.clone()));
            let inner = lrelu(block.first.forward(h));
            let inner = downsample2(lrelu(block.second.forward(inner)));
            h = skip.add(inner).mul_scalar(FRAC_1_SQRT_2);
        }
        let h = lrelu(critic.last_conv.forward(minibatch_stddev(
            h,
            critic.mbstd_group,
            critic.mbstd_channels,
        )));
        let [n, f, _, _] = h.dims();
        let h = lrelu(critic.fc.forward(h.reshape([n, f * 16])));
        critic.out.forward(h).reshape([n])
    }

    #[test]
    fn a_packing_critic_judges_consecutive_images_together() {
        let device = Device::flex();
        let mut rng = Rng::seeded(4);
        let shape = small(32);
        let critic = StyleCritic::new(
            &mut rng,
            &shape,
            CriticOptions {
                pack: 2,
                ..Default::default()
            },
            &device,
        );
        assert_eq!(
            critic.from_rgb.weight.dims(),
            [4, 2, 1, 1],
            "4 maps from 2 stacked images"
        );
        let values = rng.normals(8 * 32 * 32);
        let x = Tensor::<4>::from_data(TensorData::new(values, [8, 1, 32, 32]), &device);
        let logits = critic.forward(x.clone());
        assert_eq!(logits.dims(), [4]);
        // Swapping the images inside a pack changes its logit; swapping two packs swaps theirs.
        let swapped_inside = Tensor::cat(
            vec![
                x.clone().narrow(0, 1, 1),
                x.clone().narrow(0, 0, 1),
                x.clone().narrow(0, 2, 6),
            ],
            0,
        );
        let a = logits.clone().into_data().try_to_vec::<f32>().expect("f32");
        let b = critic
            .forward(swapped_inside)
            .into_data()
            .try_to_vec::<f32>()
            .expect("f32");
        assert!((a[0] - b[0]).abs() > 1e-6, "{a:?} {b:?}");
        let swapped_packs = Tensor::cat(
            vec![
                x.clone().narrow(0, 2, 2),
                x.clone().narrow(0, 0, 2),
                x.narrow(0, 4, 4),
            ],
            0,
        );
        let c = critic
            .forward(swapped_packs)
            .into_data()
            .try_to_vec::<f32>()
            .expect("f32");
        // (The minibatch deviation groups four packs: the same group, so the same statistic.)
        assert!(
            (a[0] - c[1]).abs() < 1e-5 && (a[1] - c[0]).abs() < 1e-5,
            "{a:?} {c:?}"
        );
    }

    #[test]
    fn a_wider_critic_has_that_many_more_maps_and_the_statistics_their_channels() {
        let device = Device::flex();
        let shape = small(32);
        let options = CriticOptions {
            width: 2,
            mbstd_channels: 4,
            ..Default::default()
        };
        let critic = StyleCritic::new(&mut Rng::seeded(5), &shape, options, &device);
        let maps = |conv: &EqConv| conv.weight.val().dims();
        assert_eq!(maps(&critic.from_rgb)[0], 2 * shape.features(32));
        for (block, r) in critic.blocks.iter().zip([32, 16, 8]) {
            assert_eq!(maps(&block.first)[..2], [2 * shape.features(r); 2]);
            assert_eq!(maps(&block.second)[0], 2 * shape.features(r / 2));
        }
        let f4 = 2 * shape.features(4);
        assert_eq!(maps(&critic.last_conv)[..2], [f4, f4 + 4]);
        let x = Tensor::<4>::from_data(
            TensorData::new(Rng::seeded(6).normals(8 * 32 * 32), [8, 1, 32, 32]),
            &device,
        );
        assert_eq!(critic.forward(x).dims(), [8]);
    }

    #[test]
    fn folding_the_gains_into_the_weights_leaves_the_critic_unchanged() {
        let device = Device::flex();
        let mut rng = Rng::seeded(3);
        let shape = small(32);
        let critic = StyleCritic::new(&mut rng, &shape, CriticOptions::default(), &device);
        let x = Tensor::<4>::from_data(
            TensorData::new(rng.normals(6 * 32 * 32), [6, 1, 32, 32]),
            &device,
        );
        let ours = critic
            .forward(x.clone())
            .into_data()
            .try_to_vec::<f32>()
            .expect("f32");
        let theirs = textbook_forward(&critic, x)
            .into_data()
            .try_to_vec::<f32>()
            .expect("f32");
        for (a, b) in ours.iter().zip(&theirs) {
            assert!(
                (a - b).abs() < 1e-4 * (1.0 + b.abs()),
                "{ours:?} vs {theirs:?}"
            );
        }
    }
}
