//! The direct convolutions against the im2col products they replace.
use super::super::im2col::{col2im, im2col};
use super::*;

fn values(n: usize, seed: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (((i + seed) * 7919 % 1013) as f32 / 500.0) - 1.0)
        .collect()
}

/// Asserts `a` and `b` agree to 1e-3 (also used by the implicit products' tests).
pub(in super::super) fn close(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let worst = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-3, "{what}: max difference {worst}");
}

/// [rows, cols] · [cols, len] for plain row-major slices.
fn product(a: &[f32], b: &[f32], rows: usize, inner: usize, len: usize) -> Vec<f32> {
    let mut y = vec![0.0; rows * len];
    for r in 0..rows {
        for i in 0..inner {
            for j in 0..len {
                y[r * len + j] += a[r * inner + i] * b[i * len + j];
            }
        }
    }
    y
}

/// [o, n·p] (channel-major) → [n, o, p] (contiguous).
fn to_nchw(m: &[f32], o: usize, n: usize, p: usize) -> Vec<f32> {
    let mut y = vec![0.0; m.len()];
    for oc in 0..o {
        for i in 0..n {
            y[(i * o + oc) * p..][..p].copy_from_slice(&m[(oc * n + i) * p..][..p]);
        }
    }
    y
}

/// The geometries CycleGAN uses (7×7 pad 3, 3×3 pad 1), a width unequal to the height,
/// and a padding smaller than it could be.
fn geometries() -> Vec<(ConvGeometry, usize)> {
    let g = |kernel, padding, height, width| ConvGeometry {
        batch: 2,
        channels: 3,
        height,
        width,
        kernel,
        stride: 1,
        padding,
    };
    vec![
        (g(7, 3, 9, 11), 1),
        (g(3, 1, 6, 5), 3),
        (g(4, 1, 7, 8), 2),
        (g(3, 0, 5, 6), 4),
    ]
}

#[test]
fn the_direct_convolution_is_the_matrix_product_one() {
    for (g, o) in geometries() {
        let dims = [g.batch, g.channels, g.height, g.width];
        let x = values(dims.iter().product(), 1);
        let w = values(o * g.col_rows(), 2);
        let bias = values(o, 3);
        let view = Strided4::contiguous(&x, dims);
        let cols = im2col(view, &g);
        let mut m = product(&w, &cols, o, g.col_rows(), g.col_len());
        let p = g.out_height() * g.out_width();
        for (oc, chunk) in m.chunks_mut(g.col_len()).enumerate() {
            chunk.iter_mut().for_each(|v| *v += bias[oc]);
        }
        let want = to_nchw(&m, o, g.batch, p);
        close(&conv(view, &w, &bias, &g), &want, &format!("{g:?}"));
    }
}

#[test]
fn the_input_gradient_is_the_adjoint_col2im_gives() {
    for (g, o) in geometries() {
        let (oh, ow) = (g.out_height(), g.out_width());
        let dims = [g.batch, o, oh, ow];
        let grad = values(dims.iter().product(), 4);
        let w = values(o * g.col_rows(), 5);
        // Reference: colsᵀ = Wᵀ·G, then col2im (bias c at every position).
        let bias = values(g.channels, 6);
        let mut wt = vec![0.0; w.len()];
        for oc in 0..o {
            for r in 0..g.col_rows() {
                wt[r * o + oc] = w[oc * g.col_rows() + r];
            }
        }
        let gm = {
            let mut m = vec![0.0; grad.len()];
            let p = oh * ow;
            for i in 0..g.batch {
                for oc in 0..o {
                    m[(oc * g.batch + i) * p..][..p]
                        .copy_from_slice(&grad[(i * o + oc) * p..][..p]);
                }
            }
            m
        };
        let cols = product(&wt, &gm, g.col_rows(), o, g.col_len());
        let image = col2im(&cols, &g, &bias); // [c, n, h, w]
        let want = to_nchw(&image, g.channels, g.batch, g.height * g.width);
        let got = input_grad(Strided4::contiguous(&grad, dims), &w, &bias, &g);
        close(&got, &want, &format!("{g:?}"));
    }
}

#[test]
fn the_weight_gradient_is_the_columns_product() {
    for (g, o) in geometries() {
        let (oh, ow) = (g.out_height(), g.out_width());
        let xdims = [g.batch, g.channels, g.height, g.width];
        let gdims = [g.batch, o, oh, ow];
        let x = values(xdims.iter().product(), 7);
        let grad = values(gdims.iter().product(), 8);
        let cols = im2col(Strided4::contiguous(&x, xdims), &g);
        let p = oh * ow;
        let mut want = vec![0.0f32; o * g.col_rows()];
        for oc in 0..o {
            for r in 0..g.col_rows() {
                let mut s = 0.0;
                for i in 0..g.batch {
                    for q in 0..p {
                        s += grad[(i * o + oc) * p + q] * cols[r * g.col_len() + i * p + q];
                    }
                }
                want[oc * g.col_rows() + r] = s;
            }
        }
        let got = weight_grad(
            Strided4::contiguous(&x, xdims),
            Strided4::contiguous(&grad, gdims),
            o,
            &g,
        );
        close(&got, &want, &format!("{g:?}"));
    }
}
