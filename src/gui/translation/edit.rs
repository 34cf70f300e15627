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
        let label = ui.label("cycle λ");
        ui.add(egui::DragValue::new(&mut s.lambda_cycle).range(0.0..=100.0).speed(0.1))
            .labelled_by(label.id)
            .on_hover_text("Weight of |G_BA(G_AB(a)) − a| (10 in the paper): 0 lets the translation forget its input");
        ui.end_row();
        let label = ui.label("identity (× λ)");
        ui.add(egui::DragValue::new(&mut s.identity).range(0.0..=5.0).speed(0.05))
            .labelled_by(label.id)
            .on_hover_text("Weight of |G_AB(b) − b| relative to λ (0.5 in the paper; 0 turns it off)");
        ui.end_row();
        let label = ui.label("learning rate");
        ui.add(
            egui::DragValue::new(&mut s.lr)
                .range(1e-6..=1e-2)
                .speed(1e-5)
                .max_decimals(6),
        )
        .labelled_by(label.id);
        ui.end_row();
        let label = ui.label("batch");
        ui.add(egui::DragValue::new(&mut s.batch_size).range(1..=64))
            .labelled_by(label.id);
        ui.end_row();
        let label = ui.label("replay buffer");
        ui.add(egui::DragValue::new(&mut s.replay).range(0..=500))
            .labelled_by(label.id)
            .on_hover_text("Past translations the critics also see (50 in the paper; 0: only the newest)");
        ui.end_row();
        let label = ui.label("seed");
        ui.add(egui::DragValue::new(&mut s.seed))
            .labelled_by(label.id);
        ui.end_row();
    });
    ui.label("Networks");
    egui::Grid::new("cycle_nets").num_columns(2).show(ui, |ui| {
        let label = ui.label("G filters");
        ui.add(egui::DragValue::new(&mut s.g_filters).range(1..=128))
            .labelled_by(label.id)
            .on_hover_text("Channels of the generators' first layer, doubled at each downsampling (64 in the paper, 16 here: a digit needs few)");
        ui.end_row();
        let label = ui.label("downsamplings");
        ui.add(egui::DragValue::new(&mut s.downsamplings).range(1..=3))
            .labelled_by(label.id)
            .on_hover_text("Stride-2 halvings before the residual blocks (2 in the paper). Fewer: the blocks see a finer grid and a smaller part of the image, so the generator restyles strokes rather than redrawing shapes");
        ui.end_row();
        let label = ui.label("residual blocks");
        ui.add(egui::DragValue::new(&mut s.residual_blocks).range(0..=12))
            .labelled_by(label.id)
            .on_hover_text("Blocks at the coarsest grid (9 in the paper for 256 px, 3 here for 28 px)");
        ui.end_row();
        let label = ui.label("D filters");
        ui.add(egui::DragValue::new(&mut s.d_filters).range(1..=128))
            .labelled_by(label.id)
            .on_hover_text("Channels of the PatchGAN critics' first layer, doubled at each later one");
        ui.end_row();
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
