//! HTTPS for the hub (`linker hub serve --tls-cert FILE --tls-key FILE`): the certificate chain
//! and key from PEM files, and a listener whose TLS handshakes run concurrently, each bounded in
//! time, so one slow or silent client never holds up the others' connections. For a shop-floor
//! hub without a certificate, `--tls-self-signed` makes one ([`self_signed`]) for the hub's
//! host names and addresses, and keeps it in the data folder so that a phone that trusted it
//! once keeps trusting it.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::server::TlsStream;

/// How long a client may take to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How many handshakes may be under way at once.
const MAX_HANDSHAKES: usize = 256;

/// Where the hub's HTTPS certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// A certificate chain (PEM, leaf first) and its private key (PEM).
    Files {
        /// The chain.
        cert: PathBuf,
        /// The key.
        key: PathBuf,
    },
    /// A self-signed certificate the hub makes and keeps in its data folder.
    SelfSigned,
}

/// A self-signed certificate the hub made (or found) for its names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfSigned {
    /// The certificate (PEM).
    pub cert: PathBuf,
    /// Its private key (PEM, mode 0600).
    pub key: PathBuf,
    /// The DNS names and IP addresses it is valid for.
    pub names: Vec<String>,
    /// The SHA-256 fingerprint of the certificate (DER), as colon-separated hex pairs.
    pub fingerprint: String,
    /// True when this start made it (false: an earlier one did, for the same names).
    pub created: bool,
}

/// The file names of a self-signed certificate in the hub's data folder.
const SELF_SIGNED_CERT: &str = "self-signed-cert.pem";
const SELF_SIGNED_KEY: &str = "self-signed-key.pem";
const SELF_SIGNED_NAMES: &str = "self-signed-names.txt";

/// The certificate in `dir` for `names`, made when there is none or it was made for other names
/// (a hub moved to another address gets a new one; one for the same names is kept, so that a
/// phone that trusted it once keeps trusting it).
pub fn self_signed(dir: &Path, names: &[String]) -> Result<SelfSigned, String> {
    let (cert, key, list) = (
        dir.join(SELF_SIGNED_CERT),
        dir.join(SELF_SIGNED_KEY),
        dir.join(SELF_SIGNED_NAMES),
    );
    let wanted = names.join("\n");
    let kept = std::fs::read_to_string(&list).is_ok_and(|found| found == wanted)
        && cert.is_file()
        && key.is_file();
    if !kept {
        linker_base::private::create_dir(dir)
            .map_err(|error| format!("{}: {error}", dir.display()))?;
        let mut params = rcgen::CertificateParams::new(names.to_vec())
            .map_err(|error| format!("cannot make a certificate for {names:?}: {error}"))?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Linker hub (self-signed)");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Linker");
        // From yesterday (a phone's clock may lag) for 397 days: within what browsers and
        // iOS accept for a server certificate.
        let now = chrono::Utc::now();
        let day = |at: chrono::DateTime<chrono::Utc>| {
            use chrono::Datelike as _;
            // Month and day always fit a u8.
            rcgen::date_time_ymd(at.year(), at.month() as u8, at.day() as u8)
        };
        params.not_before = day(now - chrono::Duration::days(1));
        params.not_after = day(now + chrono::Duration::days(397));
        let pair =
            rcgen::KeyPair::generate().map_err(|error| format!("cannot make a key: {error}"))?;
        let made = params
            .self_signed(&pair)
            .map_err(|error| format!("cannot sign the certificate: {error}"))?;
        write_private(&key, pair.serialize_pem().as_bytes())?;
        std::fs::write(&cert, made.pem())
            .map_err(|error| format!("{}: {error}", cert.display()))?;
        std::fs::write(&list, &wanted).map_err(|error| format!("{}: {error}", list.display()))?;
    }
    let der = CertificateDer::from_pem_file(&cert)
        .map_err(|error| format!("{}: {error}", cert.display()))?;
    Ok(SelfSigned {
        fingerprint: fingerprint(&der),
        cert,
        key,
        names: names.to_vec(),
        created: !kept,
    })
}

/// A certificate's SHA-256 fingerprint as browsers show it: `AB:CD:...`.
pub fn fingerprint(der: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(der)
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Writes a private key readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut file| file.write_all(bytes))
        .map_err(|error| format!("{}: {error}", path.display()))
}

/// The names a hub at `address` is reached by: `localhost`, the machine's host name (and its
/// `.local` mDNS name), the loopback addresses, the address it listens on, the machine's LAN
/// address when it listens on every address, and the public URL's host.
pub fn host_names(address: SocketAddr, public_url: Option<&str>) -> Vec<String> {
    let mut names = vec!["localhost".to_owned()];
    if let Some(host) = machine_name() {
        names.push(format!("{host}.local"));
        names.push(host);
    }
    names.push("127.0.0.1".to_owned());
    names.push("::1".to_owned());
    if address.ip().is_unspecified() {
        names.extend(lan_address().map(|ip| ip.to_string()));
    } else {
        names.push(address.ip().to_string());
    }
    if let Some(host) = public_url.and_then(url_host) {
        names.push(host);
    }
    let mut seen = std::collections::BTreeSet::new();
    names.retain(|name| seen.insert(name.clone()));
    names
}

/// The host of an `http(s)://host[:port]/...` URL, without brackets around an IPv6 address.
pub fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        bracketed.split(']').next()?
    } else {
        authority.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// This machine's host name, when it has a usable one.
fn machine_name() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let name = name.trim().to_ascii_lowercase();
    let usable = !name.is_empty()
        && name != "localhost"
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    usable.then_some(name)
}

/// The address this machine's other devices reach it at: the source address of its default
/// route (found by connecting a UDP socket, which sends nothing).
pub fn lan_address() -> Option<IpAddr> {
    let socket = std::net::UdpSocket::bind(("0.0.0.0", 0)).ok()?;
    socket.connect(("192.0.2.1", 9)).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified() && !ip.is_loopback()).then_some(ip)
}

/// Reads a PEM certificate chain (leaf first) and its private key into a TLS configuration.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|error| format!("{}: {error}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|error| format!("{}: {error}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no certificate in the file", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|error| format!("{}: no private key ({error})", key.display()))?;
    let mut config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|error| format!("the certificate and the key do not go together: {error}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A listener of TLS connections for `axum::serve`: TCP connections are accepted at once and
/// their handshakes finished on their own tasks; only finished ones are handed to the server.
#[derive(Debug)]
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    acceptor_task: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    /// Serves TLS with `config` on an already bound TCP listener.
    pub fn new(tcp: TcpListener, config: Arc<ServerConfig>) -> std::io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let (sender, ready) = mpsc::channel(MAX_HANDSHAKES);
        let acceptor = TlsAcceptor::from(config);
        let permits = Arc::new(Semaphore::new(MAX_HANDSHAKES));
        let acceptor_task = tokio::spawn(async move {
            loop {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    break;
                };
                let (stream, peer) = match tcp.accept().await {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let acceptor = acceptor.clone();
                let sender = sender.clone();
                tokio::spawn(async move {
                    let handshake =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
                    match handshake.await {
                        Ok(Ok(tls)) => {
                            let _ = sender.send((tls, peer)).await;
                        }
                        Ok(Err(error)) => tracing::debug!(%error, %peer, "a TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "a TLS handshake timed out"),
                    }
                    drop(permit);
                });
            }
        });
        Ok(TlsListener {
            ready,
            local,
            acceptor_task,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor_task.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The acceptor task ended (the listener is being dropped): never hand out more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}
