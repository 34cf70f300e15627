//! The StyleGAN window's other panels: the samples on fixed latents with their history, the
//! quality metrics over rounds, and the setup (presets, what the run is).

use eframe::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints};

use crate::engine::stylegan::run::StyleConfig;
use crate::engine::trainer::protocol::{ClassifierStatus, RunSetup};
use crate::gui::action::Action;
use crate::gui::family_frame::{setup_head_ui, setup_rows_ui};
use crate::gui::panels::history_ui;
use crate::gui::preset_list::PresetList;
use crate::gui::view::RunView;

/// The EMA generator's samples at the shown step.
pub fn samples_ui(
    ui: &mut egui::Ui,
    width: f32,
    view: &RunView,
    texture: Option<&egui::TextureHandle>,
    actions: &mut Vec<Action>,
) {
    let Some((step, _)) = view.shown() else {
        ui.label("Building the run…");
        return;
    };
    history_ui(ui, view, actions);
    ui.heading(format!("Samples at step {step} (EMA generator, fixed z)"));
    if let Some(tex) = texture {
        let [w, h] = tex.size().map(|v| v as f32);
        let zoom = ((width - 20.0) / w).clamp(1.0, 3.0);
        ui.add(egui::Image::new(tex).fit_to_exact_size(egui::vec2(w * zoom, h * zoom)))
            .on_hover_text("The same 36 latent vectors every time (ψ = 1, noise on), refreshed every sample_every rounds: scrub the history to watch them form");
    }
}

/// Metrics named in the table, with how the window names and explains them.
const METRICS: [(&str, &str, &str); 8] = [
    (
        "fid_lite",
        "FID-lite",
        "Fréchet distance in the dataset classifier's features (lower: closer to the data)",
    ),
    (
        "classes_covered",
        "classes covered",
        "Classes with at least 2 % of the samples (mode collapse shows here first)",
    ),
    (
        "mean_confidence",
        "mean confidence",
        "The classifier's mean top probability on the samples (higher: clearer digits)",
    ),
    (
        "precision",
        "precision",
        "Share of samples near real images (PRDC)",
    ),
    (
        "recall",
        "recall",
        "Share of real images near samples (PRDC): variety",
    ),
    (
        "coarse_mix_follows_coarse",
        "coarse mix: coarse class",
        "Of the pairs whose A and B are different digits: how often a mix with B's coarse styles (4-8 px) is classified as B (the coarse layers decide the digit)",
    ),
    (
        "coarse_mix_follows_fine",
        "coarse mix: fine class",
        "Of those pairs: how often that mix is classified as A (the source of the other styles)",
    ),
    (
        "path_length",
        "path length",
        "Perceptual path length in w with the classifier's features (lower: smoother latent space)",
    ),
];

/// The latest evaluation and the metrics over rounds.
pub fn metrics_ui(ui: &mut egui::Ui, view: &RunView) {
    match &view.classifier {
        Some(ClassifierStatus::Training { fraction }) => {
            ui.label(format!(
                "Training the dataset's classifier (class metrics, mixing check, path length): {:.0} %",
                100.0 * fraction
            ));
        }
        Some(ClassifierStatus::Unavailable(why)) => {
            ui.label(format!("FID-lite and PRDC only: {why}"));
        }
        _ => {}
    }
    let Some(latest) = view.reports.last() else {
        ui.label("No evaluation yet: every metrics_every rounds, on 1,000 EMA samples.");
        return;
    };
    ui.label(format!("Evaluation at step {}:", latest.step));
    egui::Grid::new("style_metrics")
        .striped(true)
        .show(ui, |ui| {
            for (key, label, hint) in METRICS {
                let Some(v) = latest.get(key) else { continue };
                ui.label(label).on_hover_text(hint);
                let text = if key.contains("follows") {
                    format!("{:.1} %", 100.0 * v)
                } else {
                    format!("{v:.3}")
                };
                ui.label(text);
                ui.end_row();
            }
        });
    let series = |name: &str| -> Vec<[f64; 2]> {
        view.reports
            .iter()
            .filter_map(|r| r.get(name).map(|v| [r.step as f64, v]))
            .collect()
    };
    let height = (ui.available_height() / 2.0 - 30.0).max(110.0);
    ui.label("FID-lite (lower is better)");
    Plot::new("style_fid").height(height).show(ui, |pl| {
        pl.line(Line::new("FID-lite", PlotPoints::new(series("fid_lite"))));
    });
    ui.label("Variety and the mixing check (0-1)");
    Plot::new("style_shares")
        .height(height)
        .legend(Legend::default())
        .show(ui, |pl| {
            for (key, label) in [
                ("recall", "recall"),
                ("coarse_mix_follows_coarse", "coarse mix: coarse class"),
            ] {
                pl.line(Line::new(label, PlotPoints::new(series(key))));
            }
        });
}

/// The preset picker (every family), the run's preset and what it holds.
pub fn setup_ui(
    ui: &mut egui::Ui,
    view: &RunView,
    presets: &PresetList,
    actions: &mut Vec<Action>,
) {
    let Some(info) = setup_head_ui(ui, view, presets, actions) else {
        return;
    };
    let RunSetup::Style(preset) = &info.setup else {
        return;
    };
    let s = &preset.stylegan;
    let rows: Vec<(&str, String)> = vec![
        ("images", info.data_notes.join("; ")),
        (
            "mapping",
            format!(
                "z {} to w {}: {} layers, lr × {}",
                s.z_dim, s.w_dim, s.mapping_layers, s.mapping_lr_mul
            ),
        ),
        (
            "synthesis",
            format!(
                "4×4 constant to {} px, up to {} maps, {} upsampling; {} weights with mapping",
                s.resolution,
                s.channel_max,
                s.upsampling.name(),
                info.g_params
            ),
        ),
        ("critic", critic_summary(s, info.d_params)),
        (
            "regularisation",
            format!(
                "R1 γ {} every {} critic updates; style mixing {:.0} %; mode seeking {}",
                s.r1_gamma,
                s.r1_every,
                100.0 * s.style_mixing,
                s.mode_seeking
            ),
        ),
        (
            "optimizer",
            if s.critic_lr() == s.lr {
                format!("Adam lr {} β (0, 0.99), batch {}", s.lr, s.batch_size)
            } else {
                format!(
                    "Adam β (0, 0.99), lr {} (G), {} (D), batch {}",
                    s.lr,
                    s.critic_lr(),
                    s.batch_size
                )
            },
        ),
        ("EMA", format!("decay {}", s.ema)),
        ("seed", s.seed.to_string()),
    ];
    setup_rows_ui(ui, "style_setup", (&preset.name, &preset.description), rows);
}

/// The critic's row of the setup table: its form, the minibatch statistics, PacGAN packing
/// and width where they differ from StyleGAN's.
fn critic_summary(s: &StyleConfig, weights: usize) -> String {
    let mut parts = vec![format!("resnet, minibatch stddev group {}", s.mbstd_group)];
    if s.mbstd_channels > 1 {
        parts.push(format!("{} stddev channels", s.mbstd_channels));
    }
    if s.critic_width > 1 {
        parts.push(format!("{}× the generator's maps", s.critic_width));
    }
    if s.pack > 1 {
        parts.push(format!("judges {} images at once (PacGAN)", s.pack));
    }
    format!("{} ({weights} weights)", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_critic_row_names_only_the_options_that_differ_from_stylegan() {
        let plain = StyleConfig::default();
        assert_eq!(
            critic_summary(&plain, 1234),
            "resnet, minibatch stddev group 4 (1234 weights)"
        );
        let changed = StyleConfig {
            mbstd_channels: 8,
            critic_width: 2,
            pack: 2,
            ..plain
        };
        assert_eq!(
            critic_summary(&changed, 99),
            "resnet, minibatch stddev group 4, 8 stddev channels, 2× the generator's maps, \
             judges 2 images at once (PacGAN) (99 weights)"
        );
    }
}
