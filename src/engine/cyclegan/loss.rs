//! CycleGAN's objectives: adversarial losses on the critics' patch scores (least squares by
//! default, or the GAN family's hinge / cross-entropy losses), and the L1 cycle and identity
//! losses that keep a translation tied to its input.

use burn::tensor::Tensor;

use crate::engine::config::Objective;

/// A critic's least-squares loss: ½·mean((D(real) − 1)²) + ½·mean(D(fake)²).
pub fn critic_loss(real: Tensor<2>, fake: Tensor<2>) -> Tensor<1> {
    let r = real.sub_scalar(1.0).square().mean();
    let f = fake.square().mean();
    r.add(f).mul_scalar(0.5)
}

/// A generator's least-squares loss against a critic's scores of its output:
/// mean((D(G(x)) − 1)²).
pub fn generator_loss(fake: Tensor<2>) -> Tensor<1> {
    fake.sub_scalar(1.0).square().mean()
}

/// A critic's loss under `objective`: least squares as above (CycleGAN's own scaling), or the
/// GAN family's loss on the patch scores as logits.
pub fn critic_objective(objective: &Objective, real: Tensor<2>, fake: Tensor<2>) -> Tensor<1> {
    match objective {
        Objective::LeastSquares => critic_loss(real, fake),
        other => crate::engine::loss::d_loss(other, real, fake, 1.0),
    }
}

/// A generator's adversarial loss under `objective` (see [`critic_objective`]).
pub fn generator_objective(objective: &Objective, fake: Tensor<2>) -> Tensor<1> {
    match objective {
        Objective::LeastSquares => generator_loss(fake),
        other => crate::engine::loss::g_loss(other, fake),
    }
}

/// Mean absolute difference (the cycle and identity losses).
pub fn l1(a: Tensor<4>, b: Tensor<4>) -> Tensor<1> {
    a.sub(b).abs().mean()
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    fn scores(v: &[f32]) -> Tensor<2> {
        Tensor::from_data(TensorData::new(v.to_vec(), [1, v.len()]), &Device::flex())
    }

    fn value(t: Tensor<1>) -> f32 {
        t.into_data().try_to_vec::<f32>().expect("f32")[0]
    }

    #[test]
    fn least_squares_losses_on_hand_made_scores() {
        // Real scores 1 and 0 (errors 0 and 1), fake scores 0 and 2 (squares 0 and 4):
        // ½·(0.5 + 2.0).
        assert!((value(critic_loss(scores(&[1.0, 0.0]), scores(&[0.0, 2.0]))) - 1.25).abs() < 1e-6);
        // A perfect critic scores 0 on a perfect split; G wants its fakes at 1.
        assert_eq!(
            value(critic_loss(scores(&[1.0; 4]), scores(&[0.0; 4]))),
            0.0
        );
        assert!((value(generator_loss(scores(&[0.0, 1.0, 3.0]))) - 5.0 / 3.0).abs() < 1e-6);
    }

    #[test]
    fn l1_is_the_mean_absolute_difference() {
        let d = Device::flex();
        let a = Tensor::<4>::from_data(
            TensorData::new(vec![0.0f32, 1.0, -1.0, 0.5], [1, 1, 2, 2]),
            &d,
        );
        let b = Tensor::<4>::from_data(
            TensorData::new(vec![1.0f32, 1.0, 1.0, 0.0], [1, 1, 2, 2]),
            &d,
        );
        assert!((value(l1(a, b)) - 0.875).abs() < 1e-6);
    }
}
