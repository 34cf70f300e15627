//! The setup panel: preset picker, objective and every trick as a live control with a one-line
//! explanation. It edits a copy of the run's configuration; any change is sent to the trainer,
//! which applies it between steps and says what it had to rebuild.

use eframe::egui;

use super::action::Action;
use super::preset_list::PresetList;
use crate::engine::config::{Objective, OptimizerConfig, TrainConfig};
use crate::engine::recipes::{apply_recipe, preview_recipe};

const OBJECTIVES: [(&str, &str); 6] = [
    (
        "minimax",
        "Goodfellow's original game: G minimises log(1 − D(G(z))). Its gradient vanishes when D wins early, so G often stalls.",
    ),
    (
        "non-saturating",
        "G maximises log D(G(z)) instead: the same equilibrium, but strong gradients while G is still bad. The usual default.",
    ),
    (
        "least-squares",
        "LSGAN: D regresses real to 1 and fake to 0; G is pulled towards 1. Fake samples far from the data still get gradient.",
    ),
    (
        "wgan",
        "Wasserstein GAN: a critic scores realness without a sigmoid; weights are clipped to keep it Lipschitz. Loss tracks sample quality.",
    ),
    (
        "wgan-gp",
        "WGAN with a gradient penalty: pushes the critic's gradient norm towards 1 between real and fake samples instead of clipping.",
    ),
    (
        "hinge",
        "Hinge loss (SAGAN, BigGAN): D only learns from samples it scores on the wrong side of a margin. Pairs well with spectral norm.",
    ),
];

/// A slider over a configuration value: the user's edits stay within `range`, but a value
/// outside it (a preset or checkpoint may hold any value the validator accepts) is shown as
/// it is, not clamped, which would silently change the run (and restart it) on first draw.
pub fn slider<Num: egui::emath::Numeric>(
    value: &mut Num,
    range: std::ops::RangeInclusive<Num>,
) -> egui::Slider<'_> {
    egui::Slider::new(value, range).clamping(egui::SliderClamping::Edits)
}

fn lr_slider(ui: &mut egui::Ui, label: &str, o: &mut OptimizerConfig, tip: &str) {
    let mut lr = o.lr();
    ui.add(slider(&mut lr, 1e-6..=10.0).logarithmic(true).text(label))
        .on_hover_text(tip);
    if lr != o.lr() {
        *o = o.with_lr(lr);
    }
}

const OPTIMIZERS: [(&str, &str); 3] = [
    (
        "Adam",
        "Adaptive moments (β1, β2): the usual GAN optimizer; β1 0.5 as in DCGAN, 0 with β2 0.9 for WGAN-GP and hinge.",
    ),
    (
        "SGD",
        "Plain gradient descent, with optional momentum: GANs oscillate more, which makes the fight easy to see.",
    ),
    (
        "RMSprop",
        "The original WGAN's optimizer (no momentum, which weight clipping dislikes).",
    ),
];

fn optimizer_name(o: &OptimizerConfig) -> &'static str {
    match o {
        OptimizerConfig::Adam { .. } => "Adam",
        OptimizerConfig::Sgd { .. } => "SGD",
        OptimizerConfig::Rmsprop { .. } => "RMSprop",
    }
}

/// One network's optimizer: its kind (the learning rate carries over), its parameters and
/// its learning rate.
fn optimizer_ui(ui: &mut egui::Ui, who: &str, o: &mut OptimizerConfig, lr_tip: &str) {
    let lr = o.lr();
    egui::ComboBox::from_label(format!("{who} optimizer"))
        .selected_text(optimizer_name(o))
        .show_ui(ui, |ui| {
            for (name, tip) in OPTIMIZERS {
                if ui
                    .selectable_label(optimizer_name(o) == name, name)
                    .on_hover_text(tip)
                    .clicked()
                    && optimizer_name(o) != name
                {
                    *o = match name {
                        "SGD" => OptimizerConfig::Sgd { lr, momentum: 0.0 },
                        "RMSprop" => OptimizerConfig::Rmsprop { lr, alpha: 0.99 },
                        _ => OptimizerConfig::Adam {
                            lr,
                            beta1: 0.5,
                            beta2: 0.999,
                        },
                    };
                }
            }
        })
        .response
        .on_hover_text("Changing the optimizer resets its state (moments) but keeps the run.");
    lr_slider(ui, &format!("{who} learning rate"), o, lr_tip);
    match o {
        OptimizerConfig::Adam { beta1, beta2, .. } => {
            ui.add(slider(beta1, 0.0..=0.99).text(format!("{who} β1")))
                .on_hover_text("Momentum of the gradient average: 0.5 (DCGAN), 0 (WGAN-GP, SAGAN); 0.9 is often too much for a GAN.");
            ui.add(slider(beta2, 0.5..=0.9999).text(format!("{who} β2")))
                .on_hover_text(
                    "Decay of the squared-gradient average: 0.999 usually, 0.9 for WGAN-GP.",
                );
        }
        OptimizerConfig::Sgd { momentum, .. } => {
            ui.add(slider(momentum, 0.0..=0.99).text(format!("{who} momentum")))
                .on_hover_text("Heavy-ball momentum: high values make G and D circle each other.");
        }
        OptimizerConfig::Rmsprop { alpha, .. } => {
            ui.add(slider(alpha, 0.5..=0.999).text(format!("{who} α")))
                .on_hover_text("Decay of RMSprop's squared-gradient average.");
        }
    }
}

/// The objective radio buttons: each brings its recommended settings (those of its preset),
/// listed in its tooltip; the change is described in the messages.
fn objective_ui(ui: &mut egui::Ui, c: &mut TrainConfig, actions: &mut Vec<Action>) {
    ui.label("Objective (restarts the run)")
        .on_hover_text("How D's and G's losses are computed from D's output. Each button brings the settings that objective trains well with; the run restarts on the same seed and Compare runs keeps the previous one.");
    let current = c.objective.name();
    for (name, tip) in OBJECTIVES {
        let changes = preview_recipe(c, name);
        let hover = if changes.len() > 1 {
            format!("{tip}\n\nBrings:\n{}", changes.join("\n"))
        } else {
            format!("{tip}\n\n{}", changes.join("\n"))
        };
        if ui
            .radio(current == name, name)
            .on_hover_text(hover)
            .clicked()
            && current != name
            && let Some((config, changes)) = apply_recipe(c, name)
        {
            *c = config;
            actions.push(Action::Note(format!("{name}: {}", changes.join("; "))));
        }
    }
    match &mut c.objective {
        Objective::Wgan { clip } => {
            ui.add(slider(clip, 0.001..=0.1).logarithmic(true).text("clip"))
                .on_hover_text("Weights are clamped to ±clip after each critic step: smaller is stabler but weakens the critic.");
        }
        Objective::WganGp { lambda } => {
            ui.add(slider(lambda, 0.01..=100.0).logarithmic(true).text("λ"))
                .on_hover_text("Weight of the gradient penalty: 10 for images in the paper, 0.1 for the 2D toy sets.");
        }
        _ => {}
    }
}

/// Draws the panel over `c` (the configuration being edited); pushes `ApplyConfig` when the
/// user changed anything and `LoadPreset` when a preset was picked.
pub fn setup_ui(
    ui: &mut egui::Ui,
    c: &mut TrainConfig,
    presets: &PresetList,
    actions: &mut Vec<Action>,
) {
    let before = c.clone();
    ui.heading("Setup");
    presets.picker_ui(ui, actions);

    ui.separator();
    super::data_setup::data_ui(ui, c, actions);
    ui.separator();
    super::data_setup::model_ui(ui, c);

    ui.separator();
    objective_ui(ui, c, actions);

    ui.separator();
    ui.label("Training").on_hover_text(
        "Optimizers and the D/G balance: each change applies between steps and keeps the run.",
    );
    optimizer_ui(
        ui,
        "G",
        &mut c.optimizer.g,
        "Step size of G's optimizer. TTUR: a slower G than D often stabilises training; far too large (try 1) and training diverges.",
    );
    optimizer_ui(
        ui,
        "D",
        &mut c.optimizer.d,
        "Step size of D's optimizer: a D that learns much faster than G wins the fight and G's gradient vanishes.",
    );
    ui.add(slider(&mut c.train.d_steps, 1..=10).text("D steps per round"))
        .on_hover_text(
            "Critic updates before each G update: WGANs want a well-trained critic (5 is common).",
        );
    ui.add(slider(&mut c.train.g_steps, 1..=10).text("G steps per round"))
        .on_hover_text("Generator updates per round: more when D overpowers G.");
    ui.add(
        slider(&mut c.train.batch_size, 8..=1024)
            .logarithmic(true)
            .text("batch"),
    )
    .on_hover_text("Samples per update: larger batches give smoother gradients but slower steps.");

    ui.separator();
    ui.label("Tricks");
    let t = &mut c.tricks;
    ui.add(slider(&mut t.label_smoothing, 0.0..=0.5).text("label smoothing"))
        .on_hover_text("One-sided: D's target for real samples becomes 1 − this, so D cannot become over-confident.");
    ui.add(slider(&mut t.instance_noise, 0.0..=1.0).text("instance noise"))
        .on_hover_text("Gaussian noise on D's inputs blurs real and fake together, so their supports overlap and gradients stay useful.");
    ui.add(slider(&mut t.instance_noise_anneal_steps, 0..=20_000).text("noise anneal steps"))
        .on_hover_text("The noise decays linearly to zero over this many steps (0: constant).");
    ui.add(slider(&mut t.d_dropout, 0.0..=0.5).text("D dropout"))
        .on_hover_text(
            "Randomly drops D's hidden units: a noisier, weaker D that G can keep up with.",
        );
    ui.checkbox(&mut t.spectral_norm, "spectral norm in D")
        .on_hover_text("Divides each D weight by its largest singular value: keeps D 1-Lipschitz layer by layer (Miyato et al.).");
    ui.checkbox(&mut t.minibatch_stddev, "minibatch stddev")
        .on_hover_text("Gives D the batch's feature spread: a collapsed G, whose samples all look alike, is caught. Re-initialises D.");
    ui.add(slider(&mut t.pack, 1..=8).text("PacGAN packing"))
        .on_hover_text("D judges this many samples at once: a G that repeats itself is easy to spot. Must divide the batch; re-initialises D.");
    let mut ema_on = t.ema.is_some();
    let mut decay = t.ema.unwrap_or(0.999);
    ui.horizontal(|ui| {
        ui.checkbox(&mut ema_on, "EMA of G")
            .on_hover_text("Samples come from a moving average of G's weights: smoother, often better samples late in training. The average spans about 1/(1 − decay) steps (fewer early in a run, so that the first samples follow G): with a high learning rate keep it short (0.99), or the average of weights that travelled far is no good network for thousands of steps.");
        if ema_on {
            ui.add(slider(&mut decay, 0.9..=0.9999).text("decay"))
                .on_hover_text("The average spans about 1/(1 - decay) steps: 0.99 is about 100, 0.999 about 1,000.");
        }
    });
    t.ema = ema_on.then_some(decay);
    let mut truncate_on = t.truncation.is_some();
    let mut bound = t.truncation.unwrap_or(1.0);
    ui.horizontal(|ui| {
        ui.checkbox(&mut truncate_on, "truncation")
            .on_hover_text("Sampling only (BigGAN's truncation trick): latent values beyond ± the bound are drawn again, so the sample grid, metrics and exports stay near the latent's centre, where G is best trained. Trades diversity for quality; watch the class histogram and recall. Training is unaffected.");
        if truncate_on {
            ui.add(slider(&mut bound, 0.1..=3.0).text("bound"))
                .on_hover_text("Latent values beyond this bound are drawn again: smaller is safer but less varied.");
        }
    });
    t.truncation = truncate_on.then_some(bound);

    if *c != before {
        actions.push(Action::ApplyConfig(Box::new(c.clone())));
    }
}
