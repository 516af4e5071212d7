//! The acquirer's own records in SQLite (WAL): payments as the POS knows them, refunds, private
//! order codes and the notifications seen. Everything survives a restart. Opened and migrated by
//! `linker_base::sqlite`.

use std::path::Path;
use std::sync::Mutex;

use linker_aplus::Amount;
use linker_base::sqlite;
use linker_pos_driver::DisplayState;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::AcquirerError;

/// Each migration brings the schema from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[MIGRATION_1, MIGRATION_2];

const MIGRATION_1: &str = "
CREATE TABLE payments (
    pos_payment_id TEXT PRIMARY KEY,
    payment_request_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    currency TEXT NOT NULL,
    value INTEGER NOT NULL,
    state TEXT NOT NULL,
    busy TEXT,
    reason TEXT,
    message TEXT NOT NULL DEFAULT '',
    payment_id TEXT,
    code_value TEXT,
    expire_time TEXT,
    refunded_value INTEGER NOT NULL DEFAULT 0,
    run_id TEXT,
    case_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE refunds (
    pos_refund_id TEXT PRIMARY KEY,
    refund_request_id TEXT NOT NULL UNIQUE,
    pos_payment_id TEXT NOT NULL REFERENCES payments(pos_payment_id),
    value INTEGER NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    refund_id TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE private_codes (
    code_value TEXT PRIMARY KEY,
    pos_payment_id TEXT NOT NULL REFERENCES payments(pos_payment_id),
    expires_at TEXT NOT NULL,
    asked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    payment_request_id TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    result_status TEXT NOT NULL,
    result_code TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (payment_request_id, payment_id, result_status, result_code)
);
";

/// The online shop: a cashier order's payment page and basket, and the Auto Debit bindings of the
/// shop's customer account (one row per authorization started with `prepare`).
const MIGRATION_2: &str = "
ALTER TABLE payments ADD COLUMN payment_url TEXT;
ALTER TABLE payments ADD COLUMN description TEXT;
CREATE TABLE bindings (
    binding_id TEXT PRIMARY KEY,
    auth_state TEXT NOT NULL UNIQUE,
    auth_url TEXT NOT NULL,
    status TEXT NOT NULL,
    auth_code TEXT,
    access_token TEXT,
    access_token_expires_at TEXT,
    refresh_token TEXT,
    refresh_token_expires_at TEXT,
    customer_id TEXT,
    reason TEXT,
    message TEXT NOT NULL DEFAULT '',
    run_id TEXT,
    case_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX bindings_access_token ON bindings(access_token);
";

/// How the POS took a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentKind {
    /// The POS charged the customer's payment code.
    Upm,
    /// The POS showed an Alipay+ order code.
    OrderCode,
    /// The POS showed its own private order code.
    PrivateOrderCode,
    /// The customer paid on the entry-code page.
    EntryCode,
    /// An online order of the shop, paid on the Alipay+ cashier page.
    Cashier,
    /// An Auto Debit charge with the linked wallet's access token.
    Debit,
}

impl PaymentKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentKind::Upm => "upm",
            PaymentKind::OrderCode => "order_code",
            PaymentKind::PrivateOrderCode => "private_order_code",
            PaymentKind::EntryCode => "entry_code",
            PaymentKind::Cashier => "cashier",
            PaymentKind::Debit => "debit",
        }
    }

    fn parse(text: &str) -> PaymentKind {
        match text {
            "order_code" => PaymentKind::OrderCode,
            "private_order_code" => PaymentKind::PrivateOrderCode,
            "entry_code" => PaymentKind::EntryCode,
            "cashier" => PaymentKind::Cashier,
            "debit" => PaymentKind::Debit,
            _ => PaymentKind::Upm,
        }
    }

    /// How a cashier names it.
    pub fn label(self) -> &'static str {
        match self {
            PaymentKind::Upm => "payment code",
            PaymentKind::OrderCode => "order code",
            PaymentKind::PrivateOrderCode => "private order code",
            PaymentKind::EntryCode => "entry code",
            PaymentKind::Cashier => "online checkout",
            PaymentKind::Debit => "auto debit",
        }
    }
}

fn parse_state(text: &str) -> DisplayState {
    match text {
        "paid" => DisplayState::Paid,
        "failed" => DisplayState::Failed,
        "cancelled" => DisplayState::Cancelled,
        "refunded" => DisplayState::Refunded,
        "partially_refunded" => DisplayState::PartiallyRefunded,
        _ => DisplayState::Waiting,
    }
}

/// A payment as the POS knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PosPayment {
    /// The POS's id.
    pub pos_payment_id: String,
    /// The `paymentRequestId` sent to Alipay+.
    pub payment_request_id: String,
    /// How it was taken.
    pub kind: PaymentKind,
    /// The sale's amount.
    pub amount: Amount,
    /// What the terminal shows.
    pub state: DisplayState,
    /// Work in progress (`cancelling`), if any.
    pub busy: Option<String>,
    /// The result code behind a failure.
    pub reason: Option<String>,
    /// Details for the cashier (the result message, what the POS is doing).
    pub message: String,
    /// Alipay+'s `paymentId`, once known.
    pub payment_id: Option<String>,
    /// The code shown (order codes).
    pub code_value: Option<String>,
    /// When the shown code expires.
    pub expire_time: Option<String>,
    /// Refunded so far, minor units.
    pub refunded_value: u64,
    /// The Linker run that asked, via the POS driver.
    pub run_id: Option<String>,
    /// The case that asked, via the POS driver.
    pub case_id: Option<String>,
    /// When the sale started (RFC 3339).
    pub created_at: String,
    /// The Alipay+ page the customer pays an online order on (cashier).
    pub payment_url: Option<String>,
    /// What was bought (an online order's basket).
    pub description: Option<String>,
}

/// A refund as the POS knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PosRefund {
    /// The POS's id.
    pub pos_refund_id: String,
    /// The `refundRequestId` sent to Alipay+.
    pub refund_request_id: String,
    /// The payment refunded.
    pub pos_payment_id: String,
    /// Minor units.
    pub value: u64,
    /// `pending`, `succeeded` or `failed`.
    pub state: String,
    /// The result code behind a failure.
    pub reason: Option<String>,
}

/// A private order code and what it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateCode {
    /// The payment it sells.
    pub pos_payment_id: String,
    /// When it stops being payable (RFC 3339).
    pub expires_at: String,
    /// How many times Alipay+ asked about it.
    pub asked: u32,
}

/// Where an Auto Debit binding of the shop's customer account stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BindingStatus {
    /// `prepare` gave an authorization URL; waiting for the customer to authorize in the wallet.
    Pending,
    /// The wallet authorized (authNotify AUTHCODE_CREATED); `applyToken` is under way.
    Applying,
    /// An access token is held: the wallet is linked.
    Linked,
    /// `cancelToken` is under way.
    Unlinking,
    /// The link ended (unlinked by the merchant, revoked in the wallet, or refused by Alipay+).
    Unlinked,
    /// Superseded by a newer authorization before or after it was linked.
    Replaced,
    /// The authorization could not be turned into a token.
    Failed,
}

impl BindingStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            BindingStatus::Pending => "pending",
            BindingStatus::Applying => "applying",
            BindingStatus::Linked => "linked",
            BindingStatus::Unlinking => "unlinking",
            BindingStatus::Unlinked => "unlinked",
            BindingStatus::Replaced => "replaced",
            BindingStatus::Failed => "failed",
        }
    }

    fn parse(text: &str) -> BindingStatus {
        match text {
            "applying" => BindingStatus::Applying,
            "linked" => BindingStatus::Linked,
            "unlinking" => BindingStatus::Unlinking,
            "unlinked" => BindingStatus::Unlinked,
            "replaced" => BindingStatus::Replaced,
            "failed" => BindingStatus::Failed,
            _ => BindingStatus::Pending,
        }
    }
}

/// An Auto Debit binding: one authorization of the shop's customer account and its tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    /// The acquirer's id.
    pub binding_id: String,
    /// The `authState` sent to `prepare` (matches the authNotify to the binding).
    pub auth_state: String,
    /// The wallet's authorization page.
    pub auth_url: String,
    /// Where it stands.
    pub status: BindingStatus,
    /// The authorization code from authNotify AUTHCODE_CREATED.
    #[serde(skip)]
    pub auth_code: Option<String>,
    /// The access token `pay` debits with.
    #[serde(skip)]
    pub access_token: Option<String>,
    /// When the access token expires (RFC 3339), when Alipay+ said.
    pub access_token_expires_at: Option<String>,
    /// The refresh token.
    #[serde(skip)]
    pub refresh_token: Option<String>,
    /// When the refresh token expires (RFC 3339), when Alipay+ said.
    pub refresh_token_expires_at: Option<String>,
    /// The customer at the wallet.
    pub customer_id: Option<String>,
    /// The code behind the end of the link (`TOKEN_CANCELED`, `INVALID_ACCESS_TOKEN`, ...).
    pub reason: Option<String>,
    /// Details for the account page.
    pub message: String,
    /// The Linker run that asked, via the POS driver.
    pub run_id: Option<String>,
    /// The case that asked, via the POS driver.
    pub case_id: Option<String>,
    /// When the authorization started (RFC 3339).
    pub created_at: String,
}

/// The tokens `applyToken` gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    /// The access token.
    pub access_token: String,
    /// When it expires (RFC 3339).
    pub access_token_expires_at: Option<String>,
    /// The refresh token.
    pub refresh_token: Option<String>,
    /// When the refresh token expires (RFC 3339).
    pub refresh_token_expires_at: Option<String>,
    /// The customer at the wallet.
    pub customer_id: Option<String>,
}

const BINDING_COLUMNS: &str = "binding_id, auth_state, auth_url, status, auth_code, access_token, \
    access_token_expires_at, refresh_token, refresh_token_expires_at, customer_id, reason, message, \
    run_id, case_id, created_at";

fn binding_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Binding> {
    let status: String = row.get(3)?;
    Ok(Binding {
        binding_id: row.get(0)?,
        auth_state: row.get(1)?,
        auth_url: row.get(2)?,
        status: BindingStatus::parse(&status),
        auth_code: row.get(4)?,
        access_token: row.get(5)?,
        access_token_expires_at: row.get(6)?,
        refresh_token: row.get(7)?,
        refresh_token_expires_at: row.get(8)?,
        customer_id: row.get(9)?,
        reason: row.get(10)?,
        message: row.get(11)?,
        run_id: row.get(12)?,
        case_id: row.get(13)?,
        created_at: row.get(14)?,
    })
}

/// The acquirer's database.
#[derive(Debug)]
pub struct Store {
    connection: Mutex<Connection>,
}

fn now_text() -> String {
    chrono::Utc::now().to_rfc3339()
}

const PAYMENT_COLUMNS: &str = "pos_payment_id, payment_request_id, kind, currency, value, state, \
    busy, reason, message, payment_id, code_value, expire_time, refunded_value, run_id, case_id, created_at, \
    payment_url, description";

fn payment_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<PosPayment> {
    let currency: String = row.get(3)?;
    let value: i64 = row.get(4)?;
    let amount = Amount::parse(&currency, &value.to_string()).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
    })?;
    let state: String = row.get(5)?;
    let kind: String = row.get(2)?;
    let refunded: i64 = row.get(12)?;
    Ok(PosPayment {
        pos_payment_id: row.get(0)?,
        payment_request_id: row.get(1)?,
        kind: PaymentKind::parse(&kind),
        amount,
        state: parse_state(&state),
        busy: row.get(6)?,
        reason: row.get(7)?,
        message: row.get(8)?,
        payment_id: row.get(9)?,
        code_value: row.get(10)?,
        expire_time: row.get(11)?,
        refunded_value: u64::try_from(refunded).unwrap_or(0),
        run_id: row.get(13)?,
        case_id: row.get(14)?,
        created_at: row.get(15)?,
        payment_url: row.get(16)?,
        description: row.get(17)?,
    })
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Store {
    /// Opens (creating and migrating) `acquirer.sqlite` in the data folder.
    pub fn open(path: &Path) -> Result<Store, AcquirerError> {
        // FULL, SQLite's default, which the acquirer has always kept.
        let pragmas = sqlite::Pragmas {
            synchronous: sqlite::Synchronous::Full,
            ..sqlite::Pragmas::default()
        };
        let connection = sqlite::open_and_migrate(path, pragmas, MIGRATIONS)?;
        Ok(Store {
            connection: Mutex::new(connection),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, AcquirerError> {
        let mut guard = self
            .connection
            .lock()
            .map_err(|_| AcquirerError::Poisoned)?;
        Ok(f(&mut guard)?)
    }

    /// Records a new payment, waiting.
    #[allow(clippy::too_many_arguments)]
    pub fn insert_payment(
        &self,
        pos_payment_id: &str,
        payment_request_id: &str,
        kind: PaymentKind,
        amount: Amount,
        message: &str,
        run_id: Option<&str>,
        case_id: Option<&str>,
    ) -> Result<PosPayment, AcquirerError> {
        let now = now_text();
        self.with(|c| {
            c.execute(
                "INSERT INTO payments (pos_payment_id, payment_request_id, kind, currency, value, state, \
                 message, run_id, case_id, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 'waiting', ?6, ?7, ?8, ?9, ?9)",
                params![
                    pos_payment_id,
                    payment_request_id,
                    kind.as_str(),
                    amount.currency().code(),
                    to_i64(amount.value()),
                    message,
                    run_id,
                    case_id,
                    now
                ],
            )
        })?;
        self.payment(pos_payment_id)?
            .ok_or_else(|| AcquirerError::Internal("a payment just written is missing".into()))
    }

    /// A payment by the POS's id.
    pub fn payment(&self, pos_payment_id: &str) -> Result<Option<PosPayment>, AcquirerError> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE pos_payment_id = ?1"),
                [pos_payment_id],
                payment_row,
            )
            .optional()
        })
    }

    /// A payment by its `paymentRequestId`.
    pub fn payment_by_request_id(
        &self,
        payment_request_id: &str,
    ) -> Result<Option<PosPayment>, AcquirerError> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE payment_request_id = ?1"),
                [payment_request_id],
                payment_row,
            )
            .optional()
        })
    }

    /// The latest payments, newest first.
    pub fn payments(&self, limit: u32) -> Result<Vec<PosPayment>, AcquirerError> {
        self.with(|c| {
            let mut statement = c.prepare(&format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments ORDER BY created_at DESC, rowid DESC LIMIT ?1"
            ))?;
            let rows = statement.query_map([limit], payment_row)?;
            rows.collect()
        })
    }

    /// Payments still waiting (to resume watching them after a restart).
    pub fn waiting_payments(&self) -> Result<Vec<PosPayment>, AcquirerError> {
        self.with(|c| {
            let mut statement = c.prepare(&format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments WHERE state = 'waiting' ORDER BY created_at"
            ))?;
            let rows = statement.query_map([], payment_row)?;
            rows.collect()
        })
    }

    /// Moves a waiting payment (not being cancelled) to a final state; false when it was no
    /// longer waiting.
    pub fn settle(
        &self,
        pos_payment_id: &str,
        state: DisplayState,
        reason: Option<&str>,
        message: &str,
        payment_id: Option<&str>,
    ) -> Result<bool, AcquirerError> {
        let changed = self.with(|c| {
            c.execute(
                "UPDATE payments SET state = ?2, reason = ?3, message = ?4, \
                 payment_id = COALESCE(?5, payment_id), updated_at = ?6 \
                 WHERE pos_payment_id = ?1 AND state = 'waiting' AND busy IS NULL",
                params![
                    pos_payment_id,
                    state.as_str(),
                    reason,
                    message,
                    payment_id,
                    now_text()
                ],
            )
        })?;
        Ok(changed == 1)
    }

    /// Sets the state whatever it was (after a cancel or a refund), clearing `busy`.
    pub fn set_state(
        &self,
        pos_payment_id: &str,
        state: DisplayState,
        reason: Option<&str>,
        message: &str,
    ) -> Result<(), AcquirerError> {
        self.with(|c| {
            c.execute(
                "UPDATE payments SET state = ?2, reason = ?3, message = ?4, busy = NULL, updated_at = ?5 \
                 WHERE pos_payment_id = ?1",
                params![pos_payment_id, state.as_str(), reason, message, now_text()],
            )
        })?;
        Ok(())
    }

    /// Sets or clears the work in progress, with a message.
    pub fn set_busy(
        &self,
        pos_payment_id: &str,
        busy: Option<&str>,
        message: &str,
    ) -> Result<(), AcquirerError> {
        self.with(|c| {
            c.execute(
                "UPDATE payments SET busy = ?2, message = ?3, updated_at = ?4 WHERE pos_payment_id = ?1",
                params![pos_payment_id, busy, message, now_text()],
            )
        })?;
        Ok(())
    }

    /// Changes the message only.
    pub fn set_message(&self, pos_payment_id: &str, message: &str) -> Result<(), AcquirerError> {
        self.with(|c| {
            c.execute(
                "UPDATE payments SET message = ?2, updated_at = ?3 WHERE pos_payment_id = ?1",
                params![pos_payment_id, message, now_text()],
            )
        })?;
        Ok(())
    }

    /// Records what Alipay+ said about the code shown and the payment id.
    pub fn set_code(
        &self,
        pos_payment_id: &str,
        code_value: Option<&str>,
        expire_time: Option<&str>,
        payment_id: Option<&str>,
    ) -> Result<(), AcquirerError> {
        self.with(|c| {
            c.execute(
                "UPDATE payments SET code_value = COALESCE(?2, code_value), \
                 expire_time = COALESCE(?3, expire_time), payment_id = COALESCE(?4, payment_id), \
                 updated_at = ?5 WHERE pos_payment_id = ?1",
                params![
                    pos_payment_id,
                    code_value,
                    expire_time,
                    payment_id,
                    now_text()
                ],
            )
        })?;
        Ok(())
    }

    /// Gives a payment a new `paymentRequestId` (only under a fault: a new order for one code).
    pub fn set_request_id(
        &self,
        pos_payment_id: &str,
        payment_request_id: &str,
    ) -> Result<(), AcquirerError> {
        self.with(|c| {
            c.execute(
                "UPDATE payments SET payment_request_id = ?2, updated_at = ?3 WHERE pos_payment_id = ?1",
                params![pos_payment_id, payment_request_id, now_text()],
            )
        })?;
        Ok(())
    }

    /// Records a new refund, pending.
    pub fn insert_refund(
        &self,
        pos_refund_id: &str,
        refund_request_id: &str,
        pos_payment_id: &str,
        value: u64,
    ) -> Result<(), AcquirerError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO refunds (pos_refund_id, refund_request_id, pos_payment_id, value, state, created_at) \
                 VALUES (?1, ?2, ?3, ?4, 'pending', ?5)",
                params![pos_refund_id, refund_request_id, pos_payment_id, to_i64(value), now_text()],
            )
        })?;
        Ok(())
    }

    /// Ends a refund: on success adds it to the payment's refunded total and returns the payment.
    pub fn finish_refund(
        &self,
        pos_refund_id: &str,
        succeeded: bool,
        reason: Option<&str>,
        refund_id: Option<&str>,
    ) -> Result<(), AcquirerError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let state = if succeeded { "succeeded" } else { "failed" };
            let changed = tx.execute(
                "UPDATE refunds SET state = ?2, reason = ?3, refund_id = ?4 \
                 WHERE pos_refund_id = ?1 AND state = 'pending'",
                params![pos_refund_id, state, reason, refund_id],
            )?;
            if succeeded && changed == 1 {
                tx.execute(
                    "UPDATE payments SET refunded_value = refunded_value + \
                     (SELECT value FROM refunds WHERE pos_refund_id = ?1), updated_at = ?2 \
                     WHERE pos_payment_id = (SELECT pos_payment_id FROM refunds WHERE pos_refund_id = ?1)",
                    params![pos_refund_id, now_text()],
                )?;
            }
            tx.commit()
        })
    }

    /// The refunds of a payment, oldest first.
    pub fn refunds(&self, pos_payment_id: &str) -> Result<Vec<PosRefund>, AcquirerError> {
        self.with(|c| {
            let mut statement = c.prepare(
                "SELECT pos_refund_id, refund_request_id, pos_payment_id, value, state, reason \
                 FROM refunds WHERE pos_payment_id = ?1 ORDER BY created_at, rowid",
            )?;
            let rows = statement.query_map([pos_payment_id], |row| {
                let value: i64 = row.get(3)?;
                Ok(PosRefund {
                    pos_refund_id: row.get(0)?,
                    refund_request_id: row.get(1)?,
                    pos_payment_id: row.get(2)?,
                    value: u64::try_from(value).unwrap_or(0),
                    state: row.get(4)?,
                    reason: row.get(5)?,
                })
            })?;
            rows.collect()
        })
    }

    /// Records a private order code issued for a payment.
    pub fn insert_private_code(
        &self,
        code_value: &str,
        pos_payment_id: &str,
        expires_at: &str,
    ) -> Result<(), AcquirerError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO private_codes (code_value, pos_payment_id, expires_at) VALUES (?1, ?2, ?3)",
                params![code_value, pos_payment_id, expires_at],
            )
        })?;
        Ok(())
    }

    /// A private order code, counting this question about it.
    pub fn ask_private_code(&self, code_value: &str) -> Result<Option<PrivateCode>, AcquirerError> {
        self.with(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "UPDATE private_codes SET asked = asked + 1 WHERE code_value = ?1",
                [code_value],
            )?;
            let code = tx
                .query_row(
                    "SELECT pos_payment_id, expires_at, asked FROM private_codes WHERE code_value = ?1",
                    [code_value],
                    |row| {
                        Ok(PrivateCode {
                            pos_payment_id: row.get(0)?,
                            expires_at: row.get(1)?,
                            asked: row.get(2)?,
                        })
                    },
                )
                .optional()?;
            tx.commit()?;
            Ok(code)
        })
    }

    /// A private order code by the payment it sells.
    pub fn private_code_of(
        &self,
        pos_payment_id: &str,
    ) -> Result<Option<PrivateCode>, AcquirerError> {
        self.with(|c| {
            c.query_row(
                "SELECT pos_payment_id, expires_at, asked FROM private_codes WHERE pos_payment_id = ?1",
                [pos_payment_id],
                |row| {
                    Ok(PrivateCode {
                        pos_payment_id: row.get(0)?,
                        expires_at: row.get(1)?,
                        asked: row.get(2)?,
                    })
                },
            )
            .optional()
        })
    }

    /// Records a notification; false when the same one was seen before.
    pub fn record_notification(
        &self,
        payment_request_id: &str,
        payment_id: &str,
        result_status: &str,
        result_code: &str,
        body: &str,
    ) -> Result<bool, AcquirerError> {
        let inserted = self.with(|c| {
            c.execute(
                "INSERT OR IGNORE INTO notifications (payment_request_id, payment_id, result_status, \
                 result_code, body, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![payment_request_id, payment_id, result_status, result_code, body, now_text()],
            )
        })?;
        Ok(inserted == 1)
    }

    /// How many distinct notifications were recorded for a payment.
    pub fn notification_count(&self, payment_request_id: &str) -> Result<u32, AcquirerError> {
        self.with(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM notifications WHERE payment_request_id = ?1",
                [payment_request_id],
                |row| row.get(0),
            )
        })
    }

    /// Records an online order's payment page and basket.
    pub fn set_order_details(
        &self,
        pos_payment_id: &str,
        payment_url: Option<&str>,
        description: Option<&str>,
    ) -> Result<(), AcquirerError> {
        self.with(|c| {
            c.execute(
                "UPDATE payments SET payment_url = COALESCE(?2, payment_url), \
                 description = COALESCE(?3, description), updated_at = ?4 WHERE pos_payment_id = ?1",
                params![pos_payment_id, payment_url, description, now_text()],
            )
        })?;
        Ok(())
    }

    /// Records a new authorization, pending; one still waiting for the customer is replaced.
    pub fn insert_binding(
        &self,
        binding_id: &str,
        auth_state: &str,
        auth_url: &str,
        run_id: Option<&str>,
        case_id: Option<&str>,
    ) -> Result<Binding, AcquirerError> {
        let now = now_text();
        self.with(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "UPDATE bindings SET status = 'replaced', \
                 message = 'Replaced by a newer authorization', updated_at = ?1 \
                 WHERE status = 'pending'",
                [&now],
            )?;
            tx.execute(
                "INSERT INTO bindings (binding_id, auth_state, auth_url, status, message, run_id, \
                 case_id, created_at, updated_at) VALUES (?1, ?2, ?3, 'pending', \
                 'Waiting for the customer to authorize in the wallet', ?4, ?5, ?6, ?6)",
                params![binding_id, auth_state, auth_url, run_id, case_id, now],
            )?;
            tx.commit()
        })?;
        self.binding(binding_id)?
            .ok_or_else(|| AcquirerError::Internal("a binding just written is missing".into()))
    }

    fn binding_where(
        &self,
        condition: &str,
        value: &str,
    ) -> Result<Option<Binding>, AcquirerError> {
        self.with(|c| {
            c.query_row(
                &format!(
                    "SELECT {BINDING_COLUMNS} FROM bindings WHERE {condition} \
                     ORDER BY rowid DESC LIMIT 1"
                ),
                [value],
                binding_row,
            )
            .optional()
        })
    }

    /// A binding by its id.
    pub fn binding(&self, binding_id: &str) -> Result<Option<Binding>, AcquirerError> {
        self.binding_where("binding_id = ?1", binding_id)
    }

    /// A binding by the `authState` sent to `prepare`.
    pub fn binding_by_state(&self, auth_state: &str) -> Result<Option<Binding>, AcquirerError> {
        self.binding_where("auth_state = ?1", auth_state)
    }

    /// The newest binding holding this access token.
    pub fn binding_by_access_token(
        &self,
        access_token: &str,
    ) -> Result<Option<Binding>, AcquirerError> {
        self.binding_where("access_token = ?1", access_token)
    }

    /// The binding in this status, newest first.
    pub fn binding_in(&self, status: BindingStatus) -> Result<Option<Binding>, AcquirerError> {
        self.binding_where("status = ?1", status.as_str())
    }

    /// The newest binding that was not replaced by a newer one: what the account page tells.
    pub fn latest_binding(&self) -> Result<Option<Binding>, AcquirerError> {
        self.binding_where("status != ?1", BindingStatus::Replaced.as_str())
    }

    /// Every binding in this status, oldest first.
    pub fn bindings_in(&self, status: BindingStatus) -> Result<Vec<Binding>, AcquirerError> {
        self.with(|c| {
            let mut statement = c.prepare(&format!(
                "SELECT {BINDING_COLUMNS} FROM bindings WHERE status = ?1 ORDER BY rowid"
            ))?;
            let rows = statement.query_map([status.as_str()], binding_row)?;
            rows.collect()
        })
    }

    /// Ends every authorization still waiting for the customer or for its token (the customer
    /// unlinked before it completed).
    pub fn abandon_waiting_bindings(&self) -> Result<(), AcquirerError> {
        self.with(|c| {
            c.execute(
                "UPDATE bindings SET status = 'unlinked', reason = 'ABANDONED', \
                 message = 'the authorization was abandoned', updated_at = ?1 \
                 WHERE status IN ('pending', 'applying')",
                [now_text()],
            )
        })?;
        Ok(())
    }

    /// Whether any binding ever held an access token.
    pub fn ever_linked(&self) -> Result<bool, AcquirerError> {
        self.with(|c| {
            c.query_row(
                "SELECT EXISTS (SELECT 1 FROM bindings WHERE access_token IS NOT NULL)",
                [],
                |row| row.get(0),
            )
        })
    }

    /// Moves a binding from one of `from` to `to`; false when it was in none of them.
    pub fn move_binding(
        &self,
        binding_id: &str,
        from: &[BindingStatus],
        to: BindingStatus,
        reason: Option<&str>,
        message: &str,
    ) -> Result<bool, AcquirerError> {
        let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
        let from = serde_json::to_string(&from)
            .map_err(|e| AcquirerError::Internal(format!("binding statuses: {e}")))?;
        let changed = self.with(|c| {
            c.execute(
                "UPDATE bindings SET status = ?2, reason = ?3, message = ?4, updated_at = ?5 \
                 WHERE binding_id = ?1 AND status IN (SELECT value FROM json_each(?6))",
                params![binding_id, to.as_str(), reason, message, now_text(), from],
            )
        })?;
        Ok(changed == 1)
    }

    /// Keeps the authorization code of a pending binding and marks it applying; false when it
    /// was not pending (a repeated notification).
    pub fn start_applying(&self, binding_id: &str, auth_code: &str) -> Result<bool, AcquirerError> {
        let changed = self.with(|c| {
            c.execute(
                "UPDATE bindings SET status = 'applying', auth_code = ?2, \
                 message = 'The wallet authorized; getting the access token…', updated_at = ?3 \
                 WHERE binding_id = ?1 AND status = 'pending'",
                params![binding_id, auth_code, now_text()],
            )
        })?;
        Ok(changed == 1)
    }

    /// Links a binding with its tokens; any other linked binding is replaced. Returns the access
    /// tokens of the replaced ones (to cancel), or `None` when the binding was not pending or
    /// applying any more.
    pub fn link(
        &self,
        binding_id: &str,
        tokens: &Tokens,
        message: &str,
    ) -> Result<Option<Vec<String>>, AcquirerError> {
        let now = now_text();
        self.with(|c| {
            let tx = c.transaction()?;
            let changed = tx.execute(
                "UPDATE bindings SET status = 'linked', access_token = ?2, \
                 access_token_expires_at = ?3, refresh_token = ?4, refresh_token_expires_at = ?5, \
                 customer_id = COALESCE(?6, customer_id), reason = NULL, message = ?7, updated_at = ?8 \
                 WHERE binding_id = ?1 AND status IN ('pending', 'applying')",
                params![
                    binding_id,
                    tokens.access_token,
                    tokens.access_token_expires_at,
                    tokens.refresh_token,
                    tokens.refresh_token_expires_at,
                    tokens.customer_id,
                    message,
                    now
                ],
            )?;
            if changed != 1 {
                return Ok(None);
            }
            let replaced: Vec<String> = {
                let mut statement = tx.prepare(
                    "SELECT access_token FROM bindings WHERE status = 'linked' \
                     AND binding_id != ?1 AND access_token IS NOT NULL",
                )?;
                let rows = statement.query_map([binding_id], |row| row.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            tx.execute(
                "UPDATE bindings SET status = 'replaced', \
                 message = 'Replaced by a newer link', updated_at = ?2 \
                 WHERE status = 'linked' AND binding_id != ?1",
                params![binding_id, now],
            )?;
            tx.commit()?;
            Ok(Some(replaced))
        })
    }

    /// Replaces a linked binding's tokens after a refresh.
    pub fn refresh_tokens(&self, binding_id: &str, tokens: &Tokens) -> Result<(), AcquirerError> {
        self.with(|c| {
            c.execute(
                "UPDATE bindings SET access_token = ?2, access_token_expires_at = ?3, \
                 refresh_token = COALESCE(?4, refresh_token), \
                 refresh_token_expires_at = COALESCE(?5, refresh_token_expires_at), \
                 message = 'Linked (the access token was refreshed)', updated_at = ?6 \
                 WHERE binding_id = ?1",
                params![
                    binding_id,
                    tokens.access_token,
                    tokens.access_token_expires_at,
                    tokens.refresh_token,
                    tokens.refresh_token_expires_at,
                    now_text()
                ],
            )
        })?;
        Ok(())
    }

    /// Marks a binding's access token as expired at `at` (RFC 3339): Alipay+ said so.
    pub fn expire_access_token(&self, binding_id: &str, at: &str) -> Result<(), AcquirerError> {
        self.with(|c| {
            c.execute(
                "UPDATE bindings SET access_token_expires_at = ?2, updated_at = ?3 \
                 WHERE binding_id = ?1",
                params![binding_id, at, now_text()],
            )
        })?;
        Ok(())
    }
}
