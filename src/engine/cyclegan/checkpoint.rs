//! CycleGAN checkpoints, in the container every family shares: a header naming the family,
//! the step, the random state, the preset the run was trained from and both domains' image
//! shapes; then sections named after the family's networks (`g_ab`, `g_ba`, `d_a`, `d_b`),
//! the two optimizers (`opt_g`, `opt_d`), both replay buffers (`replay_a`, `replay_b`) and the
//! run's log: a resumed run goes on exactly as the uninterrupted one would have.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::DESCRIPTION;
use super::nets::ResnetGenerator;
use super::preset::CyclePreset;
use super::replay::ReplayBuffer;
use super::run::{CycleRun, adam};
use crate::engine::checkpoint::{
    CheckpointError, load_log, load_optimizer, load_record, log_bytes, optimizer_bytes,
    read_family_file, record_bytes, rng_from_words, rng_words, section, write_family_file,
};
use crate::engine::data::domains::DomainPair;
use crate::engine::nn::params::first_non_finite;
use crate::engine::rng::Rng;
use crate::engine::trainer::run_log::LogFormat;

/// Channels and side of one domain's images.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageShape {
    pub channels: usize,
    pub side: usize,
}

#[derive(Serialize, Deserialize)]
struct Header {
    family: String,
    step: u64,
    /// xoshiro state as hex (TOML integers are signed 64-bit).
    rng: [String; 4],
    domains: [ImageShape; 2],
    names: [String; 2],
    sections: Vec<String>,
    preset: CyclePreset,
}

/// Writes `run` (trained from `preset`) to `path` atomically.
pub fn save(run: &CycleRun, preset: &CyclePreset, path: &Path) -> Result<(), CheckpointError> {
    let bad = first_non_finite(&run.generators)
        .map(|p| format!("generators {p}"))
        .or_else(|| first_non_finite(&run.critics).map(|p| format!("critics {p}")));
    if let Some(what) = bad {
        return Err(CheckpointError::NonFinite {
            path: path.to_path_buf(),
            what,
        });
    }
    let (g, d) = (&run.generators, &run.critics);
    let mut sections = vec![
        (
            "g_ab".to_string(),
            record_bytes(g.ab.valid(), path, "g_ab")?,
        ),
        (
            "g_ba".to_string(),
            record_bytes(g.ba.valid(), path, "g_ba")?,
        ),
        ("d_a".to_string(), record_bytes(d.a.valid(), path, "d_a")?),
        ("d_b".to_string(), record_bytes(d.b.valid(), path, "d_b")?),
        (
            "opt_g".to_string(),
            optimizer_bytes(&run.opt_g, path, "opt_g")?,
        ),
        (
            "opt_d".to_string(),
            optimizer_bytes(&run.opt_d, path, "opt_d")?,
        ),
    ];
    sections.push(("replay_a".into(), run.buffers[0].to_bytes()));
    sections.push(("replay_b".into(), run.buffers[1].to_bytes()));
    sections.push(("log".into(), log_bytes(&run.log, path)?));
    let shape = |set: &crate::engine::data::ImageSet| ImageShape {
        channels: set.channels,
        side: set.height,
    };
    let header = Header {
        family: DESCRIPTION.key.to_string(),
        step: run.step,
        rng: rng_words(&run.rng),
        domains: [shape(&run.domains.a), shape(&run.domains.b)],
        names: run.domains.names.clone(),
        sections: sections.iter().map(|(n, _)| n.clone()).collect(),
        preset: preset.clone(),
    };
    write_family_file(path, &header, &sections)
}

/// A parsed CycleGAN checkpoint.
pub struct CycleCheckpoint {
    pub path: PathBuf,
    pub preset: CyclePreset,
    pub step: u64,
    pub domains: [ImageShape; 2],
    pub names: [String; 2],
    rng: Rng,
    sections: Vec<(String, Vec<u8>)>,
}

impl CycleCheckpoint {
    /// Reads and checks a CycleGAN checkpoint (or a run directory's latest one).
    pub fn read(path: &Path) -> Result<Self, CheckpointError> {
        let f = read_family_file(path, &DESCRIPTION, |h: &Header| &h.sections)?;
        let header = &f.header;
        header
            .preset
            .cyclegan
            .validate()
            .map_err(|e| f.bad(format!("its configuration is invalid: {e}")))?;
        for s in &header.domains {
            if !(s.side.is_multiple_of(4)
                && (4..=256).contains(&s.side)
                && [1, 3].contains(&s.channels))
            {
                return Err(f.bad(format!(
                    "its image shape is not one ganvas translates: {s:?}"
                )));
            }
        }
        let rng = rng_from_words(&header.rng).ok_or_else(|| f.bad("bad random state"))?;
        Ok(Self {
            path: f.path,
            preset: f.header.preset,
            step: f.header.step,
            domains: f.header.domains,
            names: f.header.names,
            rng,
            sections: f.sections,
        })
    }

    fn section(&self, name: &str) -> Option<&[u8]> {
        section(&self.sections, name)
    }

    /// The run this checkpoint holds, rebuilt on its preset's domains (loaded again) on
    /// `device`: the run, and the held-out pair its evaluations use.
    pub fn reopen(&self, device: &Device) -> Result<(CycleRun, DomainPair), String> {
        let [train, held] = self.preset.cyclegan.load_domains()?;
        let config = self.preset.cyclegan.config();
        let mut run =
            CycleRun::new(config, std::sync::Arc::new(train), device).map_err(|e| e.to_string())?;
        self.restore_into(&mut run).map_err(|e| format!("{e:#}"))?;
        Ok((run, held))
    }

    /// Loads the saved networks, optimizers, random state and log into `run`, which must
    /// have been built from the same preset on domains of the same shapes.
    pub fn restore_into(&self, run: &mut CycleRun) -> Result<(), CheckpointError> {
        let shapes = [&run.domains.a, &run.domains.b].map(|s| ImageShape {
            channels: s.channels,
            side: s.height,
        });
        let (now, saved) = (run.config.nets, self.preset.cyclegan.config().nets);
        if shapes != self.domains || now != saved {
            return Err(CheckpointError::Architecture {
                path: self.path.clone(),
                expected: format!("{now:?} on {shapes:?}"),
                found: format!("{saved:?} on {:?}", self.domains),
            });
        }
        let load = |module, name| load_record(module, self.section(name), &self.path, name);
        let g = &run.generators;
        let (ab, ba) = (load(g.ab.clone(), "g_ab")?, load(g.ba.clone(), "g_ba")?);
        let d = &run.critics;
        let (da, db) = (
            load_record(d.a.clone(), self.section("d_a"), &self.path, "d_a")?,
            load_record(d.b.clone(), self.section("d_b"), &self.path, "d_b")?,
        );
        let template = adam(&run.config);
        let opt_g = load_optimizer(&template, self.section("opt_g"), &self.path, "opt_g")?;
        let opt_d = load_optimizer(&template, self.section("opt_d"), &self.path, "opt_d")?;
        let log = load_log(
            self.section("log"),
            &DESCRIPTION,
            LogFormat::Named,
            &self.path,
        )?;
        let lens = [&run.domains.a, &run.domains.b].map(|s| s.image_len());
        let mut buffers = run.buffers.clone();
        for (i, name) in ["replay_a", "replay_b"].into_iter().enumerate() {
            // A checkpoint without them starts with empty buffers.
            if let Some(bytes) = self.section(name) {
                buffers[i] = ReplayBuffer::from_bytes(bytes, lens[i]).map_err(|message| {
                    CheckpointError::Record {
                        path: self.path.clone(),
                        section: name.into(),
                        message,
                    }
                })?;
            }
        }
        run.buffers = buffers;
        (run.generators.ab, run.generators.ba) = (ab, ba);
        (run.critics.a, run.critics.b) = (da, db);
        (run.opt_g, run.opt_d) = (opt_g, opt_d);
        run.rng = self.rng.clone();
        run.step = self.step;
        run.log = log;
        Ok(())
    }

    /// One saved generator on `device`, without loading any data: G_AB when `a_to_b`, else
    /// G_BA.
    pub fn generator(
        &self,
        a_to_b: bool,
        device: &Device,
    ) -> Result<ResnetGenerator, CheckpointError> {
        let [a, b] = self.domains;
        let (from, to, name) = if a_to_b {
            (a, b, "g_ab")
        } else {
            (b, a, "g_ba")
        };
        let nets = self.preset.cyclegan.config().nets;
        let g = ResnetGenerator::new(
            &mut Rng::seeded(0),
            from.channels,
            to.channels,
            &nets,
            device,
        );
        load_record(g, self.section(name), &self.path, name)
    }
}
