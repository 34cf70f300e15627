//! The comparison picture of held-out images: rows of the low-res input (nearest), bicubic,
//! the pixel network, the GAN network (once it exists) and the ground truth. What
//! `comparison.png` holds and what the window's rows show.

use super::pairs::Pairs;
use super::resize::nearest_upscale;
use super::run::SrRun;
use crate::engine::trainer::protocol::Samples;
use burn::module::Module;

/// The rows' names, top to bottom (the GAN network's only once its stage began).
pub const ROWS: [&str; 5] = [
    "low-res",
    "bicubic",
    "pixel network",
    "GAN network",
    "high-res",
];

/// The comparison of the first `n` held-out pairs, one row per entry of [`ROWS`] (`classes`
/// holds the row, so the grid writer lays them out so).
pub fn comparison(run: &SrRun, pairs: &Pairs, n: usize) -> Samples {
    let p = pairs.first(n);
    let n = p.shape.n;
    let lr_shape = p.lr_shape();
    let mut rows = vec![nearest_upscale(&p.lr, lr_shape, p.scale), p.bicubic.clone()];
    let mut nets = vec![run.pixel.valid()];
    nets.extend(run.gan_output());
    for net in &nets {
        let out = run.upscale_with(net, &p.lr, lr_shape).unwrap_or_default();
        rows.push(out.iter().map(|v| v.clamp(-1.0, 1.0)).collect());
    }
    rows.push(p.hr.clone());
    let classes = (0..rows.len() as u32)
        .flat_map(|r| std::iter::repeat_n(r, n))
        .collect();
    Samples {
        values: rows.concat(),
        len: p.shape.image_len(),
        channels: p.shape.c,
        side: p.shape.h,
        classes,
    }
}
