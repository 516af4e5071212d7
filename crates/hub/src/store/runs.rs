//! The store's runs (`runs`, `run_events`), and the lookups whose subject is a run: the run of a
//! payment code or of a payment, the payment of a run waiting for its customer.

use std::fmt;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::{Db, StoreError, optional, time_column, time_text};

/// Where a run stands; stored and shown as `open`, `passed`, `failed`, `broken` or `skipped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Not decided yet.
    Open,
    /// Every check passed.
    Passed,
    /// A check failed.
    Failed,
    /// The run could not be judged (the setup was broken).
    Broken,
    /// Ended without a verdict on the case (another case was started).
    Skipped,
}

impl RunStatus {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Open => "open",
            RunStatus::Passed => "passed",
            RunStatus::Failed => "failed",
            RunStatus::Broken => "broken",
            RunStatus::Skipped => "skipped",
        }
    }

    /// Reads the stored text; `None` for anything else.
    pub fn parse(text: &str) -> Option<RunStatus> {
        [
            RunStatus::Open,
            RunStatus::Passed,
            RunStatus::Failed,
            RunStatus::Broken,
            RunStatus::Skipped,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A run as stored (its verdict as JSON text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    /// Its id (`run_...`).
    pub id: String,
    /// Its project.
    pub project_id: String,
    /// The merchant running it.
    pub merchant_id: String,
    /// The case.
    pub case_id: String,
    /// Where it stands.
    pub status: RunStatus,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it was decided.
    pub ended_at: Option<DateTime<Utc>>,
    /// The verdict, as JSON, once decided.
    pub verdict: Option<String>,
    /// The wallet under test the hub plays in the run (`None`: TEST_WALLET).
    pub wallet: Option<String>,
}

/// A run to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRun<'a> {
    /// Its id (`run_...`).
    pub id: &'a str,
    /// Its project.
    pub project_id: &'a str,
    /// The merchant running it.
    pub merchant_id: &'a str,
    /// The case.
    pub case_id: &'a str,
    /// When it starts.
    pub started_at: DateTime<Utc>,
    /// How long UPM-06 holds its `pay` answer, when set.
    pub slow_answer_secs: Option<i64>,
    /// The wallet under test the hub plays in the run, e.g. `GCASH`.
    pub wallet: &'a str,
}

/// Operations on runs and their events (`runs`, `run_events`).
#[derive(Debug, Clone, Copy)]
pub struct Runs<'c> {
    connection: &'c Connection,
}

impl<'c> Db<'c> {
    /// Runs and their events (`runs`, `run_events`).
    pub fn runs(self) -> Runs<'c> {
        Runs {
            connection: self.connection,
        }
    }
}

fn status_column(index: usize, text: &str) -> rusqlite::Result<RunStatus> {
    RunStatus::parse(text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            format!("unknown run status {text:?}").into(),
        )
    })
}

impl Runs<'_> {
    /// The text column of every row `sql` selects for `value`.
    fn texts(&self, sql: &str, value: &str) -> Result<Vec<String>, StoreError> {
        let mut statement = self.connection.prepare_cached(sql)?;
        let rows = statement.query_map([value], |row| row.get(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
    }

    /// Stores a new open run.
    pub fn insert(&self, run: &NewRun<'_>) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "INSERT INTO runs (id, project_id, merchant_id, case_id, status, started_at, \
                 slow_answer_secs, wallet, seq) VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?6, ?7, \
                 (SELECT COALESCE(MAX(seq), 0) + 1 FROM runs))",
            )?
            .execute(params![
                run.id,
                run.project_id,
                run.merchant_id,
                run.case_id,
                time_text(run.started_at),
                run.slow_answer_secs,
                run.wallet,
            ])?;
        Ok(())
    }

    /// One run.
    pub fn get(&self, run_id: &str) -> Result<Option<RunRow>, StoreError> {
        optional(
            self.connection
                .prepare_cached(
                    "SELECT id, project_id, merchant_id, case_id, status, started_at, ended_at, \
                     verdict, wallet FROM runs WHERE id = ?1",
                )?
                .query_row([run_id], run_row),
        )
    }

    /// A project's runs, newest first (runs started at the same instant: the later one first).
    pub fn of_project(&self, project_id: &str) -> Result<Vec<RunRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT id, project_id, merchant_id, case_id, status, started_at, ended_at, verdict, \
             wallet FROM runs WHERE project_id = ?1 ORDER BY started_at DESC, seq DESC",
        )?;
        let rows = statement.query_map([project_id], run_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The latest run of each (merchant, case) of a project, newest first. Read from
    /// `latest_runs`, one row per pair, so its cost follows the project's merchants and cases,
    /// not how many runs it has had.
    pub fn latest_of_project(&self, project_id: &str) -> Result<Vec<RunRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(LATEST_OF_PROJECT)?;
        let rows = statement.query_map([project_id], run_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The query plan SQLite picks for [`Runs::latest_of_project`] (for the test that it walks
    /// the index and scans no table), one line per step.
    pub fn latest_query_plan(&self) -> Result<Vec<String>, StoreError> {
        let mut statement = self
            .connection
            .prepare(&format!("EXPLAIN QUERY PLAN {LATEST_OF_PROJECT}"))?;
        let rows = statement.query_map(["p"], |row| row.get::<_, String>(3))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The ids of a merchant's open runs.
    pub fn open_of_merchant(&self, merchant_id: &str) -> Result<Vec<String>, StoreError> {
        self.texts(
            "SELECT id FROM runs WHERE merchant_id = ?1 AND status = 'open'",
            merchant_id,
        )
    }

    /// The ids of a merchant's runs, newest first.
    pub fn of_merchant(&self, merchant_id: &str) -> Result<Vec<String>, StoreError> {
        self.texts(
            "SELECT id FROM runs WHERE merchant_id = ?1 ORDER BY started_at DESC, id",
            merchant_id,
        )
    }

    /// The ids of every open run.
    pub fn open(&self) -> Result<Vec<String>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached("SELECT id FROM runs WHERE status = 'open'")?;
        let rows = statement.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
    }

    /// The cases of every open run.
    pub fn open_cases(&self) -> Result<Vec<String>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached("SELECT case_id FROM runs WHERE status = 'open'")?;
        let rows = statement.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
    }

    /// How long the run's UPM-06 holds its `pay` answer, when set.
    pub fn slow_answer_secs(&self, run_id: &str) -> Result<Option<i64>, StoreError> {
        Ok(optional(
            self.connection
                .prepare_cached("SELECT slow_answer_secs FROM runs WHERE id = ?1")?
                .query_row([run_id], |row| row.get::<_, Option<i64>>(0)),
        )?
        .flatten())
    }

    /// The wallet under test of a run (`None` for TEST_WALLET, or no such run).
    pub fn wallet(&self, run_id: &str) -> Result<Option<String>, StoreError> {
        Ok(optional(
            self.connection
                .prepare_cached("SELECT wallet FROM runs WHERE id = ?1")?
                .query_row([run_id], |row| row.get::<_, Option<String>>(0)),
        )?
        .flatten())
    }

    /// Stores an open run's verdict (as JSON) and its new status; a decided run is left as is.
    pub fn decide(
        &self,
        run_id: &str,
        status: RunStatus,
        ended_at: DateTime<Utc>,
        verdict: &str,
    ) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "UPDATE runs SET status = ?2, ended_at = ?3, verdict = ?4 \
                 WHERE id = ?1 AND status = 'open'",
            )?
            .execute(params![
                run_id,
                status.as_str(),
                time_text(ended_at),
                verdict
            ])?;
        Ok(())
    }

    /// Notes that the run's wallet opened an entry-code page at `at`.
    pub fn set_entry_opened(&self, run_id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.connection
            .prepare_cached("UPDATE runs SET entry_opened_at = ?2 WHERE id = ?1")?
            .execute(params![run_id, time_text(at)])?;
        Ok(())
    }

    /// The open run of this project whose wallet opened an entry-code page most recently and
    /// has no payment yet.
    pub fn entry_run(&self, project_id: &str) -> Result<Option<String>, StoreError> {
        optional(
            self.connection
                .prepare_cached(
                    "SELECT id FROM runs WHERE project_id = ?1 AND status = 'open' \
                     AND entry_opened_at IS NOT NULL \
                     AND NOT EXISTS (SELECT 1 FROM payments WHERE payments.run_id = runs.id) \
                     ORDER BY entry_opened_at DESC LIMIT 1",
                )?
                .query_row([project_id], |row| row.get(0)),
        )
    }

    /// The events of a run in order, as JSON.
    pub fn events(&self, run_id: &str) -> Result<Vec<String>, StoreError> {
        self.texts(
            "SELECT event FROM run_events WHERE run_id = ?1 ORDER BY seq",
            run_id,
        )
    }

    /// The seq of the run's event written with `write_id`, if there is one.
    pub fn event_of_write(&self, run_id: &str, write_id: &str) -> Result<Option<u32>, StoreError> {
        optional(
            self.connection
                .prepare_cached("SELECT seq FROM run_events WHERE run_id = ?1 AND write_id = ?2")?
                .query_row(params![run_id, write_id], |row| row.get(0)),
        )
    }

    /// The seq the run's next event gets.
    pub fn next_event_seq(&self, run_id: &str) -> Result<u32, StoreError> {
        Ok(self
            .connection
            .prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM run_events WHERE run_id = ?1")?
            .query_row([run_id], |row| row.get(0))?)
    }

    /// Appends an event (as JSON) to a run.
    pub fn insert_event(
        &self,
        run_id: &str,
        seq: u32,
        at: DateTime<Utc>,
        event: &str,
        write_id: Option<&str>,
    ) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "INSERT INTO run_events (run_id, seq, at, event, write_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![run_id, seq, time_text(at), event, write_id])?;
        Ok(())
    }

    /// The run a payment code was shown for, if any.
    pub fn of_code(&self, project_id: &str, code: &str) -> Result<Option<String>, StoreError> {
        Ok(optional(
            self.connection
                .prepare_cached(
                    "SELECT run_id FROM payment_codes WHERE code = ?1 AND project_id = ?2",
                )?
                .query_row(params![code, project_id], |row| {
                    row.get::<_, Option<String>>(0)
                }),
        )?
        .flatten())
    }

    /// The run of the project's payment with this `paymentRequestId` or `paymentId`, if any.
    pub fn of_payment(
        &self,
        project_id: &str,
        payment_request_id: Option<&str>,
        payment_id: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        Ok(optional(
            self.connection
                .prepare_cached(
                    "SELECT run_id FROM payments WHERE project_id = ?1 AND \
                     (payment_request_id = ?2 OR payment_id = ?3) AND run_id IS NOT NULL",
                )?
                .query_row(params![project_id, payment_request_id, payment_id], |row| {
                    row.get::<_, Option<String>>(0)
                }),
        )?
        .flatten())
    }

    /// The newest payment of the run waiting for its customer (`IN_PROCESS`), if any.
    pub fn waiting_payment(&self, run_id: &str) -> Result<Option<String>, StoreError> {
        optional(
            self.connection
                .prepare_cached(
                    "SELECT payment_id FROM payments WHERE run_id = ?1 AND status = ?2 \
                     ORDER BY created_at DESC",
                )?
                .query_row(params![run_id, "IN_PROCESS"], |row| row.get(0)),
        )
    }
}

/// A run from `id, project_id, merchant_id, case_id, status, started_at, ended_at, verdict,
/// wallet`.
/// The latest run of each (merchant, case) of project `?1`, newest first: the rows of
/// `latest_runs` (migration 24), which triggers keep as runs are added, changed or removed.
const LATEST_OF_PROJECT: &str = "SELECT id, project_id, merchant_id, case_id, status, \
    started_at, ended_at, verdict, wallet FROM latest_runs WHERE project_id = ?1 \
    ORDER BY started_at DESC, seq DESC";

fn run_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RunRow> {
    Ok(RunRow {
        id: row.get(0)?,
        project_id: row.get(1)?,
        merchant_id: row.get(2)?,
        case_id: row.get(3)?,
        status: status_column(4, &row.get::<_, String>(4)?)?,
        started_at: time_column(5, Some(row.get(5)?))?.unwrap_or_default(),
        ended_at: time_column(6, row.get(6)?)?,
        verdict: row.get(7)?,
        wallet: row.get(8)?,
    })
}

#[cfg(test)]
mod tests {
    use super::{NewRun, RunStatus};
    use crate::store::Store;
    use chrono::{DateTime, Duration, Utc};

    /// Three merchants of `p`, four cases, 60 runs in a shuffled order (some at one instant),
    /// and another project's runs that must not show.
    fn shuffled_runs(store: &Store) {
        let start = DateTime::parse_from_rfc3339("2026-11-25T02:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        for i in 0..60_i64 {
            let (project, merchant, case) = if i % 11 == 0 {
                ("q", "m1".to_owned(), "C1".to_owned())
            } else {
                ("p", format!("m{}", i % 3), format!("C{}", (i * 7) % 4))
            };
            let id = format!("run{i:02}");
            store
                .db(|db| {
                    db.runs().insert(&NewRun {
                        id: &id,
                        project_id: project,
                        merchant_id: &merchant,
                        case_id: &case,
                        started_at: start + Duration::seconds((i * 13) % 17),
                        slow_answer_secs: None,
                        wallet: "TEST_WALLET",
                    })
                })
                .unwrap();
        }
    }

    /// `latest_of_project("p")` against the first run of each pair in the whole list.
    fn assert_latest_as_the_whole_list_finds_it(store: &Store, when: &str) -> usize {
        let (latest, all) = store
            .db(|db| {
                let runs = db.runs();
                Ok::<_, crate::store::StoreError>((
                    runs.latest_of_project("p")?,
                    runs.of_project("p")?,
                ))
            })
            .unwrap();
        let mut expected: Vec<super::RunRow> = Vec::new();
        for run in all {
            if !expected
                .iter()
                .any(|e| (&e.merchant_id, &e.case_id) == (&run.merchant_id, &run.case_id))
            {
                expected.push(run);
            }
        }
        assert_eq!(
            latest, expected,
            "{when}: the first of each pair in the whole list, newest first, as stored"
        );
        latest.len()
    }

    fn without_foreign_keys() -> Store {
        let store = Store::in_memory().unwrap();
        store
            .with(|c| Ok(c.execute_batch("PRAGMA foreign_keys = OFF")?))
            .unwrap();
        store
    }

    #[test]
    fn the_latest_run_of_each_merchant_and_case_is_kept_as_runs_are_added_decided_and_removed() {
        let store = without_foreign_keys();
        shuffled_runs(&store);
        assert_eq!(
            assert_latest_as_the_whole_list_finds_it(&store, "added"),
            12,
            "3 merchants x 4 cases"
        );
        let latest = store.db(|db| db.runs().latest_of_project("p")).unwrap();
        let ended = DateTime::parse_from_rfc3339("2026-11-25T03:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        store
            .db(|db| {
                db.runs()
                    .decide(&latest[0].id, RunStatus::Passed, ended, "{}")?;
                // An older run of a pair decided: the pair still shows its latest.
                db.runs().decide("run01", RunStatus::Failed, ended, "{}")
            })
            .unwrap();
        assert_latest_as_the_whole_list_finds_it(&store, "decided");
        let shown = store.db(|db| db.runs().latest_of_project("p")).unwrap();
        assert_eq!(
            (shown[0].id.as_str(), shown[0].status),
            (latest[0].id.as_str(), RunStatus::Passed),
            "a decided latest run shows its verdict"
        );
        store
            .with(|c| {
                c.execute("DELETE FROM runs WHERE id = ?1", [&latest[1].id])?;
                c.execute(
                    "UPDATE runs SET merchant_id = 'm9', started_at = '2027-01-01T00:00:00Z' \
                     WHERE id = ?1",
                    [&latest[2].id],
                )?;
                Ok(())
            })
            .unwrap();
        assert_eq!(
            assert_latest_as_the_whole_list_finds_it(&store, "removed and moved"),
            13,
            "the removed run's pair shows its previous run; the moved run is a pair of its own"
        );
        let plan = store.db(|db| db.runs().latest_query_plan()).unwrap();
        assert!(
            plan.iter()
                .any(|step| step.contains("SEARCH latest_runs USING PRIMARY KEY (project_id=?)")),
            "one row per pair, found by the project: {plan:?}"
        );
        assert!(
            !plan.iter().any(|step| step.contains(" runs ")),
            "and no read of the runs themselves, however many: {plan:?}"
        );
    }

    #[test]
    fn a_database_from_before_the_latest_runs_table_fills_it_from_its_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.sqlite");
        let old = without_foreign_keys();
        shuffled_runs(&old);
        let before = old.db(|db| db.runs().of_project("p")).unwrap();
        {
            let mut connection = rusqlite::Connection::open(&path).unwrap();
            connection
                .execute_batch("PRAGMA foreign_keys = OFF")
                .unwrap();
            linker_base::sqlite::migrate(
                &mut connection,
                &crate::store::migrations::MIGRATIONS[..23],
            )
            .unwrap();
            for run in &before {
                connection
                    .execute(
                        "INSERT INTO runs (id, project_id, merchant_id, case_id, status, \
                         started_at, wallet, seq) VALUES (?1, 'p', ?2, ?3, 'open', ?4, ?5, ?6)",
                        rusqlite::params![
                            run.id,
                            run.merchant_id,
                            run.case_id,
                            crate::store::time_text(run.started_at),
                            run.wallet,
                            run.id.trim_start_matches("run").parse::<i64>().unwrap() + 1,
                        ],
                    )
                    .unwrap();
            }
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.db(|db| db.runs().latest_of_project("p")).unwrap(),
            old.db(|db| db.runs().latest_of_project("p")).unwrap(),
            "the migration keeps the latest run of each pair, as triggers would have"
        );
    }

    #[test]
    fn a_run_status_is_stored_and_serialised_as_its_lowercase_name() {
        for (status, text) in [
            (RunStatus::Open, "open"),
            (RunStatus::Passed, "passed"),
            (RunStatus::Failed, "failed"),
            (RunStatus::Broken, "broken"),
            (RunStatus::Skipped, "skipped"),
        ] {
            assert_eq!(status.as_str(), text);
            assert_eq!(status.to_string(), text);
            assert_eq!(RunStatus::parse(text), Some(status));
            assert_eq!(
                serde_json::to_value(status).ok(),
                Some(serde_json::Value::String(text.to_owned()))
            );
        }
        assert_eq!(RunStatus::parse("Open"), None);
    }
}
