//! iNotify and "check my setup": one signed test notifyPayment, sent now to the project's notify
//! URL (or another URL the TSP names), and a plain verdict on the reply: was it an HTTP 200,
//! signed with the ACQP's key, and `SUCCESS`/`S`? The call is logged in the request log like any
//! callback; it belongs to no run and is never retried.

use linker_aplus::message::NotifyPaymentRequest;
use linker_aplus::time::format_wire_time;
use linker_aplus::{Amount, ApiResult, ResultCode};
use serde::Serialize;

use crate::Hub;
use crate::callbacks::{AttemptVerdict, ReplySignature, judge_reply};
use crate::domain::payments::{TEST_WALLET, TEST_WALLET_PSP_ID};
use crate::error::HubError;
use linker_aplus::time::beijing;

/// What to send.
#[derive(Debug, Clone, Default)]
pub struct TestNotification {
    /// Where to (the project's notify URL when absent).
    pub url: Option<String>,
    /// A successful payment (true) or a failed one.
    pub success: bool,
    /// The amount, e.g. `HKD` and `1000` minor units (HKD 10.00 when absent).
    pub amount: Option<(String, String)>,
}

/// An amount as the admin API takes it: `{"currency": "HKD", "value": "1000"}` (minor units).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestAmount {
    /// ISO 4217 alpha-3.
    pub currency: String,
    /// Minor units, as text.
    pub value: String,
}

/// What the ACQP's endpoint did with it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationCheck {
    /// Where it went.
    pub url: String,
    /// The headers sent.
    pub request_headers: Vec<(String, String)>,
    /// The body sent.
    pub request_body: String,
    /// The reply's headers.
    pub response_headers: Vec<(String, String)>,
    /// The verdict on the reply.
    pub verdict: AttemptVerdict,
    /// How long the reply took, ms.
    pub latency_ms: u64,
}

impl Hub {
    /// Sends one signed test notifyPayment and judges the reply.
    pub async fn send_test_notification(
        &self,
        project_id: &str,
        test: TestNotification,
    ) -> Result<NotificationCheck, HubError> {
        let project = self.project(project_id)?;
        let url = match test.url.filter(|u| !u.trim().is_empty()) {
            Some(url) => crate::domain::projects::callback_url("url", Some(url))?
                .ok_or_else(|| HubError::invalid("url", "give the URL to notify"))?,
            None => project.notify_url.clone().ok_or_else(|| {
                HubError::invalid(
                    "url",
                    "this project has no notify URL: set one in the project settings, or give a URL",
                )
            })?,
        };
        let amount = match &test.amount {
            Some((currency, value)) => Amount::parse(currency.trim(), value.trim())
                .map_err(|e| HubError::invalid("amount", e.to_string()))?,
            None => Amount::parse("HKD", "1000")
                .map_err(|e| HubError::Internal(format!("the default amount: {e}")))?,
        };
        let now = self.clock.now();
        let request = NotifyPaymentRequest {
            acquirer_id: project.acquirer_id.clone(),
            psp_id: TEST_WALLET_PSP_ID.to_owned(),
            payment_result: if test.success {
                ApiResult::success()
            } else {
                ApiResult::failure(
                    ResultCode::parse("USER_BALANCE_NOT_ENOUGH"),
                    "test notification of a failed payment",
                )
            },
            payment_request_id: format!("LINKER_TEST_{}", self.ids.digits(16)),
            payment_id: format!("2099{}", self.ids.digits(20)),
            payment_amount: amount,
            payment_time: test
                .success
                .then(|| format_wire_time(&now.with_timezone(&beijing()))),
            customer_id: None,
            wallet_brand_name: Some(TEST_WALLET.to_owned()),
        };
        let body = serde_json::to_string(&request)
            .map_err(|e| HubError::Internal(format!("notifyPayment body: {e}")))?;
        let sent = self.call_acqp(&project, &url, &body, false).await?;
        let verdict = match (sent.http_status, &sent.reply) {
            (Some(status), Some(reply)) => {
                judge_reply(&project, &sent.path, status, &sent.response_headers, reply)
            }
            _ => AttemptVerdict {
                http_status: None,
                reply: None,
                reply_signature: ReplySignature::missing(),
                acknowledged: false,
                problem: sent.error.clone(),
            },
        };
        self.log_outbound(
            &project,
            "notifyPayment",
            &sent,
            &verdict.reply_signature,
            false,
            None,
        )?;
        Ok(NotificationCheck {
            url,
            request_headers: sent.request_headers.clone(),
            request_body: sent.body.clone(),
            response_headers: sent.response_headers.clone(),
            verdict,
            latency_ms: u64::try_from(sent.latency.as_millis()).unwrap_or(u64::MAX),
        })
    }
}
