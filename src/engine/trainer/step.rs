//! The updates: one D step, one G step, a round; with divergence caught at the step it happens.

use std::time::Instant;

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::Tensor;

use super::protocol::{StepKind, StepStats};
use super::session::{Session, SessionError};
use super::tensors::{matrix, pack, read};
use crate::engine::config::Objective;
use crate::engine::data::Dataset;
use crate::engine::family::gan;
use crate::engine::loss::{d_loss, d_output, g_loss, gradient_penalty};
use crate::engine::nn::layers::{Dropout, Pass};
use crate::engine::nn::params::{
    clip_weights, ema_decay_at, ema_update, first_non_finite, grad_norm,
};

/// One D update's numbers: loss, D(real), D(fake), gradient norm.
#[derive(Clone, Copy, Debug)]
pub struct DNumbers([f32; 4]);
/// One G update's numbers: loss, D(fake), gradient norm.
struct GNumbers([f32; 3]);

impl Session {
    /// D's dropout for one forward pass: a fresh mask seed from the run's generator, drawn only
    /// when dropout is on (runs without it keep their random stream).
    fn d_dropout(&mut self) -> Dropout {
        let p = self.config.tricks.d_dropout;
        if p <= 0.0 {
            return Dropout::OFF;
        }
        Dropout {
            p,
            seed: self.state.rng.next_u64(),
        }
    }

    /// Real samples and their labels (empty when unlabelled), as plain values.
    fn real_batch(&mut self, n: usize) -> (Vec<f32>, Vec<u32>) {
        let rng = &mut self.state.rng;
        match self.data.as_ref() {
            Dataset::Points(p) => (p.sample_flat(rng, n), Vec::new()),
            Dataset::Images(set) => {
                let b = set.sample(rng, n);
                (b.pixels, b.labels)
            }
        }
    }

    fn d_update(&mut self) -> DNumbers {
        // Real, fake and interpolated batches each get their own masks.
        let dropouts = [self.d_dropout(), self.d_dropout(), self.d_dropout()];
        let cfg = &self.config;
        let (b, len, m) = (cfg.train.batch_size, self.shape.len, cfg.tricks.pack);
        let latent = cfg.model.latent_dim;
        let objective = cfg.objective;
        let noise_std = cfg.tricks.instance_noise_at(self.state.step);
        let pass = Pass {
            training: true,
            spectral_norm: cfg.tricks.spectral_norm,
            dropout: dropouts[0],
        };
        let quiet = Pass {
            training: false,
            dropout: dropouts[1],
            ..pass
        };
        let real_target = 1.0 - cfg.tricks.label_smoothing;
        let lr = cfg.optimizer.d.lr();
        let ad = self.ad.clone();

        let (mut real_values, labels) = self.real_batch(b);
        let z = self.latent.draw(&mut self.state.rng, b, None);
        let classes = self.classes_for(&labels, &ad);
        // The fakes are constants for D's update: G runs with constant weights, so no graph is
        // recorded for it (batch norm still uses and updates its batch statistics).
        let g = self.state.g.clone().no_grad();
        let fake = g
            .forward(matrix(z, b, latent, &ad), classes.clone())
            .detach();
        let mut fake_in = fake.clone();
        if noise_std > 0.0 {
            for v in &mut real_values {
                *v += noise_std * self.state.rng.normal() as f32;
            }
            let noise = self
                .state
                .rng
                .normals(b * len)
                .into_iter()
                .map(|v| v * noise_std)
                .collect();
            fake_in = fake_in.add(matrix(noise, b, len, &ad));
        }
        let real = matrix(real_values, b, len, &ad);
        let packed_classes = classes.map(|c| pack(c, m));
        let d = &self.state.d;
        let r = d.forward(pack(real.clone(), m), packed_classes.clone(), &pass);
        let f = d.forward(pack(fake_in, m), packed_classes.clone(), &quiet);
        let mut loss = d_loss(&objective, r.clone(), f.clone(), real_target);
        if let Objective::WganGp { lambda } = objective {
            let eps: Vec<f32> = (0..b).map(|_| self.state.rng.uniform() as f32).collect();
            let eps = matrix(eps, b, 1, &ad);
            let x_hat = real
                .mul(eps.clone())
                .add(fake.mul(eps.neg().add_scalar(1.0)))
                .detach();
            let interpolated = Pass {
                dropout: dropouts[2],
                ..quiet
            };
            let (_, grad) =
                d.forward_with_input_grad(pack(x_hat, m), packed_classes, &interpolated);
            loss = loss.add(gradient_penalty(grad, lambda));
        }
        let grads = GradientsParams::from_grads(loss.backward(), d);
        let norm = grad_norm(d, &grads).unwrap_or_else(|| Tensor::zeros([1], &ad));
        let numbers = Tensor::cat(
            vec![
                loss.detach(),
                d_output(&objective, r.detach()),
                d_output(&objective, f.detach()),
                norm,
            ],
            0,
        );
        let mut d = self.state.opt_d.step(lr, self.state.d.clone(), grads);
        if let Objective::Wgan { clip } = objective {
            d = clip_weights(d, clip);
        }
        self.state.d = d;
        let v = read(numbers.unsqueeze());
        DNumbers([v[0], v[1], v[2], v[3]])
    }

    fn g_update(&mut self) -> GNumbers {
        let dropout = self.d_dropout();
        let cfg = &self.config;
        let (b, m, latent) = (cfg.train.batch_size, cfg.tricks.pack, cfg.model.latent_dim);
        let objective = cfg.objective;
        let pass = Pass {
            training: false,
            spectral_norm: cfg.tricks.spectral_norm,
            dropout,
        };
        let lr = cfg.optimizer.g.lr();
        let ema_decay = cfg.tricks.ema;
        let ad = self.ad.clone();
        let k = self.conditioning_classes();
        let labels: Vec<u32> = (0..if k > 0 { b } else { 0 })
            .map(|_| self.state.rng.below(k) as u32)
            .collect();
        let z = self.latent.draw(&mut self.state.rng, b, None);
        let classes = self.classes_for(&labels, &ad);
        let fake = self
            .state
            .g
            .forward(matrix(z, b, latent, &ad), classes.clone());
        // G's update needs the gradient through D, not D's own weight gradients: a copy of D
        // whose weights are constants skips computing them (its running statistics are shared).
        let d = self.state.d.clone().no_grad();
        let f = d.forward(pack(fake, m), classes.map(|c| pack(c, m)), &pass);
        let loss = g_loss(&objective, f.clone());
        let g = &self.state.g;
        let grads = GradientsParams::from_grads(loss.backward(), g);
        let norm = grad_norm(g, &grads).unwrap_or_else(|| Tensor::zeros([1], &ad));
        let numbers = Tensor::cat(
            vec![loss.detach(), d_output(&objective, f.detach()), norm],
            0,
        );
        self.state.g = self.state.opt_g.step(lr, self.state.g.clone(), grads);
        if let Some(decay) = ema_decay {
            let ema = match self.state.ema.take() {
                Some(e) => ema_update(e, &self.state.g, ema_decay_at(decay, self.state.step)),
                None => self.state.g.valid(),
            };
            self.state.ema = Some(ema);
        }
        let v = read(numbers.unsqueeze());
        GNumbers([v[0], v[1], v[2]])
    }

    /// Runs `kind` of update. Before it, the state is kept as the last good one; if any loss
    /// or gradient norm comes out NaN/Inf, the state is marked diverged (and not advanced
    /// further until restored or reset).
    pub fn step_once(&mut self, kind: StepKind) -> Result<StepStats, SessionError> {
        self.refuse_if_diverged()?;
        self.round_progress = 0;
        let (d_updates, g_updates) = match kind {
            StepKind::Phase(gan::D) => (1, 0),
            StepKind::Phase(gan::G) => (0, 1),
            StepKind::Phase(p) => return Err(SessionError::NoSuchPhase(p)),
            StepKind::Round => (self.config.train.d_steps, self.config.train.g_steps),
        };
        self.run_updates(kind, d_updates, g_updates)
    }

    /// One update of a round, for slow motion: a round's D updates, then its G updates, one
    /// call each. The call that does the round's last update completes it (the step counter
    /// moves, its statistics are of kind `Round` with the round's last D numbers) and returns
    /// true. The arithmetic and the random stream are exactly those of `step_once(Round)`.
    pub fn step_update(&mut self) -> Result<(StepStats, bool), SessionError> {
        self.refuse_if_diverged()?;
        let (d, g) = (self.config.train.d_steps, self.config.train.g_steps);
        let i = self.round_progress.min(d + g - 1);
        let last = i + 1 == d + g;
        let kind = match (last, i < d) {
            (true, _) => StepKind::Round,
            (false, true) => StepKind::Phase(gan::D),
            (false, false) => StepKind::Phase(gan::G),
        };
        let (d_updates, g_updates) = if i < d { (1, 0) } else { (0, 1) };
        let stats = self.run_updates(kind, d_updates, g_updates)?;
        self.round_progress = if last { 0 } else { i + 1 };
        Ok((stats, last))
    }

    fn refuse_if_diverged(&self) -> Result<(), SessionError> {
        match &self.diverged {
            Some((step, what)) => Err(SessionError::Diverged {
                step: *step,
                what: what.clone(),
            }),
            None => Ok(()),
        }
    }

    /// `d_updates` D updates, then `g_updates` G updates; a `Round` completes the round. On a
    /// worker of the thread pool (see [`crate::engine::workers`]).
    fn run_updates(
        &mut self,
        kind: StepKind,
        d_updates: usize,
        g_updates: usize,
    ) -> Result<StepStats, SessionError> {
        crate::engine::workers::on_pool(|| self.run_updates_here(kind, d_updates, g_updates))
    }

    fn run_updates_here(
        &mut self,
        kind: StepKind,
        d_updates: usize,
        g_updates: usize,
    ) -> Result<StepStats, SessionError> {
        self.last_good = Some(self.state.detached_copy());
        self.in_update = true;
        let momentum = crate::engine::nn::bn_momentum(self.state.step);
        self.state.g.set_bn_momentum(momentum);
        self.state.d.set_bn_momentum(momentum);
        let started = Instant::now();
        let mut stats = StepStats::unmeasured(&gan::DESCRIPTION, self.state.step, kind);
        let v = &mut stats.values;
        let put_d = |v: &mut Vec<f32>, DNumbers([loss, real, fake, norm]): DNumbers| {
            (
                v[gan::D_LOSS],
                v[gan::D_REAL],
                v[gan::D_FAKE],
                v[gan::D_GRAD_NORM],
            ) = (loss, real, fake, norm);
        };
        if kind == StepKind::Round && d_updates == 0 {
            // The last update of a round in slow motion: it reports the round's D numbers.
            if let Some(numbers) = self.round_d {
                put_d(v, numbers);
            }
        }
        for _ in 0..d_updates {
            let numbers = self.d_update();
            self.round_d = Some(numbers);
            put_d(v, numbers);
            let DNumbers([loss, _, _, norm]) = numbers;
            if let Some(what) = first_bad(&[("D loss", loss), ("D gradient norm", norm)]) {
                return Err(self.mark_diverged(what));
            }
        }
        for _ in 0..g_updates {
            let GNumbers([loss, fake, norm]) = self.g_update();
            (v[gan::G_LOSS], v[gan::D_FAKE], v[gan::G_GRAD_NORM]) = (loss, fake, norm);
            if let Some(what) = first_bad(&[("G loss", loss), ("G gradient norm", norm)]) {
                return Err(self.mark_diverged(what));
            }
        }
        if kind == StepKind::Round {
            self.state.step += 1;
        }
        stats.step = self.state.step;
        stats.millis = started.elapsed().as_secs_f32() * 1000.0;
        self.log.push_stats(stats.clone());
        self.in_update = false;
        Ok(stats)
    }

    fn mark_diverged(&mut self, what: String) -> SessionError {
        self.in_update = false;
        let step = self.state.step;
        let weights = first_non_finite(&self.state.g)
            .map(|p| format!("G weight {p}"))
            .or_else(|| first_non_finite(&self.state.d).map(|p| format!("D weight {p}")));
        let what = match weights {
            Some(w) => format!("{what}; first non-finite: {w}"),
            None => what,
        };
        self.diverged = Some((step, what.clone()));
        SessionError::Diverged { step, what }
    }

    /// After a panic in the middle of an update: back to the state before it (nothing to do
    /// when no update was under way). Returns the step the run is at.
    pub fn recover_from_panic(&mut self) -> u64 {
        if std::mem::take(&mut self.in_update)
            && let Some(good) = self.last_good.take()
        {
            self.state = good.into_trainable();
            self.round_progress = 0;
        }
        self.state.step
    }

    /// Goes back to the state before the step that diverged. Returns the step restored to.
    pub fn restore_last_good(&mut self) -> Option<u64> {
        let good = self.last_good.take()?;
        self.state = good.into_trainable();
        self.diverged = None;
        Some(self.state.step)
    }
}

/// The first named value that is NaN or infinite, described.
fn first_bad(values: &[(&str, f32)]) -> Option<String> {
    values
        .iter()
        .find(|(_, v)| !v.is_finite())
        .map(|(name, v)| format!("{name} became {v}"))
}
