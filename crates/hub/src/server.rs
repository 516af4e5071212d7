//! Running the hub as a server: the data folder, the listener, the router and the background
//! workers, until a shutdown signal.

pub mod tls;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::HubError;
use crate::ids::Ids;
use crate::store::{Store, StoreError};
use crate::{Clock, Hub, SystemClock, TestClock, api, callbacks, console, mail};

/// The whole hub as an axum router: the Alipay+ gateway, the admin and wallet APIs, and the web
/// console under `/console` (tests drive it with `tower::ServiceExt::oneshot`, no socket needed).
pub fn router(hub: Arc<Hub>) -> axum::Router {
    api::router(hub.clone())
        .nest("/console", console::router().with_state(hub))
        .layer(axum::extract::DefaultBodyLimit::max(api::MAX_BODY_BYTES))
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
    /// Serve HTTPS, with this certificate; plain HTTP when absent.
    pub tls: Option<tls::TlsSource>,
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
    /// The plain-HTTP loopback listener for in-process clients, beside an HTTPS one.
    internal: Option<tokio::net::TcpListener>,
    /// Routes served beside the hub's own (the wallet's web shell).
    extra: Option<axum::Router>,
    /// HTTPS, when a certificate was given.
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    /// The self-signed certificate it serves, when it made (or kept) one.
    pub self_signed: Option<tls::SelfSigned>,
}

/// The address others reach a server listening on `address` at: on every address, the
/// machine's LAN address (loopback when it has none).
fn reachable(mut address: SocketAddr) -> SocketAddr {
    if address.ip().is_unspecified() {
        address.set_ip(tls::lan_address().unwrap_or(std::net::Ipv4Addr::LOCALHOST.into()));
    }
    address
}

impl Server {
    /// Opens the data folder (creating the admin credential on first start) and binds the port.
    pub async fn bind(config: &ServeConfig) -> Result<Server, ServeError> {
        linker_base::private::create_dir(&config.data_dir).map_err(|source| {
            ServeError::DataDir {
                path: config.data_dir.clone(),
                source,
            }
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
        let (tls, self_signed) = match &config.tls {
            None => (None, None),
            Some(tls::TlsSource::Files { cert, key }) => (
                Some(tls::server_config(cert, key).map_err(ServeError::Tls)?),
                None,
            ),
            Some(tls::TlsSource::SelfSigned) => {
                let names = tls::host_names(address, config.public_url.as_deref());
                let made = tls::self_signed(&config.data_dir.join("tls"), &names)
                    .map_err(ServeError::Tls)?;
                let tls = tls::server_config(&made.cert, &made.key).map_err(ServeError::Tls)?;
                (Some(tls), Some(made))
            }
        };
        // Over HTTPS, in-process clients (the web wallet's sessions, the demo's acquirer) reach
        // the hub on a loopback port of its own in plain HTTP, so they need not trust the
        // certificate nor match its names.
        let internal = match tls {
            Some(_) => Some(
                tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))
                    .await
                    .map_err(|source| ServeError::Bind {
                        address: SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0)),
                        source,
                    })?,
            ),
            None => None,
        };
        let public_url = config.public_url.clone().unwrap_or_else(|| {
            let scheme = if tls.is_some() { "https" } else { "http" };
            format!("{scheme}://{}", reachable(address))
        });
        let clock: Arc<dyn Clock> = if config.test_clock {
            Arc::new(TestClock::new())
        } else {
            Arc::new(SystemClock)
        };
        let hub =
            Hub::new(store, clock, Ids::random(), public_url).with_test_clock(config.test_clock);
        let new_admin_token = hub.ensure_admin_token(&admin_token_path(&config.data_dir))?;
        // Projects made before TSP mode existed get their sandbox Agent-Token now.
        hub.issue_missing_agent_tokens()?;
        Ok(Server {
            hub: Arc::new(hub),
            address,
            new_admin_token,
            listener,
            internal,
            extra: None,
            tls,
            self_signed,
        })
    }

    /// Serves `routes` beside the hub's own (paths the hub does not use, e.g. `/app/`).
    pub fn mount(mut self, routes: axum::Router) -> Server {
        self.extra = Some(match self.extra.take() {
            Some(earlier) => earlier.merge(routes),
            None => routes,
        });
        self
    }

    /// The URL this machine reaches the server at (loopback when it listens on every address).
    pub fn local_url(&self) -> String {
        let mut address = self.address;
        if address.ip().is_unspecified() {
            address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{address}")
    }

    /// The URL in-process clients use: [`Server::local_url`] over HTTP; over HTTPS, a
    /// plain-HTTP loopback port of its own (no certificate to trust, no name to match).
    pub fn internal_url(&self) -> String {
        match self.internal.as_ref().and_then(|l| l.local_addr().ok()) {
            Some(address) => format!("http://{address}"),
            None => self.local_url(),
        }
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
        let app = match self.extra {
            Some(extra) => router(self.hub.clone()).merge(extra),
            None => router(self.hub.clone()),
        }
        .layer(axum::middleware::from_fn_with_state(
            self.hub.clone(),
            record_client,
        ));
        let notifier = callbacks::spawn_notifier(self.hub.clone());
        let mailer = mail::spawn_mailer(self.hub.clone());
        let log_sweeper = spawn_log_sweeper(self.hub.clone());
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let stopped = move || {
            let mut stopping = stopping.clone();
            async move {
                let _ = stopping.wait_for(|stop| *stop).await;
            }
        };
        let internal = self.internal.map(|listener| {
            let serving = axum::serve(
                listener,
                app.clone().into_make_service_with_connect_info::<Peer>(),
            )
            .with_graceful_shutdown(stopped());
            tokio::spawn(async move { serving.await })
        });
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        let served = match self.tls {
            Some(config) => {
                let listener =
                    tls::TlsListener::new(self.listener, config).map_err(ServeError::Serve)?;
                axum::serve(listener, app.into_make_service_with_connect_info::<Peer>())
                    .with_graceful_shutdown(stopped())
                    .await
            }
            None => {
                axum::serve(
                    self.listener,
                    app.into_make_service_with_connect_info::<Peer>(),
                )
                .with_graceful_shutdown(stopped())
                .await
            }
        };
        if let Some(internal) = internal {
            match internal.await {
                Ok(result) => result.map_err(ServeError::Serve)?,
                Err(error) => return Err(ServeError::Serve(std::io::Error::other(error))),
            }
        }
        served.map_err(ServeError::Serve)?;
        // The workers end between sweeps now that the hub is closing; wait for them to let go
        // of the hub (and its store's lock) before returning, so the next start can take it.
        let _ = notifier.await;
        let _ = mailer.await;
        let _ = log_sweeper.await;
        Ok(())
    }
}

use crate::domain::throttle::ClientIp;
pub use crate::domain::throttle::Peer;

impl
    axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tokio::net::TcpListener>>
    for Peer
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, tokio::net::TcpListener>) -> Peer {
        Peer(*stream.remote_addr())
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tls::TlsListener>>
    for Peer
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, tls::TlsListener>) -> Peer {
        Peer(*stream.remote_addr())
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
    /// The certificate or key for HTTPS could not be used.
    #[error("HTTPS: {0}")]
    Tls(String),
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

/// Records who the client is ([`ClientIp`]: the peer, or the client a trusted proxy forwarded
/// for) in every request, for every handler served, the web wallet's included.
async fn record_client(
    axum::extract::State(hub): axum::extract::State<Arc<Hub>>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<Peer>>()
        .map(|info| info.0);
    if let Some(ip) = hub.client_address(peer.as_ref(), request.headers()) {
        request.extensions_mut().insert(ClientIp(ip));
    }
    next.run(request).await
}

/// How often the request log's retention is enforced.
const LOG_SWEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(600);

/// Runs [`Hub::sweep_request_log`] and [`Hub::sweep_authorizations`] every ten minutes (the first ten minutes after start, so a
/// hub started and stopped at once is not held by a sweep) until the hub closes.
fn spawn_log_sweeper(hub: Arc<Hub>) -> tokio::task::JoinHandle<()> {
    crate::domain::background::spawn_periodic(
        hub,
        "the request log sweep",
        LOG_SWEEP_INTERVAL,
        LOG_SWEEP_INTERVAL,
        |hub| async move {
            hub.sweep_request_log()?;
            hub.sweep_authorizations().map(|_| ())
        },
    )
}
