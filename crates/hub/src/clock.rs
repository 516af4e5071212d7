//! Time, injected: the hub never reads the system clock except through a [`Clock`].
//!
//! [`SystemClock`] is real time. [`TestClock`] is real time plus an offset that an admin endpoint
//! (or a test) advances, so code expiry, cancel windows and notification retries are tested by
//! jumping ahead instead of sleeping, while polling intervals measured between real calls still
//! mean something. [`FixedClock`] stands still, for unit tests.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;

    /// Moves this clock forward, when it can be moved; returns false for real time.
    fn advance(&self, by: Duration) -> bool {
        let _ = by;
        false
    }
}

/// Real time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Real time plus an offset that only grows.
#[derive(Debug, Default)]
pub struct TestClock {
    offset: Mutex<Duration>,
}

impl TestClock {
    /// A test clock that starts at real time.
    pub fn new() -> TestClock {
        TestClock::default()
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        let offset = *self
            .offset
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Utc::now() + offset
    }

    fn advance(&self, by: Duration) -> bool {
        let mut offset = self
            .offset
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *offset += by.max(Duration::zero());
        true
    }
}

/// A clock that stands still until advanced.
#[derive(Debug)]
pub struct FixedClock {
    now: Mutex<DateTime<Utc>>,
}

impl FixedClock {
    /// A clock standing at `now`.
    pub fn at(now: DateTime<Utc>) -> FixedClock {
        FixedClock {
            now: Mutex::new(now),
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn advance(&self, by: Duration) -> bool {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by.max(Duration::zero());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_clock_moves_forward_only() {
        let clock = TestClock::new();
        let before = clock.now();
        assert!(clock.advance(Duration::minutes(5)));
        assert!(
            clock.now() - before >= Duration::minutes(5),
            "advanced by at least 5 min"
        );
        clock.advance(Duration::minutes(-10));
        assert!(
            clock.now() - before >= Duration::minutes(5),
            "a negative step is ignored"
        );
    }

    #[test]
    fn real_time_cannot_be_advanced() {
        assert!(!SystemClock.advance(Duration::seconds(1)));
    }
}
