//! Switching a configuration to other data: the objective and tricks stay, and when the kind
//! of data changes (2D points ↔ images) the model, loop and optimizers take that kind's
//! defaults (an MLP for points, the default DCGAN for images), since one cannot train the other.

use crate::engine::config::{DataConfig, ModelConfig, OptimizerConfig, TrainConfig};

/// `config` training on `data` instead.
pub fn switch_data(config: &TrainConfig, data: DataConfig) -> TrainConfig {
    let mut out = config.clone();
    let kind_changed = config.data.is_points() != data.is_points();
    out.data = data;
    if !kind_changed {
        return out;
    }
    if out.data.is_points() {
        // The ring8 lesson's setup (PacGAN's toy experiments).
        out.model = ModelConfig::default();
        out.train.batch_size = 256;
        out.train.sample_every = 50;
        out.train.metrics_every = 250;
        out.train.snapshot_samples = 512;
        for o in [&mut out.optimizer.g, &mut out.optimizer.d] {
            *o = OptimizerConfig::Adam {
                lr: 1e-3,
                beta1: 0.5,
                beta2: 0.999,
            };
        }
        out.tricks.minibatch_stddev = false;
    } else {
        let images = crate::engine::preset::default_preset().config();
        out.model = images.model;
        out.train = images.train;
        out.optimizer = images.optimizer;
    }
    out.train.seed = config.train.seed;
    if !out.train.batch_size.is_multiple_of(out.tricks.pack) {
        out.tricks.pack = 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::config::{ModelFamily, Objective};

    #[test]
    fn switching_kinds_of_data_picks_a_model_that_can_train_it() {
        let mut digits = crate::engine::preset::default_preset().config();
        digits.objective = Objective::Hinge;
        let ring = switch_data(
            &digits,
            DataConfig::Ring {
                modes: 8,
                radius: 1.0,
                std: 0.01,
            },
        );
        assert_eq!(ring.model.family, ModelFamily::Mlp);
        assert_eq!(ring.objective, Objective::Hinge, "the variant stays");
        ring.validate().expect("valid");
        let back = switch_data(&ring, DataConfig::Digits { count: 1000 });
        assert_eq!(back.model.family, ModelFamily::Dcgan);
        back.validate().expect("valid");
        let moons = switch_data(&ring, DataConfig::Moons { noise: 0.05 });
        assert_eq!(moons.model, ring.model, "same kind: the model stays");
    }
}
