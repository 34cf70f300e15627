//! One augmentation run: for N labelled images per class and a seed, train the generator on
//! that subset only, then the same small classifier four ways, each judged on the held-out
//! real half: (a) the real subset, (b) synthetic images only (GAN-train, Classification
//! Accuracy Score), (c) real and synthetic mixed, (d) the real subset with classic
//! augmentation; plus GAN-test (a classifier trained on the whole real pool, tested on the
//! synthetic images).

use std::time::Instant;

use crate::engine::data::ImageSet;
use crate::engine::metrics::classifier::{self, Classifier};
use crate::engine::rng::Rng;

use super::classic::{self, Jitter};
use super::split::{Split, SplitError, subset};

/// Labelled images in [-1, 1]: n × image_len values and n labels.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Labelled {
    pub pixels: Vec<f32>,
    pub labels: Vec<u32>,
}

impl Labelled {
    /// Images `indices` of `set` (which has labels).
    pub fn gather(set: &ImageSet, indices: &[usize]) -> Self {
        let batch = set.gather(indices);
        Self {
            pixels: batch.pixels,
            labels: batch.labels,
        }
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// Where the synthetic images of a run come from: a conditional GAN trained on the subset in
/// the experiment; anything with the same contract in tests (a copier is the sanity case).
pub trait Synthesizer {
    /// `per_class` labelled images of each class, learnt from `subset` (and nothing else).
    /// `keep_going` gets the fraction done and stops the work (Ok(None)) by returning false.
    fn synthesize(
        &mut self,
        subset: &ImageSet,
        seed: u64,
        per_class: usize,
        keep_going: &mut dyn FnMut(f32) -> bool,
    ) -> Result<Option<Labelled>, String>;
}

/// How the classifiers are trained: the same for every condition.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recipe {
    /// Adam steps of batch 128 per classifier.
    pub classifier_steps: usize,
    /// Synthetic images drawn per class for (b), (c) and GAN-test.
    pub synthetic_per_class: usize,
    /// The share of synthetic images in (c)'s batches.
    pub mix: f32,
    /// (d)'s shifts and rotations.
    pub jitter: Jitter,
}

impl Default for Recipe {
    fn default() -> Self {
        Self {
            classifier_steps: 1000,
            synthetic_per_class: 500,
            mix: 0.5,
            jitter: Jitter::default(),
        }
    }
}

/// The figures of one (N, seed) run: accuracies on the held-out real images, GAN-test on the
/// synthetic ones, and the wall time of the generator's training and of the whole run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    pub per_class: usize,
    pub seed: u64,
    pub real: f64,
    pub synthetic: f64,
    pub mixed: f64,
    pub classic: f64,
    pub gan_test: f64,
    pub generator_secs: f64,
    pub total_secs: f64,
}

/// What went wrong in a run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Split(#[from] SplitError),
    #[error("the generator could not be trained: {0}")]
    Generator(String),
    #[error("the generator gave {got} images, not {want} ({per_class} per class)")]
    WrongCount {
        got: usize,
        want: usize,
        per_class: usize,
    },
}

/// The data and the fixed parts every run of an experiment shares.
pub struct Bench<'a> {
    pub set: &'a ImageSet,
    pub split: Split,
    /// The held-out real images every classifier is judged on.
    pub held_out: Labelled,
    /// A classifier trained on the whole real pool, for GAN-test.
    pub pool_classifier: Classifier,
    pub recipe: Recipe,
}

/// Stages of a run, for progress: what is being trained.
pub const STAGES: [&str; 5] = [
    "generator",
    "classifier on the real subset",
    "classifier on synthetic images",
    "classifier on real + synthetic",
    "classifier with classic augmentation",
];

impl<'a> Bench<'a> {
    /// Splits `set` and trains the pool classifier (GAN-test's judge). None when stopped.
    pub fn new(
        set: &'a ImageSet,
        recipe: Recipe,
        keep_going: &mut dyn FnMut(f32) -> bool,
    ) -> Result<Option<Self>, SplitError> {
        let labels = set.labels.as_ref().ok_or(SplitError::NoLabels)?;
        let split = super::split::split(labels, set.class_names.len())?;
        let held_out = Labelled::gather(set, &split.held_out);
        let pool = Labelled::gather(set, &split.pool);
        let mut rng = Rng::seeded(0x600D_7E57);
        let steps = recipe.classifier_steps;
        let fitted = fit_on(set, &pool, None, None, steps, &mut rng, keep_going);
        let Some(pool_classifier) = fitted else {
            return Ok(None);
        };
        Ok(Some(Self {
            set,
            split,
            held_out,
            pool_classifier,
            recipe,
        }))
    }

    /// The run for `per_class` images per class and `seed`. `progress(stage, fraction)`
    /// stops it (Ok(None)) by returning false.
    pub fn run(
        &self,
        synthesizer: &mut dyn Synthesizer,
        per_class: usize,
        seed: u64,
        progress: &mut dyn FnMut(usize, f32) -> bool,
    ) -> Result<Option<RunResult>, RunError> {
        let started = Instant::now();
        let labels = self.set.labels.as_deref().unwrap_or_default();
        let chosen = subset(
            &self.split.pool,
            labels,
            &self.set.class_names,
            per_class,
            seed,
        )?;
        let subset_set = select(self.set, &chosen);
        let real = Labelled::gather(self.set, &chosen);
        let want = self.recipe.synthetic_per_class;
        let Some(synthetic) = synthesizer
            .synthesize(&subset_set, seed, want, &mut |f| progress(0, f))
            .map_err(RunError::Generator)?
        else {
            return Ok(None);
        };
        let classes = self.set.class_names.len();
        if synthetic.len() != want * classes {
            return Err(RunError::WrongCount {
                got: synthetic.len(),
                want: want * classes,
                per_class: want,
            });
        }
        let generator_secs = started.elapsed().as_secs_f64();
        // (a) real, (b) synthetic, (c) mixed, (d) classic: the same seed for each, so (a)
        // and (b) differ only in their data.
        let jitter = Some(self.recipe.jitter);
        let conditions = [
            (&real, None, None),
            (&synthetic, None, None),
            (&real, Some(&synthetic), None),
            (&real, None, jitter),
        ];
        let mut accuracies = [0.0f64; 4];
        for (i, (data, extra, jitter)) in conditions.into_iter().enumerate() {
            let mut rng = Rng::seeded(seed);
            let mix = extra.map(|extra| (extra, self.recipe.mix));
            let fitted = fit_on(
                self.set,
                data,
                mix,
                jitter,
                self.recipe.classifier_steps,
                &mut rng,
                &mut |f| progress(i + 1, f),
            );
            let Some(c) = fitted else {
                return Ok(None);
            };
            accuracies[i] = c.accuracy_on(&self.held_out.pixels, &self.held_out.labels);
        }
        let gan_test = self
            .pool_classifier
            .accuracy_on(&synthetic.pixels, &synthetic.labels);
        Ok(Some(RunResult {
            per_class,
            seed,
            real: accuracies[0],
            synthetic: accuracies[1],
            mixed: accuracies[2],
            classic: accuracies[3],
            gan_test,
            generator_secs,
            total_secs: started.elapsed().as_secs_f64(),
        }))
    }
}

/// Images `indices` of `set` as a set of their own (labels and names kept).
pub fn select(set: &ImageSet, indices: &[usize]) -> ImageSet {
    let mut pixels = Vec::with_capacity(indices.len() * set.image_len());
    for &i in indices {
        pixels.extend_from_slice(set.image(i));
    }
    ImageSet {
        pixels,
        labels: set
            .labels
            .as_ref()
            .map(|l| indices.iter().map(|&i| l[i]).collect()),
        class_names: set.class_names.clone(),
        channels: set.channels,
        height: set.height,
        width: set.width,
    }
}

/// The small classifier trained for `steps` on `data`; with `mix` = (extra, share), that share of each
/// batch comes from `extra`; with a `jitter`, each image is moved within it as it is drawn.
fn fit_on(
    set: &ImageSet,
    data: &Labelled,
    mix: Option<(&Labelled, f32)>,
    jitter: Option<Jitter>,
    steps: usize,
    rng: &mut Rng,
    keep_going: &mut dyn FnMut(f32) -> bool,
) -> Option<Classifier> {
    let len = set.image_len();
    let dims = [set.channels, set.height, set.width];
    let draw = |rng: &mut Rng, n: usize| {
        let mut pixels = Vec::with_capacity(n * len);
        let mut labels = Vec::with_capacity(n);
        for _ in 0..n {
            let source = match mix {
                Some((extra, share)) if rng.uniform() < share as f64 => extra,
                _ => data,
            };
            let i = rng.below(source.len());
            let image = &source.pixels[i * len..][..len];
            match jitter {
                Some(jitter) => pixels.extend(classic::jitter(image, dims, jitter, rng)),
                None => pixels.extend_from_slice(image),
            }
            labels.push(source.labels[i]);
        }
        (pixels, labels)
    };
    let shape = (len, set.class_names.clone());
    classifier::fit(shape, steps, rng, draw, keep_going)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::augment::results::{self, run_all};
    use crate::engine::data::digits::embedded_digits;

    /// A "generator" that hands back its training images: the sanity case.
    struct Copier {
        calls: usize,
    }

    impl Synthesizer for Copier {
        fn synthesize(
            &mut self,
            subset: &ImageSet,
            _seed: u64,
            _per_class: usize,
            _keep_going: &mut dyn FnMut(f32) -> bool,
        ) -> Result<Option<Labelled>, String> {
            self.calls += 1;
            let all: Vec<usize> = (0..subset.len()).collect();
            Ok(Some(Labelled::gather(subset, &all)))
        }
    }

    /// A bench on `set` whose synthesizers must give `per_class` images per class.
    fn bench(set: &ImageSet, per_class: usize) -> Bench<'_> {
        let recipe = Recipe {
            classifier_steps: 120,
            synthetic_per_class: per_class,
            ..Recipe::default()
        };
        Bench::new(set, recipe, &mut |_| true)
            .expect("a labelled set")
            .expect("never stopped")
    }

    #[test]
    fn a_generator_that_copies_its_training_images_scores_as_the_real_subset() {
        let set = embedded_digits(400);
        let bench = bench(&set, 8);
        let mut copier = Copier { calls: 0 };
        let r = bench
            .run(&mut copier, 8, 3, &mut |_, _| true)
            .expect("test value")
            .expect("test value");
        assert_eq!(
            r.synthetic, r.real,
            "GAN-train of a copier is the real subset's accuracy"
        );
        // 8 digits per class already teach something: well above chance (0.1).
        assert!(r.real > 0.3, "{r:?}");
        // The pool classifier saw these very images: GAN-test of a copier is high.
        assert!(r.gan_test > 0.8, "{r:?}");
        assert_eq!((r.per_class, r.seed), (8, 3));
        assert!((0.0..=1.0).contains(&r.mixed) && (0.0..=1.0).contains(&r.classic));
    }

    #[test]
    fn a_generator_with_the_wrong_number_of_images_is_an_error() {
        let set = embedded_digits(400);
        // Asks for 9 per class; the copier gives the subset's 8.
        let bench = bench(&set, 9);
        let err = bench.run(&mut Copier { calls: 0 }, 8, 1, &mut |_, _| true);
        assert!(matches!(
            err,
            Err(RunError::WrongCount {
                got: 80,
                want: 90,
                ..
            })
        ));
    }

    #[test]
    fn stopping_keeps_the_finished_runs_and_a_rerun_resumes_after_them() {
        let set = embedded_digits(400);
        let bench = bench(&set, 5);
        let dir = std::env::temp_dir().join(format!("ganvas-augment-run-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("test value");
        let path = dir.join("results.csv");
        let _ = std::fs::remove_file(&path);
        let mut copier = Copier { calls: 0 };
        // Stop as soon as the second run's classifiers start.
        let outcome = run_all(
            &bench,
            &mut copier,
            &[(5, 1), (5, 2), (5, 3)],
            &path,
            &mut |p| !matches!(p, results::Progress::Stage(at) if at.run == 1 && at.stage == 1),
        )
        .expect("test value");
        assert!(outcome.stopped);
        assert_eq!(outcome.results.len(), 1);
        // What the file holds is what finished (to the CSV's precision).
        let on_disk = results::read(&path).expect("test value");
        assert_eq!(results::to_csv(&on_disk), results::to_csv(&outcome.results));
        // Again: the first run is not redone.
        let outcome = run_all(
            &bench,
            &mut copier,
            &[(5, 1), (5, 2), (5, 3)],
            &path,
            &mut |_| true,
        )
        .expect("test value");
        assert!(!outcome.stopped);
        assert_eq!(outcome.results.len(), 3);
        assert_eq!(
            copier.calls,
            2 + 2,
            "seed 1 once, seed 2 twice (stopped), seed 3 once"
        );
        let seeds: Vec<u64> = results::read(&path)
            .expect("test value")
            .iter()
            .map(|r| r.seed)
            .collect();
        assert_eq!(seeds, vec![1, 2, 3]);
        std::fs::remove_dir_all(&dir).expect("test value");
    }
}
