//! Curves for drawing, kept up to date one new point at a time: a run of a million steps is
//! drawn from at most [`MAX_BUCKETS`] buckets, each keeping its lowest and its highest point (a
//! one-step spike stays visible, unlike with a plain stride). A new step costs O(1) amortised;
//! only a change of the drawing settings (smoothing, log scale) rebuilds from the whole data.

/// Buckets kept per curve (two points each): when full, neighbours merge and each bucket
/// covers twice as many steps.
pub const MAX_BUCKETS: usize = 1000;

/// How a value is turned into what is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shaping {
    /// Exponential smoothing factor, 0 (raw) to 0.99.
    pub smoothing: f64,
    /// sign(y)·log10(1 + |y|).
    pub log_scale: bool,
}

/// The extreme points of a stretch of the curve.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Bucket {
    low: [f64; 2],
    high: [f64; 2],
}

impl Bucket {
    fn of(p: [f64; 2]) -> Self {
        Self { low: p, high: p }
    }

    fn absorb(&mut self, other: Bucket) {
        if other.low[1] < self.low[1] {
            self.low = other.low;
        }
        if other.high[1] > self.high[1] {
            self.high = other.high;
        }
    }

    /// Its points in the order of x (one when low and high coincide).
    fn push_points(&self, out: &mut Vec<[f64; 2]>) {
        let (a, b) = if self.low[0] <= self.high[0] {
            (self.low, self.high)
        } else {
            (self.high, self.low)
        };
        out.push(a);
        if b != a {
            out.push(b);
        }
    }
}

/// One curve, shaped and bucketed.
#[derive(Clone, Debug)]
pub struct Curve {
    shaping: Shaping,
    /// Raw points per full bucket (a power of two).
    span: usize,
    full: Vec<Bucket>,
    /// The bucket being filled and how many points it holds.
    open: Option<(Bucket, usize)>,
    /// Smoothed value of the last point.
    smoothed: Option<f64>,
}

impl Curve {
    pub fn new(shaping: Shaping) -> Self {
        Self {
            shaping,
            span: 1,
            full: Vec::new(),
            open: None,
            smoothed: None,
        }
    }

    /// Adds the next point (x increasing); non-finite values are skipped.
    pub fn push(&mut self, x: f64, y: f64) {
        if !y.is_finite() {
            return;
        }
        let alpha = self.shaping.smoothing.clamp(0.0, 0.99);
        let smooth = match self.smoothed {
            Some(a) => alpha * a + (1.0 - alpha) * y,
            None => y,
        };
        self.smoothed = Some(smooth);
        let shown = if self.shaping.log_scale {
            smooth.signum() * smooth.abs().ln_1p() / std::f64::consts::LN_10
        } else {
            smooth
        };
        let point = Bucket::of([x, shown]);
        let (bucket, count) = match self.open.take() {
            Some((mut b, n)) => {
                b.absorb(point);
                (b, n + 1)
            }
            None => (point, 1),
        };
        if count < self.span {
            self.open = Some((bucket, count));
            return;
        }
        self.full.push(bucket);
        if self.full.len() >= MAX_BUCKETS {
            // Halve the resolution: neighbours merge, later buckets take twice the points.
            self.full = self
                .full
                .chunks(2)
                .map(|pair| {
                    let mut b = pair[0];
                    if let Some(&next) = pair.get(1) {
                        b.absorb(next);
                    }
                    b
                })
                .collect();
            self.span *= 2;
        }
    }

    /// The points to draw, in order of x (at most 2 · ([`MAX_BUCKETS`] + 1)).
    pub fn points(&self) -> Vec<[f64; 2]> {
        let mut out = Vec::with_capacity(2 * (self.full.len() + 1));
        for b in &self.full {
            b.push_points(&mut out);
        }
        if let Some((b, _)) = &self.open {
            b.push_points(&mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAW: Shaping = Shaping {
        smoothing: 0.0,
        log_scale: false,
    };

    #[test]
    fn short_curves_are_drawn_whole() {
        let mut c = Curve::new(RAW);
        for i in 0..10 {
            c.push(i as f64, (i * i) as f64);
        }
        c.push(10.0, f64::NAN);
        let want: Vec<[f64; 2]> = (0..10).map(|i| [i as f64, (i * i) as f64]).collect();
        assert_eq!(c.points(), want);
    }

    #[test]
    fn a_million_points_stay_bounded_ordered_and_keep_a_spike() {
        let mut c = Curve::new(RAW);
        for i in 0..1_000_000u64 {
            let y = if i == 654_321 { 100.0 } else { (i % 7) as f64 };
            c.push(i as f64, y);
        }
        let p = c.points();
        assert!(p.len() <= 2 * (MAX_BUCKETS + 1), "{} points", p.len());
        assert!(p.len() >= MAX_BUCKETS / 2, "{} points", p.len());
        assert!(p.windows(2).all(|w| w[0][0] < w[1][0]), "x must increase");
        assert!(p.contains(&[654_321.0, 100.0]), "the spike must survive");
        assert_eq!(p.iter().map(|q| q[1]).fold(f64::MAX, f64::min), 0.0);
        assert_eq!(p.first().map(|q| q[0]), Some(0.0));
        // The last point is in the open bucket or the last full one.
        assert!(p.last().is_some_and(|q| q[0] > 999_000.0));
    }

    #[test]
    fn smoothing_and_log_scale_shape_each_point() {
        let mut c = Curve::new(Shaping {
            smoothing: 0.5,
            log_scale: false,
        });
        for (x, y) in [(0.0, 0.0), (1.0, 10.0), (2.0, -99.0)] {
            c.push(x, y);
        }
        assert_eq!(c.points(), vec![[0.0, 0.0], [1.0, 5.0], [2.0, -47.0]]);
        let mut log = Curve::new(Shaping {
            smoothing: 0.0,
            log_scale: true,
        });
        log.push(0.0, 10.0);
        log.push(1.0, -99.0);
        let p = log.points();
        assert!((p[0][1] - 11f64.log10()).abs() < 1e-12);
        assert!((p[1][1] + 2.0).abs() < 1e-12);
    }
}
