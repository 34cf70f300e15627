//! Instance norm (no affine parameters) fused with its non-linearity, out of burn's own
//! operations: the GPU path, and the reference the CPU kernel is tested against.

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Shape, TensorMetadata};

use super::{InstanceNormed, Nonlinearity, burn_activate, burn_activate_backward};

/// `x` [n, c, …] as [n·c, spatial]: one row per plane.
fn planes<B: Backend>(x: FloatTensor<B>) -> FloatTensor<B> {
    let dims = x.shape();
    let rows = dims[0] * dims[1];
    let spatial = dims.num_elements() / rows.max(1);
    B::float_reshape(x, Shape::new([rows, spatial]))
}

/// (x − μ)/√(σ² + ε) per row of `rows` [p, spatial], given μ and σ² as [p, 1].
fn normalised<B: Backend>(
    rows: FloatTensor<B>,
    mean: FloatTensor<B>,
    variance: FloatTensor<B>,
    epsilon: f64,
) -> FloatTensor<B> {
    let std = B::float_sqrt(B::float_add_scalar(variance, epsilon.into()));
    B::float_div(B::float_sub(rows, mean), std)
}

pub fn burn_instance_norm_act<B: Backend>(
    x: FloatTensor<B>,
    epsilon: f64,
    act: Nonlinearity,
) -> InstanceNormed<B> {
    let shape = x.shape();
    let rows = planes::<B>(x);
    let p = rows.shape()[0];
    let mean = B::float_mean_dim(rows.clone(), 1);
    let centred = B::float_sub(rows.clone(), mean.clone());
    let variance = B::float_mean_dim(B::float_mul(centred.clone(), centred), 1);
    let z = normalised::<B>(rows, mean.clone(), variance.clone(), epsilon);
    InstanceNormed {
        output: burn_activate::<B>(B::float_reshape(z, shape), act),
        mean: B::float_reshape(mean, Shape::new([p])),
        variance: B::float_reshape(variance, Shape::new([p])),
    }
}

/// With z the normalised input and g = ∂y·act'(z) per plane of m values:
/// ∂x = (g − mean(g) − z·mean(g·z)) / √(σ² + ε).
pub fn burn_instance_norm_act_backward<B: Backend>(
    x: FloatTensor<B>,
    [mean, variance]: [FloatTensor<B>; 2],
    epsilon: f64,
    act: Nonlinearity,
    grad: FloatTensor<B>,
) -> FloatTensor<B> {
    let shape = x.shape();
    let rows = planes::<B>(x);
    let p = rows.shape()[0];
    let column = |t: FloatTensor<B>| B::float_reshape(t, Shape::new([p, 1]));
    let (mean, variance) = (column(mean), column(variance));
    let std = B::float_sqrt(B::float_add_scalar(variance.clone(), epsilon.into()));
    let z = normalised::<B>(rows, mean, variance, epsilon);
    let g = planes::<B>(burn_activate_backward::<B>(
        B::float_reshape(z.clone(), shape.clone()),
        grad,
        act,
    ));
    let mean_g = B::float_mean_dim(g.clone(), 1);
    let mean_gz = B::float_mean_dim(B::float_mul(g.clone(), z.clone()), 1);
    let centred = B::float_sub(B::float_sub(g, mean_g), B::float_mul(z, mean_gz));
    B::float_reshape(B::float_div(centred, std), shape)
}
