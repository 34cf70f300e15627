//! The text-to-image family end to end: every shipped preset builds and trains a round;
//! `ganvas train` writes its run directory and resumes, `ganvas eval` measures caption
//! accuracy on it; `ganvas sample --caption` draws a
//! typed sentence, names the words it does not know, and refuses what it cannot do.

use std::path::Path;

use ganvas::engine::captions::preset::CaptionPreset;
use ganvas::engine::captions::run::CaptionRun;
use ganvas::engine::config::DataConfig;
use ganvas::engine::trainer::protocol::StepKind;

use crate::util::{cpu, ganvas_in, mnist, output_text, repo, temp_dir};

#[test]
fn every_captions_preset_loads_and_trains_a_round() {
    let files = ganvas::engine::preset::list(&repo().join("presets/captions"));
    assert!(!files.is_empty(), "{files:?}");
    for file in files {
        let mut p = CaptionPreset::load(&file).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !p.name.is_empty() && !p.description.is_empty(),
            "{}",
            file.display()
        );
        if matches!(p.data, DataConfig::Idx { .. }) && mnist().is_none() {
            continue;
        }
        // The shape is what matters here.
        (p.captions.scenes, p.captions.held_out_scenes) = (100, 10);
        p.captions.batch_size = 4;
        let (train, held) = p
            .scenes()
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut run = CaptionRun::new(p.captions.clone(), train, held, &cpu().device);
        let stats = run.step_once(StepKind::Round);
        assert!(
            ganvas::engine::captions::divergence(&stats).is_none(),
            "{}: {stats:?}",
            file.display()
        );
    }
}

fn tiny_preset(dir: &Path) -> String {
    let text = "format = 1\nfamily = \"captions\"\nname = \"tiny\"\ndescription = \"t\"\n\
        [data]\nkind = \"digits\"\n\
        [captions]\nscenes = 300\nheld_out_scenes = 20\nembed = 8\ncondition = 4\nz_dim = 8\n\
        base_channels = 4\nbatch_size = 4\n\
        [train]\nsteps = 4\nsample_every = 2\nmetrics_every = 2\n";
    let path = dir.join("tiny.toml");
    std::fs::write(&path, text).expect("preset");
    path.to_string_lossy().into_owned()
}

#[test]
fn train_writes_the_run_and_sample_draws_a_typed_caption() {
    let dir = temp_dir("captions-cli");
    let preset = tiny_preset(&dir);
    let out = dir.join("run");
    let out_s = out.to_string_lossy().into_owned();
    let train = [
        "train",
        "--preset",
        &preset,
        "--out",
        &out_s,
        "--backend",
        "cpu",
    ];
    let o = ganvas_in(repo(), &train);
    let text = output_text(&o);
    assert!(o.status.success(), "{text}");
    for file in [
        "checkpoint.ganvas",
        "metrics.csv",
        "samples.png",
        "samples.txt",
    ] {
        assert!(out.join(file).exists(), "{file}: {text}");
    }
    assert!(
        text.contains("caption_single_seen") && text.contains("caption_pair_held_out"),
        "{text}"
    );
    // Eight captions (four seen, four held out), eight samples each, of 64 px.
    let grid = image::open(out.join("samples.png")).expect("png");
    assert!(
        grid.width() >= 8 * 64 && grid.height() >= 8 * 64,
        "{grid:?}"
    );
    let csv = std::fs::read_to_string(out.join("metrics.csv")).expect("csv");
    assert!(csv.lines().any(|l| l.starts_with("4,d_loss,")), "{csv}");
    assert!(
        csv.lines().any(|l| l.starts_with("4,caption_single_seen,")),
        "{csv}"
    );

    let o = ganvas_in(
        repo(),
        &[
            "train",
            "--resume",
            &out_s,
            "--steps",
            "2",
            "--backend",
            "cpu",
        ],
    );
    assert!(o.status.success(), "{}", output_text(&o));
    let ckpt = ganvas::engine::captions::checkpoint::CaptionCheckpoint::read(&out)
        .expect("the run directory's checkpoint");
    assert_eq!(ckpt.step, 6);
    let o = ganvas_in(
        repo(),
        &[
            "eval",
            "--checkpoint",
            &out_s,
            "--samples",
            "30",
            "--backend",
            "cpu",
        ],
    );
    let text = output_text(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains("at step 6 (30 captions of training scenes, 20 of held-out")
            && text.contains("caption_pair_held_out"),
        "{text}"
    );

    let png = dir.join("threes.png");
    let png_s = png.to_string_lossy().into_owned();
    let sample = |caption: &str, out: &str| {
        let args = [
            "sample",
            "--checkpoint",
            &out_s,
            "--caption",
            caption,
            "--n",
            "6",
            "--out",
            out,
            "--backend",
            "cpu",
        ];
        ganvas_in(repo(), &args)
    };
    let o = sample("a small purple 3 at the top left", &png_s);
    let text = output_text(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains("\"purple\"") && text.contains("the words known are"),
        "{text}"
    );
    assert!(text.contains("a small 3 at the top left"), "{text}");
    assert!(image::open(&png).is_ok());
    let o = sample("hello world", &png_s);
    let text = output_text(&o);
    assert!(!o.status.success() && text.contains("\"hello\""), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    let o = ganvas_in(
        repo(),
        &[
            "sample",
            "--checkpoint",
            &out_s,
            "--out",
            &png_s,
            "--backend",
            "cpu",
        ],
    );
    let text = output_text(&o);
    assert!(!o.status.success() && text.contains("--caption"), "{text}");
    // --caption on another family's checkpoint says so.
    let fixture = repo().join("tests/fixtures/checkpoint-v1.ganvas");
    let o = ganvas_in(
        repo(),
        &[
            "sample",
            "--checkpoint",
            &fixture.to_string_lossy(),
            "--caption",
            "a 3",
            "--out",
            &png_s,
        ],
    );
    let text = output_text(&o);
    assert!(
        !o.status.success() && text.contains("text-to-image"),
        "{text}"
    );
}

/// The tiny preset as a value, evaluating and sampling every other round.
fn tiny_value() -> CaptionPreset {
    let dir = temp_dir("captions-thread-preset");
    CaptionPreset::load(Path::new(&tiny_preset(&dir))).expect("preset")
}

#[test]
fn the_trainer_thread_answers_typed_captions_steps_evaluates_and_checkpoints() {
    use ganvas::engine::captions::ask::CaptionRequest;
    use ganvas::engine::trainer::protocol::{
        ClassifierStatus, Command, Event, RunOrigin, RunSetup, TranslateRequest,
    };
    use ganvas::engine::trainer::thread::Trainer;

    use crate::util::events_until as until;

    let t = Trainer::spawn_captions(tiny_value(), cpu(), None).expect("spawns");
    let seen = until(&t, 60, |e| matches!(e, Event::Snapshot { .. }));
    let info = seen
        .iter()
        .find_map(|e| match e {
            Event::Ready(i) => Some(i.clone()),
            _ => None,
        })
        .expect("the run is described first");
    assert_eq!(info.family.key, "captions");
    assert!(matches!(info.setup, RunSetup::Captions(_)));
    assert_eq!((info.channels, info.side), (1, 64));
    assert_eq!(info.rows.len(), 8, "{:?}", info.rows);

    // A typed caption: its samples and what was read; with a second one, the way there.
    let ask = |id, text: &str, towards: Option<&str>| {
        Command::Caption(Box::new(CaptionRequest {
            id,
            text: text.into(),
            n: 3,
            seed: 5,
            towards: towards.map(str::to_string),
            steps: 4,
        }))
    };
    t.send(ask(
        1,
        "a thick 9 at the bottom, please",
        Some("a 2 left of a 5"),
    ))
    .expect("send");
    let got = until(&t, 30, |e| matches!(e, Event::Captioned(_)));
    let Some(Event::Captioned(answer)) = got.last() else {
        panic!("no answer: {got:?}")
    };
    assert_eq!((answer.id, answer.step), (1, 0));
    assert_eq!(answer.samples.count(), 3);
    assert!(answer.read.contains("\"please\""), "{}", answer.read);
    assert_eq!(answer.between.as_ref().map(|b| b.count()), Some(4));
    // The same caption and seed draw the same images; nothing known is refused by name.
    t.send(ask(2, "a thick 9 at the bottom", None))
        .expect("send");
    let drawn = until(&t, 30, |e| matches!(e, Event::Captioned(_)));
    let Some(Event::Captioned(again)) = drawn.last() else {
        panic!("no answer")
    };
    assert_eq!(again.samples.values, answer.samples.values);
    t.send(ask(3, "zebra", None)).expect("send");
    let refused = until(&t, 30, |e| matches!(e, Event::Error(_)));
    assert!(
        matches!(refused.last(), Some(Event::Error(m)) if m.contains("\"zebra\"")),
        "{refused:?}"
    );
    // Commands of other families get a message.
    t.send(Command::Translate(TranslateRequest {
        id: 9,
        a_to_b: true,
        pixels: vec![0.0; 28 * 28],
    }))
    .expect("send");
    let other = until(&t, 30, |e| matches!(e, Event::Error(_)));
    assert!(
        matches!(other.last(), Some(Event::Error(m)) if m.contains("caption")),
        "{other:?}"
    );

    // Two rounds: the second brings a snapshot and, once the reader is there, accuracy.
    let reader_done = |e: &Event| {
        matches!(
            e,
            Event::Classifier(ClassifierStatus::Ready { .. } | ClassifierStatus::Unavailable(_))
        )
    };
    let earlier = [&seen, &got, &drawn, &refused, &other];
    let mut status = earlier
        .iter()
        .flat_map(|v| v.iter())
        .find(|e| reader_done(e))
        .cloned();
    if status.is_none() {
        status = until(&t, 120, reader_done).last().cloned();
    }
    assert!(
        matches!(
            status,
            Some(Event::Classifier(ClassifierStatus::Ready { .. }))
        ),
        "{status:?}"
    );
    t.send(Command::PlayUntil(2)).expect("send");
    let trained = until(&t, 60, |e| matches!(e, Event::Metrics(_)));
    let Some(Event::Metrics(report)) = trained.last() else {
        panic!("no evaluation")
    };
    assert_eq!(report.step, 2);
    for name in [
        "caption_single_seen",
        "caption_pair_held_out",
        "caption_diversity",
    ] {
        assert!(report.get(name).is_some_and(f64::is_finite), "{name}");
    }

    // A checkpoint saved from the thread loads back with its step.
    let dir = temp_dir("captions-thread");
    let path = dir.join("run.ganvas");
    t.send(Command::SaveCheckpoint(path.clone())).expect("send");
    let saved = until(&t, 30, |e| matches!(e, Event::CheckpointSaved { .. }));
    assert!(matches!(
        saved.last(),
        Some(Event::CheckpointSaved { step: 2, .. })
    ));
    t.send(Command::Reset { seed: None }).expect("send");
    until(&t, 30, |e| matches!(e, Event::Ready(_)));
    t.send(Command::LoadCheckpoint(path)).expect("send");
    let loaded = until(&t, 30, |e| matches!(e, Event::CheckpointLoaded { .. }));
    let origin = loaded.iter().find_map(|e| match e {
        Event::Ready(i) => Some(i.origin),
        _ => None,
    });
    assert_eq!(origin, Some(RunOrigin::Loaded));
    assert!(matches!(
        loaded.last(),
        Some(Event::CheckpointLoaded { step: 2, .. })
    ));
}

#[test]
fn a_layered_run_checkpoints_its_slots_and_goes_on_as_if_never_stopped() {
    use ganvas::engine::captions::checkpoint::{CaptionCheckpoint, save};
    use ganvas::engine::captions::layout::GeneratorKind;
    use ganvas::engine::captions::vocab::parse;

    let mut preset = tiny_value();
    preset.captions.generator = GeneratorKind::Layered;
    preset.captions.slots_compete = true;
    let (train, held) = preset.scenes().expect("scenes");
    let device = cpu().device;
    let new_run = || {
        CaptionRun::new(
            preset.captions.clone(),
            train.clone(),
            held.clone(),
            &device,
        )
    };
    let (mut straight, mut stopped) = (new_run(), new_run());
    assert!(
        straight.generator.layout.is_some(),
        "the layered generator has its slots"
    );
    for _ in 0..3 {
        straight.round();
        stopped.round();
    }
    let dir = temp_dir("captions-layered");
    let path = dir.join("checkpoint.ganvas");
    save(&stopped, &preset, &path).expect("saved");
    let mut resumed = new_run();
    CaptionCheckpoint::read(&path)
        .expect("read")
        .restore_into(&mut resumed)
        .expect("restored");
    let captions = vec![
        parse("a large 7 at the bottom left")
            .expect("caption")
            .tokens,
    ];
    assert_eq!(
        resumed.sample(&captions, 2, 9),
        straight.sample(&captions, 2, 9),
        "the slots, places and drawer come back"
    );
    let (a, b) = (resumed.round(), straight.round());
    assert_eq!(
        (a.d_loss, a.g_loss, a.real, a.fake),
        (b.d_loss, b.g_loss, b.real, b.fake),
        "and the run goes on the same"
    );
    // A one-network checkpoint does not load into a layered run.
    let mut plain = tiny_value();
    plain.captions.generator = GeneratorKind::Dcgan;
    let (t, h) = plain.scenes().expect("scenes");
    let other = dir.join("plain.ganvas");
    save(
        &CaptionRun::new(plain.captions.clone(), t, h, &device),
        &plain,
        &other,
    )
    .expect("saved");
    let err = CaptionCheckpoint::read(&other)
        .expect("read")
        .restore_into(&mut resumed)
        .expect_err("refused");
    let message = err.to_string();
    assert!(
        message.contains("another architecture") && message.contains("Layered"),
        "{message}"
    );
}
