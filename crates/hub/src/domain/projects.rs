//! Projects: a TSP's integration on the hub. A project holds the ACQP's Client-Id and public key,
//! the key pair the hub signs that project's answers and callbacks with, the ACQP's callback URLs
//! and registered domains, the notification retry schedule, how many days its request log is
//! kept, and TSP mode with its sandbox Agent-Token (`domain/agent_token.rs`).

use linker_aplus::callback_url::CallbackUrl;
use linker_aplus::{KeyPair, PrivateKey, PublicKey};
use serde::{Deserialize, Serialize};

use crate::Hub;
use crate::error::HubError;

/// The notification retry schedule when a project sets none: seconds after the payment's outcome
/// (spec: 0 s, 4 s, 30 s, 1 min, 5 min, 10 min, 1 h).
pub const DEFAULT_RETRY_SCHEDULE: [u64; 7] = [0, 4, 30, 60, 300, 600, 3600];

/// How many days a project keeps its request log when it sets nothing.
pub const DEFAULT_REQUEST_LOG_DAYS: u32 = 30;

/// The longest a project may keep its request log, in days (about ten years). Keeping it
/// forever is not offered: the log would grow without end.
pub const MAX_REQUEST_LOG_DAYS: u32 = 3650;

/// What a TSP gives to create a project.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewProject {
    /// A name people recognise.
    pub name: String,
    /// The ACQP's Client-Id, sent in every request's `Client-Id` header.
    pub client_id: String,
    /// The ACQP's public key (base64 SPKI DER, or PEM), which verifies its requests.
    pub acqp_public_key: String,
    /// Where the hub sends notifyPayment.
    pub notify_url: Option<String>,
    /// Where the hub sends userInitiatedPay (private order codes).
    pub user_initiated_pay_url: Option<String>,
    /// Where the hub sends authNotify (auto debit).
    pub auth_notify_url: Option<String>,
    /// Hosts the ACQP serves entry-code pages on.
    #[serde(default)]
    pub entry_code_domains: Vec<String>,
    /// Hosts the ACQP issues private order codes on.
    #[serde(default)]
    pub private_code_domains: Vec<String>,
    /// Notification retry schedule in seconds; the default when absent.
    pub notify_retry_schedule: Option<Vec<u64>>,
    /// Days the request log is kept (1 to 3650); 30 when absent.
    pub request_log_days: Option<u32>,
    /// The products the application selected (none when absent).
    #[serde(default)]
    pub products: Vec<String>,
}

/// Changes to a project; absent fields stay as they are, `""` clears an optional URL.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectUpdate {
    /// A new name.
    pub name: Option<String>,
    /// A new ACQP public key.
    pub acqp_public_key: Option<String>,
    /// A new notifyPayment URL.
    pub notify_url: Option<String>,
    /// A new userInitiatedPay URL.
    pub user_initiated_pay_url: Option<String>,
    /// A new authNotify URL.
    pub auth_notify_url: Option<String>,
    /// The entry-code domains, replaced whole.
    pub entry_code_domains: Option<Vec<String>>,
    /// The private order-code domains, replaced whole.
    pub private_code_domains: Option<Vec<String>>,
    /// The retry schedule, replaced whole.
    pub notify_retry_schedule: Option<Vec<u64>>,
    /// Days the request log is kept (1 to 3650).
    pub request_log_days: Option<u32>,
    /// TSP mode: every Alipay+ call must then carry the project's Agent-Token.
    pub tsp_mode: Option<bool>,
    /// The products the application selected (`UPM`, `ORDER_CODE`, ..., or `MPM` for the
    /// three merchant-presented ones), replaced whole; `[]` selects none.
    pub products: Option<Vec<String>>,
}

/// A project as stored (the hub's private key included: never serialise this to a client).
pub use crate::store::projects::ProjectRow as Project;

/// A project as the admin API and the CLI show it: everything an ACQP needs to configure its
/// side, and no secret but the sandbox Agent-Token (which every member sees on Settings, and
/// which an ACQP backend needs in TSP mode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectView {
    /// The hub's id for the project.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The ACQP's Client-Id.
    pub client_id: String,
    /// Where the ACQP sends Alipay+ API calls: `<gatewayUrl>/aps/api/v1/payments/pay`, ...
    pub gateway_url: String,
    /// The test ACQ id, the `acquirerId` in answers.
    pub acquirer_id: String,
    /// The hub's public key for this project (base64 SPKI): the ACQP verifies answers and
    /// callbacks with it.
    pub hub_public_key: String,
    /// The ACQP's public key the hub verifies requests with.
    pub acqp_public_key: String,
    /// Signature algorithm.
    pub signature_type: String,
    /// notifyPayment URL.
    pub notify_url: Option<String>,
    /// userInitiatedPay URL.
    pub user_initiated_pay_url: Option<String>,
    /// authNotify URL.
    pub auth_notify_url: Option<String>,
    /// Entry-code domains.
    pub entry_code_domains: Vec<String>,
    /// Private order-code domains.
    pub private_code_domains: Vec<String>,
    /// Notification retry schedule, seconds.
    pub notify_retry_schedule: Vec<u64>,
    /// Days the request log is kept.
    pub request_log_days: u32,
    /// TSP mode: every Alipay+ call must carry `agentToken` in the `Agent-Token` header.
    #[serde(default)]
    pub tsp_mode: bool,
    /// The project's sandbox Agent-Token (`agt_...`).
    #[serde(default)]
    pub agent_token: String,
    /// The products the application selected: sandbox acceptance testing runs their required
    /// cases.
    pub products: Vec<String>,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

impl Project {
    /// The client-facing view, with the gateway URL of the hub serving it.
    pub fn view(&self, gateway_url: &str) -> ProjectView {
        ProjectView {
            id: self.id.clone(),
            name: self.name.clone(),
            client_id: self.client_id.clone(),
            gateway_url: gateway_url.trim_end_matches('/').to_owned(),
            acquirer_id: self.acquirer_id.clone(),
            hub_public_key: self.hub_public_key.clone(),
            acqp_public_key: self.acqp_public_key.clone(),
            signature_type: "RSA256".to_owned(),
            notify_url: self.notify_url.clone(),
            user_initiated_pay_url: self.user_initiated_pay_url.clone(),
            auth_notify_url: self.auth_notify_url.clone(),
            entry_code_domains: self.entry_code_domains.clone(),
            private_code_domains: self.private_code_domains.clone(),
            notify_retry_schedule: self.notify_retry_schedule.clone(),
            request_log_days: self.request_log_days,
            tsp_mode: self.tsp_mode,
            agent_token: self.agent_token.clone().unwrap_or_default(),
            products: self.products.clone(),
            created_at: self.created_at.to_rfc3339(),
            updated_at: self.updated_at.to_rfc3339(),
        }
    }

    /// The hub's signing key for this project.
    pub fn hub_key(&self) -> Result<PrivateKey, HubError> {
        PrivateKey::from_base64_or_pem(&self.hub_private_key)
            .map_err(|error| HubError::Internal(format!("project {}: hub key: {error}", self.id)))
    }

    /// The ACQP's public key.
    pub fn acqp_key(&self) -> Result<PublicKey, HubError> {
        PublicKey::from_base64_or_pem(&self.acqp_public_key)
            .map_err(|error| HubError::Internal(format!("project {}: ACQP key: {error}", self.id)))
    }
}

impl Hub {
    /// Creates a project with a fresh hub key pair and test ACQ id.
    pub fn create_project(&self, new: NewProject) -> Result<Project, HubError> {
        let name = required_text("name", &new.name, 128)?;
        let client_id = required_text("clientId", &new.client_id, 64)?;
        let acqp_public_key = normalise_public_key(&new.acqp_public_key)?;
        let keys = KeyPair::generate()
            .map_err(|error| HubError::Internal(format!("key generation failed: {error}")))?;
        let now = self.clock.now();
        let project = Project {
            id: self.ids.alphanumeric("prj_", 12),
            name,
            client_id,
            acquirer_id: format!("1022188{}", self.ids.digits(12)),
            acqp_public_key,
            hub_private_key: keys.private.to_base64(),
            hub_public_key: keys.public.to_base64(),
            notify_url: callback_url("notifyUrl", new.notify_url)?,
            user_initiated_pay_url: callback_url(
                "userInitiatedPayUrl",
                new.user_initiated_pay_url,
            )?,
            auth_notify_url: callback_url("authNotifyUrl", new.auth_notify_url)?,
            entry_code_domains: domains("entryCodeDomains", new.entry_code_domains)?,
            private_code_domains: domains("privateCodeDomains", new.private_code_domains)?,
            notify_retry_schedule: retry_schedule(new.notify_retry_schedule)?,
            request_log_days: request_log_days(
                new.request_log_days.unwrap_or(DEFAULT_REQUEST_LOG_DAYS),
            )?,
            products: selected_products(&new.products)?,
            created_at: now,
            updated_at: now,
            tsp_mode: false,
            agent_token: Some(self.new_agent_token()),
        };
        self.store.transaction(|db| {
            let projects = db.projects();
            if let Some(other) = projects.id_by_client_id(&project.client_id)? {
                return Err(HubError::Conflict(format!(
                    "Client-Id {} is already used by project {other}",
                    project.client_id
                )));
            }
            Ok(projects.insert(&project)?)
        })?;
        self.projects_by_client_id.forget();
        Ok(project)
    }

    /// The project with this id.
    pub fn project(&self, id: &str) -> Result<Project, HubError> {
        self.store
            .db(|db| db.projects().get(id))?
            .ok_or_else(|| HubError::NotFound(format!("project {id}")))
    }

    /// The project whose ACQP sends this Client-Id, if any.
    /// Every gateway call asks, so the answer is cached until a project is written.
    pub fn project_by_client_id(
        &self,
        client_id: &str,
    ) -> Result<Option<std::sync::Arc<Project>>, HubError> {
        let (cached, generation) = self.projects_by_client_id.get(client_id);
        if cached.is_some() {
            return Ok(cached);
        }
        let found = self.store.db(|db| db.projects().by_client_id(client_id))?;
        Ok(found.map(|project| {
            let project = std::sync::Arc::new(project);
            self.projects_by_client_id
                .put(generation, std::sync::Arc::clone(&project));
            project
        }))
    }

    /// Every project, oldest first.
    pub fn projects(&self) -> Result<Vec<Project>, HubError> {
        Ok(self.store.db(|db| db.projects().all())?)
    }

    /// Applies changes to a project; every field is validated before anything is written.
    pub fn update_project(&self, id: &str, update: ProjectUpdate) -> Result<Project, HubError> {
        let mut project = self.project(id)?;
        if let Some(name) = update.name {
            project.name = required_text("name", &name, 128)?;
        }
        if let Some(key) = update.acqp_public_key {
            project.acqp_public_key = normalise_public_key(&key)?;
        }
        if let Some(url) = update.notify_url {
            project.notify_url = callback_url("notifyUrl", Some(url))?;
        }
        if let Some(url) = update.user_initiated_pay_url {
            project.user_initiated_pay_url = callback_url("userInitiatedPayUrl", Some(url))?;
        }
        if let Some(url) = update.auth_notify_url {
            project.auth_notify_url = callback_url("authNotifyUrl", Some(url))?;
        }
        if let Some(list) = update.entry_code_domains {
            project.entry_code_domains = domains("entryCodeDomains", list)?;
        }
        if let Some(list) = update.private_code_domains {
            project.private_code_domains = domains("privateCodeDomains", list)?;
        }
        if let Some(schedule) = update.notify_retry_schedule {
            project.notify_retry_schedule = retry_schedule(Some(schedule))?;
        }
        if let Some(days) = update.request_log_days {
            project.request_log_days = request_log_days(days)?;
        }
        if let Some(tsp_mode) = update.tsp_mode {
            project.tsp_mode = tsp_mode;
        }
        if let Some(products) = update.products {
            project.products = selected_products(&products)?;
        }
        project.updated_at = self.clock.now();
        self.store.db(|db| db.projects().update(&project))?;
        self.projects_by_client_id.forget();
        Ok(project)
    }
}

pub(crate) fn required_text(field: &str, value: &str, max: usize) -> Result<String, HubError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(HubError::invalid(field, "required"));
    }
    // Names end up in mail headers, CSV cells and pages: no line breaks or other controls.
    if value.chars().any(char::is_control) {
        return Err(HubError::invalid(
            field,
            "no line breaks, tabs or other control characters",
        ));
    }
    if value.chars().count() > max {
        return Err(HubError::invalid(
            field,
            format!("longer than {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

fn normalise_public_key(text: &str) -> Result<String, HubError> {
    if text.trim().is_empty() {
        return Err(HubError::invalid("acqpPublicKey", "required"));
    }
    PublicKey::from_base64_or_pem(text)
        .map(|key| key.to_base64())
        .map_err(|error| {
            HubError::invalid(
                "acqpPublicKey",
                format!(
                    "not an RSA public key (base64 X.509 SubjectPublicKeyInfo or PEM): {error}"
                ),
            )
        })
}

/// Checks a callback URL: `https://` anywhere, `http://` only on loopback addresses (spec,
/// "ours"), no user info; `""` or absent means none. Read by [`CallbackUrl`], the parser the
/// hub dials with, so the host judged here is the host called.
pub fn callback_url(field: &str, url: Option<String>) -> Result<Option<String>, HubError> {
    let Some(url) = url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    CallbackUrl::parse(&url).map_err(|e| HubError::invalid(field, e.to_string()))?;
    Ok(Some(url))
}

fn domains(field: &str, list: Vec<String>) -> Result<Vec<String>, HubError> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for entry in list {
        let domain = entry.trim().to_ascii_lowercase();
        let valid = !domain.is_empty()
            && domain.len() <= 253
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
            && !domain.starts_with(['.', '-', ':']);
        if !valid {
            return Err(HubError::invalid(
                field,
                format!("{entry:?} is not a host name (host or host:port, no scheme or path)"),
            ));
        }
        if !out.contains(&domain) {
            out.push(domain);
        }
    }
    Ok(out)
}

/// The application's products: catalogue product codes (`ANY` is not one), case-insensitive,
/// `MPM` for the three merchant-presented ones, in the catalogue's order, without duplicates.
fn selected_products(list: &[String]) -> Result<Vec<String>, HubError> {
    use linker_cases::Product;
    let mut chosen: Vec<Product> = Vec::new();
    for entry in list.iter().filter(|e| !e.trim().is_empty()) {
        let code = entry.trim().to_ascii_uppercase().replace('-', "_");
        let products = match code.as_str() {
            "MPM" => vec![
                Product::OrderCode,
                Product::PrivateOrderCode,
                Product::EntryCode,
            ],
            _ => match Product::from_code(&code).filter(|p| *p != Product::Any) {
                Some(product) => vec![product],
                None => {
                    return Err(HubError::invalid(
                        "products",
                        format!(
                            "{entry:?} is not a product; choose from UPM, ORDER_CODE, \
                             PRIVATE_ORDER_CODE, ENTRY_CODE, CASHIER, AUTO_DEBIT (or MPM)"
                        ),
                    ));
                }
            },
        };
        chosen.extend(products);
    }
    chosen.sort();
    chosen.dedup();
    Ok(chosen.into_iter().map(|p| p.code().to_owned()).collect())
}

/// A request log retention: 1 to [`MAX_REQUEST_LOG_DAYS`] days.
fn request_log_days(days: u32) -> Result<u32, HubError> {
    if (1..=MAX_REQUEST_LOG_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err(HubError::invalid(
            "requestLogDays",
            format!("keep the request log 1 to {MAX_REQUEST_LOG_DAYS} days"),
        ))
    }
}

fn retry_schedule(schedule: Option<Vec<u64>>) -> Result<Vec<u64>, HubError> {
    let Some(schedule) = schedule else {
        return Ok(DEFAULT_RETRY_SCHEDULE.to_vec());
    };
    if schedule.is_empty() || schedule.len() > 20 {
        return Err(HubError::invalid(
            "notifyRetrySchedule",
            "give 1 to 20 delays in seconds",
        ));
    }
    if schedule.windows(2).any(|pair| pair[0] > pair[1]) {
        return Err(HubError::invalid(
            "notifyRetrySchedule",
            "delays must not decrease",
        ));
    }
    if schedule.iter().any(|&delay| delay > 7 * 24 * 3600) {
        return Err(HubError::invalid(
            "notifyRetrySchedule",
            "no delay may exceed 7 days",
        ));
    }
    Ok(schedule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_urls_need_https_except_on_loopback() {
        let ok = |url: &str| callback_url("notifyUrl", Some(url.to_owned()));
        assert!(ok("https://acqp.example/notify").is_ok());
        assert!(ok("http://127.0.0.1:9000/notify").is_ok());
        assert!(ok("http://localhost/notify").is_ok());
        assert!(ok("http://[::1]:8080/n").is_ok());
        assert!(ok("http://[::1]").is_ok());
        assert!(
            ok("http://127.0.0.1#@evil.example").is_ok(),
            "the fragment is not the host"
        );
        assert!(
            ok("http://2130706433/").is_ok(),
            "127.0.0.1 in decimal is loopback"
        );
        assert!(
            ok("http://0177.0.0.1/").is_ok(),
            "127.0.0.1 in octal is loopback"
        );
        assert_eq!(ok("").ok(), Some(None), "empty clears");
        for bad in [
            "http://acqp.example/notify",
            "ftp://x/y",
            "notify",
            "https://",
            // The backslash ends the host: this is dialled at evil.example, over plain HTTP.
            "http://evil.example\\@127.0.0.1/",
            "http://evil.example@127.0.0.1/",
            "https://user:pw@acqp.example/",
            "http://127.0.0.1.evil.example/",
            "file:///etc/passwd",
        ] {
            let error = ok(bad).expect_err(bad);
            assert!(
                error.to_string().starts_with("notifyUrl: "),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn domains_are_hosts_lowercased_without_duplicates() {
        let list = domains(
            "d",
            vec![
                "Pay.Example".into(),
                "pay.example".into(),
                "127.0.0.1:8080".into(),
            ],
        );
        assert_eq!(
            list.ok(),
            Some(vec!["pay.example".to_owned(), "127.0.0.1:8080".to_owned()])
        );
        assert!(domains("d", vec!["https://pay.example".into()]).is_err());
        assert!(domains("d", vec!["pay.example/path".into()]).is_err());
    }

    #[test]
    fn retry_schedules_are_bounded_and_ordered() {
        assert_eq!(
            retry_schedule(None).ok(),
            Some(DEFAULT_RETRY_SCHEDULE.to_vec())
        );
        assert!(retry_schedule(Some(vec![])).is_err());
        assert!(retry_schedule(Some(vec![5, 1])).is_err());
        assert!(retry_schedule(Some(vec![0, 1, 2])).is_ok());
    }
}
