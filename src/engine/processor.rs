//! The processor a figure was measured on: its model name, the cores this process may use, and
//! the vector instructions the matrix products (gemm, hence the convolutions and linear layers
//! on the CPU) dispatch to. A speed ratio holds for one processor only, so `ganvas bench`
//! prints this with every table.

use std::fmt;

/// The widest matrix-product kernel gemm picks on this machine, in the order it tries them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimdLevel {
    /// x86-64 with AVX-512F, in a build with the `avx512` feature (gemm's `x86-v4` kernels).
    Avx512,
    /// x86-64 with AVX2 and FMA.
    Avx2Fma,
    /// AArch64 NEON.
    Neon,
    /// No vector kernel: plain loops.
    Scalar,
}

impl SimdLevel {
    /// What gemm dispatches to here (it checks the same features in the same order; its
    /// AVX-512 kernels exist only in a build with the `avx512` feature).
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if cfg!(feature = "avx512") && std::arch::is_x86_feature_detected!("avx512f") {
                return SimdLevel::Avx512;
            }
            if std::arch::is_x86_feature_detected!("fma") {
                return SimdLevel::Avx2Fma;
            }
        }
        #[cfg(target_arch = "aarch64")]
        if std::arch::is_aarch64_feature_detected!("neon") {
            return SimdLevel::Neon;
        }
        SimdLevel::Scalar
    }

    pub fn label(self) -> &'static str {
        match self {
            SimdLevel::Avx512 => "AVX-512",
            SimdLevel::Avx2Fma => "AVX2+FMA",
            SimdLevel::Neon => "NEON",
            SimdLevel::Scalar => "scalar",
        }
    }
}

/// This machine's processor, as far as a figure depends on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Processor {
    /// The model name the kernel reports ("AMD EPYC 9B14", "Intel(R) Xeon(R) Platinum 8481C"),
    /// or "unknown processor"; on x86 followed by its family and model numbers, since virtual
    /// machines often report a bare "AMD EPYC" for different generations.
    pub model: String,
    /// Cores (hardware threads) this process may run on.
    pub cores: usize,
    pub simd: SimdLevel,
}

impl Processor {
    pub fn detect() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let model = model_name(&cpuinfo).unwrap_or_else(|| "unknown processor".to_string());
        Self {
            model,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            simd: SimdLevel::detect(),
        }
    }
}

impl fmt::Display for Processor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {} core{}, matrix products on {}",
            self.model,
            self.cores,
            if self.cores == 1 { "" } else { "s" },
            self.simd.label()
        )
    }
}

/// The first value of `key` in a `/proc/cpuinfo` text, repeated spaces squeezed.
fn field(cpuinfo: &str, key: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k.trim() == key && !v.trim().is_empty())
            .then(|| v.split_whitespace().collect::<Vec<_>>().join(" "))
    })
}

/// The processor's name in a `/proc/cpuinfo` text: x86's `model name` with its `cpu family`
/// and `model` numbers, else ARM's `Model` or `Hardware` line.
fn model_name(cpuinfo: &str) -> Option<String> {
    if let Some(name) = field(cpuinfo, "model name") {
        return Some(
            match (field(cpuinfo, "cpu family"), field(cpuinfo, "model")) {
                (Some(family), Some(model)) => format!("{name} (family {family}, model {model})"),
                _ => name,
            },
        );
    }
    field(cpuinfo, "Model").or_else(|| field(cpuinfo, "Hardware"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_name_comes_from_cpuinfo() {
        let x86 = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\n\
                   model name\t: AMD EPYC  9B14 96-Core Processor\nflags\t: fpu avx512f\n\
                   processor\t: 1\nmodel name\t: AMD EPYC 9B14 96-Core Processor\n";
        assert_eq!(
            model_name(x86).as_deref(),
            Some("AMD EPYC 9B14 96-Core Processor (family 25, model 17)")
        );
        let arm = "processor\t: 0\nBogoMIPS\t: 48.00\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n";
        assert_eq!(
            model_name(arm).as_deref(),
            Some("Raspberry Pi 4 Model B Rev 1.4")
        );
        assert_eq!(model_name("processor\t: 0\nmodel name\t:\n"), None);
    }

    #[test]
    fn this_machine_is_described() {
        let p = Processor::detect();
        assert!(p.cores >= 1 && !p.model.is_empty());
        let line = p.to_string();
        assert!(
            line.contains(p.simd.label()) && line.contains("core"),
            "{line}"
        );
        #[cfg(target_arch = "x86_64")]
        assert_ne!(
            p.simd,
            SimdLevel::Neon,
            "an x86 machine reports an x86 level"
        );
        if !cfg!(feature = "avx512") {
            assert_ne!(
                p.simd,
                SimdLevel::Avx512,
                "this build has no AVX-512 kernels"
            );
        }
    }
}
