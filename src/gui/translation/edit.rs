//! The CycleGAN run's settings a student changes by hand (objective, loss weights, learning
//! rate, batch, replay buffer, seed, the networks' sizes): edited as a draft, applied as a new
//! run at step 0.

use eframe::egui;

use crate::engine::config::Objective;
use crate::engine::cyclegan::preset::CyclePreset;

/// The objectives a PatchGAN critic takes (the others are refused by the preset check).
const OBJECTIVES: [Objective; 4] = [
    Objective::LeastSquares,
    Objective::Hinge,
    Objective::NonSaturating,
    Objective::Minimax,
];

/// The settings as edited, until applied or reverted.
#[derive(Default)]
pub struct Editor {
    draft: Option<CyclePreset>,
    /// Why the last Apply was refused.
    error: Option<String>,
}

impl Editor {
    /// Forgets the draft (a preset or checkpoint replaced the run).
    pub fn clear(&mut self) {
        self.draft = None;
        self.error = None;
    }
}

/// The editor over `current` (the run's preset); returns the preset to start a new run on
/// when the user applied a valid change.
pub fn edit_ui(
    ui: &mut egui::Ui,
    current: &CyclePreset,
    editor: &mut Editor,
) -> Option<CyclePreset> {
    let draft = editor.draft.get_or_insert_with(|| current.clone());
    let s = &mut draft.cyclegan;
    egui::ComboBox::from_label("objective")
        .selected_text(s.objective.name())
        .show_ui(ui, |ui| {
            for o in OBJECTIVES {
                ui.selectable_value(&mut s.objective, o, o.name());
            }
        })
        .response
        .on_hover_text("The critics' adversarial loss on their patch scores (least squares in the paper); gradient-penalty objectives need a double backward that a PatchGAN critic cannot have here");
    egui::Grid::new("cycle_edit").num_columns(2).show(ui, |ui| {
        fn weight(v: &mut f32, hi: f32, speed: f64) -> egui::DragValue<'_> {
            egui::DragValue::new(v).range(0.0..=hi).speed(speed)
        }
        row(ui, "cycle λ", weight(&mut s.lambda_cycle, 100.0, 0.1),
            "Weight of |G_BA(G_AB(a)) − a| (10 in the paper): 0 lets the translation forget its input");
        row(ui, "identity (× λ)", weight(&mut s.identity, 5.0, 0.05),
            "Weight of |G_AB(b) − b| relative to λ (0.5 in the paper; 0 turns it off)");
        row(ui, "semantic", weight(&mut s.semantic, 10.0, 0.05),
            "Not in the CycleGAN paper (CyCADA's semantic consistency): weight of the cross-entropy between a frozen classifier of the target domain (a small CNN trained on its labelled images, not the label-preservation judge) and the input's class. Keeps a 4 a 4 where the domains' shapes differ; needs labels in both domains; 0 is plain CycleGAN");
        let lr = egui::DragValue::new(&mut s.lr).range(1e-6..=1e-2).speed(1e-5).max_decimals(6);
        row(ui, "learning rate", lr, "Adam's step size for all four networks (2·10⁻⁴ in the paper; the preset's decay_start and decay_steps lower it linearly to 0)");
        row(ui, "batch", egui::DragValue::new(&mut s.batch_size).range(1..=64),
            "Images of each domain per round (1 in the paper; 8 here, for the CPU)");
        row(ui, "replay buffer", egui::DragValue::new(&mut s.replay).range(0..=500),
            "Past translations the critics also see (50 in the paper; 0: only the newest)");
        row(ui, "seed", egui::DragValue::new(&mut s.seed), "Draws the weights, the batches and the replay choices");
    });
    ui.label("Networks");
    egui::Grid::new("cycle_nets").num_columns(2).show(ui, |ui| {
        row(ui, "G filters", egui::DragValue::new(&mut s.g_filters).range(1..=128),
            "Channels of the generators' first layer, doubled at each downsampling (64 in the paper, 16 here: a digit needs few)");
        row(ui, "downsamplings", egui::DragValue::new(&mut s.downsamplings).range(1..=3),
            "Stride-2 halvings before the residual blocks (2 in the paper). Fewer: the blocks see a finer grid and a smaller part of the image, so the generator restyles strokes rather than redrawing shapes");
        row(ui, "residual blocks", egui::DragValue::new(&mut s.residual_blocks).range(0..=12),
            "Blocks at the coarsest grid (9 in the paper for 256 px, 3 here for 28 px)");
        row(ui, "D filters", egui::DragValue::new(&mut s.d_filters).range(1..=128),
            "Channels of the PatchGAN critics' first layer, doubled at each later one");
    });
    let changed = editor.draft.as_ref() != Some(current);
    let mut applied = None;
    ui.horizontal(|ui| {
        if ui
            .add_enabled(changed, egui::Button::new("Apply (new run at step 0)"))
            .clicked()
            && let Some(draft) = &editor.draft
        {
            match draft.cyclegan.validate() {
                Ok(()) => {
                    editor.error = None;
                    applied = Some(draft.clone());
                }
                Err(e) => editor.error = Some(e.to_string()),
            }
        }
        if ui
            .add_enabled(changed, egui::Button::new("Revert"))
            .clicked()
        {
            editor.clear();
        }
    });
    if let Some(e) = &editor.error {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
    applied
}

/// One labelled row of a settings grid: the label, the widget (named by the label for screen
/// readers and tests) and what it does on hover.
fn row(ui: &mut egui::Ui, label: &str, widget: egui::DragValue<'_>, hover: &str) {
    let label = ui.label(label);
    ui.add(widget).labelled_by(label.id).on_hover_text(hover);
    ui.end_row();
}
