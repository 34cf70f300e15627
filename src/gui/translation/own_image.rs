//! "Your own image": draw on a pad, open an image file, or drop one on the window, and see
//! it translated both there and back by the generators as they are now (asked again after
//! every snapshot, so the translation follows training).

use eframe::egui;

use crate::engine::trainer::protocol::{DomainInfo, Samples};
use crate::gui::action::Action;
use crate::gui::panels::samples_image;

/// The pad's side on screen, at most.
const PAD_MAX: f32 = 224.0;

/// The user's image, its source domain, and the last translation of it.
pub struct OwnImage {
    /// Translate from domain A (else from B).
    pub a_to_b: bool,
    /// The image in the source domain's shape (channel-major, in [-1, 1]); empty: none yet.
    pub pixels: Vec<f32>,
    /// Where it came from ("drawn", a file name).
    pub origin: String,
    /// Bumped on every change of `pixels`, so textures and requests follow.
    pub version: u64,
    /// (input, forward, back) of the newest answer, and the version it answers.
    pub result: Option<([Samples; 3], u64)>,
    /// The (image version, snapshot version) last sent to the trainer.
    pub asked: Option<(u64, u64)>,
    /// Answers received (the same image is translated again as the generators change, so
    /// the textures are keyed on this, not on `version`).
    received: u64,
    textures: Option<(u64, [egui::TextureHandle; 3])>,
    pad_texture: Option<(u64, egui::TextureHandle)>,
}

impl Default for OwnImage {
    fn default() -> Self {
        Self {
            a_to_b: true,
            pixels: Vec::new(),
            origin: String::new(),
            version: 0,
            result: None,
            asked: None,
            received: 0,
            textures: None,
            pad_texture: None,
        }
    }
}

impl OwnImage {
    /// Sets the image (already in the source domain's shape).
    pub fn set(&mut self, pixels: Vec<f32>, origin: String) {
        self.pixels = pixels;
        self.origin = origin;
        self.version += 1;
    }

    /// An answer from the trainer (only the newest request's counts).
    pub fn receive(&mut self, id: u64, shown: [Samples; 3]) {
        if id == self.version {
            self.result = Some((shown, id));
            self.received += 1;
        }
    }

    /// What to send: the image, when it or the generators changed since the last request.
    pub fn request(&mut self, snapshot_version: u64) -> Option<Action> {
        if self.pixels.is_empty() || self.asked == Some((self.version, snapshot_version)) {
            return None;
        }
        self.asked = Some((self.version, snapshot_version));
        Some(Action::Translate {
            a_to_b: self.a_to_b,
            pixels: self.pixels.clone(),
        })
    }

    /// Whether the result images on screen are those of the newest answer.
    #[cfg(test)]
    pub fn shows_newest(&self) -> bool {
        self.textures
            .as_ref()
            .is_some_and(|(v, _)| *v == self.received)
    }

    /// Starts a blank pad for `source` (black, as the digits' background).
    fn blank(&mut self, source: &DomainInfo) {
        self.set(vec![-1.0; source.len()], "drawn".into());
    }

    /// Starts from the first held-out image of `source` in the translation strips (row
    /// `row` of six), so that there is something to translate (and draw over) at once.
    fn start_from(&mut self, strips: &Samples, row: usize, source: &DomainInfo) -> bool {
        let columns = strips.count() / crate::engine::cyclegan::strips::ROWS.len();
        let plane = source.side * source.side;
        if columns == 0 || strips.side != source.side {
            return false;
        }
        let at = row * columns * strips.len;
        let Some(image) = strips.values.get(at..at + strips.len) else {
            return false;
        };
        // The strips are in colour when the domains' channels differ: take what fits.
        let pixels: Vec<f32> = (0..source.channels)
            .flat_map(|c| {
                let from = c.min(strips.channels - 1) * plane;
                image[from..from + plane].to_vec()
            })
            .collect();
        self.set(pixels, format!("held-out {} #1", source.name));
        true
    }

    /// Paints a round brush of radius `r` pixels at (x, y) in image pixels.
    fn paint(&mut self, source: &DomainInfo, x: f32, y: f32, r: f32) {
        let side = source.side;
        let plane = side * side;
        for row in 0..side {
            for col in 0..side {
                let d = ((col as f32 + 0.5 - x).powi(2) + (row as f32 + 0.5 - y).powi(2)).sqrt();
                let ink = (1.0 - (d - r).max(0.0)).clamp(0.0, 1.0) * 2.0 - 1.0;
                for c in 0..source.channels {
                    let v = &mut self.pixels[c * plane + row * side + col];
                    *v = v.max(ink);
                }
            }
        }
        self.origin = "drawn".into();
        self.version += 1;
    }
}

fn image_of(samples: &Samples) -> egui::ColorImage {
    samples_image(samples, Some(samples.count().max(1)))
}

/// The pad (draw with the pointer), the direction, the file and clear buttons, and the
/// translation there and back.
pub fn own_image_ui(
    ui: &mut egui::Ui,
    own: &mut OwnImage,
    domains: &[DomainInfo],
    strips: Option<&Samples>,
    actions: &mut Vec<Action>,
) {
    let [a, b] = domains else {
        return;
    };
    ui.horizontal_wrapped(|ui| {
        ui.strong("Your own image");
        let before = own.a_to_b;
        ui.selectable_value(&mut own.a_to_b, true, format!("{} -> {}", a.name, b.name));
        ui.selectable_value(&mut own.a_to_b, false, format!("{} -> {}", b.name, a.name));
        if own.a_to_b != before {
            // Another source domain: its own shape, so start again.
            own.pixels.clear();
            own.result = None;
            own.version += 1;
        }
        if ui
            .button("Open image…")
            .on_hover_text("Translate a PNG/JPEG of your own (also: drop a file on the window)")
            .clicked()
        {
            actions.push(Action::File(crate::gui::files::FileJob::OpenImage));
        }
        let source = if own.a_to_b { a } else { b };
        if ui
            .button("Clear pad")
            .on_hover_text("Start a blank drawing")
            .clicked()
        {
            own.blank(source);
        }
    });
    let source = if own.a_to_b { a } else { b };
    if own.pixels.len() != source.len() {
        let Some(strips) = strips else {
            ui.label("Waiting for the first translations…");
            return;
        };
        let row = if own.a_to_b { 0 } else { 3 };
        if !own.start_from(strips, row, source) {
            own.blank(source);
        }
    }
    ui.horizontal(|ui| {
        pad_ui(ui, own, source);
        ui.vertical(|ui| results_ui(ui, own, a, b));
    });
}

fn pad_ui(ui: &mut egui::Ui, own: &mut OwnImage, source: &DomainInfo) {
    let size = PAD_MAX.min(ui.available_height().max(96.0));
    let (rect, response) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::drag());
    if let Some(pos) = response.interact_pointer_pos()
        && (response.dragged() || response.drag_started())
    {
        let cell = size / source.side as f32;
        let (x, y) = ((pos.x - rect.min.x) / cell, (pos.y - rect.min.y) / cell);
        own.paint(source, x, y, source.side as f32 / 18.0);
    }
    let stale = own
        .pad_texture
        .as_ref()
        .is_none_or(|(v, _)| *v != own.version);
    if stale {
        let samples = Samples {
            values: own.pixels.clone(),
            len: source.len(),
            channels: source.channels,
            side: source.side,
            classes: Vec::new(),
        };
        let tex =
            ui.ctx()
                .load_texture("own-pad", image_of(&samples), egui::TextureOptions::NEAREST);
        own.pad_texture = Some((own.version, tex));
    }
    if let Some((_, tex)) = &own.pad_texture {
        egui::Image::new(tex)
            .fit_to_exact_size(rect.size())
            .paint_at(ui, rect);
    }
    ui.painter().rect_stroke(
        rect,
        0.0,
        ui.visuals().widgets.inactive.bg_stroke,
        egui::StrokeKind::Outside,
    );
    response.on_hover_text(format!(
        "Draw an image of {} here ({}×{} pixels)",
        source.name, source.side, source.side
    ));
}

fn results_ui(ui: &mut egui::Ui, own: &mut OwnImage, a: &DomainInfo, b: &DomainInfo) {
    let Some((shown, id)) = &own.result else {
        ui.label("Draw, open or drop an image: its translation appears here.");
        return;
    };
    let (from, to) = if own.a_to_b { (a, b) } else { (b, a) };
    if own
        .textures
        .as_ref()
        .is_none_or(|(v, _)| *v != own.received)
    {
        let ctx = ui.ctx().clone();
        let tex = |i: usize, name: &str| {
            ctx.load_texture(name, image_of(&shown[i]), egui::TextureOptions::NEAREST)
        };
        own.textures = Some((
            own.received,
            [tex(0, "own-in"), tex(1, "own-fwd"), tex(2, "own-back")],
        ));
    }
    let Some((_, textures)) = &own.textures else {
        return;
    };
    let size = (ui.available_height() / 1.3).clamp(64.0, 160.0);
    ui.horizontal(|ui| {
        let labels = [
            format!("{} ({})", from.name, own.origin),
            format!("-> {}", to.name),
            format!("-> back to {}", from.name),
        ];
        for (tex, label) in textures.iter().zip(labels) {
            ui.vertical(|ui| {
                ui.add(egui::Image::new(tex).fit_to_exact_size(egui::vec2(size, size)));
                ui.label(label);
            });
        }
    });
    if *id != own.version {
        ui.weak("(translating the newest change…)");
    }
}
