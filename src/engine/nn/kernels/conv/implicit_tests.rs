//! Tests of the implicit convolutions against the definition (im2col's reference).

use super::super::direct::tests::close;
use super::super::im2col::tests::direct_conv;
use super::*;

pub(in super::super) fn values(n: usize, seed: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (((i + seed) * 7919 % 1013) as f32 / 1013.0) - 0.5)
        .collect()
}

/// The definition: y[n, o, y, x] = b[o] + Σ w[o, c, ki, kj]·x[n, c, s·y + ki − p, s·x + kj − p].
fn naive(x: &[f32], w: &[f32], b: &[f32], g: &ConvGeometry) -> Vec<f32> {
    let plane = g.out_height() * g.out_width();
    let mut y = direct_conv(x, w, b.len(), g);
    for (i, values) in y.chunks_exact_mut(plane).enumerate() {
        values.iter_mut().for_each(|v| *v += b[i % b.len()]);
    }
    y
}

fn geometries() -> Vec<(ConvGeometry, usize)> {
    let strided = |n, c, h, w, kernel, stride, padding| {
        ConvGeometry::new([n, c, h, w], kernel, stride, padding)
    };
    let g = |batch, channels, height, width, kernel: usize| {
        strided(batch, channels, height, width, kernel, 1, kernel / 2)
    };
    vec![
        (g(2, 8, 7, 7, 3), 9),
        (g(3, 9, 5, 11, 3), 4),
        (g(1, 8, 6, 4, 5), 8),
        (g(2, 10, 9, 8, 7), 5),
        (g(2, 24, 5, 6, 1), 3),
        // Paddings other than "same": none, "full", and between.
        (strided(2, 8, 6, 7, 3, 1, 0), 5),
        (strided(2, 12, 5, 4, 2, 1, 1), 6),
        (strided(3, 8, 6, 6, 4, 1, 3), 4),
        (strided(1, 8, 7, 5, 5, 1, 1), 3),
        // More outputs than one block, and an odd last block.
        (g(5, 8, 15, 13, 3), 17),
        // The critics' 4×4 stride-2 layers, on even and odd sizes; other strides.
        (strided(2, 4, 8, 8, 4, 2, 1), 6),
        (strided(3, 3, 7, 9, 4, 2, 1), 5),
        (strided(2, 8, 6, 5, 2, 2, 0), 4),
        (strided(2, 8, 10, 8, 3, 3, 1), 3),
        (strided(6, 4, 28, 28, 4, 2, 1), 7),
        // An odd size whose last row and column no output reads (left off the grid).
        (strided(2, 8, 9, 9, 2, 2, 0), 5),
        // More output channels (the critics' 64 to 128), at stride 1 and 2.
        (g(3, 8, 6, 5, 3), 72),
        (strided(2, 6, 9, 8, 4, 2, 1), 128),
    ]
}

#[test]
fn the_implicit_convolution_is_the_definition() {
    for (g, o) in geometries() {
        assert!(applies(&g));
        let dims = [g.batch, g.channels, g.height, g.width];
        let x = values(dims.iter().product(), 1);
        let w = values(o * g.channels * g.kernel * g.kernel, 2);
        let b = values(o, 3);
        let y = conv(Strided4::contiguous(&x, dims), &w, &b, &g);
        close(&y, &naive(&x, &w, &b, &g), &format!("{g:?}"));
    }
}

#[test]
fn the_weight_gradient_is_the_adjoint_of_the_convolution() {
    // <conv(x, w), r> is linear in w, so its gradient at any w is weight_grad(x, r):
    // check dw·v = <conv(x, v), r> − <conv(x, 0), r> for a direction v.
    for (g, o) in geometries() {
        let dims = [g.batch, g.channels, g.height, g.width];
        let x = values(dims.iter().product(), 4);
        let r = values(g.batch * o * g.out_height() * g.out_width(), 5);
        let v = values(o * g.channels * g.kernel * g.kernel, 6);
        let rdims = [g.batch, o, g.out_height(), g.out_width()];
        let dw = weight_grad(
            Strided4::contiguous(&x, dims),
            Strided4::contiguous(&r, rdims),
            o,
            &g,
        );
        let zero_bias = vec![0.0; o];
        let y = naive(&x, &v, &zero_bias, &g);
        let lhs: f64 = dw
            .iter()
            .zip(&v)
            .map(|(a, b)| (*a as f64) * (*b as f64))
            .sum();
        let rhs: f64 = y
            .iter()
            .zip(&r)
            .map(|(a, b)| (*a as f64) * (*b as f64))
            .sum();
        assert!(
            (lhs - rhs).abs() < 1e-3 * rhs.abs().max(1.0),
            "{g:?}: {lhs} vs {rhs}"
        );
    }
}

#[test]
fn a_strided_input_gives_the_same_result() {
    // The same input stored channel-major ([c, n, h, w]) and read through strides.
    for (g, o) in [geometries()[1], geometries()[11], geometries()[15]] {
        channel_major_input_gives_the_same_result(g, o);
    }
}

fn channel_major_input_gives_the_same_result(g: ConvGeometry, o: usize) {
    let (n, c, h, w) = (g.batch, g.channels, g.height, g.width);
    let x = values(n * c * h * w, 7);
    let mut channel_major = vec![0.0; x.len()];
    for i in 0..n {
        for ch in 0..c {
            for p in 0..h * w {
                channel_major[(ch * n + i) * h * w + p] = x[(i * c + ch) * h * w + p];
            }
        }
    }
    let view = Strided4 {
        data: &channel_major,
        offset: 0,
        strides: [h * w, n * h * w, w, 1],
    };
    let wt = values(o * c * g.kernel * g.kernel, 8);
    let b = values(o, 9);
    let contiguous = conv(Strided4::contiguous(&x, [n, c, h, w]), &wt, &b, &g);
    close(&conv(view, &wt, &b, &g), &contiguous, &format!("{g:?}"));
}

#[test]
fn only_convolutions_the_grid_can_take_apply() {
    let (g, _) = geometries()[0];
    assert!(applies(&g));
    assert!(!applies(&ConvGeometry { stride: 2, ..g })); // 3 is no multiple of 2
    assert!(applies(&ConvGeometry { stride: 3, ..g }));
    assert!(applies(&ConvGeometry { padding: 0, ..g }));
    assert!(applies(&ConvGeometry { padding: 2, ..g }));
    assert!(!applies(&ConvGeometry { padding: 3, ..g })); // p ≥ k
    assert!(applies(&ConvGeometry { kernel: 4, ..g }));
    assert!(!applies(&ConvGeometry {
        kernel: 4,
        stride: 3,
        ..g
    }));
    assert!(!applies(&ConvGeometry { channels: 3, ..g }));
    assert!(!applies(&ConvGeometry { batch: 0, ..g }));
}

#[test]
fn the_products_cover_the_output_rows_and_no_rows_between_images() {
    // The critic's 14 → 7 layer on 4 images: the grid is 8 wide (7 outputs and the column
    // the last taps read), and its images share rows, so 7 rows × 4 images × 8 positions
    // are computed (less the last row's junk column), not 8 rows per image.
    let g = ConvGeometry::new([4, 64, 14, 14], 4, 2, 1);
    let grid = Grid::new(&g);
    assert_eq!((grid.pitch, grid.out), (8, [7, 7]));
    let outputs = |columns: &'static Columns<'static>, group| Outputs {
        per_image: 128 * 49,
        columns,
        group,
        unpack: &|_, _, _| {},
    };
    let all = blocks(&grid, &outputs(&|_| 0..128, 128));
    let computed: usize = all.iter().map(|(positions, _)| positions.len()).sum();
    assert_eq!(computed, 7 * 4 * 8 - 1);
    // In order, one after the other, none longer than a block.
    for pair in all.windows(2) {
        assert_eq!(pair[0].0.end, pair[1].0.start);
    }
    assert!(all.iter().all(|(p, c)| p.len() <= BLOCK && *c == (0..128)));
    // Rows that need fewer channels get blocks of their own.
    let edges = blocks(
        &grid,
        &outputs(&|y| if y == 0 { 64..128 } else { 0..128 }, 128),
    );
    assert_eq!(edges[0], (0..32, 64..128));
    assert_eq!(edges[1].0.start, 32);
    let computed: usize = edges.iter().map(|(positions, _)| positions.len()).sum();
    assert_eq!(computed, 7 * 4 * 8 - 1);
    // Channels cut into groups: each block of positions once per group.
    let groups = blocks(&grid, &outputs(&|_| 0..128, 48));
    let widths: Vec<usize> = groups[..3].iter().map(|(_, c)| c.len()).collect();
    assert_eq!(widths, [48, 48, 32]);
    assert!(groups[..3].iter().all(|(p, _)| *p == groups[0].0));
    // A grid position and its (image, row, column) agree.
    for q in 0..grid.positions() {
        let (n, y, x) = grid.locate(q);
        assert_eq!(grid.position(n, y, x), q);
    }
}

#[test]
fn an_input_with_rows_and_columns_swapped_in_memory_gives_the_same_result() {
    // Stored [n, c, w, h] and read through strides (a column step of h values): the copy's
    // element-by-element path, at stride 1 and 2.
    for (g, o) in [geometries()[1], geometries()[11], geometries()[15]] {
        let (n, c, h, w) = (g.batch, g.channels, g.height, g.width);
        let x = values(n * c * h * w, 10);
        let mut swapped = vec![0.0; x.len()];
        for plane in 0..n * c {
            for y in 0..h {
                for i in 0..w {
                    swapped[(plane * w + i) * h + y] = x[(plane * h + y) * w + i];
                }
            }
        }
        let view = Strided4 {
            data: &swapped,
            offset: 0,
            strides: [c * h * w, h * w, 1, h],
        };
        let wt = values(o * c * g.kernel * g.kernel, 11);
        let b = values(o, 12);
        let contiguous = conv(Strided4::contiguous(&x, [n, c, h, w]), &wt, &b, &g);
        close(&conv(view, &wt, &b, &g), &contiguous, &format!("{g:?}"));
    }
}
