//! What the 2D view draws besides the points: D's decision over the plane, the direction D's
//! gradient pushes each generated point (where G will move it), and G's manifold (a grid of
//! latent vectors mapped through G). All computed between steps, on request.

use burn::module::Module;
use burn::tensor::activation::sigmoid;

use super::protocol::PlaneBounds;
use super::session::Session;
use super::tensors::{matrix, read};
use crate::engine::config::Objective;
use crate::engine::nn::layers::Pass;

/// Latent grid points per side of the manifold mesh.
pub const MANIFOLD_SIDE: usize = 21;
/// The manifold grid spans ±this many standard deviations of the two first latent coordinates.
const MANIFOLD_SPAN: f32 = 2.5;

impl Session {
    /// D's output (a probability for the cross-entropy objectives, else the raw score) on a
    /// `resolution`² grid over `bounds`, rows from top (y = max) to bottom. With packing, D
    /// sees each point repeated `pack` times.
    pub fn d_field(&self, resolution: usize, bounds: PlaneBounds) -> Result<Vec<f32>, String> {
        if self.shape.len != 2 {
            return Err("D's field can only be drawn for 2D data".into());
        }
        if !((2..=256).contains(&resolution) && bounds.is_valid()) {
            return Err(format!(
                "bad field request: {resolution} px over {bounds:?}"
            ));
        }
        let device = &self.backend.device;
        let pack = self.config.tricks.pack;
        let at = |i: usize, axis: usize| {
            let t = i as f32 / (resolution - 1) as f32;
            bounds.min[axis] + t * (bounds.max[axis] - bounds.min[axis])
        };
        let mut values = Vec::with_capacity(resolution * resolution * 2 * pack);
        for row in 0..resolution {
            for col in 0..resolution {
                for _ in 0..pack {
                    values.extend([at(col, 0), at(resolution - 1 - row, 1)]);
                }
            }
        }
        let n = resolution * resolution;
        let x = matrix(values, n, 2 * pack, device);
        let d = self.state.d.valid();
        let pass = Pass::eval(self.config.tricks.spectral_norm);
        let logits = d.forward(x, None, &pass);
        let out = match self.config.objective {
            Objective::Minimax | Objective::NonSaturating => sigmoid(logits),
            _ => logits,
        };
        Ok(read(out))
    }

    /// D's gradient with respect to each 2D point (x, y pairs): G's loss falls along it for
    /// every objective, so it is the way G will push a generated point. With packing, the
    /// gradient of a point repeated `pack` times, summed over the copies.
    pub fn d_gradients(&self, points: &[f32]) -> Result<Vec<f32>, String> {
        if self.shape.len != 2 {
            return Err("gradient arrows need 2D data".into());
        }
        let n = points.len() / 2;
        if n == 0 {
            return Ok(Vec::new());
        }
        let pack = self.config.tricks.pack;
        let values: Vec<f32> = points
            .chunks_exact(2)
            .flat_map(|p| std::iter::repeat_n([p[0], p[1]], pack).flatten())
            .collect();
        let device = &self.backend.device;
        let x = matrix(values, n, 2 * pack, device);
        let pass = Pass::eval(self.config.tricks.spectral_norm);
        let (_, grad) = self.state.d.valid().forward_with_input_grad(x, None, &pass);
        let grad = read(grad);
        Ok(grad
            .chunks_exact(2 * pack)
            .flat_map(|g| {
                let (mut dx, mut dy) = (0.0, 0.0);
                for c in g.chunks_exact(2) {
                    dx += c[0];
                    dy += c[1];
                }
                [dx, dy]
            })
            .collect())
    }

    /// D's raw output (logit or critic score) at one 2D point.
    pub fn d_value(&self, x: f32, y: f32) -> f32 {
        let pack = self.config.tricks.pack;
        let values: Vec<f32> = std::iter::repeat_n([x, y], pack).flatten().collect();
        let input = matrix(values, 1, 2 * pack, &self.backend.device);
        let pass = Pass::eval(self.config.tricks.spectral_norm);
        read(self.state.d.valid().forward(input, None, &pass))
            .first()
            .copied()
            .unwrap_or(f32::NAN)
    }

    /// G's outputs on a [`MANIFOLD_SIDE`]² grid over the first two latent coordinates (the
    /// others 0), row by row: drawn as a mesh, it shows how G folds the latent plane.
    pub fn manifold(&self) -> Vec<f32> {
        let latent = self.config.model.latent_dim;
        let side = MANIFOLD_SIDE;
        let coord = |i: usize| MANIFOLD_SPAN * (2.0 * i as f32 / (side - 1) as f32 - 1.0);
        let mut z = vec![0.0f32; side * side * latent];
        for row in 0..side {
            for col in 0..side {
                let v = &mut z[(row * side + col) * latent..][..latent];
                v[0] = coord(col);
                if latent > 1 {
                    v[1] = coord(row);
                }
            }
        }
        let classes = vec![0; side * side];
        self.generate(&z, &classes).values
    }
}
