//! 2D point distributions: Gaussian mixtures with known modes (ring, grid, clusters) for the
//! mode-collapse metrics, continuous shapes (spiral, moons, line), and a user's CSV of points.

use std::path::Path;

use super::DataError;
use crate::engine::rng::Rng;

/// A mixture of isotropic Gaussians of equal weight: the ground truth the mode metrics use.
#[derive(Clone, Debug, PartialEq)]
pub struct Mixture {
    /// Mode centres.
    pub means: Vec<[f32; 2]>,
    /// Standard deviation of every component.
    pub std: f32,
}

impl Mixture {
    /// `modes` Gaussians evenly spaced on a circle. The angles are 2πk/modes for k < modes: the
    /// classic `linspace(0, 2π, modes)` puts the first and last mode on the same point.
    pub fn ring(modes: usize, radius: f32, std: f32) -> Self {
        let means = (0..modes)
            .map(|k| {
                let a = std::f32::consts::TAU * k as f32 / modes as f32;
                [radius * a.cos(), radius * a.sin()]
            })
            .collect();
        Self { means, std }
    }

    /// `side`×`side` Gaussians on a grid centred on the origin, `spacing` apart.
    pub fn grid(side: usize, spacing: f32, std: f32) -> Self {
        let half = (side as f32 - 1.0) / 2.0;
        let coord = |i: usize| (i as f32 - half) * spacing;
        let means = (0..side)
            .flat_map(|i| (0..side).map(move |j| [coord(i), coord(j)]))
            .collect();
        Self { means, std }
    }

    /// `count` Gaussians at random places in [-2, 2]², fixed by `layout_seed`.
    pub fn clusters(count: usize, std: f32, layout_seed: u64) -> Self {
        let mut rng = Rng::seeded(layout_seed);
        let means = (0..count)
            .map(|_| {
                [
                    rng.uniform_in(-2.0, 2.0) as f32,
                    rng.uniform_in(-2.0, 2.0) as f32,
                ]
            })
            .collect();
        Self { means, std }
    }

    fn sample(&self, rng: &mut Rng) -> [f32; 2] {
        let m = self.means[rng.below(self.means.len())];
        [
            m[0] + self.std * rng.normal() as f32,
            m[1] + self.std * rng.normal() as f32,
        ]
    }
}

/// How points are drawn.
#[derive(Clone, Debug, PartialEq)]
pub enum PointSource {
    Mixture(Mixture),
    Spiral {
        turns: f32,
        noise: f32,
    },
    Moons {
        noise: f32,
    },
    Line {
        noise: f32,
    },
    /// A finite set (CSV, or drawn by hand): sampled uniformly with replacement.
    Fixed(Vec<[f32; 2]>),
}

/// A 2D distribution that yields batches of points.
#[derive(Clone, Debug, PartialEq)]
pub struct PointSet {
    pub source: PointSource,
}

impl PointSet {
    /// The known modes, when the distribution is a mixture.
    pub fn mixture(&self) -> Option<&Mixture> {
        match &self.source {
            PointSource::Mixture(m) => Some(m),
            _ => None,
        }
    }

    /// One point.
    pub fn sample(&self, rng: &mut Rng) -> [f32; 2] {
        let jitter = |rng: &mut Rng, s: f32| s * rng.normal() as f32;
        match &self.source {
            PointSource::Mixture(m) => m.sample(rng),
            PointSource::Spiral { turns, noise } => {
                let t = rng.uniform().sqrt() as f32;
                let a = t * turns * std::f32::consts::TAU;
                let arm = if rng.below(2) == 0 { 1.0 } else { -1.0 };
                [
                    arm * 2.0 * t * a.cos() + jitter(rng, *noise),
                    arm * 2.0 * t * a.sin() + jitter(rng, *noise),
                ]
            }
            PointSource::Moons { noise } => {
                let a = rng.uniform() as f32 * std::f32::consts::PI;
                let (x, y) = if rng.below(2) == 0 {
                    (a.cos(), a.sin())
                } else {
                    (1.0 - a.cos(), 0.5 - a.sin())
                };
                [
                    x - 0.5 + jitter(rng, *noise),
                    y - 0.25 + jitter(rng, *noise),
                ]
            }
            PointSource::Line { noise } => {
                let t = rng.uniform_in(-1.0, 1.0) as f32;
                [t + jitter(rng, *noise), t + jitter(rng, *noise)]
            }
            PointSource::Fixed(points) => points[rng.below(points.len())],
        }
    }

    /// `n` points, flattened as x0, y0, x1, y1, …
    pub fn sample_flat(&self, rng: &mut Rng, n: usize) -> Vec<f32> {
        (0..n).flat_map(|_| self.sample(rng)).collect()
    }
}

/// Reads `x,y` rows; a first line that does not parse is taken as a header. Blank lines and
/// lines starting with `#` are ignored.
pub fn read_csv_points(path: &Path) -> Result<Vec<[f32; 2]>, DataError> {
    let io = |source| DataError::Io {
        path: path.to_path_buf(),
        cause: source,
    };
    // A million points (the most a drawing holds) take ~30 MB as text.
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_CSV_BYTES {
        return Err(DataError::TooLarge {
            path: path.to_path_buf(),
            message: format!(
                "{len} bytes; a CSV of points may have at most {} MiB",
                MAX_CSV_BYTES >> 20
            ),
        });
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    parse_csv_points(&text).map_err(|message| DataError::Malformed {
        path: path.to_path_buf(),
        message,
    })
}

/// The largest CSV of points read (256 MiB: millions of rows).
pub const MAX_CSV_BYTES: u64 = 256 << 20;

/// The largest coordinate a point may have: the models and the 2D view work on values of
/// order one; beyond this, arithmetic on them overflows long before training means anything.
pub const MAX_COORDINATE: f32 = 1e6;

/// Whether a coordinate is finite and within ±[`MAX_COORDINATE`].
pub fn in_range(v: f32) -> bool {
    v.is_finite() && v.abs() <= MAX_COORDINATE
}

/// The parser behind [`read_csv_points`], on text.
pub fn parse_csv_points(text: &str) -> Result<Vec<[f32; 2]>, String> {
    let mut points = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split([',', ';', '\t']).map(str::trim).collect();
        let parsed = match fields.as_slice() {
            [x, y, ..] => x.parse::<f32>().ok().zip(y.parse::<f32>().ok()),
            _ => None,
        };
        match parsed {
            Some((x, y)) if !(in_range(x) && in_range(y)) => {
                return Err(format!(
                    "line {}: `{line}`: coordinates must be finite and within ±{MAX_COORDINATE:e} \
                     (scale the points down)",
                    index + 1
                ));
            }
            Some((x, y)) => points.push([x, y]),
            _ if points.is_empty() && index == 0 => {} // a header line
            _ => {
                return Err(format!(
                    "line {}: expected two numbers `x,y`, found `{line}`",
                    index + 1
                ));
            }
        }
    }
    if points.is_empty() {
        return Err("no points found (expected rows of `x,y`)".to_string());
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_has_distinct_modes_on_the_circle() {
        let ring = Mixture::ring(8, 1.0, 0.01);
        assert_eq!(ring.means.len(), 8);
        for (i, a) in ring.means.iter().enumerate() {
            assert!(((a[0] * a[0] + a[1] * a[1]).sqrt() - 1.0).abs() < 1e-6);
            for b in &ring.means[i + 1..] {
                let d = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
                assert!(d > 0.7, "two modes {d} apart: the linspace bug");
            }
        }
    }

    #[test]
    fn grid_matches_pacgan_layout() {
        let grid = Mixture::grid(5, 2.0, 0.05);
        assert_eq!(grid.means.len(), 25);
        assert_eq!(grid.means[0], [-4.0, -4.0]);
        assert_eq!(grid.means[24], [4.0, 4.0]);
        assert!(grid.means.contains(&[0.0, 2.0]));
    }

    #[test]
    fn csv_accepts_header_and_rejects_bad_rows() {
        let ok = parse_csv_points("x,y\n1,2\n\n# c\n3.5, -1\n").expect("valid csv");
        assert_eq!(ok, vec![[1.0, 2.0], [3.5, -1.0]]);
        let bad = parse_csv_points("1,2\n3,oops\n").expect_err("bad row");
        assert!(bad.contains("line 2"), "{bad}");
        assert!(parse_csv_points("x,y\n").is_err());
    }
}
