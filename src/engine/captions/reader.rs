//! Reading a scene back: a classifier looks at a 28 × 28 window around each of the nine
//! places and says which digit is there and at which size, or that the place is empty. It is
//! trained (and cached, as the dataset classifiers are) on windows of the training scenes,
//! whose descriptions give the labels. A generated image then meets its caption when the
//! reader finds what the caption says where it says it, and nothing where it says nothing.

use super::grammar::{GRID, Place, SceneSpec, Size};
use super::render::{SIDE, centre_of};
use super::scenes::SceneSet;
use crate::engine::data::ImageSet;
use crate::engine::metrics::classifier::{self, Classifier, ClassifierError, argmax};

/// The window's side (a large digit is 26 px).
pub const WINDOW: usize = 28;
/// Labels: digit d small is d, large is 10 + d; 20 is an empty place.
pub const EMPTY: usize = 20;
pub const LABELS: usize = 21;

/// The window around `place` of a scene image (values in [-1, 1]); off the canvas is -1.
pub fn window(image: &[f32], place: Place) -> Vec<f32> {
    let (cx, cy) = centre_of(place);
    let x0 = (cx - WINDOW as f32 / 2.0).round() as i64;
    let y0 = (cy - WINDOW as f32 / 2.0).round() as i64;
    let mut out = Vec::with_capacity(WINDOW * WINDOW);
    for y in 0..WINDOW as i64 {
        for x in 0..WINDOW as i64 {
            let (sx, sy) = (x0 + x, y0 + y);
            let inside = (0..SIDE as i64).contains(&sx) && (0..SIDE as i64).contains(&sy);
            out.push(if inside {
                image[sy as usize * SIDE + sx as usize]
            } else {
                -1.0
            });
        }
    }
    out
}

/// What a description puts at `place`: its label.
pub fn label_at(spec: &SceneSpec, place: Place) -> usize {
    spec.digits()
        .iter()
        .find(|p| p.place == place)
        .map_or(EMPTY, |p| match p.size {
            Size::Small => p.digit,
            Size::Large => 10 + p.digit,
        })
}

/// The windows of the first `limit` scenes, labelled, as an image set for the classifier.
pub fn window_set(scenes: &SceneSet, limit: usize) -> ImageSet {
    let n = scenes.len().min(limit);
    let mut pixels = Vec::with_capacity(n * GRID * GRID * WINDOW * WINDOW);
    let mut labels = Vec::with_capacity(n * GRID * GRID);
    for i in 0..n {
        let (image, specs) = scenes.batch(&[i]);
        for place in Place::all() {
            let w = window(&image, place);
            pixels.extend(
                w.iter()
                    .map(|&v| ((v + 1.0) * 127.5).round().clamp(0.0, 255.0) as u8),
            );
            labels.push(label_at(&specs[0], place) as u16);
        }
    }
    let mut class_names: Vec<String> = (0..10).map(|d| format!("small {d}")).collect();
    class_names.extend((0..10).map(|d| format!("large {d}")));
    class_names.push("empty".into());
    ImageSet {
        pixels,
        labels: Some(labels),
        class_names,
        channels: 1,
        height: WINDOW,
        width: WINDOW,
    }
}

/// The place reader.
pub struct SceneReader {
    pub classifier: Classifier,
}

impl SceneReader {
    /// The reader for scenes like `scenes` (trained on up to 3,000 of them, or loaded from
    /// the cache).
    pub fn for_scenes(
        scenes: &SceneSet,
        progress: &mut dyn FnMut(f32),
    ) -> Result<Self, ClassifierError> {
        let set = window_set(scenes, 3000);
        Ok(Self {
            classifier: classifier::for_dataset(&set, progress)?,
        })
    }

    /// The label the reader sees at each place of each image (n × SIDE² values in [-1, 1]).
    pub fn read(&self, images: &[f32]) -> Vec<[usize; GRID * GRID]> {
        let n = images.len() / (SIDE * SIDE);
        let mut windows = Vec::with_capacity(n * GRID * GRID * WINDOW * WINDOW);
        for i in 0..n {
            let image = &images[i * SIDE * SIDE..(i + 1) * SIDE * SIDE];
            for place in Place::all() {
                windows.extend(window(image, place));
            }
        }
        let probs = self.classifier.classify(&windows).probabilities;
        let labels: Vec<usize> = probs.chunks_exact(LABELS).map(argmax).collect();
        labels
            .chunks_exact(GRID * GRID)
            .map(|c| {
                let mut out = [EMPTY; GRID * GRID];
                out.copy_from_slice(c);
                out
            })
            .collect()
    }
}

/// How well images meet their captions.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CaptionScore {
    /// One-digit captions: the digit at its place, every other place empty.
    pub singles: (usize, usize),
    /// …and at its size too.
    pub singles_sized: (usize, usize),
    /// Relations: the two digits, nothing else, standing as the caption says.
    pub pairs: (usize, usize),
    /// Relations: the two digits at two places and nothing else, wherever they stand (what
    /// `pairs` asks but the order): the share of `pairs` among these is the order's part.
    pub pair_digits: (usize, usize),
}

impl CaptionScore {
    fn share((right, all): (usize, usize)) -> f64 {
        right as f64 / all.max(1) as f64
    }
    pub fn singles_share(&self) -> f64 {
        Self::share(self.singles)
    }
    pub fn sized_share(&self) -> f64 {
        Self::share(self.singles_sized)
    }
    pub fn pairs_share(&self) -> f64 {
        Self::share(self.pairs)
    }
    pub fn pair_digits_share(&self) -> f64 {
        Self::share(self.pair_digits)
    }
}

/// Scores what the reader saw (`read`, one per image) against each image's description.
pub fn score(specs: &[SceneSpec], read: &[[usize; GRID * GRID]]) -> CaptionScore {
    let mut s = CaptionScore::default();
    for (spec, seen) in specs.iter().zip(read) {
        let occupied: Vec<(Place, usize)> = Place::all()
            .filter(|p| seen[p.index()] != EMPTY)
            .map(|p| (p, seen[p.index()] % 10))
            .collect();
        match spec {
            SceneSpec::Single(p) => {
                let right = occupied == vec![(p.place, p.digit)];
                s.singles.1 += 1;
                s.singles.0 += usize::from(right);
                s.singles_sized.1 += 1;
                s.singles_sized.0 +=
                    usize::from(right && seen[p.place.index()] == label_at(spec, p.place));
            }
            SceneSpec::Pair {
                first,
                relation,
                second,
            } => {
                // Two places hold the two digits (either way round; a digit asked twice, at
                // both).
                let mut digits: Vec<usize> = occupied.iter().map(|(_, d)| *d).collect();
                let mut asked = vec![first.digit, second.digit];
                digits.sort_unstable();
                asked.sort_unstable();
                let both = digits == asked;
                let find = |d: usize| occupied.iter().find(|(_, x)| *x == d).map(|(p, _)| *p);
                let right = both
                    && match (find(first.digit), find(second.digit)) {
                        (Some(a), Some(b)) => a != b && relation.holds(a, b),
                        _ => false,
                    };
                s.pairs.1 += 1;
                s.pairs.0 += usize::from(right);
                s.pair_digits.1 += 1;
                s.pair_digits.0 += usize::from(both);
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::super::grammar::{Mix, Placed, Relation, Split};
    use super::super::render::DigitSource;
    use super::*;

    fn spec(digit: usize, row: usize, col: usize) -> Placed {
        Placed::small(digit, row, col)
    }

    #[test]
    fn scoring_wants_the_digit_at_its_place_and_nothing_else() {
        let single = SceneSpec::Single(spec(3, 0, 0));
        let mut seen = [EMPTY; 9];
        seen[0] = 3;
        assert_eq!(score(&[single], &[seen]).singles, (1, 1));
        seen[4] = 7;
        assert_eq!(score(&[single], &[seen]).singles, (0, 1), "an extra digit");
        let mut large = [EMPTY; 9];
        large[0] = 13;
        let s = score(&[single], &[large]);
        assert_eq!((s.singles, s.singles_sized), ((1, 1), (0, 1)));
        let pair = SceneSpec::Pair {
            first: spec(2, 1, 0),
            relation: Relation::LeftOf,
            second: spec(7, 1, 2),
        };
        let mut seen = [EMPTY; 9];
        (seen[6], seen[7]) = (2, 7); // bottom row, 2 left of 7: still true
        assert_eq!(score(&[pair], &[seen]).pairs, (1, 1));
        assert_eq!(score(&[pair], &[seen]).pair_digits, (1, 1));
        (seen[6], seen[7]) = (7, 2);
        let s = score(&[pair], &[seen]);
        assert_eq!(s.pairs, (0, 1), "the other way round");
        assert_eq!(s.pair_digits, (1, 1), "both digits, wherever they stand");
        (seen[6], seen[7]) = (7, 7);
        let s = score(&[pair], &[seen]);
        assert_eq!(
            (s.pairs, s.pair_digits),
            ((0, 1), (0, 1)),
            "one digit twice"
        );
    }

    #[test]
    fn the_reader_reads_real_scenes_right() {
        let mix = Mix {
            pairs: 0.4,
            strokes: true,
        };
        let train = SceneSet::generate(3000, Split::Train, mix, &DigitSource::Drawn, 1);
        let reader = SceneReader::for_scenes(&train, &mut |_| {}).expect("reader");
        assert!(
            reader.classifier.accuracy > 0.95,
            "{}",
            reader.classifier.accuracy
        );
        let held = SceneSet::generate(300, Split::HeldOut, mix, &DigitSource::Drawn, 2);
        let all: Vec<usize> = (0..held.len()).collect();
        let (images, specs) = held.batch(&all);
        let s = score(&specs, &reader.read(&images));
        assert!(s.singles_share() > 0.9, "{s:?}");
        assert!(s.pairs_share() > 0.85, "{s:?}");
        // Blank canvases meet no caption.
        let blank = vec![-1.0; specs.len() * SIDE * SIDE];
        let s = score(&specs, &reader.read(&blank));
        assert_eq!(s.singles.0 + s.pairs.0, 0);
    }
}
