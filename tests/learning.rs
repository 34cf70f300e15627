//! Training really learns: ring8 with a cure preset covers the modes; an image run learns the
//! data's layout without collapsing; a fixed seed repeats itself.

use ganvas::engine::config::{DataConfig, TrainConfig};
use ganvas::engine::data::ImageSet;
use ganvas::engine::family::gan;
use ganvas::engine::preset::Preset;
use ganvas::engine::trainer::protocol::StepKind;
use ganvas::engine::trainer::session::Session;

use crate::util::{cpu, mnist, repo};

fn preset(name: &str) -> TrainConfig {
    Preset::load(&repo().join("presets").join(name))
        .expect("preset loads")
        .config()
}

fn train(session: &mut Session, steps: u64) {
    for _ in 0..steps {
        session.step_once(StepKind::Round).expect("no divergence");
    }
}

fn metric(session: &Session, name: &str) -> f64 {
    session.metrics().get(name).expect("metric present")
}

#[test]
fn ring8_cure_preset_covers_the_modes() {
    // The preset as it ships (EMA included), for 6,000 of its 10,000 steps.
    let config = preset("ring8-pacgan.toml");
    let mut session = Session::new(config, cpu()).expect("builds");
    train(&mut session, 6000);
    let modes = metric(&session, "modes_covered");
    let hq = metric(&session, "high_quality_pct");
    eprintln!("ring8 PacGAN2 after 6000 steps: {modes} modes, {hq:.1}% high quality");
    assert!(modes >= 7.0, "only {modes}/8 modes covered");
    assert!(hq >= 80.0, "only {hq:.1}% high-quality samples");
}

/// Per-pixel mean image and mean per-pixel standard deviation of `n` images.
fn mean_and_spread(values: &[f32], len: usize) -> (Vec<f32>, f32) {
    let n = values.len() / len;
    let mut mean = vec![0.0f32; len];
    for img in values.chunks_exact(len) {
        mean.iter_mut()
            .zip(img)
            .for_each(|(m, v)| *m += v / n as f32);
    }
    let mut var = vec![0.0f32; len];
    for img in values.chunks_exact(len) {
        var.iter_mut()
            .zip(img.iter().zip(&mean))
            .for_each(|(s, (v, m))| *s += (v - m).powi(2) / n as f32);
    }
    (mean, var.iter().map(|v| v.sqrt()).sum::<f32>() / len as f32)
}

fn l1(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32
}

/// What an image GAN must show after a short run: its mean image moved most of the way from
/// the untrained grey (~0) to the data's mean image (dark background, strokes in the middle),
/// and samples still differ from each other (no collapse to one image). A shape-blind G
/// cannot pass the first; a collapsed G cannot pass the second.
fn assert_learns_images(config: TrainConfig, steps: u64, what: &str) {
    let mut session = Session::new(config, cpu()).expect("builds");
    let set: &ImageSet = session.data.images().expect("image data");
    let real = set.gather(&(0..set.len().min(2000)).collect::<Vec<_>>());
    let len = set.image_len();
    let (real_mean, real_spread) = mean_and_spread(&real.pixels, len);
    let before = l1(
        &mean_and_spread(&session.sample_n(256, 1).values, len).0,
        &real_mean,
    );
    train(&mut session, steps);
    let (fake_mean, fake_spread) = mean_and_spread(&session.sample_n(256, 1).values, len);
    let after = l1(&fake_mean, &real_mean);
    eprintln!(
        "{what}: mean-image L1 {before:.3} -> {after:.3}; spread real {real_spread:.3}, fake {fake_spread:.3}"
    );
    assert!(
        after < 0.35 * before,
        "{what}: mean image did not approach the data ({before} -> {after})"
    );
    assert!(
        fake_spread > 0.4 * real_spread,
        "{what}: samples collapsed (spread {fake_spread} vs {real_spread})"
    );
}

#[test]
fn dcgan_learns_the_embedded_digits() {
    assert_learns_images(preset("digits-dcgan.toml"), 250, "digits DCGAN");
}

#[test]
fn dcgan_learns_mnist_when_present() {
    let Some((images, labels)) = mnist() else {
        return;
    };
    let mut config = preset("mnist-dcgan.toml");
    config.data = DataConfig::Idx {
        images,
        labels: Some(labels),
        transpose: false,
    };
    config.model.base_channels = 32; // CI time; the preset's 64 learns the same way
    assert_learns_images(config, 150, "MNIST DCGAN");
}

/// (D loss, G loss) of the first `rounds` rounds of a fresh session on the CPU.
fn first_losses(config: &TrainConfig, rounds: usize) -> Vec<(f32, f32)> {
    let mut s = Session::new(config.clone(), cpu()).expect("builds");
    (0..rounds)
        .map(|_| s.step_once(StepKind::Round).expect("step"))
        .map(|st| (st.value(gan::D_LOSS), st.value(gan::G_LOSS)))
        .collect()
}

#[test]
fn a_fixed_seed_repeats_the_first_losses() {
    let config = preset("ring8-vanilla.toml");
    assert_eq!(first_losses(&config, 3), first_losses(&config, 3));
    let mut other = config.clone();
    other.train.seed = 1;
    assert_ne!(first_losses(&other, 1)[0], first_losses(&config, 1)[0]);
}

/// Dropout masks come from the seeded generator too: with dropout in a DCGAN critic a seed
/// still repeats its losses, and the masks do change what D says.
#[test]
fn a_fixed_seed_repeats_the_first_losses_with_dropout() {
    let mut config = preset("digits-dcgan.toml");
    config.data = DataConfig::Digits { count: 200 };
    config.model.base_channels = 8;
    let plain = first_losses(&config, 3);
    config.tricks.d_dropout = 0.3;
    let dropped = first_losses(&config, 3);
    assert_eq!(dropped, first_losses(&config, 3));
    assert!(dropped.iter().all(|(d, g)| d.is_finite() && g.is_finite()));
    assert_ne!(dropped[0].0, plain[0].0, "dropout changes D's first loss");
}

/// The EMA of G only changes what is sampled, not how G trains; early in a run it follows G
/// closely (its decay warms up), instead of still holding mostly the untrained G.
#[test]
fn the_ema_of_g_follows_g_early_and_leaves_training_alone() {
    let mut config = preset("ring8-vanilla.toml");
    config.tricks.ema = None;
    let mut plain = Session::new(config.clone(), cpu()).expect("builds");
    let untrained = plain.sample_n(500, 7).values;
    config.tricks.ema = Some(0.999);
    let mut averaged = Session::new(config, cpu()).expect("builds");
    let mut last = ((0.0, 0.0), (0.0, 0.0));
    for _ in 0..400 {
        let a = plain.step_once(StepKind::Round).expect("step");
        let b = averaged.step_once(StepKind::Round).expect("step");
        last = (
            (a.value(gan::D_LOSS), a.value(gan::G_LOSS)),
            (b.value(gan::D_LOSS), b.value(gan::G_LOSS)),
        );
    }
    assert_eq!(last.0, last.1, "the same losses with and without EMA");
    let g = plain.sample_n(500, 7).values;
    let ema = averaged.sample_n(500, 7).values;
    let moved = l1(&g, &untrained);
    let lag = l1(&ema, &g);
    eprintln!("G moved {moved:.4} from its start; its EMA is {lag:.4} from it at step 400");
    assert!(moved > 0.05, "G learned something ({moved})");
    assert!(lag < 0.25 * moved, "the EMA lags: {lag} against {moved}");
}
