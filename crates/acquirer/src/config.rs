//! How an acquirer is configured: the hub project it belongs to, its keys, the merchant the POS
//! sells for, its timings and the faults it is told to commit.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use linker_aplus::{KeyPair, PrivateKey, PublicKey};
use serde::{Deserialize, Serialize};

use crate::AcquirerError;

/// A way to misbehave on purpose, so every failing verdict can be demonstrated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// Accepts callbacks without checking the hub's signature, so the forged notification of
    /// NTF-01 is acknowledged (trips `forged-notify-rejected`).
    SkipSignatureVerification,
    /// Acknowledges notifications without signing the ack (trips `notify-acked`, e.g. MOC-01).
    UnsignedNotifyAck,
    /// Polls `inquiryPayment` every ~0.5 s instead of every 3 s (trips `polls-no-faster-than` in
    /// UPM-02 and MOC-02).
    PollTooFast,
    /// Never calls `cancelPayment` when giving up on a payment (trips `cancels-within` in UPM-04
    /// and `cancels-after-expiry` in MOC-02).
    NeverCancel,
    /// On an unknown `pay` result repeats `pay` with the same paymentRequestId and a changed body
    /// (trips `resolves-unknown-result` in UPM-05).
    RetryWithChangedBody,
    /// Answers a repeated `userInitiatedPay` for the same codeValue with a new order (trips
    /// `uip-idempotent` in MPC-01).
    LoseUserInitiatedPayIdempotency,
    /// Sends the cashier `pay` without `paymentRedirectUrl`, so the customer has no way back to
    /// the shop (trips `cashier-pay-fields` in CSH-01; the hub also refuses it as PARAM_ILLEGAL).
    NoRedirectUrl,
    /// Marks the order paid when the customer comes back to the return page, without inquiring
    /// (trips CSH-02: the customer backs out, yet the site shows the order paid and never
    /// cancels it, so `cancels-after-expiry` fails).
    TrustRedirect,
    /// Checks out without calling `consultPayment` (trips `calls-api` consultPayment in CSH-03).
    SkipConsult,
    /// Never calls `applyToken`: keeps the authCode of authNotify as if it were the access token
    /// and debits with it (trips `calls-api` applyToken in ADB-01; the debit gets F
    /// INVALID_ACCESS_TOKEN).
    SkipApplyToken,
    /// Ignores authNotify TOKEN_CANCELED and, after F INVALID_ACCESS_TOKEN on a debit, keeps the
    /// token, shows the wallet linked and repeats the same `pay` once (trips
    /// `no-retry-after-failure` in ADB-02).
    RetryRevokedToken,
    /// "Unlink" forgets the token without calling `cancelToken`, so the authorization stays
    /// valid at Alipay+ (trips `calls-api` cancelToken in ADB-03).
    UnlinkLocally,
}

impl Fault {
    /// Every fault.
    pub const ALL: [Fault; 12] = [
        Fault::SkipSignatureVerification,
        Fault::UnsignedNotifyAck,
        Fault::PollTooFast,
        Fault::NeverCancel,
        Fault::RetryWithChangedBody,
        Fault::LoseUserInitiatedPayIdempotency,
        Fault::NoRedirectUrl,
        Fault::TrustRedirect,
        Fault::SkipConsult,
        Fault::SkipApplyToken,
        Fault::RetryRevokedToken,
        Fault::UnlinkLocally,
    ];

    /// The kebab-case name, e.g. `poll-too-fast`.
    pub fn name(self) -> &'static str {
        match self {
            Fault::SkipSignatureVerification => "skip-signature-verification",
            Fault::UnsignedNotifyAck => "unsigned-notify-ack",
            Fault::PollTooFast => "poll-too-fast",
            Fault::NeverCancel => "never-cancel",
            Fault::RetryWithChangedBody => "retry-with-changed-body",
            Fault::LoseUserInitiatedPayIdempotency => "lose-user-initiated-pay-idempotency",
            Fault::NoRedirectUrl => "no-redirect-url",
            Fault::TrustRedirect => "trust-redirect",
            Fault::SkipConsult => "skip-consult",
            Fault::SkipApplyToken => "skip-apply-token",
            Fault::RetryRevokedToken => "retry-revoked-token",
            Fault::UnlinkLocally => "unlink-locally",
        }
    }

    /// What the fault does and which case and check it should trip.
    pub fn description(self) -> &'static str {
        match self {
            Fault::SkipSignatureVerification => {
                "accepts callbacks without verifying the hub's signature: NTF-01 fails forged-notify-rejected"
            }
            Fault::UnsignedNotifyAck => {
                "acks notifications without a signature: notify-acked fails (MOC-01, UPM-02, NTF-01)"
            }
            Fault::PollTooFast => {
                "polls inquiryPayment every ~0.5 s: polls-no-faster-than fails (UPM-02, MOC-02)"
            }
            Fault::NeverCancel => {
                "gives up on a payment without cancelPayment: cancels-within fails (UPM-04)"
            }
            Fault::RetryWithChangedBody => {
                "repeats pay with the same id and a changed body on U: resolves-unknown-result fails (UPM-05)"
            }
            Fault::LoseUserInitiatedPayIdempotency => {
                "a repeated codeValue gets a new order: uip-idempotent fails (MPC-01)"
            }
            Fault::NoRedirectUrl => {
                "cashier pay without paymentRedirectUrl: cashier-pay-fields fails (CSH-01)"
            }
            Fault::TrustRedirect => {
                "the return page marks the order paid without inquiring: the abandoned order is never cancelled (CSH-02)"
            }
            Fault::SkipConsult => {
                "checks out without consultPayment: calls-api consultPayment fails (CSH-03)"
            }
            Fault::SkipApplyToken => {
                "debits with the authCode, never calling applyToken: calls-api applyToken fails (ADB-01)"
            }
            Fault::RetryRevokedToken => {
                "keeps a revoked token and repeats the refused pay once: no-retry-after-failure fails (ADB-02)"
            }
            Fault::UnlinkLocally => {
                "Unlink forgets the token without cancelToken: calls-api cancelToken fails (ADB-03)"
            }
        }
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Fault {
    type Err = AcquirerError;

    fn from_str(text: &str) -> Result<Fault, AcquirerError> {
        let text = text.trim();
        Fault::ALL
            .into_iter()
            .find(|fault| fault.name().eq_ignore_ascii_case(text))
            .ok_or_else(|| AcquirerError::UnknownFault {
                name: text.to_owned(),
                known: Fault::ALL.map(Fault::name).join(", "),
            })
    }
}

/// Parses a comma-separated list of fault names, e.g. `poll-too-fast,never-cancel`.
pub fn parse_faults(text: &str) -> Result<BTreeSet<Fault>, AcquirerError> {
    text.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(Fault::from_str)
        .collect()
}

/// The merchant the POS sells for, as it appears in `order.merchant`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantIdentity {
    /// `referenceMerchantId` (the MID).
    pub reference_merchant_id: String,
    /// `merchantName`.
    pub name: String,
    /// `merchantMCC` (and `storeMCC`).
    pub mcc: String,
    /// `store.referenceStoreId`.
    pub store_id: String,
    /// `store.storeName`.
    pub store_name: String,
    /// The currency the POS sells in (ISO 4217 alpha-3, e.g. `HKD`).
    pub currency: String,
}

impl Default for MerchantIdentity {
    fn default() -> MerchantIdentity {
        MerchantIdentity {
            reference_merchant_id: "M0001".to_owned(),
            name: "Linker Cafe".to_owned(),
            mcc: "5812".to_owned(),
            store_id: "S01".to_owned(),
            store_name: "Central".to_owned(),
            currency: "HKD".to_owned(),
        }
    }
}

/// The waits and retries of the backend; shorten them in tests and demos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Between two `inquiryPayment` calls (3 s, as the spec guides).
    pub poll_interval: Duration,
    /// Between two polls under [`Fault::PollTooFast`] (~0.5 s).
    pub fast_poll_interval: Duration,
    /// How long a UPM payment in doubt is polled before it is cancelled (60 s).
    pub poll_for: Duration,
    /// How long one call to the hub may take before its result counts as unknown (10 s).
    pub request_timeout: Duration,
    /// Between two attempts of a `cancelPayment` or `refund` whose result was unknown (2 s).
    pub retry_interval: Duration,
    /// Attempts of one `cancelPayment` or `refund` before the POS reports it as not done (5).
    pub retry_attempts: u32,
    /// `paymentExpiryTime` of order codes and entry-code payments, from now (120 s).
    pub order_validity: Duration,
    /// How long a private order code can be paid (120 s).
    pub private_code_validity: Duration,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            poll_interval: Duration::from_secs(3),
            fast_poll_interval: Duration::from_millis(500),
            poll_for: Duration::from_secs(60),
            request_timeout: Duration::from_secs(10),
            retry_interval: Duration::from_secs(2),
            retry_attempts: 5,
            order_validity: Duration::from_secs(120),
            private_code_validity: Duration::from_secs(120),
        }
    }
}

/// Everything an acquirer needs to start.
#[derive(Debug)]
pub struct AcquirerConfig {
    /// The hub's gateway base URL, e.g. `http://127.0.0.1:8480` (Alipay+ paths are appended).
    pub gateway_url: String,
    /// The ACQP's Client-Id in the hub project.
    pub client_id: String,
    /// The ACQP's private key (requests and callback replies are signed with it).
    pub private_key: PrivateKey,
    /// The hub's public key for the project (answers and callbacks are verified with it).
    pub hub_public_key: PublicKey,
    /// The project's sandbox Agent-Token, sent as `Agent-Token` on every Alipay+ call (a hub
    /// project in TSP mode refuses calls without it; one not in TSP mode ignores it).
    pub agent_token: Option<String>,
    /// The merchant the POS sells for.
    pub merchant: MerchantIdentity,
    /// Where `acquirer.sqlite` (and the key, see [`load_or_create_key`]) live.
    pub data_dir: PathBuf,
    /// Where to listen; loopback, port 0 for any free port.
    pub listen: SocketAddr,
    /// The URL the acquirer is reached at; `http://<bound address>` when absent.
    pub public_url: Option<String>,
    /// The host of its private order codes (`https://<domain>/281...`); nobody fetches them.
    pub private_code_domain: String,
    /// Digits 4-6 of its private order codes (the acquirer's, three digits).
    pub private_code_acquirer_digits: String,
    /// Bearer token the POS driver requires, if any.
    pub pos_driver_token: Option<String>,
    /// The faults to commit on purpose (none for a correct acquirer).
    pub faults: BTreeSet<Fault>,
    /// Waits and retries.
    pub timing: Timing,
    /// Where "now" comes from (the system clock unless told otherwise).
    pub clock: std::sync::Arc<dyn Clock>,
}

// Where the acquirer's "now" comes from: the system clock, or (in the demo) the hub's, so that
// expiry times the backend computes agree with a hub whose test clock was moved forward. The one
// clock trait of linker-base, shared with the hub and the wallet.
pub use linker_base::clock::{Clock, SystemClock};

/// The default host of private order codes.
pub const DEFAULT_PRIVATE_CODE_DOMAIN: &str = "qr.linker-acquirer.test";

impl AcquirerConfig {
    /// A configuration with the default merchant, timing and no fault, listening on a free
    /// loopback port.
    pub fn new(
        gateway_url: impl Into<String>,
        client_id: impl Into<String>,
        private_key: PrivateKey,
        hub_public_key: PublicKey,
        data_dir: impl Into<PathBuf>,
    ) -> AcquirerConfig {
        AcquirerConfig {
            gateway_url: gateway_url.into(),
            client_id: client_id.into(),
            private_key,
            hub_public_key,
            agent_token: None,
            merchant: MerchantIdentity::default(),
            data_dir: data_dir.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            private_code_domain: DEFAULT_PRIVATE_CODE_DOMAIN.to_owned(),
            private_code_acquirer_digits: "888".to_owned(),
            pos_driver_token: None,
            faults: BTreeSet::new(),
            timing: Timing::default(),
            clock: std::sync::Arc::new(SystemClock),
        }
    }

    /// A configuration for a hub project (as the admin API shows it), with the ACQP key kept in
    /// `data_dir` (created on first use, see [`load_or_create_key`]).
    pub fn from_project(
        project: &HubProject,
        data_dir: impl Into<PathBuf>,
    ) -> Result<AcquirerConfig, AcquirerError> {
        let data_dir = data_dir.into();
        let private_key = load_or_create_key(&data_dir)?;
        let hub_public_key = PublicKey::from_base64_or_pem(&project.hub_public_key)
            .map_err(|e| AcquirerError::Key(format!("the project's hubPublicKey: {e}")))?;
        let mut config = AcquirerConfig::new(
            project.gateway_url.clone(),
            project.client_id.clone(),
            private_key,
            hub_public_key,
            data_dir,
        );
        config.agent_token = project.agent_token();
        Ok(config)
    }
}

/// A hub project as the admin API shows it (`GET /admin/v1/projects/{id}`); other fields ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HubProject {
    /// The project's id, `prj_...`.
    pub id: String,
    /// The ACQP's Client-Id.
    pub client_id: String,
    /// The hub's gateway base URL.
    pub gateway_url: String,
    /// The test acquirer id.
    pub acquirer_id: String,
    /// The hub's public key for the project (base64 SPKI or PEM).
    pub hub_public_key: String,
    /// The ACQP public key the hub verifies requests with.
    pub acqp_public_key: String,
    /// notifyPayment URL.
    #[serde(default)]
    pub notify_url: Option<String>,
    /// userInitiatedPay URL.
    #[serde(default)]
    pub user_initiated_pay_url: Option<String>,
    /// authNotify URL.
    #[serde(default)]
    pub auth_notify_url: Option<String>,
    /// Entry-code domains.
    #[serde(default)]
    pub entry_code_domains: Vec<String>,
    /// Private order-code domains.
    #[serde(default)]
    pub private_code_domains: Vec<String>,
    /// TSP mode: the hub refuses an Alipay+ call without the project's Agent-Token.
    #[serde(default)]
    pub tsp_mode: bool,
    /// The project's sandbox Agent-Token (absent from a hub that predates TSP mode).
    #[serde(default)]
    pub agent_token: Option<String>,
}

impl HubProject {
    /// The Agent-Token to send, if the project has one.
    pub fn agent_token(&self) -> Option<String> {
        self.agent_token
            .as_deref()
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .map(str::to_owned)
    }
}

/// The file the ACQP private key is kept in, inside the data folder.
pub fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("acqp-private-key.pem")
}

/// Loads the ACQP private key from the data folder, generating it (RSA-2048, PEM, mode 0600) on
/// first use.
pub fn load_or_create_key(data_dir: &Path) -> Result<PrivateKey, AcquirerError> {
    let path = key_path(data_dir);
    match std::fs::read_to_string(&path) {
        Ok(text) => PrivateKey::from_base64_or_pem(&text)
            .map_err(|e| AcquirerError::Key(format!("{}: {e}", path.display()))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            linker_base::private::create_dir(data_dir).map_err(|source| AcquirerError::Io {
                path: data_dir.to_owned(),
                source,
            })?;
            let pair = KeyPair::generate().map_err(|e| AcquirerError::Key(e.to_string()))?;
            write_secret(&path, &pair.private.to_pem())?;
            Ok(pair.private)
        }
        Err(source) => Err(AcquirerError::Io { path, source }),
    }
}

fn write_secret(path: &Path, text: &str) -> Result<(), AcquirerError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let io = |source| AcquirerError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = options.open(path).map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}
