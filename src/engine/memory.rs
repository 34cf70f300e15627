//! How much memory a run will need, from its configuration alone, checked before anything is
//! allocated: every field of a preset can be within its own limits while the whole asks for
//! tens of GB (an 8,192-wide, 16-deep MLP; a DCGAN at batch 65,536), and an allocation that
//! fails aborts the process instead of returning an error.

use super::config::{ModelFamily, TrainConfig};
use super::nn::SampleShape;

/// Bytes of one value.
const F32: u64 = 4;
/// Copies of every parameter a run keeps: the weights, their gradients, Adam's two moments,
/// the last good state's weights and moments (for divergence), and room for the EMA.
const PARAM_COPIES: u64 = 8;
/// Activations kept per layer output and sample while a step runs: D's passes on real and
/// fake (and interpolates for WGAN-GP), G's pass, their gradients, and the batch-norm and
/// activation buffers between.
const ACTIVATION_COPIES: u64 = 10;

/// What a run is expected to need at its peak, in parts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Parameters of G and D together.
    pub parameters: u64,
    pub parameter_bytes: u64,
    pub activation_bytes: u64,
    /// The fixed-noise snapshot and the samples an evaluation generates.
    pub sample_bytes: u64,
}

impl Estimate {
    pub fn total(&self) -> u64 {
        self.parameter_bytes
            .saturating_add(self.activation_bytes)
            .saturating_add(self.sample_bytes)
    }
}

/// Per network: (parameters, values in the outputs of its layers for one sample, values in
/// the column buffers of its convolutions for one sample).
type Shape = (u64, u64, u64);

fn mlp(config: &TrainConfig, shape: SampleShape, classes: u64) -> (Shape, Shape) {
    let m = &config.model;
    let (depth, width) = (m.depth as u64, m.width as u64);
    let d_width = m.d_width.unwrap_or(m.width) as u64;
    let pieces = m.d_maxout_pieces.max(1) as u64;
    let (len, pack) = (shape.len as u64, config.tricks.pack as u64);
    let latent = m.latent_dim as u64 + classes;
    // A dense layer: weights, biases and spectral norm's power-iteration vector.
    let dense = |a: u64, b: u64| a * b + 2 * b;
    let g_params = dense(latent, width) + (depth - 1) * dense(width, width) + dense(width, len);
    let d_in = pack * (len + classes);
    let linear = d_width * pieces;
    let extra = u64::from(config.tricks.minibatch_stddev);
    let d_params =
        dense(d_in, linear) + (depth - 1) * dense(d_width, linear) + dense(d_width + extra, 1);
    (
        (g_params, 2 * depth * width + len, 0),
        (d_params, d_in + 2 * depth * linear, 0),
    )
}

fn dcgan(config: &TrainConfig, shape: SampleShape, classes: u64) -> (Shape, Shape) {
    let m = &config.model;
    let side_px = shape.side as u64;
    let (levels, mut side) = match shape.side {
        28 => (2u64, 7u64),
        32 => (3, 4),
        _ => (4, 4),
    };
    let base = m.base_channels as u64;
    let channels = shape.channels.max(1) as u64;
    let start = base << (levels - 1);
    // G: projection to start×side², then transposed 4×4 convolutions doubling the side.
    let mut g = (
        (m.latent_dim as u64 + classes + 1) * start * side * side,
        start * side * side,
        0,
    );
    let mut c = start;
    for level in 0..levels {
        let out = if level + 1 == levels { channels } else { c / 2 };
        side *= 2;
        g.0 += 16 * c * out + out;
        g.1 += 2 * out * side * side;
        g.2 = g.2.max(16 * c * side * side);
        c = out;
    }
    // D: strided 4×4 convolutions halving the side, then one linear unit.
    let pack = config.tricks.pack as u64;
    let mut d = (0, pack * (channels + classes) * side_px * side_px, 0);
    let (mut c_in, mut c, mut side) = (pack * (channels + classes), base, side_px);
    for _ in 0..levels {
        side = side.div_ceil(2);
        d.0 += 16 * c_in * c + c;
        d.1 += 2 * c * side * side;
        d.2 = d.2.max(16 * c_in * side * side);
        c_in = c;
        c *= 2;
    }
    d.0 += (c_in + 1) * side * side + 1;
    (g, d)
}

/// The expected peak memory of training `config` on data of `shape`.
pub fn estimate(config: &TrainConfig, shape: SampleShape) -> Estimate {
    let classes = if config.model.conditional {
        shape.classes as u64
    } else {
        0
    };
    let (g, d) = match config.model.family {
        ModelFamily::Mlp => mlp(config, shape, classes),
        ModelFamily::Dcgan => dcgan(config, shape, classes),
    };
    let batch = config.train.batch_size as u64;
    let parameters = g.0.saturating_add(d.0);
    let per_sample = g.1.saturating_add(d.1).saturating_mul(ACTIVATION_COPIES);
    let columns = g.2.max(d.2).saturating_mul(2);
    let activation_bytes = batch
        .saturating_mul(per_sample.saturating_add(columns))
        .saturating_mul(F32);
    // Snapshots and metric samples are generated in chunks of 512 but kept whole.
    let samples = (config.train.snapshot_samples as u64).max(2500);
    let sample_bytes = samples
        .saturating_mul(shape.len as u64)
        .saturating_mul(F32 * 3);
    Estimate {
        parameters,
        parameter_bytes: parameters.saturating_mul(F32 * PARAM_COPIES),
        activation_bytes,
        sample_bytes,
    }
}

/// Memory the system can give a new allocation now (Linux's MemAvailable), if known.
pub fn available_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Bytes as a user reads them.
pub fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
}

/// Refuses a run that would need more than 90 % of the memory available (a run that does not
/// fit would abort the process when an allocation fails), naming the figures and what to
/// lower.
pub fn check(config: &TrainConfig, shape: SampleShape) -> Result<(), String> {
    let Some(available) = available_bytes() else {
        return Ok(());
    };
    let e = estimate(config, shape);
    if e.total() <= available / 10 * 9 {
        return Ok(());
    }
    Err(format!(
        "this setup needs about {} (G and D have {} parameters: {}; activations at batch {}: {}; samples: {}), \
         more than the {} this machine has free: lower model.width, model.depth, model.base_channels, \
         train.batch_size or train.snapshot_samples",
        gib(e.total()),
        e.parameters,
        gib(e.parameter_bytes),
        config.train.batch_size,
        gib(e.activation_bytes),
        gib(e.sample_bytes),
        gib(available)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits_shape() -> SampleShape {
        SampleShape {
            len: 784,
            channels: 1,
            side: 28,
            classes: 10,
        }
    }

    #[test]
    fn the_default_dcgan_is_small_and_an_enormous_one_is_not() {
        let c = crate::engine::preset::default_preset().config();
        let e = estimate(&c, digits_shape());
        assert!(e.total() < 1 << 30, "{e:?}");
        assert!(e.parameters > 100_000 && e.parameters < 10_000_000, "{e:?}");
        let mut huge = c.clone();
        huge.train.batch_size = 65_536;
        huge.model.base_channels = 1024;
        assert!(estimate(&huge, digits_shape()).total() > 100 << 30);
        let mut wide = c;
        wide.model.family = ModelFamily::Mlp;
        wide.model.width = 8192;
        wide.model.depth = 16;
        let e = estimate(&wide, digits_shape());
        assert!(e.parameters > 1_000_000_000, "{e:?}");
    }

    #[test]
    fn the_mlp_count_matches_the_built_networks() {
        use crate::engine::trainer::session::Session;
        let text = include_str!("../../presets/ring8-vanilla.toml");
        let p = crate::engine::preset::Preset::parse(text, std::path::Path::new("r.toml"))
            .expect("preset");
        let backend = crate::engine::backend::select(crate::engine::backend::BackendChoice::Cpu)
            .expect("cpu");
        let s = Session::new(p.config(), backend).expect("builds");
        let info = s.info();
        let e = estimate(&s.config, s.shape);
        assert_eq!(e.parameters, (info.g_params + info.d_params) as u64);
    }
}
