//! Fully connected G and D: the models of the 2D toy experiments (and of flattened images).

use burn::module::Module;
use burn::nn::BatchNorm;
use burn::tensor::{Device, Tensor};

use super::kernels::norm::Nonlinearity;
use super::layers::{
    Activated, Dense, Init, Pass, activate_dropout, activated_identity, activation_backward,
    batch_norm, dropout, maybe_norm, minibatch_stddev, nonlinearity, norm_activate,
};
use crate::engine::config::Activation;
use crate::engine::rng::Rng;

/// z (+ one-hot class) → hidden layers → a sample.
#[derive(Module, Debug)]
pub struct MlpGenerator {
    pub hidden: Vec<Dense>,
    /// One per hidden layer when batch norm is on, else empty.
    pub norms: Vec<BatchNorm>,
    pub output: Dense,
    #[module(skip)]
    pub activation: Activation,
    pub slope: f32,
    /// Squash outputs to [-1, 1] (images); points stay linear.
    pub tanh_output: bool,
}

/// Shapes and options to build an MLP pair.
#[derive(Clone, Copy, Debug)]
pub struct MlpSpec {
    pub latent: usize,
    pub classes: usize,
    pub sample_len: usize,
    pub pack: usize,
    pub depth: usize,
    pub width: usize,
    /// D's hidden units (G uses `width`).
    pub d_width: usize,
    /// Linear pieces per maxout unit in D; 1 = no maxout (D uses its activation).
    pub maxout_pieces: usize,
    pub slope: f32,
    pub minibatch_stddev: bool,
}

impl MlpGenerator {
    /// A generator with `depth` hidden layers of `width` units.
    pub fn new(
        spec: &MlpSpec,
        activation: Activation,
        batch_norm_on: bool,
        tanh_output: bool,
        rng: &mut Rng,
        device: &Device,
    ) -> Self {
        let mut fan_in = spec.latent + spec.classes;
        let mut hidden = Vec::new();
        let mut norms = Vec::new();
        for _ in 0..spec.depth {
            hidden.push(Dense::new(rng, Init::FanIn, fan_in, spec.width, device));
            if batch_norm_on {
                norms.push(batch_norm(spec.width, device));
            }
            fan_in = spec.width;
        }
        Self {
            hidden,
            norms,
            output: Dense::new(rng, Init::FanIn, fan_in, spec.sample_len, device),
            activation,
            slope: spec.slope,
            tanh_output,
        }
    }

    /// `z` [batch, latent], `classes` one-hot [batch, classes] → samples [batch, sample_len].
    pub fn forward(&self, z: Tensor<2>, classes: Option<Tensor<2>>) -> Tensor<2> {
        let pass = Pass::eval(false);
        let mut h = match classes {
            Some(c) => Tensor::cat(vec![z, c], 1),
            None => z,
        };
        let act = nonlinearity(self.activation, self.slope);
        for (i, layer) in self.hidden.iter().enumerate() {
            h = norm_activate(layer.forward(h, &pass), self.norms.get(i), act);
        }
        let out = self.output.forward(h, &pass);
        if self.tanh_output { out.tanh() } else { out }
    }
}

/// A sample (or a pack of samples, + one-hot classes) → one realness score (a logit).
#[derive(Module, Debug)]
pub struct MlpDiscriminator {
    pub hidden: Vec<Dense>,
    pub norms: Vec<BatchNorm>,
    pub output: Dense,
    #[module(skip)]
    pub activation: Activation,
    pub slope: f32,
    pub minibatch_stddev: bool,
    /// Maxout pieces per hidden unit (1: plain activation).
    #[module(skip)]
    pub maxout_pieces: usize,
}

/// What the explicit input-gradient pass needs from the forward pass of one hidden layer.
struct LayerTrace {
    weight: Tensor<2>,
    activated: Activated<2>,
    /// Maxout: 1 where a piece won its unit, [batch, units, pieces].
    winners: Option<Tensor<3>>,
}

/// Maxout of `z` [batch, units·pieces] → ([batch, units], the one-hot winning pieces).
fn maxout(z: Tensor<2>, pieces: usize) -> (Tensor<2>, Tensor<3>) {
    let [batch, len] = z.dims();
    let units = len / pieces;
    let z = z.reshape([batch, units, pieces]);
    let best = z.clone().max_dim(2);
    // Ties (measure zero for real-valued inputs) would pass the gradient to each tied piece.
    let winners = z.detach().equal(best.clone().detach()).float();
    (best.reshape([batch, units]), winners)
}

impl MlpDiscriminator {
    /// A discriminator over `pack` samples of `sample_len` values (+ their one-hot classes).
    pub fn new(
        spec: &MlpSpec,
        activation: Activation,
        batch_norm_on: bool,
        rng: &mut Rng,
        device: &Device,
    ) -> Self {
        let mut fan_in = spec.pack * (spec.sample_len + spec.classes);
        let mut hidden = Vec::new();
        let mut norms = Vec::new();
        let pieces = spec.maxout_pieces.max(1);
        for i in 0..spec.depth {
            let linear = spec.d_width * pieces;
            hidden.push(Dense::new(rng, Init::FanIn, fan_in, linear, device));
            if batch_norm_on && i > 0 {
                norms.push(batch_norm(linear, device));
            }
            fan_in = spec.d_width;
        }
        let extra = usize::from(spec.minibatch_stddev);
        Self {
            hidden,
            norms,
            output: Dense::new(rng, Init::FanIn, fan_in + extra, 1, device),
            activation,
            slope: spec.slope,
            minibatch_stddev: spec.minibatch_stddev,
            maxout_pieces: pieces,
        }
    }

    /// The hidden layers' output; with `trace`, also what the explicit input gradient needs
    /// from each layer (then batch norm and activation run as separate operations).
    fn hidden_pass(&self, x: Tensor<2>, pass: &Pass, trace: bool) -> (Tensor<2>, Vec<LayerTrace>) {
        let mut h = x;
        let mut traces = Vec::with_capacity(if trace { self.hidden.len() } else { 0 });
        let act = nonlinearity(self.activation, self.slope);
        for (i, layer) in self.hidden.iter().enumerate() {
            let weight = layer.weight_for(pass);
            let z = layer.apply(h, weight.clone());
            // Batch norm sits on layers after the first (as in DCGAN's D).
            let norm = i.checked_sub(1).and_then(|j| self.norms.get(j));
            if !trace {
                h = if self.maxout_pieces > 1 {
                    maxout(
                        norm_activate(z, norm, Nonlinearity::Identity),
                        self.maxout_pieces,
                    )
                    .0
                } else {
                    norm_activate(z, norm, act)
                };
                h = dropout(h, pass.dropout.at_layer(i));
                continue;
            }
            let z = maybe_norm(z, norm);
            let (z, winners) = if self.maxout_pieces > 1 {
                let (best, winners) = maxout(z, self.maxout_pieces);
                (best, Some(winners))
            } else {
                (z, None)
            };
            // After maxout the units are already non-linear: only dropout remains to apply.
            let a = match winners {
                Some(_) => activated_identity(z, pass.dropout.at_layer(i)),
                None => activate_dropout(z, self.activation, self.slope, pass.dropout.at_layer(i)),
            };
            h = a.output.clone();
            traces.push(LayerTrace {
                weight,
                activated: a,
                winners,
            });
        }
        (h, traces)
    }

    /// Input [batch, pack·(sample_len + classes)] → logits [batch, 1].
    pub fn forward(&self, x: Tensor<2>, pass: &Pass) -> Tensor<2> {
        let (h, _) = self.hidden_pass(x, pass, false);
        let h = if self.minibatch_stddev {
            let s = minibatch_stddev(h.clone());
            Tensor::cat(vec![h, s], 1)
        } else {
            h
        };
        self.output.forward(h, pass)
    }

    /// The logits and ∂(Σ logits)/∂input, built from differentiable ops so that a penalty on
    /// the gradient's norm can be differentiated with respect to the weights (burn's autodiff
    /// has no double backward). Batch norm and minibatch-stddev are rejected by validation
    /// for WGAN-GP, so each row's gradient depends on that row alone.
    pub fn forward_with_input_grad(&self, x: Tensor<2>, pass: &Pass) -> (Tensor<2>, Tensor<2>) {
        let [batch, _] = x.dims();
        let (h, traces) = self.hidden_pass(x, pass, true);
        let w_out = self.output.weight_for(pass);
        let logits = self.output.apply(h, w_out.clone());
        let ones = Tensor::<2>::ones([batch, 1], &logits.device());
        let mut g = ones.matmul(w_out.transpose()); // [batch, width]
        for t in traces.into_iter().rev() {
            let a = t.activated;
            g = match t.winners {
                Some(winners) => {
                    let g = match a.mask {
                        Some(m) => g.mul(m),
                        None => g,
                    };
                    let [b, units, pieces] = winners.dims();
                    g.reshape([b, units, 1])
                        .mul(winners)
                        .reshape([b, units * pieces])
                }
                None => {
                    activation_backward(g, a.pre_activation, a.mask, self.activation, self.slope)
                }
            };
            g = g.matmul(t.weight.transpose());
        }
        (logits, g)
    }
}
