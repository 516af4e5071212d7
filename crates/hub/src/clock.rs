//! Time, injected: the hub never reads the system clock except through a [`Clock`].
//!
//! The clocks live in linker-base, shared with the wallet and the reference acquirer; the hub
//! keeps its names. [`SystemClock`] is real time. [`TestClock`] is real time plus an offset that
//! an admin endpoint (or a test) advances, so code expiry, cancel windows and notification
//! retries are tested by jumping ahead instead of sleeping, while polling intervals measured
//! between real calls still mean something. [`FixedClock`] stands still until advanced, for
//! tests.

pub use linker_base::clock::{
    Clock, ManualClock as FixedClock, OffsetClock as TestClock, SystemClock,
};
