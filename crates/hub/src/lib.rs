//! linker-hub: the emulated Alipay+ Developer Center and sandbox.
//!
//! The hub is what a TSP's project lives on and what an ACQP backend under test calls exactly as it
//! would call Alipay+: signed requests in, signed answers out, real payment state. It keeps its
//! data in one SQLite file and takes its time and ids from an injected [`Clock`] and [`Ids`], so
//! tests drive expiry and retries without sleeping.
//!
//! - [`Hub`]: the operations (projects, the Alipay+ API, the request log), as plain methods;
//! - [`http`]: the axum router that exposes them (`/aps/api/v1/...` and the admin API);
//! - [`console`]: the web console (`/console/...`), server-rendered pages over the same methods;
//! - [`serve`]: binds a listener and runs the router until SIGINT/SIGTERM.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod admin;
pub mod aplus;
pub mod assignments;
pub mod attachments;
pub mod auto_debit;
pub mod clock;
pub mod console;
pub mod console_users;
pub mod error;
pub mod exchange;
pub mod forced;
pub mod http;
pub mod ids;
pub mod inotify;
pub mod invitations;
pub mod key_cache;
pub mod merchants;
pub mod notifier;
pub mod payments;
pub mod project;
pub mod runs;
pub mod scanning;
pub mod spreadsheet;
pub mod store;
pub mod user_initiated;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use clock::{Clock, FixedClock, SystemClock, TestClock};
pub use error::HubError;
pub use ids::Ids;
pub use project::{NewProject, Project, ProjectUpdate, ProjectView};
pub use store::{Store, StoreError};

/// The hub: storage, clock, ids and the URL it is reached at.
pub struct Hub {
    store: Store,
    clock: Arc<dyn Clock>,
    ids: Ids,
    public_url: String,
    test_clock: bool,
    http: reqwest::Client,
    signals: tokio::sync::broadcast::Sender<runs::RunSignal>,
    closing: tokio::sync::watch::Sender<bool>,
    in_flight: notifier::InFlight,
    keys: key_cache::KeyCache,
    projects_by_client_id: key_cache::ProjectCache,
    forgery: std::sync::Mutex<Option<String>>,
    mail_relay: std::sync::Mutex<Option<invitations::MailRelay>>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("public_url", &self.public_url)
            .field("test_clock", &self.test_clock)
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// A hub over an open store.
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        ids: Ids,
        public_url: impl Into<String>,
    ) -> Hub {
        let http = reqwest::Client::builder()
            .timeout(notifier::CALLBACK_TIMEOUT)
            .build()
            .unwrap_or_default();
        Hub {
            store,
            clock,
            ids,
            public_url: public_url.into(),
            test_clock: false,
            http,
            signals: tokio::sync::broadcast::channel(1024).0,
            closing: tokio::sync::watch::channel(false).0,
            in_flight: notifier::InFlight::default(),
            keys: key_cache::KeyCache::default(),
            projects_by_client_id: key_cache::ProjectCache::default(),
            forgery: std::sync::Mutex::new(None),
            mail_relay: std::sync::Mutex::new(None),
        }
    }

    /// Lets the admin API move the clock (only meaningful with a [`TestClock`]).
    pub fn with_test_clock(mut self, enabled: bool) -> Hub {
        self.test_clock = enabled;
        self
    }

    /// The URL the hub is reached at, e.g. `http://127.0.0.1:8480`; also the gateway URL.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The current time on the hub's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// The hub's clock, to share with what runs beside it (the demo's acquirer), so both agree
    /// on "now" even after a test clock was moved forward.
    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::clone(&self.clock)
    }

    /// Ends every open event stream (the server is shutting down).
    pub fn close_streams(&self) {
        self.closing.send_replace(true);
    }

    /// Changes to true when the server starts shutting down.
    pub fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// True when the admin API may advance the clock.
    pub fn has_test_clock(&self) -> bool {
        self.test_clock
    }

    /// Moves a test clock forward; false when the hub runs on real time.
    pub fn advance_clock(&self, by: chrono::Duration) -> bool {
        self.test_clock && self.clock.advance(by)
    }
}

/// How to run a hub server.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The data folder: `hub.sqlite` and `admin-token` live there.
    pub data_dir: PathBuf,
    /// The address to listen on; loopback unless told otherwise.
    pub listen: SocketAddr,
    /// The URL clients reach the hub at; `http://<listen>` when absent.
    pub public_url: Option<String>,
    /// Use a clock that the admin API can advance.
    pub test_clock: bool,
}

/// The database file inside a data folder.
pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("hub.sqlite")
}

/// The admin token file inside a data folder.
pub fn admin_token_path(data_dir: &Path) -> PathBuf {
    data_dir.join("admin-token")
}

/// A hub server bound to its port, ready to run.
pub struct Server {
    /// The hub it serves.
    pub hub: Arc<Hub>,
    /// The address it listens on.
    pub address: SocketAddr,
    /// Where the admin token was written, when this start created it.
    pub new_admin_token: Option<PathBuf>,
    listener: tokio::net::TcpListener,
}

impl Server {
    /// Opens the data folder (creating the admin credential on first start) and binds the port.
    pub async fn bind(config: &ServeConfig) -> Result<Server, ServeError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| ServeError::DataDir {
            path: config.data_dir.clone(),
            source,
        })?;
        let store = Store::open(&database_path(&config.data_dir))?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServeError::Bind {
                address: config.listen,
                source,
            })?;
        let address = listener.local_addr().map_err(|source| ServeError::Bind {
            address: config.listen,
            source,
        })?;
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{address}"));
        let clock: Arc<dyn Clock> = if config.test_clock {
            Arc::new(TestClock::new())
        } else {
            Arc::new(SystemClock)
        };
        let hub =
            Hub::new(store, clock, Ids::random(), public_url).with_test_clock(config.test_clock);
        let new_admin_token = hub.ensure_admin_token(&admin_token_path(&config.data_dir))?;
        Ok(Server {
            hub: Arc::new(hub),
            address,
            new_admin_token,
            listener,
        })
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight (and ends the
    /// wallets' event streams, which would otherwise hold the shutdown open).
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let closing = self.hub.clone();
        let shutdown = async move {
            shutdown.await;
            closing.close_streams();
        };
        let app = http::router(self.hub.clone());
        let notifier = notifier::spawn_notifier(self.hub.clone());
        axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ServeError::Serve)?;
        notifier.abort();
        Ok(())
    }
}

/// Why a hub server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The data folder could not be created.
    #[error("cannot create the data folder {path}: {source}")]
    DataDir {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The listen address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The admin credential could not be created.
    #[error(transparent)]
    Hub(#[from] HubError),
    /// The server failed while running.
    #[error("the server failed: {0}")]
    Serve(std::io::Error),
}

/// Resolves when the process gets SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
