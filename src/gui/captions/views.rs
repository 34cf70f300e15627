//! The text-to-image window's panels: the caption box (samples of a typed caption and the
//! way to a second one), the showcase captions' samples with their history, caption
//! accuracy over rounds, and the setup (presets, what the run is).

use eframe::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::caption_box::CaptionBox;
use crate::engine::captions::ask::{MAX_SAMPLES, MAX_STEPS};
use crate::engine::captions::layout::GeneratorKind;
use crate::engine::captions::steps::METRICS;
use crate::engine::captions::vocab::WORDS;
use crate::engine::trainer::protocol::{ClassifierStatus, RunSetup, Samples};
use crate::gui::action::Action;
use crate::gui::family_frame::{setup_head_ui, setup_rows_ui};
use crate::gui::panels::{history_ui, samples_image};
use crate::gui::preset_list::PresetList;
use crate::gui::view::RunView;

/// Images are drawn at most this many times their pixel size.
const MAX_ZOOM: f32 = 2.0;

fn image_ui(ui: &mut egui::Ui, tex: &egui::TextureHandle, width: f32, hint: &str) {
    let [w, h] = tex.size().map(|v| v as f32);
    let zoom = ((width - 10.0) / w).clamp(0.5, MAX_ZOOM);
    ui.add(egui::Image::new(tex).fit_to_exact_size(egui::vec2(w * zoom, h * zoom)))
        .on_hover_text(hint);
}

/// Lines kept for a caption's reading, so that the fields below do not move while typing
/// (a click aimed at a field that just moved sends the keys to the window's shortcuts).
const READING_LINES: f32 = 4.0;

/// How a caption reads, under its field: the words read, or why it cannot be drawn.
fn parse_line(ui: &mut egui::Ui, read: Result<String, String>) {
    let line = ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y;
    let size = egui::vec2(ui.available_width(), READING_LINES * line);
    ui.allocate_ui(size, |ui| {
        ui.set_min_height(size.y);
        reading_ui(ui, read);
    });
}

fn reading_ui(ui: &mut egui::Ui, read: Result<String, String>) {
    match read {
        Ok(summary) => ui.add(egui::Label::new(summary).wrap()),
        Err(why) => ui.add(
            egui::Label::new(egui::RichText::new(why).color(ui.visuals().error_fg_color)).wrap(),
        ),
    };
}

/// The caption box: type a sentence, see samples of it; a second sentence shows the way
/// between the two.
pub fn caption_box_ui(ui: &mut egui::Ui, caption: &mut CaptionBox, width: f32) {
    ui.heading("Type a caption");
    ui.horizontal(|ui| {
        let label = ui.label("caption");
        ui.add(egui::TextEdit::singleline(&mut caption.text).desired_width(width * 0.6))
            .labelled_by(label.id)
            .on_hover_text(format!(
                "e.g. \"a small thick 3 at the top left\", \"a 7 to the right of a 2\"; words known: {}",
                WORDS.join(" ")
            ));
        if ui
            .button("Other samples")
            .on_hover_text("Draw other latent vectors z for the same caption")
            .clicked()
        {
            caption.seed = caption.seed.wrapping_add(1);
        }
    });
    parse_line(
        ui,
        caption
            .parsed()
            .map(|p| p.summary())
            .map_err(|e| e.to_string()),
    );
    ui.add(egui::Slider::new(&mut caption.n, 1..=MAX_SAMPLES.min(32)).text("samples"));
    match (&caption.answer, &caption.textures) {
        (Some(answer), Some((samples, _))) => {
            let took = caption
                .latency
                .map(|d| format!(", answered in {} ms", d.as_millis()))
                .unwrap_or_default();
            ui.label(format!(
                "{} samples at step {} (EMA generator){took}",
                answer.samples.count(),
                answer.step
            ));
            image_ui(
                ui,
                samples,
                width,
                "The same latents z for every caption (\"Other samples\" draws new ones): change a word and compare image for image",
            );
        }
        _ => {
            ui.label("Drawing…");
        }
    }
    ui.separator();
    ui.heading("From one caption to another");
    ui.horizontal(|ui| {
        let label = ui.label("towards");
        ui.add(
            egui::TextEdit::singleline(&mut caption.towards)
                .desired_width(width * 0.6)
                .hint_text("a second caption, e.g. a large 8 at the bottom right"),
        )
        .labelled_by(label.id)
        .on_hover_text("The condition moves in a straight line from the first caption's code to this one's, with one latent z");
    });
    let read = match caption.towards_parsed() {
        Some(read) => read.map(|p| p.summary()).map_err(|e| e.to_string()),
        None => Ok(String::new()),
    };
    parse_line(ui, read);
    ui.add(egui::Slider::new(&mut caption.steps, 2..=MAX_STEPS).text("images"));
    if let Some((_, Some(between))) = &caption.textures {
        image_ui(
            ui,
            between,
            width,
            "Left: the caption above; right: the second one; between: conditions in between",
        );
    }
}

/// One row of `samples` (`per` images each) as its own values.
fn row(samples: &Samples, per: usize, r: usize) -> Samples {
    let start = (r * per * samples.len).min(samples.values.len());
    let end = ((r + 1) * per * samples.len).min(samples.values.len());
    Samples {
        values: samples.values[start..end].to_vec(),
        classes: Vec::new(),
        ..samples.clone()
    }
}

/// The showcase captions' samples at the shown step, a row per caption with its text.
pub fn showcase_ui(
    ui: &mut egui::Ui,
    view: &RunView,
    rows: &mut Vec<(u64, egui::TextureHandle)>,
    width: f32,
    actions: &mut Vec<Action>,
) {
    let (Some((step, samples)), Some(info)) = (view.shown(), view.info.as_ref()) else {
        ui.label("Building the run…");
        return;
    };
    history_ui(ui, view, actions);
    ui.heading(format!("Showcase captions at step {step} (fixed z)"));
    let captions = &info.rows;
    let per = samples.count() / captions.len().max(1);
    if rows.len() != captions.len() || rows.first().map(|r| r.0) != Some(view.snapshot_version) {
        rows.clear();
        for r in 0..captions.len() {
            let image = samples_image(&row(samples, per, r), Some(per));
            let name = format!("caption-row-{r}");
            let tex = ui
                .ctx()
                .load_texture(name, image, egui::TextureOptions::LINEAR);
            rows.push((view.snapshot_version, tex));
        }
    }
    for (caption, (_, tex)) in captions.iter().zip(rows.iter()) {
        ui.label(caption);
        image_ui(
            ui,
            tex,
            width,
            "The same latents every time, refreshed every sample_every rounds: scrub the history to watch them form",
        );
    }
}

/// The latest evaluation and caption accuracy over rounds.
pub fn metrics_ui(ui: &mut egui::Ui, view: &RunView) {
    match &view.classifier {
        Some(ClassifierStatus::Training { fraction }) => {
            ui.label(format!(
                "Training the scene reader (caption accuracy): {:.0} %",
                100.0 * fraction
            ));
        }
        Some(ClassifierStatus::Unavailable(why)) => {
            ui.label(format!("No caption accuracy: {why}"));
        }
        _ => {}
    }
    let Some(latest) = view.reports.last() else {
        ui.label("No evaluation yet: every metrics_every rounds, on 400 captions per split.");
        return;
    };
    ui.label(format!("Evaluation at step {}:", latest.step));
    egui::Grid::new("caption_metrics")
        .striped(true)
        .show(ui, |ui| {
            for (key, hint) in METRICS {
                let Some(v) = latest.get(key) else { continue };
                let label = key.trim_start_matches("caption_").replace('_', " ");
                ui.label(label).on_hover_text(hint);
                ui.label(
                    if matches!(key, "caption_diversity" | "caption_digit_effect") {
                        format!("{v:.2}")
                    } else if key.starts_with("caption_fid") {
                        format!("{v:.1}")
                    } else {
                        format!("{:.1} %", 100.0 * v)
                    },
                );
                ui.end_row();
            }
        });
    let series = |name: &str| -> Vec<[f64; 2]> {
        view.reports
            .iter()
            .filter_map(|r| r.get(name).map(|v| [r.step as f64, 100.0 * v]))
            .collect()
    };
    ui.label("Caption accuracy (%): seen and held-out combinations");
    Plot::new("caption_accuracy")
        .height((ui.available_height() - 30.0).max(140.0))
        .legend(Legend::default())
        .show(ui, |pl| {
            for (key, _) in &METRICS[..5] {
                let label = key.trim_start_matches("caption_").replace('_', " ");
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
    let RunSetup::Captions(preset) = &info.setup else {
        return;
    };
    let c = &preset.captions;
    let on = |b: bool| if b { "on" } else { "off" };
    let rows: Vec<(&str, String)> = vec![
        ("scenes", info.data_notes.join("; ")),
        (
            "captions",
            format!(
                "{:.0} % relations of two digits; strokes named: {}",
                100.0 * c.pairs,
                on(c.strokes)
            ),
        ),
        (
            "encoder",
            format!(
                "{:?}, words of {} values; condition {} (conditioning augmentation, KL weight {})",
                c.encoder, c.embed, c.condition, c.kl_weight
            ),
        ),
        (
            "generator",
            match c.generator {
                GeneratorKind::Dcgan => format!(
                    "DCGAN to 64 px from z {} and the condition, base {} maps ({} weights)",
                    c.z_dim, c.base_channels, info.g_params
                ),
                GeneratorKind::Layered => format!(
                    "layered: each named digit drawn as a 32 px patch (DCGAN from z {} and its slot's read of the words{}, base {} maps) and set at a place picked per slot ({} weights)",
                    c.z_dim,
                    if c.slots_compete {
                        ", the slots competing for them"
                    } else {
                        ""
                    },
                    c.base_channels,
                    info.g_params
                ),
            },
        ),
        (
            "critic",
            format!(
                "caption planes + projection ({} weights); matching-aware: {}, {:.0} % of its wrong captions near misses; spectral norm: {}; place labels (aux) weight {}{}",
                info.d_params,
                on(c.mismatch),
                100.0 * c.near_misses,
                on(c.spectral_norm),
                c.places,
                if c.relation_places {
                    ", asked of relations over every right placing"
                } else {
                    ""
                }
            ),
        ),
        (
            "optimizer",
            format!(
                "Adam β (0.5, 0.999), lr {} (G), {} (D), batch {}; mode seeking {}",
                c.lr,
                c.critic_lr(),
                c.batch_size,
                c.mode_seeking
            ),
        ),
        ("EMA", format!("decay {}", c.ema)),
        ("seed", c.seed.to_string()),
    ];
    setup_rows_ui(
        ui,
        "caption_setup",
        (&preset.name, &preset.description),
        rows,
    );
}
