//! The one place that chooses where tensors live: burn's wgpu backend when an adapter exists,
//! else the flex CPU backend (measured faster than ndarray for these models: BENCHMARKS.md).

use burn::tensor::Device;

/// What the user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendChoice {
    /// A GPU when there is one, else the CPU.
    Auto,
    /// wgpu only; fails without an adapter.
    Gpu,
    /// The CPU backend.
    Cpu,
}

/// The device chosen and a description of it for the user.
#[derive(Clone, Debug)]
pub struct Backend {
    /// The plain device (autodiff is enabled per use).
    pub device: Device,
    /// "wgpu: <adapter> (<api>)" or "CPU (flex)".
    pub name: String,
    /// Whether this is the CPU backend.
    pub is_cpu: bool,
    /// Why a GPU was not used, when `auto` fell back (or the adapter is a software one).
    pub note: Option<String>,
}

/// Why no backend could be had.
#[derive(Debug, thiserror::Error)]
#[error("no GPU backend: {0}")]
pub struct BackendError(String);

fn cpu(note: Option<String>) -> Backend {
    Backend {
        device: Device::flex(),
        name: "CPU (flex)".to_string(),
        is_cpu: true,
        note,
    }
}

/// burn registers a wgpu runtime once per process; later probes reuse the first answer.
fn try_wgpu() -> Result<Backend, BackendError> {
    static PROBE: std::sync::OnceLock<Result<Backend, String>> = std::sync::OnceLock::new();
    PROBE
        .get_or_init(|| probe_wgpu().map_err(|e| e.0))
        .clone()
        .map_err(BackendError)
}

fn probe_wgpu() -> Result<Backend, BackendError> {
    let (device, setup) = Device::wgpu_options()
        .init_with_setup()
        .map_err(|e| BackendError(e.to_string()))?;
    let info = setup.adapter.get_info();
    let software = info.device_type == burn::tensor::wgpu::wgpu::DeviceType::Cpu;
    let name = format!("wgpu: {} ({:?})", info.name, info.backend);
    let note = software.then(|| {
        format!(
            "{} is a software adapter (it runs on the CPU and is slower than the CPU backend)",
            info.name
        )
    });
    Ok(Backend {
        device,
        name,
        is_cpu: false,
        note,
    })
}

/// The adapters wgpu offers, each by name and whether it is a software one, found without
/// creating a device; None when the answer did not come at once. `Auto` looks here first:
/// a burn wgpu device keeps a server thread that wakes every 150 µs for the life of the
/// process (cubecl's device channel), 10 % of a core in a paused window, for a software
/// adapter it would not train on anyway.
fn adapters() -> Option<Vec<(String, bool)>> {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    let instance = burn::tensor::wgpu::wgpu::Instance::new(
        burn::tensor::wgpu::wgpu::InstanceDescriptor::new_without_display_handle_from_env(),
    );
    let future = instance.enumerate_adapters(burn::tensor::wgpu::wgpu::Backends::all());
    let mut future = std::pin::pin!(future);
    // Native adapters are enumerated synchronously: the future is ready on its first poll.
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(list) => Some(
            list.iter()
                .map(|a| {
                    let info = a.get_info();
                    let software = info.device_type == burn::tensor::wgpu::wgpu::DeviceType::Cpu;
                    (info.name, software)
                })
                .collect(),
        ),
        Poll::Pending => None,
    }
}

/// Picks the device for `choice`. `Auto` never fails: it falls back to the CPU and says why.
pub fn select(choice: BackendChoice) -> Result<Backend, BackendError> {
    match choice {
        BackendChoice::Cpu => Ok(cpu(None)),
        BackendChoice::Gpu => try_wgpu(),
        BackendChoice::Auto => match adapters() {
            Some(list) if list.iter().all(|(_, software)| *software) => {
                let why = match list.first() {
                    Some((name, _)) => format!(
                        "{name} is a software adapter (it runs on the CPU and is slower than the CPU backend)"
                    ),
                    None => "no GPU adapter was found".to_string(),
                };
                Ok(cpu(Some(format!("using the CPU backend: {why}"))))
            }
            _ => auto_from_burn(),
        },
    }
}

/// `Auto` where a hardware adapter may exist: burn's own choice of adapter decides.
fn auto_from_burn() -> Result<Backend, BackendError> {
    match try_wgpu() {
        Ok(b) if b.note.is_none() => Ok(b),
        Ok(software) => Ok(cpu(Some(format!(
            "using the CPU backend: {}",
            software.note.unwrap_or_default()
        )))),
        Err(e) => Ok(cpu(Some(format!("using the CPU backend: {e}")))),
    }
}
