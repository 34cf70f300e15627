//! The layered generator (LR-GAN's idea, Yang et al. 2017, on the scene grid): instead of
//! drawing the whole scene from one code, it draws each digit it is asked for as a 32 px
//! patch (what) and sets the patch on the canvas at a place it chooses (where), as the
//! scenes are made. The patch does not know where it will stand and the place does not know
//! which digit it holds, so a digit learned at some places can be drawn at a place it was
//! never trained at: composition by construction, which the one-code DCGAN lacks (it drew
//! another digit at a held-out place; BENCHMARKS.md, "Text-to-image").
//!
//! What a slot draws comes from the caption's words themselves, never from a code of the
//! whole caption: each slot has `HEADS` attention heads that score every word by the
//! encoder's state after it (so a GRU can tell the first digit from the second) and take the
//! weighted mean of the words' embeddings, which say nothing of the words around them. A
//! slot that reads "3" draws a 3 whether the caption goes on "at the top left" or not. Where
//! a slot stands is picked from z and the caption's code (the conditioning-augmented one) by
//! a softmax over the grid; the soft choice is a mix of the patch shifted to every place,
//! which keeps it differentiable and sharpens as the critic rejects ghosts. Slots' inks are
//! united as light is (1 − Π(1 − ink)), in [0, 1] as the scenes' "brighter stroke wins".

use burn::module::Module;
use burn::tensor::activation::{relu, softmax};
use burn::tensor::ops::PadMode;
use burn::tensor::{Device, Tensor, TensorData};

use super::grammar::{GRID, Place};
use super::render::{SIDE, centre_of};
use crate::engine::nn::dcgan::DcganGenerator;
use crate::engine::nn::layers::{Dense, Init, Pass};
use crate::engine::rng::Rng;

/// Digits a layered generator can draw in one scene (the grammar's most; `places` picks
/// the second's place from the first's).
pub const SLOTS: usize = 2;
const _: () = assert!(SLOTS == 2, "places() picks a first and a second slot");
/// The hidden width of the second slot's place picker.
const FOLLOW: usize = 64;
/// Place logits are scaled up so that a new generator already picks places, each z its own,
/// rather than starting from an even spread that the critic must break.
const GAIN: f32 = 3.0;
/// Attention heads per slot: the digit's word, and its size and stroke words.
pub const HEADS: usize = 2;
/// The side of a slot's patch: room for a large digit and its jitter.
pub const PATCH: usize = 32;
const PLACES: usize = GRID * GRID;

/// Which generator draws the scenes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GeneratorKind {
    /// One DCGAN from z and the caption's condition to the 64 px scene.
    #[default]
    Dcgan,
    /// A 32 px DCGAN draws each named digit from the words it reads, set at a place picked
    /// per slot.
    Layered,
}

/// The reading and placing of a layered generator.
#[derive(Module, Debug)]
pub struct Layout {
    /// The encoder's state after a word → its score for each slot's heads.
    pub attend: Dense,
    /// z and the caption's condition → the first slot's logits over the places.
    pub first: Dense,
    /// z, the condition and the first slot's place → a hidden layer for the second's: a
    /// relation says where the second digit stands from the first, which takes a product
    /// of the two (one linear layer per slot could only hedge, ghosts at every place).
    pub follow: Dense,
    /// The hidden layer → the second slot's logits over the places.
    pub second: Dense,
    pub condition: usize,
    pub embed: usize,
    /// Whether the slots compete for the words (Slot Attention's softmax over the slots):
    /// a word one slot takes, the other cannot, so two slots never read the same digit.
    pub compete: bool,
}

impl Layout {
    pub fn new(
        rng: &mut Rng,
        z_dim: usize,
        embed: usize,
        condition: usize,
        compete: bool,
        device: &Device,
    ) -> Self {
        Self {
            attend: Dense::new(rng, Init::FanIn, embed, SLOTS * HEADS, device),
            first: Dense::new(rng, Init::FanIn, z_dim + condition, PLACES, device),
            follow: Dense::new(rng, Init::FanIn, z_dim + condition + PLACES, FOLLOW, device),
            second: Dense::new(rng, Init::FanIn, FOLLOW, PLACES, device),
            condition,
            embed,
            compete,
        }
    }

    /// What the drawer gets of a slot: `HEADS` word embeddings' widths.
    pub fn slot_width(embed: usize) -> usize {
        HEADS * embed
    }

    /// The width of a layered condition: the place condition, then each slot's reading.
    pub fn width(&self) -> usize {
        self.condition + SLOTS * Self::slot_width(self.embed)
    }

    /// Each slot's reading of its caption [b, SLOTS · HEADS · embed]: per head, the mean of
    /// the word embeddings `words` [b, len, embed] weighted by scores from the encoder's
    /// `states` [b, len, embed]: a softmax over the caption's words (`lens`), or with
    /// `compete` a softmax over the slots (each word shared out among the slots' heads of
    /// the same index) and then each head's shares normalised over the words.
    pub fn read(&self, words: Tensor<3>, states: Tensor<3>, lens: &[usize]) -> Tensor<2> {
        let [b, len, e] = words.dims();
        let heads = SLOTS * HEADS;
        let scores: Tensor<3> = self
            .attend
            .forward(states.reshape([b * len, e]), &Pass::eval(false))
            .reshape([b, len, heads]);
        // Padding is never read.
        let inside: Vec<f32> = (0..b * len)
            .map(|i| f32::from(i % len < lens[i / len]))
            .collect();
        let inside = Tensor::<3>::from_data(TensorData::new(inside, [b, len, 1]), &words.device());
        let weights = if self.compete {
            let shares = softmax(scores.reshape([b, len, SLOTS, HEADS]), 2)
                .reshape([b, len, heads])
                .mul(inside);
            // Slot Attention's weighted mean; the ε keeps a head that got nothing finite.
            let totals = shares.clone().sum_dim(1).add_scalar(1e-6);
            shares.div(totals)
        } else {
            // A large negative score past each caption's end.
            let pad = inside.sub_scalar(1.0).mul_scalar(1e4);
            softmax(scores.add(pad), 1)
        };
        weights
            .swap_dims(1, 2)
            .matmul(words)
            .reshape([b, heads * e])
    }

    /// Each slot's place probabilities [b, SLOTS · PLACES] (slot-major) for latents `z` and
    /// the captions' place `condition` [b, condition].
    pub fn places(&self, z: Tensor<2>, condition: Tensor<2>) -> Tensor<2> {
        let pass = Pass::eval(false);
        let x = Tensor::cat(vec![z, condition], 1);
        let first = softmax(self.first.forward(x.clone(), &pass).mul_scalar(GAIN), 1);
        let hidden = relu(
            self.follow
                .forward(Tensor::cat(vec![x, first.clone()], 1), &pass),
        );
        let second = softmax(self.second.forward(hidden, &pass).mul_scalar(GAIN), 1);
        Tensor::cat(vec![first, second], 1)
    }

    /// Scenes [b, SIDE²] in [-1, 1] drawn by `drawer` (a 32 px DCGAN) for latents `z` under
    /// layered conditions [b, width()] (the place condition, then each slot's reading).
    pub fn draw(&self, drawer: &DcganGenerator, z: Tensor<2>, condition: &Tensor<2>) -> Tensor<2> {
        let [b, _] = z.dims();
        let (c, w) = (self.condition, Self::slot_width(self.embed));
        let weights = self.places(z.clone(), condition.clone().slice([0..b, 0..c]));
        // Slot-major rows: every slot's patch in one pass of the drawer.
        let readings: Vec<Tensor<2>> = (0..SLOTS)
            .map(|k| condition.clone().slice([0..b, c + k * w..c + (k + 1) * w]))
            .collect();
        let zs = Tensor::cat(vec![z; SLOTS], 0);
        let patches = drawer.forward(zs, Some(Tensor::cat(readings, 0)));
        let ink = patches.add_scalar(1.0).mul_scalar(0.5);
        // Multiplying by exact ones first changes no value.
        let mut dark = Tensor::<4>::ones([b, 1, SIDE, SIDE], &ink.device());
        for k in 0..SLOTS {
            let slot_ink = ink
                .clone()
                .slice([k * b..(k + 1) * b, 0..PATCH * PATCH])
                .reshape([b, 1, PATCH, PATCH]);
            let slot_weights = weights.clone().slice([0..b, k * PLACES..(k + 1) * PLACES]);
            dark = dark.mul(place_mix(&slot_ink, &slot_weights).neg().add_scalar(1.0));
        }
        // Light 1 − Π(1 − ink) in [0, 1], to the images' [-1, 1].
        dark.neg()
            .add_scalar(1.0)
            .mul_scalar(2.0)
            .sub_scalar(1.0)
            .reshape([b, SIDE * SIDE])
    }
}

/// Patches [b, 1, PATCH, PATCH] set on the canvas at every place, weighted by `weights`
/// [b, PLACES]: [b, 1, SIDE, SIDE].
pub fn place_mix(patches: &Tensor<4>, weights: &Tensor<2>) -> Tensor<4> {
    let [b, _, _, _] = patches.dims();
    let corners: Vec<(i64, i64)> = Place::all().map(corner_of).collect();
    // Room around the canvas for patches that stand partly off it (a large digit at an edge).
    let margin = corners
        .iter()
        .flat_map(|&(x, y)| {
            [
                -x,
                -y,
                x + PATCH as i64 - SIDE as i64,
                y + PATCH as i64 - SIDE as i64,
            ]
        })
        .max()
        .unwrap_or(0)
        .max(0) as usize;
    let framed = SIDE + 2 * margin;
    let mut total = Tensor::<4>::zeros([b, 1, SIDE, SIDE], &patches.device());
    for (p, &(x, y)) in corners.iter().enumerate() {
        let left = (x + margin as i64) as usize;
        let top = (y + margin as i64) as usize;
        let shifted = patches
            .clone()
            .pad(
                (left, framed - PATCH - left, top, framed - PATCH - top),
                PadMode::Constant(0.0),
            )
            .slice([0..b, 0..1, margin..margin + SIDE, margin..margin + SIDE]);
        let w = weights
            .clone()
            .slice([0..b, p..p + 1])
            .reshape([b, 1, 1, 1]);
        let term = shifted.mul(w);
        total = total.add(term);
    }
    total
}

/// The canvas pixel (x, y) where a patch centred on `place` has its top-left corner.
fn corner_of(place: Place) -> (i64, i64) {
    let (cx, cy) = centre_of(place);
    let half = (PATCH / 2) as f32;
    ((cx - half).round() as i64, (cy - half).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Param;
    use burn::tensor::TensorData;

    fn values(t: Tensor<4>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().expect("f32 values")
    }

    #[test]
    fn a_patch_lands_centred_on_the_place_its_weight_picks() {
        let device = Device::flex();
        // One lit pixel at the patch's centre.
        let mut patch = vec![0.0f32; PATCH * PATCH];
        patch[(PATCH / 2) * PATCH + PATCH / 2] = 1.0;
        let patches = Tensor::<4>::from_data(TensorData::new(patch, [1, 1, PATCH, PATCH]), &device);
        for place in Place::all() {
            let mut w = vec![0.0f32; PLACES];
            w[place.index()] = 1.0;
            let weights = Tensor::<2>::from_data(TensorData::new(w, [1, PLACES]), &device);
            let canvas = values(place_mix(&patches, &weights));
            let lit: Vec<usize> = (0..SIDE * SIDE).filter(|&i| canvas[i] > 0.5).collect();
            let (cx, cy) = centre_of(place);
            assert_eq!(lit.len(), 1, "{place:?}");
            let (x, y) = (lit[0] % SIDE, lit[0] / SIDE);
            assert!(
                (x as f32 - cx).abs() <= 0.5 && (y as f32 - cy).abs() <= 0.5,
                "{place:?}: ({x}, {y}) vs ({cx}, {cy})"
            );
        }
        // Weights split between two places: each copy carries its share.
        let mut w = vec![0.0f32; PLACES];
        w[0] = 0.25;
        w[8] = 0.75;
        let weights = Tensor::<2>::from_data(TensorData::new(w, [1, PLACES]), &device);
        let canvas = values(place_mix(&patches, &weights));
        let mut lit: Vec<f32> = canvas.into_iter().filter(|&v| v > 0.0).collect();
        lit.sort_by(f32::total_cmp);
        assert_eq!(lit, vec![0.25, 0.75]);
    }

    #[test]
    fn the_layered_generator_draws_scenes_in_range_and_its_places_sum_to_one() {
        use crate::engine::config::Activation;
        use crate::engine::nn::dcgan::DcganSpec;
        let device = Device::flex();
        let mut rng = Rng::seeded(3);
        let (z_dim, embed, condition) = (5, 3, 4);
        let spec = DcganSpec {
            latent: z_dim,
            classes: Layout::slot_width(embed),
            channels: 1,
            size: PATCH,
            pack: 1,
            base_channels: 4,
            slope: 0.2,
            minibatch_stddev: false,
        };
        let drawer = DcganGenerator::new(&spec, Activation::Relu, true, &mut rng, &device);
        let layout = Layout::new(&mut rng, z_dim, embed, condition, true, &device);
        let z = Tensor::<2>::from_data(TensorData::new(rng.normals(15), [3, z_dim]), &device);
        let c = Tensor::<2>::from_data(
            TensorData::new(rng.normals(3 * layout.width()), [3, layout.width()]),
            &device,
        );
        let places = layout.places(z.clone(), c.clone().slice([0..3, 0..condition]));
        let sums = places.reshape([3 * SLOTS, PLACES]).sum_dim(1);
        for s in sums.into_data().try_to_vec::<f32>().expect("f32 values") {
            assert!((s - 1.0).abs() < 1e-5);
        }
        let images = layout.draw(&drawer, z, &c);
        assert_eq!(images.dims(), [3, SIDE * SIDE]);
        let v = images.into_data().try_to_vec::<f32>().expect("f32 values");
        assert!(v.iter().all(|x| (-1.0..=1.0).contains(x)));
    }

    #[test]
    fn a_slot_reads_a_mean_of_the_words_and_never_the_padding() {
        let device = Device::flex();
        let mut rng = Rng::seeded(4);
        let embed = 2;
        for compete in [false, true] {
            reads_a_mean_of_the_words(&Layout::new(&mut rng, 1, embed, 1, compete, &device));
        }
    }

    fn reads_a_mean_of_the_words(layout: &Layout) {
        let device = Device::flex();
        let mut rng = Rng::seeded(5);
        let embed = layout.embed;
        // Two captions of 3 and 2 words; the second's third word is padding (but not zero
        // here, so that reading it would show).
        let words: Vec<f32> = vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0, 2.0, 4.0, 0.0, 9.0, 9.0];
        let words = Tensor::<3>::from_data(TensorData::new(words, [2, 3, embed]), &device);
        let states = Tensor::<3>::from_data(
            TensorData::new(rng.normals(2 * 3 * embed), [2, 3, embed]),
            &device,
        );
        let read = layout.read(words, states, &[3, 2]);
        assert_eq!(read.dims(), [2, SLOTS * HEADS * embed]);
        let v = read.into_data().try_to_vec::<f32>().expect("f32 values");
        for head in 0..SLOTS * HEADS {
            // A convex mix of (1,0), (0,1), (1,1): both coordinates in [0, 1], summing to ≥ 1.
            let (x, y) = (v[head * embed], v[head * embed + 1]);
            assert!((0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y) && x + y >= 1.0 - 1e-5);
            // A mix of (2,2) and (4,0): x + y = 4, never the padding's 9s.
            let (x, y) = (
                v[(SLOTS * HEADS + head) * embed],
                v[(SLOTS * HEADS + head) * embed + 1],
            );
            assert!(
                (x + y - 4.0).abs() < 1e-4 && (2.0..=4.0).contains(&x),
                "({x}, {y})"
            );
        }
    }

    #[test]
    fn competing_slots_do_not_read_the_word_another_slot_takes() {
        let device = Device::flex();
        let embed = 2;
        // Two words, A = (1, 0) and B = (0, 1), their states the same. The first head of
        // slot 0 scores A 10, of slot 1 A 5; both score B 0 (the other heads: 0 everywhere).
        let mut weight = vec![0.0f32; embed * SLOTS * HEADS];
        weight[0] = 10.0; // input x → slot 0, head 0
        weight[HEADS] = 5.0; // input x → slot 1, head 0
        let read_first_heads = |compete: bool| -> [(f32, f32); SLOTS] {
            let mut layout = Layout::new(&mut Rng::seeded(6), 1, embed, 1, compete, &device);
            layout.attend.weight = Param::from_tensor(Tensor::from_data(
                TensorData::new(weight.clone(), [embed, SLOTS * HEADS]),
                &device,
            ));
            layout.attend.bias = Param::from_tensor(Tensor::zeros([SLOTS * HEADS], &device));
            let ab = || {
                Tensor::<3>::from_data(
                    TensorData::new(vec![1.0f32, 0.0, 0.0, 1.0], [1, 2, embed]),
                    &device,
                )
            };
            let v = layout
                .read(ab(), ab(), &[2])
                .into_data()
                .try_to_vec::<f32>()
                .expect("f32 values");
            let head = |k: usize| (v[k * HEADS * embed], v[k * HEADS * embed + 1]);
            [head(0), head(1)]
        };
        // Each slot for itself: both read mostly A.
        let [s0, s1] = read_first_heads(false);
        assert!(s0.0 > 0.99 && s1.0 > 0.99, "{s0:?} {s1:?}");
        // Competing: slot 0 takes A, so slot 1 reads B although it scores A higher.
        let [s0, s1] = read_first_heads(true);
        assert!(s0.0 > 0.6 && s1.1 > 0.98, "{s0:?} {s1:?}");
    }
}
