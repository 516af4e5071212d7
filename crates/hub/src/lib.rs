//! linker-hub: the emulated Alipay+ Developer Center and sandbox.
//!
//! The hub is what a TSP's project lives on and what an ACQP backend under test calls exactly as it
//! would call Alipay+: signed requests in, signed answers out, real payment state. It keeps its
//! data in one SQLite file and takes its time and ids from an injected [`Clock`] and [`Ids`], so
//! tests drive expiry and retries without sleeping.
//!
//! - [`Hub`]: the operations (projects, the Alipay+ API, the request log), as plain methods;
//! - [`api`]: the axum router that exposes them (`/aps/api/v1/...` and the admin API);
//! - [`console`]: the web console (`/console/...`), server-rendered pages over the same methods;
//! - [`server`]: binds a listener and runs the router until SIGINT/SIGTERM.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
#![warn(clippy::too_many_lines)]

// The layers, lowest first; each imports only from the ones above it in this list (and `Hub`,
// the shared state every layer's operations hang off). ARCHITECTURE.md draws them.
pub mod api;
pub mod callbacks;
pub mod clock;
pub mod console;
pub mod domain;
pub mod error;
pub mod gateway;
pub mod ids;
pub mod import;
pub mod mail;
pub mod server;
pub mod store;

use std::sync::Arc;

pub use clock::{Clock, FixedClock, SystemClock, TestClock};
pub use domain::projects::{NewProject, Project, ProjectUpdate, ProjectView};
pub use error::HubError;
pub use ids::Ids;
pub use server::{
    ServeConfig, ServeError, Server, admin_token_path, database_path, shutdown_signal,
};
pub use store::{Store, StoreError};

/// The hub: storage, clock, ids and the URL it is reached at.
pub struct Hub {
    store: Store,
    clock: Arc<dyn Clock>,
    ids: Ids,
    public_url: String,
    test_clock: bool,
    outbound: std::sync::RwLock<domain::outbound::Outbound>,
    signals: tokio::sync::broadcast::Sender<domain::runs::RunSignal>,
    closing: tokio::sync::watch::Sender<bool>,
    in_flight: domain::notifications::InFlight,
    keys: domain::project_cache::KeyCache,
    projects_by_client_id: domain::project_cache::ProjectCache,
    forgery: std::sync::Mutex<Option<String>>,
    mail_relay: std::sync::Mutex<Option<mail::MailRelay>>,
    throttle: domain::throttle::Throttle,
    streams: domain::runs::watching::StreamCounts,
    password_work: Arc<tokio::sync::Semaphore>,
    /// Held while a run starts, so a merchant never has two open runs (two starts at once would
    /// each see none open and each insert one).
    run_starts: std::sync::Mutex<()>,
    trusted_proxies: std::sync::RwLock<domain::throttle::TrustedProxies>,
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
        Hub {
            store,
            clock,
            ids,
            public_url: public_url.into(),
            test_clock: false,
            // Calls to ACQP endpoints never follow a redirect: the URL the project registered
            // is the only one the hub dials. Any address may be called until `--public`.
            outbound: std::sync::RwLock::new(domain::outbound::Outbound::new(false)),
            signals: tokio::sync::broadcast::channel(1024).0,
            closing: tokio::sync::watch::channel(false).0,
            in_flight: domain::notifications::InFlight::default(),
            keys: domain::project_cache::KeyCache::default(),
            projects_by_client_id: domain::project_cache::ProjectCache::default(),
            forgery: std::sync::Mutex::new(None),
            mail_relay: std::sync::Mutex::new(None),
            throttle: domain::throttle::Throttle::default(),
            streams: domain::runs::watching::StreamCounts::default(),
            password_work: Arc::new(tokio::sync::Semaphore::new(
                domain::throttle::PASSWORD_WORK_AT_ONCE,
            )),
            run_starts: std::sync::Mutex::new(()),
            trusted_proxies: std::sync::RwLock::default(),
        }
    }

    /// Lets the admin API move the clock (only meaningful with a [`TestClock`]).
    pub fn with_test_clock(mut self, enabled: bool) -> Hub {
        self.test_clock = enabled;
        self
    }

    /// With `true`, calls to ACQPs go only to global addresses (`linker hub serve --public`, a
    /// hub on the internet): not loopback, private, link-local, CGNAT or other non-global ones,
    /// checked at connect time. Off by default.
    pub fn set_public_targets(&self, public: bool) {
        *self.outbound.write().unwrap_or_else(|p| p.into_inner()) =
            domain::outbound::Outbound::new(public);
    }

    /// True when calls to ACQPs go only to global addresses.
    pub fn has_public_targets(&self) -> bool {
        self.outbound().is_public()
    }

    /// The client calls to ACQPs go through, as configured now.
    pub(crate) fn outbound(&self) -> domain::outbound::Outbound {
        self.outbound
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
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

    /// Holds the store as a slow query would, until the hold is dropped (for tests).
    #[doc(hidden)]
    pub fn hold_store_for_test(&self) -> store::StoreHold<'_> {
        self.store.hold_for_test()
    }

    /// The store itself, for tests that lay down a fixture through its typed tables.
    #[doc(hidden)]
    pub fn store_for_test(&self) -> &store::Store {
        &self.store
    }

    /// How many uses of the store wait for it right now (for tests).
    #[doc(hidden)]
    pub fn store_waiting_for_test(&self) -> usize {
        self.store.waiting_for_test()
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
