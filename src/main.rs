//! The `ganvas` binary: parses the command line and hands over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = ganvas::cli::Args::parse();
    // burn loads a checkpoint's optimizer state on its default device before it is moved to
    // the run's: with wgpu compiled in, that starts a wgpu device (a GPU's, or Mesa's software
    // one, which prints Wayland errors on a headless machine) for a CPU run. Asked for the CPU,
    // the default is the CPU too. A BURN_DEVICE the user set is left alone.
    let cpu_default = args.backend_choice() == Some(ganvas::engine::backend::BackendChoice::Cpu)
        && std::env::var_os("BURN_DEVICE").is_none();
    // Without a desktop session (no XDG_RUNTIME_DIR: ssh, CI, a container) Mesa's Vulkan
    // device-select layer tries to reach a Wayland display while wgpu lists adapters, fails,
    // and libwayland prints "error: XDG_RUNTIME_DIR is invalid …" four times on every command,
    // which reads like ganvas's own errors. With no display there is nothing for the layer to
    // select by, so it is switched off there; a desktop session, or a user's own
    // MESA_VK_DEVICE_SELECT, keeps it.
    let quiet_device_select = std::env::var_os("XDG_RUNTIME_DIR").is_none()
        && std::env::var_os("MESA_VK_DEVICE_SELECT").is_none()
        && std::env::var_os("NODEVICE_SELECT").is_none();
    set_env_before_threads(cpu_default, quiet_device_select);
    match ganvas::cli::run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => match e.downcast_ref::<ganvas::cli::interrupt::Interrupted>() {
            Some(stopped) => {
                eprintln!("{stopped}");
                std::process::ExitCode::from(ganvas::cli::interrupt::INTERRUPTED_STATUS as u8)
            }
            None => {
                eprintln!("error: {e:#}");
                std::process::ExitCode::FAILURE
            }
        },
    }
}

/// Called first thing in `main`, before any thread is started.
#[allow(unsafe_code)]
fn set_env_before_threads(cpu_default: bool, quiet_device_select: bool) {
    // SAFETY: no other thread exists yet that could read the environment concurrently
    // (nothing has run but argument parsing).
    unsafe {
        if cpu_default {
            std::env::set_var("BURN_DEVICE", "flex");
        }
        if quiet_device_select {
            std::env::set_var("NODEVICE_SELECT", "1");
        }
    }
}
