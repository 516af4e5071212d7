//! The outbox: every write the hub has not acknowledged (manual answers and photos), each named
//! by a write id the wallet generates so that sending it twice changes nothing on the hub
//! (manual answers carry `writeId`; photos are stored under their id). A merchant who loses the
//! network keeps working; the writes go out, in the order they were made, once the hub is back.
//!
//! Sync is a step, never a loop: [`Wallet::sync_now`] tries every pending write once (in order,
//! stopping at the first the hub could not take), [`Wallet::sync_step`] only those whose backoff
//! has passed (for a background timer). A write the hub refuses for good (a 4xx) is marked
//! failed with the hub's reason and never retried by itself; other failures back off from 5 s,
//! doubling, to at most 10 min, and a write the hub keeps failing (5xx) gives up after
//! [`MAX_SERVER_FAILURES`] attempts. Being offline never fails a write.

use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::client::{Body, CallError};
use crate::runs::{RunView, path_part};
use crate::store::{parse_time, time_text};
use crate::{Wallet, WalletError};

/// How many times a write the hub answers with a server error is tried before it is failed.
pub const MAX_SERVER_FAILURES: u32 = 8;
/// The largest photo accepted (the hub's limit).
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;
const FIRST_BACKOFF_SECS: i64 = 5;
const MAX_BACKOFF_SECS: i64 = 600;

/// What a write is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteKind {
    /// An answer to a manual question.
    ManualAnswer,
    /// A photo attached to a run.
    Attachment,
}

/// Where a write stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteState {
    /// Not acknowledged by the hub yet.
    Pending,
    /// Acknowledged by the hub.
    Sent,
    /// Refused by the hub for good (see the reason).
    Failed,
}

impl WriteKind {
    fn as_str(self) -> &'static str {
        match self {
            WriteKind::ManualAnswer => "manual_answer",
            WriteKind::Attachment => "attachment",
        }
    }

    fn parse(text: &str) -> WriteKind {
        if text == "attachment" {
            WriteKind::Attachment
        } else {
            WriteKind::ManualAnswer
        }
    }
}

impl WriteState {
    fn parse(text: &str) -> WriteState {
        match text {
            "sent" => WriteState::Sent,
            "failed" => WriteState::Failed,
            _ => WriteState::Pending,
        }
    }
}

/// One write of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxEntry {
    /// The wallet's id for the write (the hub dedupes on it).
    pub write_id: String,
    /// What it is.
    pub kind: WriteKind,
    /// The run it belongs to.
    pub run_id: String,
    /// What it says, for people (e.g. `yes to pos-shows-success`, `photo, 12 KB`).
    pub summary: String,
    /// Where it stands.
    pub state: WriteState,
    /// How many times it was sent.
    pub attempts: u32,
    /// When it was made (wallet time).
    pub created_at: DateTime<Utc>,
    /// When a background sync step will try it next.
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last attempt failed (or why it was refused for good).
    pub last_error: Option<String>,
    /// When the hub acknowledged or refused it.
    pub done_at: Option<DateTime<Utc>>,
}

/// The merchant's answer to a manual question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManualAnswerInput {
    /// The question's id in the case, e.g. `pos-shows-success`.
    pub question_id: String,
    /// Yes (`true`) or no.
    pub answer: bool,
    /// An optional note.
    #[serde(default)]
    pub note: Option<String>,
    /// An optional photo id from [`Wallet::attach_photo`].
    #[serde(default)]
    pub attachment: Option<String>,
}

impl ManualAnswerInput {
    /// "Yes" to a question.
    pub fn yes(question_id: &str) -> ManualAnswerInput {
        ManualAnswerInput {
            question_id: question_id.to_owned(),
            answer: true,
            note: None,
            attachment: None,
        }
    }

    /// "No" to a question.
    pub fn no(question_id: &str) -> ManualAnswerInput {
        ManualAnswerInput {
            answer: false,
            ..ManualAnswerInput::yes(question_id)
        }
    }

    /// This answer with a note.
    pub fn with_note(mut self, note: &str) -> ManualAnswerInput {
        self.note = Some(note.to_owned());
        self
    }

    /// This answer naming a photo.
    pub fn with_attachment(mut self, attachment_id: &str) -> ManualAnswerInput {
        self.attachment = Some(attachment_id.to_owned());
        self
    }
}

/// What became of a write right after it was made.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WriteReceipt {
    /// The write's id (for a photo, also the id a manual answer names it by).
    pub write_id: String,
    /// What it is.
    pub kind: WriteKind,
    /// The run.
    pub run_id: String,
    /// `sent`, or `pending` (queued: it goes out when the hub is back), or `failed`.
    pub state: WriteState,
    /// Why it is not sent, in plain words.
    pub error: Option<String>,
    /// The run as the hub judged it after the write, when the hub took it.
    pub run: Option<RunView>,
}

/// The sync state the app always shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    /// Writes waiting for the hub.
    pub pending: usize,
    /// Writes the hub refused for good.
    pub failed: usize,
    /// When the hub last acknowledged a write.
    pub last_success_at: Option<DateTime<Utc>>,
    /// When sync last tried.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The last problem, in plain words (cleared by the next acknowledged write).
    pub last_error: Option<String>,
    /// When the next background step will try (the earliest pending write's time).
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// What one sync step did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    /// Writes sent this step.
    pub attempted: usize,
    /// Of which the hub acknowledged.
    pub sent: usize,
    /// Of which the hub refused for good.
    pub failed: usize,
    /// Writes still waiting after this step.
    pub pending: usize,
    /// Why the step stopped early, in plain words.
    pub error: Option<String>,
}

struct Row {
    seq: i64,
    entry: OutboxEntry,
    body: serde_json::Value,
    bytes: Option<Vec<u8>>,
}

const ROW_COLUMNS: &str = "seq, write_id, kind, run_id, body, bytes, state, attempts, created_at, \
                           next_attempt_at, last_error, done_at";

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    let body_text: String = row.get(4)?;
    let body: serde_json::Value = serde_json::from_str(&body_text).unwrap_or_default();
    let bytes: Option<Vec<u8>> = row.get(5)?;
    let kind = WriteKind::parse(&row.get::<_, String>(2)?);
    let summary = match kind {
        WriteKind::ManualAnswer => format!(
            "{} to {}{}",
            if body["answer"].as_bool().unwrap_or(false) {
                "yes"
            } else {
                "no"
            },
            body["questionId"].as_str().unwrap_or("?"),
            body["attachment"]
                .as_str()
                .map(|a| format!(" (photo {a})"))
                .unwrap_or_default()
        ),
        WriteKind::Attachment => format!(
            "photo, {} KB",
            bytes.as_ref().map_or(0, |b| b.len().div_ceil(1024))
        ),
    };
    Ok(Row {
        seq: row.get(0)?,
        entry: OutboxEntry {
            write_id: row.get(1)?,
            kind,
            run_id: row.get(3)?,
            summary,
            state: WriteState::parse(&row.get::<_, String>(6)?),
            attempts: row.get(7)?,
            created_at: parse_time(8, &row.get::<_, String>(8)?)?,
            next_attempt_at: parse_time(9, &row.get::<_, String>(9)?)?,
            last_error: row.get(10)?,
            done_at: row
                .get::<_, Option<String>>(11)?
                .map(|t| parse_time(11, &t))
                .transpose()?,
        },
        body,
        bytes,
    })
}

/// The wait before the next try after `attempts` failed tries.
fn backoff(attempts: u32) -> Duration {
    let exponent = attempts.saturating_sub(1).min(16);
    let secs = FIRST_BACKOFF_SECS.saturating_mul(1_i64 << exponent);
    Duration::seconds(secs.min(MAX_BACKOFF_SECS))
}

/// Recognises PNG and JPEG by their first bytes.
fn photo_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// Which pending writes a step tries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Due {
    /// Every pending write, now.
    All,
    /// Only those whose backoff has passed.
    Scheduled,
}

impl Wallet {
    /// Answers a manual question of a run (the open run when `run_id` is `None`). The answer
    /// is kept in the outbox and sent at once; offline it waits (state `pending`) and goes out
    /// with the next sync, once.
    pub async fn answer_manual(
        &self,
        run_id: Option<&str>,
        input: ManualAnswerInput,
    ) -> Result<WriteReceipt, WalletError> {
        let run_id = self.resolve_run(run_id).await?;
        let question = input.question_id.trim().to_owned();
        if question.is_empty() {
            return Err(WalletError::invalid(
                "questionId",
                "name the question answered",
            ));
        }
        if input
            .note
            .as_ref()
            .is_some_and(|n| n.chars().count() > 2000)
        {
            return Err(WalletError::invalid("note", "at most 2000 characters"));
        }
        if let Some((run, _)) = self.cached_run(&run_id)? {
            if !run.is_open() {
                return Err(WalletError::RunOver {
                    run_id,
                    status: run.status,
                });
            }
            if let Some(case) = self.stored_case(&run.case_id)?
                && !case.manual.iter().any(|q| q.id == question)
            {
                return Err(WalletError::invalid(
                    "questionId",
                    format!(
                        "{} has no question {question:?}; its questions are {}",
                        case.id,
                        case.manual
                            .iter()
                            .map(|q| q.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        let write_id = self.inner.ids.make("w-", 20);
        let mut body = json!({
            "writeId": write_id,
            "questionId": question,
            "answer": input.answer,
        });
        if let Some(note) = input
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            body["note"] = json!(note);
        }
        if let Some(photo) = input
            .attachment
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            body["attachment"] = json!(photo);
        }
        self.enqueue(&write_id, WriteKind::ManualAnswer, &run_id, &body, None)?;
        self.receipt_after_sync(&write_id).await
    }

    /// Attaches a photo (PNG or JPEG bytes, at most 5 MB) to a run (the open run when `run_id`
    /// is `None`); the receipt's `write_id` is the id a manual answer names it by. Kept in the
    /// outbox and sent at once, or with the next sync when offline.
    pub async fn attach_photo(
        &self,
        run_id: Option<&str>,
        bytes: &[u8],
    ) -> Result<WriteReceipt, WalletError> {
        if photo_type(bytes).is_none() || bytes.len() > MAX_PHOTO_BYTES {
            return Err(WalletError::NotAPhoto {
                max_mb: MAX_PHOTO_BYTES / 1024 / 1024,
            });
        }
        let run_id = self.resolve_run(run_id).await?;
        if let Some((run, _)) = self.cached_run(&run_id)?
            && !run.is_open()
        {
            return Err(WalletError::RunOver {
                run_id,
                status: run.status,
            });
        }
        let write_id = self.inner.ids.make("photo-", 16);
        self.enqueue(
            &write_id,
            WriteKind::Attachment,
            &run_id,
            &json!({}),
            Some(bytes),
        )?;
        self.receipt_after_sync(&write_id).await
    }

    fn enqueue(
        &self,
        write_id: &str,
        kind: WriteKind,
        run_id: &str,
        body: &serde_json::Value,
        bytes: Option<&[u8]>,
    ) -> Result<(), WalletError> {
        let merchant = self.merchant_id()?;
        let now = time_text(self.now());
        self.store().with(|c| {
            c.execute(
                "INSERT INTO outbox (write_id, merchant_id, run_id, kind, body, bytes, state, attempts, \
                 created_at, next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 0, ?7, ?7)",
                params![
                    write_id,
                    merchant,
                    run_id,
                    kind.as_str(),
                    body.to_string(),
                    bytes,
                    now
                ],
            )
        })?;
        Ok(())
    }

    async fn receipt_after_sync(&self, write_id: &str) -> Result<WriteReceipt, WalletError> {
        // Everything queued before goes first: a photo before the answer that names it.
        let report = self.sync(Due::All).await?;
        let row = self
            .outbox_row(write_id)?
            .ok_or_else(|| WalletError::Storage(format!("write {write_id} vanished")))?;
        let run = match row.entry.state {
            WriteState::Sent => self.cached_run(&row.entry.run_id)?.map(|(run, _)| run),
            _ => None,
        };
        let error = match row.entry.state {
            WriteState::Sent => None,
            _ => row.entry.last_error.clone().or(report.error),
        };
        Ok(WriteReceipt {
            write_id: row.entry.write_id,
            kind: row.entry.kind,
            run_id: row.entry.run_id,
            state: row.entry.state,
            error,
            run,
        })
    }

    fn outbox_row(&self, write_id: &str) -> Result<Option<Row>, WalletError> {
        self.store().with(|c| {
            c.query_row(
                &format!("SELECT {ROW_COLUMNS} FROM outbox WHERE write_id = ?1"),
                [write_id],
                read_row,
            )
            .optional()
        })
    }

    /// Every write of the outbox, oldest first (sent ones included).
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, WalletError> {
        self.store().with(|c| {
            let mut statement =
                c.prepare(&format!("SELECT {ROW_COLUMNS} FROM outbox ORDER BY seq"))?;
            let rows = statement.query_map([], read_row)?;
            rows.map(|r| r.map(|r| r.entry)).collect()
        })
    }

    /// The writes not acknowledged (pending or failed), of one run or of all.
    pub(crate) fn unsent_writes(
        &self,
        run_id: Option<&str>,
    ) -> Result<Vec<OutboxEntry>, WalletError> {
        Ok(self
            .outbox()?
            .into_iter()
            .filter(|e| e.state != WriteState::Sent)
            .filter(|e| run_id.is_none_or(|id| e.run_id == id))
            .collect())
    }

    /// The sync state: pending and failed counts, last success, last error in plain words.
    pub fn sync_status(&self) -> Result<SyncStatus, WalletError> {
        let (pending, failed, next): (i64, i64, Option<String>) = self.store().with(|c| {
            c.query_row(
                "SELECT COALESCE(SUM(state = 'pending'), 0), COALESCE(SUM(state = 'failed'), 0), \
                 MIN(CASE WHEN state = 'pending' THEN next_attempt_at END) FROM outbox",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
        })?;
        let (success, attempt, error): (Option<String>, Option<String>, Option<String>) =
            self.store().with(|c| {
                c.query_row(
                    "SELECT last_success_at, last_attempt_at, last_error FROM sync_state WHERE id = 1",
                    [],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
            })?;
        let time = |text: Option<String>| {
            text.and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
                .map(|t| t.with_timezone(&Utc))
        };
        Ok(SyncStatus {
            pending: usize::try_from(pending).unwrap_or(0),
            failed: usize::try_from(failed).unwrap_or(0),
            last_success_at: time(success),
            last_attempt_at: time(attempt),
            last_error: error,
            next_attempt_at: time(next),
        })
    }

    /// Tries every pending write now, in order, once each; stops at the first the hub could
    /// not take (offline, server error) so that the order holds.
    pub async fn sync_now(&self) -> Result<SyncReport, WalletError> {
        self.sync(Due::All).await
    }

    /// A background step: like [`Wallet::sync_now`], but only for writes whose backoff has
    /// passed on the wallet's clock. Call it from a timer; it never loops or sleeps.
    pub async fn sync_step(&self) -> Result<SyncReport, WalletError> {
        self.sync(Due::Scheduled).await
    }

    /// Puts a failed write back in the queue (after the merchant fixed the cause).
    pub fn retry_write(&self, write_id: &str) -> Result<(), WalletError> {
        let now = time_text(self.now());
        let changed = self.store().with(|c| {
            c.execute(
                "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?2, done_at = NULL \
                 WHERE write_id = ?1 AND state = 'failed'",
                params![write_id, now],
            )
        })?;
        if changed == 0 {
            return Err(WalletError::NotFound(format!("failed write {write_id}")));
        }
        Ok(())
    }

    fn note_sync(&self, success: bool, error: Option<&str>) -> Result<(), WalletError> {
        let now = time_text(self.now());
        self.store().with(|c| {
            if success {
                c.execute(
                    "UPDATE sync_state SET last_success_at = ?1, last_attempt_at = ?1, last_error = ?2 WHERE id = 1",
                    params![now, error],
                )
            } else {
                c.execute(
                    "UPDATE sync_state SET last_attempt_at = ?1, last_error = COALESCE(?2, last_error) WHERE id = 1",
                    params![now, error],
                )
            }
        })?;
        Ok(())
    }

    fn pending_count(&self) -> Result<usize, WalletError> {
        Ok(self.sync_status()?.pending)
    }

    async fn sync(&self, due: Due) -> Result<SyncReport, WalletError> {
        let _one_at_a_time = self.inner.sync_lock.lock().await;
        let mut report = SyncReport {
            attempted: 0,
            sent: 0,
            failed: 0,
            pending: 0,
            error: None,
        };
        let now = self.now();
        let auth = match self.auth() {
            Ok(auth) => auth,
            Err(error) => {
                report.pending = self.pending_count()?;
                if report.pending > 0 {
                    let text = format!(
                        "{} writes wait until you sign in again: {error}",
                        report.pending
                    );
                    self.note_sync(false, Some(&text))?;
                    report.error = Some(text);
                }
                return Ok(report);
            }
        };
        let rows: Vec<Row> = self.store().with(|c| {
            let mut statement = c.prepare(&format!(
                "SELECT {ROW_COLUMNS} FROM outbox WHERE state = 'pending' AND merchant_id = ?1 ORDER BY seq"
            ))?;
            let rows = statement.query_map([&auth.merchant_id], read_row)?;
            rows.collect()
        })?;
        for row in rows {
            if due == Due::Scheduled && row.entry.next_attempt_at > now {
                // Later writes wait behind it: the order holds.
                break;
            }
            report.attempted += 1;
            let attempts = row.entry.attempts.saturating_add(1);
            let outcome = self.send_write(&auth, &row).await;
            let done = time_text(self.now());
            match outcome {
                Ok(run) => {
                    if let Some(run) = run {
                        self.cache_run(&run)?;
                    }
                    self.store().with(|c| {
                        c.execute(
                            "UPDATE outbox SET state = 'sent', attempts = ?2, last_attempt_at = ?3, done_at = ?3, \
                             last_error = NULL WHERE seq = ?1",
                            params![row.seq, attempts, done],
                        )
                    })?;
                    report.sent += 1;
                    self.note_sync(true, None)?;
                }
                Err(error) if error.is_permanent() => {
                    let reason = format!(
                        "the hub refused {} ({}): {}",
                        row.entry.summary,
                        row.entry.write_id,
                        error.describe()
                    );
                    self.store().with(|c| {
                        c.execute(
                            "UPDATE outbox SET state = 'failed', attempts = ?2, last_attempt_at = ?3, done_at = ?3, \
                             last_error = ?4 WHERE seq = ?1",
                            params![row.seq, attempts, done, reason],
                        )
                    })?;
                    report.failed += 1;
                    self.note_sync(false, Some(&reason))?;
                }
                Err(error) => {
                    let session_over = matches!(error, CallError::Refused { status: 401, .. });
                    let server_failure =
                        matches!(error, CallError::Refused { .. }) && !session_over;
                    let text = if session_over {
                        let mapped = self.authed_error(error);
                        format!("sign in again to send the waiting writes: {mapped}")
                    } else {
                        error.describe()
                    };
                    let give_up = server_failure && attempts >= MAX_SERVER_FAILURES;
                    let state = if give_up { "failed" } else { "pending" };
                    let reason = if give_up {
                        format!("gave up after {attempts} attempts: {text}")
                    } else {
                        text.clone()
                    };
                    let next = time_text(self.now() + backoff(attempts));
                    self.store().with(|c| {
                        c.execute(
                            "UPDATE outbox SET state = ?2, attempts = ?3, last_attempt_at = ?4, \
                             next_attempt_at = ?5, last_error = ?6, done_at = CASE WHEN ?2 = 'failed' THEN ?4 END \
                             WHERE seq = ?1",
                            params![row.seq, state, attempts, done, next, reason],
                        )
                    })?;
                    if give_up {
                        report.failed += 1;
                    }
                    self.note_sync(false, Some(&text))?;
                    report.error = Some(text);
                    break;
                }
            }
        }
        report.pending = self.pending_count()?;
        Ok(report)
    }

    async fn send_write(
        &self,
        auth: &crate::session::Auth,
        row: &Row,
    ) -> Result<Option<RunView>, CallError> {
        let run = path_part(&row.entry.run_id);
        match row.entry.kind {
            WriteKind::ManualAnswer => self
                .client()
                .json::<RunView>(
                    &auth.hub_url,
                    Method::POST,
                    &format!("/runs/{run}/manual-answers"),
                    Some(&auth.token),
                    Body::Json(row.body.clone()),
                )
                .await
                .map(Some),
            WriteKind::Attachment => {
                let bytes = row.bytes.as_deref().unwrap_or_default();
                self.client()
                    .send(
                        &auth.hub_url,
                        Method::PUT,
                        &format!("/runs/{run}/attachments/{}", path_part(&row.entry.write_id)),
                        Some(&auth.token),
                        Body::Bytes(
                            bytes,
                            photo_type(bytes).unwrap_or("application/octet-stream"),
                        ),
                        None,
                    )
                    .await
                    .map(|_| None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_five_seconds_to_ten_minutes() {
        assert_eq!(backoff(1), Duration::seconds(5));
        assert_eq!(backoff(2), Duration::seconds(10));
        assert_eq!(backoff(4), Duration::seconds(40));
        assert_eq!(backoff(20), Duration::seconds(600), "capped");
        assert_eq!(backoff(u32::MAX), Duration::seconds(600), "no overflow");
    }

    #[test]
    fn photos_are_recognised_by_their_bytes() {
        assert_eq!(photo_type(b"\x89PNG\r\n\x1a\nxx"), Some("image/png"));
        assert_eq!(photo_type(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(photo_type(b"GIF89a"), None);
    }
}
