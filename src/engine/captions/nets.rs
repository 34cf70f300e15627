//! The text-conditioned GAN: DCGAN's networks at 64 px, each with its own caption encoder
//! (trained by its own network's loss). The generator takes z beside the caption's condition
//! (drawn by conditioning augmentation); the critic takes the caption's code as constant
//! planes beside the image, so its first convolution can tie words to places. The loss is
//! GAN-INT-CLS's matching-aware one: a real image with a wrong caption counts as fake.

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use super::encoder::{CaptionEncoder, CondAugment, EncoderKind};
use super::render::SIDE;
use crate::engine::config::Activation;
use crate::engine::loss::softplus;
use crate::engine::nn::dcgan::{DcganDiscriminator, DcganGenerator, DcganSpec};
use crate::engine::nn::layers::{Dense, Init, Pass};
use crate::engine::rng::Rng;

/// Sizes of the two networks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NetSizes {
    pub encoder: EncoderKind,
    /// Word embedding (and GRU state) width.
    pub embed: usize,
    /// The condition's width (what G and D see of a caption).
    pub condition: usize,
    pub z_dim: usize,
    pub base_channels: usize,
}

impl NetSizes {
    /// The critic's last maps, flattened: DCGAN's base channels × 8 at 4 × 4.
    fn features(&self) -> usize {
        let (levels, side) = self.dcgan().levels();
        (self.base_channels << (levels - 1)) * side * side
    }

    fn dcgan(&self) -> DcganSpec {
        DcganSpec {
            latent: self.z_dim,
            classes: self.condition,
            channels: 1,
            size: SIDE,
            pack: 1,
            base_channels: self.base_channels,
            slope: 0.2,
            minibatch_stddev: false,
        }
    }
}

/// Captions, tokenised: row-major [b × len] (0-padded) and each one's length.
pub struct Captions<'a> {
    pub tokens: &'a [usize],
    pub lens: &'a [usize],
    pub len: usize,
}

/// Caption and z → image.
#[derive(Module, Debug)]
pub struct CaptionGenerator {
    pub encoder: CaptionEncoder,
    pub augment: CondAugment,
    pub net: DcganGenerator,
}

impl CaptionGenerator {
    pub fn new(rng: &mut Rng, sizes: &NetSizes, device: &Device) -> Self {
        Self {
            encoder: CaptionEncoder::new(rng, sizes.encoder, sizes.embed, sizes.embed, device),
            augment: CondAugment::new(rng, sizes.embed, sizes.condition, device),
            net: DcganGenerator::new(&sizes.dcgan(), Activation::Relu, true, rng, device),
        }
    }

    /// Images [b, SIDE²] in [-1, 1] for latents `z` [b, z_dim] and `captions`, the condition
    /// drawn with noise `eps` (None: its mean), and the augmentation's KL term.
    pub fn forward(
        &self,
        z: Tensor<2>,
        captions: &Captions<'_>,
        eps: Option<Vec<f32>>,
    ) -> (Tensor<2>, Tensor<1>) {
        let (condition, kl) = self.condition(captions, eps);
        (self.net.forward(z, Some(condition)), kl)
    }

    /// The captions' conditions [b, condition] (drawn with `eps`, or their mean) and the KL.
    pub fn condition(
        &self,
        captions: &Captions<'_>,
        eps: Option<Vec<f32>>,
    ) -> (Tensor<2>, Tensor<1>) {
        let text = self
            .encoder
            .forward(captions.tokens, captions.lens, captions.len);
        self.augment.forward(text, eps)
    }

    /// Images [b, SIDE²] for latents `z` under given conditions (an interpolation, say).
    pub fn draw(&self, z: Tensor<2>, condition: Tensor<2>) -> Tensor<2> {
        self.net.forward(z, Some(condition))
    }
}

/// Image and caption → how real and how matching (one logit).
#[derive(Module, Debug)]
pub struct CaptionCritic {
    pub encoder: CaptionEncoder,
    pub net: DcganDiscriminator,
    /// The caption's code → a weight per feature of the last maps (projection
    /// discriminator, Miyato & Koyama 2018): the logit gains ⟨project(code), features⟩, so
    /// the critic can ask for a digit at a place, each feature keeping its position.
    pub project: Dense,
}

impl CaptionCritic {
    pub fn new(rng: &mut Rng, sizes: &NetSizes, device: &Device) -> Self {
        Self {
            encoder: CaptionEncoder::new(rng, sizes.encoder, sizes.embed, sizes.condition, device),
            // No batch norm: the critic judges a batch of three kinds (real, mismatched,
            // generated) in its update and generated images alone in the generator's, and
            // batch statistics would differ between the two.
            net: DcganDiscriminator::new(&sizes.dcgan(), Activation::LeakyRelu, false, rng, device),
            project: Dense::new(rng, Init::FanIn, sizes.condition, sizes.features(), device),
        }
    }

    /// Logits [b, 1] for images [b, SIDE²] under `captions`.
    pub fn forward(&self, images: Tensor<2>, captions: &Captions<'_>, pass: &Pass) -> Tensor<2> {
        let code = self
            .encoder
            .forward(captions.tokens, captions.lens, captions.len);
        let features = self.net.features(images, Some(code.clone()), pass);
        let projected = self.project.forward(code, pass);
        let matching = features.clone().mul(projected).sum_dim(1);
        self.net.output.forward(features, pass).add(matching)
    }
}

/// The critic's matching-aware loss from its logits [n, 1] on real images with their
/// captions, real images with wrong captions, and generated images with the captions they
/// were drawn for: softplus(−real) + ½·(softplus(wrong) + softplus(fake)), each a mean.
pub fn critic_loss(real: Tensor<2>, wrong: Tensor<2>, fake: Tensor<2>) -> Tensor<1> {
    let mismatched = softplus(wrong).mean().add(softplus(fake).mean());
    softplus(real.neg()).mean().add(mismatched.mul_scalar(0.5))
}

/// The critic's loss without mismatched captions (a plain conditional GAN).
pub fn plain_critic_loss(real: Tensor<2>, fake: Tensor<2>) -> Tensor<1> {
    softplus(real.neg()).mean().add(softplus(fake).mean())
}

/// The generator's non-saturating loss on the critic's logits for its images.
pub fn generator_loss(fake: Tensor<2>) -> Tensor<1> {
    softplus(fake.neg()).mean()
}

#[cfg(test)]
mod tests {
    use burn::tensor::TensorData;

    use super::*;

    fn logits(values: &[f32]) -> Tensor<2> {
        Tensor::from_data(
            TensorData::new(values.to_vec(), [values.len(), 1]),
            &Device::flex(),
        )
    }

    fn sp(x: f32) -> f32 {
        (1.0 + x.exp()).ln()
    }

    #[test]
    fn the_matching_aware_loss_on_hand_made_logits() {
        let (real, wrong, fake) = ([2.0, -1.0], [0.5, 3.0], [-2.0, 1.0]);
        let loss = critic_loss(logits(&real), logits(&wrong), logits(&fake)).into_scalar::<f32>();
        let mean = |v: [f32; 2], f: &dyn Fn(f32) -> f32| (f(v[0]) + f(v[1])) / 2.0;
        let expected = mean(real, &|x| sp(-x)) + 0.5 * (mean(wrong, &sp) + mean(fake, &sp));
        assert!((loss - expected).abs() < 1e-5, "{loss} vs {expected}");
        // A critic that calls a wrongly captioned real image real pays for it.
        let fooled = critic_loss(logits(&real), logits(&[5.0, 5.0]), logits(&fake));
        assert!(fooled.into_scalar::<f32>() > loss + 1.0);
        let g = generator_loss(logits(&fake)).into_scalar::<f32>();
        assert!((g - mean(fake, &|x| sp(-x))).abs() < 1e-5);
    }

    #[test]
    fn the_networks_draw_64_px_images_and_judge_them_per_caption() {
        let device = Device::flex();
        let sizes = NetSizes {
            encoder: EncoderKind::Gru,
            embed: 8,
            condition: 4,
            z_dim: 6,
            base_channels: 4,
        };
        let mut rng = Rng::seeded(1);
        let g = CaptionGenerator::new(&mut rng, &sizes, &device);
        let d = CaptionCritic::new(&mut rng, &sizes, &device);
        let (tokens, lens) = ([1, 6, 0, 2, 7, 9], [2, 3]);
        let captions = Captions {
            tokens: &tokens,
            lens: &lens,
            len: 3,
        };
        let z = Tensor::from_data(TensorData::new(rng.normals(12), [2, 6]), &device);
        let (images, kl) = g.forward(z, &captions, Some(rng.normals(8)));
        assert_eq!(images.dims(), [2, SIDE * SIDE]);
        assert!(kl.into_scalar::<f32>().is_finite());
        let out = d.forward(images, &captions, &Pass::eval(false));
        assert_eq!(out.dims(), [2, 1]);
    }
}
