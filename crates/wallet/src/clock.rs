//! Time, injected: the wallet reads the time only through a [`Clock`], so code rotation and
//! sync backoff are tested by moving a [`TestClock`] instead of sleeping.
//!
//! The clocks live in linker-base, shared with the hub and the reference acquirer; the wallet's
//! [`TestClock`] is the clock that stands still until a test moves it.

pub use linker_base::clock::{Clock, ManualClock as TestClock, SystemClock};
