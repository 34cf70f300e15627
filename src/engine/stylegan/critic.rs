//! StyleGAN2's discriminator, small ("resnet" form): fromRGB (1×1), then per level two 3×3
//! convolutions and a 2× average-pooling, with a pooled 1×1 skip, the sum scaled by 1/√2;
//! at 4×4 the minibatch standard deviation, a 3×3 convolution and two fully connected
//! layers down to one logit. Equalised learning rate throughout, no normalisation.

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use super::generator::GeneratorShape;
use super::layers::{EqConv, EqLinear, downsample2, lrelu, minibatch_stddev};
use crate::engine::rng::Rng;

/// One level: [n, f, r, r] → [n, f', r/2, r/2].
#[derive(Module, Debug)]
pub struct CriticBlock {
    pub first: EqConv,
    pub second: EqConv,
    pub skip: EqConv,
}

impl CriticBlock {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let skip = self.skip.forward(downsample2(x.clone()));
        let h = lrelu(self.first.forward(x));
        let h = downsample2(lrelu(self.second.forward(h)));
        skip.add(h).mul_scalar(std::f32::consts::FRAC_1_SQRT_2)
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
}

impl StyleCritic {
    pub fn new(rng: &mut Rng, shape: &GeneratorShape, mbstd_group: usize, device: &Device) -> Self {
        let levels = shape.levels();
        let top = shape.resolution;
        let from_rgb = EqConv::new(rng, [shape.channels, shape.features(top), 1], device);
        let blocks = levels
            .windows(2)
            .rev()
            .map(|pair| {
                let (f_in, f_out) = (shape.features(pair[1]), shape.features(pair[0]));
                CriticBlock {
                    first: EqConv::new(rng, [f_in, f_in, 3], device),
                    second: EqConv::new(rng, [f_in, f_out, 3], device),
                    skip: EqConv::new(rng, [f_in, f_out, 1], device),
                }
            })
            .collect();
        let f4 = shape.features(4);
        Self {
            from_rgb,
            blocks,
            last_conv: EqConv::new(rng, [f4 + 1, f4, 3], device),
            fc: EqLinear::new(rng, [f4 * 16, f4], 1.0, 0.0, device),
            out: EqLinear::new(rng, [f4, 1], 1.0, 0.0, device),
            mbstd_group,
        }
    }

    /// Images [n, c, R, R] → logits [n].
    pub fn forward(&self, x: Tensor<4>) -> Tensor<1> {
        let mut h = lrelu(self.from_rgb.forward(x));
        for block in &self.blocks {
            h = block.forward(h);
        }
        let h = lrelu(
            self.last_conv
                .forward(minibatch_stddev(h, self.mbstd_group)),
        );
        let [n, f, _, _] = h.dims();
        let h = lrelu(self.fc.forward(h.reshape([n, f * 16])));
        self.out.forward(h).reshape([n])
    }
}
