//! linker-base: what the hub, the wallet and the reference acquirer share below the protocol.
//!
//! - [`clock`]: the injected [`Clock`] (real time, real time plus an offset a test or the admin
//!   API moves forward, and a clock that stands still until moved), so no library reads the
//!   system time directly and tests jump ahead instead of sleeping;
//! - [`sqlite`]: opening a SQLite file the same way everywhere (WAL, foreign keys, a busy
//!   timeout) and bringing its schema up to date with ordered migrations in one transaction,
//!   refusing a database written by a newer build; the file is created readable by its owner
//!   only;
//! - [`private`]: folders (`0700`) and files (`0600`) only their owner may read.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod clock;
pub mod private;
pub mod sqlite;
pub mod throttle;

pub use clock::{Clock, ManualClock, OffsetClock, SystemClock};
