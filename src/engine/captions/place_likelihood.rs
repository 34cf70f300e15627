//! The generator's place loss that relations can take part in. The critic's place head reads
//! a label at each place of an image (a digit and its size, or nothing). A one-digit caption
//! fixes every place's label; a relation ("a 7 to the right of a 2") does not say where its
//! digits stand, only how they stand to each other, so asking for the places its training
//! scene happened to use would teach the generator to hedge between them. What a relation
//! does fix is a set of labellings: its two digits at any two places that stand as it says,
//! nothing elsewhere. The loss is the negative log of the probability, under the head, that
//! the image is one of them (independent places: a sum over labellings of the product over
//! places), so the generator is asked for the relation and left free to choose the line.
//! For a one-digit caption it is the place cross-entropy the generator had before.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Tensor, TensorData};

use super::grammar::{GRID, Place, SceneSpec};
use super::reader::{LABELS, label_at};

const PLACES: usize = GRID * GRID;

/// Every labelling of the grid that `spec`'s caption allows (a label per place, in place
/// order): a one-digit caption's own; a relation's two digits at every two places that
/// stand as it says (at their scene's sizes).
pub fn labellings(spec: &SceneSpec) -> Vec<[usize; PLACES]> {
    let label = |s: &SceneSpec| -> [usize; PLACES] {
        let mut out = [0; PLACES];
        for place in Place::all() {
            out[place.index()] = label_at(s, place);
        }
        out
    };
    match *spec {
        SceneSpec::Single(_) => vec![label(spec)],
        SceneSpec::Pair {
            first,
            relation,
            second,
        } => Place::all()
            .flat_map(|a| Place::all().map(move |b| (a, b)))
            .filter(|&(a, b)| a != b && relation.holds(a, b))
            .map(|(a, b)| {
                label(&SceneSpec::Pair {
                    first: super::grammar::Placed { place: a, ..first },
                    relation,
                    second: super::grammar::Placed { place: b, ..second },
                })
            })
            .collect(),
    }
}

/// −log P(the image says its caption) under the place head's `logits` [b · places, labels]
/// for scenes described by `specs`, summed over scenes and divided by b · places (so that a
/// batch of one-digit captions gets the mean place cross-entropy).
pub fn caption_places_loss(logits: Tensor<2>, specs: &[SceneSpec]) -> Tensor<1> {
    let b = specs.len();
    let all: Vec<Vec<[usize; PLACES]>> = specs.iter().map(labellings).collect();
    let most = all.iter().map(Vec::len).max().unwrap_or(1).max(1);
    // A 0/1 selection per (scene, labelling) of the place-label log-probabilities it sums,
    // and a large negative score for the labellings a scene has fewer of.
    let mut select = vec![0.0f32; b * most * PLACES * LABELS];
    let mut absent = vec![0.0f32; b * most];
    for (i, set) in all.iter().enumerate() {
        for c in 0..most {
            let row = i * most + c;
            match set.get(c) {
                Some(labels) => {
                    for (p, &l) in labels.iter().enumerate() {
                        select[(row * PLACES + p) * LABELS + l] = 1.0;
                    }
                }
                None => absent[row] = -1e9,
            }
        }
    }
    let device = logits.device();
    let select =
        Tensor::<3>::from_data(TensorData::new(select, [b, most, PLACES * LABELS]), &device);
    let absent = Tensor::<2>::from_data(TensorData::new(absent, [b, most]), &device);
    let log_p: Tensor<3> = log_softmax(logits, 1).reshape([b, 1, PLACES * LABELS]);
    let scores: Tensor<2> = select.mul(log_p).sum_dim(2).reshape([b, most]).add(absent);
    // log Σ exp, steadied by each scene's largest score (a constant to the gradient).
    let top = scores.clone().max_dim(1).detach();
    let total = scores.sub(top.clone()).exp().sum_dim(1).log().add(top);
    total.sum().div_scalar(-((b * PLACES).max(1) as f32))
}

#[cfg(test)]
mod tests {
    use super::super::grammar::{Placed, Relation};
    use super::super::nets::{names_every_place, places_loss};
    use super::super::reader::EMPTY;
    use super::*;
    use burn::tensor::Device;

    fn at(digit: usize, row: usize, col: usize) -> Placed {
        Placed::small(digit, row, col)
    }

    #[test]
    fn a_relation_allows_its_digits_at_every_two_places_that_stand_as_it_says() {
        let pair = SceneSpec::Pair {
            first: at(7, 0, 2),
            relation: Relation::RightOf,
            second: at(2, 0, 0),
        };
        let sets = labellings(&pair);
        // Three rows, and on each the ordered pairs of columns with the 7 to the right: 3.
        assert_eq!(sets.len(), 9);
        for labels in &sets {
            let seven = labels.iter().position(|&l| l == 7).expect("a 7");
            let two = labels.iter().position(|&l| l == 2).expect("a 2");
            assert_eq!(seven / GRID, two / GRID, "the same row");
            assert!(seven % GRID > two % GRID, "the 7 to the right");
            assert_eq!(labels.iter().filter(|&&l| l == EMPTY).count(), PLACES - 2);
        }
        // The scene's own placing is one of them, and a one-digit caption has one.
        assert!(sets.iter().any(|l| l[2] == 7 && l[0] == 2));
        assert_eq!(labellings(&SceneSpec::Single(at(3, 1, 1))).len(), 1);
    }

    fn logits_for(labels: &[[usize; PLACES]], sure: f32) -> Tensor<2> {
        let mut v = vec![0.0f32; labels.len() * PLACES * LABELS];
        for (i, l) in labels.iter().enumerate() {
            for (p, &label) in l.iter().enumerate() {
                v[(i * PLACES + p) * LABELS + label] = sure;
            }
        }
        Tensor::from_data(
            TensorData::new(v, [labels.len() * PLACES, LABELS]),
            &Device::flex(),
        )
    }

    #[test]
    fn one_digit_captions_get_the_place_cross_entropy_and_relations_any_right_placing() {
        let single = SceneSpec::Single(at(3, 0, 0));
        let pair = SceneSpec::Pair {
            first: at(7, 1, 0),
            relation: Relation::LeftOf,
            second: at(2, 1, 1),
        };
        let scene = |s: &SceneSpec| -> [usize; PLACES] {
            let mut l = [EMPTY; PLACES];
            for p in Place::all() {
                l[p.index()] = label_at(s, p);
            }
            l
        };
        // Random logits: for one-digit captions the same value as the old place loss.
        let mut rng = crate::engine::rng::Rng::seeded(7);
        let random = Tensor::<2>::from_data(
            TensorData::new(rng.normals(2 * PLACES * LABELS), [2 * PLACES, LABELS]),
            &Device::flex(),
        );
        let specs = [single, SceneSpec::Single(at(5, 2, 1))];
        let new = caption_places_loss(random.clone(), &specs).into_scalar::<f32>();
        let old = places_loss(random, &specs, names_every_place).into_scalar::<f32>();
        assert!((new - old).abs() < 1e-5, "{new} vs {old}");
        // A head sure of the scene's own placing, or of another right one (the 7 and the 2
        // on the bottom row), gives a small loss; of the reversed order, a large one.
        let mut elsewhere = [EMPTY; PLACES];
        (elsewhere[7], elsewhere[8]) = (7, 2);
        let mut reversed = [EMPTY; PLACES];
        (reversed[3], reversed[4]) = (2, 7);
        let loss = |l: [usize; PLACES]| {
            caption_places_loss(logits_for(&[l], 12.0), &[pair]).into_scalar::<f32>()
        };
        let (own, other, wrong) = (loss(scene(&pair)), loss(elsewhere), loss(reversed));
        assert!(own < 0.01 && other < 0.01, "{own} {other}");
        assert!(wrong > 1.0, "{wrong}");
    }
}
