//! What a window or a script asks of a text-to-image run between updates: samples of a typed
//! caption, the way from one caption to another, and the fixed showcase of captions whose
//! samples are drawn again as training goes (the window's grid, `train`'s samples.png).

use super::grammar::SceneSpec;
use super::render::SIDE;
use super::run::{CaptionRun, interpolate};
use super::vocab::{self, CaptionError};
use crate::engine::trainer::protocol::Samples;

/// The most samples one request draws, and the most images an interpolation has.
pub const MAX_SAMPLES: usize = 64;
pub const MAX_STEPS: usize = 16;
/// Showcase captions: the first of the training scenes and of the held-out ones.
const SHOWCASE_SEEN: usize = 4;
const SHOWCASE_HELD_OUT: usize = 4;

/// A caption to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct CaptionRequest {
    /// Echoed in the answer, so the driver can match it.
    pub id: u64,
    /// The sentence as typed.
    pub text: String,
    /// Samples of it (1 to [`MAX_SAMPLES`]).
    pub n: usize,
    /// The latents' seed: the same seed draws the same z, so a new caption or a newer
    /// generator can be compared image for image.
    pub seed: u64,
    /// A second sentence: also draw the way from `text` to it, in `steps` images.
    pub towards: Option<String>,
    pub steps: usize,
}

/// The answer to a [`CaptionRequest`].
#[derive(Clone, Debug, PartialEq)]
pub struct CaptionAnswer {
    pub id: u64,
    /// The rounds the generator had when it drew these.
    pub step: u64,
    /// What was read of the caption (and of the second one).
    pub read: String,
    pub towards_read: Option<String>,
    pub samples: Samples,
    /// The interpolation, when one was asked for.
    pub between: Option<Samples>,
}

fn images(values: Vec<f32>) -> Samples {
    Samples {
        values,
        len: SIDE * SIDE,
        channels: 1,
        side: SIDE,
        classes: Vec::new(),
    }
}

impl CaptionRun {
    /// Draws what `request` asks with the EMA generator; a caption with no known word is
    /// refused with the vocabulary.
    pub fn answer(&self, request: &CaptionRequest) -> Result<CaptionAnswer, CaptionError> {
        let parsed = vocab::parse(&request.text)?;
        let towards = request.towards.as_deref().map(vocab::parse).transpose()?;
        let n = request.n.clamp(1, MAX_SAMPLES);
        let samples = self.sample(std::slice::from_ref(&parsed.tokens), n, request.seed);
        let between = towards.as_ref().map(|b| {
            let steps = request.steps.clamp(2, MAX_STEPS);
            let ends = [parsed.tokens.as_slice(), b.tokens.as_slice()];
            images(interpolate(
                &self.ema,
                self.config.z_dim,
                ends,
                steps,
                request.seed,
            ))
        });
        Ok(CaptionAnswer {
            id: request.id,
            step: self.step,
            read: parsed.summary(),
            towards_read: towards.map(|t| t.summary()),
            samples: images(samples),
            between,
        })
    }

    /// The showcase's captions: four of training scenes, then four held-out combinations.
    pub fn showcase(&self) -> Vec<SceneSpec> {
        let mut specs: Vec<SceneSpec> = self
            .train
            .specs
            .iter()
            .take(SHOWCASE_SEEN)
            .copied()
            .collect();
        specs.extend(self.held_out.specs.iter().take(SHOWCASE_HELD_OUT).copied());
        specs
    }

    /// `per` samples of each showcase caption, a row each, on the same latents every time
    /// (so that a history shows the same images change).
    pub fn showcase_grid(&self, per: usize) -> Samples {
        let repeated: Vec<SceneSpec> = self
            .showcase()
            .iter()
            .flat_map(|s| std::iter::repeat_n(*s, per))
            .collect();
        images(self.sample_specs(&repeated, 1))
    }
}

/// What the showcase rows are, for a caption list: "seen" or "held out" beside each.
pub fn showcase_rows(specs: &[SceneSpec]) -> Vec<String> {
    specs
        .iter()
        .map(|s| {
            let split = if s.held_out() { "held out" } else { "seen" };
            format!("{} ({split})", s.caption())
        })
        .collect()
}
