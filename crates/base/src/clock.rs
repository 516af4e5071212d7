//! Time, injected: code that needs "now" asks a [`Clock`], never the system.
//!
//! [`SystemClock`] is real time. [`OffsetClock`] is real time plus an offset that only grows (the
//! hub's test clock, which its admin API advances), so expiry, cancel windows and retries are
//! tested by jumping ahead while intervals measured between real calls still mean something.
//! [`ManualClock`] stands still until a test moves it, for exact assertions on times.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;

    /// Moves this clock forward, when it can be moved; returns false for real time. A negative
    /// step is ignored: time never goes backwards.
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
pub struct OffsetClock {
    offset: Mutex<Duration>,
}

impl OffsetClock {
    /// A clock that starts at real time.
    pub fn new() -> OffsetClock {
        OffsetClock::default()
    }
}

impl Clock for OffsetClock {
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

/// A clock that stands still until moved forward.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock standing at `now`.
    pub fn at(now: DateTime<Utc>) -> ManualClock {
        ManualClock {
            now: Mutex::new(now),
        }
    }
}

impl Default for ManualClock {
    /// A clock standing at the real time of its creation.
    fn default() -> ManualClock {
        ManualClock::at(Utc::now())
    }
}

impl Clock for ManualClock {
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
    fn an_offset_clock_moves_forward_only() {
        let clock = OffsetClock::new();
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
    fn a_manual_clock_stands_still_and_moves_forward_only() {
        let clock = ManualClock::default();
        let start = clock.now();
        assert_eq!(clock.now(), start, "it does not move by itself");
        assert!(clock.advance(Duration::seconds(61)));
        assert_eq!(clock.now() - start, Duration::seconds(61));
        assert!(clock.advance(Duration::seconds(-100)));
        assert_eq!(
            clock.now() - start,
            Duration::seconds(61),
            "never backwards"
        );
    }

    #[test]
    fn real_time_cannot_be_advanced() {
        assert!(!SystemClock.advance(Duration::seconds(1)));
    }

    #[test]
    fn every_clock_is_one_trait_object() {
        let clocks: [std::sync::Arc<dyn Clock>; 3] = [
            std::sync::Arc::new(SystemClock),
            std::sync::Arc::new(OffsetClock::new()),
            std::sync::Arc::new(ManualClock::default()),
        ];
        assert_eq!(
            clocks
                .iter()
                .filter(|c| c.advance(Duration::zero()))
                .count(),
            2
        );
    }
}
