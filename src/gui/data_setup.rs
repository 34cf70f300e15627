//! The setup panel's data and architecture sections. Both restart the run when changed (the
//! trainer says so); files are picked through native dialogs.

use eframe::egui;

use super::action::Action;
use super::files::FileJob;
use super::setup::slider;
use crate::engine::adapt::switch_data;
use crate::engine::config::{Activation, DataConfig, LatentPrior, ModelFamily, TrainConfig};

/// The built-in data sources, as a user names them, with their default parameters.
fn builtin() -> Vec<(&'static str, DataConfig, &'static str)> {
    vec![
        (
            "ring of 8",
            DataConfig::Ring {
                modes: 8,
                radius: 1.0,
                std: 0.01,
            },
            "8 Gaussians on a circle (PacGAN's ring): the classic mode-collapse lesson.",
        ),
        (
            "grid of 25",
            DataConfig::Grid {
                side: 5,
                spacing: 2.0,
                std: 0.05,
            },
            "25 Gaussians on a 5×5 grid (PacGAN): harder to cover.",
        ),
        (
            "clusters",
            DataConfig::Clusters {
                count: 6,
                std: 0.1,
                layout_seed: 0,
            },
            "Gaussian blobs at random places.",
        ),
        (
            "spiral",
            DataConfig::Spiral {
                turns: 1.5,
                noise: 0.05,
            },
            "A two-armed spiral: a curved, connected manifold.",
        ),
        (
            "moons",
            DataConfig::Moons { noise: 0.05 },
            "Two interleaved half circles.",
        ),
        (
            "line",
            DataConfig::Line { noise: 0.05 },
            "A segment: the simplest 1D manifold in 2D.",
        ),
        (
            "embedded digits",
            DataConfig::Digits { count: 10000 },
            "10,000 procedurally drawn 28×28 digits with labels: no download needed.",
        ),
    ]
}

/// A short name for the data a config trains on.
fn data_name(d: &DataConfig) -> String {
    match d {
        DataConfig::Ring { modes, .. } => format!("ring of {modes}"),
        DataConfig::Grid { side, .. } => format!("grid of {}", side * side),
        DataConfig::Clusters { .. } => "clusters".into(),
        DataConfig::Spiral { .. } => "spiral".into(),
        DataConfig::Moons { .. } => "moons".into(),
        DataConfig::Line { .. } => "line".into(),
        DataConfig::Csv { path } => format!("points: {}", file_name(path)),
        DataConfig::Drawn { points } => format!("your drawing ({} points)", points.len()),
        DataConfig::Digits { .. } => "embedded digits".into(),
        DataConfig::Idx { images, .. } => format!("IDX: {}", file_name(images)),
        DataConfig::ImageFolder { path, .. } => format!("folder: {}", file_name(path)),
        DataConfig::Cifar10 { files } => format!("CIFAR-10 ({} batches)", files.len()),
    }
}

fn file_name(p: &std::path::Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The data section: built-in sets, or a file or folder through a dialog.
pub fn data_ui(ui: &mut egui::Ui, c: &mut TrainConfig, actions: &mut Vec<Action>) {
    ui.label("Data (restarts the run)").on_hover_text(
        "What G learns to imitate. Switching between points and images also switches the model.",
    );
    egui::ComboBox::from_label("data")
        .selected_text(data_name(&c.data))
        .width(200.0)
        .show_ui(ui, |ui| {
            for (name, data, tip) in builtin() {
                let same = std::mem::discriminant(&data) == std::mem::discriminant(&c.data);
                if ui.selectable_label(same, name).on_hover_text(tip).clicked() && !same {
                    *c = switch_data(c, data);
                }
            }
            ui.separator();
            for (label, job, tip) in [
                ("MNIST-format file…", FileJob::OpenIdx, "An idx3 images file (MNIST, Fashion-MNIST, KMNIST; .gz or raw); the labels file beside it is found by name."),
                ("Image folder…", FileJob::OpenImageFolder, "Any folder of PNG/JPEG images, resized to 32×32 colour; subfolders become classes."),
                ("CIFAR-10 batches…", FileJob::OpenCifar, "The folder of CIFAR-10's binary version (data_batch_1.bin …)."),
                ("CSV of points…", FileJob::OpenCsv, "Your own 2D points: x,y per line."),
            ] {
                if ui.selectable_label(false, label).on_hover_text(tip).clicked() {
                    actions.push(Action::File(job));
                }
            }
        });
    match &mut c.data {
        DataConfig::Ring { modes, std, .. } => {
            ui.add(slider(modes, 2..=32).text("modes")).on_hover_text(
                "Gaussians on the circle: more modes are harder to cover all at once.",
            );
            ui.add(slider(std, 0.005..=0.2).logarithmic(true).text("σ"))
                .on_hover_text("Spread of each mode: tight modes (0.01) make collapse obvious.");
        }
        DataConfig::Grid { side, std, .. } => {
            ui.add(slider(side, 2..=8).text("side"))
                .on_hover_text("Modes per side of the grid (5: PacGAN's 25 modes).");
            ui.add(slider(std, 0.01..=0.5).logarithmic(true).text("σ"))
                .on_hover_text("Spread of each mode.");
        }
        DataConfig::Clusters {
            count, layout_seed, ..
        } => {
            ui.add(slider(count, 2..=20).text("clusters"))
                .on_hover_text("How many blobs.");
            ui.add(slider(layout_seed, 0..=99).text("layout"))
                .on_hover_text("Where the blobs are: each number is another fixed layout.");
        }
        DataConfig::Spiral { noise, .. }
        | DataConfig::Moons { noise }
        | DataConfig::Line { noise } => {
            ui.add(slider(noise, 0.0..=0.3).text("noise"))
                .on_hover_text("Gaussian noise around the curve: a thicker manifold.");
        }
        DataConfig::Digits { count } => {
            ui.add(slider(count, 100..=60_000).logarithmic(true).text("digits"))
                .on_hover_text(
                    "How many digits are drawn: fewer train faster, but G may memorise them.",
                );
        }
        DataConfig::ImageFolder { size, channels, .. } => {
            egui::ComboBox::from_label("size")
                .selected_text(format!("{size}×{size}"))
                .show_ui(ui, |ui| {
                    for s in [28, 32, 64] {
                        ui.selectable_value(size, s, format!("{s}×{s}"));
                    }
                });
            ui.horizontal(|ui| {
                ui.radio_value(channels, 1, "grey");
                ui.radio_value(channels, 3, "colour");
            });
        }
        DataConfig::Idx { transpose, .. } => {
            ui.checkbox(transpose, "transpose (EMNIST)")
                .on_hover_text("EMNIST stores its images transposed; tick to show them upright.");
        }
        DataConfig::Csv { .. } | DataConfig::Cifar10 { .. } => {}
        DataConfig::Drawn { .. } => {
            ui.small("Draw more in the 2D view (\"draw your own\"), then train on it again.");
        }
    }
}

const ACTIVATIONS: [(Activation, &str); 3] = [
    (Activation::Relu, "ReLU"),
    (Activation::LeakyRelu, "leaky ReLU"),
    (Activation::Tanh, "tanh"),
];

fn activation_ui(ui: &mut egui::Ui, label: &str, a: &mut Activation, tip: &str) {
    egui::ComboBox::from_label(label)
        .selected_text(
            ACTIVATIONS
                .iter()
                .find(|(x, _)| x == a)
                .map_or("?", |(_, n)| n),
        )
        .show_ui(ui, |ui| {
            for (value, name) in ACTIVATIONS {
                ui.selectable_value(a, value, name);
            }
        })
        .response
        .on_hover_text(tip);
}

/// The architecture section.
pub fn model_ui(ui: &mut egui::Ui, c: &mut TrainConfig) {
    ui.label("Architecture (restarts the run)")
        .on_hover_text("The shapes of G and D. Any change builds fresh networks from step 0.");
    let points = c.data.is_points();
    let m = &mut c.model;
    ui.horizontal(|ui| {
        ui.radio_value(&mut m.family, ModelFamily::Mlp, "MLP")
            .on_hover_text("Fully connected layers: the only choice for 2D points; works (worse) on flattened images.");
        ui.add_enabled_ui(!points, |ui| {
            ui.radio_value(&mut m.family, ModelFamily::Dcgan, "DCGAN")
                .on_hover_text("Transposed convolutions in G, strided convolutions in D (Radford et al.): images only.");
        });
    });
    ui.add(
        slider(&mut m.latent_dim, 1..=256)
            .logarithmic(true)
            .text("latent dim"),
    )
    .on_hover_text(
        "Size of the noise vector z G starts from. 2D toys need only 2; digits want ~64-100.",
    );
    ui.horizontal(|ui| {
        ui.label("z from");
        ui.radio_value(&mut m.latent_prior, LatentPrior::Gaussian, "Gaussian")
            .on_hover_text("Standard normal noise: most vectors near the centre, a few far out.");
        ui.radio_value(&mut m.latent_prior, LatentPrior::Uniform, "uniform")
            .on_hover_text("Uniform in the cube [-1, 1]^d (DCGAN paper, GAN Lab): no crowded centre, so G can tile the cube evenly, e.g. one cell per mode of a grid.");
        ui.radio_value(&mut m.latent_prior, LatentPrior::Mixture, "mixture")
            .on_hover_text("Many tight Gaussian blobs around fixed random centres (DeLiGAN, GM-GAN): G can send each blob to its own mode instead of tearing one blob apart, which helps against collapse on data with many modes (the 5x5 grid).");
    });
    if m.latent_prior == LatentPrior::Mixture {
        ui.add(slider(&mut m.latent_components, 2..=512).logarithmic(true).text("components"))
            .on_hover_text("Blobs in the latent mixture: at least as many as the data has modes, so that every mode can get one.");
        ui.add(slider(&mut m.latent_component_std, 0.01..=1.0).logarithmic(true).text("blob spread"))
            .on_hover_text("Standard deviation of each blob around its centre (the centres are standard normal): small blobs are easy to tell apart, large ones blend into one Gaussian.");
    }
    if m.family == ModelFamily::Dcgan {
        // D's own width and maxout are MLP options; a DCGAN's D follows its channels.
        m.d_width = None;
        m.d_maxout_pieces = 1;
    }
    match m.family {
        ModelFamily::Mlp => {
            ui.add(slider(&mut m.depth, 1..=8).text("depth"))
                .on_hover_text("Hidden layers in G and in D.");
            ui.add(
                slider(&mut m.width, 8..=1024)
                    .logarithmic(true)
                    .text("width"),
            )
            .on_hover_text("Units per hidden layer (of G, and of D unless set apart below).");
            ui.horizontal(|ui| {
                let mut apart = m.d_width.is_some();
                ui.checkbox(&mut apart, "D width apart")
                    .on_hover_text("Give D its own width: a D weaker or stronger than G changes who wins the fight (PacGAN's grid: G 400, D 200).");
                match (apart, m.d_width) {
                    (true, None) => m.d_width = Some(m.width),
                    (false, Some(_)) => m.d_width = None,
                    _ => {}
                }
                if let Some(w) = &mut m.d_width {
                    ui.add(slider(w, 8..=1024).logarithmic(true).text("D width"));
                }
            });
            ui.add(slider(&mut m.d_maxout_pieces, 1..=8).text("D maxout pieces"))
                .on_hover_text("Maxout in D (the original GAN's and PacGAN's D): each unit is the largest of this many linear pieces, a sharper D for many small modes. 1 = off (D uses its activation below).");
        }
        ModelFamily::Dcgan => {
            ui.add(slider(&mut m.base_channels, 8..=128).logarithmic(true).text("channels"))
                .on_hover_text("Channels of the widest convolution; each layer halves or doubles them. Cost grows with its square.");
        }
    }
    activation_ui(
        ui,
        "G activation",
        &mut m.g_activation,
        "G's hidden non-linearity: ReLU is the DCGAN default; tanh gives smoother, rounder manifolds in 2D.",
    );
    activation_ui(
        ui,
        "D activation",
        &mut m.d_activation,
        "D's hidden non-linearity: leaky ReLU (DCGAN) keeps a gradient for G everywhere; plain ReLU can leave regions where G gets none.",
    );
    if [m.g_activation, m.d_activation].contains(&Activation::LeakyRelu) {
        ui.add(slider(&mut m.leaky_slope, 0.01..=0.5).text("leaky slope"))
            .on_hover_text("Slope of leaky ReLU below zero (0.2 in DCGAN).");
    }
    ui.horizontal(|ui| {
        ui.checkbox(&mut m.g_batch_norm, "batch norm in G")
            .on_hover_text(
                "Normalises G's hidden activations per batch: DCGAN's recipe for stable training.",
            );
        ui.checkbox(&mut m.d_batch_norm, "in D").on_hover_text(
            "Batch norm in D's hidden layers (not with WGAN-GP, whose penalty is per sample).",
        );
    });
    ui.add_enabled_ui(!points, |ui| {
        ui.checkbox(&mut m.conditional, "conditional (cGAN)")
            .on_hover_text("G and D both see the class label: ask G for a specific digit. Needs labelled data.");
    });
}
