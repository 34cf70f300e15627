//! StyleGAN checkpoints, in the container every family shares: a header naming the family,
//! the step, the random state, the running mean of w, the preset and the image shape; then
//! sections named after the networks (`generator`: mapping and synthesis; `ema`: its moving
//! average, what is sampled; `critic`), the two optimizers and the run's log. A resumed run
//! goes on as the uninterrupted one would have.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::DESCRIPTION;
use super::preset::StylePreset;
use super::run::{StyleRun, adam};
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
    critic_updates: u64,
    /// xoshiro state as hex (TOML integers are signed 64-bit).
    rng: [String; 4],
    /// The running mean of w (the centre of truncation).
    w_avg: Vec<f32>,
    channels: usize,
    side: usize,
    sections: Vec<String>,
    preset: StylePreset,
}

/// Writes `run` (trained from `preset`) to `path` atomically.
pub fn save(run: &StyleRun, preset: &StylePreset, path: &Path) -> Result<(), CheckpointError> {
    let bad = first_non_finite(&run.generator)
        .map(|p| format!("generator {p}"))
        .or_else(|| first_non_finite(&run.critic).map(|p| format!("critic {p}")))
        .or_else(|| {
            run.w_avg
                .iter()
                .any(|v| !v.is_finite())
                .then(|| "the mean of w".to_string())
        });
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
        critic_updates: run.critic_updates,
        rng: rng_words(&run.rng),
        w_avg: run.w_avg.clone(),
        channels: run.images.channels,
        side: run.images.height,
        sections: sections.iter().map(|(n, _)| n.clone()).collect(),
        preset: preset.clone(),
    };
    write_family_file(path, &header, &sections)
}

/// A parsed StyleGAN checkpoint.
pub struct StyleCheckpoint {
    pub path: PathBuf,
    pub preset: StylePreset,
    pub step: u64,
    pub channels: usize,
    pub side: usize,
    critic_updates: u64,
    w_avg: Vec<f32>,
    rng: Rng,
    sections: Vec<(String, Vec<u8>)>,
}

impl StyleCheckpoint {
    /// Reads and checks a StyleGAN checkpoint (or a run directory's latest one).
    pub fn read(path: &Path) -> Result<Self, CheckpointError> {
        let f = read_family_file(path, &DESCRIPTION, |h: &Header| &h.sections)?;
        let header = &f.header;
        header
            .preset
            .validate()
            .map_err(|e| f.bad(format!("its configuration is invalid: {e}")))?;
        let config = &header.preset.stylegan;
        if ![1, 3].contains(&header.channels)
            || header.side != config.resolution
            || header.w_avg.len() != config.w_dim
        {
            return Err(f.bad(format!(
                "its shapes disagree with its configuration: {} channel(s), {} px, w of {}",
                header.channels,
                header.side,
                header.w_avg.len()
            )));
        }
        let rng = rng_from_words(&header.rng).ok_or_else(|| f.bad("bad random state"))?;
        Ok(Self {
            path: f.path,
            preset: f.header.preset,
            step: f.header.step,
            channels: f.header.channels,
            side: f.header.side,
            critic_updates: f.header.critic_updates,
            w_avg: f.header.w_avg,
            rng,
            sections: f.sections,
        })
    }

    fn section(&self, name: &str) -> Option<&[u8]> {
        section(&self.sections, name)
    }

    /// The run this checkpoint holds, rebuilt on its preset's images (loaded again) on
    /// `device`.
    pub fn reopen(&self, device: &Device) -> Result<StyleRun, String> {
        let images = self.preset.load_images()?;
        let mut run = StyleRun::new(self.preset.stylegan.clone(), &images, device)
            .map_err(|e| e.to_string())?;
        self.restore_into(&mut run).map_err(|e| format!("{e:#}"))?;
        Ok(run)
    }

    /// Loads the saved networks, optimizers, random state, mean of w and log into `run`,
    /// which must have been built from the same configuration on images of the same shape.
    pub fn restore_into(&self, run: &mut StyleRun) -> Result<(), CheckpointError> {
        let (now, saved) = (&run.shape, self.preset.stylegan.shape(self.channels));
        if *now != saved {
            return Err(CheckpointError::Architecture {
                path: self.path.clone(),
                expected: format!("{now:?}"),
                found: format!("{saved:?}"),
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
        run.critic_updates = self.critic_updates;
        run.w_avg = self.w_avg.clone();
        run.log = log;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::nn::params::parameter_values;

    #[test]
    fn a_checkpoint_round_trips_the_networks_the_mean_of_w_and_goes_on_identically() {
        let text = "format = 1\nfamily = \"stylegan\"\nname = \"t\"\n[data]\nkind = \"digits\"\ncount = 64\n\
                    [stylegan]\nz_dim = 8\nw_dim = 8\nmapping_layers = 2\nchannel_base = 64\nchannel_max = 8\nbatch_size = 4\nr1_every = 2\n";
        let preset = StylePreset::parse(text, Path::new("t.toml")).expect("preset");
        let device = Device::flex();
        let images = preset.load_images().expect("digits");
        let mut run = StyleRun::new(preset.stylegan.clone(), &images, &device).expect("run");
        for _ in 0..3 {
            run.round();
        }
        let dir = std::env::temp_dir().join(format!("ganvas-style-ckpt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("run.ganvas");
        save(&run, &preset, &path).expect("saved");
        let checkpoint = StyleCheckpoint::read(&path).expect("read");
        assert_eq!(checkpoint.step, 3);
        let mut back = checkpoint.reopen(&device).expect("reopened");
        assert_eq!(back.w_avg, run.w_avg);
        assert_eq!(
            parameter_values(&back.generator.mapping),
            parameter_values(&run.generator.mapping)
        );
        assert_eq!(parameter_values(&back.ema), parameter_values(&run.ema));
        // Both go on the same way: same random state, optimizers and R1 schedule.
        let (a, b) = (run.round(), back.round());
        assert_eq!(a.0.loss.to_bits(), b.0.loss.to_bits(), "{a:?} vs {b:?}");
        assert_eq!(a.0.r1.is_some(), b.0.r1.is_some());
        assert_eq!(run.sample(4, 1, 0.7, true), back.sample(4, 1, 0.7, true));
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
