//! The wallet's one error type: every failure has a stable [`WalletError::code`] that front ends
//! branch on and a message in plain words that they show as is.

use serde::Serialize;

/// Everything a wallet operation can refuse or fail to do.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// This wallet always uses the hub that serves it (the web wallet): its URL cannot change.
    #[error("the web wallet always uses the hub that serves it")]
    HubUrlFixed,
    /// The invitation code is not one the hub issued (mistyped, or replaced by a newer one).
    #[error("that invitation code is not valid: check it, or ask your acquirer for a new one")]
    InvitationInvalid,
    /// The invitation code is past its validity.
    #[error("that invitation code has expired: ask your acquirer to send a new one ({detail})")]
    InvitationExpired {
        /// The hub's words, with the expiry date.
        detail: String,
    },
    /// The invitation code was used already: the merchant has a password now.
    #[error(
        "that invitation code was already used: sign in with your MID or email and your password"
    )]
    InvitationUsed,
    /// MID/email or password wrong.
    #[error("wrong MID, email or password")]
    WrongCredentials,
    /// The acquirer revoked the merchant's access: only a new invitation lets it in again.
    #[error("{message}")]
    AccessRevoked {
        /// The hub's words.
        message: String,
    },
    /// Nobody is signed in on this wallet.
    #[error("you are not signed in: sign in with your invitation code, or your MID or email")]
    NotSignedIn,
    /// The hub no longer accepts the session (idle too long, signed out elsewhere).
    #[error("your session has ended ({reason}): sign in again")]
    SessionExpired {
        /// The hub's reason, e.g. "the session expired after 30 minutes without use".
        reason: String,
    },
    /// The hub could not be reached at all.
    #[error(
        "the hub at {url} cannot be reached ({reason}); check the hub URL in settings and your network"
    )]
    HubUnreachable {
        /// The hub URL the wallet tried.
        url: String,
        /// What the network said.
        reason: String,
    },
    /// An input the hub (or the wallet) refused, naming the field.
    #[error("{field}: {message}")]
    InvalidInput {
        /// The field, e.g. `password`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The named thing does not exist (or is not this merchant's).
    #[error("{0} not found")]
    NotFound(String),
    /// The hub refused the action in the run's current state.
    #[error("{0}")]
    Conflict(String),
    /// The wallet under test lacks a product the case or action needs (DANA has no UPM, say);
    /// the hub's message names the wallet and the product.
    #[error("{0}")]
    WalletLacksProduct(String),
    /// The hub failed, or answered something the wallet cannot read.
    #[error("the hub failed: {message} (HTTP {status}, {code})")]
    Hub {
        /// The HTTP status.
        status: u16,
        /// The hub's error code, when it sent one.
        code: String,
        /// The hub's message, or what was wrong with its answer.
        message: String,
    },
    /// There is no open run to act in.
    #[error("there is no open run: start a case first")]
    NoOpenRun,
    /// The run has been decided: it takes no more actions.
    #[error("run {run_id} is over ({status})")]
    RunOver {
        /// The run.
        run_id: String,
        /// Its status (`passed`, `failed`, ...).
        status: String,
    },
    /// A payment code was scanned: that is the POS's job, not the wallet's.
    #[error("this is a payment code ({digits}), shown by a wallet, not scanned by one")]
    PaymentCodeScanned {
        /// The digits read.
        digits: String,
    },
    /// What was scanned is not an Alipay+ code.
    #[error("this is not an Alipay+ code: {what} (read: {read:?})")]
    NotAlipayCode {
        /// What it looks like, in words.
        what: String,
        /// The text read.
        read: String,
    },
    /// The image holds no QR code or barcode.
    #[error(
        "no QR code or barcode was found in the image: hold the code flat, well lit, filling the frame"
    )]
    NoCodeFound,
    /// The image or frame could not be read or drawn.
    #[error("{0}")]
    Image(#[from] linker_scan::ScanError),
    /// The bytes given as a photo are not a PNG or JPEG.
    #[error("a photo must be a PNG or JPEG image of at most {max_mb} MB")]
    NotAPhoto {
        /// The size limit, in MB.
        max_mb: usize,
    },
    /// A setting value is out of range or unknown.
    #[error("setting {name}: {message}")]
    InvalidSetting {
        /// The setting.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// The data is not on this device and the hub cannot be asked for it.
    #[error("{what} is not on this device yet and the hub cannot be reached: {reason}")]
    NotCached {
        /// What was asked for.
        what: String,
        /// Why the hub could not be asked.
        reason: String,
    },
    /// The local database was written by a newer build.
    #[error(
        "the wallet's database has schema version {found}, newer than this build understands \
         ({supported}); update the app or use another data folder"
    )]
    NewerSchema {
        /// Version found.
        found: i64,
        /// Newest version known.
        supported: i64,
    },
    /// The local store failed.
    #[error("the wallet's local storage failed: {0}")]
    Storage(String),
}

/// An error as front ends show it: `{code, message}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ErrorView {
    /// The stable code.
    pub code: String,
    /// The message in plain words.
    pub message: String,
}

impl WalletError {
    /// The stable code front ends branch on (upper snake case, never the message).
    pub fn code(&self) -> &'static str {
        match self {
            WalletError::HubUrlFixed => "NOT_IN_BROWSER",
            WalletError::InvitationInvalid => "INVITATION_INVALID",
            WalletError::InvitationExpired { .. } => "INVITATION_EXPIRED",
            WalletError::InvitationUsed => "INVITATION_USED",
            WalletError::WrongCredentials => "WRONG_CREDENTIALS",
            WalletError::AccessRevoked { .. } => "ACCESS_REVOKED",
            WalletError::NotSignedIn => "NOT_SIGNED_IN",
            WalletError::SessionExpired { .. } => "SESSION_EXPIRED",
            WalletError::HubUnreachable { .. } => "HUB_UNREACHABLE",
            WalletError::InvalidInput { .. } => "INVALID_INPUT",
            WalletError::NotFound(_) => "NOT_FOUND",
            WalletError::Conflict(_) => "CONFLICT",
            WalletError::WalletLacksProduct(_) => "WALLET_LACKS_PRODUCT",
            WalletError::Hub { .. } => "HUB_ERROR",
            WalletError::NoOpenRun => "NO_OPEN_RUN",
            WalletError::RunOver { .. } => "RUN_OVER",
            WalletError::PaymentCodeScanned { .. } => "PAYMENT_CODE_SCANNED",
            WalletError::NotAlipayCode { .. } => "NOT_ALIPAY_CODE",
            WalletError::NoCodeFound => "NO_CODE_FOUND",
            WalletError::Image(_) => "IMAGE_UNREADABLE",
            WalletError::NotAPhoto { .. } => "NOT_A_PHOTO",
            WalletError::InvalidSetting { .. } => "INVALID_SETTING",
            WalletError::NotCached { .. } => "NOT_CACHED",
            WalletError::NewerSchema { .. } => "NEWER_SCHEMA",
            WalletError::Storage(_) => "STORAGE",
        }
    }

    /// `{code, message}` for a front end.
    pub fn view(&self) -> ErrorView {
        ErrorView {
            code: self.code().to_owned(),
            message: self.to_string(),
        }
    }

    /// True when the hub could not be reached (the write stays queued).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, WalletError::HubUnreachable { .. })
    }

    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> WalletError {
        WalletError::InvalidInput {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl From<rusqlite::Error> for WalletError {
    fn from(error: rusqlite::Error) -> WalletError {
        WalletError::Storage(error.to_string())
    }
}

impl From<linker_base::sqlite::OpenError> for WalletError {
    fn from(error: linker_base::sqlite::OpenError) -> WalletError {
        match error {
            linker_base::sqlite::OpenError::Sqlite(error) => WalletError::from(error),
            create @ linker_base::sqlite::OpenError::Create { .. } => {
                WalletError::Storage(create.to_string())
            }
            linker_base::sqlite::OpenError::NewerSchema { found, supported } => {
                WalletError::NewerSchema { found, supported }
            }
        }
    }
}

impl Serialize for WalletError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.view().serialize(serializer)
    }
}
