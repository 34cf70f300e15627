//! Super-resolution, the family that upscales: its phases move the networks they name, a short
//! run beats bicubic on held-out digits, a checkpoint brings both networks back, and the
//! command line trains, evaluates and upscales as a user would, with clear errors on bad input.

use std::sync::Arc;

use ganvas::engine::data::digits::embedded_digits;
use ganvas::engine::nn::params::parameter_values;
use ganvas::engine::superres::checkpoint::{SrCheckpoint, save};
use ganvas::engine::superres::evaluate::{SrReferences, evaluate};
use ganvas::engine::superres::pairs::Degradation;
use ganvas::engine::superres::preset::SrPreset;
use ganvas::engine::superres::resize::Planes;
use ganvas::engine::superres::run::SrRun;
use ganvas::engine::superres::{self, SrConfig, SrNets};
use ganvas::engine::trainer::protocol::StepKind;

use crate::util::output_text as text;
use crate::util::{cpu, ganvas_in, repo, temp_dir};

const FOUR: Degradation = Degradation {
    scale: 4,
    blur: 0.0,
    noise: 0.0,
};

fn small() -> SrConfig {
    SrConfig {
        nets: SrNets {
            scale: 4,
            g_filters: 16,
            residual_blocks: 2,
            residual_scaling: 0.2,
            d_filters: 8,
        },
        pixel_steps: 3,
        ..SrConfig::default()
    }
}

fn run(config: SrConfig, digits: usize) -> SrRun {
    let set = Arc::new(embedded_digits(digits));
    SrRun::new(config, FOUR, set, &cpu().device).expect("builds")
}

#[test]
fn each_phase_moves_only_its_own_network_and_a_round_follows_the_stage() {
    let mut r = run(small(), 100);
    let (p0, d0) = (parameter_values(&r.pixel), parameter_values(&r.critic));
    let st = r
        .step_once(StepKind::Phase(superres::PIXEL))
        .expect("pixel");
    assert_ne!(
        parameter_values(&r.pixel),
        p0,
        "a pixel step moves the pixel network"
    );
    assert_eq!(parameter_values(&r.critic), d0);
    assert!(r.gan.is_none() && st.value(superres::PIXEL_L1).is_finite());
    assert!(st.value(superres::GAN_L1).is_nan() && st.value(superres::D_LOSS).is_nan());
    // A round of stage 1 updates the pixel network and the critic (against its outputs).
    let p1 = parameter_values(&r.pixel);
    let st = r.step_once(StepKind::Round).expect("round");
    assert_eq!(r.step, 1);
    assert!(r.gan.is_none(), "stage 1 until pixel_steps");
    assert!(st.value(superres::D_LOSS).is_finite() && st.value(superres::GAN_L1).is_nan());
    let d1 = parameter_values(&r.critic);
    assert!(d1 != d0, "the critic learns in stage 1");
    // A GAN step starts the GAN stage: the GAN network begins as the pixel network and moves;
    // the pixel network and the critic stay.
    let p2 = parameter_values(&r.pixel);
    assert!(p2 != p1);
    let st = r.step_once(StepKind::Phase(superres::GAN)).expect("gan");
    let gan = r.gan.as_ref().expect("the GAN stage began");
    assert!(
        parameter_values(gan) != p2,
        "it trained from the pixel network's weights"
    );
    assert!(parameter_values(&r.pixel) == p2 && parameter_values(&r.critic) == d1);
    assert!(st.value(superres::GAN_FEATURE).is_finite() && st.value(superres::GAN_ADV).is_finite());
    let g1 = parameter_values(r.gan.as_ref().expect("gan"));
    let st = r
        .step_once(StepKind::Phase(superres::CRITIC))
        .expect("critic");
    assert!(
        parameter_values(&r.critic) != d1,
        "a critic step moves the critic"
    );
    assert!(
        parameter_values(r.gan.as_ref().expect("gan")) == g1,
        "and nothing else"
    );
    assert!(st.value(superres::D_LOSS).is_finite() && st.value(superres::GAN_L1).is_nan());
    // From now on a round updates all three.
    let st = r.step_once(StepKind::Round).expect("round");
    let measured = [superres::PIXEL_L1, superres::GAN_L1, superres::D_LOSS];
    assert!(measured.iter().all(|&i| st.value(i).is_finite()), "{st:?}");
    assert_eq!(superres::divergence(&st, r.gan_started()), None);
    assert!(
        r.gan_ema.is_some(),
        "the moving average follows the GAN network"
    );
}

#[test]
fn a_short_run_raises_held_out_psnr_above_bicubic() {
    let set = embedded_digits(1200);
    let (train, held) = {
        let mut train = set.clone();
        let mut held = set;
        let l = train.image_len();
        train.pixels.truncate(1000 * l);
        held.pixels.drain(..1000 * l);
        if let (Some(t), Some(h)) = (train.labels.as_mut(), held.labels.as_mut()) {
            t.truncate(1000);
            h.drain(..1000);
        }
        (train, held)
    };
    let config = SrConfig {
        pixel_steps: 1000,
        ..small()
    };
    let mut r = SrRun::new(config, FOUR, Arc::new(train), &cpu().device).expect("builds");
    let refs = SrReferences::new(&held, &FOUR, None);
    let before = evaluate(&r, &refs);
    for _ in 0..150 {
        r.step_once(StepKind::Round).expect("trains");
    }
    let after = evaluate(&r, &refs);
    let get = |rep: &ganvas::engine::trainer::protocol::MetricsReport, k: &str| {
        rep.get(k).unwrap_or_else(|| panic!("{k}"))
    };
    let bicubic = get(&after, "psnr_bicubic");
    assert!(
        (get(&before, "psnr_pixel") - bicubic).abs() < 1.0,
        "an untrained network returns about the bicubic image"
    );
    assert!(
        get(&after, "psnr_pixel") > bicubic + 1.5,
        "pixel network {:.2} dB vs bicubic {bicubic:.2} dB",
        get(&after, "psnr_pixel")
    );
    assert!(get(&after, "ssim_pixel") > get(&after, "ssim_bicubic"));
    assert!(get(&after, "psnr_bicubic") > get(&after, "psnr_nearest"));
}

#[test]
fn a_checkpoint_brings_both_networks_back_and_the_run_goes_on_as_before() {
    let dir = temp_dir("superres-ckpt");
    let preset_path = repo().join("presets/superres/digits-4x.toml");
    let mut preset = SrPreset::load(&preset_path).expect("preset");
    let s = &mut preset.superres;
    s.data = ganvas::engine::config::DataConfig::Digits { count: 120 };
    (
        s.held_out,
        s.g_filters,
        s.residual_blocks,
        s.d_filters,
        s.batch_size,
    ) = (20, 8, 1, 4, 4);
    s.pixel_steps = 2;
    let s = preset.superres.clone();
    let [train, _] = s.load_images().expect("images");
    let train = Arc::new(train);
    let mut a = SrRun::new(s.config(), s.degradation(), train.clone(), &cpu().device).expect("a");
    for _ in 0..4 {
        a.step_once(StepKind::Round).expect("trains");
    }
    let path = dir.join("sr.ganvas");
    save(&a, &preset, &path).expect("saves");
    let ckpt = SrCheckpoint::read(&path).expect("reads");
    assert!(ckpt.has_gan() && ckpt.step == 4);
    let mut b = SrRun::new(s.config(), s.degradation(), train, &cpu().device).expect("b");
    ckpt.restore_into(&mut b).expect("restores");
    // The same upscale from the restored networks, at both ends and between.
    let lr: Vec<f32> = (0..2 * 49)
        .map(|i| ((i * 7) % 11) as f32 / 5.5 - 1.0)
        .collect();
    let shape = Planes::square(2, 1, 7);
    for mix in [0.0, 0.5, 1.0] {
        let up = |r: &SrRun| r.upscale_with(&r.mixed(mix), &lr, shape).expect("upscales");
        assert_eq!(up(&a), up(&b), "mix {mix}");
        let from_file = ckpt.generator(mix, &cpu().device).expect("generator");
        assert_eq!(
            up(&a),
            b.upscale_with(&from_file, &lr, shape).expect("upscales")
        );
    }
    // Both go on identically (optimizers and random state came back too).
    let (sa, sb) = (a.step_once(StepKind::Round), b.step_once(StepKind::Round));
    assert_eq!(sa.expect("a").values, sb.expect("b").values);
    // A run saved before its GAN stage has only the pixel network, and says so.
    let early =
        SrRun::new(s.config(), s.degradation(), a.images.clone(), &cpu().device).expect("early");
    let early_path = dir.join("early.ganvas");
    save(&early, &preset, &early_path).expect("saves");
    let ckpt = SrCheckpoint::read(&early_path).expect("reads");
    assert!(ckpt.generator(0.0, &cpu().device).is_ok());
    let message = ckpt
        .generator(1.0, &cpu().device)
        .expect_err("refused")
        .to_string();
    assert!(
        message.contains("before its GAN stage") && message.contains("--mix 0"),
        "{message}"
    );
}

#[test]
fn every_superres_preset_loads_and_trains_a_round_of_each_stage() {
    let files =
        ganvas::engine::preset::list(&superres::preset::shipped_dir(&repo().join("presets")));
    assert!(files.len() >= 3, "{files:?}");
    for file in files {
        let p = SrPreset::load(&file).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !p.name.is_empty() && !p.description.is_empty(),
            "{}",
            file.display()
        );
        let mut s = p.superres.clone();
        match &mut s.data {
            ganvas::engine::config::DataConfig::Digits { count } => *count = 100,
            ganvas::engine::config::DataConfig::Idx { .. } if crate::util::mnist().is_none() => {
                eprintln!(
                    "skipping {}: ../shared/data/mnist is absent",
                    file.display()
                );
                continue;
            }
            ganvas::engine::config::DataConfig::ImageFolder { .. } => {
                // A folder the user points it at: the shape is checked with a made-up one.
                let dir = temp_dir("superres-folder");
                let class = dir.join("photos");
                std::fs::create_dir_all(&class).expect("dir");
                for i in 0..30u8 {
                    image::RgbImage::from_fn(48, 40, |x, y| {
                        image::Rgb([x as u8 * 5, y as u8 * 6, i * 8])
                    })
                    .save(class.join(format!("{i}.png")))
                    .expect("png");
                }
                let ganvas::engine::config::DataConfig::ImageFolder { path, .. } = &mut s.data
                else {
                    unreachable!()
                };
                *path = dir.to_path_buf();
                s.held_out = 5;
                check_trains(&s, &file);
                continue;
            }
            _ => {}
        }
        s.held_out = 20;
        check_trains(&s, &file);
    }
}

fn check_trains(s: &superres::preset::SrSection, file: &std::path::Path) {
    let mut s = s.clone();
    (s.pixel_steps, s.batch_size) = (1, 2);
    let [train, _] = s
        .load_images()
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut run = SrRun::new(s.config(), s.degradation(), Arc::new(train), &cpu().device)
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    for _ in 0..2 {
        let st = run.step_once(StepKind::Round).expect("trains");
        assert_eq!(
            superres::divergence(&st, run.gan_started()),
            None,
            "{}",
            file.display()
        );
    }
    assert!(run.gan_started(), "{}", file.display());
}

/// A small, fast version of the digits preset, written into `dir`.
fn small_preset(dir: &std::path::Path) -> String {
    let text = std::fs::read_to_string(repo().join("presets/superres/digits-4x.toml"))
        .expect("preset")
        .replace("count = 6000", "count = 400")
        .replace("held_out = 1000", "held_out = 100")
        .replace("g_filters = 32", "g_filters = 8")
        .replace("residual_blocks = 4", "residual_blocks = 1")
        .replace("pixel_steps = 1000", "pixel_steps = 10")
        .replace("metrics_every = 250", "metrics_every = 10");
    let path = dir.join("small.toml");
    std::fs::write(&path, text).expect("write");
    path.to_string_lossy().into_owned()
}

#[test]
fn train_eval_upscale_as_a_user_would() {
    let dir = temp_dir("superres-cli");
    let p = small_preset(&dir);
    let o = ganvas_in(
        &dir,
        &[
            "train",
            "--backend",
            "cpu",
            "--out",
            "R",
            "--preset",
            &p,
            "--steps",
            "20",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("psnr_bicubic") || text(&o).contains("bicubic "),
        "{}",
        text(&o)
    );
    for f in ["checkpoint.ganvas", "metrics.csv", "comparison.png"] {
        assert!(dir.join("R").join(f).exists(), "{f}");
    }
    let csv = std::fs::read_to_string(dir.join("R/metrics.csv")).expect("csv");
    assert!(
        csv.contains("20,psnr_gan,") && csv.contains("10,fid_lite_pixel,"),
        "{csv}"
    );
    // Five rows (low-res, bicubic, pixel, GAN, high-res) of ten digits, 29 px with a gap.
    let picture = image::open(dir.join("R/comparison.png")).expect("png");
    assert_eq!(
        (picture.width(), picture.height()),
        (10 * 29 + 1, 5 * 29 + 1)
    );
    let o = ganvas_in(&dir, &["eval", "--backend", "cpu", "--checkpoint", "R"]);
    assert!(o.status.success(), "{}", text(&o));
    for row in ["nearest", "bicubic", "pixel", "gan"] {
        assert!(
            text(&o).lines().any(|l| l.starts_with(row)),
            "{row}: {}",
            text(&o)
        );
    }
    // A GAN's command names what a super-resolution run is used with.
    let o = ganvas_in(
        &dir,
        &["sample", "--checkpoint", "R", "--n", "4", "--out", "s.png"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("ganvas upscale"), "{}", text(&o));
    // One image (any size: 13×9) and a folder.
    let one = dir.join("small.png");
    image::GrayImage::from_fn(13, 9, |x, y| image::Luma([((x * y) % 255) as u8]))
        .save(&one)
        .expect("png");
    let o = ganvas_in(
        &dir,
        &[
            "upscale",
            "--checkpoint",
            "R",
            "--in",
            "small.png",
            "--out",
            "big.png",
            "--mix",
            "0.5",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let big = image::open(dir.join("big.png")).expect("png");
    assert_eq!((big.width(), big.height()), (52, 36));
    // The output is not overwritten without --force.
    let o = ganvas_in(
        &dir,
        &[
            "upscale",
            "--checkpoint",
            "R",
            "--in",
            "small.png",
            "--out",
            "big.png",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("exists already"), "{}", text(&o));
    std::fs::create_dir_all(dir.join("in")).expect("dir");
    for name in ["a.png", "b.png"] {
        image::RgbImage::from_pixel(8, 8, image::Rgb([200, 10, 10]))
            .save(dir.join("in").join(name))
            .expect("png");
    }
    let o = ganvas_in(
        &dir,
        &["upscale", "--checkpoint", "R", "--in", "in", "--out", "out"],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(dir.join("out/a.png").exists() && dir.join("out/b.png").exists());
    // Bad inputs: an image smaller than a pixel grid, a mix out of range, a scale of 3.
    image::GrayImage::from_pixel(1, 1, image::Luma([9]))
        .save(dir.join("dot.png"))
        .expect("png");
    let o = ganvas_in(
        &dir,
        &[
            "upscale",
            "--checkpoint",
            "R",
            "--in",
            "dot.png",
            "--out",
            "dot4.png",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("at least 2×2 pixels"), "{}", text(&o));
    assert!(!dir.join("dot4.png").exists(), "nothing half-written");
    let o = ganvas_in(
        &dir,
        &[
            "upscale",
            "--checkpoint",
            "R",
            "--in",
            "small.png",
            "--out",
            "x.png",
            "--mix",
            "2",
        ],
    );
    assert!(
        !o.status.success() && text(&o).contains("from 0 to 1"),
        "{}",
        text(&o)
    );
    let three = std::fs::read_to_string(&p)
        .expect("preset")
        .replace("scale = 4", "scale = 3");
    std::fs::write(dir.join("three.toml"), three).expect("write");
    let o = ganvas_in(
        &dir,
        &[
            "train",
            "--backend",
            "cpu",
            "--preset",
            "three.toml",
            "--steps",
            "1",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("superres.scale") && text(&o).contains("2 or 4"),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains("panicked"), "{}", text(&o));
}

/// The shipped digits preset on the trainer thread, shrunk to train in milliseconds.
fn tiny_preset() -> SrPreset {
    let mut p = SrPreset::load(&repo().join("presets/superres/digits-4x.toml")).expect("preset");
    let s = &mut p.superres;
    s.data = ganvas::engine::config::DataConfig::Digits { count: 150 };
    (
        s.held_out,
        s.g_filters,
        s.residual_blocks,
        s.d_filters,
        s.batch_size,
    ) = (30, 8, 1, 4, 4);
    (s.pixel_steps, s.sample_every, s.metrics_every) = (2, 1, 2);
    p
}

#[test]
fn the_trainer_thread_plays_to_a_step_upscales_checkpoints_and_refuses_other_families_commands() {
    use ganvas::engine::trainer::protocol::RunState;
    use ganvas::engine::trainer::protocol::{Command, Event, RenderRequest, UpscaleRequest};
    use ganvas::engine::trainer::thread::Trainer;
    let t = Trainer::spawn_superres(tiny_preset(), cpu(), None).expect("spawns");
    // Described, its first comparison, then paused, waiting.
    let seen = crate::util::events_until(&t, 60, |e| matches!(e, Event::State(RunState::Paused)));
    assert!(seen.iter().any(|e| matches!(e, Event::Snapshot { .. })));
    let info = seen
        .iter()
        .find_map(|e| match e {
            Event::Ready(i) => Some(i.clone()),
            _ => None,
        })
        .expect("the run is described first");
    assert_eq!(
        (info.family.key, info.channels, info.side),
        ("superres", 1, 28)
    );
    // Run to step 3: it pauses there, an evaluation at step 2 on the way, the GAN stage begun.
    t.send(Command::PlayUntil(3)).expect("send");
    let played = crate::util::events_until(&t, 60, |e| {
        matches!(
            e,
            Event::State(ganvas::engine::trainer::protocol::RunState::Paused)
        )
    });
    let last_step = played.iter().rev().find_map(|e| match e {
        Event::Step(s) => Some(s.step),
        _ => None,
    });
    assert_eq!(last_step, Some(3));
    let report = played
        .iter()
        .find_map(|e| match e {
            Event::Metrics(r) if r.step == 2 => Some(r.clone()),
            _ => None,
        })
        .expect("an evaluation at step 2");
    assert!(report.get("psnr_pixel").is_some() && report.get("psnr_bicubic").is_some());
    // An upscale at mix 1 answers with the GAN network's outputs and the user's picture.
    let own = ganvas::engine::superres::tiles::Picture {
        channels: 1,
        width: 5,
        height: 3,
        values: vec![0.25; 15],
    };
    t.send(Command::Upscale(UpscaleRequest {
        id: 7,
        mix: 1.0,
        own: Some(own),
    }))
    .expect("send");
    let answered = crate::util::events_until(&t, 30, |e| matches!(e, Event::Upscaled(_)));
    let Some(Event::Upscaled(up)) = answered.last() else {
        panic!("no answer")
    };
    assert_eq!((up.id, up.mix, up.step), (7, 1.0, 3));
    assert_eq!((up.held.count(), up.held.side), (8, 28));
    let [bicubic, output] = up.own.as_ref().expect("own");
    assert_eq!(
        (output.width, output.height, bicubic.values.len()),
        (20, 12, 240)
    );
    // A checkpoint saved from the thread loads back at its step.
    let dir = temp_dir("superres-thread");
    let path = dir.join("sr.ganvas");
    t.send(Command::SaveCheckpoint(path.clone())).expect("send");
    crate::util::events_until(&t, 30, |e| matches!(e, Event::CheckpointSaved { .. }));
    t.send(Command::LoadCheckpoint(path)).expect("send");
    let loaded = crate::util::events_until(&t, 60, |e| matches!(e, Event::CheckpointLoaded { .. }));
    assert!(
        loaded
            .iter()
            .any(|e| matches!(e, Event::CheckpointLoaded { step: 3, .. }))
    );
    // A GAN's command is answered with a message, never ignored.
    t.send(Command::Render(RenderRequest {
        id: 1,
        latents: vec![0.0; 8],
        classes: Vec::new(),
    }))
    .expect("send");
    let refused = crate::util::events_until(&t, 30, |e| matches!(e, Event::Error(_)));
    assert!(
        refused
            .iter()
            .any(|e| matches!(e, Event::Error(m) if m.contains("not a latent vector"))),
        "{refused:?}"
    );
}
