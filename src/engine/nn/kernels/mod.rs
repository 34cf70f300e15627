//! ganvas's own CPU kernels for the operations where burn-flex was slowest, plugged into burn
//! as backend extensions (`#[backend_extension]`): strided convolutions ([`conv`]) and batch
//! norm fused with the activation that follows it ([`norm`]). Each has a hand-written backward
//! for burn's autodiff, and on the GPU backend each falls back to burn's own operations, so
//! the models call one API on every device. BENCHMARKS.md has what each one saved.

pub mod conv;
pub mod epilogue;
pub mod gemm;
pub mod norm;
pub mod transpose;
