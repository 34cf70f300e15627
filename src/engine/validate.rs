//! Checks a [`TrainConfig`] before anything is built, naming the field at fault.

use super::config::{Activation, DataConfig, ModelFamily, Objective, OptimizerConfig, TrainConfig};

/// A configuration value that cannot run, with the dotted path of its field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ConfigError {
    /// Dotted path of the field, as written in a preset (`tricks.pack`).
    pub field: String,
    /// What is wrong and what would be accepted.
    pub message: String,
}

fn err(field: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.to_string(),
        message: message.into(),
    }
}

fn positive(field: &str, value: f32) -> Result<(), ConfigError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(err(
            field,
            format!("must be a positive number, got {value}"),
        ))
    }
}

fn in_range(field: &str, value: f32, lo: f32, hi: f32) -> Result<(), ConfigError> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(err(
            field,
            format!("must be within [{lo}, {hi}], got {value}"),
        ))
    }
}

/// `value` within `lo..=hi` (whole numbers: counts, sizes, steps).
pub(crate) fn count<T: PartialOrd + std::fmt::Display + Copy>(
    field: &str,
    value: T,
    lo: T,
    hi: T,
) -> Result<(), ConfigError> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(err(
            field,
            format!("must be within {lo}..={hi}, got {value}"),
        ))
    }
}

impl TrainConfig {
    /// Whether the data are 2D points (as opposed to images).
    pub fn is_points(&self) -> bool {
        self.data.is_points()
    }

    /// Checks every field; the first problem found is returned.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_data()?;
        self.validate_model()?;
        self.validate_objective()?;
        self.validate_loop()?;
        validate_optimizer("optimizer.g", &self.optimizer.g)?;
        validate_optimizer("optimizer.d", &self.optimizer.d)?;
        self.validate_tricks()
    }

    fn validate_data(&self) -> Result<(), ConfigError> {
        match &self.data {
            DataConfig::Ring { modes, radius, std } => {
                count("data.modes", *modes, 1, 1000)?;
                positive("data.radius", *radius)?;
                positive("data.std", *std)
            }
            DataConfig::Grid { side, spacing, std } => {
                count("data.side", *side, 1, 100)?;
                positive("data.spacing", *spacing)?;
                positive("data.std", *std)
            }
            DataConfig::Spiral { turns, noise } => {
                positive("data.turns", *turns)?;
                in_range("data.noise", *noise, 0.0, 10.0)
            }
            DataConfig::Moons { noise } | DataConfig::Line { noise } => {
                in_range("data.noise", *noise, 0.0, 10.0)
            }
            DataConfig::Clusters { count: n, std, .. } => {
                count("data.count", *n, 1, 1000)?;
                positive("data.std", *std)
            }
            DataConfig::Csv { .. } | DataConfig::Idx { .. } => Ok(()),
            DataConfig::Drawn { points } => {
                count("data.points", points.len(), 2, 1_000_000)?;
                match points
                    .iter()
                    .position(|p| p.iter().any(|v| !v.is_finite() || v.abs() > 1e4))
                {
                    Some(i) => Err(ConfigError {
                        field: "data.points".into(),
                        message: format!("point {i} is not a finite coordinate within ±10000"),
                    }),
                    None => Ok(()),
                }
            }
            DataConfig::Digits { count: n } => count("data.count", *n, 10, 1_000_000),
            DataConfig::ImageFolder { size, channels, .. } => {
                if ![28, 32, 64].contains(size) {
                    return Err(err(
                        "data.size",
                        format!("must be 28, 32 or 64, got {size}"),
                    ));
                }
                if ![1, 3].contains(channels) {
                    return Err(err(
                        "data.channels",
                        format!("must be 1 (grey) or 3 (RGB), got {channels}"),
                    ));
                }
                Ok(())
            }
            DataConfig::Cifar10 { files } => {
                if files.is_empty() {
                    Err(err("data.files", "name at least one CIFAR-10 batch file"))
                } else {
                    Ok(())
                }
            }
        }
    }

    fn validate_model(&self) -> Result<(), ConfigError> {
        let m = &self.model;
        count("model.latent_dim", m.latent_dim, 1, 1024)?;
        count("model.latent_components", m.latent_components, 1, 4096)?;
        in_range(
            "model.latent_component_std",
            m.latent_component_std,
            0.001,
            10.0,
        )?;
        count("model.depth", m.depth, 1, 16)?;
        count("model.width", m.width, 1, 8192)?;
        if let Some(w) = m.d_width {
            count("model.d_width", w, 1, 8192)?;
        }
        count("model.d_maxout_pieces", m.d_maxout_pieces, 1, 16)?;
        if m.family == ModelFamily::Dcgan {
            if m.d_width.is_some() {
                return Err(err(
                    "model.d_width",
                    "applies to the mlp family only (dcgan's D follows base_channels)",
                ));
            }
            if m.d_maxout_pieces > 1 {
                return Err(err(
                    "model.d_maxout_pieces",
                    "maxout applies to the mlp family only; set it to 1 for dcgan",
                ));
            }
        }
        count("model.base_channels", m.base_channels, 4, 1024)?;
        let leaky =
            m.g_activation == Activation::LeakyRelu || m.d_activation == Activation::LeakyRelu;
        if leaky {
            in_range("model.leaky_slope", m.leaky_slope, 0.0, 1.0)?;
        }
        if m.family == ModelFamily::Dcgan && self.is_points() {
            return Err(err(
                "model.family",
                "dcgan needs image data; use mlp for 2D points",
            ));
        }
        if m.conditional && self.is_points() {
            return Err(err(
                "model.conditional",
                "2D point sets carry no class labels; a cGAN needs labelled images",
            ));
        }
        Ok(())
    }

    fn validate_objective(&self) -> Result<(), ConfigError> {
        match self.objective {
            Objective::Wgan { clip } => positive("objective.clip", clip),
            Objective::WganGp { lambda } => {
                positive("objective.lambda", lambda)?;
                if self.model.d_batch_norm {
                    return Err(err(
                        "model.d_batch_norm",
                        "WGAN-GP penalises each sample's own gradient; batch norm in the critic \
                         mixes samples (the paper drops it). Set d_batch_norm = false",
                    ));
                }
                if self.tricks.minibatch_stddev {
                    return Err(err(
                        "tricks.minibatch_stddev",
                        "WGAN-GP needs per-sample critic gradients; the minibatch-stddev layer \
                         mixes samples. Turn one of them off",
                    ));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn validate_loop(&self) -> Result<(), ConfigError> {
        let t = &self.train;
        count("train.batch_size", t.batch_size, 1, 65_536)?;
        count("train.d_steps", t.d_steps, 1, 100)?;
        count("train.g_steps", t.g_steps, 1, 100)?;
        count("train.sample_every", t.sample_every, 1, 1_000_000)?;
        count("train.metrics_every", t.metrics_every, 1, 1_000_000)?;
        count("train.snapshot_samples", t.snapshot_samples, 1, 100_000)?;
        Ok(())
    }

    fn validate_tricks(&self) -> Result<(), ConfigError> {
        let t = &self.tricks;
        in_range("tricks.label_smoothing", t.label_smoothing, 0.0, 0.5)?;
        in_range("tricks.instance_noise", t.instance_noise, 0.0, 10.0)?;
        in_range("tricks.d_dropout", t.d_dropout, 0.0, 0.9)?;
        count("tricks.pack", t.pack, 1, 16)?;
        if !self.train.batch_size.is_multiple_of(t.pack) {
            return Err(err(
                "tricks.pack",
                format!(
                    "train.batch_size ({}) must be a multiple of pack ({})",
                    self.train.batch_size, t.pack
                ),
            ));
        }
        if t.minibatch_stddev && self.train.batch_size / t.pack < 2 {
            return Err(err(
                "tricks.minibatch_stddev",
                "needs at least two D inputs per batch",
            ));
        }
        if let Some(decay) = t.ema {
            in_range("tricks.ema", decay, 0.0, 0.99999)?;
        }
        if let Some(bound) = t.truncation {
            in_range("tricks.truncation", bound, 0.1, 10.0)?;
        }
        Ok(())
    }
}

fn validate_optimizer(field: &str, o: &OptimizerConfig) -> Result<(), ConfigError> {
    let lr = o.lr();
    if !(lr.is_finite() && lr > 0.0 && lr <= 10.0) {
        return Err(err(
            &format!("{field}.lr"),
            format!("must be in (0, 10], got {lr}"),
        ));
    }
    match *o {
        OptimizerConfig::Adam { beta1, beta2, .. } => {
            in_range(&format!("{field}.beta1"), beta1, 0.0, 0.9999)?;
            in_range(&format!("{field}.beta2"), beta2, 0.0, 0.99999)
        }
        OptimizerConfig::Sgd { momentum, .. } => {
            in_range(&format!("{field}.momentum"), momentum, 0.0, 0.999)
        }
        OptimizerConfig::Rmsprop { alpha, .. } => {
            in_range(&format!("{field}.alpha"), alpha, 0.0, 0.9999)
        }
    }
}
