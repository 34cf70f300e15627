//! The small classifier behind the image metrics: an MLP trained by ganvas on the dataset's own
//! labels (held-out accuracy reported), whose softmax gives the class histogram and confidence
//! of generated samples and whose last hidden layer gives the features for FID-lite and PRDC.
//! Trained once per dataset on the CPU and cached by a fingerprint of the data.

use std::path::PathBuf;
use std::time::Instant;

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device, Tensor, activation};

use crate::engine::data::ImageSet;
use crate::engine::nn::layers::{Dense, Init, Pass};
use crate::engine::rng::Rng;
use crate::engine::trainer::tensors::{matrix, one_hot, read};

/// Width of the feature layer (FID-lite and PRDC work in this space).
pub const FEATURES: usize = 64;
const HIDDEN: usize = 256;
const BATCH: usize = 128;
/// Bumped whenever the architecture or the training recipe changes (old caches are ignored).
const RECIPE: u32 = 3;
const MAGIC: &[u8; 8] = b"GANVASCL";

/// image → 256 ReLU → 64 ReLU (features) → class logits.
#[derive(Module, Debug)]
pub struct ClassifierNet {
    pub hidden: Dense,
    pub features: Dense,
    pub output: Dense,
}

impl ClassifierNet {
    fn new(rng: &mut Rng, input: usize, classes: usize, device: &Device) -> Self {
        Self {
            hidden: Dense::new(rng, Init::FanIn, input, HIDDEN, device),
            features: Dense::new(rng, Init::FanIn, HIDDEN, FEATURES, device),
            output: Dense::new(rng, Init::FanIn, FEATURES, classes, device),
        }
    }

    /// (features, logits).
    fn forward(&self, x: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let pass = Pass::eval(false);
        let h = activation::relu(self.hidden.forward(x, &pass));
        let f = activation::relu(self.features.forward(h, &pass));
        let logits = self.output.forward(f.clone(), &pass);
        (f, logits)
    }
}

/// A trained classifier for one dataset.
#[derive(Clone, Debug)]
pub struct Classifier {
    net: ClassifierNet,
    device: Device,
    pub image_len: usize,
    pub class_names: Vec<String>,
    /// Accuracy on the held-out tenth of the data.
    pub accuracy: f64,
    /// Held-out images it was measured on.
    pub held_out: usize,
    /// Mean confidence (largest class probability) on those real held-out images: the score
    /// a generator whose samples look like unseen real ones would get.
    pub held_out_confidence: f64,
    /// Seconds training took (0 when loaded from the cache).
    pub train_secs: f64,
    pub from_cache: bool,
}

/// The classifier's view of a batch: features and class probabilities.
#[derive(Clone, Debug)]
pub struct Classified {
    /// n × [`FEATURES`].
    pub features: Vec<f32>,
    /// n × classes.
    pub probabilities: Vec<f32>,
}

impl Classifier {
    pub fn classes(&self) -> usize {
        self.class_names.len()
    }

    /// Features and probabilities of images in [-1, 1] (n × image_len values).
    pub fn classify(&self, images: &[f32]) -> Classified {
        let n = images.len() / self.image_len.max(1);
        let mut out = Classified {
            features: Vec::with_capacity(n * FEATURES),
            probabilities: Vec::with_capacity(n * self.classes()),
        };
        for start in (0..n).step_by(1024) {
            let end = (start + 1024).min(n);
            let x = matrix(
                images[start * self.image_len..end * self.image_len].to_vec(),
                end - start,
                self.image_len,
                &self.device,
            );
            let (f, logits) = self.net.forward(x);
            out.features.extend(read(f));
            out.probabilities
                .extend(read(activation::softmax(logits, 1)));
        }
        out
    }
}

/// Why no classifier could be had for a dataset.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ClassifierError {
    #[error("the dataset has no labels, so no classifier can be trained (class metrics off)")]
    NoLabels,
    #[error("too little labelled data for a classifier: {0}")]
    TooSmall(String),
}

/// A 64-bit FNV-1a fingerprint of the images, labels and names (stable across builds).
pub fn fingerprint(set: &ImageSet) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(&RECIPE.to_le_bytes());
    for d in [set.channels, set.height, set.width] {
        eat(&(d as u64).to_le_bytes());
    }
    for name in &set.class_names {
        eat(name.as_bytes());
        eat(&[0]);
    }
    if let Some(labels) = &set.labels {
        for l in labels {
            eat(&l.to_le_bytes());
        }
    }
    eat(&set.pixels);
    h
}

/// Where cached classifiers live: `$GANVAS_CACHE_DIR`, else the XDG cache directory.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("GANVAS_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("ganvas"))
}

/// The cached classifier for `set` (in [`cache_dir`]), or a newly trained and cached one.
/// `progress` gets the fraction done while training.
pub fn for_dataset(
    set: &ImageSet,
    progress: &mut dyn FnMut(f32),
) -> Result<Classifier, ClassifierError> {
    for_dataset_in(cache_dir().as_deref(), set, progress)
}

/// [`for_dataset`] with an explicit cache directory (None: no cache).
pub fn for_dataset_in(
    dir: Option<&std::path::Path>,
    set: &ImageSet,
    progress: &mut dyn FnMut(f32),
) -> Result<Classifier, ClassifierError> {
    let device = Device::flex();
    let path = dir.map(|d| d.join(format!("classifier-{:016x}.bin", fingerprint(set))));
    if let Some(c) = path.as_ref().and_then(|p| load(p, set, &device)) {
        return Ok(c);
    }
    let classifier = train(set, progress)?;
    if let Some(p) = &path {
        // A cache that cannot be written only costs a retraining next time.
        let _ = save(&classifier, p);
    }
    Ok(classifier)
}

/// Trains a classifier on 90 % of `set` and measures it on the other 10 %.
pub fn train(set: &ImageSet, progress: &mut dyn FnMut(f32)) -> Result<Classifier, ClassifierError> {
    if set.labels.is_none() {
        return Err(ClassifierError::NoLabels);
    }
    let classes = set.class_names.len();
    if classes < 2 || set.len() < 50 {
        return Err(ClassifierError::TooSmall(format!(
            "{} images in {classes} classes (need ≥ 50 images, ≥ 2 classes)",
            set.len()
        )));
    }
    let started = Instant::now();
    let mut rng = Rng::seeded(0xC1A5_5EED);
    let order = rng.permutation(set.len());
    let held = (set.len() / 10).max(10);
    let (test, train_idx) = order.split_at(held);
    // About twenty epochs, at least 1,000 and at most 4,000 steps (seconds on a CPU).
    let steps = (20 * train_idx.len() / BATCH).clamp(1000, 4000);
    let shape = (set.image_len(), set.class_names.clone());
    let draw = |rng: &mut Rng, n: usize| {
        let idx: Vec<usize> = (0..n)
            .map(|_| train_idx[rng.below(train_idx.len())])
            .collect();
        let batch = set.gather(&idx);
        (batch.pixels, batch.labels)
    };
    let mut classifier = fit(shape, steps, &mut rng, draw, &mut |f| {
        progress(f);
        true
    })
    .expect("training that is never stopped finishes");
    classifier.held_out = test.len();
    let batch = set.gather(test);
    let probs = classifier.classify(&batch.pixels).probabilities;
    classifier.accuracy = accuracy_of(&probs, &batch.labels, classes);
    classifier.held_out_confidence = probs
        .chunks_exact(classes)
        .map(|p| p.iter().fold(0.0f32, |a, &b| a.max(b)) as f64)
        .sum::<f64>()
        / test.len() as f64;
    classifier.train_secs = started.elapsed().as_secs_f64();
    progress(1.0);
    Ok(classifier)
}

/// Trains the classifier's network from scratch for `steps` Adam steps (lr 10⁻³) on batches
/// of [`BATCH`] images in [-1, 1] with their labels from `draw`: the dataset classifier's
/// recipe, which the augmentation lab also trains its classifiers with. `progress` gets the
/// fraction done now and then and stops the training (None) by returning false.
pub fn fit(
    (image_len, class_names): (usize, Vec<String>),
    steps: usize,
    rng: &mut Rng,
    mut draw: impl FnMut(&mut Rng, usize) -> (Vec<f32>, Vec<u32>),
    progress: &mut dyn FnMut(f32) -> bool,
) -> Option<Classifier> {
    let device = Device::flex();
    let ad = device.clone().autodiff();
    let classes = class_names.len();
    let mut net = ClassifierNet::new(rng, image_len, classes, &ad);
    let mut opt = AdamConfig::new().init();
    for step in 0..steps {
        let (pixels, labels) = draw(rng, BATCH);
        let x = matrix(pixels, BATCH, image_len, &ad);
        let target = one_hot(&labels, classes, &ad);
        let (_, logits) = net.forward(x);
        let loss = activation::log_softmax(logits, 1)
            .mul(target)
            .sum()
            .div_scalar(-(BATCH as f32));
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = opt.step(1e-3, net, grads);
        if step % 20 == 0 && !progress(step as f32 / steps as f32) {
            return None;
        }
    }
    Some(Classifier {
        net: net.valid(),
        device,
        image_len,
        class_names,
        accuracy: 0.0,
        held_out: 0,
        held_out_confidence: 0.0,
        train_secs: 0.0,
        from_cache: false,
    })
}

impl Classifier {
    /// The fraction of `images` (n × image_len values in [-1, 1]) classified as `labels`.
    pub fn accuracy_on(&self, images: &[f32], labels: &[u32]) -> f64 {
        let probs = self.classify(images).probabilities;
        accuracy_of(&probs, labels, self.classes())
    }
}

/// The fraction of rows of `probs` (n × classes) whose largest value is at `labels`' class.
fn accuracy_of(probs: &[f32], labels: &[u32], classes: usize) -> f64 {
    let correct = probs
        .chunks_exact(classes)
        .zip(labels)
        .filter(|(p, l)| argmax(p) == **l as usize)
        .count();
    correct as f64 / labels.len().max(1) as f64
}

/// Index of the largest value.
pub fn argmax(values: &[f32]) -> usize {
    values
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i)
}

fn save(c: &Classifier, path: &std::path::Path) -> std::io::Result<()> {
    let record = c
        .net
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&c.accuracy.to_le_bytes());
    out.extend_from_slice(&(c.held_out as u64).to_le_bytes());
    out.extend_from_slice(&c.held_out_confidence.to_le_bytes());
    out.extend_from_slice(&record);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::engine::checkpoint::write_atomically(path, &out)
}

/// A cached classifier, or None when absent or unreadable (then it is retrained).
fn load(path: &std::path::Path, set: &ImageSet, device: &Device) -> Option<Classifier> {
    let bytes = std::fs::read(path).ok()?;
    if bytes.len() < 32 || &bytes[..8] != MAGIC {
        return None;
    }
    let accuracy = f64::from_le_bytes(bytes[8..16].try_into().ok()?);
    let held_out = u64::from_le_bytes(bytes[16..24].try_into().ok()?) as usize;
    let held_out_confidence = f64::from_le_bytes(bytes[24..32].try_into().ok()?);
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes[32..].to_vec())).ok()?;
    let mut rng = Rng::seeded(0);
    let net = ClassifierNet::new(&mut rng, set.image_len(), set.class_names.len(), device)
        .try_load_record(record)
        .ok()?;
    Some(Classifier {
        net,
        device: device.clone(),
        image_len: set.image_len(),
        class_names: set.class_names.clone(),
        accuracy,
        held_out,
        held_out_confidence,
        train_secs: 0.0,
        from_cache: true,
    })
}
