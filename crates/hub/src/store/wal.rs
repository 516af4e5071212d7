//! Keeping the write-ahead log bounded. Commits only append to the WAL; a checkpoint copies its
//! pages into the database file, and the log starts over from its beginning only when a writer
//! finds every page of it copied. The checkpointer's PASSIVE checkpoints (on a thread and a
//! connection of their own, so no request waits for them) never see that under a steady stream
//! of writes: new pages always arrive while one runs, and the file grew without end (1.6 GB in
//! 20 s of signed calls, every restart replaying it). So, once the log holds more than
//! [`WAL_RESTART_BYTES`], the checkpointer follows its PASSIVE checkpoint (which copies nearly
//! everything without stopping anyone) with a RESTART one while holding the store's
//! connection: requests wait only while the pages written meanwhile are copied and synced, and
//! the next write starts the log over from the beginning of the file, which keeps its size and
//! is reused in place. (A TRUNCATE checkpoint, used before, also cut the file to nothing under
//! the hold: freeing 64 MB of file took 30-65 ms, the slowest requests of `linker bench wrk` and
//! `linker bench growth`.) Only a file past [`WAL_HARD_BYTES`] (the checkpointer fell behind) is
//! truncated; a write that leaves the file past that bound waits for it before it returns.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::StoreError;

/// When the log grows past this, the checkpointer starts it over (a RESTART checkpoint after its
/// PASSIVE one). 64 MB is about a second of the heaviest steady load measured (signed
/// `pay` + `inquiryPayment` as fast as a 2-core machine answers them, `linker bench wal`), so
/// under load the log starts over every second or so, each time holding the store for a few
/// milliseconds (copying what arrived during the PASSIVE pass, and syncing). A smaller bound
/// would hold the store more often for little gain; a larger one would make the start after a
/// crash, which reads the whole log, slower.
pub const WAL_RESTART_BYTES: u64 = 64 * 1024 * 1024;

/// The checkpointer's thread name (benchmarks tell its CPU from the requests' by it).
pub const CHECKPOINTER_THREAD: &str = "hub-checkpoint";

/// A write that leaves the WAL file past this (the checkpointer has fallen behind) waits, off
/// the async workers, until the checkpointer has truncated it: the hard bound, give or take one
/// transaction per request using the store at the time.
pub const WAL_HARD_BYTES: u64 = 2 * WAL_RESTART_BYTES;

/// How often the checkpointer moves committed pages from the WAL into the database file when
/// nothing calls it sooner.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);

/// The longest a write past the hard bound waits for the checkpointer (which may be failing:
/// a database file it cannot write, another program holding the file).
const HARD_WAIT_LIMIT: Duration = Duration::from_secs(5);

/// The bounds the store keeps its WAL within (the constants above, smaller in tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WalBudget {
    /// Past this length the checkpointer starts the log over.
    pub restart_bytes: u64,
    /// Past this size a write waits for the checkpointer.
    pub hard_bytes: u64,
    /// The checkpointer's period.
    pub interval: Duration,
}

impl Default for WalBudget {
    fn default() -> WalBudget {
        WalBudget {
            restart_bytes: WAL_RESTART_BYTES,
            hard_bytes: WAL_HARD_BYTES,
            interval: CHECKPOINT_INTERVAL,
        }
    }
}

/// What keeping the log bounded cost so far (for tests; the logs say it too).
#[derive(Debug, Default)]
pub(crate) struct WalStats {
    /// Times the checkpointer started the log over.
    pub restarts: AtomicU64,
    /// Times it truncated the file, past the hard bound.
    pub truncations: AtomicU64,
    /// Times a long log was found copied whole, left to the next write to start over.
    pub left_to_writes: AtomicU64,
    /// The longest time that held the store, in microseconds.
    pub longest_hold_us: AtomicU64,
    /// Writes that waited for the checkpointer past the hard bound.
    pub waits: AtomicU64,
}

/// The checkpointer's rounds, counted, for writes that wait for the next one.
#[derive(Debug, Default)]
struct Rounds {
    done: Mutex<u64>,
    finished: Condvar,
}

/// The WAL of an open store file: its bounds, the checkpointer, and what restarts cost.
#[derive(Debug)]
pub(crate) struct Wal {
    path: PathBuf,
    budget: WalBudget,
    stats: Arc<WalStats>,
    rounds: Arc<Rounds>,
    /// `total_changes` of the store's connection when the WAL was last measured: a use that
    /// changed no row wrote nothing, and skips the measuring.
    measured_at: AtomicU64,
    /// The file size past which a write calls the checkpointer (see [`Round::restart`]).
    call_past: Arc<AtomicU64>,
    checkpointer: Checkpointer,
}

impl Wal {
    /// Starts the checkpointer on `own` (a second connection to the file at `database`), which
    /// holds `store` while it empties the log.
    pub fn start(
        database: &Path,
        own: Connection,
        store: Arc<Mutex<Connection>>,
        budget: WalBudget,
    ) -> Result<Wal, StoreError> {
        let mut path = database.as_os_str().to_owned();
        path.push("-wal");
        let path = PathBuf::from(path);
        let stats = Arc::new(WalStats::default());
        let rounds = Arc::new(Rounds::default());
        let call_past = Arc::new(AtomicU64::new(budget.restart_bytes));
        let checkpointer = Checkpointer::start(Round::new(
            own,
            store,
            path.clone(),
            budget,
            Arc::clone(&stats),
            Arc::clone(&rounds),
            Arc::clone(&call_past),
        )?)?;
        Ok(Wal {
            path,
            budget,
            stats,
            rounds,
            measured_at: AtomicU64::new(0),
            call_past,
            checkpointer,
        })
    }

    /// Called by each use of the store's connection before it lets go: when the use wrote and
    /// grew the file past the restart bound (or past the size it kept when the log last
    /// started over: the log is then longer than that), calls the checkpointer. True when it is
    /// past the hard bound: the caller then lets go of the connection and
    /// [`Wal::wait_for_room`].
    pub fn after_use(&self, connection: &Connection) -> bool {
        let changes = connection.total_changes();
        if self.measured_at.swap(changes, Ordering::Relaxed) == changes {
            return false;
        }
        let size = file_size(&self.path);
        if size > self.call_past.load(Ordering::Relaxed) {
            self.checkpointer.call();
        }
        size > self.budget.hard_bytes
    }

    /// Waits until the checkpointer has brought the log back under the hard bound (or
    /// [`HARD_WAIT_LIMIT`] passed).
    pub fn wait_for_room(&self) {
        let started = Instant::now();
        let mut done = self
            .rounds
            .done
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        while file_size(&self.path) > self.budget.hard_bytes {
            let Some(left) = HARD_WAIT_LIMIT.checked_sub(started.elapsed()) else {
                tracing::warn!(
                    wal_bytes = file_size(&self.path),
                    "the WAL stays past its hard bound; is the checkpointer failing?"
                );
                break;
            };
            let seen = *done;
            self.checkpointer.call();
            done = self
                .rounds
                .finished
                .wait_timeout_while(done, left, |done| *done == seen)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        drop(done);
        self.stats.waits.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(
            waited_us = started.elapsed().as_micros(),
            "a write waited for the WAL to be emptied"
        );
    }

    /// What keeping the log bounded cost so far.
    #[cfg(test)]
    pub fn stats(&self) -> &WalStats {
        &self.stats
    }
}

/// The size of the WAL file (0 when there is none).
pub(crate) fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |metadata| metadata.len())
}

/// A thread that checkpoints the WAL every [`CHECKPOINT_INTERVAL`] (or when called) on its own
/// connection: [`Round::run`].
#[derive(Debug)]
struct Checkpointer {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    fn start(round: Round) -> Result<Checkpointer, StoreError> {
        round.connection.busy_timeout(Duration::from_secs(5))?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name(CHECKPOINTER_THREAD.to_owned())
            .spawn(move || {
                while !stopping.load(Ordering::Acquire) {
                    std::thread::park_timeout(round.budget.interval);
                    if stopping.load(Ordering::Acquire) {
                        break;
                    }
                    round.run();
                }
            })
            .map_err(|error| StoreError::Thread(error.to_string()))?;
        Ok(Checkpointer {
            stop,
            thread: Some(thread),
        })
    }

    /// Wakes the checkpointer now rather than at its next period.
    fn call(&self) {
        if let Some(thread) = &self.thread {
            thread.thread().unpark();
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

/// What one round of the checkpointer works with.
#[derive(Debug)]
struct Round {
    /// The checkpointer's own connection (the only one that checkpoints while the store is
    /// open: two checkpoints at once would fail each other).
    connection: Connection,
    store: Arc<Mutex<Connection>>,
    wal: PathBuf,
    budget: WalBudget,
    stats: Arc<WalStats>,
    rounds: Arc<Rounds>,
    /// Shared with [`Wal::after_use`]: the file size past which writes call the checkpointer.
    call_past: Arc<AtomicU64>,
    /// The bytes one frame of the log takes: a page and its 24-byte header.
    frame_bytes: u64,
}

impl Round {
    fn new(
        connection: Connection,
        store: Arc<Mutex<Connection>>,
        wal: PathBuf,
        budget: WalBudget,
        stats: Arc<WalStats>,
        rounds: Arc<Rounds>,
        call_past: Arc<AtomicU64>,
    ) -> Result<Round, StoreError> {
        let page_size: u64 = connection.query_row("PRAGMA page_size", [], |row| row.get(0))?;
        Ok(Round {
            connection,
            store,
            wal,
            budget,
            stats,
            rounds,
            call_past,
            frame_bytes: page_size + 24,
        })
    }

    /// PASSIVE; then, when the log is past the restart bound, RESTART holding the store (or
    /// TRUNCATE, when the file is past the hard bound). Counts the round done either way, for
    /// the writes that wait for one.
    fn run(&self) {
        self.checkpoint();
        let mut done = self
            .rounds
            .done
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *done += 1;
        drop(done);
        self.rounds.finished.notify_all();
    }

    fn checkpoint(&self) {
        // The log's length in frames (what is in it, copied or not: the file's size says
        // nothing once the log starts over inside it) and how many are copied.
        let passive = self
            .connection
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
            });
        let (frames, copied) = match passive {
            Ok(counts) => counts,
            Err(error) => {
                tracing::warn!(%error, "WAL checkpoint failed; the next one retries");
                return;
            }
        };
        let log_bytes = u64::try_from(frames).unwrap_or(0) * self.frame_bytes;
        let size = file_size(&self.wal);
        match after_passive(log_bytes, copied >= frames, size, self.budget) {
            AfterPassive::Nothing => {}
            AfterPassive::LeftToTheNextWrite => {
                self.stats.left_to_writes.fetch_add(1, Ordering::Relaxed);
                self.note_log_starts_over();
            }
            AfterPassive::Restart => self.restart(log_bytes, false),
            AfterPassive::Truncate => self.restart(log_bytes, true),
        }
    }

    /// The log will be written from the file's start: writes call the checkpointer again only
    /// once it outgrows the file. Returns the file's size.
    fn note_log_starts_over(&self) -> u64 {
        let size = file_size(&self.wal);
        self.call_past
            .store(size.max(self.budget.restart_bytes), Ordering::Relaxed);
        size
    }

    /// Starts the log over holding the store's connection, which keeps it out of any
    /// transaction: the checkpoint then neither waits for a writer or a reader nor makes one
    /// wait in SQLite's busy loop (whose sleeps of up to 100 ms would outlast the checkpoint
    /// itself); requests wait for the mutex instead, off the async workers. A file past the
    /// hard bound is cut to nothing (TRUNCATE); else it keeps its size, and writes call the
    /// checkpointer only once the log outgrows it again.
    fn restart(&self, log_bytes: u64, truncate: bool) {
        let mode = if truncate { "TRUNCATE" } else { "RESTART" };
        let store = self
            .store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let started = Instant::now();
        let result =
            self.connection
                .query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
                    Ok(row.get::<_, i64>(0)? == 0)
                });
        let held = started.elapsed();
        drop(store);
        let kept = self.note_log_starts_over();
        let counter = if truncate {
            &self.stats.truncations
        } else {
            &self.stats.restarts
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(held.as_micros()).unwrap_or(u64::MAX);
        self.stats
            .longest_hold_us
            .fetch_max(micros, Ordering::Relaxed);
        match result {
            Ok(done) => tracing::debug!(
                log_bytes,
                file_bytes = kept,
                held_us = micros,
                done,
                mode,
                "WAL started over"
            ),
            Err(error) => {
                tracing::warn!(%error, mode, "WAL restart failed; the next round retries")
            }
        }
    }
}

/// What a round does after its PASSIVE checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AfterPassive {
    /// The log is short: nothing more.
    Nothing,
    /// The log is long but every frame of it is copied: the next write starts it over by
    /// itself, with no need to hold the store.
    LeftToTheNextWrite,
    /// The log is long and writes came during the PASSIVE checkpoint: RESTART holding the
    /// store.
    Restart,
    /// The file is past the hard bound: TRUNCATE holding the store.
    Truncate,
}

/// Decides a round's next step from the log's length, whether the PASSIVE checkpoint copied it
/// all, and the file's size.
fn after_passive(
    log_bytes: u64,
    copied_all: bool,
    file_bytes: u64,
    budget: WalBudget,
) -> AfterPassive {
    if file_bytes > budget.hard_bytes {
        AfterPassive::Truncate
    } else if log_bytes <= budget.restart_bytes {
        AfterPassive::Nothing
    } else if copied_all {
        AfterPassive::LeftToTheNextWrite
    } else {
        AfterPassive::Restart
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::Store;

    const KB: u64 = 1024;

    /// Never on its own during a test: the checkpointer runs only when a writer calls it.
    fn budget(restart_bytes: u64, hard_bytes: u64) -> WalBudget {
        WalBudget {
            restart_bytes,
            hard_bytes,
            interval: Duration::from_secs(3600),
        }
    }

    /// Commits `count` rows of 1 KB one by one, each in its own write, and returns the largest
    /// size the WAL file had after any of them.
    fn write_rows(store: &Store, wal: &Path, count: usize) -> u64 {
        store
            .with(|c| Ok(c.execute_batch("CREATE TABLE IF NOT EXISTS t (x BLOB NOT NULL)")?))
            .unwrap();
        let mut largest = 0;
        for _ in 0..count {
            store
                .with(|c| Ok(c.execute("INSERT INTO t VALUES (randomblob(1024))", [])?))
                .unwrap();
            largest = largest.max(file_size(wal));
        }
        largest
    }

    /// Commits `count` rows of 1 KB on a connection of its own, which neither checkpoints nor
    /// calls the checkpointer.
    fn write_rows_aside(database: &Path, count: usize) {
        let connection = Connection::open(database).unwrap();
        connection
            .pragma_update(None, "wal_autocheckpoint", 0)
            .unwrap();
        connection
            .execute_batch("CREATE TABLE IF NOT EXISTS t (x BLOB NOT NULL)")
            .unwrap();
        for _ in 0..count {
            connection
                .execute("INSERT INTO t VALUES (randomblob(1024))", [])
                .unwrap();
        }
    }

    /// A round of a checkpointer of the test's own, on the store's file.
    fn round(store: &Store, wal: &Path, budget: WalBudget) -> Round {
        Round::new(
            Connection::open(wal.with_extension("sqlite")).unwrap(),
            Arc::clone(&store.connection),
            wal.to_path_buf(),
            budget,
            Arc::default(),
            Arc::default(),
            Arc::new(AtomicU64::new(budget.restart_bytes)),
        )
        .unwrap()
    }

    /// The log's length in frames and how many of them are in the database file.
    fn log_frames(database: &Path) -> (i64, i64) {
        Connection::open(database)
            .unwrap()
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                Ok((row.get(1)?, row.get(2)?))
            })
            .unwrap()
    }

    /// A store on a fresh file, and `rows` rows written aside to grow its log first; the
    /// folder is kept while the returned guard lives.
    fn grown(budget: WalBudget, rows: usize) -> (tempfile::TempDir, PathBuf, PathBuf, Store) {
        let dir = tempfile::tempdir().unwrap();
        let (database, wal) = wal_path(dir.path());
        let store = Store::open_with(&database, budget).unwrap();
        write_rows_aside(&database, rows);
        (dir, database, wal, store)
    }

    /// The rows of the test table, read through the store.
    fn row_count(store: &Store) -> i64 {
        store
            .with(|c| Ok(c.query_row("SELECT count(*) FROM t", [], |row| row.get(0))?))
            .unwrap()
    }

    fn wal_path(dir: &Path) -> (PathBuf, PathBuf) {
        (dir.join("hub.sqlite"), dir.join("hub.sqlite-wal"))
    }

    #[test]
    fn the_wal_stays_under_its_hard_bound_through_many_writes() {
        let dir = tempfile::tempdir().unwrap();
        let (database, wal) = wal_path(dir.path());
        let store = Store::open_with(&database, budget(256 * KB, 512 * KB)).unwrap();
        // About 16 MB of log in all: 32 times the hard bound.
        let largest = write_rows(&store, &wal, 4000);
        let stats = store.wal.as_ref().unwrap().stats();
        let restarts = stats.restarts.load(Ordering::Relaxed)
            + stats.left_to_writes.load(Ordering::Relaxed)
            + stats.truncations.load(Ordering::Relaxed);
        let waits = stats.waits.load(Ordering::Relaxed);
        assert!(
            largest <= 512 * KB,
            "the WAL reached {largest} bytes, over its 512 KB bound \
             ({restarts} restarts, {waits} writes waited for one)"
        );
        assert!(
            restarts >= 10,
            "16 MB of writes through a 512 KB bound empty the log many times: {restarts}"
        );
        let rows = row_count(&store);
        assert_eq!(rows, 4000, "every row is there after the restarts");
    }

    #[test]
    fn without_a_bound_the_same_writes_grow_the_wal() {
        let dir = tempfile::tempdir().unwrap();
        let (database, wal) = wal_path(dir.path());
        let store = Store::open_with(&database, budget(u64::MAX, u64::MAX)).unwrap();
        let largest = write_rows(&store, &wal, 4000);
        assert!(
            largest > 8 * 1024 * KB,
            "with no bound and no checkpoint the log only grows: {largest} bytes"
        );
    }

    #[test]
    fn a_round_decides_by_the_log_what_it_copied_and_the_file() {
        let budget = budget(256 * KB, 512 * KB);
        let cases = [
            (100 * KB, false, 100 * KB, AfterPassive::Nothing),
            (256 * KB, false, 300 * KB, AfterPassive::Nothing),
            (300 * KB, true, 300 * KB, AfterPassive::LeftToTheNextWrite),
            (300 * KB, false, 300 * KB, AfterPassive::Restart),
            (10 * KB, true, 600 * KB, AfterPassive::Truncate),
            (600 * KB, false, 600 * KB, AfterPassive::Truncate),
        ];
        for (log, copied_all, file, expected) in cases {
            assert_eq!(
                after_passive(log, copied_all, file, budget),
                expected,
                "log {log} B (copied all: {copied_all}), file {file} B, bounds 256/512 KB"
            );
        }
    }

    #[test]
    fn a_long_log_copied_whole_starts_over_at_the_next_write_without_a_hold() {
        let budget = budget(256 * KB, u64::MAX);
        let (_dir, database, wal, store) = grown(budget, 400);
        let largest = file_size(&wal);
        assert!(largest > 1024 * KB, "the log grew first: {largest} bytes");
        let round = round(&store, &wal, budget);
        round.run();
        assert_eq!(
            round.stats.restarts.load(Ordering::Relaxed),
            0,
            "nothing was written during the PASSIVE checkpoint: no hold needed"
        );
        assert_eq!(
            round.stats.left_to_writes.load(Ordering::Relaxed),
            1,
            "the long log copied whole is left to the next write"
        );
        assert_eq!(*round.rounds.done.lock().unwrap(), 1, "one round counted");
        assert_eq!(
            round.call_past.load(Ordering::Relaxed),
            largest,
            "writes call the checkpointer again only once the log outgrows the file"
        );
        after_restart_writes_go_to_the_start(&store, &database, &wal, largest);
    }

    #[test]
    fn a_restart_holding_the_store_starts_the_log_over_in_the_same_file() {
        let budget = budget(256 * KB, u64::MAX);
        let (_dir, database, wal, store) = grown(budget, 400);
        let largest = file_size(&wal);
        let round = round(&store, &wal, budget);
        round.restart(largest, false);
        assert_eq!(
            round.stats.restarts.load(Ordering::Relaxed),
            1,
            "one restart"
        );
        assert_eq!(
            round.stats.truncations.load(Ordering::Relaxed),
            0,
            "under the hard bound the file is not cut"
        );
        assert_eq!(round.call_past.load(Ordering::Relaxed), largest);
        after_restart_writes_go_to_the_start(&store, &database, &wal, largest);
    }

    /// Ten more rows go to the start of the file: the log is short, the file no larger, and
    /// every row is there.
    fn after_restart_writes_go_to_the_start(store: &Store, database: &Path, wal: &Path, size: u64) {
        write_rows_aside(database, 10);
        let (frames, _) = log_frames(database);
        assert!(
            (1..=40).contains(&frames),
            "after 10 rows the log holds {frames} frames: it started over"
        );
        assert_eq!(file_size(wal), size, "written over, not grown");
        let rows = row_count(store);
        assert_eq!(rows, 410, "every row is in the database");
    }

    #[test]
    fn a_round_cuts_a_file_past_the_hard_bound_to_nothing() {
        let budget = budget(256 * KB, 512 * KB);
        let (_dir, _, wal, store) = grown(budget, 400);
        let largest = file_size(&wal);
        assert!(
            largest > 512 * KB,
            "the log grew past the hard bound: {largest} bytes"
        );
        let round = round(&store, &wal, budget);
        round.run();
        assert_eq!(
            round.stats.truncations.load(Ordering::Relaxed),
            1,
            "a {largest}-byte file is past the 512 KB hard bound: the round truncates it"
        );
        assert_eq!(file_size(&wal), 0, "the file is empty after the round");
        let rows = row_count(&store);
        assert_eq!(rows, 400, "every row is in the database file");
    }

    #[test]
    fn a_round_under_the_restart_bound_only_copies_pages() {
        let budget = budget(4096 * KB, u64::MAX);
        let (_dir, _, wal, store) = grown(budget, 100);
        let largest = file_size(&wal);
        let round = round(&store, &wal, budget);
        round.run();
        assert_eq!(
            round.stats.restarts.load(Ordering::Relaxed),
            0,
            "a {largest}-byte log under its 4 MB bound is left to the PASSIVE checkpoints"
        );
        assert_eq!(file_size(&wal), largest, "the file stays as it was");
    }
}
