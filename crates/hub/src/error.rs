//! The hub's error type, with the stable code every JSON API answers with as `{code, message}`.

use crate::store::StoreError;

/// The codes of [`HubError::Denied`]: why a merchant's credential was refused.
pub const DENIED_CODES: [&str; 9] = [
    "INVITATION_INVALID",
    "INVITATION_USED",
    "INVITATION_EXPIRED",
    "WRONG_CREDENTIALS",
    "NOT_SIGNED_IN",
    "SESSION_REVOKED",
    "SESSION_EXPIRED",
    "ACCESS_REVOKED",
    "TICKET_INVALID",
];

/// The codes of [`HubError::Refused`]: why an ACQP authorization step was refused.
pub const REFUSED_CODES: [&str; 5] = [
    "ACCEPTANCE_NOT_PASSED",
    "TOO_MANY_PENDING_URLS",
    "AUTHORIZATION_URL_INVALID",
    "AUTHORIZATION_URL_USED",
    "AUTHORIZATION_URL_EXPIRED",
];

/// The codes of [`HubError::Limited`]: which of a project's hourly or daily allowances ran out.
pub const LIMITED_CODES: [&str; 2] = ["AUTHORIZATION_URL_LIMIT", "AUTHORIZATION_MAIL_LIMIT"];

/// Something a hub operation refused or failed to do.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The named thing does not exist (or belongs to someone else).
    #[error("{0} not found")]
    NotFound(String),
    /// An input field is wrong; `field` names it.
    #[error("{field}: {message}")]
    Invalid {
        /// The offending field, e.g. `notifyUrl`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The request conflicts with existing data (a duplicate Client-Id, say).
    #[error("{0}")]
    Conflict(String),
    /// No credential, or a wrong one.
    #[error("{0}")]
    Unauthorized(String),
    /// A valid credential that does not open this (a project token on another project's route,
    /// or on a hub-wide one).
    #[error("{0}")]
    Forbidden(String),
    /// A merchant's credential refused for a reason the wallet tells apart (HTTP 401):
    /// `INVITATION_INVALID`, `INVITATION_USED`, `INVITATION_EXPIRED`, `WRONG_CREDENTIALS`,
    /// `NOT_SIGNED_IN`, `SESSION_REVOKED`, `SESSION_EXPIRED`, `ACCESS_REVOKED`, `TICKET_INVALID` (an
    /// acceptance sign-in ticket unknown, used or expired).
    #[error("{message}")]
    Denied {
        /// The stable code.
        code: &'static str,
        /// What happened, for people.
        message: String,
    },
    /// A step of the ACQP's authorization refused for a reason told apart by its code (HTTP
    /// 409): `ACCEPTANCE_NOT_PASSED`, `TOO_MANY_PENDING_URLS`, `AUTHORIZATION_URL_INVALID`,
    /// `AUTHORIZATION_URL_USED`, `AUTHORIZATION_URL_EXPIRED`.
    #[error("{message}")]
    Refused {
        /// The stable code.
        code: &'static str,
        /// What happened, for people.
        message: String,
    },
    /// The run no longer takes actions (decided, or ended by another run).
    #[error("{0}")]
    RunOver(String),
    /// The wallet under test lacks a product the case or action needs (DANA has no UPM, say);
    /// the message names the wallet and the product.
    #[error("{0}")]
    WalletLacksProduct(String),
    /// Too many failed attempts from this login or address: wait `retry_after` seconds.
    #[error("too many failed attempts: try again in {retry_after} s")]
    TooManyAttempts {
        /// Seconds to wait.
        retry_after: i64,
    },
    /// A project used up an hourly or daily allowance (HTTP 429, one of [`LIMITED_CODES`]):
    /// wait `retry_after` seconds.
    #[error("{message}")]
    Limited {
        /// The stable code.
        code: &'static str,
        /// What ran out and what to do, for people.
        message: String,
        /// Seconds until the allowance has room again.
        retry_after: i64,
    },
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Anything else that is the hub's fault.
    #[error("internal error: {0}")]
    Internal(String),
}

impl HubError {
    /// A field error.
    pub fn invalid(field: &str, message: impl Into<String>) -> HubError {
        HubError::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// A merchant credential refused with `code`.
    pub fn denied(code: &'static str, message: impl Into<String>) -> HubError {
        HubError::Denied {
            code,
            message: message.into(),
        }
    }

    /// An authorization step refused with `code` (one of [`REFUSED_CODES`]).
    pub fn refused(code: &'static str, message: impl Into<String>) -> HubError {
        HubError::Refused {
            code,
            message: message.into(),
        }
    }

    /// The stable code front ends and scripts branch on.
    pub fn code(&self) -> &'static str {
        match self {
            HubError::NotFound(_) => "NOT_FOUND",
            HubError::Invalid { .. } => "INVALID_INPUT",
            HubError::Conflict(_) => "CONFLICT",
            HubError::Unauthorized(_) => "UNAUTHORIZED",
            HubError::Forbidden(_) => "FORBIDDEN",
            HubError::Denied { code, .. }
            | HubError::Refused { code, .. }
            | HubError::Limited { code, .. } => code,
            HubError::RunOver(_) => "RUN_OVER",
            HubError::WalletLacksProduct(_) => "WALLET_LACKS_PRODUCT",
            HubError::TooManyAttempts { .. } => "TOO_MANY_ATTEMPTS",
            HubError::Store(_) | HubError::Internal(_) => "INTERNAL",
        }
    }
}
