//! The hallucination view: a slider that mixes the pixel network's and the GAN network's
//! weights (ESRGAN's network interpolation), the held-out images upscaled with that mix
//! beside their low-res input and ground truth, with a swipe divider between the output and
//! bicubic; and the user's own image, upscaled with the same mix.

use std::time::{Duration, Instant};

use eframe::egui;

use crate::engine::superres::tiles::Picture;
use crate::engine::trainer::protocol::{Samples, Upscaled};
use crate::gui::action::Action;
use crate::gui::files::FileJob;
use crate::gui::view::RunView;

/// Strips of images as textures: the mixed output and bicubic for the swipe.
struct Textures {
    mixed: egui::TextureHandle,
    own: Option<[egui::TextureHandle; 2]>,
}

/// The slider, the swipe, the own image and what the trainer answered.
pub struct Hallucination {
    /// 0: the pixel network; 1: the GAN network.
    pub mix: f32,
    /// Where the divider stands across each image: left of it the network's output, right
    /// of it bicubic.
    pub swipe: f32,
    own: Option<(Picture, String)>,
    own_version: u64,
    next_id: u64,
    /// What was last asked: (mix, newest snapshot step, own image version), and when.
    asked: Option<((f32, u64, u64), u64, Instant)>,
    pub answer: Option<Upscaled>,
    textures: Option<Textures>,
    /// The newest comparison's low-res, bicubic and high-res rows as strips, and its step.
    rows: Option<(u64, [egui::TextureHandle; 3])>,
    /// How long the last answer took from the request (the slider's latency).
    pub latency: Option<Duration>,
}

impl Default for Hallucination {
    fn default() -> Self {
        Self {
            mix: 0.0,
            // Half output, half bicubic: the difference is in view from the start.
            swipe: 0.5,
            own: None,
            own_version: 0,
            next_id: 0,
            asked: None,
            answer: None,
            textures: None,
            rows: None,
            latency: None,
        }
    }
}

fn image_of(values: &[f32], channels: usize, w: usize, h: usize) -> egui::ColorImage {
    let byte = |v: f32| ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8;
    let plane = w * h;
    let mut rgb = Vec::with_capacity(3 * plane);
    for i in 0..plane {
        for c in 0..3 {
            rgb.push(byte(values[c.min(channels - 1) * plane + i]));
        }
    }
    egui::ColorImage::from_rgb([w, h], &rgb)
}

/// `n` images of `samples`' shape from `values`, side by side with no gap.
fn strip(values: &[f32], samples: &Samples, n: usize) -> egui::ColorImage {
    let (s, c) = (samples.side, samples.channels.max(1));
    let mut wide = vec![0.0f32; c * n * s * s];
    for i in 0..n {
        let img = &values[i * samples.len..(i + 1) * samples.len];
        for ch in 0..c {
            for y in 0..s {
                let src = &img[ch * s * s + y * s..ch * s * s + (y + 1) * s];
                let at = ch * n * s * s + y * n * s + i * s;
                wide[at..at + s].copy_from_slice(src);
            }
        }
    }
    image_of(&wide, c, n * s, s)
}

impl Hallucination {
    /// A new run: its answers are gone (the slider and own image stay).
    pub fn new_run(&mut self) {
        self.answer = None;
        self.textures = None;
        self.asked = None;
    }

    pub fn set_own(&mut self, picture: Picture, name: String) {
        self.own = Some((picture, name));
        self.own_version += 1;
    }

    /// The request to send, if what is shown is not what was last asked for.
    pub fn wanted(&mut self, view: &RunView) -> Option<(u64, f32, Option<Picture>)> {
        let newest = view.snapshots.last()?.0;
        let key = (self.mix, newest, self.own_version);
        if self.asked.as_ref().is_some_and(|(k, _, _)| *k == key) {
            return None;
        }
        self.next_id += 1;
        self.asked = Some((key, self.next_id, Instant::now()));
        Some((
            self.next_id,
            self.mix,
            self.own.as_ref().map(|(p, _)| p.clone()),
        ))
    }

    /// Takes the trainer's answer (a stale one, to an earlier request, too: it is still the
    /// newest picture there is).
    pub fn receive(&mut self, answer: Upscaled, ctx: &egui::Context) {
        if let Some((_, id, at)) = &self.asked
            && *id == answer.id
        {
            self.latency = Some(at.elapsed());
        }
        let n = answer.held.count();
        let mixed = ctx.load_texture(
            "sr-mixed",
            strip(&answer.held.values, &answer.held, n),
            egui::TextureOptions::NEAREST,
        );
        let own = answer.own.as_ref().map(|[bicubic, up]| {
            let tex = |name: &str, p: &Picture| {
                ctx.load_texture(
                    name,
                    image_of(&p.values, p.channels, p.width, p.height),
                    egui::TextureOptions::NEAREST,
                )
            };
            [tex("sr-own-bicubic", bicubic), tex("sr-own-output", up)]
        });
        self.textures = Some(Textures { mixed, own });
        self.answer = Some(answer);
    }
}

/// `output` left of the divider at `swipe` (0..1 across the image), `bicubic` right of it,
/// both the image at `uv` of their textures, drawn into `rect`.
fn swiped(
    ui: &egui::Ui,
    rect: egui::Rect,
    [output, bicubic]: [&egui::TextureHandle; 2],
    uv: egui::Rect,
    swipe: f32,
) {
    let painter = ui.painter();
    let x = egui::lerp(rect.x_range(), swipe);
    let u = egui::lerp(uv.x_range(), swipe);
    let left = egui::Rect::from_x_y_ranges(rect.left()..=x, rect.y_range());
    let right = egui::Rect::from_x_y_ranges(x..=rect.right(), rect.y_range());
    let uv_left = egui::Rect::from_x_y_ranges(uv.left()..=u, uv.y_range());
    let uv_right = egui::Rect::from_x_y_ranges(u..=uv.right(), uv.y_range());
    painter.image(output.id(), left, uv_left, egui::Color32::WHITE);
    painter.image(bicubic.id(), right, uv_right, egui::Color32::WHITE);
    painter.line_segment(
        [egui::pos2(x, rect.top()), egui::pos2(x, rect.bottom())],
        egui::Stroke::new(1.5, egui::Color32::from_rgb(255, 170, 0)),
    );
}

/// The slider, the swipe, the held-out images and the own image.
/// `width`: what the panel offers (measured outside its scroll area, whose content may grow).
pub fn hallucination_ui(
    ui: &mut egui::Ui,
    width: f32,
    live: &mut Hallucination,
    view: &RunView,
    actions: &mut Vec<Action>,
) {
    let gan_started = view
        .shown()
        .is_some_and(|(_, s)| s.classes.iter().max() == Some(&4));
    ui.horizontal(|ui| {
        ui.heading("Hallucination");
        ui.label("pixel network");
        ui.add(egui::Slider::new(&mut live.mix, 0.0..=1.0).show_value(false))
            .on_hover_text("ESRGAN's network interpolation: the weights (1 − mix)·pixel network + mix·GAN network. Left: the best PSNR and blurry strokes; right: sharper detail the network invents");
        ui.label("GAN network");
    });
    ui.horizontal(|ui| {
        ui.label("swipe");
        ui.add(egui::Slider::new(&mut live.swipe, 0.0..=1.0).show_value(false))
            .on_hover_text("Where the orange divider stands across each image: the network's output left of it, bicubic right of it");
        if ui
            .button("Open image…")
            .on_hover_text("Upscale an image of your own (PNG, JPEG, …; or drop one on the window)")
            .clicked()
        {
            actions.push(Action::File(FileJob::OpenImage));
        }
    });
    if !gan_started {
        ui.label("The GAN network starts after the pixel stage: until then the slider shows the pixel network.");
    }
    let (Some(answer), Some(textures)) = (&live.answer, &live.textures) else {
        ui.label("Upscaling…");
        return;
    };
    let note = match live.latency {
        Some(t) => format!(
            "step {}, mix {:.2}, answered in {} ms",
            answer.step,
            answer.mix,
            t.as_millis()
        ),
        None => format!("step {}, mix {:.2}", answer.step, answer.mix),
    };
    ui.label(note);
    let (n, side) = (answer.held.count(), answer.held.side);
    let mixed = textures.mixed.clone();
    let own = textures.own.clone();
    let Some((_, comparison)) = view.snapshots.last() else {
        return;
    };
    // The comparison's rows: low-res, bicubic, …, high-res (last).
    let rows = comparison
        .classes
        .iter()
        .max()
        .map_or(0, |r| *r as usize + 1);
    let row = |r: usize| &comparison.values[r * n * comparison.len..(r + 1) * n * comparison.len];
    if rows < 4 || comparison.count() != rows * n {
        return;
    }
    let newest = view.snapshots.last().map_or(0, |s| s.0);
    if live.rows.as_ref().is_none_or(|(step, _)| *step != newest) {
        let ctx = ui.ctx().clone();
        let tex = |name: &str, values: &[f32]| {
            ctx.load_texture(
                name,
                strip(values, comparison, n),
                egui::TextureOptions::NEAREST,
            )
        };
        let made = [
            tex("sr-low", row(0)),
            tex("sr-bicubic", row(1)),
            tex("sr-truth", row(rows - 1)),
        ];
        live.rows = Some((newest, made));
    }
    let Some((_, [low, bicubic, truth])) = &live.rows else {
        return;
    };
    let cell = ((width - 120.0) / n as f32).clamp(16.0, 4.0 * side as f32);
    let size = egui::vec2(cell * n as f32, cell);
    let labelled = |ui: &mut egui::Ui, label: &str, draw: &mut dyn FnMut(&mut egui::Ui)| {
        ui.horizontal(|ui| {
            ui.add_sized([100.0, cell], egui::Label::new(label));
            draw(ui);
        });
    };
    let swipe = live.swipe;
    labelled(ui, "low-res input", &mut |ui| {
        ui.add(egui::Image::new(low).fit_to_exact_size(size));
    });
    labelled(ui, "output | bicubic", &mut |ui| {
        let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
        for i in 0..n {
            let cell_rect = egui::Rect::from_min_size(
                rect.min + egui::vec2(i as f32 * cell, 0.0),
                egui::vec2(cell, cell),
            );
            let uv = egui::Rect::from_x_y_ranges(
                i as f32 / n as f32..=(i + 1) as f32 / n as f32,
                0.0..=1.0,
            );
            swiped(ui, cell_rect, [&mixed, bicubic], uv, swipe);
        }
    });
    labelled(ui, "high-res truth", &mut |ui| {
        ui.add(egui::Image::new(truth).fit_to_exact_size(size));
    });
    if let (Some((picture, name)), Some([own_bicubic, own_out])) = (&live.own, &own) {
        ui.separator();
        ui.label(format!(
            "{name}: {}×{} px -> {}×{} (output left of the divider, bicubic right)",
            picture.width,
            picture.height,
            own_out.size()[0],
            own_out.size()[1]
        ));
        let [w, h] = own_out.size().map(|v| v as f32);
        let fit = (width / w).min(360.0 / h).max(0.25);
        let (rect, _) = ui.allocate_exact_size(egui::vec2(w * fit, h * fit), egui::Sense::hover());
        let whole = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
        swiped(ui, rect, [own_out, own_bicubic], whole, swipe);
    }
}
