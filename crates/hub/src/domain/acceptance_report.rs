//! The signed acceptance report of a project ([`Hub::acceptance_report`]): its acceptance
//! status, every required case with its latest acceptance run's verdict and evidence (redacted),
//! the project's non-secret settings and the hub key's fingerprint, signed with the project's
//! hub key. Rendering and verification are `linker_cases::report::acceptance`'s.

use linker_cases::report::acceptance::{
    AcceptancePayload, ReportProject, RequiredCase, SignedAcceptanceReport, sign,
};
use linker_cases::report::{Report, RunReport};

use crate::Hub;
use crate::domain::runs::catalogue;
use crate::error::HubError;

impl Hub {
    /// The project's acceptance report, signed now with its hub key.
    pub fn acceptance_report(&self, project_id: &str) -> Result<SignedAcceptanceReport, HubError> {
        let project = self.project(project_id)?;
        let acceptance = self.acceptance(project_id)?;
        let mut runs = Vec::new();
        let mut cases = Vec::new();
        for case in &acceptance.cases {
            let latest = case.latest.as_ref();
            cases.push(RequiredCase {
                case_id: case.case_id.clone(),
                product: case.product.clone(),
                title: case.title.clone(),
                run_id: latest.map(|r| r.run_id.clone()),
                status: latest.map_or("not run".to_owned(), |r| r.status.to_string()),
                summary: latest.and_then(|r| r.summary.clone()),
            });
            let Some(run) = latest else { continue };
            let view = self.judge_run(&run.run_id)?;
            let Some(verdict) = &view.verdict else {
                continue;
            };
            let Some(def) = catalogue()?.case(&view.case_id) else {
                continue;
            };
            let record = self.run_record(&run.run_id)?;
            runs.push(
                RunReport::new(def, &record, &view.merchant_id, view.ended_at, verdict)
                    .with_wallet(Some(view.wallet.clone())),
            );
        }
        let now = self.clock.now();
        let view = project.view(self.public_url());
        let payload = AcceptancePayload {
            generated_at: now,
            hub_url: self.public_url().to_owned(),
            status: acceptance.status.as_str().to_owned(),
            status_message: acceptance.message.clone(),
            project: ReportProject {
                id: view.id,
                name: view.name.clone(),
                client_id: view.client_id.clone(),
                acquirer_id: view.acquirer_id,
                gateway_url: view.gateway_url,
                notify_url: view.notify_url,
                user_initiated_pay_url: view.user_initiated_pay_url,
                auth_notify_url: view.auth_notify_url,
                entry_code_domains: view.entry_code_domains,
                private_code_domains: view.private_code_domains,
                products: view.products,
                tsp_mode: Some(view.tsp_mode),
            },
            hub_key_fingerprint: String::new(),
            cases,
            evidence: Report {
                title: format!("Sandbox acceptance of {}", view.name),
                generated_at: now,
                hub_url: self.public_url().to_owned(),
                project: Some(format!("{} ({})", view.name, view.client_id)),
                merchant: acceptance.account_mid.clone(),
                tool_version: format!("linker-hub {}", env!("CARGO_PKG_VERSION")),
                runs,
            },
        };
        let public = linker_aplus::PublicKey::from_base64_or_pem(&project.hub_public_key)
            .map_err(|e| HubError::Internal(format!("project {project_id}: hub key: {e}")))?;
        sign(payload, &project.hub_key()?, &public)
            .map_err(|e| HubError::Internal(format!("acceptance report: {e}")))
    }

    /// The fingerprint of the project's hub public key (SHA-256 of its SPKI DER, hex), as the
    /// acceptance report carries it.
    pub fn hub_key_fingerprint(&self, project_id: &str) -> Result<String, HubError> {
        let project = self.project(project_id)?;
        linker_aplus::PublicKey::from_base64_or_pem(&project.hub_public_key)
            .map(|key| key.fingerprint())
            .map_err(|e| HubError::Internal(format!("project {project_id}: hub key: {e}")))
    }
}
