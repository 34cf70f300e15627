//! Training steps run on a worker of rayon's thread pool, not on the thread that asks for
//! them (the trainer thread, the CLI's main thread, a test).
//!
//! A step makes hundreds of parallel calls (every product, column matrix and element-wise
//! op). Made from outside the pool, each one is injected into the pool while the calling
//! thread sleeps on a latch until it is done: two context switches per call, and a third
//! thread competing for two cores. Made from a worker, a call splits with `join`, the other
//! worker steals half and the caller works on the rest. On 2 cores this made a CycleGAN
//! round about a fifth faster (BENCHMARKS.md).

/// Runs `work` on a worker of rayon's global pool (in place when already on one), blocking
/// the caller until it returns.
pub fn on_pool<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| work())
}

#[cfg(test)]
mod tests {
    #[test]
    fn work_runs_on_a_pool_worker_and_returns_its_value() {
        assert_eq!(
            rayon::current_thread_index(),
            None,
            "a test thread is not a worker"
        );
        let (index, value) = super::on_pool(|| (rayon::current_thread_index(), 6 * 7));
        assert!(index.is_some(), "ran on a worker");
        assert_eq!(value, 42);
    }
}
