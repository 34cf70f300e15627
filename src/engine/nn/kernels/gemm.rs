//! Matrix products for the CPU kernels, on the `gemm` crate (the one burn-flex uses), with the
//! work split across the thread pool by output columns and the output accumulated in place.
//!
//! Why not burn-flex's own `matmul`: it lets `gemm` parallelise internally, and `gemm` packs
//! part of the operands on the calling thread while the pool waits (a fifth of the DCGAN's
//! serial time in a profile, BENCHMARKS.md); it also always writes a fresh, zeroed output, so
//! a bias had to be added in another pass. Here each thread packs its own share, and a bias is
//! written into the output first and accumulated onto.
//!
//! `gemm::gemm` takes raw pointers; this module is the one place that calls it. Every view is
//! checked to lie inside its slice before the call, and threads write disjoint columns.

#![allow(unsafe_code)]

use rayon::prelude::*;

/// A read-only matrix view: element (i, j) is `data[offset + i·row_stride + j·col_stride]`.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a> {
    pub data: &'a [f32],
    pub offset: usize,
    pub rows: usize,
    pub cols: usize,
    pub row_stride: isize,
    pub col_stride: isize,
}

impl<'a> MatRef<'a> {
    /// A contiguous row-major matrix.
    pub fn row_major(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self {
            data,
            offset: 0,
            rows,
            cols,
            row_stride: cols as isize,
            col_stride: 1,
        }
    }

    /// The transposed view (no copy).
    pub fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    /// Columns `start..start + len`.
    fn columns(self, start: usize, len: usize) -> Self {
        let shift = start as isize * self.col_stride;
        Self {
            offset: (self.offset as isize + shift) as usize,
            cols: len,
            ..self
        }
    }

    /// Whether every element of the view lies inside `data`.
    fn in_bounds(&self) -> bool {
        if self.rows == 0 || self.cols == 0 {
            return true;
        }
        let last = |n: usize, stride: isize| (n as isize - 1) * stride;
        let (r, c) = (
            last(self.rows, self.row_stride),
            last(self.cols, self.col_stride),
        );
        let lowest = self.offset as isize + r.min(0) + c.min(0);
        let highest = self.offset as isize + r.max(0) + c.max(0);
        lowest >= 0 && (highest as usize) < self.data.len()
    }
}

/// A pointer that may cross to another thread: each thread writes its own columns.
#[derive(Clone, Copy)]
struct SharedOut(*mut f32);
// SAFETY: the pointer is only used by `matmul` below, whose threads write disjoint columns of
// one output that outlives them.
unsafe impl Send for SharedOut {}
unsafe impl Sync for SharedOut {}

impl SharedOut {
    /// The pointer `offset` elements in. (A method, so that closures capture the whole
    /// wrapper rather than its raw field.)
    fn plus(&self, offset: usize) -> *mut f32 {
        self.0.wrapping_add(offset)
    }
}

/// Below this many multiply-adds a product runs on the calling thread.
const PARALLEL_WORK: usize = 1 << 22;

/// `out` [a.rows × b.cols], row-major, becomes `a·b`, or `out + a·b` when `accumulate`.
pub fn matmul(out: &mut [f32], a: MatRef<'_>, b: MatRef<'_>, accumulate: bool) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(b.rows, k, "matmul: inner dimensions {k} and {}", b.rows);
    assert_eq!(
        out.len(),
        m * n,
        "matmul: output of {} for {m}×{n}",
        out.len()
    );
    assert!(
        a.in_bounds() && b.in_bounds(),
        "matmul: a view exceeds its data"
    );
    if m == 0 || n == 0 {
        return;
    }
    let threads = rayon::current_num_threads().max(1);
    let parts = if m * n * k < PARALLEL_WORK {
        1
    } else {
        // Column blocks of at least 64, one per thread.
        threads.min(n.div_ceil(64)).max(1)
    };
    let width = n.div_ceil(parts);
    let dst = SharedOut(out.as_mut_ptr());
    let run = |p: usize| {
        let start = p * width;
        let len = width.min(n - start);
        let b = b.columns(start, len);
        // SAFETY: `a` and `b` (and so its column block) lie inside their slices (checked
        // above); the block's output, columns start..start+len of every row of `out`, lies
        // inside `out` (m·n elements, row stride n) and no other part writes those columns;
        // `out` is borrowed mutably for the whole call, so nothing else reads or writes it.
        unsafe {
            gemm::gemm(
                m,
                len,
                k,
                dst.plus(start),
                1,
                n as isize,
                accumulate,
                a.data.as_ptr().add(a.offset),
                a.col_stride,
                a.row_stride,
                b.data.as_ptr().add(b.offset),
                b.col_stride,
                b.row_stride,
                1.0f32,
                1.0f32,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
    };
    let run = &run;
    if parts == 1 {
        run(0);
    } else {
        (0..parts).into_par_iter().for_each(run);
    }
}

thread_local! {
    /// Buffers the kernels are done with, for [`scratch`] to hand out again.
    static POOL: std::cell::RefCell<Vec<Vec<f32>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Buffers kept per thread: enough for the DCGAN's column matrices in flight.
const POOL_SIZE: usize = 4;

/// A buffer of `n` floats with unspecified contents (left from earlier use, or zeros), for
/// callers that write every element. Recycled buffers come back without being cleared: the
/// column matrices of a DCGAN step are 13 MB each, and clearing them before overwriting them
/// was 6 % of the step.
pub fn scratch(n: usize) -> Vec<f32> {
    let reused = POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let best = (0..pool.len()).min_by_key(|&i| {
            let c = pool[i].capacity();
            // The smallest buffer that fits, else the largest (it grows once).
            if c >= n { c - n } else { usize::MAX - c }
        })?;
        Some(pool.swap_remove(best))
    });
    match reused {
        Some(mut v) if v.len() >= n => {
            v.truncate(n);
            v
        }
        Some(mut v) => {
            v.resize(n, 0.0);
            v
        }
        None => zeros(n),
    }
}

/// Gives a buffer back for [`scratch`]; the pool keeps the largest few.
pub fn recycle(v: Vec<f32>) {
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        pool.push(v);
        if pool.len() > POOL_SIZE {
            let smallest = (0..pool.len()).min_by_key(|&i| pool[i].capacity());
            if let Some(i) = smallest {
                pool.swap_remove(i);
            }
        }
    });
}

/// `n` zeros, written by the thread pool when `n` is large (a single-threaded memset of the
/// DCGAN's 13 MB column matrices kept the other core waiting).
pub fn zeros(n: usize) -> Vec<f32> {
    let mut v = Vec::with_capacity(n);
    if n < PARALLEL_WORK / 16 {
        v.resize(n, 0.0);
    } else {
        v.par_extend(rayon::iter::repeat_n(0.0f32, n));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: MatRef<'_>, b: MatRef<'_>) -> Vec<f32> {
        let at = |m: &MatRef<'_>, i: usize, j: usize| {
            m.data[(m.offset as isize + i as isize * m.row_stride + j as isize * m.col_stride)
                as usize]
        };
        let mut out = vec![0.0; a.rows * b.cols];
        for i in 0..a.rows {
            for j in 0..b.cols {
                out[i * b.cols + j] = (0..a.cols).map(|l| at(&a, i, l) * at(&b, l, j)).sum();
            }
        }
        out
    }

    fn values(n: usize) -> Vec<f32> {
        (0..n).map(|i| ((i * 31 % 17) as f32 - 8.0) / 8.0).collect()
    }

    #[test]
    fn products_match_the_definition_for_every_layout() {
        // Large enough to be split across threads, with transposed operands.
        let (m, k, n) = (70, 300, 260);
        let a_data = values(m * k);
        let b_data = values(k * n + 3);
        let a = MatRef::row_major(&a_data, m, k);
        let b = MatRef::row_major(&b_data[3..], k, n);
        let bt_data: Vec<f32> = (0..n * k)
            .map(|i| b_data[3 + (i % k) * n + i / k])
            .collect();
        let bt = MatRef::row_major(&bt_data, n, k).t();
        let expected = naive(a, b);
        for rhs in [b, bt] {
            let mut out = vec![0.0; m * n];
            matmul(&mut out, a, rhs, false);
            let worst = out
                .iter()
                .zip(&expected)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0f32, f32::max);
            assert!(worst < 1e-3, "max difference {worst}");
        }
        // Accumulating adds onto what is there.
        let mut out = vec![1.0; m * n];
        matmul(&mut out, a, b, true);
        assert!((out[5] - 1.0 - expected[5]).abs() < 1e-3);
    }

    #[test]
    #[should_panic(expected = "exceeds its data")]
    fn a_view_outside_its_data_is_refused() {
        let data = values(10);
        let a = MatRef::row_major(&data, 3, 4); // needs 12 elements
        let b_data = values(8);
        let b = MatRef::row_major(&b_data, 4, 2);
        let mut out = vec![0.0; 6];
        matmul(&mut out, a, b, false);
    }

    #[test]
    fn zeros_are_zeros() {
        assert!(zeros(5).iter().all(|v| *v == 0.0));
        let big = zeros(1 << 21);
        assert_eq!(big.len(), 1 << 21);
        assert!(big.iter().all(|v| *v == 0.0));
    }
}
