//! The start's timeline, for `scripts/bench-app.sh --timeline`: with `LINKER_FIRST_SCREEN=1` the
//! app prints `linker-mark <name> <unix ns>` on stderr at each step of its start (process start,
//! Tauri's setup, wallet opened, first command) and the page's own steps, which the page reports
//! with its first screen (`ui/early.js`: `linker-page-marks {"<name>": <unix ms>, ...}`); without
//! it nothing is printed.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use tauri::{Listener, Runtime};

/// Set to `1` to have the app print its start's timeline and first screen on stderr.
pub const FIRST_SCREEN_ENV: &str = "LINKER_FIRST_SCREEN";

/// Whether [`FIRST_SCREEN_ENV`] asks for the timeline (read once).
pub fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var(FIRST_SCREEN_ENV).is_ok_and(|value| value == "1"))
}

/// Now, in nanoseconds since the Unix epoch.
fn unix_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default()
}

/// Prints `linker-mark <name> <unix ns>` when the timeline is asked for.
pub fn mark(name: &str) {
    if enabled() {
        eprintln!("linker-mark {name} {}", unix_nanos());
    }
}

/// Prints the mark `name` the first time `seen` is passed here, when the timeline is asked for.
pub fn mark_once(seen: &AtomicBool, name: &str) {
    if enabled() && !seen.swap(true, Ordering::Relaxed) {
        mark(name);
    }
}

/// Listens for the page's reports: `first-screen-drawn` (printed as `linker-first-screen <unix
/// ns>`, the time it was heard) and `start-marks`; both carry the page's marks,
/// `{"<name>": <unix ms>, ...}`, printed as they came: `linker-page-marks <json>`.
pub fn listen<R: Runtime, L: Listener<R>>(app: &L) {
    if !enabled() {
        return;
    }
    app.listen_any("first-screen-drawn", |event| {
        let heard = unix_nanos();
        eprintln!("linker-page-marks {}", event.payload());
        eprintln!("linker-first-screen {heard}");
    });
    app.listen_any("start-marks", |event| {
        eprintln!("linker-page-marks {}", event.payload());
    });
}
