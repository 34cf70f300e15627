//! The StyleGAN window's studio, engine side: one plain-data request (sources, which layers
//! take B's styles, truncation ψ, noise per layer, per-layer style blends, moves along the
//! principal directions) answered with plain images from the EMA generator: the mixing grid,
//! the focus image, and the focus image under several noise draws with their per-pixel
//! spread (what the noise inputs decide: the stochastic detail).

use std::ops::Range;

use burn::tensor::{Tensor, TensorData};

use super::directions::Directions;
use super::generator::truncate;
use super::layers::Noise;
use super::run::StyleRun;
use crate::engine::rng::Rng;
use crate::engine::trainer::protocol::Samples;

/// Noise draws of the focus image in the stochastic-variation strip.
pub const NOISE_DRAWS: usize = 6;

/// What the studio asks the trainer for.
#[derive(Clone, Debug, PartialEq)]
pub struct StyleRequest {
    /// Echoed in the answer.
    pub id: u64,
    /// Rows (A) and columns (B) of the mixing grid.
    pub sources: usize,
    pub a_seed: u64,
    pub b_seed: u64,
    /// The w indices that take B's styles in the mixing grid.
    pub mix: Range<usize>,
    /// Truncation around the running mean of w (1: none; 0: the mean image).
    pub psi: f32,
    /// Per convolution: its noise input on (true) or off.
    pub noise: Vec<bool>,
    pub noise_seed: u64,
    /// The focus image's sources: A row, B column.
    pub focus: (usize, usize),
    /// Per w index, how much of B's w the focus image takes there (0: A's, 1: B's).
    pub blend: Vec<f32>,
    /// Moves along the principal directions, in standard deviations (one per direction).
    pub edits: Vec<f32>,
    /// The w indices the moves apply to.
    pub edit_layers: Range<usize>,
    /// Compute the principal directions again from the generator as it is now.
    pub recompute_directions: bool,
}

/// The principal directions as the window shows them.
#[derive(Clone, Debug, PartialEq)]
pub struct DirectionsSummary {
    /// The round they were computed at.
    pub step: u64,
    /// Each one's share of w's variance.
    pub explained: Vec<f32>,
}

/// The studio's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct StyleAnswer {
    pub id: u64,
    /// The round it was drawn at.
    pub step: u64,
    /// (sources + 1)² cells, row-major: a blank corner, the B sources, then per row its A
    /// source and the mixes (B's styles at `mix`, A's elsewhere).
    pub grid: Samples,
    /// The focus image (per-layer blends and direction moves applied).
    pub focus: Samples,
    /// The focus image under [`NOISE_DRAWS`] noise draws, then their per-pixel standard
    /// deviation (scaled so that 0 is black and 0.5 or more white).
    pub variation: Samples,
    pub directions: Option<DirectionsSummary>,
    /// The output side each w index acts at, and each convolution's (its noise's) side.
    pub w_sides: Vec<usize>,
    pub conv_sides: Vec<usize>,
}

/// Why a request cannot be drawn.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum StudioError {
    #[error("the mixing grid needs 1 to 8 sources, not {0}")]
    Sources(usize),
    #[error("layers {start}..{end} are not within this generator's {num_ws} styles")]
    Layers {
        start: usize,
        end: usize,
        num_ws: usize,
    },
}

impl StyleRun {
    /// Answers `request` (directions: the last ones computed, updated here when asked or
    /// when there are none yet and moves are asked for).
    pub fn studio(
        &self,
        request: &StyleRequest,
        directions: &mut Option<Directions>,
    ) -> Result<StyleAnswer, StudioError> {
        let num_ws = self.shape.num_ws();
        let n = request.sources;
        if !(1..=8).contains(&n) {
            return Err(StudioError::Sources(n));
        }
        for range in [&request.mix, &request.edit_layers] {
            if range.start > range.end || range.end > num_ws {
                return Err(StudioError::Layers {
                    start: range.start,
                    end: range.end,
                    num_ws,
                });
            }
        }
        let wants_moves = request.edits.iter().any(|&e| e != 0.0);
        if request.recompute_directions || (directions.is_none() && wants_moves) {
            *directions = Some(self.directions());
        }
        let a = self.ws_of(request.a_seed, n, request.psi);
        let b = self.ws_of(request.b_seed, n, request.psi);
        let grid = self.mixing_cells(&a, &b, request);
        let focus_ws = self.focus_ws(&a, &b, request, directions.as_ref());
        let focus = self.draw_rows(&focus_ws, &self.noise_of(request, request.noise_seed, 1));
        let variation = self.variation(&focus_ws, request);
        Ok(StyleAnswer {
            id: request.id,
            step: self.step,
            grid: self.samples(grid),
            focus: self.samples(focus),
            variation: self.samples(variation),
            directions: directions.as_ref().map(|d| DirectionsSummary {
                step: d.step,
                explained: d.explained.clone(),
            }),
            w_sides: (0..num_ws).map(|i| self.shape.resolution_of_w(i)).collect(),
            conv_sides: (0..self.ema.synthesis.convs.len())
                .map(|j| self.shape.resolution_of_conv(j))
                .collect(),
        })
    }

    fn samples(&self, values: Vec<f32>) -> Samples {
        Samples {
            values,
            len: self.images.image_len(),
            channels: self.images.channels,
            side: self.shape.resolution,
            classes: Vec::new(),
        }
    }

    /// `n` truncated w [n, w_dim] as rows of values.
    fn ws_of(&self, seed: u64, n: usize, psi: f32) -> Vec<Vec<f32>> {
        let z_dim = self.shape.z_dim;
        let z = Tensor::from_data(
            TensorData::new(Rng::seeded(seed).normals(n * z_dim), [n, z_dim]),
            &self.w_avg_tensor().device(),
        );
        let w: Vec<f32> = truncate(self.ema.mapping.forward(z), self.w_avg_tensor(), psi)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        w.chunks_exact(self.shape.w_dim)
            .map(<[f32]>::to_vec)
            .collect()
    }

    /// The noise of `count` images: per convolution, drawn from `seed` when on, else off.
    fn noise_of(&self, request: &StyleRequest, seed: u64, count: usize) -> Vec<Noise> {
        let mut rng = Rng::seeded(seed);
        let device = self.w_avg_tensor().device();
        (0..self.ema.synthesis.convs.len())
            .map(|j| {
                let side = self.shape.resolution_of_conv(j);
                let values = rng.normals(count * side * side);
                if request.noise.get(j).copied().unwrap_or(true) {
                    Noise::Given(Box::new(Tensor::from_data(
                        TensorData::new(values, [count, 1, side, side]),
                        &device,
                    )))
                } else {
                    Noise::Off
                }
            })
            .collect()
    }

    /// Images for per-image, per-layer w: `ws[i][k]` is image i's w at layer k.
    fn draw_rows(&self, ws: &[Vec<Vec<f32>>], noise: &[Noise]) -> Vec<f32> {
        let count = ws.len();
        let dim = self.shape.w_dim;
        let device = self.w_avg_tensor().device();
        let per_layer: Vec<Tensor<2>> = (0..self.shape.num_ws())
            .map(|k| {
                let values: Vec<f32> = ws.iter().flat_map(|image| image[k].clone()).collect();
                Tensor::from_data(TensorData::new(values, [count, dim]), &device)
            })
            .collect();
        self.ema
            .synthesis
            .forward(&per_layer, noise)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap_or_default()
    }

    fn mixing_cells(&self, a: &[Vec<f32>], b: &[Vec<f32>], request: &StyleRequest) -> Vec<f32> {
        let n = a.len();
        let num_ws = self.shape.num_ws();
        let plain = |w: &Vec<f32>| vec![w.clone(); num_ws];
        let mut images: Vec<Vec<Vec<f32>>> = b.iter().map(plain).collect();
        for wa in a {
            images.push(plain(wa));
            for wb in b {
                images.push(
                    (0..num_ws)
                        .map(|k| {
                            if request.mix.contains(&k) {
                                wb.clone()
                            } else {
                                wa.clone()
                            }
                        })
                        .collect(),
                );
            }
        }
        // One noise draw shared by every cell, so that only the styles differ between them.
        let noise = self.noise_of(request, request.noise_seed, 1);
        let noise: Vec<Noise> = noise
            .into_iter()
            .map(|layer| match layer {
                Noise::Given(t) => Noise::Given(Box::new(t.repeat_dim(0, images.len()))),
                Noise::Off => Noise::Off,
            })
            .collect();
        let drawn = self.draw_rows(&images, &noise);
        let len = self.images.image_len();
        let mut out = vec![-1.0; len];
        for row in 0..=n {
            let first = if row == 0 { 0 } else { n + (row - 1) * (n + 1) };
            let cells = if row == 0 { n } else { n + 1 };
            out.extend_from_slice(&drawn[first * len..(first + cells) * len]);
        }
        out
    }

    fn focus_ws(
        &self,
        a: &[Vec<f32>],
        b: &[Vec<f32>],
        request: &StyleRequest,
        directions: Option<&Directions>,
    ) -> Vec<Vec<Vec<f32>>> {
        let wa = &a[request.focus.0.min(a.len() - 1)];
        let wb = &b[request.focus.1.min(b.len() - 1)];
        let layers = (0..self.shape.num_ws())
            .map(|k| {
                let t = request.blend.get(k).copied().unwrap_or(0.0).clamp(0.0, 1.0);
                let mut w: Vec<f32> = wa.iter().zip(wb).map(|(x, y)| x + t * (y - x)).collect();
                if let Some(d) = directions
                    && request.edit_layers.contains(&k)
                {
                    d.apply(&mut w, &request.edits);
                }
                w
            })
            .collect();
        vec![layers]
    }

    /// The focus image under several noise draws, then their per-pixel standard deviation.
    fn variation(&self, focus: &[Vec<Vec<f32>>], request: &StyleRequest) -> Vec<f32> {
        let repeated = vec![focus[0].clone(); NOISE_DRAWS];
        let noise = self.noise_of(request, request.noise_seed.wrapping_add(1), NOISE_DRAWS);
        let mut drawn = self.draw_rows(&repeated, &noise);
        let len = self.images.image_len();
        let spread: Vec<f32> = (0..len)
            .map(|p| {
                let v: Vec<f32> = (0..NOISE_DRAWS).map(|i| drawn[i * len + p]).collect();
                let mean = v.iter().sum::<f32>() / v.len() as f32;
                let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / v.len() as f32;
                (var.sqrt() * 4.0 - 1.0).min(1.0)
            })
            .collect();
        drawn.extend(spread);
        drawn
    }
}

#[cfg(test)]
#[path = "studio_tests.rs"]
mod tests;
