//! DCGAN (Radford et al.) for 28, 32 and 64 px images with 1 or 3 channels: G projects z to a
//! small feature map and doubles it with transposed convolutions; D halves it with strided
//! convolutions and ends in one linear unit. Samples travel flattened ([batch, C·H·W]).

use burn::module::Module;
use burn::nn::BatchNorm;
use burn::tensor::{Device, Tensor};

use super::kernels::norm::Nonlinearity;
use super::layers::{
    Activated, Conv, ConvT, Dense, Init, Pass, activate_dropout, activation_backward, batch_norm,
    conv_input_grad, dropout, maybe_norm, nonlinearity, norm_activate,
};
use crate::engine::config::Activation;
use crate::engine::rng::Rng;

/// Shapes and options to build a DCGAN pair.
#[derive(Clone, Copy, Debug)]
pub struct DcganSpec {
    pub latent: usize,
    pub classes: usize,
    pub channels: usize,
    /// Image side: 28, 32 or 64.
    pub size: usize,
    pub pack: usize,
    pub base_channels: usize,
    pub slope: f32,
    pub minibatch_stddev: bool,
}

impl DcganSpec {
    /// Number of resolution doublings (G) and halvings (D), and the smallest side.
    pub fn levels(&self) -> (usize, usize) {
        match self.size {
            28 => (2, 7),
            32 => (3, 4),
            _ => (4, 4),
        }
    }
}

/// z (+ one-hot class) → image.
#[derive(Module, Debug)]
pub struct DcganGenerator {
    pub project: Dense,
    pub norms: Vec<BatchNorm>,
    pub ups: Vec<ConvT>,
    pub start_channels: usize,
    pub start_side: usize,
    #[module(skip)]
    pub activation: Activation,
    pub slope: f32,
}

impl DcganGenerator {
    /// The generator for `spec`; batch norm after the projection and every inner upsampling.
    pub fn new(
        spec: &DcganSpec,
        activation: Activation,
        batch_norm_on: bool,
        rng: &mut Rng,
        device: &Device,
    ) -> Self {
        let (levels, side) = spec.levels();
        let start = spec.base_channels << (levels - 1);
        let project = Dense::new(
            rng,
            Init::Normal02,
            spec.latent + spec.classes,
            start * side * side,
            device,
        );
        let mut ups = Vec::new();
        let mut norms = Vec::new();
        if batch_norm_on {
            norms.push(batch_norm(start, device));
        }
        let mut c = start;
        for level in 0..levels {
            let last = level + 1 == levels;
            let out = if last { spec.channels } else { c / 2 };
            ups.push(ConvT::new(rng, c, out, device));
            if batch_norm_on && !last {
                norms.push(batch_norm(out, device));
            }
            c = out;
        }
        Self {
            project,
            norms,
            ups,
            start_channels: start,
            start_side: side,
            activation,
            slope: spec.slope,
        }
    }

    /// `z` [batch, latent] (+ one-hot [batch, classes]) → images flattened [batch, C·H·W].
    pub fn forward(&self, z: Tensor<2>, classes: Option<Tensor<2>>) -> Tensor<2> {
        let input = match classes {
            Some(c) => Tensor::cat(vec![z, c], 1),
            None => z,
        };
        let [batch, _] = input.dims();
        let s = self.start_side;
        let mut h: Tensor<4> = self.project.forward(input, &Pass::eval(false)).reshape([
            batch,
            self.start_channels,
            s,
            s,
        ]);
        let act = nonlinearity(self.activation, self.slope);
        let mut norms = self.norms.iter();
        h = norm_activate(h, norms.next(), act);
        let levels = self.ups.len();
        for (i, up) in self.ups.iter().enumerate() {
            h = up.forward(h);
            h = if i + 1 < levels {
                norm_activate(h, norms.next(), act)
            } else {
                norm_activate(h, None, Nonlinearity::Tanh)
            };
        }
        let [b, c, hh, ww] = h.dims();
        h.reshape([b, c * hh * ww])
    }
}

/// Image (or a pack of images, + class maps) → a realness logit.
#[derive(Module, Debug)]
pub struct DcganDiscriminator {
    pub convs: Vec<Conv>,
    /// One per conv after the first when batch norm is on.
    pub norms: Vec<BatchNorm>,
    pub output: Dense,
    pub in_channels: usize,
    pub size: usize,
    pub classes: usize,
    #[module(skip)]
    pub activation: Activation,
    pub slope: f32,
    pub minibatch_stddev: bool,
}

struct ConvTrace {
    weight: Tensor<4>,
    input_hw: [usize; 2],
    activated: Activated<4>,
}

impl DcganDiscriminator {
    /// The discriminator for `spec`.
    pub fn new(
        spec: &DcganSpec,
        activation: Activation,
        batch_norm_on: bool,
        rng: &mut Rng,
        device: &Device,
    ) -> Self {
        let (levels, side) = spec.levels();
        let in_channels = spec.pack * (spec.channels + spec.classes);
        let mut convs = Vec::new();
        let mut norms = Vec::new();
        let mut c_in = in_channels;
        let mut c = spec.base_channels;
        for level in 0..levels {
            convs.push(Conv::new(rng, c_in, c, device));
            if batch_norm_on && level > 0 {
                norms.push(batch_norm(c, device));
            }
            c_in = c;
            c *= 2;
        }
        let extra = usize::from(spec.minibatch_stddev);
        let flat = (c_in + extra) * side * side;
        Self {
            convs,
            norms,
            output: Dense::new(rng, Init::Normal02, flat, 1, device),
            in_channels,
            size: spec.size,
            classes: spec.classes * spec.pack,
            activation,
            slope: spec.slope,
            minibatch_stddev: spec.minibatch_stddev,
        }
    }

    /// Reshapes flat input [batch, pack·C·H·W] (+ one-hot [batch, pack·classes]) to maps.
    fn to_maps(&self, x: Tensor<2>, classes: Option<Tensor<2>>) -> Tensor<4> {
        let [batch, _] = x.dims();
        let s = self.size;
        let image_channels = self.in_channels - self.classes;
        let maps = x.reshape([batch, image_channels, s, s]);
        match classes {
            Some(c) => {
                let k = self.classes;
                let planes = c.reshape([batch, k, 1, 1]).expand([batch, k, s, s]);
                Tensor::cat(vec![maps, planes], 1)
            }
            None => maps,
        }
    }

    /// The convolutions' output; with `trace`, also what the explicit input gradient needs
    /// from each layer (then batch norm and activation run as separate operations).
    fn conv_pass(&self, x: Tensor<4>, pass: &Pass, trace: bool) -> (Tensor<4>, Vec<ConvTrace>) {
        let mut h = x;
        let mut traces = Vec::with_capacity(if trace { self.convs.len() } else { 0 });
        let act = nonlinearity(self.activation, self.slope);
        for (i, conv) in self.convs.iter().enumerate() {
            let [_, _, hh, ww] = h.dims();
            let weight = conv.weight_for(pass);
            let z = conv.apply(h, weight.clone());
            let norm = i.checked_sub(1).and_then(|j| self.norms.get(j));
            if !trace {
                h = norm_activate(z, norm, act);
                h = dropout(h, pass.dropout.at_layer(i));
                continue;
            }
            let z = maybe_norm(z, norm);
            let a = activate_dropout(z, self.activation, self.slope, pass.dropout.at_layer(i));
            h = a.output.clone();
            traces.push(ConvTrace {
                weight,
                input_hw: [hh, ww],
                activated: a,
            });
        }
        (h, traces)
    }

    fn flatten_with_stddev(&self, h: Tensor<4>) -> Tensor<2> {
        let [b, c, hh, ww] = h.dims();
        if self.minibatch_stddev {
            let std = h.clone().var(0).add_scalar(1e-8).sqrt().mean(); // [1]
            let plane = std.reshape([1, 1, 1, 1]).expand([b, 1, hh, ww]);
            Tensor::cat(vec![h, plane], 1).reshape([b, (c + 1) * hh * ww])
        } else {
            h.reshape([b, c * hh * ww])
        }
    }

    /// Logits [batch, 1].
    pub fn forward(&self, x: Tensor<2>, classes: Option<Tensor<2>>, pass: &Pass) -> Tensor<2> {
        self.output.forward(self.features(x, classes, pass), pass)
    }

    /// What the output layer reads: the last convolution's maps flattened [batch, features]
    /// (a projection discriminator multiplies them with the condition's projection).
    pub fn features(&self, x: Tensor<2>, classes: Option<Tensor<2>>, pass: &Pass) -> Tensor<2> {
        let (h, _) = self.conv_pass(self.to_maps(x, classes), pass, false);
        self.flatten_with_stddev(h)
    }

    /// Logits and ∂(Σ logits)/∂x for the image part of the input, as differentiable ops (see
    /// `MlpDiscriminator::forward_with_input_grad`).
    pub fn forward_with_input_grad(
        &self,
        x: Tensor<2>,
        classes: Option<Tensor<2>>,
        pass: &Pass,
    ) -> (Tensor<2>, Tensor<2>) {
        let [batch, flat_len] = x.dims();
        let (h, traces) = self.conv_pass(self.to_maps(x, classes), pass, true);
        let [_, c, hh, ww] = h.dims();
        let w_out = self.output.weight_for(pass);
        let logits = self
            .output
            .apply(h.reshape([batch, c * hh * ww]), w_out.clone());
        let ones = Tensor::<2>::ones([batch, 1], &logits.device());
        let mut g: Tensor<4> = ones.matmul(w_out.transpose()).reshape([batch, c, hh, ww]);
        for t in traces.into_iter().rev() {
            let a = t.activated;
            g = activation_backward(g, a.pre_activation, a.mask, self.activation, self.slope);
            g = conv_input_grad(g, t.weight, t.input_hw);
        }
        // Drop the gradient of the class planes: the penalty is on the image only.
        let image_channels = self.in_channels - self.classes;
        let g = g.narrow(1, 0, image_channels);
        (logits, g.reshape([batch, flat_len]))
    }
}
