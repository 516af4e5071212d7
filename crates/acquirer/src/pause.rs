//! The backend's waits (between polls, between retries) on its clock rather than on the wall.
//!
//! On real time a wait is a plain sleep. On a clock that can be moved forward (the demo shares
//! the hub's test clock with the acquirer) a wait also ends as soon as that clock has passed
//! its end (whichever comes first), so a hub that skips a window skips the acquirer's polls and retries with it; each
//! still comes at least its interval after the last one on that clock, which is the clock the
//! hub's checks measure intervals on.

use std::time::Duration;

use crate::config::Clock;

/// How often a wait on a movable clock looks at it.
const SLICE: Duration = Duration::from_millis(25);

/// Waits `duration` of real time, or less when `clock` can be moved forward and has passed
/// `duration` after its start (see the module's header).
pub(crate) async fn pause(clock: &dyn Clock, duration: Duration) {
    // A zero step moves nothing: it only tells a movable clock from real time.
    let movable = clock.advance(chrono::Duration::zero());
    let Some(end) = chrono::Duration::from_std(duration)
        .ok()
        .filter(|_| movable)
        .and_then(|step| clock.now().checked_add_signed(step))
    else {
        tokio::time::sleep(duration).await;
        return;
    };
    let started = tokio::time::Instant::now();
    while let Some(left) = duration
        .checked_sub(started.elapsed())
        .filter(|left| !left.is_zero())
        && clock.now() < end
    {
        tokio::time::sleep(left.min(SLICE)).await;
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use std::sync::Arc;

    use linker_base::clock::{ManualClock, SystemClock};

    use super::*;

    // Tokio's own time is paused in these tests: a sleep ends at once when nothing else is to
    // be done, and `Instant::now()` tells how much tokio time a wait took.

    #[tokio::test(start_paused = true)]
    async fn on_real_time_a_pause_is_a_plain_sleep() {
        let started = tokio::time::Instant::now();
        pause(&SystemClock, Duration::from_secs(3)).await;
        assert_eq!(
            started.elapsed(),
            Duration::from_secs(3),
            "a pause on real time sleeps exactly its duration"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn on_a_movable_clock_a_pause_ends_when_the_clock_passes_its_end() {
        let clock = Arc::new(ManualClock::default());
        let waiting = {
            let clock = Arc::clone(&clock);
            tokio::spawn(async move { pause(clock.as_ref(), Duration::from_secs(60)).await })
        };
        tokio::task::yield_now().await;
        clock.advance(chrono::Duration::seconds(30));
        // 20 s of real time pass with the clock moved only half way: still waiting.
        tokio::time::sleep(Duration::from_secs(20)).await;
        assert!(
            !waiting.is_finished(),
            "a 60 s pause is still waiting after the clock moved 30 s and 20 s of real time passed"
        );
        let started = tokio::time::Instant::now();
        clock.advance(chrono::Duration::seconds(30));
        waiting.await.expect("the pause ends");
        assert!(
            started.elapsed() <= SLICE,
            "the pause ended within one look ({SLICE:?}) of the clock passing its end, not after {:?}",
            started.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn on_a_clock_that_stands_still_a_pause_ends_in_real_time() {
        let clock = ManualClock::default();
        let started = tokio::time::Instant::now();
        pause(&clock, Duration::from_secs(3)).await;
        assert_eq!(
            started.elapsed(),
            Duration::from_secs(3),
            "a pause on a clock nobody moves ends after its duration of real time"
        );
    }
}
