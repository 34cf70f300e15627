//! The text-conditioned GAN: DCGAN's networks at 64 px, each with its own caption encoder
//! (trained by its own network's loss). The generator takes z beside the caption's condition
//! (drawn by conditioning augmentation); the critic takes the caption's code as constant
//! planes beside the image, so its first convolution can tie words to places. The loss is
//! GAN-INT-CLS's matching-aware one: a real image with a wrong caption counts as fake. With
//! `generator = "layered"` the generator's DCGAN draws 32 px digit patches instead, which
//! its layout (layout.rs) reads from the words and sets at places.

use burn::module::Module;
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor, TensorData};

use super::encoder::{CaptionEncoder, CondAugment, EncoderKind};
use super::grammar::{GRID, Place, SceneSpec};
use super::layout::{GeneratorKind, Layout, PATCH};
use super::reader::{LABELS, label_at};
use super::render::SIDE;
use crate::engine::config::Activation;
use crate::engine::loss::softplus;
use crate::engine::nn::dcgan::{DcganDiscriminator, DcganGenerator, DcganSpec};
use crate::engine::nn::layers::{Dense, Init, Pass};
use crate::engine::rng::Rng;

/// Places on the scene grid.
const PLACES: usize = GRID * GRID;

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
    /// Whether the critic has the auxiliary head that names each place's digit.
    pub places: bool,
    pub generator: GeneratorKind,
    /// A layered generator's slots compete for the caption's words.
    pub slots_compete: bool,
}

impl NetSizes {
    /// The critic's last maps, flattened: DCGAN's base channels × 8 at 4 × 4.
    fn features(&self) -> usize {
        let (levels, side) = self.dcgan().levels();
        (self.base_channels << (levels - 1)) * side * side
    }

    /// The generator's DCGAN: the scene, or a layered generator's digit patch.
    fn drawer(&self) -> DcganSpec {
        let (size, classes) = match self.generator {
            GeneratorKind::Dcgan => (SIDE, self.condition),
            GeneratorKind::Layered => (PATCH, Layout::slot_width(self.embed)),
        };
        DcganSpec {
            size,
            classes,
            ..self.dcgan()
        }
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
    /// The scene's drawer, or with a layout each digit's.
    pub net: DcganGenerator,
    /// The layered generator's slots and places (None: `net` draws the whole scene).
    pub layout: Option<Layout>,
}

impl CaptionGenerator {
    pub fn new(rng: &mut Rng, sizes: &NetSizes, device: &Device) -> Self {
        Self {
            encoder: CaptionEncoder::new(rng, sizes.encoder, sizes.embed, sizes.embed, device),
            augment: CondAugment::new(rng, sizes.embed, sizes.condition, device),
            net: DcganGenerator::new(&sizes.drawer(), Activation::Relu, true, rng, device),
            layout: (sizes.generator == GeneratorKind::Layered).then(|| {
                Layout::new(
                    rng,
                    sizes.z_dim,
                    sizes.embed,
                    sizes.condition,
                    sizes.slots_compete,
                    device,
                )
            }),
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
        (self.draw(z, condition), kl)
    }

    /// The captions' conditions [b, condition] (drawn with `eps`, or their mean) and the KL;
    /// a layered generator adds each slot's reading of the words after them.
    pub fn condition(
        &self,
        captions: &Captions<'_>,
        eps: Option<Vec<f32>>,
    ) -> (Tensor<2>, Tensor<1>) {
        let read = self
            .encoder
            .read(captions.tokens, captions.lens, captions.len);
        let (condition, kl) = self.augment.forward(read.code, eps);
        match &self.layout {
            None => (condition, kl),
            Some(layout) => {
                let slots = layout.read(read.words, read.states, captions.lens);
                (Tensor::cat(vec![condition, slots], 1), kl)
            }
        }
    }

    /// Images [b, SIDE²] for latents `z` under given conditions (an interpolation, say).
    pub fn draw(&self, z: Tensor<2>, condition: Tensor<2>) -> Tensor<2> {
        match &self.layout {
            None => self.net.forward(z, Some(condition)),
            Some(layout) => layout.draw(&self.net, z, &condition),
        }
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
    /// The auxiliary head (TAC-GAN's idea on the scene grid): the last maps of the image
    /// alone (the caption planes zero) → a label per place, digit and size or empty, as the
    /// reader's labels. Trained on real scenes; the generator is asked to satisfy it.
    pub places: Option<Dense>,
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
            // Drawn last, so that a critic without it starts from the same weights.
            places: sizes
                .places
                .then(|| Dense::new(rng, Init::FanIn, sizes.features(), PLACES * LABELS, device)),
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

impl CaptionCritic {
    /// The auxiliary head's logits [b · places, labels] for images [b, SIDE²], read from the
    /// image alone (None without the head).
    pub fn place_logits(&self, images: Tensor<2>, pass: &Pass) -> Option<Tensor<2>> {
        let head = self.places.as_ref()?;
        let [b, _] = images.dims();
        let blank = Tensor::zeros([b, self.net.classes], &images.device());
        let features = self.net.features(images, Some(blank), pass);
        Some(head.forward(features, pass).reshape([b * PLACES, LABELS]))
    }
}

/// The auxiliary head's loss: cross-entropy of its logits against each place's label in
/// `specs` (a digit and its size, or nothing), over the scenes `counted` keeps. The
/// generator counts only one-digit captions: a relation does not say where its digits
/// stand, so asking for the places its scene happened to use would teach it to hedge.
pub fn places_loss(
    logits: Tensor<2>,
    specs: &[SceneSpec],
    counted: impl Fn(&SceneSpec) -> bool,
) -> Tensor<1> {
    let mut target = vec![0.0f32; specs.len() * PLACES * LABELS];
    let mut rows = 0usize;
    for (i, spec) in specs.iter().enumerate() {
        if !counted(spec) {
            continue;
        }
        for place in Place::all() {
            let row = i * PLACES + place.index();
            target[row * LABELS + label_at(spec, place)] = 1.0;
            rows += 1;
        }
    }
    let target = Tensor::from_data(
        TensorData::new(target, [specs.len() * PLACES, LABELS]),
        &logits.device(),
    );
    log_softmax(logits, 1)
        .mul(target)
        .sum()
        .div_scalar(-(rows.max(1) as f32))
}

/// Whether a caption fixes every place's label (one digit at a named place).
pub fn names_every_place(spec: &SceneSpec) -> bool {
    matches!(spec, SceneSpec::Single(_))
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
    fn the_place_loss_counts_each_place_of_the_scenes_it_keeps() {
        use super::super::grammar::{Placed, Relation};
        use super::super::reader::EMPTY;
        let at = Placed::small;
        let single = SceneSpec::Single(at(3, 0, 0));
        let pair = SceneSpec::Pair {
            first: at(7, 1, 0),
            relation: Relation::LeftOf,
            second: at(2, 1, 1),
        };
        // Logits that put all weight on "empty" everywhere: each empty place costs ~0, each
        // digit place the log of the uniform rest (logit 0 against one of 10).
        let mut values = vec![0.0f32; 2 * PLACES * LABELS];
        for row in 0..2 * PLACES {
            values[row * LABELS + EMPTY] = 10.0;
        }
        let device = Device::flex();
        let logits = || {
            Tensor::<2>::from_data(
                TensorData::new(values.clone(), [2 * PLACES, LABELS]),
                &device,
            )
        };
        let miss = -(1.0f32 / (10f32.exp() + 20.0)).ln();
        let hit = -(10f32.exp() / (10f32.exp() + 20.0)).ln();
        let both = places_loss(logits(), &[single, pair], |_| true).into_scalar::<f32>();
        let expected = (3.0 * miss + 15.0 * hit) / 18.0;
        assert!((both - expected).abs() < 1e-4, "{both} vs {expected}");
        // The generator's count skips the relation: its places are not in its caption.
        let singles = places_loss(logits(), &[single, pair], names_every_place);
        let expected = (miss + 8.0 * hit) / 9.0;
        assert!((singles.into_scalar::<f32>() - expected).abs() < 1e-4);
    }

    #[test]
    fn the_networks_draw_64_px_images_and_judge_them_per_caption() {
        for (generator, compete) in [
            (GeneratorKind::Dcgan, false),
            (GeneratorKind::Layered, false),
            (GeneratorKind::Layered, true),
        ] {
            draw_and_judge(generator, compete);
        }
    }

    fn draw_and_judge(generator: GeneratorKind, slots_compete: bool) {
        let device = Device::flex();
        let sizes = NetSizes {
            encoder: EncoderKind::Gru,
            embed: 8,
            condition: 4,
            z_dim: 6,
            base_channels: 4,
            places: true,
            generator,
            slots_compete,
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
