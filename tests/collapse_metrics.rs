//! The collapse metrics on real images: the classifier reaches its stated accuracy on held-out
//! data and is cached; real data scores as healthy and raises no alert; a collapsed "generator"
//! (one image repeated) scores as collapsed and raises one. `ganvas eval` prints the metrics.

use std::sync::Arc;

use ganvas::engine::data::ImageSet;
use ganvas::engine::data::digits::embedded_digits;
use ganvas::engine::data::idx::load_idx;
use ganvas::engine::metrics::classifier::{self, ClassifierError};
use ganvas::engine::metrics::collapse::assess;
use ganvas::engine::metrics::images::{
    ClassReference, DiversityReference, distinct_sample, image_report,
};
use ganvas::engine::rng::Rng;
use ganvas::engine::trainer::protocol::MetricsReport;

use crate::util::{mnist, temp_dir};

/// Reports of three evaluations of `images` (as if a generator made them).
fn reports(set: &ImageSet, classes: &ClassReference, images: &[f32]) -> Vec<MetricsReport> {
    let diversity = DiversityReference::new(set);
    (1..=3)
        .map(|k| image_report(k * 100, &diversity, Some(classes), images, &[]))
        .collect()
}

fn check_real_and_collapsed(set: &ImageSet, min_accuracy: f64) {
    let dir = temp_dir("classifier-cache");
    let mut fractions = Vec::new();
    let c = classifier::for_dataset_in(Some(&dir), set, &mut |f| fractions.push(f))
        .expect("labelled data trains a classifier");
    eprintln!(
        "classifier: {:.2} % on {} held-out images in {:.1} s",
        100.0 * c.accuracy,
        c.held_out,
        c.train_secs
    );
    assert!(
        c.accuracy >= min_accuracy,
        "held-out accuracy {}",
        c.accuracy
    );
    assert!(!c.from_cache && fractions.last() == Some(&1.0));
    let cached = classifier::for_dataset_in(Some(&dir), set, &mut |_| {}).expect("cached");
    assert!(cached.from_cache);
    assert_eq!(cached.accuracy, c.accuracy);
    let reference = ClassReference::new(Arc::new(c), set);

    // Real images scored as if generated: every class, confident, close to the data.
    let real = distinct_sample(set, &mut Rng::seeded(77), 1000);
    let healthy = reports(set, &reference, &real);
    let last = healthy.last().expect("reports");
    eprintln!("real data: {:?}", last.values);
    let v = |r: &MetricsReport, name: &str| r.get(name).expect(name);
    assert_eq!(v(last, "classes_covered"), 10.0);
    assert!(v(last, "mean_confidence") > 0.9);
    assert!(v(last, "kl_classes_to_uniform") < 0.05);
    assert!(v(last, "precision") > 0.6 && v(last, "recall") > 0.6);
    assert!((0.85..1.15).contains(&v(last, "diversity_ratio")));
    assert!(v(last, "duplicate_pct") < 5.0);
    assert_eq!(assess(&healthy), None, "no alert on real data");

    // One digit over and over (with a little noise): collapsed.
    let one = &real[..set.image_len()];
    let mut rng = Rng::seeded(5);
    let collapsed: Vec<f32> = (0..1000)
        .flat_map(|_| {
            one.iter()
                .map(|p| p + 0.01 * rng.normal() as f32)
                .collect::<Vec<_>>()
        })
        .collect();
    let bad = reports(set, &reference, &collapsed);
    let last = bad.last().expect("reports");
    eprintln!("collapsed: {:?}", last.values);
    assert_eq!(v(last, "classes_covered"), 1.0);
    assert!((v(last, "kl_classes_to_uniform") - 10f64.ln()).abs() < 1e-9);
    assert!(v(last, "diversity_ratio") < 0.1);
    assert!(v(last, "duplicate_pct") > 99.0);
    assert!(
        v(last, "memorised_pct") > 99.0,
        "a copy of a training image"
    );
    assert!(v(last, "coverage") < 0.05);
    assert!(v(last, "fid_lite") > 10.0 * v(healthy.last().expect("r"), "fid_lite"));
    let alert = assess(&bad).expect("the alert fires");
    assert_eq!(alert.since, 100);
    assert!(
        alert.message.contains("only 1 of 10 classes"),
        "{}",
        alert.message
    );
}

#[test]
fn embedded_digits_classifier_and_metrics() {
    check_real_and_collapsed(&embedded_digits(3000), 0.95);
}

#[test]
fn mnist_classifier_and_metrics() {
    let Some((images, labels)) = mnist() else {
        return;
    };
    let set = load_idx(&images, Some(&labels)).expect("MNIST loads");
    check_real_and_collapsed(&set, 0.93);
}

#[test]
fn unlabelled_data_gets_no_classifier_but_diversity() {
    let mut set = embedded_digits(200);
    set.labels = None;
    let err = classifier::for_dataset_in(None, &set, &mut |_| {}).expect_err("no labels");
    assert_eq!(err, ClassifierError::NoLabels);
    let diversity = DiversityReference::new(&set);
    let real = distinct_sample(&set, &mut Rng::seeded(1), 150);
    let report = image_report(1, &diversity, None, &real, &[]);
    assert!(report.histogram.is_none());
    assert!(report.get("diversity_ratio").is_some_and(|d| d > 0.8));
}
