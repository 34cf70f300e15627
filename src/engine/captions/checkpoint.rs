//! Text-to-image checkpoints, in the container every family shares: a header naming the
//! family, the step, the random state and the preset (the scenes are made again from it);
//! then sections named after the networks (`generator` and its EMA `ema`, each with its
//! caption encoder; `critic` with its own), the two optimizers and the run's log. A resumed
//! run goes on as the uninterrupted one would have.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::DESCRIPTION;
use super::nets::CaptionGenerator;
use super::preset::CaptionPreset;
use super::run::{CaptionRun, adam};
use crate::engine::checkpoint::{
    CheckpointError, load_log, load_optimizer, load_record, log_bytes, optimizer_bytes,
    read_family_file, record_bytes, rng_from_words, rng_words, section, write_family_file,
};
use crate::engine::nn::params::first_non_finite;
use crate::engine::rng::Rng;
use crate::engine::trainer::run_log::LogFormat;

#[derive(Serialize, Deserialize)]
struct Header {
    family: String,
    step: u64,
    /// xoshiro state as hex (TOML integers are signed 64-bit).
    rng: [String; 4],
    sections: Vec<String>,
    preset: CaptionPreset,
}

/// Writes `run` (trained from `preset`) to `path` atomically.
pub fn save(run: &CaptionRun, preset: &CaptionPreset, path: &Path) -> Result<(), CheckpointError> {
    let bad = first_non_finite(&run.generator)
        .map(|p| format!("generator {p}"))
        .or_else(|| first_non_finite(&run.critic).map(|p| format!("critic {p}")));
    if let Some(what) = bad {
        return Err(CheckpointError::NonFinite {
            path: path.to_path_buf(),
            what,
        });
    }
    let sections = vec![
        (
            "generator".to_string(),
            record_bytes(run.generator.valid(), path, "generator")?,
        ),
        ("ema".into(), record_bytes(run.ema.clone(), path, "ema")?),
        (
            "critic".into(),
            record_bytes(run.critic.valid(), path, "critic")?,
        ),
        ("opt_g".into(), optimizer_bytes(&run.opt_g, path, "opt_g")?),
        ("opt_d".into(), optimizer_bytes(&run.opt_d, path, "opt_d")?),
        ("log".into(), log_bytes(&run.log, path)?),
    ];
    let header = Header {
        family: DESCRIPTION.key.to_string(),
        step: run.step,
        rng: rng_words(&run.rng),
        sections: sections.iter().map(|(n, _)| n.clone()).collect(),
        preset: preset.clone(),
    };
    write_family_file(path, &header, &sections)
}

/// A parsed text-to-image checkpoint.
pub struct CaptionCheckpoint {
    pub path: PathBuf,
    pub preset: CaptionPreset,
    pub step: u64,
    rng: Rng,
    sections: Vec<(String, Vec<u8>)>,
}

impl CaptionCheckpoint {
    /// Reads and checks a text-to-image checkpoint (or a run directory's latest one).
    pub fn read(path: &Path) -> Result<Self, CheckpointError> {
        let f = read_family_file(path, &DESCRIPTION, |h: &Header| &h.sections)?;
        f.header
            .preset
            .validate()
            .map_err(|e| f.bad(format!("its configuration is invalid: {e}")))?;
        let rng = rng_from_words(&f.header.rng).ok_or_else(|| f.bad("bad random state"))?;
        Ok(Self {
            path: f.path,
            preset: f.header.preset,
            step: f.header.step,
            rng,
            sections: f.sections,
        })
    }

    fn section(&self, name: &str) -> Option<&[u8]> {
        section(&self.sections, name)
    }

    /// The sampling generator (the EMA) alone, without making the scenes.
    pub fn generator(&self, device: &Device) -> Result<CaptionGenerator, CheckpointError> {
        let sizes = self.preset.captions.sizes();
        let template = CaptionGenerator::new(&mut Rng::seeded(0), &sizes, device);
        load_record(template, self.section("ema"), &self.path, "ema")
    }

    /// The run this checkpoint holds, its scenes made again from its preset, on `device`.
    pub fn reopen(&self, device: &Device) -> Result<CaptionRun, String> {
        let (train, held) = self.preset.scenes()?;
        let mut run = CaptionRun::new(self.preset.captions.clone(), train, held, device);
        self.restore_into(&mut run).map_err(|e| format!("{e:#}"))?;
        Ok(run)
    }

    /// Loads the saved networks, optimizers, random state and log into `run`, which must
    /// have been built from the same configuration.
    pub fn restore_into(&self, run: &mut CaptionRun) -> Result<(), CheckpointError> {
        if run.config.sizes() != self.preset.captions.sizes() {
            return Err(CheckpointError::Architecture {
                path: self.path.clone(),
                expected: format!("{:?}", run.config.sizes()),
                found: format!("{:?}", self.preset.captions.sizes()),
            });
        }
        let generator = load_record(
            run.generator.clone(),
            self.section("generator"),
            &self.path,
            "generator",
        )?;
        let ema = load_record(run.ema.clone(), self.section("ema"), &self.path, "ema")?;
        let critic = load_record(
            run.critic.clone(),
            self.section("critic"),
            &self.path,
            "critic",
        )?;
        let template = adam();
        let opt = |name| load_optimizer(&template, self.section(name), &self.path, name);
        let (opt_g, opt_d) = (opt("opt_g")?, opt("opt_d")?);
        let log = load_log(
            self.section("log"),
            &DESCRIPTION,
            LogFormat::Named,
            &self.path,
        )?;
        (run.generator, run.ema, run.critic) = (generator, ema, critic);
        (run.opt_g, run.opt_d) = (opt_g, opt_d);
        run.rng = self.rng.clone();
        run.step = self.step;
        run.log = log;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::nn::params::parameter_values;

    #[test]
    fn a_checkpoint_round_trips_the_networks_and_goes_on_identically() {
        let text = "format = 1\nfamily = \"captions\"\nname = \"t\"\n[data]\nkind = \"digits\"\n\
                    [captions]\nscenes = 100\nheld_out_scenes = 10\nembed = 8\ncondition = 4\n\
                    z_dim = 8\nbase_channels = 4\nbatch_size = 4\n";
        let preset = CaptionPreset::parse(text, Path::new("t.toml")).expect("preset");
        let device = Device::flex();
        let (train, held) = preset.scenes().expect("scenes");
        let mut run = CaptionRun::new(preset.captions.clone(), train, held, &device);
        for _ in 0..3 {
            run.step_once(crate::engine::trainer::protocol::StepKind::Round);
        }
        let dir = std::env::temp_dir().join(format!("ganvas-caption-ckpt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("run.ganvas");
        save(&run, &preset, &path).expect("saved");
        let checkpoint = CaptionCheckpoint::read(&path).expect("read");
        assert_eq!(checkpoint.step, 3);
        let mut back = checkpoint.reopen(&device).expect("reopened");
        assert_eq!(back.log.stats.len(), 3);
        assert_eq!(
            parameter_values(&back.generator.encoder),
            parameter_values(&run.generator.encoder)
        );
        assert_eq!(parameter_values(&back.ema), parameter_values(&run.ema));
        let (a, b) = (run.round(), back.round());
        assert_eq!(a.d_loss.to_bits(), b.d_loss.to_bits(), "{a:?} vs {b:?}");
        assert_eq!(a.g_loss.to_bits(), b.g_loss.to_bits());
        let caption = vec![vec![1, 2, 8, 16, 17, 23]];
        assert_eq!(run.sample(&caption, 2, 1), back.sample(&caption, 2, 1));
        // The sampling generator alone gives the same images as the run's EMA.
        let alone = checkpoint.generator(&device).expect("generator");
        let z_dim = preset.captions.z_dim;
        assert_eq!(
            super::super::run::sample_from(&alone, z_dim, &caption, 2, 1),
            checkpoint
                .reopen(&device)
                .expect("again")
                .sample(&caption, 2, 1)
        );
        // A checkpoint of another family is refused with its reason.
        let style = crate::engine::checkpoint::peek(&path).expect("peek").0.key;
        assert_eq!(style, "captions");
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
