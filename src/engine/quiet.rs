//! Catching panics of code we do not own (burn's record parsers panic on some damaged bytes)
//! without printing them: the caller turns them into an error message of its own.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

thread_local! {
    /// Panics on this thread are expected and caught: not printed.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Silences panic messages on this thread while it lives; other threads print theirs as
/// before (the hook it installs once hands every other panic to the previous hook).
pub struct Quiet {
    was: bool,
}

impl Quiet {
    pub fn on() -> Self {
        static HOOK: std::sync::Once = std::sync::Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if !QUIET.with(Cell::get) {
                    previous(info);
                }
            }));
        });
        Quiet {
            was: QUIET.with(|q| q.replace(true)),
        }
    }
}

impl Drop for Quiet {
    fn drop(&mut self) {
        QUIET.with(|q| q.set(self.was));
    }
}

/// The text of a caught panic.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_string())
}

/// Runs `f`, turning a panic in it into `Err` with the panic's text, silently.
pub fn catching<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let _quiet = Quiet::on();
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| panic_message(p.as_ref()))
}
