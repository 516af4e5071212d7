//! The hub's admin API, as the acquirer needs it: read a project, and register the acquirer's
//! key, callback URLs and domains in it (learning the project's Agent-Token as it does).

use serde_json::json;

use crate::{AcquirerError, HubProject, RunningAcquirer};

/// A client of the hub's admin API (`/admin/v1`, bearer admin token).
#[derive(Debug, Clone)]
pub struct HubAdmin {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl HubAdmin {
    /// A client for the hub at `hub_url` (e.g. `http://127.0.0.1:8480`) with its admin token.
    pub fn new(hub_url: &str, admin_token: &str) -> HubAdmin {
        HubAdmin {
            base: hub_url.trim().trim_end_matches('/').to_owned(),
            token: admin_token.trim().to_owned(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(15))
                .build()
                .unwrap_or_default(),
        }
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<HubProject, AcquirerError> {
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| AcquirerError::Admin(format!("{what}: {e}")))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| AcquirerError::Admin(format!("{what}: {e}")))?;
        if !status.is_success() {
            return Err(AcquirerError::Admin(format!(
                "{what}: HTTP {status}: {text}"
            )));
        }
        serde_json::from_str(&text)
            .map_err(|e| AcquirerError::Admin(format!("{what}: not a project ({e}): {text}")))
    }

    /// `GET /admin/v1/projects/{id}`.
    pub async fn project(&self, project_id: &str) -> Result<HubProject, AcquirerError> {
        let url = format!("{}/admin/v1/projects/{project_id}", self.base);
        self.send(self.http.get(url), &format!("reading project {project_id}"))
            .await
    }

    /// `PATCH /admin/v1/projects/{id}` with the acquirer's public key, callback URLs and domains;
    /// the acquirer then sends the project's Agent-Token (which a project in TSP mode requires,
    /// and one not in TSP mode ignores) on every Alipay+ call.
    pub async fn register(
        &self,
        project_id: &str,
        acquirer: &RunningAcquirer,
    ) -> Result<HubProject, AcquirerError> {
        let url = format!("{}/admin/v1/projects/{project_id}", self.base);
        let body = json!({
            "acqpPublicKey": acquirer.public_key_pem(),
            "notifyUrl": acquirer.notify_url(),
            "userInitiatedPayUrl": acquirer.user_initiated_pay_url(),
            "authNotifyUrl": acquirer.auth_notify_url(),
            "entryCodeDomains": [acquirer.entry_code_domain()],
            "privateCodeDomains": [acquirer.private_code_domain()],
        });
        let project = self
            .send(
                self.http.patch(url).json(&body),
                &format!("registering the acquirer in project {project_id}"),
            )
            .await?;
        acquirer.set_agent_token(project.agent_token());
        Ok(project)
    }
}

/// Registers a running acquirer's key, callback URLs and domains in a hub project; returns the
/// project as it now stands.
pub async fn register_acquirer(
    hub_url: &str,
    admin_token: &str,
    project_id: &str,
    acquirer: &RunningAcquirer,
) -> Result<HubProject, AcquirerError> {
    HubAdmin::new(hub_url, admin_token)
        .register(project_id, acquirer)
        .await
}
