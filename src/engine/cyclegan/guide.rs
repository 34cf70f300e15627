//! Semantic consistency, a departure from plain CycleGAN taken from CyCADA (Hoffman et al.
//! 2018): a translation should keep its input's class. Plain CycleGAN only asks that the
//! translation can be undone, and between domains whose shapes differ (MNIST and the embedded
//! digits) it turns a 4 into a 9 and hides how to undo it in faint marks.
//!
//! Each domain gets a "guide": a small convolutional classifier trained on that domain's
//! labelled training images, then frozen. The generators' loss gains
//! `semantic · (CE(guide_B(G_AB(a)), label(a)) + CE(guide_A(G_BA(b)), label(b)))`. The guides
//! are not the judges that measure label preservation (those are MLPs, `metrics::classifier`,
//! with their own recipe and seed): a generator that only fooled its guide would not score.
//! Both learn from the same training images, though, and never see the held-out ones.

use std::path::Path;

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device, Tensor, TensorData, activation};

use super::nets::Conv;
use crate::engine::data::ImageSet;
use crate::engine::data::domains::DomainPair;
use crate::engine::loss::cross_entropy;
use crate::engine::metrics::classifier::{argmax, cache_dir, fingerprint};
use crate::engine::nn::layers::{Dense, Init, Pass};
use crate::engine::rng::Rng;
use crate::engine::trainer::tensors::read;

const BATCH: usize = 64;
/// Bumped whenever the architecture or the training recipe changes (old caches are ignored).
const RECIPE: u32 = 1;
const MAGIC: &[u8; 8] = b"GANVASGD";

/// image → 5×5 stride-2 conv (16) → ReLU → 5×5 stride-2 conv (32) → ReLU → class logits.
#[derive(Module, Debug)]
pub struct GuideNet {
    pub first: Conv,
    pub second: Conv,
    pub output: Dense,
}

/// Side of the second convolution's output for images of side `side`.
fn quarter(side: usize) -> usize {
    side.div_ceil(2).div_ceil(2)
}

impl GuideNet {
    fn new(rng: &mut Rng, set: &ImageSet, device: &Device) -> Self {
        let q = quarter(set.height);
        // He-scaled weights: the classifier trains from scratch in a few hundred steps.
        let he = |fan_in: usize| (2.0 / fan_in as f32).sqrt();
        let c = set.channels;
        Self {
            first: Conv::scaled(rng, [c, 16, 5], 2, 2, he(c * 25), device),
            second: Conv::scaled(rng, [16, 32, 5], 2, 2, he(16 * 25), device),
            output: Dense::new(rng, Init::FanIn, 32 * q * q, set.class_names.len(), device),
        }
    }

    /// Class logits of images [n, c, s, s].
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let h = activation::relu(self.first.forward(x));
        let h = activation::relu(self.second.forward(h));
        let [n, c, a, b] = h.dims();
        self.output
            .forward(h.reshape([n, c * a * b]), &Pass::eval(false))
    }
}

/// Both domains' guides, frozen, on the run's autodiff device: [A's, B's].
pub struct Guides {
    pub nets: [GuideNet; 2],
    /// Accuracy of each on the held-out tenth of its training images.
    pub accuracy: [f64; 2],
}

/// Why the semantic term cannot be used on a pair of domains.
pub fn check_labels(pair: &DomainPair) -> Result<(), String> {
    for (name, set) in pair.names.iter().zip([&pair.a, &pair.b]) {
        if set.labels.is_none() || set.class_names.len() < 2 {
            return Err(format!(
                "semantic consistency keeps each translation's class, so both domains need labels: {name} has none; set cyclegan.semantic = 0"
            ));
        }
    }
    if pair.a.class_names != pair.b.class_names {
        return Err(format!(
            "semantic consistency needs the same classes in both domains: {} has {:?}, {} has {:?}; set cyclegan.semantic = 0",
            pair.names[0], pair.a.class_names, pair.names[1], pair.b.class_names
        ));
    }
    Ok(())
}

impl Guides {
    /// The guides of `pair`'s domains: from the classifier cache, else trained (and cached).
    pub fn for_domains(pair: &DomainPair, device: &Device) -> Result<Self, String> {
        check_labels(pair)?;
        let dir = cache_dir();
        let [a, b] = [&pair.a, &pair.b].map(|set| for_set(dir.as_deref(), set, device));
        Ok(Self {
            accuracy: [a.1, b.1],
            nets: [a.0.no_grad(), b.0.no_grad()],
        })
    }
}

fn cache_path(dir: &Path, set: &ImageSet) -> std::path::PathBuf {
    dir.join(format!("guide-{RECIPE}-{:016x}.bin", fingerprint(set)))
}

/// One domain's guide and its held-out accuracy.
fn for_set(dir: Option<&Path>, set: &ImageSet, device: &Device) -> (GuideNet, f64) {
    let path = dir.map(|d| cache_path(d, set));
    if let Some(found) = path.as_deref().and_then(|p| load(p, set, device)) {
        return found;
    }
    let (net, accuracy) = train(set, device);
    if let Some(p) = &path {
        // A cache that cannot be written only costs a retraining next time.
        let _ = save(&net, accuracy, p);
    }
    (net, accuracy)
}

/// Trains a guide on 90 % of `set` (labelled) and measures it on the other 10 %.
pub fn train(set: &ImageSet, device: &Device) -> (GuideNet, f64) {
    let mut rng = Rng::seeded(0x6D1D_E5E7);
    let order = rng.permutation(set.len());
    let held = (set.len() / 10).max(1).min(set.len() - 1);
    let (test, train_idx) = order.split_at(held);
    let shape = |n: usize| [n, set.channels, set.height, set.width];
    let mut net = GuideNet::new(&mut rng, set, device);
    let mut opt = AdamConfig::new().init();
    // About four epochs, 300 to 1,200 steps (seconds on a CPU).
    let steps = (4 * train_idx.len() / BATCH).clamp(300, 1200);
    for _ in 0..steps {
        let idx: Vec<usize> = (0..BATCH)
            .map(|_| train_idx[rng.below(train_idx.len())])
            .collect();
        let batch = set.gather(&idx);
        let x = Tensor::from_data(TensorData::new(batch.pixels, shape(BATCH)), device);
        let loss = cross_entropy(net.forward(x), &batch.labels);
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = opt.step(1e-3, net, grads);
    }
    let mut correct = 0;
    for chunk in test.chunks(256) {
        let batch = set.gather(chunk);
        let x = Tensor::from_data(TensorData::new(batch.pixels, shape(chunk.len())), device);
        let logits = read(net.clone().no_grad().forward(x).detach());
        let classes = set.class_names.len();
        correct += logits
            .chunks_exact(classes)
            .zip(&batch.labels)
            .filter(|(l, y)| argmax(l) == **y as usize)
            .count();
    }
    (net, correct as f64 / test.len() as f64)
}

fn save(net: &GuideNet, accuracy: f64, path: &Path) -> std::io::Result<()> {
    let record = net
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&accuracy.to_le_bytes());
    out.extend_from_slice(&record);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::engine::checkpoint::write_atomically(path, &out)
}

/// A cached guide, or None when absent or unreadable (then it is retrained).
fn load(path: &Path, set: &ImageSet, device: &Device) -> Option<(GuideNet, f64)> {
    let bytes = std::fs::read(path).ok()?;
    if bytes.len() < 16 || &bytes[..8] != MAGIC {
        return None;
    }
    let accuracy = f64::from_le_bytes(bytes[8..16].try_into().ok()?);
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes[16..].to_vec())).ok()?;
    let net = GuideNet::new(&mut Rng::seeded(0), set, device)
        .try_load_record(record)
        .ok()?;
    Some((net, accuracy))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::data::digits::embedded_digits;

    #[test]
    fn a_guide_learns_the_embedded_digits_and_comes_back_from_the_cache() {
        let set = embedded_digits(1200);
        let d = Device::flex().autodiff();
        let dir = std::env::temp_dir().join(format!("ganvas-guide-{}", std::process::id()));
        let (net, accuracy) = for_set(Some(&dir), &set, &d);
        assert!(accuracy > 0.9, "held-out accuracy {accuracy}");
        let (again, cached) = load(&cache_path(&dir, &set), &set, &d).expect("cached");
        assert_eq!(cached, accuracy);
        let x = Tensor::from_data(
            TensorData::new(set.gather(&[0, 1, 2]).pixels, [3, 1, 28, 28]),
            &d,
        );
        let (l1, l2) = (read(net.forward(x.clone())), read(again.forward(x)));
        assert_eq!(l1, l2, "the cached guide is the trained one");
        let _ = std::fs::remove_dir_all(dir);
    }
}
