//! The adversarial objectives on D's logits. Each returns a scalar tensor to minimise.

use burn::tensor::{Tensor, activation};

use super::config::Objective;

/// log(1 + eˣ) without overflow: max(x, 0) + log1p(e^(−|x|)).
pub fn softplus(x: Tensor<2>) -> Tensor<2> {
    activation::relu(x.clone()).add(x.abs().neg().exp().log1p())
}

/// MSGAN's mode-seeking term (Mao et al. 2019) for a batch of flattened images [n, len] and
/// their latents [n, z]: the first half against the second, 1 / (mean of |ΔG| / |Δz| +
/// 10⁻⁵): large when different z give alike images (the halves share everything else).
pub fn mode_seeking(flat: Tensor<2>, z: Tensor<2>) -> Tensor<1> {
    let [n, _] = flat.dims();
    let half = n / 2;
    let image_gap = flat
        .clone()
        .narrow(0, 0, half)
        .sub(flat.narrow(0, half, half))
        .abs()
        .mean_dim(1);
    let z_gap = z
        .clone()
        .narrow(0, 0, half)
        .sub(z.narrow(0, half, half))
        .abs()
        .mean_dim(1);
    image_gap.div(z_gap).mean().add_scalar(1e-5).recip()
}

/// D's (critic's) loss from logits on real and fake samples. `real_target` is 1 minus the
/// one-sided label smoothing (it only affects the objectives with targets).
pub fn d_loss(
    objective: &Objective,
    real: Tensor<2>,
    fake: Tensor<2>,
    real_target: f32,
) -> Tensor<1> {
    match objective {
        Objective::Minimax | Objective::NonSaturating => {
            // Binary cross-entropy with logits: t·softplus(−r) + (1 − t)·softplus(r).
            let real_term = softplus(real.clone().neg())
                .mul_scalar(real_target)
                .add(softplus(real).mul_scalar(1.0 - real_target));
            real_term.mean().add(softplus(fake).mean())
        }
        Objective::LeastSquares => {
            let r = real.sub_scalar(real_target).square().mean();
            let f = fake.square().mean();
            r.add(f).mul_scalar(0.5)
        }
        Objective::Wgan { .. } | Objective::WganGp { .. } => fake.mean().sub(real.mean()),
        Objective::Hinge => {
            let r = activation::relu(real.neg().add_scalar(1.0)).mean();
            let f = activation::relu(fake.add_scalar(1.0)).mean();
            r.add(f)
        }
    }
}

/// G's loss from D's logits on fake samples.
pub fn g_loss(objective: &Objective, fake: Tensor<2>) -> Tensor<1> {
    match objective {
        // Minimise log(1 − D(G(z))) = −softplus(f): the gradient vanishes once D is confident.
        Objective::Minimax => softplus(fake).mean().neg(),
        // Maximise log D(G(z)): minimise softplus(−f).
        Objective::NonSaturating => softplus(fake.neg()).mean(),
        Objective::LeastSquares => fake.sub_scalar(1.0).square().mean().mul_scalar(0.5),
        Objective::Wgan { .. } | Objective::WganGp { .. } | Objective::Hinge => fake.mean().neg(),
    }
}

/// What D "says" about a batch, on the scale a user reads: a probability for the
/// cross-entropy objectives, the raw score for the others.
pub fn d_output(objective: &Objective, logits: Tensor<2>) -> Tensor<1> {
    match objective {
        Objective::Minimax | Objective::NonSaturating => activation::sigmoid(logits).mean(),
        _ => logits.mean(),
    }
}

/// WGAN-GP's penalty λ·E[(‖∇ₓD(x̂)‖₂ − 1)²] from the input gradients [batch, len].
pub fn gradient_penalty(input_grad: Tensor<2>, lambda: f32) -> Tensor<1> {
    let norms = input_grad.square().sum_dim(1).add_scalar(1e-12).sqrt(); // [batch, 1]
    norms.sub_scalar(1.0).square().mean().mul_scalar(lambda)
}

/// Mean cross-entropy of `logits` [n, classes] against `labels`.
pub fn cross_entropy(logits: Tensor<2>, labels: &[u32]) -> Tensor<1> {
    let [n, classes] = logits.dims();
    let target = crate::engine::trainer::tensors::one_hot(labels, classes, &logits.device());
    activation::log_softmax(logits, 1)
        .mul(target)
        .sum()
        .div_scalar(-(n.max(1) as f32))
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, Tensor, TensorData};

    use super::*;

    fn col(values: [f32; 2]) -> Tensor<2> {
        Tensor::<1>::from_floats(values, &Device::flex()).reshape([2, 1])
    }

    fn scalar(t: Tensor<1>) -> f32 {
        t.into_scalar::<f32>()
    }

    // Logits used throughout: real r = [0, 2], fake f = [-1, 1]; values worked by hand with
    // softplus(0) = ln 2, softplus(±1) = 1.313262 / 0.313262, softplus(±2) = 2.126928 / 0.126928.
    const REAL: [f32; 2] = [0.0, 2.0];
    const FAKE: [f32; 2] = [-1.0, 1.0];

    fn close(a: f32, b: f32) {
        assert!((a - b).abs() < 1e-4, "{a} != {b}");
    }

    #[test]
    fn cross_entropy_objectives() {
        let ns = Objective::NonSaturating;
        close(scalar(d_loss(&ns, col(REAL), col(FAKE), 1.0)), 1.2233);
        close(scalar(g_loss(&ns, col(FAKE))), 0.813_26);
        close(scalar(g_loss(&Objective::Minimax, col(FAKE))), -0.813_26);
        // One-sided smoothing to 0.9: the real term becomes 0.9·sp(−r) + 0.1·sp(r).
        close(scalar(d_loss(&ns, col(REAL), col(FAKE), 0.9)), 1.3233);
    }

    #[test]
    fn least_squares_wasserstein_hinge() {
        let ls = Objective::LeastSquares;
        close(scalar(d_loss(&ls, col(REAL), col(FAKE), 1.0)), 1.0);
        close(scalar(g_loss(&ls, col(FAKE))), 1.0);
        let w = Objective::Wgan { clip: 0.01 };
        close(scalar(d_loss(&w, col(REAL), col(FAKE), 1.0)), -1.0);
        close(scalar(g_loss(&w, col(FAKE))), 0.0);
        close(
            scalar(d_loss(&Objective::Hinge, col(REAL), col(FAKE), 1.0)),
            1.5,
        );
        close(scalar(g_loss(&Objective::Hinge, col([-3.0, 1.0]))), 1.0);
    }

    #[test]
    fn softplus_is_stable_for_large_logits() {
        let v = softplus(col([100.0, -100.0]))
            .into_data()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        close(v[0], 100.0);
        assert!(v[1] >= 0.0 && v[1] < 1e-30);
    }

    #[test]
    fn gradient_penalty_value() {
        let g = Tensor::<1>::from_floats([3.0, 4.0, 0.0, 0.0], &Device::flex()).reshape([2, 2]);
        // Norms 5 and 0: λ·mean((5 − 1)², (0 − 1)²) = 10 · 8.5.
        close(scalar(gradient_penalty(g, 10.0)), 85.0);
    }

    #[test]
    fn cross_entropy_on_hand_made_logits() {
        let d = Device::flex();
        // Row 1: uniform over two classes (ln 2); row 2: e^0 / (e^0 + e^ln3) = 1/4 for its class.
        let logits = Tensor::<2>::from_data(
            TensorData::new(vec![0.0f32, 0.0, 3f32.ln(), 0.0], [2, 2]),
            &d,
        );
        let expected = (2f32.ln() + 4f32.ln()) / 2.0;
        close(scalar(cross_entropy(logits, &[0, 1])), expected);
    }
}
