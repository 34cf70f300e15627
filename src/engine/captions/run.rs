//! A text-to-image training run: the scenes, the two networks with their encoders, Adam
//! (DCGAN's β₁ = 0.5), an EMA of the generator (what is sampled), and the round: a critic
//! update (matching-aware: real with its caption, real with a caption false of it, generated
//! with its caption, in one batch so batch norm sees all three) then a generator update
//! (non-saturating, plus the conditioning augmentation's KL term).

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::encoder::EncoderKind;
use super::grammar::{Mix, SceneSpec, wrong_captions};
use super::layout::GeneratorKind;
use super::nets::{
    CaptionCritic, CaptionGenerator, Captions, NetSizes, critic_loss, generator_loss,
    names_every_place, places_loss, plain_critic_loss,
};
use super::place_likelihood::caption_places_loss;
use super::render::SIDE;
use super::scenes::{SceneSet, caption_tokens, padded};
use crate::engine::nn::layers::Pass;
use crate::engine::nn::params::{ema_decay_at, ema_update};
use crate::engine::rng::Rng;
use crate::engine::trainer::run_log::RunLog;

/// What a text-to-image run is (a preset's `[captions]` section).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CaptionConfig {
    /// Training scenes made from the digits.
    pub scenes: usize,
    /// Scenes of the held-out combinations, for measuring composition.
    pub held_out_scenes: usize,
    /// The share of scenes with two digits in a relation.
    pub pairs: f64,
    /// Whether one-digit captions name the stroke ("thin", "thick").
    pub strokes: bool,
    /// "bow" (bag of words) or "gru".
    pub encoder: EncoderKind,
    pub embed: usize,
    pub condition: usize,
    pub z_dim: usize,
    pub base_channels: usize,
    pub batch_size: usize,
    /// Adam's learning rate (the generator's; the critic's too unless `lr_critic` is set).
    pub lr: f32,
    /// The critic's own learning rate (two time-scale update rule, TTUR); none: `lr`. A
    /// critic that learns faster reads the digits sooner, and the generator learns what a
    /// caption's digit looks like only from a critic that can read it.
    pub lr_critic: Option<f32>,
    /// Weight of the conditioning augmentation's KL term in the generator's loss.
    pub kl_weight: f32,
    /// The matching-aware critic (GAN-INT-CLS); off: a plain conditional GAN.
    pub mismatch: bool,
    /// The share of wrong captions that are near misses of the scene's own (another digit at
    /// its place, a relation's digits reversed or one changed), which the critic can only
    /// reject by reading the digits; the others are other scenes' captions.
    pub near_misses: f64,
    /// Mode seeking (MSGAN): the generator's loss adds this weight over how much two latents
    /// of one caption change the image, so that z is not ignored (0: off).
    pub mode_seeking: f32,
    /// Spectral normalisation of the critic's weights (Miyato et al. 2018).
    pub spectral_norm: bool,
    /// Weight of the critic's auxiliary head that names each place's digit from the image
    /// (TAC-GAN): the critic learns it on real scenes, the generator is asked to satisfy it
    /// for its caption (0: no head).
    pub places: f32,
    /// Whether the generator's place loss counts relations too: the probability, under the
    /// head, that its image holds the two digits at any two places that stand as the
    /// caption says (without it only one-digit captions count, which fix every place).
    pub relation_places: bool,
    /// "dcgan" (one network draws the scene) or "layered" (each named digit drawn apart and
    /// set at a place the generator picks: composition by construction).
    pub generator: GeneratorKind,
    /// With the layered generator: whether its slots compete for the caption's words (Slot
    /// Attention), so that the two slots of a relation read its two digits, not one twice.
    pub slots_compete: bool,
    /// The generator's EMA decay (0: none).
    pub ema: f32,
    pub seed: u64,
}

impl Default for CaptionConfig {
    fn default() -> Self {
        Self {
            scenes: 8000,
            held_out_scenes: 1000,
            pairs: 0.4,
            strokes: true,
            encoder: EncoderKind::Gru,
            embed: 32,
            condition: 16,
            z_dim: 32,
            base_channels: 16,
            batch_size: 32,
            lr: 0.0002,
            lr_critic: None,
            kl_weight: 1.0,
            mismatch: true,
            near_misses: 0.0,
            mode_seeking: 0.0,
            spectral_norm: false,
            places: 0.0,
            relation_places: false,
            generator: GeneratorKind::Dcgan,
            slots_compete: false,
            ema: 0.999,
            seed: 1,
        }
    }
}

impl CaptionConfig {
    pub fn critic_lr(&self) -> f32 {
        self.lr_critic.unwrap_or(self.lr)
    }

    pub fn mix(&self) -> Mix {
        Mix {
            pairs: self.pairs,
            strokes: self.strokes,
        }
    }

    pub fn sizes(&self) -> NetSizes {
        NetSizes {
            encoder: self.encoder,
            embed: self.embed,
            condition: self.condition,
            z_dim: self.z_dim,
            base_channels: self.base_channels,
            places: self.places > 0.0,
            generator: self.generator,
            slots_compete: self.slots_compete,
        }
    }
}

/// One round's numbers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RoundStats {
    pub d_loss: f32,
    pub g_loss: f32,
    /// Mean logits: real with its caption, real with a wrong one, generated.
    pub real: f32,
    pub wrong: f32,
    pub fake: f32,
    pub kl: f32,
    /// The auxiliary head's cross-entropy on real scenes (critic) and on generated ones for
    /// their captions (generator); NaN without the head.
    pub places_real: f32,
    pub places_fake: f32,
}

/// A text-to-image training run.
pub struct CaptionRun {
    pub config: CaptionConfig,
    pub train: SceneSet,
    pub held_out: SceneSet,
    pub generator: CaptionGenerator,
    pub critic: CaptionCritic,
    /// The EMA of the generator (inference copy): what is sampled.
    pub ema: CaptionGenerator,
    pub(super) opt_g: ModuleOptimizer,
    pub(super) opt_d: ModuleOptimizer,
    pub(super) rng: Rng,
    /// Completed rounds.
    pub step: u64,
    /// The run's curves and evaluations, saved with checkpoints.
    pub log: RunLog,
    ad: Device,
}

pub(super) fn adam() -> ModuleOptimizer {
    AdamConfig::new().with_beta_1(0.5).with_beta_2(0.999).init()
}

fn mean(t: Tensor<2>) -> f32 {
    t.mean().into_scalar::<f32>()
}

impl CaptionRun {
    /// A fresh run on the scenes made for it, weights drawn from the seed.
    pub fn new(
        config: CaptionConfig,
        train: SceneSet,
        held_out: SceneSet,
        device: &Device,
    ) -> Self {
        let ad = device.clone().autodiff();
        let mut rng = Rng::seeded(config.seed);
        let mut init = rng.fork();
        let sizes = config.sizes();
        let generator = CaptionGenerator::new(&mut init, &sizes, &ad);
        let critic = CaptionCritic::new(&mut init, &sizes, &ad);
        Self {
            ema: generator.valid(),
            config,
            train,
            held_out,
            generator,
            critic,
            opt_g: adam(),
            opt_d: adam(),
            rng,
            step: 0,
            log: RunLog::default(),
            ad,
        }
    }

    fn latents(&mut self, n: usize, device: &Device) -> Tensor<2> {
        let values = self.rng.normals(n * self.config.z_dim);
        Tensor::from_data(TensorData::new(values, [n, self.config.z_dim]), device)
    }

    fn real_batch(&mut self) -> (Tensor<2>, Vec<SceneSpec>) {
        let n = self.config.batch_size;
        let indices: Vec<usize> = (0..n).map(|_| self.rng.below(self.train.len())).collect();
        let (values, specs) = self.train.batch(&indices);
        let images = Tensor::from_data(TensorData::new(values, [n, SIDE * SIDE]), &self.ad);
        (images, specs)
    }

    /// One critic update: its loss, mean logits (real, wrong, fake) and the auxiliary head's
    /// cross-entropy on the real scenes (NaN without it).
    pub fn critic_update(&mut self) -> (f32, [f32; 3], f32) {
        let n = self.config.batch_size;
        let (real, specs) = self.real_batch();
        let (tokens, lens, len) = caption_tokens(&specs);
        let right = Captions {
            tokens: &tokens,
            lens: &lens,
            len,
        };
        let z = self.latents(n, &self.ad.clone());
        let eps = self.rng.normals(n * self.config.condition);
        let (fake, _) = self.generator.forward(z, &right, Some(eps));
        let fake = fake.detach();
        let pass = Pass {
            training: true,
            ..Pass::eval(self.config.spectral_norm)
        };
        let (loss, means) = if self.config.mismatch {
            let wrong = wrong_captions(
                &specs,
                &mut self.rng,
                self.config.mix(),
                self.config.near_misses,
            );
            // One batch of 3n: [real | real | fake] under [right | wrong | right].
            let mut all = specs.clone();
            all.extend(wrong);
            all.extend(specs.iter().copied());
            let (tokens, lens, len) = caption_tokens(&all);
            let captions = Captions {
                tokens: &tokens,
                lens: &lens,
                len,
            };
            let images = Tensor::cat(vec![real.clone(), real.clone(), fake], 0);
            let logits = self.critic.forward(images, &captions, &pass);
            let part = |i: usize| logits.clone().narrow(0, i * n, n);
            let (r, w, f) = (part(0), part(1), part(2));
            let means = [
                mean(r.clone().detach()),
                mean(w.clone().detach()),
                mean(f.clone().detach()),
            ];
            (critic_loss(r, w, f), means)
        } else {
            let mut all = specs.clone();
            all.extend(specs.iter().copied());
            let (tokens, lens, len) = caption_tokens(&all);
            let captions = Captions {
                tokens: &tokens,
                lens: &lens,
                len,
            };
            let logits =
                self.critic
                    .forward(Tensor::cat(vec![real.clone(), fake], 0), &captions, &pass);
            let (r, f) = (logits.clone().narrow(0, 0, n), logits.narrow(0, n, n));
            let means = [mean(r.clone().detach()), f32::NAN, mean(f.clone().detach())];
            (plain_critic_loss(r, f), means)
        };
        let value = loss.clone().into_scalar::<f32>();
        let (loss, places) = match self.critic.place_logits(real, &pass) {
            Some(logits) => {
                let ce = places_loss(logits, &specs, |_| true);
                let shown = ce.clone().into_scalar::<f32>();
                (loss.add(ce.mul_scalar(self.config.places)), shown)
            }
            None => (loss, f32::NAN),
        };
        let grads = GradientsParams::from_grads(loss.backward(), &self.critic);
        self.critic = self.opt_d.step(
            f64::from(self.config.critic_lr()),
            self.critic.clone(),
            grads,
        );
        (value, means, places)
    }

    /// One generator update on captions of training scenes: its adversarial loss, the KL,
    /// and the critic's auxiliary cross-entropy on its images (NaN without the head).
    pub fn generator_update(&mut self) -> (f32, f32, f32) {
        let n = self.config.batch_size;
        let seeking = self.config.mode_seeking > 0.0 && n >= 2 && n.is_multiple_of(2);
        // With mode seeking the halves share their captions and conditions: only z differs.
        let drawn = if seeking { n / 2 } else { n };
        let indices: Vec<usize> = (0..drawn)
            .map(|_| self.rng.below(self.train.len()))
            .collect();
        let mut specs: Vec<SceneSpec> = indices.iter().map(|&i| self.train.specs[i]).collect();
        let mut eps = self.rng.normals(drawn * self.config.condition);
        if seeking {
            specs.extend_from_within(..);
            eps.extend_from_within(..);
        }
        let (tokens, lens, len) = caption_tokens(&specs);
        let captions = Captions {
            tokens: &tokens,
            lens: &lens,
            len,
        };
        let z = self.latents(n, &self.ad.clone());
        let (fake, kl) = self.generator.forward(z.clone(), &captions, Some(eps));
        let critic = self.critic.clone().no_grad();
        let pass = Pass {
            training: true,
            ..Pass::eval(self.config.spectral_norm)
        };
        let mut adversarial = generator_loss(critic.forward(fake.clone(), &captions, &pass));
        let shown = adversarial.clone().into_scalar::<f32>();
        let mut places = f32::NAN;
        if let Some(logits) = critic.place_logits(fake.clone(), &pass) {
            let ce = if self.config.relation_places {
                caption_places_loss(logits, &specs)
            } else {
                places_loss(logits, &specs, names_every_place)
            };
            places = ce.clone().into_scalar::<f32>();
            adversarial = adversarial.add(ce.mul_scalar(self.config.places));
        }
        if seeking {
            let term = crate::engine::loss::mode_seeking(fake, z);
            adversarial = adversarial.add(term.mul_scalar(self.config.mode_seeking));
        }
        // The curve shows the adversarial loss alone.
        let values = (shown, kl.clone().into_scalar::<f32>(), places);
        let loss = adversarial.add(kl.mul_scalar(self.config.kl_weight));
        let grads = GradientsParams::from_grads(loss.backward(), &self.generator);
        self.generator = self
            .opt_g
            .step(f64::from(self.config.lr), self.generator.clone(), grads);
        self.ema = if self.config.ema > 0.0 {
            let decay = ema_decay_at(self.config.ema, self.step);
            ema_update(self.ema.clone(), &self.generator.valid(), decay)
        } else {
            self.generator.valid()
        };
        values
    }

    /// A round: a critic update, then a generator update.
    pub fn round(&mut self) -> RoundStats {
        let (d_loss, [real, wrong, fake], places_real) = self.critic_update();
        let (g_loss, kl, places_fake) = self.generator_update();
        self.step += 1;
        RoundStats {
            d_loss,
            g_loss,
            real,
            wrong,
            fake,
            kl,
            places_real,
            places_fake,
        }
    }

    /// `per` images for each token list of `captions` from the EMA generator (see
    /// [`sample_from`]).
    pub fn sample(&self, captions: &[Vec<usize>], per: usize, seed: u64) -> Vec<f32> {
        sample_from(&self.ema, self.config.z_dim, captions, per, seed)
    }
}

/// `per` images for each token list of `captions` from `generator` (conditions at their
/// mean), latents of `z_dim` from `seed`: [captions.len() · per, SIDE²] values in [-1, 1],
/// caption by caption.
pub fn sample_from(
    generator: &CaptionGenerator,
    z_dim: usize,
    captions: &[Vec<usize>],
    per: usize,
    seed: u64,
) -> Vec<f32> {
    let repeated: Vec<Vec<usize>> = captions
        .iter()
        .flat_map(|c| std::iter::repeat_n(c.clone(), per))
        .collect();
    let (tokens, lens, len) = padded(&repeated);
    let n = repeated.len();
    let mut rng = Rng::seeded(seed);
    let device = generator.encoder.embedding.val().device();
    let z = Tensor::from_data(TensorData::new(rng.normals(n * z_dim), [n, z_dim]), &device);
    let captions = Captions {
        tokens: &tokens,
        lens: &lens,
        len,
    };
    let (images, _) = generator.forward(z, &captions, None);
    images.into_data().try_to_vec::<f32>().unwrap_or_default()
}

/// From caption `a` to caption `b` (token lists) in `steps` images with one latent (from
/// `seed`): the condition moves in a straight line between the two captions' means, so the
/// first image is `a`'s and the last `b`'s. [steps, SIDE²] values in [-1, 1].
pub fn interpolate(
    generator: &CaptionGenerator,
    z_dim: usize,
    [a, b]: [&[usize]; 2],
    steps: usize,
    seed: u64,
) -> Vec<f32> {
    let steps = steps.max(2);
    let (tokens, lens, len) = padded(&[a.to_vec(), b.to_vec()]);
    let captions = Captions {
        tokens: &tokens,
        lens: &lens,
        len,
    };
    let (ends, _) = generator.condition(&captions, None);
    let [_, c] = ends.dims();
    let device = ends.device();
    let weights: Vec<f32> = (0..steps)
        .flat_map(|i| {
            let t = i as f32 / (steps - 1) as f32;
            [1.0 - t, t]
        })
        .collect();
    let weights = Tensor::from_data(TensorData::new(weights, [steps, 2]), &device);
    let conditions = weights.matmul(ends);
    debug_assert_eq!(conditions.dims(), [steps, c]);
    let mut rng = Rng::seeded(seed);
    let z: Tensor<2> = Tensor::from_data(TensorData::new(rng.normals(z_dim), [1, z_dim]), &device);
    let z = z.repeat_dim(0, steps);
    generator
        .draw(z, conditions)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::grammar::Split;
    use super::super::render::DigitSource;
    use super::*;

    fn tiny(encoder: EncoderKind, mismatch: bool) -> CaptionRun {
        let config = CaptionConfig {
            scenes: 64,
            held_out_scenes: 8,
            encoder,
            embed: 8,
            condition: 4,
            z_dim: 8,
            base_channels: 4,
            batch_size: 4,
            mismatch,
            ..CaptionConfig::default()
        };
        let mix = config.mix();
        let train = SceneSet::generate(64, Split::Train, mix, &DigitSource::Drawn, 1);
        let held = SceneSet::generate(8, Split::HeldOut, mix, &DigitSource::Drawn, 2);
        CaptionRun::new(config, train, held, &Device::flex())
    }

    #[test]
    fn rounds_report_finite_losses_and_samples_follow_their_captions_count() {
        for (encoder, mismatch) in [(EncoderKind::Gru, true), (EncoderKind::Bow, false)] {
            let mut run = tiny(encoder, mismatch);
            for _ in 0..3 {
                let s = run.round();
                assert!(s.d_loss.is_finite() && s.g_loss.is_finite() && s.kl.is_finite());
                assert_eq!(s.wrong.is_nan(), !mismatch);
            }
            assert_eq!(run.step, 3);
            let images = run.sample(&[vec![1, 7], vec![1, 8, 3]], 2, 5);
            assert_eq!(images.len(), 4 * SIDE * SIDE);
            assert!(images.iter().all(|v| v.is_finite() && v.abs() <= 1.0));
            assert_eq!(images, run.sample(&[vec![1, 7], vec![1, 8, 3]], 2, 5));
        }
    }

    #[test]
    fn mode_seeking_and_spectral_norm_train_too() {
        let mut run = tiny(EncoderKind::Gru, true);
        (run.config.mode_seeking, run.config.spectral_norm) = (1.0, true);
        for _ in 0..2 {
            let s = run.round();
            assert!(s.d_loss.is_finite() && s.g_loss.is_finite(), "{s:?}");
        }
    }

    #[test]
    fn the_critic_learns_to_tell_a_scenes_caption_from_a_wrong_one() {
        let config = CaptionConfig {
            scenes: 400,
            held_out_scenes: 10,
            pairs: 0.0,
            strokes: false,
            embed: 8,
            condition: 8,
            z_dim: 8,
            base_channels: 4,
            batch_size: 8,
            ..CaptionConfig::default()
        };
        let mix = config.mix();
        let train = SceneSet::generate(400, Split::Train, mix, &DigitSource::Drawn, 1);
        let held = SceneSet::generate(10, Split::HeldOut, mix, &DigitSource::Drawn, 2);
        let mut run = CaptionRun::new(config, train, held, &Device::flex());
        let gap = |run: &mut CaptionRun, rounds: usize| {
            (0..rounds)
                .map(|_| {
                    let s = run.round();
                    s.real - s.wrong
                })
                .sum::<f32>()
                / rounds as f32
        };
        let early = gap(&mut run, 10);
        for _ in 0..370 {
            run.round();
        }
        let late = gap(&mut run, 20);
        assert!(
            late > 1.0 && late > early + 0.8,
            "real − wrong logit: {early} at first, {late} after 400 rounds"
        );
    }

    #[test]
    fn an_interpolation_runs_from_the_first_caption_to_the_second() {
        let run = tiny(EncoderKind::Gru, true);
        let (a, b) = (vec![1, 7, 2], vec![1, 9, 3, 4]);
        let path = interpolate(&run.ema, run.config.z_dim, [&a, &b], 5, 4);
        assert_eq!(path.len(), 5 * SIDE * SIDE);
        // One latent throughout: the ends are the two captions' images for it.
        let ends = sample_from(&run.ema, run.config.z_dim, &[a, b], 1, 4);
        let close = |x: &[f32], y: &[f32]| x.iter().zip(y).all(|(p, q)| (p - q).abs() < 1e-4);
        let image = |v: &[f32], i: usize| v[i * SIDE * SIDE..(i + 1) * SIDE * SIDE].to_vec();
        assert!(close(&image(&path, 0), &image(&ends, 0)));
        assert!(close(&image(&path, 4), &image(&ends, 1)));
        // The middle lies between them (untrained, the images differ little, but they do).
        let gap = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| (p - q).abs()).sum::<f32>();
        let (whole, half) = (
            gap(&image(&path, 0), &image(&path, 4)),
            gap(&image(&path, 0), &image(&path, 2)),
        );
        assert!(
            whole > 0.0 && half > 0.0 && half < whole,
            "{half} of {whole}"
        );
    }

    #[test]
    fn the_digit_effect_is_zero_when_the_generator_cannot_tell_digits_apart() {
        use burn::module::Param;
        let mut run = tiny(EncoderKind::Gru, true);
        let effect = run.digit_effect(3);
        assert!(effect.is_finite() && effect > 0.0, "{effect}");
        // Every digit word given the embedding of "0": only the place still matters.
        let table = run.ema.encoder.embedding.val();
        let [tokens, width] = table.dims();
        let mut values = table.into_data().try_to_vec::<f32>().expect("f32");
        let zero = super::super::vocab::parse("0").expect("a word").tokens[0];
        for d in 1..10 {
            let t = super::super::vocab::parse(&d.to_string())
                .expect("a word")
                .tokens[0];
            let row = values[zero * width..(zero + 1) * width].to_vec();
            values[t * width..(t + 1) * width].copy_from_slice(&row);
        }
        let device = run.ema.encoder.embedding.val().device();
        run.ema.encoder.embedding = Param::from_tensor(Tensor::from_data(
            TensorData::new(values, [tokens, width]),
            &device,
        ));
        assert_eq!(run.digit_effect(3), 0.0);
    }
}
