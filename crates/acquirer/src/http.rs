//! The acquirer's HTTP server: the POS page and its JSON API, the POS driver protocol under
//! `/pos/v1`, the Alipay+ callbacks under `/aplus/...`, and the merchant's entry-code page.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use linker_aplus::message::{
    AuthNotifyRequest, NotifyAck, NotifyPaymentRequest, UserInitiatedPayRequest,
};
use linker_aplus::signature::SignedContent;
use linker_aplus::time::format_wire_time;
use linker_aplus::{Amount, ApiResult, ResultCode, Signer, Verifier};
use linker_pos_driver as driver;
use linker_pos_driver::{DisplayAnswer, DisplayState, ErrorBody, ErrorCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::backend::{Backend, PosError};
use crate::config::Fault;
use crate::store::PosPayment;

/// Shared state of the handlers.
pub(crate) struct AppState {
    pub backend: Arc<Backend>,
    pub signer: Signer,
    pub verifier: Verifier,
    pub pos_driver_token: Option<String>,
    pub entry_code_url: String,
    /// A link that opens the customer's wallet on a phone (the demo's), shown as a QR code.
    pub wallet_link: Arc<std::sync::Mutex<Option<String>>>,
}

pub(crate) type Shared = State<Arc<AppState>>;

pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/pos") }))
        .route("/health", get(|| async { "ok" }))
        .route("/pos", get(|| async { Html(crate::page::POS_PAGE) }))
        .route("/pos/api/state", get(pos_state))
        .route("/pos/api/charge", post(pos_charge))
        .route("/pos/api/decode", post(pos_decode))
        .route("/pos/api/charge-from-screen", post(pos_charge_from_screen))
        .route("/pos/api/order-code", post(pos_order_code))
        .route("/pos/api/private-order-code", post(pos_private_order_code))
        .route("/pos/api/qr.png", get(qr_png))
        .route("/pos/api/payments/{id}", get(pos_payment))
        .route("/pos/api/payments/{id}/cancel", post(pos_cancel))
        .route("/pos/api/payments/{id}/refund", post(pos_refund))
        .route("/pos/v1/capabilities", get(driver_capabilities))
        .route("/pos/v1/charge", post(driver_charge))
        .route("/pos/v1/order-code", post(driver_order_code))
        .route(
            "/pos/v1/private-order-code",
            post(driver_private_order_code),
        )
        .route("/pos/v1/entry-code", post(driver_entry_code))
        .route("/pos/v1/cashier", post(driver_cashier))
        .route("/pos/v1/bind", post(driver_bind))
        .route("/pos/v1/debit", post(driver_debit))
        .route("/pos/v1/unbind", post(driver_unbind))
        .route("/pos/v1/account", get(driver_account))
        .route("/pos/v1/refund", post(driver_refund))
        .route("/pos/v1/cancel", post(driver_cancel))
        .route("/pos/v1/display", get(driver_display))
        .route("/aplus/notifyPayment", post(notify_payment))
        .route("/aplus/userInitiatedPay", post(user_initiated_pay))
        .route("/aplus/authNotify", post(auth_notify))
        .route("/entry", get(entry_page).post(entry_submit))
        .merge(crate::shop::routes())
        .with_state(state)
}

// ---- errors ----

fn error_response(code: ErrorCode, message: impl Into<String>) -> Response {
    let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::BAD_GATEWAY);
    (status, axum::Json(ErrorBody::new(code, message))).into_response()
}

impl IntoResponse for PosError {
    fn into_response(self) -> Response {
        match self {
            PosError::BadRequest(m) => error_response(ErrorCode::BadRequest, m),
            PosError::NotFound(m) => error_response(ErrorCode::NotFound, m),
            PosError::Unsupported(m) => error_response(ErrorCode::Unsupported, m),
            PosError::Backend(m) => error_response(ErrorCode::BackendError, m),
        }
    }
}

pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, PosError> {
    serde_json::from_slice(body).map_err(|e| PosError::BadRequest(format!("bad request body: {e}")))
}

/// The refusal for a POS driver call without the required token, if any.
fn refused(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let token = state.pos_driver_token.as_ref()?;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if given == Some(token.as_str()) {
        None
    } else {
        Some(
            (
                StatusCode::UNAUTHORIZED,
                axum::Json(ErrorBody::new(
                    ErrorCode::BadRequest,
                    "this POS driver needs Authorization: Bearer <token>",
                )),
            )
                .into_response(),
        )
    }
}

// ---- what the terminal shows ----

/// What the terminal shows for a payment and its refunds (oldest first).
pub(crate) fn display(payment: &PosPayment, refunds: &[crate::PosRefund]) -> DisplayAnswer {
    let amount = payment.amount;
    let base = match payment.state {
        DisplayState::Waiting => format!("{amount}: {}", payment.message),
        DisplayState::Paid => format!("Paid {amount}"),
        DisplayState::Failed => format!(
            "Payment failed: {}{}",
            payment.reason.as_deref().unwrap_or("UNKNOWN"),
            if payment.message.is_empty() {
                String::new()
            } else {
                format!(" ({})", payment.message)
            }
        ),
        DisplayState::Cancelled => format!("Not paid: cancelled ({})", payment.message),
        DisplayState::Refunded => format!("Refunded {amount}"),
        DisplayState::PartiallyRefunded => payment.message.clone(),
    };
    let text = match (&payment.busy, payment.state) {
        (Some(_), _) => format!("{base} — {}", payment.message),
        (None, DisplayState::Paid) if !payment.message.starts_with("Paid") => {
            format!("{base} — {}", payment.message)
        }
        _ => base,
    };
    DisplayAnswer {
        state: payment.state,
        reason: match payment.state {
            DisplayState::Failed | DisplayState::Cancelled => payment.reason.clone(),
            // The sale stands, but the last refund was refused: its result code is the reason
            // on the screen ("refund refused: REFUND_AMOUNT_EXCEED").
            _ => refunds
                .last()
                .filter(|refund| refund.state == "failed")
                .and_then(|refund| refund.reason.clone()),
        },
        text,
    }
}

pub(crate) fn payment_view(state: &AppState, payment: &PosPayment) -> serde_json::Value {
    let refunds = state
        .backend
        .store
        .refunds(&payment.pos_payment_id)
        .unwrap_or_default();
    json!({
        "payment": payment,
        "display": display(payment, &refunds),
        "refunds": refunds,
    })
}

// ---- POS page API ----

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PageAmount {
    pub(crate) amount: String,
    #[serde(default)]
    payment_code: Option<String>,
}

pub(crate) fn page_amount(state: &AppState, text: &str) -> Result<Amount, PosError> {
    let currency = state.backend.currency;
    Amount::from_major(currency.code(), text.trim()).map_err(|e| {
        PosError::BadRequest(format!(
            "{text:?} is not an amount in {} ({e})",
            currency.code()
        ))
    })
}

async fn pos_state(State(state): Shared) -> Response {
    let payments = state.backend.store.payments(50).unwrap_or_default();
    let views: Vec<_> = payments.iter().map(|p| payment_view(&state, p)).collect();
    axum::Json(json!({
        "merchant": state.backend.merchant.name,
        "store": state.backend.merchant.store_name,
        "currency": state.backend.currency.code(),
        "minorDigits": state.backend.currency.minor_digits(),
        "entryCodeUrl": state.entry_code_url,
        "walletLink": state
            .wallet_link
            .lock()
            .map(|link| link.clone())
            .unwrap_or_default(),
        "faults": state.backend.faults.iter().map(|f| f.name()).collect::<Vec<_>>(),
        "payments": views,
    }))
    .into_response()
}

async fn pos_charge(State(state): Shared, body: Bytes) -> Result<Response, PosError> {
    let request: PageAmount = parse_json(&body)?;
    let amount = page_amount(&state, &request.amount)?;
    let code = request
        .payment_code
        .ok_or_else(|| PosError::BadRequest("scan or type the customer's payment code".into()))?;
    let payment = state.backend.charge(amount, &code, None)?;
    Ok(axum::Json(payment_view(&state, &payment)).into_response())
}

async fn pos_decode(body: Bytes) -> Result<Response, PosError> {
    let found = tokio::task::spawn_blocking(move || linker_scan::decode(&body))
        .await
        .map_err(|e| PosError::Backend(format!("the decoder stopped: {e}")))?
        .map_err(|e| PosError::BadRequest(format!("not an image the POS can read: {e}")))?;
    let codes: Vec<String> = found.into_iter().map(|d| d.text).collect();
    Ok(axum::Json(json!({ "codes": codes })).into_response())
}

/// The POS reads the customer's payment code off the screen (a wallet window on the same
/// desktop) and charges it.
async fn pos_charge_from_screen(State(state): Shared, body: Bytes) -> Result<Response, PosError> {
    let request: PageAmount = parse_json(&body)?;
    let amount = page_amount(&state, &request.amount)?;
    let codes = tokio::task::spawn_blocking(crate::screen::codes_on_screen)
        .await
        .map_err(|e| PosError::Backend(format!("the screen reader stopped: {e}")))?
        .map_err(|e| PosError::BadRequest(e.to_string()))?;
    let code = crate::screen::payment_code_among(&codes).ok_or_else(|| {
        PosError::BadRequest(format!(
            "no payment code on the screen (read {}): show the wallet's payment code first",
            codes.join(", ")
        ))
    })?;
    let payment = state.backend.charge(amount, code, None)?;
    Ok(axum::Json(payment_view(&state, &payment)).into_response())
}

async fn pos_order_code(State(state): Shared, body: Bytes) -> Result<Response, PosError> {
    let request: PageAmount = parse_json(&body)?;
    let amount = page_amount(&state, &request.amount)?;
    let payment = state.backend.order_code(amount, None).await?;
    Ok(axum::Json(payment_view(&state, &payment)).into_response())
}

async fn pos_private_order_code(State(state): Shared, body: Bytes) -> Result<Response, PosError> {
    let request: PageAmount = parse_json(&body)?;
    let amount = page_amount(&state, &request.amount)?;
    let payment = state.backend.private_order_code(amount, None)?;
    Ok(axum::Json(payment_view(&state, &payment)).into_response())
}

#[derive(Deserialize)]
struct QrQuery {
    text: String,
}

async fn qr_png(Query(query): Query<QrQuery>) -> Result<Response, PosError> {
    let png = linker_scan::text_qr(&query.text, &linker_scan::QrOptions::default())
        .and_then(|code| code.to_png())
        .map_err(|e| PosError::BadRequest(format!("cannot draw that as a QR code: {e}")))?;
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static("image/png"))],
        png,
    )
        .into_response())
}

async fn pos_payment(State(state): Shared, Path(id): Path<String>) -> Result<Response, PosError> {
    let payment = state.backend.payment(&id)?;
    Ok(axum::Json(payment_view(&state, &payment)).into_response())
}

async fn pos_cancel(State(state): Shared, Path(id): Path<String>) -> Result<Response, PosError> {
    let payment = state.backend.cancel(&id)?;
    Ok(axum::Json(payment_view(&state, &payment)).into_response())
}

async fn pos_refund(
    State(state): Shared,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PosError> {
    let request: PageAmount = parse_json(&body)?;
    let amount = page_amount(&state, &request.amount)?;
    state.backend.refund(&id, amount)?;
    let payment = state.backend.payment(&id)?;
    Ok(axum::Json(payment_view(&state, &payment)).into_response())
}

// ---- POS driver ----

async fn driver_capabilities(State(state): Shared, headers: HeaderMap) -> Response {
    if let Some(denied) = refused(&state, &headers) {
        return denied;
    }
    axum::Json(driver::Capabilities {
        name: "linker-acquirer".to_owned(),
        version: driver::VERSION.to_owned(),
        products: vec![
            driver::Product::Upm,
            driver::Product::OrderCode,
            driver::Product::PrivateOrderCode,
            driver::Product::EntryCode,
            driver::Product::Cashier,
            driver::Product::AutoDebit,
        ],
        currencies: vec![state.backend.currency.code().to_owned()],
        display: true,
        account: true,
        display_by_payment_request_id: true,
    })
    .into_response()
}

async fn driver_charge(State(state): Shared, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(denied) = refused(&state, &headers) {
        return denied;
    }
    let answer = parse_json::<driver::ChargeRequest>(&body).and_then(|r| {
        state
            .backend
            .charge(r.amount, &r.payment_code, Some((&r.run_id, &r.case_id)))
    });
    match answer {
        Ok(p) => axum::Json(driver::PaymentAnswer {
            pos_payment_id: p.pos_payment_id,
        })
        .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn driver_order_code(State(state): Shared, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(denied) = refused(&state, &headers) {
        return denied;
    }
    let request = match parse_json::<driver::AmountRequest>(&body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    match state
        .backend
        .order_code(request.amount, Some((&request.run_id, &request.case_id)))
        .await
    {
        Ok(p) => axum::Json(driver::OrderCodeAnswer {
            pos_payment_id: p.pos_payment_id,
            code_value: p.code_value.unwrap_or_default(),
            expire_time: p.expire_time,
        })
        .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn driver_private_order_code(
    State(state): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(denied) = refused(&state, &headers) {
        return denied;
    }
    let answer = parse_json::<driver::AmountRequest>(&body).and_then(|r| {
        state
            .backend
            .private_order_code(r.amount, Some((&r.run_id, &r.case_id)))
    });
    match answer {
        Ok(p) => axum::Json(driver::PrivateOrderCodeAnswer {
            pos_payment_id: p.pos_payment_id,
            code_value: p.code_value.unwrap_or_default(),
        })
        .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn driver_entry_code(State(state): Shared, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(denied) = refused(&state, &headers) {
        return denied;
    }
    if let Err(e) = parse_json::<driver::RunRequest>(&body) {
        return e.into_response();
    }
    axum::Json(driver::EntryCodeAnswer {
        code_value: state.entry_code_url.clone(),
    })
    .into_response()
}

async fn driver_cashier(State(state): Shared, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(denied) = refused(&state, &headers) {
        return denied;
    }
    let request = match parse_json::<driver::AmountRequest>(&body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let run = Some((request.run_id.as_str(), request.case_id.as_str()));
    match state
        .backend
        .checkout(request.amount, "Online order", None, None, run)
        .await
    {
        Ok(p) => match p.payment_url {
            Some(payment_url) => axum::Json(driver::CashierAnswer {
                pos_payment_id: p.pos_payment_id,
                payment_url,
            })
            .into_response(),
            None => error_response(
                ErrorCode::BackendError,
                format!(
                    "the order {} has no payment page ({})",
                    p.pos_payment_id, p.message
                ),
            ),
        },
        Err(e) => e.into_response(),
    }
}

async fn driver_bind(State(state): Shared, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(denied) = refused(&state, &headers) {
        return denied;
    }
    let request = match parse_json::<driver::RunRequest>(&body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    match state
        .backend
        .bind(Some((&request.run_id, &request.case_id)))
        .await
    {
        Ok(binding) => axum::Json(driver::BindAnswer {
            auth_url: binding.auth_url,
        })
        .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn driver_debit(State(state): Shared, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(denied) = refused(&state, &headers) {
        return denied;
    }
    match parse_json::<driver::AmountRequest>(&body)
        .and_then(|r| state.backend.debit(r.amount, Some((&r.run_id, &r.case_id))))
    {
        Ok(p) => axum::Json(driver::PaymentAnswer {
            pos_payment_id: p.pos_payment_id,
        })
        .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn driver_unbind(State(state): Shared, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(denied) = refused(&state, &headers) {
        return denied;
    }
    match parse_json::<driver::RunRequest>(&body).and_then(|_| state.backend.unbind()) {
        Ok(()) => axum::Json(driver::EmptyAnswer {}).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn driver_account(State(state): Shared, headers: HeaderMap) -> Response {
    if let Some(denied) = refused(&state, &headers) {
        return denied;
    }
    match state.backend.account() {
        Ok(view) => axum::Json(driver::AccountAnswer {
            linked: view.linked,
            text: view.text,
        })
        .into_response(),
        Err(e) => PosError::from(e).into_response(),
    }
}

async fn driver_refund(State(state): Shared, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(denied) = refused(&state, &headers) {
        return denied;
    }
    match parse_json::<driver::RefundRequest>(&body)
        .and_then(|r| state.backend.refund(&r.pos_payment_id, r.amount))
    {
        Ok(pos_refund_id) => axum::Json(driver::RefundAnswer { pos_refund_id }).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn driver_cancel(State(state): Shared, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(denied) = refused(&state, &headers) {
        return denied;
    }
    match parse_json::<driver::CancelRequest>(&body)
        .and_then(|r| state.backend.cancel(&r.pos_payment_id))
    {
        Ok(_) => axum::Json(driver::EmptyAnswer {}).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DisplayQuery {
    pos_payment_id: Option<String>,
    payment_request_id: Option<String>,
}

async fn driver_display(
    State(state): Shared,
    headers: HeaderMap,
    Query(query): Query<DisplayQuery>,
) -> Response {
    if let Some(denied) = refused(&state, &headers) {
        return denied;
    }
    let found = match (query.pos_payment_id, query.payment_request_id) {
        (Some(id), _) => state.backend.payment(&id),
        // A sale the POS did not start itself (an entry-code payment the customer made on
        // the merchant's page) is found by the paymentRequestId the backend sent to Alipay+.
        (None, Some(request_id)) => state.backend.payment_by_request_id(&request_id),
        (None, None) => {
            return error_response(
                ErrorCode::BadRequest,
                "posPaymentId (or paymentRequestId) is required",
            );
        }
    };
    match found {
        Ok(payment) => {
            let refunds = state
                .backend
                .store
                .refunds(&payment.pos_payment_id)
                .unwrap_or_default();
            axum::Json(display(&payment, &refunds)).into_response()
        }
        Err(e) => e.into_response(),
    }
}

// ---- Alipay+ callbacks ----

pub(crate) fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn path_and_query(uri: &Uri) -> String {
    uri.path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned())
}

/// Verifies a callback from the hub, unless told to skip it.
fn verify_callback(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), String> {
    if state.backend.has(Fault::SkipSignatureVerification) {
        return Ok(());
    }
    let signature = header_text(headers, "signature");
    if signature.is_empty() {
        return Err("the callback carries no Signature header".to_owned());
    }
    let path = path_and_query(uri);
    let content = SignedContent {
        method: "POST",
        path: &path,
        client_id: header_text(headers, "client-id"),
        time: header_text(headers, "request-time"),
        body,
    };
    state
        .verifier
        .verify_header(&content, signature)
        .map_err(|e| format!("the callback's signature does not verify: {e}"))
}

/// A signed JSON reply to a callback (unsigned when `sign` is false).
fn signed_reply(state: &AppState, uri: &Uri, body: String, sign: bool) -> Response {
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=UTF-8")],
        body.clone(),
    )
        .into_response();
    if !sign {
        return response;
    }
    let time = format_wire_time(&state.backend.clock.now());
    let path = path_and_query(uri);
    match state.signer.sign("POST", &path, &time, body.as_bytes()) {
        Ok(signature) => {
            let headers = response.headers_mut();
            for (name, value) in [
                ("client-id", state.signer.client_id().to_owned()),
                ("response-time", time),
                ("signature", signature.format()),
            ] {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    headers.insert(name, value);
                }
            }
        }
        Err(error) => tracing::error!(%error, "signing a callback reply"),
    }
    response
}

fn result_body(result: ApiResult) -> String {
    serde_json::to_string(&NotifyAck { result }).unwrap_or_default()
}

async fn notify_payment(
    State(state): Shared,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(why) = verify_callback(&state, &uri, &headers, &body) {
        tracing::warn!(%why, "rejected a notifyPayment");
        let answer = result_body(ApiResult::failure(ResultCode::InvalidSignature, why));
        return signed_reply(&state, &uri, answer, true);
    }
    let notification: NotifyPaymentRequest = match serde_json::from_slice(&body) {
        Ok(n) => n,
        Err(e) => {
            let answer = result_body(ApiResult::param_illegal(format!(
                "not a notifyPayment: {e}"
            )));
            return signed_reply(&state, &uri, answer, true);
        }
    };
    let text = String::from_utf8_lossy(&body).into_owned();
    if let Err(error) = state.backend.take_notification(&notification, &text) {
        tracing::error!(%error, "recording a notification");
        let answer = result_body(ApiResult::unknown(
            ResultCode::UnknownException,
            "the notification could not be recorded; send it again",
        ));
        return signed_reply(&state, &uri, answer, true);
    }
    let sign = !state.backend.has(Fault::UnsignedNotifyAck);
    signed_reply(&state, &uri, result_body(ApiResult::success()), sign)
}

/// authNotify: AUTHCODE_CREATED makes the backend exchange the code for tokens (in the
/// background, after this ack); TOKEN_CANCELED ends the link.
async fn auth_notify(State(state): Shared, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(why) = verify_callback(&state, &uri, &headers, &body) {
        tracing::warn!(%why, "rejected an authNotify");
        let answer = result_body(ApiResult::failure(ResultCode::InvalidSignature, why));
        return signed_reply(&state, &uri, answer, true);
    }
    let notification: AuthNotifyRequest = match serde_json::from_slice(&body) {
        Ok(n) => n,
        Err(e) => {
            let answer = result_body(ApiResult::param_illegal(format!("not an authNotify: {e}")));
            return signed_reply(&state, &uri, answer, true);
        }
    };
    if let Err(error) = state.backend.auth_notify(&notification) {
        tracing::error!(%error, "recording an authNotify");
        let answer = result_body(ApiResult::unknown(
            ResultCode::UnknownException,
            "the authorization could not be recorded; send it again",
        ));
        return signed_reply(&state, &uri, answer, true);
    }
    signed_reply(&state, &uri, result_body(ApiResult::success()), true)
}

async fn user_initiated_pay(
    State(state): Shared,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(why) = verify_callback(&state, &uri, &headers, &body) {
        let answer = result_body(ApiResult::failure(ResultCode::InvalidSignature, why));
        return signed_reply(&state, &uri, answer, true);
    }
    let answer = match serde_json::from_slice::<UserInitiatedPayRequest>(&body) {
        Ok(request) => {
            serde_json::to_string(&state.backend.user_initiated_pay(&request)).unwrap_or_default()
        }
        Err(e) => result_body(ApiResult::param_illegal(format!(
            "not a userInitiatedPay: {e}"
        ))),
    };
    signed_reply(&state, &uri, answer, true)
}

// ---- entry-code page ----

fn is_wallet(headers: &HeaderMap) -> bool {
    header_text(headers, "user-agent").contains("AlipayConnect")
}

async fn entry_page(State(state): Shared, headers: HeaderMap) -> Html<String> {
    Html(crate::page::entry_page(
        &state.backend.merchant.name,
        state.backend.currency.code(),
        is_wallet(&headers),
        None,
    ))
}

fn form_value(body: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| {
            let value = value.replace('+', " ");
            percent_encoding::percent_decode_str(&value)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

async fn entry_submit(State(state): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let merchant = state.backend.merchant.name.clone();
    let currency = state.backend.currency.code();
    let page = |status: StatusCode, error: String| {
        (
            status,
            Html(crate::page::entry_page(
                &merchant,
                currency,
                is_wallet(&headers),
                Some(&error),
            )),
        )
            .into_response()
    };
    if !is_wallet(&headers) {
        return page(
            StatusCode::BAD_REQUEST,
            "Open this page by scanning the code with an Alipay+ wallet.".to_owned(),
        );
    }
    let text = form_value(&body, "amount").unwrap_or_default();
    let amount = match page_amount(&state, &text) {
        Ok(amount) => amount,
        Err(e) => return page(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let user_agent = header_text(&headers, "user-agent").to_owned();
    match state.backend.entry_pay(amount, &user_agent).await {
        Ok((_, url)) => Redirect::to(&url).into_response(),
        Err(e) => page(StatusCode::BAD_GATEWAY, e.to_string()),
    }
}
