//! Does a GAN help a classifier? The augmentation lab (issue 18): a labelled dataset split into
//! a training pool and a held-out half, N images per class drawn from the pool, a conditional
//! generator trained on those only, and the same small classifier trained on real, synthetic,
//! mixed and classically augmented data, each judged on the held-out real images (with
//! GAN-train / GAN-test, Shmelkov et al. 2018; Classification Accuracy Score, Ravuri &
//! Vinyals 2019).

pub mod chart;
pub mod classic;
pub mod experiment;
pub mod gan;
pub mod lab;
pub mod plan;
pub mod results;
pub mod split;
pub mod worker;
