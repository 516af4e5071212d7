//! linker-demo: the whole loop on one machine. [`Demo::start`] starts a hub, creates (or
//! reopens) the demo project, starts the reference acquirer and registers it in the project,
//! invites a demo merchant with every product (so every implemented case is assigned), and
//! keeps the merchant's credentials in the data folder. [`Demo::wallet`] opens a wallet signed
//! in as that merchant. The hub also serves the web wallet (`/app/`), and
//! [`Demo::web_wallet_link`] makes a link that opens it on a phone, signed in. The command line (`linker demo`) and the app's demo mode both use it;
//! it is the one place besides them that wires the hub and the acquirer together.
//!
//! ```no_run
//! # async fn demo() -> Result<(), linker_demo::DemoError> {
//! let demo = linker_demo::Demo::start(linker_demo::DemoOptions::default()).await?;
//! println!("hub {} · POS {}", demo.hub_url(), demo.pos_page_url());
//! let wallet = demo.wallet().await?;
//! # let _ = wallet;
//! demo.shutdown().await;
//! # Ok(()) }
//! ```

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use linker_acquirer::{Acquirer, AcquirerConfig, Fault, HubProject, RunningAcquirer, Timing};
use linker_hub::domain::merchants::NewMerchant;
use linker_hub::server::tls::{SelfSigned, TlsSource};
use linker_hub::{Hub, NewProject, ProjectUpdate, ServeConfig, Server};
use linker_wallet::{SettingsUpdate, Wallet, WalletOptions};
use linker_web::{WebConfig, WebShell};
use serde::{Deserialize, Serialize};

/// The demo project's name and Client-Id.
pub const DEMO_PROJECT: &str = "Linker demo";
/// The demo ACQP's Client-Id.
pub const DEMO_CLIENT_ID: &str = "LINKER_DEMO_ACQP";
/// The demo merchant's MID.
pub const DEMO_MID: &str = "DEMO-0001";
/// The demo merchant's email.
pub const DEMO_EMAIL: &str = "demo-merchant@linker.test";

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The data folder could not be used.
    #[error("the demo's data folder {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The hub could not start.
    #[error("the demo's hub could not start: {0}")]
    Serve(#[from] linker_hub::ServeError),
    /// The hub refused a setup step.
    #[error("the demo's hub refused to {what}: {source}")]
    Hub {
        /// The step.
        what: &'static str,
        /// Why.
        source: linker_hub::HubError,
    },
    /// The reference acquirer could not start.
    #[error("the reference acquirer could not start: {0}")]
    Acquirer(#[from] linker_acquirer::AcquirerError),
    /// The demo wallet could not sign in.
    #[error("the demo wallet could not sign in: {0}")]
    Wallet(#[from] linker_wallet::WalletError),
}

/// How to start the demo.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Where hub, acquirer and wallet keep their data; a temporary folder (deleted at the end)
    /// when `None`.
    pub data_dir: Option<PathBuf>,
    /// The hub's listen address (loopback; port 0 picks a free one).
    pub hub_listen: SocketAddr,
    /// The acquirer's listen address.
    pub acquirer_listen: SocketAddr,
    /// Faults the reference acquirer commits on purpose.
    pub faults: BTreeSet<Fault>,
    /// The acquirer's waits and retries.
    pub timing: Timing,
    /// Run the hub on a clock its admin API can move forward (`--test-clock`).
    pub test_clock: bool,
    /// The URL phones reach the hub at, when it is not the listen address's.
    pub public_url: Option<String>,
    /// Serve the hub (and the web wallet) over HTTPS with this certificate.
    pub tls: Option<TlsSource>,
}

impl DemoOptions {
    /// The acquirer's timing for headless runs: the spec's polling interval, but a sale in
    /// doubt is given up after 20 s (not 60) and order codes live 30 s (not 120), so every case
    /// runs in seconds rather than minutes. Every check is still met by a correct acquirer.
    pub fn quick_timing() -> Timing {
        Timing {
            poll_for: std::time::Duration::from_secs(20),
            order_validity: std::time::Duration::from_secs(30),
            private_code_validity: std::time::Duration::from_secs(60),
            ..Timing::default()
        }
    }
}

impl Default for DemoOptions {
    fn default() -> DemoOptions {
        DemoOptions {
            data_dir: None,
            hub_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            acquirer_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            faults: BTreeSet::new(),
            timing: Timing::default(),
            test_clock: false,
            public_url: None,
            tls: None,
        }
    }
}

/// The demo merchant's credentials, kept in `demo-merchant.json` in the data folder.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DemoMerchant {
    /// The hub's merchant id.
    pub id: String,
    /// The MID (sign-in name).
    pub mid: String,
    /// The email (also a sign-in name).
    pub email: String,
    /// The invitation code (valid until first used).
    pub invitation_code: String,
    /// The invitation link.
    pub invitation_link: String,
    /// The password the demo sets at first sign-in.
    pub password: String,
}

/// A running demo.
pub struct Demo {
    hub: Arc<Hub>,
    hub_url: String,
    web: Arc<WebShell>,
    self_signed: Option<SelfSigned>,
    admin_token_path: PathBuf,
    project_id: String,
    merchant: DemoMerchant,
    acquirer: RunningAcquirer,
    data_dir: PathBuf,
    hub_stop: Option<tokio::sync::oneshot::Sender<()>>,
    hub_task: Option<tokio::task::JoinHandle<()>>,
    _temp: Option<tempfile::TempDir>,
}

impl Demo {
    /// Starts everything; reuses the project, merchant and keys found in `data_dir`.
    pub async fn start(options: DemoOptions) -> Result<Demo, DemoError> {
        let (temp, data_dir) = match &options.data_dir {
            Some(dir) => (None, dir.clone()),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("linker-demo-")
                    .tempdir()
                    .map_err(|source| DemoError::Io {
                        path: std::env::temp_dir(),
                        source,
                    })?;
                let path = temp.path().to_owned();
                (Some(temp), path)
            }
        };
        linker_base::private::create_dir(&data_dir).map_err(|source| DemoError::Io {
            path: data_dir.clone(),
            source,
        })?;

        let hub_dir = data_dir.join("hub");
        let server = Server::bind(&ServeConfig {
            data_dir: hub_dir.clone(),
            listen: options.hub_listen,
            public_url: options.public_url.clone(),
            test_clock: options.test_clock,
            tls: options.tls.clone(),
        })
        .await?;
        let hub = server.hub.clone();
        // Everything in this process (the acquirer, the wallets) reaches the hub on loopback
        // in plain HTTP; phones reach it at its public URL.
        let hub_url = server.internal_url();
        let self_signed = server.self_signed.clone();
        let mut web_config = WebConfig::new(hub_dir.join("web-sessions"), hub_url.clone());
        web_config.secure_cookie = hub.public_url().starts_with("https://");
        web_config.public_url = hub.public_url().to_owned();
        let web = Arc::new(WebShell::new(web_config, hub.clock()));
        WebShell::spawn_sweeper(&web);
        let server = server.mount(linker_web::router(web.clone()));
        let (hub_stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let hub_task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            if let Err(error) = server.run(shutdown).await {
                tracing::error!(%error, "the demo hub stopped");
            }
        });

        let acquirer_dir = data_dir.join("acquirer");
        let acqp_key = linker_acquirer::load_or_create_key(&acquirer_dir)?;
        let acqp_public = acqp_key
            .public_key()
            .map_err(|error| linker_acquirer::AcquirerError::Key(error.to_string()))?
            .to_pem();
        let project = demo_project(&hub, &acqp_public)?;
        let project_view = serde_json::to_value(project.view(hub.public_url()))
            .and_then(serde_json::from_value::<HubProject>)
            .map_err(|error| DemoError::Hub {
                what: "show the demo project",
                source: linker_hub::HubError::Internal(error.to_string()),
            })?;
        let mut config = AcquirerConfig::from_project(&project_view, &acquirer_dir)?;
        config.gateway_url = hub_url.clone();
        // The ACQP knows the merchant by the MID the TSP invited it with (an online checkout's
        // calls join that merchant's run by it).
        config.merchant.reference_merchant_id = DEMO_MID.to_owned();
        config.listen = options.acquirer_listen;
        config.faults = options.faults.clone();
        config.timing = options.timing;
        // The acquirer and the hub share one "now", so expiry times the acquirer computes
        // agree with the hub even after its test clock was moved forward.
        config.clock = hub.clock();
        let acquirer = Acquirer::start(config).await?;
        hub.update_project(
            &project.id,
            ProjectUpdate {
                acqp_public_key: Some(acquirer.public_key_pem().to_owned()),
                notify_url: Some(acquirer.notify_url()),
                user_initiated_pay_url: Some(acquirer.user_initiated_pay_url()),
                auth_notify_url: Some(acquirer.auth_notify_url()),
                entry_code_domains: Some(vec![acquirer.entry_code_domain().to_owned()]),
                private_code_domains: Some(vec![acquirer.private_code_domain().to_owned()]),
                ..ProjectUpdate::default()
            },
        )
        .map_err(|source| DemoError::Hub {
            what: "register the reference acquirer in the demo project",
            source,
        })?;
        let merchant = demo_merchant(&hub, &project.id, &data_dir)?;
        Ok(Demo {
            hub,
            hub_url,
            web,
            self_signed,
            admin_token_path: linker_hub::admin_token_path(&hub_dir),
            project_id: project.id,
            merchant,
            acquirer,
            data_dir,
            hub_stop: Some(hub_stop),
            hub_task: Some(hub_task),
            _temp: temp,
        })
    }

    /// The hub's URL on this machine (Alipay+ gateway, wallet API, admin API): loopback, plain
    /// HTTP even when the hub also serves HTTPS to phones.
    pub fn hub_url(&self) -> &str {
        &self.hub_url
    }

    /// The URL phones and other machines reach the hub at (HTTPS when it serves it).
    pub fn public_url(&self) -> &str {
        self.hub.public_url()
    }

    /// The self-signed certificate the hub serves, when it was asked to make one.
    pub fn self_signed(&self) -> Option<&SelfSigned> {
        self.self_signed.as_ref()
    }

    /// The web wallet, signed in as the demo merchant: a link (at the public URL) whose every
    /// opening starts a web session of its own, signed in. The demo prints it as a QR code and
    /// the POS page shows it, so that a phone opens the merchant's wallet at once.
    pub async fn web_wallet_link(&self) -> Result<String, DemoError> {
        // The first sign-in sets the merchant's password (with its invitation): do it here, in
        // a wallet of no consequence, so the link can sign in with the password every time.
        let scratch = tempfile::tempdir().map_err(|source| DemoError::Io {
            path: std::env::temp_dir(),
            source,
        })?;
        let wallet = Wallet::open(
            scratch.path(),
            WalletOptions::default().with_hub_url(self.hub_url.clone()),
        )?;
        self.sign_in(&wallet).await?;
        drop(wallet);
        let path = self.web.sign_in_link(
            &self.merchant.mid,
            &self.merchant.password,
            Some(&self.project_id),
        );
        let link = format!("{}{path}", self.hub.public_url());
        self.acquirer.show_wallet_link(&link);
        Ok(link)
    }

    /// The hub itself (in-process).
    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// Where the hub's admin token is.
    pub fn admin_token_path(&self) -> &Path {
        &self.admin_token_path
    }

    /// The hub's admin token (read from its file).
    pub fn admin_token(&self) -> Result<String, DemoError> {
        std::fs::read_to_string(&self.admin_token_path)
            .map(|text| text.trim().to_owned())
            .map_err(|source| DemoError::Io {
                path: self.admin_token_path.clone(),
                source,
            })
    }

    /// The demo project's id.
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// The demo merchant's credentials.
    pub fn merchant(&self) -> &DemoMerchant {
        &self.merchant
    }

    /// The reference acquirer.
    pub fn acquirer(&self) -> &RunningAcquirer {
        &self.acquirer
    }

    /// The POS page a person opens.
    pub fn pos_page_url(&self) -> String {
        self.acquirer.pos_page_url()
    }

    /// The POS driver's base URL (for `linker run --pos-driver`).
    pub fn pos_driver_url(&self) -> &str {
        self.acquirer.pos_driver_url()
    }

    /// The data folder.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// A wallet in the data folder's `wallet/`, signed in as the demo merchant (with the
    /// invitation the first time, with the password after).
    pub async fn wallet(&self) -> Result<Wallet, DemoError> {
        let wallet = Wallet::open(
            self.data_dir.join("wallet"),
            WalletOptions::default().with_hub_url(self.hub_url.clone()),
        )?;
        wallet.update_settings(SettingsUpdate {
            hub_url: Some(self.hub_url.clone()),
            ..SettingsUpdate::default()
        })?;
        self.sign_in(&wallet).await?;
        Ok(wallet)
    }

    /// Signs `wallet` in as the demo merchant unless it already is.
    pub async fn sign_in(&self, wallet: &Wallet) -> Result<(), DemoError> {
        if wallet
            .session()?
            .is_some_and(|session| session.active && session.merchant.mid == self.merchant.mid)
            && wallet.me().await.is_ok()
        {
            return Ok(());
        }
        match wallet
            .sign_in(
                &self.merchant.mid,
                &self.merchant.password,
                Some(&self.project_id),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(_) => {
                wallet
                    .sign_in_with_invitation(
                        &self.merchant.invitation_code,
                        &self.merchant.password,
                    )
                    .await?;
                Ok(())
            }
        }
    }

    /// Stops the acquirer and the hub (finishing requests in flight).
    pub async fn shutdown(mut self) {
        self.acquirer.shutdown().await;
        if let Some(stop) = self.hub_stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.hub_task.take() {
            let _ = task.await;
        }
    }
}

/// The demo project, created on first start.
fn demo_project(hub: &Hub, acqp_public_pem: &str) -> Result<linker_hub::Project, DemoError> {
    let existing = hub.projects().map_err(|source| DemoError::Hub {
        what: "list projects",
        source,
    })?;
    if let Some(project) = existing
        .into_iter()
        .find(|project| project.client_id == DEMO_CLIENT_ID)
    {
        return Ok(project);
    }
    hub.create_project(NewProject {
        name: DEMO_PROJECT.to_owned(),
        client_id: DEMO_CLIENT_ID.to_owned(),
        acqp_public_key: acqp_public_pem.to_owned(),
        notify_url: None,
        user_initiated_pay_url: None,
        auth_notify_url: None,
        entry_code_domains: Vec::new(),
        private_code_domains: Vec::new(),
        notify_retry_schedule: None,
        request_log_days: None,
        products: Vec::new(),
    })
    .map_err(|source| DemoError::Hub {
        what: "create the demo project",
        source,
    })
}

/// The demo merchant: invited on first start (every product), its credentials kept in the data
/// folder so later starts sign in with the password.
fn demo_merchant(hub: &Hub, project_id: &str, data_dir: &Path) -> Result<DemoMerchant, DemoError> {
    let path = data_dir.join("demo-merchant.json");
    let saved: Option<DemoMerchant> = std::fs::read(&path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let merchants = hub.merchants(project_id).map_err(|source| DemoError::Hub {
        what: "list the demo merchants",
        source,
    })?;
    let existing = merchants.into_iter().find(|m| m.mid == DEMO_MID);
    let merchant = match (saved, existing) {
        (Some(saved), Some(existing)) if saved.id == existing.id => return Ok(saved),
        (_, Some(existing)) => {
            // Credentials lost: a fresh invitation lets the demo set its password again.
            let invited = hub
                .resend_invitation(project_id, &existing.id)
                .map_err(|source| DemoError::Hub {
                    what: "renew the demo merchant's invitation",
                    source,
                })?;
            into_demo(invited)
        }
        (_, None) => {
            let invited = hub
                .invite_merchant(
                    project_id,
                    NewMerchant {
                        name: "Linker Cafe (demo)".to_owned(),
                        mid: DEMO_MID.to_owned(),
                        email: DEMO_EMAIL.to_owned(),
                        products: linker_hub::domain::merchants::PRODUCTS
                            .iter()
                            .map(|p| (*p).to_owned())
                            .collect(),
                    },
                )
                .map_err(|source| DemoError::Hub {
                    what: "invite the demo merchant",
                    source,
                })?;
            into_demo(invited)
        }
    };
    let text = serde_json::to_vec_pretty(&merchant).unwrap_or_default();
    write_private(&path, &text)?;
    Ok(merchant)
}

fn into_demo(invited: linker_hub::domain::merchants::Invited) -> DemoMerchant {
    DemoMerchant {
        id: invited.merchant.id,
        mid: invited.merchant.mid,
        email: invited.merchant.email,
        invitation_code: invited.invitation.code,
        invitation_link: invited.invitation.link,
        password: new_password(),
    }
}

fn new_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// Writes a file only its owner can read (it holds a password).
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), DemoError> {
    let io = |source| DemoError::Io {
        path: path.to_owned(),
        source,
    };
    std::fs::write(path, bytes).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    }
    Ok(())
}
