//! `ganvas train` for a text-to-image preset (or `--resume` of such a run): the scenes made
//! from the preset, the scene reader (trained on their windows, or loaded from the cache),
//! then rounds with a progress bar, evaluations (caption accuracy on seen and held-out
//! combinations), autosave and Ctrl-C as for the other families. The run directory receives
//! `checkpoint.ganvas`, `metrics.csv` and `samples.png` (a row per caption of a fixed set,
//! seen and held-out, eight samples each).

use std::path::Path;

use super::family_plan::{FamilyPreset, Plan, Resumed, Trained, plan, train_rounds};
use super::train::TrainArgs;
use crate::engine::captions::ask::showcase_rows;
use crate::engine::captions::checkpoint::{self as caption_checkpoint, CaptionCheckpoint};
use crate::engine::captions::preset::CaptionPreset;
use crate::engine::captions::reader::SceneReader;
use crate::engine::captions::render::SIDE;
use crate::engine::captions::run::CaptionRun;
use crate::engine::checkpoint::LATEST;
use crate::engine::export;
use crate::engine::trainer::protocol::{MetricValue, MetricsReport, StepKind, StepStats};

/// Captions each evaluation draws per split.
const EVALUATED: usize = 400;
/// Samples per caption in samples.png.
const PER_CAPTION: usize = 8;

/// Runs `ganvas train` on a text-to-image preset (`preset`) or resumes `args.resume`.
pub fn run(args: &TrainArgs, preset: Option<CaptionPreset>) -> anyhow::Result<()> {
    let resumed = match &args.resume {
        Some(path) => Some(CaptionCheckpoint::read(path)?),
        None => None,
    };
    let Plan {
        preset,
        steps,
        out,
        guard: _out_dir,
    } = plan(
        args,
        preset,
        resumed.as_ref().map(|c| Resumed {
            preset: &c.preset,
            step: c.step,
            path: &c.path,
        }),
    )?;
    let backend = super::pick_backend(args.backend)?;
    let (train, held) = preset.scenes().map_err(anyhow::Error::msg)?;
    eprintln!("training the scene reader (caption accuracy; cached after the first run)…");
    let reader = SceneReader::for_scenes(&train, &mut |_| {})
        .map_err(|e| anyhow::anyhow!("the scene reader: {e}"))?;
    let mut run = CaptionRun::new(preset.captions.clone(), train, held, &backend.device);
    if let Some(ckpt) = &resumed {
        ckpt.restore_into(&mut run)?;
        eprintln!("resumed from {} at step {}", ckpt.path.display(), ckpt.step);
    }
    let c = &preset.captions;
    eprintln!(
        "{}: text-to-image at {SIDE} px on {} scenes ({} held out), {:?} encoder, batch {}; {steps} steps on {}",
        if preset.name.is_empty() {
            "run"
        } else {
            &preset.name
        },
        run.train.len(),
        run.held_out.len(),
        c.encoder,
        c.batch_size,
        backend.name
    );
    let intervals = [preset.train.sample_every, preset.train.metrics_every];
    let mut training = Training {
        run,
        preset: &preset,
        reader: &reader,
    };
    train_rounds(args, &mut training, (steps, intervals), &out, Vec::new())?;
    if let Some(r) = training.run.log.reports.last() {
        let text: Vec<String> = r
            .values
            .iter()
            .map(|v| format!("{} {:.4}", v.name, v.value))
            .collect();
        outln!("last evaluation (step {}): {}", r.step, text.join(", "));
    }
    outln!(
        "wrote {}/{{checkpoint.ganvas,metrics.csv,samples.png}}",
        out.display()
    );
    Ok(())
}

/// A text-to-image run as `train`'s loop drives it.
struct Training<'a> {
    run: CaptionRun,
    preset: &'a CaptionPreset,
    reader: &'a SceneReader,
}

impl Trained for Training<'_> {
    fn log(&self) -> &crate::engine::trainer::run_log::RunLog {
        &self.run.log
    }

    fn rounds(&self) -> u64 {
        self.run.step
    }

    fn round(&mut self) -> anyhow::Result<StepStats> {
        Ok(self.run.step_once(StepKind::Round))
    }

    fn diverged(&self, stats: &StepStats) -> Option<String> {
        crate::engine::captions::divergence(stats)
    }

    fn evaluate(&mut self, _warn: &mut dyn FnMut(String)) -> (MetricsReport, String) {
        let report = self.run.evaluate(self.reader, EVALUATED);
        let message = report
            .values
            .iter()
            .map(|v| format!("{} {:.3}", v.name.trim_start_matches("caption_"), v.value))
            .collect::<Vec<_>>()
            .join(", ");
        (report, message)
    }

    fn save(&self, history: &[MetricValue], out: &Path) -> anyhow::Result<()> {
        caption_checkpoint::save(&self.run, self.preset, &out.join(LATEST))?;
        export::write_metrics_csv(history, &out.join("metrics.csv"))?;
        let grid = self.run.showcase_grid(PER_CAPTION);
        export::write_png_rows(&grid, PER_CAPTION, &out.join("samples.png"))?;
        let rows = showcase_rows(&self.run.showcase());
        export::write_text(
            &format!(
                "samples.png, one row per caption ({PER_CAPTION} samples each):\n{}\n",
                rows.join("\n")
            ),
            &out.join("samples.txt"),
        )?;
        Ok(())
    }
}

impl FamilyPreset for CaptionPreset {
    const DIR: &'static str = "captions";
    const RUN: &'static str = "a text-to-image run";

    fn same_run(&self, other: &Self) -> bool {
        self.captions == other.captions && self.data == other.data
    }

    fn steps(&self) -> u64 {
        self.train.steps
    }

    fn set_seed(&mut self, seed: u64) {
        self.captions.seed = seed;
    }
}
