//! The StyleGAN window's studio: what the user set (sources, the layers that take B's styles,
//! truncation ψ, noise per layer, per-layer style blends of the focus image, moves along the
//! principal directions of w) as one request to the trainer, sent again when a setting
//! changes or the run moved on; and the answer's images as textures.

use std::ops::Range;
use std::time::{Duration, Instant};

use eframe::egui;

use crate::engine::stylegan::directions::DIRECTIONS;
use crate::engine::stylegan::studio::{StyleAnswer, StyleRequest};
use crate::engine::trainer::protocol::RunSetup;
use crate::gui::panels::samples_image;
use crate::gui::view::RunView;

/// While training, the studio's images follow the generator at most this often.
const REFRESH_WHILE_TRAINING: Duration = Duration::from_millis(1000);

/// The studio's settings and its latest answer.
pub struct Studio {
    pub sources: usize,
    pub a_seed: u64,
    pub b_seed: u64,
    /// The w indices that take B's styles in the mixing grid.
    pub mix: Range<usize>,
    pub psi: f32,
    /// Per convolution: noise on.
    pub noise: Vec<bool>,
    pub noise_seed: u64,
    /// The focus image's A row and B column.
    pub focus: (usize, usize),
    /// Per w index: how much of B's w the focus image takes.
    pub blend: Vec<f32>,
    /// Moves along the principal directions, in standard deviations.
    pub edits: Vec<f32>,
    pub edit_layers: Range<usize>,
    /// "Recompute directions" was pressed: the next request asks for it.
    pub recompute: bool,
    next_id: u64,
    /// What was last asked (id aside), at which round, when.
    sent: Option<(StyleRequest, u64, Instant)>,
    pub answer: Option<StyleAnswer>,
    /// The answer's images as textures: grid, focus, variation.
    pub textures: Option<[egui::TextureHandle; 3]>,
}

impl Default for Studio {
    fn default() -> Self {
        Self {
            sources: 4,
            a_seed: 11,
            b_seed: 12,
            mix: 0..0,
            psi: 1.0,
            noise: Vec::new(),
            noise_seed: 1,
            focus: (0, 0),
            blend: Vec::new(),
            edits: vec![0.0; DIRECTIONS],
            edit_layers: 0..0,
            recompute: false,
            next_id: 1,
            sent: None,
            answer: None,
            textures: None,
        }
    }
}

/// The number of styles and of noise inputs of the run `view` shows.
pub fn layer_counts(view: &RunView) -> Option<(usize, usize)> {
    let info = view.info.as_ref()?;
    let RunSetup::Style(preset) = &info.setup else {
        return None;
    };
    let num_ws = preset.stylegan.shape(info.channels).num_ws();
    Some((num_ws, num_ws - 1))
}

impl Studio {
    /// A new run: settings sized to its layers (coarse mix, every noise on), no answer yet.
    pub fn new_run(&mut self, num_ws: usize, convs: usize) {
        let coarse_end = num_ws.min(3);
        *self = Self {
            mix: 0..coarse_end,
            noise: vec![true; convs],
            blend: vec![0.0; num_ws],
            edit_layers: 0..num_ws,
            next_id: self.next_id,
            ..Self::default()
        };
    }

    fn request(&self) -> StyleRequest {
        StyleRequest {
            id: 0,
            sources: self.sources,
            a_seed: self.a_seed,
            b_seed: self.b_seed,
            mix: self.mix.clone(),
            psi: self.psi,
            noise: self.noise.clone(),
            noise_seed: self.noise_seed,
            focus: self.focus,
            blend: self.blend.clone(),
            edits: self.edits.clone(),
            edit_layers: self.edit_layers.clone(),
            recompute_directions: self.recompute,
        }
    }

    /// The request to send now, if any: a setting changed, or the run moved on (at most
    /// once a second while training, so that the studio never slows training down much).
    pub fn wanted(&mut self, view: &RunView) -> Option<StyleRequest> {
        let (num_ws, convs) = layer_counts(view)?;
        if self.blend.len() != num_ws || self.noise.len() != convs {
            self.new_run(num_ws, convs);
        }
        let request = self.request();
        let due = match &self.sent {
            None => true,
            Some((last, _, _)) if *last != request => true,
            Some((_, step, at)) => {
                *step != view.step && (!view.running || at.elapsed() >= REFRESH_WHILE_TRAINING)
            }
        };
        if !due {
            return None;
        }
        self.sent = Some((request.clone(), view.step, Instant::now()));
        self.recompute = false;
        let id = self.next_id;
        self.next_id += 1;
        Some(StyleRequest { id, ..request })
    }

    /// An answer from the trainer: kept with its textures unless a newer request is out.
    pub fn receive(&mut self, answer: StyleAnswer, ctx: &egui::Context) {
        if answer.id + 1 < self.next_id && self.answer.is_some() {
            // An older request's answer; the newer one is on its way.
            return;
        }
        let options = egui::TextureOptions::NEAREST;
        // (sources + 1)² cells: the default square layout is the grid's.
        let grid = ctx.load_texture("style-grid", samples_image(&answer.grid, None), options);
        let focus = ctx.load_texture("style-focus", samples_image(&answer.focus, None), options);
        let strip = Some(answer.variation.count());
        let variation = ctx.load_texture(
            "style-variation",
            samples_image(&answer.variation, strip),
            options,
        );
        self.textures = Some([grid, focus, variation]);
        self.answer = Some(answer);
    }

    /// Forgets what was sent, so that the next frame asks again (a new run, a loaded one).
    pub fn refresh(&mut self) {
        self.sent = None;
    }
}
