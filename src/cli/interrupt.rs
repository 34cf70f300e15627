//! Ctrl-C (and SIGTERM, SIGQUIT) during a long command: the first asks it to stop at the next
//! safe point (`ganvas train`: after the current round, with the run saved); a second one ends
//! the process at once, in case saving itself hangs.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Exit status of a run stopped by a signal (128 + SIGINT, as shells report Ctrl-C).
pub const INTERRUPTED_STATUS: i32 = 130;

/// Installs the handlers. Without them (an error here) Ctrl-C keeps its default, immediate
/// effect, which is why a failure is only reported, not fatal.
pub fn install() {
    #[cfg(unix)]
    for &signal in signal_hook::consts::TERM_SIGNALS {
        // Order matters: the shutdown is armed by the flag the first signal sets.
        let installed = signal_hook::flag::register_conditional_shutdown(
            signal,
            INTERRUPTED_STATUS,
            &REQUESTED,
        )
        .and_then(|_| signal_hook::flag::register(signal, &REQUESTED));
        if let Err(e) = installed {
            eprintln!("note: Ctrl-C will not save the run ({e})");
            return;
        }
    }
}

/// Whether a stop was asked for since [`install`].
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// The error a command returns when a signal stopped it after saving: `main` exits with
/// [`INTERRUPTED_STATUS`] and prints this as it is (it is not a failure of the command).
#[derive(Debug)]
pub struct Interrupted(pub String);

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Interrupted {}
