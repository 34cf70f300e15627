//! A set of equally sized images kept as bytes (a quarter of the memory of floats) and scaled to
//! [-1, 1] per batch.

use crate::engine::rng::Rng;

/// Images of one size, optionally labelled.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageSet {
    /// Channel-major pixels, image after image: len × channels × height × width bytes.
    pub pixels: Vec<u8>,
    /// One class index per image, if the source had labels.
    pub labels: Option<Vec<u16>>,
    /// Class names, indexed by label (digits "0".."9", folder names, CIFAR-10 names).
    pub class_names: Vec<String>,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
}

/// A batch of images scaled to [-1, 1] with their labels.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageBatch {
    /// n × channels × height × width values.
    pub pixels: Vec<f32>,
    /// Labels (empty when the set has none).
    pub labels: Vec<u32>,
}

impl ImageSet {
    /// Values per image.
    pub fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.pixels.len() / self.image_len().max(1)
    }

    /// Whether the set holds no image.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of classes (0 when unlabelled).
    pub fn num_classes(&self) -> usize {
        if self.labels.is_some() {
            self.class_names.len()
        } else {
            0
        }
    }

    /// The bytes of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        let n = self.image_len();
        &self.pixels[i * n..(i + 1) * n]
    }

    /// `n` images drawn uniformly with replacement.
    pub fn sample(&self, rng: &mut Rng, n: usize) -> ImageBatch {
        let indices: Vec<usize> = (0..n).map(|_| rng.below(self.len())).collect();
        self.gather(&indices)
    }

    /// The images at `indices`, scaled to [-1, 1].
    pub fn gather(&self, indices: &[usize]) -> ImageBatch {
        let mut pixels = Vec::with_capacity(indices.len() * self.image_len());
        for &i in indices {
            pixels.extend(self.image(i).iter().map(|&b| b as f32 / 127.5 - 1.0));
        }
        let labels = match &self.labels {
            Some(l) => indices.iter().map(|&i| l[i] as u32).collect(),
            None => Vec::new(),
        };
        ImageBatch { pixels, labels }
    }
}

/// Swaps rows and columns of every image (EMNIST's files hold them transposed).
pub fn transpose_all(set: &mut ImageSet) {
    let (h, w, c) = (set.height, set.width, set.channels);
    let n = set.image_len();
    let mut out = vec![0u8; set.pixels.len()];
    for (src, dst) in set.pixels.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
        for ch in 0..c {
            for y in 0..h {
                for x in 0..w {
                    dst[ch * h * w + x * h + y] = src[ch * h * w + y * w + x];
                }
            }
        }
    }
    set.pixels = out;
    (set.height, set.width) = (w, h);
}

/// Bytes in [0, 255] from values in [-1, 1] (clamped).
pub fn to_bytes(values: &[f32]) -> Vec<u8> {
    values
        .iter()
        .map(|&v| ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8)
        .collect()
}
