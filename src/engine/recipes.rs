//! Each objective's recommended settings: what its button in the window brings, so that the
//! button trains the way the shipped preset for that objective does (a WGAN-GP button that
//! keeps the vanilla GAN's one critic step and λ 10 loses every mode of the ring, where the
//! preset covers all eight). The settings depend on the kind of data: the 2D toy sets train
//! with larger steps than images.

use super::config::{Objective, OptimizerConfig, TrainConfig};

/// The objectives, by the names the window and presets use.
pub const OBJECTIVE_NAMES: [&str; 6] = [
    "minimax",
    "non-saturating",
    "least-squares",
    "wgan",
    "wgan-gp",
    "hinge",
];

fn adam(lr: f64, beta1: f32, beta2: f32) -> OptimizerConfig {
    OptimizerConfig::Adam { lr, beta1, beta2 }
}

/// What a recipe sets.
struct Recipe {
    objective: Objective,
    optimizer: OptimizerConfig,
    d_steps: usize,
    ema: Option<f32>,
    spectral_norm: bool,
    /// Whether D must go without batch norm (the gradient penalty is per sample; the hinge
    /// recipe pairs with spectral normalisation instead).
    no_d_batch_norm: bool,
    /// Where the settings come from, for the tooltip.
    source: &'static str,
}

fn recipe(name: &str, points: bool) -> Option<Recipe> {
    let base = |objective, source| Recipe {
        objective,
        optimizer: if points {
            adam(1e-3, 0.5, 0.999)
        } else {
            adam(2e-4, 0.5, 0.999)
        },
        d_steps: 1,
        ema: None,
        spectral_norm: false,
        no_d_batch_norm: false,
        source,
    };
    Some(match name {
        "minimax" => base(
            Objective::Minimax,
            "Goodfellow et al. 2014 with the DCGAN optimizer",
        ),
        "non-saturating" => base(
            Objective::NonSaturating,
            if points {
                "the ring8-vanilla preset"
            } else {
                "the digits-dcgan preset (DCGAN paper)"
            },
        ),
        "least-squares" => base(
            Objective::LeastSquares,
            "the digits-lsgan preset (Mao et al.)",
        ),
        "wgan" => Recipe {
            objective: Objective::Wgan { clip: 0.01 },
            optimizer: OptimizerConfig::Rmsprop {
                lr: if points { 1e-4 } else { 5e-5 },
                alpha: 0.99,
            },
            d_steps: 5,
            ..base(
                Objective::NonSaturating,
                if points {
                    "Arjovsky et al.: RMSprop, 5 critic steps, clip 0.01. On the 2D sets the \
                     clipped critic is too simple to tell the modes apart and G's points \
                     drift to their mean: the weakness WGAN-GP was made to fix"
                } else {
                    "Arjovsky et al.: RMSprop lr 5e-5, 5 critic steps, clip 0.01"
                },
            )
        },
        "wgan-gp" if points => Recipe {
            objective: Objective::WganGp { lambda: 0.1 },
            optimizer: adam(1e-3, 0.5, 0.9),
            d_steps: 5,
            ema: Some(0.99),
            no_d_batch_norm: true,
            ..base(Objective::NonSaturating, "the ring8-wgan-gp preset")
        },
        "wgan-gp" => Recipe {
            objective: Objective::WganGp { lambda: 10.0 },
            optimizer: adam(1e-4, 0.5, 0.9),
            d_steps: 5,
            no_d_batch_norm: true,
            ..base(
                Objective::NonSaturating,
                "the mnist-wgan-gp preset (Gulrajani et al.)",
            )
        },
        "hinge" => Recipe {
            objective: Objective::Hinge,
            optimizer: if points {
                adam(1e-3, 0.0, 0.9)
            } else {
                adam(2e-4, 0.0, 0.9)
            },
            spectral_norm: true,
            no_d_batch_norm: true,
            ..base(
                Objective::NonSaturating,
                "the digits-hinge-sn preset (SAGAN: spectral norm, Adam β 0, 0.9)",
            )
        },
        _ => return None,
    })
}

/// `config` switched to the objective `name` with its recommended settings, and a line per
/// setting that changed ("D steps per round 1 -> 5"), or None for an unknown name.
pub fn apply_recipe(config: &TrainConfig, name: &str) -> Option<(TrainConfig, Vec<String>)> {
    let r = recipe(name, config.data.is_points())?;
    let mut out = config.clone();
    out.objective = r.objective;
    out.optimizer.g = r.optimizer;
    out.optimizer.d = r.optimizer;
    out.train.d_steps = r.d_steps;
    out.train.g_steps = 1;
    out.tricks.ema = r.ema;
    out.tricks.spectral_norm = r.spectral_norm;
    if r.no_d_batch_norm {
        out.model.d_batch_norm = false;
    }
    let mut changes = describe_changes(config, &out);
    changes.push(format!("(from {})", r.source));
    Some((out, changes))
}

/// What a recipe would change, without applying it (the button's tooltip).
pub fn preview_recipe(config: &TrainConfig, name: &str) -> Vec<String> {
    apply_recipe(config, name).map_or_else(Vec::new, |(_, changes)| changes)
}

fn optimizer_text(o: &OptimizerConfig) -> String {
    match *o {
        OptimizerConfig::Adam { lr, beta1, beta2 } => {
            format!("Adam lr {lr:e}, β {beta1}, {beta2}")
        }
        OptimizerConfig::Sgd { lr, momentum } => format!("SGD lr {lr:e}, momentum {momentum}"),
        OptimizerConfig::Rmsprop { lr, alpha } => format!("RMSprop lr {lr:e}, α {alpha}"),
    }
}

fn objective_text(o: &Objective) -> String {
    match *o {
        Objective::Wgan { clip } => format!("wgan (clip {clip})"),
        Objective::WganGp { lambda } => format!("wgan-gp (λ {lambda})"),
        other => other.name().to_string(),
    }
}

/// One line per setting a recipe touches that differs between `before` and `after`.
fn describe_changes(before: &TrainConfig, after: &TrainConfig) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = |what: &str, a: String, b: String| {
        if a != b {
            out.push(format!("{what}: {a} -> {b}"));
        }
    };
    line(
        "objective",
        objective_text(&before.objective),
        objective_text(&after.objective),
    );
    line(
        "G optimizer",
        optimizer_text(&before.optimizer.g),
        optimizer_text(&after.optimizer.g),
    );
    line(
        "D optimizer",
        optimizer_text(&before.optimizer.d),
        optimizer_text(&after.optimizer.d),
    );
    line(
        "D steps per round",
        before.train.d_steps.to_string(),
        after.train.d_steps.to_string(),
    );
    line(
        "G steps per round",
        before.train.g_steps.to_string(),
        after.train.g_steps.to_string(),
    );
    let ema = |e: Option<f32>| e.map_or_else(|| "off".to_string(), |d| d.to_string());
    line("EMA of G", ema(before.tricks.ema), ema(after.tricks.ema));
    let on = |b: bool| if b { "on" } else { "off" }.to_string();
    line(
        "spectral norm in D",
        on(before.tricks.spectral_norm),
        on(after.tricks.spectral_norm),
    );
    line(
        "batch norm in D",
        on(before.model.d_batch_norm),
        on(after.model.d_batch_norm),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::config::DataConfig;

    fn ring() -> TrainConfig {
        let mut c = crate::engine::preset::default_preset().config();
        c = crate::engine::adapt::switch_data(
            &c,
            DataConfig::Ring {
                modes: 8,
                radius: 1.0,
                std: 0.01,
            },
        );
        c
    }

    #[test]
    fn every_objective_has_a_valid_recipe_for_points_and_images() {
        let images = crate::engine::preset::default_preset().config();
        for base in [ring(), images] {
            for name in OBJECTIVE_NAMES {
                let (c, changes) = apply_recipe(&base, name).expect("known objective");
                assert_eq!(c.objective.name(), name);
                c.validate()
                    .unwrap_or_else(|e| panic!("{name} on {:?}: {e}", base.data));
                assert!(changes.last().is_some_and(|l| l.starts_with("(from ")));
            }
        }
        assert!(apply_recipe(&ring(), "wgan-gpp").is_none());
    }

    #[test]
    fn the_changes_are_named_with_their_values() {
        let changes = preview_recipe(&ring(), "wgan-gp");
        let text = changes.join("\n");
        assert!(
            text.contains("objective: non-saturating -> wgan-gp (λ 0.1)"),
            "{text}"
        );
        assert!(text.contains("D steps per round: 1 -> 5"), "{text}");
        assert!(text.contains("EMA of G: off -> 0.99"), "{text}");
        assert!(text.contains("β 0.5, 0.9"), "{text}");
        let same = preview_recipe(&ring(), "non-saturating");
        assert_eq!(same.len(), 1, "only the source line: {same:?}");
    }
}
