//! The one HTTP client of the hub's wallet API (`/wallet/v1`): the wallet reaches the hub only
//! through here, exactly as it would reach a remote one.

use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::WalletError;

/// What a call sends.
pub(crate) enum Body<'a> {
    /// Nothing.
    Empty,
    /// A JSON document.
    Json(serde_json::Value),
    /// Raw bytes with their content type.
    Bytes(&'a [u8], &'static str),
}

/// Why a call did not succeed.
#[derive(Debug)]
pub(crate) enum CallError {
    /// No HTTP answer at all.
    Unreachable {
        /// The hub URL.
        url: String,
        /// What the network said.
        reason: String,
    },
    /// The hub answered with an error status.
    Refused {
        /// HTTP status.
        status: u16,
        /// The hub's `code`.
        code: String,
        /// The hub's `message`.
        message: String,
    },
}

impl CallError {
    /// True for a permanent refusal (4xx other than 401, 408 and 429): retrying cannot help.
    pub(crate) fn is_permanent(&self) -> bool {
        matches!(self, CallError::Refused { status, .. }
            if (400..500).contains(status) && ![401, 408, 429].contains(status))
    }

    /// The refusal's words, or the network's.
    pub(crate) fn describe(&self) -> String {
        WalletError::from(self.clone_shallow()).to_string()
    }

    fn clone_shallow(&self) -> CallError {
        match self {
            CallError::Unreachable { url, reason } => CallError::Unreachable {
                url: url.clone(),
                reason: reason.clone(),
            },
            CallError::Refused {
                status,
                code,
                message,
            } => CallError::Refused {
                status: *status,
                code: code.clone(),
                message: message.clone(),
            },
        }
    }
}

impl From<CallError> for WalletError {
    /// The generic mapping; sign-in maps 401 itself.
    fn from(error: CallError) -> WalletError {
        match error {
            CallError::Unreachable { url, reason } => WalletError::HubUnreachable { url, reason },
            CallError::Refused {
                status: 401,
                message,
                ..
            } => WalletError::SessionExpired { reason: message },
            CallError::Refused {
                status: 404,
                message,
                ..
            } => WalletError::NotFound(
                message
                    .strip_suffix(" not found")
                    .unwrap_or(&message)
                    .to_owned(),
            ),
            CallError::Refused {
                status: 409,
                code,
                message,
            } if code == "WALLET_LACKS_PRODUCT" => WalletError::WalletLacksProduct(message),
            CallError::Refused {
                status: 409,
                message,
                ..
            } => WalletError::Conflict(message),
            CallError::Refused {
                status,
                code,
                message,
            } if status == 422 || code == "INVALID_INPUT" => match message.split_once(": ") {
                Some((field, text)) if !field.contains(' ') => WalletError::InvalidInput {
                    field: field.to_owned(),
                    message: text.to_owned(),
                },
                _ => WalletError::InvalidInput {
                    field: "body".to_owned(),
                    message,
                },
            },
            CallError::Refused {
                status,
                code,
                message,
            } => WalletError::Hub {
                status,
                code,
                message,
            },
        }
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    message: String,
}

/// The client, sharing one connection pool.
#[derive(Debug, Clone)]
pub(crate) struct HubClient {
    http: reqwest::Client,
    timeout: Duration,
}

/// The user agent of the wallet's own calls to the hub.
const CLIENT_AGENT: &str = concat!("LinkerWallet/", env!("CARGO_PKG_VERSION"));

impl HubClient {
    /// A client whose calls give up after `timeout` (event streams excepted).
    pub(crate) fn new(timeout: Duration) -> HubClient {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .user_agent(CLIENT_AGENT)
            .build()
            .unwrap_or_default();
        HubClient { http, timeout }
    }

    fn url(base: &str, path: &str) -> String {
        format!("{}/wallet/v1{path}", base.trim_end_matches('/'))
    }

    /// Sends a request and returns the answer when its status is a success.
    pub(crate) async fn send(
        &self,
        base: &str,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Body<'_>,
        stream: Option<Option<u32>>,
    ) -> Result<reqwest::Response, CallError> {
        let mut request = self.http.request(method, Self::url(base, path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request = match body {
            Body::Empty => request,
            Body::Json(value) => request.json(&value),
            Body::Bytes(bytes, content_type) => request
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(bytes.to_vec()),
        };
        match stream {
            // An event stream lives as long as the run; only connecting is bounded.
            Some(last_event_id) => {
                request = request.header(reqwest::header::ACCEPT, "text/event-stream");
                if let Some(id) = last_event_id {
                    request = request.header("last-event-id", id.to_string());
                }
            }
            None => request = request.timeout(self.timeout),
        }
        let unreachable = |error: reqwest::Error| CallError::Unreachable {
            url: base.to_owned(),
            reason: plain_network_error(&error),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let bytes = response.bytes().await.map_err(unreachable)?;
        let (code, message) = match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => (body.code, body.message),
            Err(_) => (
                "HTTP_ERROR".to_owned(),
                format!(
                    "HTTP {}: {}",
                    status.as_u16(),
                    String::from_utf8_lossy(&bytes)
                        .chars()
                        .take(200)
                        .collect::<String>()
                ),
            ),
        };
        Err(CallError::Refused {
            status: status.as_u16(),
            code,
            message,
        })
    }

    /// A JSON call answered with JSON.
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        base: &str,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Body<'_>,
    ) -> Result<T, CallError> {
        let response = self.send(base, method, path, token, body, None).await?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|error| CallError::Unreachable {
                url: base.to_owned(),
                reason: plain_network_error(&error),
            })?;
        serde_json::from_slice(&bytes).map_err(|error| CallError::Refused {
            status,
            code: "BAD_ANSWER".to_owned(),
            message: format!("the hub's answer to {path} could not be read: {error}"),
        })
    }

    /// A call whose answer has no body worth reading.
    pub(crate) async fn empty(
        &self,
        base: &str,
        method: Method,
        path: &str,
        token: Option<&str>,
    ) -> Result<(), CallError> {
        self.send(base, method, path, token, Body::Empty, None)
            .await
            .map(|_| ())
    }
}

/// What a network failure was, in words.
fn plain_network_error(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        "no answer in time".to_owned()
    } else if error.is_connect() {
        "connection refused or no route".to_owned()
    } else {
        "the connection failed".to_owned()
    };
    let mut source = std::error::Error::source(error);
    let mut last = None;
    while let Some(cause) = source {
        last = Some(cause.to_string());
        source = cause.source();
    }
    if let Some(cause) = last {
        text.push_str(": ");
        text.push_str(&cause);
    }
    text
}
