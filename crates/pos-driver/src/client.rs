//! [`PosDriverClient`]: calls a POS driver over HTTP, one async method per action.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::messages::{
    AccountAnswer, AmountRequest, BindAnswer, CancelRequest, Capabilities, CashierAnswer,
    ChargeRequest, DisplayAnswer, EmptyAnswer, EntryCodeAnswer, ErrorBody, ErrorCode,
    OrderCodeAnswer, PaymentAnswer, PrivateOrderCodeAnswer, RefundAnswer, RefundRequest,
    RunRequest,
};

/// How long the client waits for a driver's answer.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Why a POS driver call did not give an answer.
#[derive(Debug, thiserror::Error)]
pub enum PosDriverError {
    /// The driver answered with a protocol error.
    #[error("the POS driver answered {code} (HTTP {status}): {message}")]
    Driver {
        /// The HTTP status.
        status: u16,
        /// The protocol's error code.
        code: ErrorCode,
        /// The driver's message.
        message: String,
    },
    /// The driver could not be reached: connection refused, timeout, broken connection.
    #[error("the POS driver at {url} is unreachable: {reason}")]
    Unreachable {
        /// The URL called.
        url: String,
        /// What happened.
        reason: String,
    },
    /// The driver answered, but not in the POS driver protocol.
    #[error(
        "the POS driver at {url} answered something that is not the POS driver protocol: {what}"
    )]
    NotProtocol {
        /// The URL called.
        url: String,
        /// What was wrong with the answer.
        what: String,
    },
    /// The base URL given is not an `http://` or `https://` URL.
    #[error("not a POS driver base URL (expected http:// or https://): {0}")]
    BadBaseUrl(String),
}

impl PosDriverError {
    /// The protocol error code when the driver answered one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            PosDriverError::Driver { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// A client of one POS driver.
#[derive(Debug, Clone)]
pub struct PosDriverClient {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

fn cut(text: &str) -> String {
    let mut out: String = text.chars().take(200).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

impl PosDriverClient {
    /// A client for the driver at `base_url` (e.g. `http://127.0.0.1:7070`, without `/pos/v1`),
    /// sending `Authorization: Bearer <token>` when a token is given; waits at most 30 s.
    pub fn new(base_url: &str, token: Option<String>) -> Result<PosDriverClient, PosDriverError> {
        PosDriverClient::with_timeout(base_url, token, TIMEOUT)
    }

    /// Like [`PosDriverClient::new`] with another timeout.
    pub fn with_timeout(
        base_url: &str,
        token: Option<String>,
        timeout: Duration,
    ) -> Result<PosDriverClient, PosDriverError> {
        let base = base_url.trim().trim_end_matches('/');
        let base = base.strip_suffix(crate::BASE_PATH).unwrap_or(base);
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(PosDriverError::BadBaseUrl(base_url.to_owned()));
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| PosDriverError::BadBaseUrl(format!("{base_url}: {e}")))?;
        Ok(PosDriverClient {
            base: base.to_owned(),
            token,
            http,
        })
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `GET /pos/v1/capabilities`.
    pub async fn capabilities(&self) -> Result<Capabilities, PosDriverError> {
        self.get("/pos/v1/capabilities", &[]).await
    }

    /// `POST /pos/v1/charge`: charge the customer's payment code (UPM).
    pub async fn charge(&self, request: &ChargeRequest) -> Result<PaymentAnswer, PosDriverError> {
        self.post("/pos/v1/charge", request).await
    }

    /// `POST /pos/v1/order-code`: show an Alipay+ order code.
    pub async fn order_code(
        &self,
        request: &AmountRequest,
    ) -> Result<OrderCodeAnswer, PosDriverError> {
        self.post("/pos/v1/order-code", request).await
    }

    /// `POST /pos/v1/private-order-code`: show the ACQP's own order code.
    pub async fn private_order_code(
        &self,
        request: &AmountRequest,
    ) -> Result<PrivateOrderCodeAnswer, PosDriverError> {
        self.post("/pos/v1/private-order-code", request).await
    }

    /// `POST /pos/v1/entry-code`: the merchant's static entry code.
    pub async fn entry_code(
        &self,
        request: &RunRequest,
    ) -> Result<EntryCodeAnswer, PosDriverError> {
        self.post("/pos/v1/entry-code", request).await
    }

    /// `POST /pos/v1/cashier`: start an online checkout.
    pub async fn cashier(&self, request: &AmountRequest) -> Result<CashierAnswer, PosDriverError> {
        self.post("/pos/v1/cashier", request).await
    }

    /// `POST /pos/v1/bind`: start an Auto Debit authorization.
    pub async fn bind(&self, request: &RunRequest) -> Result<BindAnswer, PosDriverError> {
        self.post("/pos/v1/bind", request).await
    }

    /// `POST /pos/v1/debit`: debit with the bound token.
    pub async fn debit(&self, request: &AmountRequest) -> Result<PaymentAnswer, PosDriverError> {
        self.post("/pos/v1/debit", request).await
    }

    /// `POST /pos/v1/unbind`: end the Auto Debit authorization.
    pub async fn unbind(&self, request: &RunRequest) -> Result<EmptyAnswer, PosDriverError> {
        self.post("/pos/v1/unbind", request).await
    }

    /// `GET /pos/v1/account`: whether an Auto Debit wallet is linked, as the merchant's site
    /// shows it (optional: only when capabilities say `account: true`).
    pub async fn account(&self) -> Result<AccountAnswer, PosDriverError> {
        self.get("/pos/v1/account", &[]).await
    }

    /// `POST /pos/v1/refund`: refund all or part of a payment.
    pub async fn refund(&self, request: &RefundRequest) -> Result<RefundAnswer, PosDriverError> {
        self.post("/pos/v1/refund", request).await
    }

    /// `POST /pos/v1/cancel`: void a payment.
    pub async fn cancel(&self, request: &CancelRequest) -> Result<EmptyAnswer, PosDriverError> {
        self.post("/pos/v1/cancel", request).await
    }

    /// `GET /pos/v1/display?posPaymentId=...`: what the terminal shows for a payment.
    pub async fn display(&self, pos_payment_id: &str) -> Result<DisplayAnswer, PosDriverError> {
        self.get("/pos/v1/display", &[("posPaymentId", pos_payment_id)])
            .await
    }

    /// `GET /pos/v1/display?paymentRequestId=...`: what the terminal shows for the sale whose
    /// Alipay+ `paymentRequestId` this is (for sales the POS did not start, e.g. an entry-code
    /// payment the customer made on the merchant's page).
    pub async fn display_by_payment_request_id(
        &self,
        payment_request_id: &str,
    ) -> Result<DisplayAnswer, PosDriverError> {
        self.get(
            "/pos/v1/display",
            &[("paymentRequestId", payment_request_id)],
        )
        .await
    }

    async fn get<A: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<A, PosDriverError> {
        let mut url = format!("{}{path}", self.base);
        for (i, (name, value)) in query.iter().enumerate() {
            let value =
                percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC);
            url.push_str(&format!("{}{name}={value}", if i == 0 { '?' } else { '&' }));
        }
        let request = self.http.get(&url);
        self.send(url, request).await
    }

    async fn post<R: Serialize, A: DeserializeOwned>(
        &self,
        path: &str,
        body: &R,
    ) -> Result<A, PosDriverError> {
        let url = format!("{}{path}", self.base);
        let request = self.http.post(&url).json(body);
        self.send(url, request).await
    }

    async fn send<A: DeserializeOwned>(
        &self,
        url: String,
        mut request: reqwest::RequestBuilder,
    ) -> Result<A, PosDriverError> {
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| {
            if e.is_connect() || e.is_timeout() || e.is_request() {
                PosDriverError::Unreachable {
                    url: url.clone(),
                    reason: e.to_string(),
                }
            } else {
                PosDriverError::NotProtocol {
                    url: url.clone(),
                    what: e.to_string(),
                }
            }
        })?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(|e| {
            if e.is_timeout() {
                PosDriverError::Unreachable {
                    url: url.clone(),
                    reason: e.to_string(),
                }
            } else {
                PosDriverError::NotProtocol {
                    url: url.clone(),
                    what: format!("the body could not be read: {e}"),
                }
            }
        })?;
        let text = String::from_utf8_lossy(&bytes);
        if status == 200 {
            return serde_json::from_slice::<A>(&bytes).map_err(|e| PosDriverError::NotProtocol {
                url,
                what: format!(
                    "HTTP 200 with a body that is not the expected answer ({e}): {}",
                    cut(&text)
                ),
            });
        }
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => Err(PosDriverError::Driver {
                status,
                code: body.error.code,
                message: body.error.message,
            }),
            Err(_) => Err(PosDriverError::NotProtocol {
                url,
                what: format!(
                    "HTTP {status} without a {{\"error\": {{\"code\", \"message\"}}}} body: {}",
                    cut(&text)
                ),
            }),
        }
    }
}
