//! [`EpilogueKernels`] on burn-flex: one thread per block of samples; y and the gradient are
//! read through their channel view (the convolution kernels may return them channel-major),
//! the results are written in the standard [n, c, h, w] order.

use burn::backend::flex::FlexTensor;
use burn::backend::{DType, Flex, Shape, TensorData, TensorMetadata};
use rayon::prelude::*;

use super::super::gemm::zeros;
use super::super::norm::flex::{values, vector, with_channels};
use super::super::norm::loops::{self, Act, Channels, dispatch};
use super::{EpilogueGrads, EpilogueKernels};
use crate::engine::nn::kernels::norm::Nonlinearity;

fn is_f32(tensors: &[&FlexTensor]) -> bool {
    tensors.iter().all(|t| t.dtype() == DType::F32)
}

fn tensor(values: Vec<f32>, shape: Shape) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

/// The per-call constants: scale [n·c], offset [n·hw], bias [c], the gain.
struct Params<'a> {
    scale: &'a [f32],
    offset: &'a [f32],
    bias: &'a [f32],
    gain: f32,
}

fn forward<A: Act>(act: A, y: &Channels<'_>, p: &Params<'_>) -> Vec<f32> {
    let (c, hw) = (p.bias.len(), y.spatial);
    let mut out = zeros(y.batch * c * hw);
    out.par_chunks_mut(c * hw)
        .enumerate()
        .for_each(|(i, sample)| {
            let offset = &p.offset[i * hw..][..hw];
            for (ch, plane) in sample.chunks_exact_mut(hw).enumerate() {
                let (s, b) = (p.scale[i * c + ch], p.bias[ch]);
                for ((o, &v), &off) in plane.iter_mut().zip(y.run(i, ch)).zip(offset) {
                    *o = act.apply(v * s + off + b) * p.gain;
                }
            }
        });
    out
}

/// dy [n·c·hw], dscale [n·c], doffset [n·hw], and dbias per sample [n·c] (summed by the caller).
type Grads = (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>);

fn backward<A: Act>(act: A, y: &Channels<'_>, grad: &Channels<'_>, p: &Params<'_>) -> Grads {
    let (n, c, hw) = (y.batch, p.bias.len(), y.spatial);
    let (mut dy, mut dscale) = (zeros(n * c * hw), zeros(n * c));
    let (mut doffset, mut dbias) = (zeros(n * hw), zeros(n * c));
    dy.par_chunks_mut(c * hw)
        .zip(dscale.par_chunks_mut(c))
        .zip(doffset.par_chunks_mut(hw))
        .zip(dbias.par_chunks_mut(c))
        .enumerate()
        .for_each(|(i, (((dy, dscale), doffset), dbias))| {
            let offset = &p.offset[i * hw..][..hw];
            for ch in 0..c {
                let (s, b) = (p.scale[i * c + ch], p.bias[ch]);
                let (mut ds, mut db) = (0.0f32, 0.0f32);
                let plane = &mut dy[ch * hw..][..hw];
                let (yr, gr) = (y.run(i, ch), grad.run(i, ch));
                for k in 0..hw {
                    let v = yr[k];
                    let z = v * s + offset[k] + b;
                    let gz = gr[k] * p.gain * act.derivative(z, act.apply(z));
                    plane[k] = gz * s;
                    ds += gz * v;
                    db += gz;
                    doffset[k] += gz;
                }
                dscale[ch] = ds;
                dbias[ch] = db;
            }
        });
    (dy, dscale, doffset, dbias)
}

impl EpilogueKernels for Flex {
    fn scale_offset_bias_act(
        y: FlexTensor,
        scale: FlexTensor,
        offset: FlexTensor,
        bias: FlexTensor,
        act: Nonlinearity,
        gain: f64,
    ) -> FlexTensor {
        if !is_f32(&[&y, &scale, &offset, &bias]) {
            return super::burn_forward::<Flex>([y, scale, offset, bias], act, gain);
        }
        let shape = y.shape();
        let (scale, offset, bias) = (values(&scale), values(&offset), values(&bias));
        let params = Params {
            scale: &scale,
            offset: &offset,
            bias: &bias,
            gain: gain as f32,
        };
        let out = with_channels(&y, |yv| dispatch!(act, forward(yv, &params)));
        tensor(out, shape)
    }

    fn scale_offset_bias_act_backward(
        y: FlexTensor,
        scale: FlexTensor,
        offset: FlexTensor,
        bias: FlexTensor,
        act: Nonlinearity,
        gain: f64,
        grad: FlexTensor,
    ) -> EpilogueGrads<Flex> {
        if !is_f32(&[&y, &scale, &offset, &bias, &grad]) {
            return super::burn_backward::<Flex>([y, scale, offset, bias], act, gain, grad);
        }
        let shape = y.shape();
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3]);
        let (scale, offset, bias) = (values(&scale), values(&offset), values(&bias));
        let params = Params {
            scale: &scale,
            offset: &offset,
            bias: &bias,
            gain: gain as f32,
        };
        let (dy, dscale, doffset, dbias_parts) = with_channels(&y, |yv| {
            with_channels(&grad, |gv| dispatch!(act, backward(yv, gv, &params)))
        });
        let mut dbias = vec![0.0f32; c];
        for part in dbias_parts.chunks_exact(c) {
            for (total, v) in dbias.iter_mut().zip(part) {
                *total += v;
            }
        }
        EpilogueGrads {
            y: tensor(dy, shape),
            scale: tensor(dscale, Shape::new([n, c])),
            offset: tensor(doffset, Shape::new([n, 1, h, w])),
            bias: vector(dbias),
        }
    }
}
