//! linker-acquirer: the reference acquirer. An ACQP backend that integrates with the hub exactly
//! as the Alipay+ spec guides, a small web POS, and the POS driver protocol, with fault switches
//! that make it misbehave on purpose so every failing verdict can be demonstrated.
//!
//! It reaches the hub only over HTTP, like any real ACQP: [`Acquirer::start`] binds its server
//! and returns a [`RunningAcquirer`] that names every URL to register in the hub project;
//! [`admin::HubAdmin`] fetches the project and registers them.
//!
//! Routes served (relative to [`RunningAcquirer::base_url`]):
//! - `GET /pos`: the POS page; `/pos/api/...`: its JSON API;
//! - `/pos/v1/...`: the POS driver protocol (linker-pos-driver);
//! - `POST /aplus/notifyPayment`, `/aplus/userInitiatedPay`, `/aplus/authNotify`: callbacks;
//! - `GET`/`POST /entry`: the merchant's amount-entry page (the entry code);
//! - `GET /shop`: the online shop's checkout (Cashier Payment), `/shop/return/<id>` its return
//!   page, `/shop/account` (and `/shop/account/return`) its Auto Debit account page; their JSON
//!   API is under `/shop/api/...`;
//! - `GET /health`.

pub mod admin;
mod backend;
pub mod config;
mod gateway;
mod http;
mod page;
mod pause;
pub mod screen;
mod shop;
mod shop_page;
pub mod store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use linker_aplus::{Currency, Signer, Verifier};

pub use admin::{HubAdmin, register_acquirer};
pub use backend::PosError;
pub use config::{
    AcquirerConfig, Clock, Fault, HubProject, MerchantIdentity, SystemClock, Timing,
    load_or_create_key, parse_faults,
};
pub use store::{PaymentKind, PosPayment, PosRefund};

/// Why the acquirer could not start or do something.
#[derive(Debug, thiserror::Error)]
pub enum AcquirerError {
    /// A fault name that is not known.
    #[error("unknown fault {name:?}; known faults: {known}")]
    UnknownFault {
        /// The name given.
        name: String,
        /// The known names.
        known: String,
    },
    /// A key could not be read, made or used.
    #[error("key: {0}")]
    Key(String),
    /// A file or folder could not be used.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    /// The database was written by a newer build.
    #[error("the database has schema version {found}; this build supports up to {supported}")]
    NewerDatabase {
        /// Found.
        found: i64,
        /// Supported.
        supported: i64,
    },
    /// The configuration is not usable.
    #[error("configuration: {0}")]
    Config(String),
    /// The listen address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The hub's admin API refused or failed.
    #[error("hub admin API: {0}")]
    Admin(String),
    /// A lock was poisoned by a panic elsewhere.
    #[error("internal lock poisoned")]
    Poisoned,
    /// Something that should not happen.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<linker_base::sqlite::OpenError> for AcquirerError {
    fn from(error: linker_base::sqlite::OpenError) -> AcquirerError {
        match error {
            linker_base::sqlite::OpenError::Sqlite(error) => AcquirerError::Database(error),
            linker_base::sqlite::OpenError::Create { path, source } => {
                AcquirerError::Io { path, source }
            }
            linker_base::sqlite::OpenError::NewerSchema { found, supported } => {
                AcquirerError::NewerDatabase { found, supported }
            }
        }
    }
}

/// The reference acquirer.
#[derive(Debug)]
pub struct Acquirer;

/// The database file inside a data folder.
pub fn database_path(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("acquirer.sqlite")
}

impl Acquirer {
    /// Opens the data folder, binds the listen address and starts serving; payments left waiting
    /// by an earlier run are watched again.
    pub async fn start(config: AcquirerConfig) -> Result<RunningAcquirer, AcquirerError> {
        let currency = Currency::from_code(&config.merchant.currency)
            .map_err(|e| AcquirerError::Config(format!("merchant currency: {e}")))?;
        linker_base::private::create_dir(&config.data_dir).map_err(|source| AcquirerError::Io {
            path: config.data_dir.clone(),
            source,
        })?;
        let store = store::Store::open(&database_path(&config.data_dir))?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| AcquirerError::Bind {
                address: config.listen,
                source,
            })?;
        let address = listener
            .local_addr()
            .map_err(|source| AcquirerError::Bind {
                address: config.listen,
                source,
            })?;
        let base_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{address}"))
            .trim_end_matches('/')
            .to_owned();
        let public_key_pem = config
            .private_key
            .public_key()
            .map_err(|e| AcquirerError::Key(e.to_string()))?
            .to_pem();
        let reply_key =
            linker_aplus::PrivateKey::from_base64_or_pem(&config.private_key.to_base64())
                .map_err(|e| AcquirerError::Key(e.to_string()))?;
        let urls = backend::Urls {
            notify: format!("{base_url}/aplus/notifyPayment"),
            entry_code: format!("{base_url}/entry"),
            base: base_url.clone(),
        };
        let gateway = gateway::Gateway::new(
            &config.gateway_url,
            Signer::new(config.client_id.clone(), config.private_key),
            Verifier::new(config.hub_public_key.clone()),
            config.timing.request_timeout,
            config.clock.clone(),
        );
        gateway.set_agent_token(config.agent_token.clone());
        let backend = Arc::new(backend::Backend::new(
            store,
            gateway,
            config.merchant.clone(),
            currency,
            config.timing,
            config.faults.clone(),
            urls.clone(),
            config.private_code_domain.clone(),
            config.private_code_acquirer_digits.clone(),
            config.clock.clone(),
        ));
        backend.resume()?;
        let wallet_link = Arc::new(std::sync::Mutex::new(None));
        let state = Arc::new(http::AppState {
            backend: Arc::clone(&backend),
            signer: Signer::new(config.client_id.clone(), reply_key),
            verifier: Verifier::new(config.hub_public_key),
            pos_driver_token: config.pos_driver_token.clone(),
            entry_code_url: urls.entry_code.clone(),
            wallet_link: wallet_link.clone(),
        });
        let app = http::router(state);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            if let Err(error) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(%error, "the acquirer's server failed");
            }
        });
        let entry_domain = base_url
            .split_once("://")
            .map_or(base_url.as_str(), |(_, rest)| rest)
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        Ok(RunningAcquirer {
            address,
            base_url,
            entry_code_domain: entry_domain,
            private_code_domain: config.private_code_domain,
            public_key_pem,
            faults: config.faults,
            backend,
            wallet_link,
            stop: Some(stop),
            server: Some(server),
        })
    }
}

/// A started acquirer: its URLs, and [`RunningAcquirer::shutdown`].
#[derive(Debug)]
pub struct RunningAcquirer {
    address: SocketAddr,
    base_url: String,
    entry_code_domain: String,
    private_code_domain: String,
    public_key_pem: String,
    faults: std::collections::BTreeSet<Fault>,
    backend: Arc<backend::Backend>,
    wallet_link: Arc<std::sync::Mutex<Option<String>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl RunningAcquirer {
    /// Shows `link` on the POS page as a QR code for the customer's phone (the demo's web
    /// wallet, signed in).
    pub fn show_wallet_link(&self, link: &str) {
        if let Ok(mut shown) = self.wallet_link.lock() {
            *shown = Some(link.to_owned());
        }
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Its base URL, e.g. `http://127.0.0.1:7070`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The notifyPayment URL to register in the hub project.
    pub fn notify_url(&self) -> String {
        format!("{}/aplus/notifyPayment", self.base_url)
    }

    /// The userInitiatedPay URL to register in the hub project.
    pub fn user_initiated_pay_url(&self) -> String {
        format!("{}/aplus/userInitiatedPay", self.base_url)
    }

    /// The authNotify URL to register in the hub project.
    pub fn auth_notify_url(&self) -> String {
        format!("{}/aplus/authNotify", self.base_url)
    }

    /// The merchant's entry code: the URL of its amount-entry page.
    pub fn entry_code_url(&self) -> String {
        format!("{}/entry", self.base_url)
    }

    /// The entry-code domain to register (`host:port` of the base URL).
    pub fn entry_code_domain(&self) -> &str {
        &self.entry_code_domain
    }

    /// The private-order-code domain to register.
    pub fn private_code_domain(&self) -> &str {
        &self.private_code_domain
    }

    /// The POS page.
    pub fn pos_page_url(&self) -> String {
        format!("{}/pos", self.base_url)
    }

    /// The POS driver base URL (give it to `linker run --pos-driver`; paths are `/pos/v1/...`).
    pub fn pos_driver_url(&self) -> &str {
        &self.base_url
    }

    /// The ACQP public key (PEM) the hub project must hold.
    pub fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }

    /// Sends `token` as the `Agent-Token` header of every Alipay+ call from now on (`None`:
    /// none). [`HubAdmin::register`] sets it from the project it registered in.
    pub fn set_agent_token(&self, token: Option<String>) {
        self.backend.gateway.set_agent_token(token);
    }

    /// The faults it commits.
    pub fn faults(&self) -> &std::collections::BTreeSet<Fault> {
        &self.faults
    }

    /// A payment as the POS knows it.
    pub fn payment(&self, pos_payment_id: &str) -> Result<Option<PosPayment>, AcquirerError> {
        self.backend.store.payment(pos_payment_id)
    }

    /// The refunds of a payment.
    pub fn refunds(&self, pos_payment_id: &str) -> Result<Vec<PosRefund>, AcquirerError> {
        self.backend.store.refunds(pos_payment_id)
    }

    /// How many distinct notifications were recorded for a `paymentRequestId`.
    pub fn notification_count(&self, payment_request_id: &str) -> Result<u32, AcquirerError> {
        self.backend.store.notification_count(payment_request_id)
    }

    /// Stops background work, finishes the requests in flight and stops serving.
    pub async fn shutdown(mut self) {
        self.backend.abort_tasks();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for RunningAcquirer {
    fn drop(&mut self) {
        self.backend.abort_tasks();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
