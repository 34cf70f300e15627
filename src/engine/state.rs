//! The state of a model under training: the networks, their optimizers, the EMA of G, the
//! random state and the step. What a step changes and a checkpoint stores; the trainer keeps a
//! copy of it as the last good state. Knows nothing of sessions, threads or files.

use burn::module::Module;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, ModuleOptimizer, RmsPropConfig, SgdConfig};

use crate::engine::config::OptimizerConfig;
use crate::engine::nn::{Discriminator, Generator};
use crate::engine::rng::Rng;

/// Everything a step changes; copied as the last good state before each update.
#[derive(Clone)]
pub struct ModelState {
    pub g: Generator,
    pub d: Discriminator,
    pub opt_g: ModuleOptimizer,
    pub opt_d: ModuleOptimizer,
    /// EMA of G's weights (no autodiff), when the trick is on.
    pub ema: Option<Generator>,
    pub rng: Rng,
    /// Completed rounds.
    pub step: u64,
}

impl ModelState {
    /// A copy that shares nothing mutable with `self` (batch-norm running statistics live
    /// behind shared cells in burn, so a plain clone would keep changing).
    pub fn detached_copy(&self) -> Self {
        Self {
            g: self.g.valid(),
            d: self.d.valid(),
            opt_g: self.opt_g.clone(),
            opt_d: self.opt_d.clone(),
            ema: self.ema.as_ref().map(Module::valid),
            rng: self.rng.clone(),
            step: self.step,
        }
    }

    /// Back to a trainable state after [`ModelState::detached_copy`].
    pub fn into_trainable(self) -> Self {
        Self {
            g: self.g.train(),
            d: self.d.train(),
            ..self
        }
    }
}

/// An optimizer for a config.
pub fn make_optimizer(o: &OptimizerConfig) -> ModuleOptimizer {
    match *o {
        OptimizerConfig::Adam { beta1, beta2, .. } => AdamConfig::new()
            .with_beta_1(beta1)
            .with_beta_2(beta2)
            .with_epsilon(1e-8)
            .init(),
        OptimizerConfig::Sgd { momentum, .. } => {
            let m = (momentum > 0.0).then(|| MomentumConfig::new().with_momentum(momentum as f64));
            SgdConfig::new().with_momentum(m).init()
        }
        OptimizerConfig::Rmsprop { alpha, .. } => RmsPropConfig::new()
            .with_alpha(alpha)
            .with_epsilon(1e-8)
            .init(),
    }
}
