//! FID-lite per caption: for a one-digit caption, how much the digits a generator draws for
//! it look like real digits of the kind it names. The scene reader's features (its
//! classifier's last hidden layer, 64 values) of the window at the caption's place in each
//! sample are compared, as Gaussians (a Fréchet distance), with the features of real windows
//! of the same digit, size and stroke taken from the training scenes at any place: a window
//! is centred on its place, so a digit looks the same in it wherever it stands, and a
//! held-out caption (a digit at a place it never had in training) is compared with the same
//! digit at the places it had. Like the other FID-lites it is not comparable with Inception
//! FID, and only at the same counts (few samples per caption bias it upwards).

use std::collections::HashMap;

use super::grammar::{Placed, SceneSpec, Size, Stroke};
use super::reader::{SceneReader, window};
use super::render::SIDE;
use super::run::CaptionRun;
use super::scenes::SceneSet;
use crate::engine::metrics::classifier::FEATURES;
use crate::engine::metrics::stats::{Rows, frechet_distance, mean_covariance};

/// Captions measured per split, and samples per caption.
pub const FID_CAPTIONS: usize = 20;
pub const FID_SAMPLES: usize = 24;
/// Real windows of a kind, at most; a caption whose kind has fewer than the samples drawn is
/// not measured (a Gaussian from a handful of windows says little).
const REAL_WINDOWS: usize = 200;

/// What a one-digit caption asks a digit to look like.
type Kind = (usize, Size, Option<Stroke>);

fn kind(p: &Placed) -> Kind {
    (p.digit, p.size, p.stroke)
}

/// The reader's features of the windows at `places` (one per image of `images`).
fn window_features(reader: &SceneReader, images: &[f32], places: &[Placed]) -> Vec<f32> {
    let windows: Vec<f32> = images
        .chunks_exact(SIDE * SIDE)
        .zip(places)
        .flat_map(|(image, p)| window(image, p.place))
        .collect();
    reader.classifier.classify(&windows).features
}

/// Real windows' features of every kind of digit the training scenes' one-digit captions
/// name, as (mean, covariance).
pub struct KindReference {
    kinds: HashMap<Kind, (Vec<f64>, Vec<f64>)>,
}

impl KindReference {
    pub fn new(scenes: &SceneSet, reader: &SceneReader) -> Self {
        let mut by_kind: HashMap<Kind, Vec<usize>> = HashMap::new();
        for (i, spec) in scenes.specs.iter().enumerate() {
            if let SceneSpec::Single(p) = spec {
                let list = by_kind.entry(kind(p)).or_default();
                if list.len() < REAL_WINDOWS {
                    list.push(i);
                }
            }
        }
        let kinds = by_kind
            .into_iter()
            .filter(|(_, v)| v.len() >= FID_SAMPLES)
            .map(|(k, indices)| {
                let (images, specs) = scenes.batch(&indices);
                let places: Vec<Placed> = specs
                    .iter()
                    .filter_map(|s| match s {
                        SceneSpec::Single(p) => Some(*p),
                        SceneSpec::Pair { .. } => None,
                    })
                    .collect();
                let features = window_features(reader, &images, &places);
                (k, mean_covariance(Rows::new(&features, FEATURES)))
            })
            .collect();
        Self { kinds }
    }

    /// The mean FID-lite of up to `FID_CAPTIONS` distinct one-digit captions of `specs` whose
    /// kind the reference has, `FID_SAMPLES` EMA samples each (None: no such caption).
    pub fn mean_fid(
        &self,
        run: &CaptionRun,
        reader: &SceneReader,
        specs: &[SceneSpec],
        seed: u64,
    ) -> Option<f64> {
        let mut captions: Vec<Placed> = Vec::new();
        for spec in specs {
            if let SceneSpec::Single(p) = spec
                && self.kinds.contains_key(&kind(p))
                && !captions.contains(p)
            {
                captions.push(*p);
                if captions.len() == FID_CAPTIONS {
                    break;
                }
            }
        }
        if captions.is_empty() {
            return None;
        }
        let asked: Vec<SceneSpec> = captions
            .iter()
            .flat_map(|p| std::iter::repeat_n(SceneSpec::Single(*p), FID_SAMPLES))
            .collect();
        let places: Vec<Placed> = captions
            .iter()
            .flat_map(|p| std::iter::repeat_n(*p, FID_SAMPLES))
            .collect();
        let images = run.sample_specs(&asked, seed);
        Some(self.fid_of(reader, &images, &places))
    }

    /// The mean FID-lite of groups of `FID_SAMPLES` images [n × SIDE²], each group's windows
    /// at its digits' `places` (one per image) against real windows of the group's first
    /// digit's kind (a kind the reference lacks counts as nothing).
    pub fn fid_of(&self, reader: &SceneReader, images: &[f32], places: &[Placed]) -> f64 {
        let features = window_features(reader, images, places);
        let fids: Vec<f64> = places
            .chunks_exact(FID_SAMPLES)
            .zip(features.chunks_exact(FID_SAMPLES * FEATURES))
            .filter_map(|(group, f)| {
                let (real_mean, real_cov) = self.kinds.get(&kind(&group[0]))?;
                let (mean, cov) = mean_covariance(Rows::new(f, FEATURES));
                Some(frechet_distance(real_mean, real_cov, &mean, &cov))
            })
            .collect();
        fids.iter().sum::<f64>() / fids.len().max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::super::grammar::{Mix, Split};
    use super::super::render::DigitSource;
    use super::*;

    #[test]
    fn real_digits_of_the_asked_kind_score_lower_than_other_digits_or_blanks() {
        let mix = Mix {
            pairs: 0.0,
            strokes: true,
        };
        let train = SceneSet::generate(3000, Split::Train, mix, &DigitSource::Drawn, 1);
        let reader = SceneReader::for_scenes(&train, &mut |_| {}).expect("reader");
        let reference = KindReference::new(&train, &reader);
        // Other scenes (another seed): one kind's real digits, at whatever places they stand.
        let other = SceneSet::generate(3000, Split::Train, mix, &DigitSource::Drawn, 2);
        let group_of = |wanted: Kind| -> (Vec<f32>, Vec<Placed>) {
            let indices: Vec<usize> = (0..other.len())
                .filter(|&i| matches!(other.specs[i], SceneSpec::Single(p) if kind(&p) == wanted))
                .take(FID_SAMPLES)
                .collect();
            assert_eq!(indices.len(), FID_SAMPLES, "{wanted:?}");
            let (images, specs) = other.batch(&indices);
            let places = specs
                .iter()
                .filter_map(|s| match s {
                    SceneSpec::Single(p) => Some(*p),
                    SceneSpec::Pair { .. } => None,
                })
                .collect();
            (images, places)
        };
        let (sevens, places) = group_of((7, Size::Large, None));
        let real = reference.fid_of(&reader, &sevens, &places);
        // The same windows scored as if they had been asked to be 1s.
        let asked_ones: Vec<Placed> = places.iter().map(|p| Placed { digit: 1, ..*p }).collect();
        let wrong = reference.fid_of(&reader, &sevens, &asked_ones);
        let blank = vec![-1.0f32; sevens.len()];
        let empty = reference.fid_of(&reader, &blank, &places);
        // Measured: real 92, asked to be 1s 1,843, blank 3,937.
        assert!(real.is_finite() && real > 0.0, "{real}");
        assert!(wrong > 5.0 * real, "a 7 asked to be a 1: {wrong} vs {real}");
        assert!(empty > 5.0 * real, "blank canvases: {empty} vs {real}");
    }
}
