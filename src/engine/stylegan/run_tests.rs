//! The StyleGAN run: padding, the R1 schedule, and that training learns the digits.

use std::time::Instant;

use burn::tensor::Device;

use super::*;
use crate::engine::data::digits::embedded_digits;

fn small() -> StyleConfig {
    StyleConfig {
        z_dim: 32,
        w_dim: 32,
        mapping_layers: 2,
        channel_base: 512,
        channel_max: 32,
        batch_size: 16,
        r1_every: 4,
        ..StyleConfig::default()
    }
}

#[test]
fn digits_are_padded_to_the_centre_of_a_32_px_canvas() {
    let set = embedded_digits(3);
    let padded = pad_to(&set, 32).expect("fits");
    assert_eq!((padded.height, padded.width, padded.len()), (32, 32, 3));
    for i in 0..3 {
        let image = &padded.pixels[i * 1024..(i + 1) * 1024];
        let original = &set.pixels[i * 784..(i + 1) * 784];
        assert_eq!(image[2 * 32 + 2..2 * 32 + 30], original[..28]);
        assert!(
            image[..2 * 32].iter().all(|&p| p == 0),
            "the margin is black"
        );
    }
    assert_eq!(
        pad_to(&set, 16).expect_err("too large"),
        StyleError::TooLarge {
            width: 28,
            height: 28,
            resolution: 16
        }
    );
}

/// Mean squared distance between the mean of `samples` and the mean real image.
fn mean_image_distance(run: &StyleRun, samples: &[f32]) -> f32 {
    let len = 32 * 32;
    let n = samples.len() / len;
    let real = run
        .images
        .gather(&(0..run.images.len()).collect::<Vec<_>>());
    let m = real.pixels.len() / len;
    (0..len)
        .map(|p| {
            let fake: f32 = (0..n).map(|i| samples[i * len + p]).sum::<f32>() / n as f32;
            let real: f32 = (0..m).map(|i| real.pixels[i * len + p]).sum::<f32>() / m as f32;
            (fake - real).powi(2)
        })
        .sum::<f32>()
        / len as f32
}

#[test]
fn training_on_digits_moves_the_samples_towards_the_data() {
    let set = embedded_digits(500);
    let mut run = StyleRun::new(small(), &set, &Device::flex()).expect("a run");
    let before = mean_image_distance(&run, &run.sample(64, 7, 1.0, true));
    let started = Instant::now();
    let mut regularised = Vec::new();
    for _ in 0..120 {
        let (d, g) = run.round();
        assert!(d.loss.is_finite() && g.is_finite(), "{d:?} {g}");
        if let Some(r1) = d.r1 {
            assert!(r1.is_finite() && r1 >= 0.0);
            regularised.push(run.step);
        }
    }
    eprintln!("120 rounds in {:.1} s", started.elapsed().as_secs_f32());
    assert_eq!(regularised[..3], [1, 5, 9], "R1 on every 4th critic update");
    let after = mean_image_distance(&run, &run.sample(64, 7, 1.0, true));
    assert!(
        after < 0.5 * before,
        "mean-image distance {before} → {after}"
    );
    assert!(
        run.w_avg.iter().any(|v| *v != 0.0),
        "the running mean of w moved"
    );
}

#[test]
fn the_mode_seeking_term_grows_when_different_latents_give_alike_images() {
    let device = Device::flex();
    let t4 = |v: Vec<f32>| Tensor::<4>::from_data(TensorData::new(v, [4, 1, 1, 2]), &device);
    let t2 = |v: Vec<f32>| Tensor::<2>::from_data(TensorData::new(v, [4, 2]), &device);
    // Pairs (0, 2) and (1, 3): image gaps 1 and 3 (mean |Δ| over 2 pixels), z gaps 1 and 1.
    let z = t2(vec![0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0]);
    let images = t4(vec![0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 3.0, 3.0]);
    let term = mode_seeking_term(images, z.clone()).into_scalar::<f32>();
    assert!((term - 1.0 / (2.0 + 1e-5)).abs() < 1e-6, "{term}");
    // A collapsed generator (the same image for every z) is penalised hard.
    let collapsed = mode_seeking_term(t4(vec![0.5; 8]), z).into_scalar::<f32>();
    assert!(collapsed > 9e4, "{collapsed}");
}
