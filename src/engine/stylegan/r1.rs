//! StyleGAN's R1 penalty, γ/2 · E‖∇ₓD(x)‖² on real images, without double backward (burn has
//! none). Its gradient with respect to D's weights θ is γ · E[J_θ(g)ᵀ g] with g = ∇ₓD(x): a
//! Hessian-vector product, which a finite difference along g gives from first-order
//! gradients only:
//!
//!   γ · ∇_θ E[(D(x + ε·ĝ) − D(x)) / ε],   ĝ = g held constant,
//!
//! since D(x + εĝ) − D(x) ≈ ε ĝ·∇ₓD(x) and ∇_θ of ĝ·∇ₓD(x) is J_θ(g)ᵀĝ. ε is one per batch,
//! so that the step ε‖g‖ is a small distance in pixel space. Cost: one backward pass
//! for g and one more forward of D on the real batch (BENCHMARKS.md); with lazy
//! regularisation (every k-th D step, γ·k, as StyleGAN2) a small share of training.

use burn::tensor::Tensor;

/// The pixel-space length of the finite-difference step (images are in [-1, 1]).
pub const STEP: f32 = 1e-2;

/// A critic's forward pass: images [n, c, h, w] → logits [n].
pub type Critic<'a> = &'a dyn Fn(Tensor<4>) -> Tensor<1>;

/// ∇ₓ Σ D(x) for a batch `x` (untracked, on `x`'s device).
pub fn input_gradient(critic: Critic<'_>, x: Tensor<4>) -> Tensor<4> {
    let x = x.detach().require_grad();
    let grads = critic(x.clone()).sum().backward();
    let g = x
        .grad(&grads)
        .unwrap_or_else(|| Tensor::zeros(x.dims(), &x.device()));
    Tensor::from_inner(g)
}

/// E‖∇ₓD(x)‖² over the batch, computed exactly (first order): the penalty's value without γ/2.
pub fn squared_gradient_norm(critic: Critic<'_>, x: Tensor<4>) -> Tensor<1> {
    let g = input_gradient(critic, x).detach();
    let [n, c, h, w] = g.dims();
    g.reshape([n, c * h * w])
        .square()
        .sum_dim(1)
        .mean()
        .reshape([1])
}

/// The R1 term of D's loss for real images `real` whose logits `d_real` are in the step's
/// graph: (surrogate, value). The surrogate's gradient with respect to θ approximates that of
/// γ/2 · E‖∇ₓD(x)‖²; its own value is not the penalty, `value` is (for the curves).
pub fn r1_surrogate(
    critic: Critic<'_>,
    real: Tensor<4>,
    d_real: Tensor<1>,
    gamma: f32,
) -> (Tensor<1>, Tensor<1>) {
    let g = input_gradient(critic, real.clone()).detach();
    // ‖∇D‖² per critic input: with PacGAN packing an input is several images, and its
    // gradient all of theirs.
    let inputs = d_real.dims()[0].max(1);
    let mean_norm2 = g.clone().square().sum().div_scalar(inputs as f32);
    let value = mean_norm2.clone().mul_scalar(gamma / 2.0).reshape([1]);
    // One ε for the batch (the minibatch standard deviation couples its images: only a common
    // step makes Σᵢ Dᵢ's difference the derivative along g of Σᵢ Dᵢ), sized so that the
    // typical image moves STEP; a batch with no gradient at all takes no step.
    let rms = mean_norm2.sqrt().reshape([1]);
    let eps = rms.clone().clamp_min(1e-12).recip().mul_scalar(STEP);
    let moved = real.detach().add(g.mul(eps.clone().reshape([1, 1, 1, 1])));
    let d_moved = critic(moved);
    let surrogate = d_moved
        .sub(d_real)
        .mean()
        .reshape([1])
        .div(eps)
        .mul(rms.greater_elem(1e-12).float())
        .mul_scalar(gamma);
    (surrogate, value)
}

#[cfg(test)]
mod tests {
    use burn::module::{Module, ModuleVisitor, Param};
    use burn::optim::GradientsParams;
    use burn::tensor::{Device, TensorData};

    use super::*;
    use crate::engine::nn::params::{mix_weights, parameter_values};
    use crate::engine::rng::Rng;
    use crate::engine::stylegan::critic::{CriticOptions, StyleCritic};
    use crate::engine::stylegan::generator::GeneratorShape;

    fn shape() -> GeneratorShape {
        GeneratorShape {
            resolution: 8,
            channels: 1,
            z_dim: 8,
            w_dim: 8,
            mapping_layers: 2,
            mapping_lr_mul: 0.01,
            channel_base: 64,
            channel_max: 8,
            upsampling: super::super::generator::Upsampling::Nearest,
        }
    }

    /// A smooth critic (tanh: no kinks), so that the exact penalty is differentiable in the
    /// weights and finite differences of it are a fair reference.
    #[derive(Module, Debug)]
    struct Smooth {
        conv: Param<Tensor<4>>,
        out: Param<Tensor<2>>,
    }

    impl Smooth {
        fn new(seed: u64, device: &Device) -> Self {
            let mut rng = Rng::seeded(seed);
            let param = |rng: &mut Rng, shape: Vec<usize>, std: f32| {
                let n = shape.iter().product();
                let v: Vec<f32> = rng.normals(n).into_iter().map(|x| std * x).collect();
                TensorData::new(v, shape)
            };
            Self {
                conv: Param::from_tensor(Tensor::from_data(
                    param(&mut rng, vec![4, 1, 3, 3], 0.5),
                    device,
                )),
                out: Param::from_tensor(Tensor::from_data(
                    param(&mut rng, vec![4 * 64, 1], 0.1),
                    device,
                )),
            }
        }

        fn forward(&self, x: Tensor<4>) -> Tensor<1> {
            let [n, _, _, _] = x.dims();
            let zero = Tensor::zeros([4], &x.device());
            let h = crate::engine::nn::kernels::conv::conv(x, self.conv.val(), zero, 1, 1).tanh();
            h.reshape([n, 4 * 64]).matmul(self.out.val()).reshape([n])
        }
    }

    /// Every parameter's gradient, flattened in visiting order (zeros where there is none).
    fn flat_grads<M: Module>(module: &M, grads: &GradientsParams) -> Vec<f32> {
        struct All<'a>(&'a GradientsParams, Vec<f32>);
        impl ModuleVisitor for All<'_> {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                let n = param.val().shape().num_elements();
                match self.0.get::<D>(param.id) {
                    Some(g) => self
                        .1
                        .extend(g.reshape([n]).into_data().try_to_vec::<f32>().expect("f32")),
                    None => self.1.extend(std::iter::repeat_n(0.0, n)),
                }
            }
        }
        let mut all = All(grads, Vec::new());
        module.visit(&mut all);
        all.1
    }

    /// The gradient `grads` of `critic`'s weights dotted with the direction towards `other`'s.
    fn along<M: Module>(critic: &M, other: &M, grads: &GradientsParams) -> f64 {
        flat_grads(critic, grads)
            .iter()
            .zip(parameter_values(other).iter().zip(parameter_values(critic)))
            .map(|(g, (b, a))| f64::from(*g) * f64::from(b - a))
            .sum()
    }

    fn images(seed: u64, n: usize, device: &Device) -> Tensor<4> {
        Tensor::from_data(
            TensorData::new(Rng::seeded(seed).uniforms(n * 64, 1.0), [n, 1, 8, 8]),
            device,
        )
    }

    #[test]
    fn the_finite_difference_r1_gradient_matches_the_exact_penalty_s_derivative() {
        let device = Device::flex().autodiff();
        let gamma = 2.0;
        let critic = Smooth::new(1, &device);
        let other = Smooth::new(2, &device);
        let x = images(3, 8, &device);
        // The estimate's derivative along V = other − critic in weight space.
        let forward = |x| critic.forward(x);
        let d_real = critic.forward(x.clone());
        let (surrogate, value) = r1_surrogate(&forward, x.clone(), d_real, gamma);
        let grads = GradientsParams::from_grads(surrogate.backward(), &critic);
        let estimate = along(&critic, &other, &grads);
        // The reference: the exact penalty (first-order input gradients) at θ ± h·V.
        let penalty = |alpha: f32| {
            let c = mix_weights(&critic, &other, alpha);
            let v = squared_gradient_norm(&|x| c.forward(x), x.clone()).into_scalar::<f32>();
            f64::from(gamma / 2.0) * f64::from(v)
        };
        let h = 1e-2;
        let reference = (penalty(h) - penalty(-h)) / (2.0 * f64::from(h));
        let exact_value = penalty(0.0);
        let value = f64::from(value.into_scalar::<f32>());
        assert!(
            (value - exact_value).abs() < 1e-4 * exact_value.max(1.0),
            "{value} vs {exact_value}"
        );
        let error = (estimate - reference).abs() / reference.abs();
        assert!(
            error < 0.02,
            "estimate {estimate}, reference {reference} ({:.1} % off)",
            100.0 * error
        );
    }

    #[test]
    fn on_the_style_critic_the_estimate_is_the_penalty_s_slope_to_within_its_kinks() {
        // A leaky-ReLU critic's exact penalty jumps wherever a unit changes side, so its
        // finite differences are only a rough reference: within 15 % here.
        let device = Device::flex().autodiff();
        let critic = StyleCritic::new(
            &mut Rng::seeded(1),
            &shape(),
            CriticOptions::default(),
            &device,
        );
        let other = StyleCritic::new(
            &mut Rng::seeded(2),
            &shape(),
            CriticOptions::default(),
            &device,
        );
        let x = images(3, 8, &device);
        let forward = |x| critic.forward(x);
        let (surrogate, _) = r1_surrogate(&forward, x.clone(), critic.forward(x.clone()), 1.0);
        let grads = GradientsParams::from_grads(surrogate.backward(), &critic);
        let estimate = along(&critic, &other, &grads);
        let penalty = |alpha: f32| {
            let c = mix_weights(&critic, &other, alpha);
            0.5 * f64::from(
                squared_gradient_norm(&|x| c.forward(x), x.clone()).into_scalar::<f32>(),
            )
        };
        let reference = (penalty(0.03) - penalty(-0.03)) / 0.06;
        let error = (estimate - reference).abs() / reference.abs();
        assert!(error < 0.15, "estimate {estimate}, reference {reference}");
    }

    #[test]
    fn the_input_gradient_matches_finite_differences_of_the_logits() {
        let device = Device::flex().autodiff();
        let critic = StyleCritic::new(
            &mut Rng::seeded(4),
            &shape(),
            CriticOptions::default(),
            &device,
        );
        let x: Tensor<4> = Tensor::from_data(
            TensorData::new(Rng::seeded(5).uniforms(4 * 64, 1.0), [4, 1, 8, 8]),
            &device,
        );
        let g = input_gradient(&|x| critic.forward(x), x.clone());
        let direction: Tensor<4> = Tensor::from_data(
            TensorData::new(Rng::seeded(6).uniforms(4 * 64, 1.0), [4, 1, 8, 8]),
            &device,
        );
        let predicted = g.mul(direction.clone()).sum().into_scalar::<f32>();
        let h = 1e-3;
        let at = |s: f32| {
            critic
                .forward(x.clone().add(direction.clone().mul_scalar(s)))
                .sum()
                .into_scalar::<f32>()
        };
        let numeric = (at(h) - at(-h)) / (2.0 * h);
        assert!(
            (predicted - numeric).abs() < 2e-2 * numeric.abs().max(1.0),
            "{predicted} vs {numeric}"
        );
    }
}
