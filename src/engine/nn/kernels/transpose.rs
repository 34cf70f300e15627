//! Transposing copies between channel-first and channel-last layouts, in 8 × 8 tiles.
//!
//! Element by element, a transposing copy of 32 channels × 28 pixels ran at about one value
//! per nanosecond (each store a different row, each index bounds-checked); on fixed-size tiles
//! the compiler keeps the tile in registers and drops the checks (BENCHMARKS.md).

const TILE: usize = 8;

/// `dst[j·dst_stride + i] = src[i·src_stride + j]` for i < rows, j < cols.
pub fn transpose_into(
    src: &[f32],
    src_stride: usize,
    dst: &mut [f32],
    dst_stride: usize,
    rows: usize,
    cols: usize,
) {
    transpose_to_rows(src, src_stride, dst, |j| j * dst_stride, rows, cols);
}

/// `dst[dst_row(j) + i] = src[i·src_stride + j]` for i < rows, j < cols: the transpose with
/// each destination row wherever `dst_row` puts it (rows of a padded grid, say).
pub fn transpose_to_rows(
    src: &[f32],
    src_stride: usize,
    dst: &mut [f32],
    dst_row: impl Fn(usize) -> usize,
    rows: usize,
    cols: usize,
) {
    if rows == 0 || cols == 0 {
        return;
    }
    assert!(
        (rows - 1) * src_stride + cols <= src.len(),
        "transpose: {rows}×{cols} does not fit its source"
    );
    let (full_rows, full_cols) = (rows - rows % TILE, cols - cols % TILE);
    for i in (0..full_rows).step_by(TILE) {
        for j in (0..full_cols).step_by(TILE) {
            let mut tile = [[0.0f32; TILE]; TILE];
            for (r, line) in tile.iter_mut().enumerate() {
                let start = (i + r) * src_stride + j;
                line.copy_from_slice(&src[start..start + TILE]);
            }
            // Indexed on purpose: built as `tile.map(|line| line[c])` per column, the
            // super-resolution round ran 10 % slower (BENCHMARKS.md).
            #[allow(clippy::needless_range_loop)]
            for c in 0..TILE {
                let start = dst_row(j + c) + i;
                let out: &mut [f32; TILE] = (&mut dst[start..start + TILE])
                    .try_into()
                    .expect("a tile row");
                for (r, v) in out.iter_mut().enumerate() {
                    *v = tile[r][c];
                }
            }
        }
        for j in full_cols..cols {
            let out = &mut dst[dst_row(j) + i..][..TILE];
            for (r, v) in out.iter_mut().enumerate() {
                *v = src[(i + r) * src_stride + j];
            }
        }
    }
    // The last rows (fewer than a tile), still a tile's width of columns at a time: the
    // convolutions' output rows are often 7 or 14 pixels long.
    let rest = rows - full_rows;
    if rest == 0 {
        return;
    }
    for j in (0..full_cols).step_by(TILE) {
        let mut tile = [[0.0f32; TILE]; TILE];
        for (r, line) in tile.iter_mut().take(rest).enumerate() {
            let start = (full_rows + r) * src_stride + j;
            line.copy_from_slice(&src[start..start + TILE]);
        }
        for c in 0..TILE {
            let out = &mut dst[dst_row(j + c) + full_rows..][..rest];
            for (r, v) in out.iter_mut().enumerate() {
                *v = tile[r][c];
            }
        }
    }
    for j in full_cols..cols {
        let out = &mut dst[dst_row(j) + full_rows..][..rest];
        for (r, v) in out.iter_mut().enumerate() {
            *v = src[(full_rows + r) * src_stride + j];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_lands_transposed() {
        for (rows, cols) in [
            (1, 1),
            (8, 8),
            (13, 29),
            (32, 28),
            (3, 17),
            (17, 3),
            (7, 64),
            (7, 5),
        ] {
            let (ss, ds) = (cols + 3, rows + 5);
            let src: Vec<f32> = (0..rows * ss).map(|v| v as f32).collect();
            let mut dst = vec![-1.0f32; cols * ds];
            transpose_into(&src, ss, &mut dst, ds, rows, cols);
            for i in 0..rows {
                for j in 0..cols {
                    assert_eq!(
                        dst[j * ds + i],
                        src[i * ss + j],
                        "{rows}×{cols} at ({i}, {j})"
                    );
                }
                // The gaps between destination rows are left alone.
            }
            for j in 0..cols {
                assert!(dst[j * ds + rows..(j + 1) * ds].iter().all(|v| *v == -1.0));
            }
        }
    }
}
