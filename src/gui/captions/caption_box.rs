//! The text-to-image window's caption box: what the user typed (a caption, and a second one
//! to interpolate towards), read at once on this side (which words were understood, which
//! were not) and sent to the trainer when it can be drawn; sent again when the run moved on;
//! the answer's images as textures, with how long the answer took.

use std::time::{Duration, Instant};

use eframe::egui;

use crate::engine::captions::ask::{CaptionAnswer, CaptionRequest};
use crate::engine::captions::vocab::{self, CaptionError, Parsed};
use crate::gui::panels::samples_image;
use crate::gui::view::RunView;

/// While training, the box's images follow the generator at most this often.
const REFRESH_WHILE_TRAINING: Duration = Duration::from_millis(1000);

/// What was last asked, less its id.
#[derive(Clone, Debug, PartialEq)]
struct Asked {
    text: String,
    towards: Option<String>,
    n: usize,
    seed: u64,
    steps: usize,
}

/// The caption box's settings and its latest answer.
pub struct CaptionBox {
    pub text: String,
    /// The caption to interpolate towards (empty: no interpolation).
    pub towards: String,
    /// Samples of the caption.
    pub n: usize,
    /// The latents' seed ("Other samples" moves it).
    pub seed: u64,
    /// Images on the way from one caption to the other.
    pub steps: usize,
    next_id: u64,
    /// What was last asked, at which round, when.
    sent: Option<(Asked, u64, Instant)>,
    pub answer: Option<CaptionAnswer>,
    /// The samples and the interpolation as textures.
    pub textures: Option<(egui::TextureHandle, Option<egui::TextureHandle>)>,
    /// From the frame a request was sent to the frame its answer arrived.
    pub latency: Option<Duration>,
}

impl Default for CaptionBox {
    fn default() -> Self {
        Self {
            text: "a large 3 in the centre".into(),
            towards: String::new(),
            n: 8,
            seed: 1,
            steps: 8,
            next_id: 1,
            sent: None,
            answer: None,
            textures: None,
            latency: None,
        }
    }
}

impl CaptionBox {
    /// How the box's caption reads now.
    pub fn parsed(&self) -> Result<Parsed, CaptionError> {
        vocab::parse(&self.text)
    }

    /// How the second caption reads (None while it is empty).
    pub fn towards_parsed(&self) -> Option<Result<Parsed, CaptionError>> {
        (!self.towards.trim().is_empty()).then(|| vocab::parse(&self.towards))
    }

    fn asked(&self) -> Option<Asked> {
        self.parsed().ok()?;
        let towards = match self.towards_parsed() {
            Some(Ok(_)) => Some(self.towards.clone()),
            _ => None,
        };
        Some(Asked {
            text: self.text.clone(),
            towards,
            n: self.n,
            seed: self.seed,
            steps: self.steps,
        })
    }

    /// The request to send now, if any: the caption (or a setting) changed and can be
    /// drawn, or the run moved on (at most once a second while training).
    pub fn wanted(&mut self, view: &RunView) -> Option<CaptionRequest> {
        view.info.as_ref()?;
        let asked = self.asked()?;
        let due = match &self.sent {
            None => true,
            Some((last, _, _)) if *last != asked => true,
            Some((_, step, at)) => {
                *step != view.step && (!view.running || at.elapsed() >= REFRESH_WHILE_TRAINING)
            }
        };
        if !due {
            return None;
        }
        self.sent = Some((asked.clone(), view.step, Instant::now()));
        let id = self.next_id;
        self.next_id += 1;
        Some(CaptionRequest {
            id,
            text: asked.text,
            n: asked.n,
            seed: asked.seed,
            towards: asked.towards,
            steps: asked.steps,
        })
    }

    /// An answer from the trainer: kept with its textures unless a newer request is out.
    pub fn receive(&mut self, answer: CaptionAnswer, ctx: &egui::Context) {
        let newest = answer.id + 1 == self.next_id;
        if !newest && self.answer.is_some() {
            // An older request's answer; the newer one is on its way.
            return;
        }
        if newest && let Some((_, _, at)) = &self.sent {
            self.latency = Some(at.elapsed());
        }
        let options = egui::TextureOptions::LINEAR;
        let columns = Some(answer.samples.count().min(4));
        let samples = ctx.load_texture(
            "caption-samples",
            samples_image(&answer.samples, columns),
            options,
        );
        let between = answer.between.as_ref().map(|b| {
            let strip = Some(b.count());
            ctx.load_texture("caption-between", samples_image(b, strip), options)
        });
        self.textures = Some((samples, between));
        self.answer = Some(answer);
    }

    /// Forgets what was sent, so that the next frame asks again (a new run, a loaded one).
    pub fn refresh(&mut self) {
        self.sent = None;
    }
}
