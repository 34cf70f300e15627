//! The studio's images, the principal directions and the path length on a small run.

use burn::module::Param;
use burn::tensor::Device;

use super::*;
use crate::engine::data::digits::embedded_digits;
use crate::engine::metrics::classifier;
use crate::engine::stylegan::run::{StyleConfig, pad_to};

fn small_run() -> StyleRun {
    let config = StyleConfig {
        z_dim: 8,
        w_dim: 8,
        mapping_layers: 2,
        channel_base: 64,
        channel_max: 8,
        batch_size: 4,
        ..StyleConfig::default()
    };
    StyleRun::new(config, &embedded_digits(300), &Device::flex()).expect("run")
}

fn request(run: &StyleRun) -> StyleRequest {
    let n = run.shape.num_ws();
    StyleRequest {
        id: 3,
        sources: 3,
        a_seed: 1,
        b_seed: 2,
        mix: 0..3,
        psi: 1.0,
        noise: vec![false; n - 1],
        noise_seed: 5,
        focus: (1, 2),
        blend: vec![0.0; n],
        edits: vec![0.0; super::super::directions::DIRECTIONS],
        edit_layers: 0..n,
        recompute_directions: false,
    }
}

fn image(s: &Samples, i: usize) -> &[f32] {
    &s.values[i * s.len..(i + 1) * s.len]
}

fn distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f32>()
        .sqrt()
}

#[test]
fn the_grid_holds_the_sources_and_full_mixes_equal_their_source() {
    let run = small_run();
    let mut directions = None;
    let mut r = request(&run);
    r.mix = 0..8;
    let all_b = run.studio(&r, &mut directions).expect("answer");
    assert_eq!((all_b.id, all_b.grid.count()), (3, 16));
    assert!(
        image(&all_b.grid, 0).iter().all(|&v| v == -1.0),
        "blank corner"
    );
    // Row i, column j (both from 1): every style from B_j is B_j's image (noise off).
    for row in 1..4 {
        for col in 1..4 {
            let d = distance(image(&all_b.grid, row * 4 + col), image(&all_b.grid, col));
            assert!(d < 1e-3, "({row}, {col}): {d}");
        }
    }
    r.mix = 0..0;
    let none = run.studio(&r, &mut directions).expect("answer");
    for row in 1..4 {
        let d = distance(image(&none.grid, row * 4 + 2), image(&none.grid, row * 4));
        assert!(d < 1e-3, "no style from B is A's image: {d}");
    }
    // The focus with every layer blended fully to B is B's image.
    r.blend = vec![1.0; 8];
    let focus_b = run.studio(&r, &mut directions).expect("answer");
    let b_source = image(&focus_b.grid, 1 + r.focus.1);
    assert!(distance(image(&focus_b.focus, 0), b_source) < 1e-3);
    // Noise off everywhere: the noise draws agree and their spread is black.
    assert_eq!(focus_b.variation.count(), NOISE_DRAWS + 1);
    let spread = image(&focus_b.variation, NOISE_DRAWS);
    assert!(spread.iter().all(|&v| v < -0.99), "black up to rounding");
    assert!(
        directions.is_none(),
        "no move asked: no directions computed"
    );
}

#[test]
fn noise_on_varies_the_focus_image_and_bad_ranges_are_refused() {
    let mut run = small_run();
    // The noise strengths start at 0 (as StyleGAN's): give them some, as training does.
    let mut ema = run.ema.clone();
    for conv in &mut ema.synthesis.convs {
        if let Some(strength) = &conv.noise_strength {
            conv.noise_strength = Some(Param::from_tensor(strength.val().ones_like()));
        }
    }
    run.ema = ema;
    let mut r = request(&run);
    r.noise = vec![true; 7];
    let answer = run.studio(&r, &mut None).expect("answer");
    let v = &answer.variation;
    assert!(
        distance(image(v, 0), image(v, 1)) > 0.0,
        "noise draws differ"
    );
    assert!(
        image(v, NOISE_DRAWS).iter().any(|&x| x > -1.0),
        "some spread"
    );
    r.mix = 2..9;
    assert_eq!(
        run.studio(&r, &mut None),
        Err(StudioError::Layers {
            start: 2,
            end: 9,
            num_ws: 8
        })
    );
    r.mix = 0..3;
    r.sources = 0;
    assert_eq!(run.studio(&r, &mut None), Err(StudioError::Sources(0)));
}

#[test]
fn a_direction_slider_moves_the_image_smoothly() {
    let run = small_run();
    let mut directions = None;
    let mut r = request(&run);
    let steps: Vec<f32> = (-8..=8).map(|i| i as f32 * 0.25).collect();
    let images: Vec<Vec<f32>> = steps
        .iter()
        .map(|&amount| {
            r.edits[0] = amount;
            let a = run.studio(&r, &mut directions).expect("answer");
            image(&a.focus, 0).to_vec()
        })
        .collect();
    let d = directions
        .as_ref()
        .expect("computed when a move is asked for");
    assert_eq!(d.step, 0);
    assert!(d.explained[0] >= d.explained[1] && d.explained[0] > 0.0);
    let gaps: Vec<f32> = images.windows(2).map(|w| distance(&w[0], &w[1])).collect();
    let mut sorted = gaps.clone();
    sorted.sort_by(f32::total_cmp);
    let median = sorted[sorted.len() / 2];
    assert!(median > 0.0, "the slider moves the image");
    // Smooth: no quarter-σ step jumps more than 3× the typical one.
    assert!(sorted[sorted.len() - 1] < 3.0 * median, "{gaps:?}");
}

#[test]
fn the_path_length_is_zero_when_the_styles_ignore_w() {
    let set = embedded_digits(300);
    let padded = pad_to(&set, 32).expect("pads");
    let judge = classifier::train(&padded, &mut |_| {}).expect("a classifier");
    let mut run = small_run();
    let live = run.path_length(&judge, 50, 1);
    assert!(live.is_finite() && live > 0.0, "{live}");
    assert_eq!(live, run.path_length(&judge, 50, 1), "deterministic");
    // Zero affine weights: every layer's style is its bias, whatever w is.
    let zero_weights = |conv: &mut crate::engine::stylegan::layers::ModConv| {
        let w = conv.affine.weight.val().zeros_like();
        conv.affine.weight = Param::from_tensor(w);
    };
    let mut ema = run.ema.clone();
    ema.synthesis.convs.iter_mut().for_each(zero_weights);
    ema.synthesis.to_rgb.iter_mut().for_each(zero_weights);
    run.ema = ema;
    assert_eq!(run.path_length(&judge, 50, 1), 0.0);
}
