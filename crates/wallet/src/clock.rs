//! Time, injected: the wallet reads the time only through a [`Clock`], so code rotation and
//! sync backoff are tested by moving a [`TestClock`] instead of sleeping.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// Real time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until a test moves it.
#[derive(Debug)]
pub struct TestClock {
    now: Mutex<DateTime<Utc>>,
}

impl TestClock {
    /// A clock standing at `now`.
    pub fn at(now: DateTime<Utc>) -> TestClock {
        TestClock {
            now: Mutex::new(now),
        }
    }

    /// Moves the clock forward (a negative step is ignored).
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now += by.max(Duration::zero());
    }
}

impl Default for TestClock {
    fn default() -> TestClock {
        TestClock::at(Utc::now())
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_clock_stands_still_and_moves_forward_only() {
        let clock = TestClock::default();
        let start = clock.now();
        assert_eq!(clock.now(), start, "it does not move by itself");
        clock.advance(Duration::seconds(61));
        assert_eq!(clock.now() - start, Duration::seconds(61));
        clock.advance(Duration::seconds(-100));
        assert_eq!(
            clock.now() - start,
            Duration::seconds(61),
            "never backwards"
        );
    }
}
