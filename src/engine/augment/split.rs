//! Which images an augmentation experiment may learn from and which it is judged on.
//!
//! The labelled set is split once into a training pool and a held-out half (the same for every
//! seed and every N, so accuracies compare); each run then draws N images per class from the
//! pool only. Nothing the GAN or a classifier trains on is ever in the held-out half.

use crate::engine::rng::Rng;

/// Seed of the pool / held-out split: fixed, so that every seed and N are judged on the same
/// held-out images.
const SPLIT_SEED: u64 = 0x5EED_5B17;

/// Why an experiment cannot be drawn from a dataset.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("the dataset has no labels: an augmentation experiment needs a labelled dataset")]
    NoLabels,
    #[error("the dataset has {0} classes: an augmentation experiment needs at least 2")]
    TooFewClasses(usize),
    #[error(
        "class \"{class}\" has {available} images in the training pool, fewer than the {wanted} per class asked for"
    )]
    ClassTooSmall {
        class: String,
        available: usize,
        wanted: usize,
    },
    #[error("N per class must be at least 1")]
    ZeroPerClass,
}

/// Indices into the dataset: the images runs may train on, and the images they are judged on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    pub pool: Vec<usize>,
    pub held_out: Vec<usize>,
}

/// Splits `labels` (one per image, classes 0..classes) into a pool and a held-out half,
/// class by class (each class contributes half its images, rounded down, to the held-out
/// side), in a fixed random order.
pub fn split(labels: &[u16], classes: usize) -> Result<Split, SplitError> {
    if classes < 2 {
        return Err(SplitError::TooFewClasses(classes));
    }
    let mut rng = Rng::seeded(SPLIT_SEED);
    let order = rng.permutation(labels.len());
    let mut seen = vec![0usize; classes];
    let totals = class_counts(labels, classes);
    let (mut pool, mut held_out) = (Vec::new(), Vec::new());
    for i in order {
        let class = labels[i] as usize;
        if class >= classes {
            continue;
        }
        if seen[class] < totals[class] / 2 {
            held_out.push(i);
        } else {
            pool.push(i);
        }
        seen[class] += 1;
    }
    pool.sort_unstable();
    held_out.sort_unstable();
    Ok(Split { pool, held_out })
}

fn class_counts(labels: &[u16], classes: usize) -> Vec<usize> {
    let mut counts = vec![0usize; classes];
    for &l in labels {
        if let Some(c) = counts.get_mut(l as usize) {
            *c += 1;
        }
    }
    counts
}

/// `per_class` images of each class drawn from `pool` with `seed` (sorted indices). The
/// draws for a larger N with the same seed include those for a smaller one, so a curve over
/// N adds data rather than swapping it.
pub fn subset(
    pool: &[usize],
    labels: &[u16],
    class_names: &[String],
    per_class: usize,
    seed: u64,
) -> Result<Vec<usize>, SplitError> {
    if per_class == 0 {
        return Err(SplitError::ZeroPerClass);
    }
    let classes = class_names.len();
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for &i in pool {
        if let Some(list) = by_class.get_mut(labels[i] as usize) {
            list.push(i);
        }
    }
    let mut chosen = Vec::with_capacity(per_class * classes);
    for (class, members) in by_class.iter().enumerate() {
        if members.len() < per_class {
            return Err(SplitError::ClassTooSmall {
                class: class_names[class].clone(),
                available: members.len(),
                wanted: per_class,
            });
        }
        // One stream per class and seed: the first N of a fixed order.
        let mut rng = Rng::seeded(seed ^ (class as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let order = rng.permutation(members.len());
        chosen.extend(order[..per_class].iter().map(|&k| members[k]));
    }
    chosen.sort_unstable();
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(n: usize, classes: usize) -> Vec<u16> {
        (0..n).map(|i| ((i * 7 + i / 3) % classes) as u16).collect()
    }

    fn names(classes: usize) -> Vec<String> {
        (0..classes).map(|c| c.to_string()).collect()
    }

    #[test]
    fn the_pool_and_the_held_out_half_are_disjoint_and_cover_the_set() {
        let labels = labels(1001, 10);
        let s = split(&labels, 10).expect("test value");
        assert_eq!(s.pool.len() + s.held_out.len(), 1001);
        let mut all: Vec<usize> = s.pool.iter().chain(&s.held_out).copied().collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 1001, "an image is on both sides");
        // Half of each class (rounded down) is held out.
        let held = class_counts(
            &s.held_out.iter().map(|&i| labels[i]).collect::<Vec<_>>(),
            10,
        );
        for (c, total) in class_counts(&labels, 10).iter().enumerate() {
            assert_eq!(held[c], total / 2, "class {c}");
        }
        assert_eq!(
            split(&labels, 10).expect("test value"),
            s,
            "the split is fixed"
        );
    }

    #[test]
    fn a_subset_never_contains_a_held_out_image_and_is_balanced() {
        let labels = labels(2000, 10);
        let s = split(&labels, 10).expect("test value");
        for seed in 0..5 {
            for n in [1, 10, 50] {
                let chosen = subset(&s.pool, &labels, &names(10), n, seed).expect("test value");
                assert_eq!(chosen.len(), 10 * n);
                assert!(chosen.iter().all(|i| s.held_out.binary_search(i).is_err()));
                let counts =
                    class_counts(&chosen.iter().map(|&i| labels[i]).collect::<Vec<_>>(), 10);
                assert!(counts.iter().all(|&c| c == n), "{counts:?}");
            }
        }
    }

    #[test]
    fn larger_subsets_contain_smaller_ones_and_seeds_differ() {
        let labels = labels(2000, 10);
        let s = split(&labels, 10).expect("test value");
        let small = subset(&s.pool, &labels, &names(10), 10, 3).expect("test value");
        let large = subset(&s.pool, &labels, &names(10), 50, 3).expect("test value");
        assert!(small.iter().all(|i| large.binary_search(i).is_ok()));
        let other = subset(&s.pool, &labels, &names(10), 10, 4).expect("test value");
        assert_ne!(small, other);
    }

    #[test]
    fn impossible_requests_are_named() {
        let labels = labels(100, 10);
        let s = split(&labels, 10).expect("test value");
        let err = subset(&s.pool, &labels, &names(10), 6, 0).expect_err("an error");
        assert!(matches!(err, SplitError::ClassTooSmall { wanted: 6, .. }));
        assert!(err.to_string().contains("fewer than the 6 per class"));
        assert_eq!(
            subset(&s.pool, &labels, &names(10), 0, 0),
            Err(SplitError::ZeroPerClass)
        );
        assert_eq!(split(&labels, 1), Err(SplitError::TooFewClasses(1)));
    }
}
