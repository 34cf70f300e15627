//! WGAN-GP's explicit input gradient against autodiff and finite differences, the penalty's
//! gradient with respect to D's weights against finite differences, and spectral norm
//! against a singular value decomposition done here.

use burn::tensor::{Device, Tensor, TensorData};
use ganvas::engine::config::Activation;
use ganvas::engine::loss::gradient_penalty;
use ganvas::engine::nn::dcgan::{DcganDiscriminator, DcganSpec};
use ganvas::engine::nn::layers::{Dense, Dropout, Init, Pass};
use ganvas::engine::nn::mlp::{MlpDiscriminator, MlpSpec};
use ganvas::engine::rng::Rng;

fn ad() -> Device {
    Device::flex().autodiff()
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().expect("f32 data")
}

fn input(rng: &mut Rng, rows: usize, cols: usize) -> Tensor<2> {
    Tensor::from_data(
        TensorData::new(rng.normals(rows * cols), [rows, cols]),
        &ad(),
    )
}

fn mlp(activation: Activation) -> MlpDiscriminator {
    mlp_with(activation, 1)
}

fn mlp_with(activation: Activation, maxout_pieces: usize) -> MlpDiscriminator {
    let spec = MlpSpec {
        latent: 2,
        classes: 0,
        sample_len: 3,
        pack: 1,
        depth: 2,
        width: 8,
        d_width: 8,
        maxout_pieces,
        slope: 0.2,
        minibatch_stddev: false,
    };
    MlpDiscriminator::new(&spec, activation, false, &mut Rng::seeded(5), &ad())
}

const PASS: Pass = Pass {
    training: false,
    spectral_norm: false,
    dropout: Dropout::OFF,
};

#[test]
fn explicit_input_gradient_matches_autodiff_and_finite_differences() {
    for act in [Activation::Tanh, Activation::LeakyRelu, Activation::Relu] {
        let d = mlp(act);
        let x = input(&mut Rng::seeded(1), 4, 3).require_grad();
        let (logits, explicit) = d.forward_with_input_grad(x.clone(), &PASS);
        let grads = logits.sum().backward();
        let auto = x.grad(&grads).expect("x has a gradient");
        let (e, a) = (values(explicit), values(auto));
        for (u, v) in e.iter().zip(&a) {
            assert!(
                (u - v).abs() < 1e-5,
                "{act:?}: explicit {u} vs autodiff {v}"
            );
        }
        // Central differences on the tanh model (smooth everywhere).
        if act == Activation::Tanh {
            let base = values(x.clone().detach());
            let h = 1e-2f32;
            for i in 0..base.len() {
                let eval = |delta: f32| {
                    let mut v = base.clone();
                    v[i] += delta;
                    let t = Tensor::from_data(TensorData::new(v, [4, 3]), &ad());
                    values(d.forward(t, &PASS))[i / 3]
                };
                let fd = (eval(h) - eval(-h)) / (2.0 * h);
                assert!((fd - e[i]).abs() < 2e-3, "input {i}: fd {fd} vs {}", e[i]);
            }
        }
    }
}

#[test]
fn maxout_critic_gradients_match_autodiff_and_finite_differences() {
    let d = mlp_with(Activation::Relu, 3);
    // Each unit has three linear pieces: the first layer is 3 inputs → 8 units × 3 pieces.
    assert_eq!(d.hidden[0].weight.val().dims(), [3, 24]);
    let x = input(&mut Rng::seeded(3), 5, 3).require_grad();
    let (logits, explicit) = d.forward_with_input_grad(x.clone(), &PASS);
    assert_eq!(values(logits.clone()), values(d.forward(x.clone(), &PASS)));
    let grads = logits.sum().backward();
    let auto = values(x.grad(&grads).expect("x has a gradient"));
    for (u, v) in values(explicit).iter().zip(&auto) {
        assert!((u - v).abs() < 1e-5, "maxout: explicit {u} vs autodiff {v}");
    }
    // Piecewise linear: a small step keeps the same winning pieces, so central differences
    // are exact up to rounding.
    assert_penalty_gradient_matches_finite_differences(&d, &x.detach(), 1e-3, &[0, 7, 30, 50, 71]);
}

/// The penalty's gradient w.r.t. D's first-layer weights at `indices`, against central
/// differences with step `h`.
fn assert_penalty_gradient_matches_finite_differences(
    d: &MlpDiscriminator,
    x: &Tensor<2>,
    h: f32,
    indices: &[usize],
) {
    let penalty = |d: &MlpDiscriminator| {
        let (_, g) = d.forward_with_input_grad(x.clone(), &PASS);
        gradient_penalty(g, 10.0)
    };
    let grads = penalty(d).backward();
    let weight = d.hidden[0].weight.val();
    let dims = weight.dims();
    let analytic = values(weight.grad(&grads).expect("weights get a gradient"));
    let w0 = values(d.hidden[0].weight.val().detach());
    for &i in indices {
        let eval = |delta: f32| {
            let mut w = w0.clone();
            w[i] += delta;
            let mut moved = d.clone();
            let t = Tensor::from_data(TensorData::new(w, dims), &ad());
            moved.hidden[0].weight = moved.hidden[0].weight.clone().map(|_| t);
            penalty(&moved).into_scalar::<f32>()
        };
        let fd = (eval(h) - eval(-h)) / (2.0 * h);
        let tol = 2e-2 * fd.abs().max(analytic[i].abs()).max(1.0);
        assert!(
            (fd - analytic[i]).abs() < tol,
            "w[{i}]: fd {fd} vs {}",
            analytic[i]
        );
    }
}

#[test]
fn penalty_gradient_wrt_weights_matches_finite_differences() {
    for act in [Activation::Tanh, Activation::LeakyRelu] {
        let x = input(&mut Rng::seeded(2), 6, 3);
        assert_penalty_gradient_matches_finite_differences(
            &mlp(act),
            &x,
            1e-2,
            &[0, 5, 11, 17, 23],
        );
    }
}

#[test]
fn dcgan_critic_input_gradient_matches_autodiff() {
    let spec = DcganSpec {
        latent: 4,
        classes: 0,
        channels: 1,
        size: 28,
        pack: 1,
        base_channels: 4,
        slope: 0.2,
        minibatch_stddev: false,
    };
    let d = DcganDiscriminator::new(
        &spec,
        Activation::LeakyRelu,
        false,
        &mut Rng::seeded(3),
        &ad(),
    );
    let x = input(&mut Rng::seeded(4), 2, 784).require_grad();
    let (logits, explicit) = d.forward_with_input_grad(x.clone(), None, &PASS);
    let auto = x.grad(&logits.sum().backward()).expect("x has a gradient");
    let (e, a) = (values(explicit), values(auto));
    let worst = e
        .iter()
        .zip(&a)
        .map(|(u, v)| (u - v).abs())
        .fold(0.0f32, f32::max);
    let scale = a.iter().map(|v| v.abs()).fold(0.0f32, f32::max);
    assert!(
        scale > 0.0 && worst < 1e-4 * scale.max(1.0),
        "max difference {worst} (scale {scale})"
    );
    // And the penalty reaches the convolution weights.
    let (_, g) = d.forward_with_input_grad(x.detach(), None, &PASS);
    let grads = gradient_penalty(g, 10.0).backward();
    let gw = values(
        d.convs[0]
            .weight
            .val()
            .grad(&grads)
            .expect("conv weights get a gradient"),
    );
    assert!(gw.iter().any(|v| v.abs() > 0.0));
}

/// Eigenvalues of a symmetric matrix by cyclic Jacobi rotations (f64).
fn symmetric_eigenvalues(mut a: Vec<Vec<f64>>) -> Vec<f64> {
    let n = a.len();
    for _ in 0..100 {
        for p in 0..n {
            for q in p + 1..n {
                if a[p][q].abs() < 1e-15 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for row in a.iter_mut() {
                    let (akp, akq) = (row[p], row[q]);
                    row[p] = c * akp - s * akq;
                    row[q] = s * akp + c * akq;
                }
                let (rp, rq) = (a[p].clone(), a[q].clone());
                a[p] = rp.iter().zip(&rq).map(|(x, y)| c * x - s * y).collect();
                a[q] = rp.iter().zip(&rq).map(|(x, y)| s * x + c * y).collect();
            }
        }
    }
    (0..n).map(|i| a[i][i]).collect()
}

/// The largest singular value of a rows×cols matrix: √ of the largest eigenvalue of WᵀW.
fn largest_singular_value(w: &[f32], rows: usize, cols: usize) -> f64 {
    let wtw: Vec<Vec<f64>> = (0..cols)
        .map(|i| {
            (0..cols)
                .map(|j| {
                    (0..rows)
                        .map(|r| w[r * cols + i] as f64 * w[r * cols + j] as f64)
                        .sum()
                })
                .collect()
        })
        .collect();
    symmetric_eigenvalues(wtw)
        .into_iter()
        .fold(0.0, f64::max)
        .sqrt()
}

#[test]
fn spectral_norm_divides_by_the_largest_singular_value() {
    let layer = Dense::new(&mut Rng::seeded(9), Init::FanIn, 6, 4, &ad());
    let w = values(layer.weight.val().detach());
    let sigma = largest_singular_value(&w, 6, 4);
    let train = Pass {
        training: true,
        spectral_norm: true,
        dropout: Dropout::OFF,
    };
    for _ in 0..60 {
        let _ = layer.weight_for(&train); // power iteration, one step per call
    }
    let normalized = values(
        layer
            .weight_for(&Pass {
                training: false,
                ..train
            })
            .detach(),
    );
    for (a, b) in w.iter().zip(&normalized) {
        assert!(
            ((*a as f64) / sigma - *b as f64).abs() < 1e-4,
            "{a}/{sigma} vs {b}"
        );
    }
    let after = largest_singular_value(&normalized, 6, 4);
    assert!((after - 1.0).abs() < 1e-3, "σ(W/σ) = {after}");
}
