//! A small client of the hub's admin API, shared by every command that manages the hub. The
//! credential comes from `--token` / `LINKER_ADMIN_TOKEN` (the admin token), else
//! `--project-token` / `LINKER_PROJECT_TOKEN` (a project's API token, `lkp_...`, made in the
//! console's project settings: what CI should use; it opens only that project's commands), else
//! `--data DIR` (the hub's data folder, whose `admin-token` file the hub wrote on first start).

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

/// Where the hub is and how to authenticate to it.
#[derive(Debug, clap::Args)]
pub struct AdminArgs {
    /// The hub's URL.
    #[arg(long, env = "LINKER_HUB", default_value = "http://127.0.0.1:8480")]
    hub: String,
    /// The admin token.
    #[arg(long, env = "LINKER_ADMIN_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// A project's API token (lkp_..., from the console's project settings), for CI: opens that
    /// project's commands only, not the hub-wide ones (project create, project list).
    #[arg(long, env = "LINKER_PROJECT_TOKEN", hide_env_values = true)]
    project_token: Option<String>,
    /// The hub's data folder, to read the admin token from.
    #[arg(long)]
    data: Option<PathBuf>,
}

/// The hub's refusal of a request: its HTTP status and `{code, message}`.
#[derive(Debug)]
pub struct Refused {
    /// The HTTP status.
    pub status: u16,
    /// The stable code (`INVALID_INPUT`, ...).
    pub code: String,
    /// What the hub said, for people.
    pub message: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the hub refused ({} {}): {}",
            self.status, self.code, self.message
        )
    }
}

impl std::error::Error for Refused {}

/// An authenticated admin API client.
#[derive(Debug)]
pub struct AdminClient {
    base: String,
    token: String,
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
}

impl AdminArgs {
    /// The arguments of a command that takes them under its own flags (`linker run`).
    pub fn new(hub: &str, token: Option<String>, project_token: Option<String>) -> AdminArgs {
        AdminArgs {
            hub: hub.to_owned(),
            token,
            project_token,
            data: None,
        }
    }

    /// The hub's URL, without a trailing slash.
    pub fn hub_url(&self) -> String {
        self.hub.trim_end_matches('/').to_owned()
    }

    /// The bearer token: the admin token from `--token` or `LINKER_ADMIN_TOKEN`, else the
    /// project token from `--project-token` or `LINKER_PROJECT_TOKEN`, else the admin token
    /// from the data folder.
    pub fn token(&self) -> Result<String> {
        match (&self.token, &self.project_token) {
            (None, Some(project_token)) => Ok(project_token.trim().to_owned()),
            _ => admin_token(self.token.as_deref(), self.data.as_deref()),
        }
    }
}

/// The admin token: given, or read from the hub's data folder.
pub fn admin_token(token: Option<&str>, hub_data: Option<&std::path::Path>) -> Result<String> {
    Ok(match (token, hub_data) {
        (Some(token), _) => token.trim().to_owned(),
        (None, Some(data)) => {
            let path = linker_hub::admin_token_path(data);
            std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read the admin token from {}", path.display()))?
                .trim()
                .to_owned()
        }
        (None, None) => bail!(
            "no admin token: pass --token, set LINKER_ADMIN_TOKEN, or pass the hub's data folder \
             (or, for one project's commands, its token: --project-token or LINKER_PROJECT_TOKEN)"
        ),
    })
}

impl AdminClient {
    /// Resolves the token and prepares the client.
    pub fn new(args: &AdminArgs) -> Result<AdminClient> {
        let token = args.token()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .context("cannot build the HTTP client")?;
        Ok(AdminClient {
            base: args.hub_url(),
            token,
            runtime,
            http,
        })
    }

    /// Sends one admin API request and returns the JSON answer, or the hub's `{code, message}`
    /// as the error.
    pub fn send(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| anyhow!("bad HTTP method {method}"))?;
        let mut request = self
            .http
            .request(method, format!("{}/admin/v1{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.execute(request)
    }

    /// POSTs a file's bytes (a CSV file or an Excel workbook) to an admin API path.
    pub fn send_file(&self, path: &str, content_type: &str, bytes: Vec<u8>) -> Result<Value> {
        let request = self
            .http
            .post(format!("{}/admin/v1{path}", self.base))
            .header("content-type", content_type)
            .body(bytes);
        self.execute(request)
    }

    /// GETs an admin API path and returns the answer's text exactly as sent (a file to keep
    /// byte for byte, such as a signed report).
    pub fn get_text(&self, path: &str) -> Result<String> {
        let request = self.http.get(format!("{}/admin/v1{path}", self.base));
        let (status, text) = self.exchange(request)?;
        if status.is_success() {
            return Ok(text);
        }
        Err(refusal(status, &text))
    }

    fn exchange(&self, request: reqwest::RequestBuilder) -> Result<(reqwest::StatusCode, String)> {
        self.runtime.block_on(async {
            let response = request
                .bearer_auth(&self.token)
                .send()
                .await
                .map_err(|error| anyhow!("cannot reach the hub at {}: {error}", self.base))?;
            let status = response.status();
            let text = response
                .text()
                .await
                .context("cannot read the hub's answer")?;
            Ok((status, text))
        })
    }

    fn execute(&self, request: reqwest::RequestBuilder) -> Result<Value> {
        let (status, text) = self.exchange(request)?;
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text.clone()));
        if status.is_success() {
            Ok(value)
        } else {
            Err(refusal(status, &text))
        }
    }
}

/// The hub's `{code, message}` refusal as an error.
fn refusal(status: reqwest::StatusCode, text: &str) -> anyhow::Error {
    let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let code = value.get("code").and_then(Value::as_str).unwrap_or("ERROR");
    let message = value.get("message").and_then(Value::as_str).unwrap_or(text);
    Refused {
        status: status.as_u16(),
        code: code.to_owned(),
        message: message.to_owned(),
    }
    .into()
}
