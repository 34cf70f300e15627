//! Super-resolution checkpoints, in the container every family shares: a header naming the
//! family, the step, the random state, the preset and the image shape; then sections named
//! after the family's networks (`pixel`; `gan` and its moving average `gan_ema` once the GAN
//! stage began; `critic`), the three
//! optimizers and the run's log. A resumed run goes on as the uninterrupted one would have,
//! and `ganvas upscale` reads the two generators without loading any data.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::DESCRIPTION;
use super::nets::SrGenerator;
use super::preset::SrPreset;
use super::run::{SrRun, adam};
use crate::engine::checkpoint::{
    CheckpointError, load_log, load_optimizer, load_record, log_bytes, optimizer_bytes,
    read_family_file, record_bytes, rng_from_words, rng_words, section, write_family_file,
};
use crate::engine::nn::params::{first_non_finite, mix_weights};
use crate::engine::rng::Rng;
use crate::engine::trainer::run_log::LogFormat;

#[derive(Serialize, Deserialize)]
struct Header {
    family: String,
    step: u64,
    /// xoshiro state as hex (TOML integers are signed 64-bit).
    rng: [String; 4],
    channels: usize,
    side: usize,
    sections: Vec<String>,
    preset: SrPreset,
}

fn record_error(path: &Path, section: &str, message: String) -> CheckpointError {
    CheckpointError::Record {
        path: path.to_path_buf(),
        section: section.into(),
        message,
    }
}

/// Writes `run` (trained from `preset`) to `path` atomically.
pub fn save(run: &SrRun, preset: &SrPreset, path: &Path) -> Result<(), CheckpointError> {
    let bad = first_non_finite(&run.pixel)
        .map(|p| format!("pixel network {p}"))
        .or_else(|| {
            run.gan
                .as_ref()
                .and_then(first_non_finite)
                .map(|p| format!("GAN network {p}"))
        })
        .or_else(|| first_non_finite(&run.critic).map(|p| format!("critic {p}")));
    if let Some(what) = bad {
        return Err(CheckpointError::NonFinite {
            path: path.to_path_buf(),
            what,
        });
    }
    let mut sections = vec![(
        "pixel".to_string(),
        record_bytes(run.pixel.valid(), path, "pixel")?,
    )];
    if let Some(gan) = &run.gan {
        sections.push(("gan".into(), record_bytes(gan.valid(), path, "gan")?));
    }
    if let Some(ema) = &run.gan_ema {
        sections.push((
            "gan_ema".into(),
            record_bytes(ema.clone(), path, "gan_ema")?,
        ));
    }
    sections.push((
        "critic".into(),
        record_bytes(run.critic.valid(), path, "critic")?,
    ));
    for (name, opt) in [
        ("opt_pixel", &run.opt_pixel),
        ("opt_gan", &run.opt_gan),
        ("opt_critic", &run.opt_critic),
    ] {
        sections.push((name.into(), optimizer_bytes(opt, path, name)?));
    }
    sections.push(("log".into(), log_bytes(&run.log, path)?));
    let header = Header {
        family: DESCRIPTION.key.to_string(),
        step: run.step,
        rng: rng_words(&run.rng),
        channels: run.images.channels,
        side: run.images.height,
        sections: sections.iter().map(|(n, _)| n.clone()).collect(),
        preset: preset.clone(),
    };
    write_family_file(path, &header, &sections)
}

/// A parsed super-resolution checkpoint.
pub struct SrCheckpoint {
    pub path: PathBuf,
    pub preset: SrPreset,
    pub step: u64,
    pub channels: usize,
    pub side: usize,
    rng: Rng,
    sections: Vec<(String, Vec<u8>)>,
}

impl SrCheckpoint {
    /// Reads and checks a super-resolution checkpoint (or a run directory's latest one).
    pub fn read(path: &Path) -> Result<Self, CheckpointError> {
        let f = read_family_file(path, &DESCRIPTION, |h: &Header| &h.sections)?;
        let header = &f.header;
        header
            .preset
            .superres
            .validate()
            .map_err(|e| f.bad(format!("its configuration is invalid: {e}")))?;
        if ![1, 3].contains(&header.channels) || !(8..=1024).contains(&header.side) {
            return Err(f.bad(format!(
                "its image shape is not one ganvas upscales: {} channel(s), {} px",
                header.channels, header.side
            )));
        }
        let rng = rng_from_words(&header.rng).ok_or_else(|| f.bad("bad random state"))?;
        Ok(Self {
            path: f.path,
            preset: f.header.preset,
            step: f.header.step,
            channels: f.header.channels,
            side: f.header.side,
            rng,
            sections: f.sections,
        })
    }

    fn section(&self, name: &str) -> Option<&[u8]> {
        section(&self.sections, name)
    }

    /// Whether the run had reached its GAN stage.
    pub fn has_gan(&self) -> bool {
        self.section("gan").is_some()
    }

    /// The run this checkpoint holds, rebuilt on its preset's images (loaded again) on
    /// `device`: the run, and the held-out images its evaluations use.
    pub fn reopen(
        &self,
        device: &Device,
    ) -> Result<(SrRun, crate::engine::data::ImageSet), String> {
        let section = &self.preset.superres;
        let [train, held] = section.load_images()?;
        let mut run = SrRun::new(
            section.config(),
            section.degradation(),
            std::sync::Arc::new(train),
            device,
        )
        .map_err(|e| e.to_string())?;
        self.restore_into(&mut run).map_err(|e| format!("{e:#}"))?;
        Ok((run, held))
    }

    /// Loads the saved networks, optimizers, random state and log into `run`, which must have
    /// been built from the same preset on images of the same shape.
    pub fn restore_into(&self, run: &mut SrRun) -> Result<(), CheckpointError> {
        let (now, saved) = (run.config.nets, self.preset.superres.config().nets);
        let shape = (run.images.channels, run.images.height);
        if shape != (self.channels, self.side) || now != saved {
            return Err(CheckpointError::Architecture {
                path: self.path.clone(),
                expected: format!("{now:?} on {shape:?}"),
                found: format!("{saved:?} on {:?}", (self.channels, self.side)),
            });
        }
        let pixel = load_record(
            run.pixel.clone(),
            self.section("pixel"),
            &self.path,
            "pixel",
        )?;
        let gan = match self.section("gan") {
            Some(bytes) => Some(load_record(
                run.pixel.clone(),
                Some(bytes),
                &self.path,
                "gan",
            )?),
            None => None,
        };
        let ema = match self.section("gan_ema") {
            Some(bytes) => Some(load_record(
                run.pixel.valid(),
                Some(bytes),
                &self.path,
                "gan_ema",
            )?),
            None => None,
        };
        let critic = load_record(
            run.critic.clone(),
            self.section("critic"),
            &self.path,
            "critic",
        )?;
        let template = adam(&run.config);
        let opt = |name| load_optimizer(&template, self.section(name), &self.path, name);
        let (opt_pixel, opt_gan, opt_critic) =
            (opt("opt_pixel")?, opt("opt_gan")?, opt("opt_critic")?);
        let log = load_log(
            self.section("log"),
            &DESCRIPTION,
            LogFormat::Named,
            &self.path,
        )?;
        (run.pixel, run.gan, run.gan_ema, run.critic) = (pixel, gan, ema, critic);
        (run.opt_pixel, run.opt_gan, run.opt_critic) = (opt_pixel, opt_gan, opt_critic);
        run.rng = self.rng.clone();
        run.step = self.step;
        run.log = log;
        Ok(())
    }

    /// The generator of weight mix `mix` (0: the pixel network, 1: the GAN network) on
    /// `device`, without loading any data. A run saved before its GAN stage has only the pixel
    /// network: a mix above 0 is then refused.
    pub fn generator(&self, mix: f32, device: &Device) -> Result<SrGenerator, CheckpointError> {
        let nets = self.preset.superres.config().nets;
        let template = SrGenerator::new(&mut Rng::seeded(0), self.channels, &nets, device);
        let pixel = load_record(template.clone(), self.section("pixel"), &self.path, "pixel")?;
        if mix <= 0.0 {
            return Ok(pixel);
        }
        if !self.has_gan() {
            return Err(record_error(
                &self.path,
                "gan",
                format!(
                    "the run stopped at step {} before its GAN stage (pixel_steps = {}): only the pixel network exists, so use --mix 0",
                    self.step, self.preset.superres.pixel_steps
                ),
            ));
        }
        // The GAN network as it was shown and measured: its moving average when kept.
        let name = if self.section("gan_ema").is_some() {
            "gan_ema"
        } else {
            "gan"
        };
        let gan = load_record(template, self.section(name), &self.path, name)?;
        Ok(mix_weights(&pixel, &gan, mix.min(1.0)))
    }
}
