//! linker-wallet: everything the Linker wallet does, as one API, [`Wallet`], that the app's
//! commands and the command line's headless runner call (and nothing else): session, assigned
//! cases, runs and their live events, payment codes, scanning, payment decisions, manual checks
//! and photos, settings, and a local SQLite store whose outbox keeps every write until the hub
//! has acknowledged it, so a merchant who loses the network mid-run loses nothing.
//!
//! The wallet reaches the hub only over HTTP (`/wallet/v1`), exactly as it would a remote one.
//! Time comes from an injected [`Clock`] and ids from a seedable generator, so code rotation and
//! sync backoff are tested by moving a [`TestClock`], never by sleeping.
//!
//! ```no_run
//! use linker_wallet::{ScanInput, Wallet, WalletOptions, ManualAnswerInput, ImageFormat};
//!
//! # async fn demo() -> Result<(), linker_wallet::WalletError> {
//! let wallet = Wallet::open("/tmp/linker-wallet", WalletOptions::default())?;
//! wallet.update_settings(linker_wallet::SettingsUpdate {
//!     hub_url: Some("http://127.0.0.1:8480".into()),
//!     ..Default::default()
//! })?;
//! wallet.sign_in_with_invitation("K7QH-3MXP-9TRW", "a long password").await?;
//! let cases = wallet.cases().await?;
//! println!("{} products", cases.groups.len());
//! let run = wallet.start_run("UPM-01", Default::default()).await?;
//! let code = wallet.payment_code(Some(&run.id), ImageFormat::Svg).await?;
//! println!("show {} ({} s left)", code.digits, code.seconds_left);
//! match wallet.scan(ScanInput::Text("https://example.com/menu")).await {
//!     Err(error) => println!("{}: {}", error.code(), error),
//!     Ok(outcome) => println!("{}", outcome.message),
//! }
//! let receipt = wallet
//!     .answer_manual(Some(&run.id), ManualAnswerInput::yes("pos-shows-success"))
//!     .await?;
//! println!("answer {:?}; {} writes waiting", receipt.state, wallet.sync_status()?.pending);
//! # Ok(()) }
//! ```
//!
//! Errors are one [`WalletError`] with a stable [`WalletError::code`] and a plain-words message;
//! front ends show [`WalletError::view`] (`{code, message}`).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod cases;
mod client;
pub mod clock;
pub mod commands;
mod error;
mod follow;
pub mod ids;
mod outbox;
mod payment_code;
mod runs;
mod scan;
mod session;
mod settings;
mod store;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use cases::{CaseEntry, CaseList, LastResult, ProductGroup};
pub use clock::{Clock, SystemClock, TestClock};
pub use error::{ErrorView, WalletError};
pub use follow::{RunFollower, RunUpdate};
pub use ids::Ids;
pub use linker_cases::{
    CallbackKind, CheckResult, Event, EventKind, ManualQuestion, Outcome, Product, Step, StepEvent,
    Verdict, WalletActionKind,
};
pub use outbox::{
    ManualAnswerInput, OutboxEntry, SyncReport, SyncStatus, WriteKind, WriteReceipt, WriteState,
};
pub use payment_code::{CodeImage, ImageFormat, PaymentCodeView};
pub use runs::{
    AuthorizationPrompt, AuthorizationView, Declined, Granted, RunDetail, RunOptions, RunView,
    StepProgress, VerdictReport, step_progress,
};
pub use scan::{
    ExchangeRate, PaymentConfirmation, ScanInput, ScanKind, ScanLine, ScanNext, ScanOutcome,
};
pub use session::{Merchant, SessionInfo};
pub use settings::{Language, Settings, SettingsUpdate, WALLETS, WalletUnderTest};
pub use store::SCHEMA_VERSION;

/// The hub URL a new wallet uses until settings say otherwise.
pub const DEFAULT_HUB_URL: &str = "http://127.0.0.1:8480";

/// How a wallet is opened: its clock, its ids and its network patience.
#[derive(Debug, Clone)]
pub struct WalletOptions {
    /// Where the time comes from ([`SystemClock`] unless a test injects a [`TestClock`]).
    pub clock: Arc<dyn Clock>,
    /// A seed for repeatable ids; random when absent.
    pub id_seed: Option<u64>,
    /// The hub URL used while settings name none.
    pub default_hub_url: String,
    /// How long one call to the hub may take.
    pub request_timeout: Duration,
    /// The pause before reconnecting a run's event stream (times the failures in a row).
    pub reconnect_delay: Duration,
    /// How many failed reconnects in a row end a run's event stream with an error.
    pub max_reconnects: u32,
    /// The hub URL cannot be changed in the settings (a wallet the hub's web shell serves:
    /// always that hub).
    pub hub_url_fixed: bool,
}

impl Default for WalletOptions {
    fn default() -> WalletOptions {
        WalletOptions {
            clock: Arc::new(SystemClock),
            id_seed: None,
            default_hub_url: DEFAULT_HUB_URL.to_owned(),
            request_timeout: Duration::from_secs(30),
            reconnect_delay: Duration::from_secs(1),
            max_reconnects: 5,
            hub_url_fixed: false,
        }
    }
}

impl WalletOptions {
    /// These options with another clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> WalletOptions {
        self.clock = clock;
        self
    }

    /// These options with repeatable ids.
    pub fn with_seed(mut self, seed: u64) -> WalletOptions {
        self.id_seed = Some(seed);
        self
    }

    /// These options with another default hub URL.
    pub fn with_hub_url(mut self, url: impl Into<String>) -> WalletOptions {
        self.default_hub_url = url.into();
        self
    }
}

/// The Linker wallet: one per data folder; cheap to clone (clones share everything).
#[derive(Debug, Clone)]
pub struct Wallet {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    data_dir: PathBuf,
    store: store::Store,
    clock: Arc<dyn Clock>,
    ids: Ids,
    client: client::HubClient,
    options: WalletOptions,
    /// One sync at a time (two would only resend, but the counts would be confusing).
    sync_lock: tokio::sync::Mutex<()>,
    /// The camera stream's scanner: which pass of the cascade the next frame runs.
    frame_scanner: std::sync::Mutex<linker_scan::FrameScanner>,
}

impl Inner {
    /// The camera stream's scanner (its state is a counter: a panic that poisoned the lock left
    /// nothing half-done).
    fn frame_scanner(&self) -> std::sync::MutexGuard<'_, linker_scan::FrameScanner> {
        self.frame_scanner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The database file inside a wallet's data folder.
pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("wallet.sqlite")
}

impl Wallet {
    /// Opens (or creates) the wallet whose data lives in `data_dir`.
    pub fn open(data_dir: impl AsRef<Path>, options: WalletOptions) -> Result<Wallet, WalletError> {
        let data_dir = data_dir.as_ref().to_path_buf();
        linker_base::private::create_dir(&data_dir).map_err(|error| {
            WalletError::Storage(format!("cannot create {}: {error}", data_dir.display()))
        })?;
        let store = store::Store::open(&database_path(&data_dir))?;
        let ids = match options.id_seed {
            Some(seed) => Ids::seeded(seed),
            None => Ids::random(),
        };
        Ok(Wallet {
            inner: Arc::new(Inner {
                data_dir,
                store,
                clock: options.clock.clone(),
                ids,
                client: client::HubClient::new(options.request_timeout),
                options,
                sync_lock: tokio::sync::Mutex::new(()),
                frame_scanner: std::sync::Mutex::new(linker_scan::FrameScanner::new()),
            }),
        })
    }

    /// The folder the wallet keeps its data in.
    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, WalletError> {
        self.inner.store.schema_version()
    }

    /// The wallet's current time (its injected clock).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.clock.now()
    }

    fn store(&self) -> &store::Store {
        &self.inner.store
    }

    fn client(&self) -> &client::HubClient {
        &self.inner.client
    }
}
