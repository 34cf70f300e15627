//! The `ganvas` binary: parses the command line and hands over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = ganvas::cli::Args::parse();
    // burn loads a checkpoint's optimizer state on its default device before it is moved to
    // the run's: with wgpu compiled in, that starts a wgpu device (a GPU's, or Mesa's software
    // one, which prints Wayland errors on a headless machine) for a CPU run. Asked for the CPU,
    // the default is the CPU too. A BURN_DEVICE the user set is left alone.
    if args.backend_choice() == Some(ganvas::engine::backend::BackendChoice::Cpu)
        && std::env::var_os("BURN_DEVICE").is_none()
    {
        set_default_device_to_cpu();
    }
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
fn set_default_device_to_cpu() {
    // SAFETY: no other thread exists yet that could read the environment concurrently
    // (nothing has run but argument parsing).
    unsafe { std::env::set_var("BURN_DEVICE", "flex") };
}
