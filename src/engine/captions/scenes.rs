//! A captioned dataset made offline: scenes of one split drawn from a digit source, each with
//! its description (what its caption says) and its caption's tokens.

use super::grammar::{Mix, SceneSpec, Split, random_spec};
use super::render::{DigitSource, SIDE, draw_scene};
use super::vocab;
use crate::engine::rng::Rng;

/// Scenes with their descriptions; images are SIDE × SIDE grey bytes, one after another.
#[derive(Clone)]
pub struct SceneSet {
    pub specs: Vec<SceneSpec>,
    pub pixels: Vec<u8>,
}

impl SceneSet {
    /// `count` scenes of `split` (the same seed always gives the same scenes).
    pub fn generate(count: usize, split: Split, mix: Mix, source: &DigitSource, seed: u64) -> Self {
        let mut rng = Rng::seeded(seed);
        let mut specs = Vec::with_capacity(count);
        let mut pixels = Vec::with_capacity(count * SIDE * SIDE);
        for _ in 0..count {
            let spec = random_spec(&mut rng, split, mix);
            let canvas = draw_scene(&spec, source, &mut rng);
            pixels.extend(
                canvas
                    .iter()
                    .map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8),
            );
            specs.push(spec);
        }
        Self { specs, pixels }
    }

    pub fn len(&self) -> usize {
        self.specs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// Scene `i`'s bytes.
    pub fn image(&self, i: usize) -> &[u8] {
        &self.pixels[i * SIDE * SIDE..(i + 1) * SIDE * SIDE]
    }

    /// Scenes `indices` as values in [-1, 1] (the generator's tanh range), flattened
    /// [n · SIDE · SIDE], with their descriptions.
    pub fn batch(&self, indices: &[usize]) -> (Vec<f32>, Vec<SceneSpec>) {
        let mut values = Vec::with_capacity(indices.len() * SIDE * SIDE);
        for &i in indices {
            values.extend(self.image(i).iter().map(|&b| b as f32 / 127.5 - 1.0));
        }
        (values, indices.iter().map(|&i| self.specs[i]).collect())
    }
}

/// The tokens of each description's caption, padded with 0 to the longest, row-major
/// [n × len], with each caption's length.
pub fn caption_tokens(specs: &[SceneSpec]) -> (Vec<usize>, Vec<usize>, usize) {
    let token_lists: Vec<Vec<usize>> = specs
        .iter()
        .map(|s| {
            // The grammar's captions are read whole (tested in vocab).
            vocab::parse(&s.caption()).map_or_else(|_| Vec::new(), |p| p.tokens)
        })
        .collect();
    padded(&token_lists)
}

/// Token lists padded with 0 to the longest (at least 1), row-major, with their lengths.
pub fn padded(lists: &[Vec<usize>]) -> (Vec<usize>, Vec<usize>, usize) {
    let len = lists.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let mut tokens = vec![0; lists.len() * len];
    for (row, list) in lists.iter().enumerate() {
        tokens[row * len..row * len + list.len()].copy_from_slice(list);
    }
    (tokens, lists.iter().map(Vec::len).collect(), len)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIX: Mix = Mix {
        pairs: 0.4,
        strokes: true,
    };

    #[test]
    fn a_set_is_reproducible_and_of_its_split() {
        let a = SceneSet::generate(50, Split::HeldOut, MIX, &DigitSource::Drawn, 5);
        let b = SceneSet::generate(50, Split::HeldOut, MIX, &DigitSource::Drawn, 5);
        assert_eq!(a.specs, b.specs);
        assert_eq!(a.pixels, b.pixels);
        assert_eq!(a.pixels.len(), 50 * SIDE * SIDE);
        assert!(a.specs.iter().all(|s| s.held_out()));
        let (values, specs) = a.batch(&[3, 7]);
        assert_eq!(values.len(), 2 * SIDE * SIDE);
        assert_eq!(specs, vec![a.specs[3], a.specs[7]]);
        assert!(values.iter().all(|v| (-1.0..=1.0).contains(v)));
        assert!(values.iter().any(|&v| v > 0.9), "ink is there");
    }

    #[test]
    fn tokens_are_padded_to_the_longest_caption() {
        let (tokens, lens, len) = padded(&[vec![1, 2, 3], vec![4], vec![]]);
        assert_eq!(len, 3);
        assert_eq!(lens, vec![3, 1, 0]);
        assert_eq!(tokens, vec![1, 2, 3, 4, 0, 0, 0, 0, 0]);
        let set = SceneSet::generate(20, Split::Train, MIX, &DigitSource::Drawn, 1);
        let (tokens, lens, len) = caption_tokens(&set.specs);
        assert_eq!(tokens.len(), 20 * len);
        for (i, s) in set.specs.iter().enumerate() {
            assert_eq!(lens[i], s.caption().split(' ').count());
        }
    }
}
