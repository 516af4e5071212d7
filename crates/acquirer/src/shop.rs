//! The online shop's pages and their JSON API: the checkout (`/shop`), an order's return page
//! (`/shop/return/<id>`, the `paymentRedirectUrl`), and the Auto Debit account page
//! (`/shop/account`, and `/shop/account/return`, the `authRedirectUrl`). The pages show only what
//! the backend knows from Alipay+; the redirects' own parameters are never read.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::backend::{Basket, CATALOGUE, PosError};
use crate::http::{
    AppState, PageAmount, Shared, header_text, page_amount, parse_json, payment_view,
};
use crate::store::PaymentKind;

/// How long the return page waits for its inquiry before showing what is known.
const RETURN_INQUIRY_WAIT: Duration = Duration::from_secs(2);

/// The shop's routes (state applied by the caller).
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/shop", get(|| async { Html(crate::shop_page::SHOP_PAGE) }))
        .route("/shop/return/{id}", get(return_page))
        .route(
            "/shop/account",
            get(|| async { Html(crate::shop_page::ACCOUNT_PAGE) }),
        )
        .route(
            "/shop/account/return",
            get(|| async { Html(crate::shop_page::ACCOUNT_PAGE) }),
        )
        .route("/shop/api/catalogue", get(catalogue))
        .route("/shop/api/options", post(options))
        .route("/shop/api/checkout", post(checkout))
        .route("/shop/api/orders/{id}", get(order))
        .route("/shop/api/account", get(account))
        .route("/shop/api/account/link", post(link))
        .route("/shop/api/account/charge", post(charge))
        .route("/shop/api/account/unlink", post(unlink))
}

fn user_agent(headers: &HeaderMap) -> Option<&str> {
    Some(header_text(headers, "user-agent")).filter(|ua| !ua.is_empty())
}

async fn catalogue(State(state): Shared) -> Response {
    let currency = state.backend.currency;
    axum::Json(json!({
        "merchant": state.backend.merchant.name,
        "currency": currency.code(),
        "minorDigits": currency.minor_digits(),
        "items": CATALOGUE,
        "faults": state.backend.faults.iter().map(|f| f.name()).collect::<Vec<_>>(),
    }))
    .into_response()
}

/// The basket's total and the wallets `consultPayment` offers for it.
async fn options(State(state): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let answer = async {
        let basket: Basket = parse_json(&body)?;
        let (total, description) = basket.total(&state.backend)?;
        let consulted = state.backend.consult(total, user_agent(&headers)).await?;
        Ok::<_, PosError>(json!({
            "total": total,
            "totalText": total.to_string(),
            "description": description,
            "consulted": consulted,
        }))
    }
    .await;
    match answer {
        Ok(value) => axum::Json(value).into_response(),
        Err(e) => e.into_response(),
    }
}

/// "Pay with Alipay+": the order goes to Alipay+ (CASHIER_PAYMENT); the page shows its
/// `paymentUrl`.
async fn checkout(State(state): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let answer = async {
        let basket: Basket = parse_json(&body)?;
        let (total, description) = basket.total(&state.backend)?;
        let payment = state
            .backend
            .checkout(
                total,
                &description,
                basket.consult_id.as_deref(),
                user_agent(&headers),
                None,
            )
            .await?;
        Ok::<_, PosError>(json!({
            "posPaymentId": payment.pos_payment_id,
            "paymentUrl": payment.payment_url,
            "returnUrl": state.backend.return_url(&payment.pos_payment_id),
            "order": payment_view(&state, &payment),
        }))
    }
    .await;
    match answer {
        Ok(value) => axum::Json(value).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The order as the backend knows it.
async fn order(State(state): Shared, Path(id): Path<String>) -> Response {
    match state.backend.payment(&id) {
        Ok(payment) if payment.kind == PaymentKind::Cashier => {
            let mut view = payment_view(&state, &payment);
            view["amountText"] = json!(payment.amount.to_string());
            axum::Json(view).into_response()
        }
        Ok(_) => PosError::NotFound(format!("no online order {id}")).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The customer came back from Alipay+: one inquiry (waited for briefly), then the page, which
/// shows and refreshes the order's state as the backend knows it.
async fn return_page(State(state): Shared, Path(id): Path<String>) -> Response {
    let backend = Arc::clone(&state.backend);
    let asked = id.clone();
    let inquiry = tokio::spawn(async move { backend.customer_returned(&asked).await });
    let status = match tokio::time::timeout(RETURN_INQUIRY_WAIT, inquiry).await {
        Ok(Ok(Err(PosError::NotFound(_)))) => StatusCode::NOT_FOUND,
        _ => StatusCode::OK,
    };
    (status, Html(crate::shop_page::ORDER_PAGE)).into_response()
}

async fn account(State(state): Shared) -> Response {
    let view = match state.backend.account() {
        Ok(view) => view,
        Err(e) => return PosError::from(e).into_response(),
    };
    let debits: Vec<_> = state
        .backend
        .store
        .payments(50)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.kind == PaymentKind::Debit)
        .take(5)
        .map(|p| payment_view(&state, &p))
        .collect();
    axum::Json(json!({
        "merchant": state.backend.merchant.name,
        "currency": state.backend.currency.code(),
        "faults": state.backend.faults.iter().map(|f| f.name()).collect::<Vec<_>>(),
        "account": view,
        "debits": debits,
    }))
    .into_response()
}

async fn link(State(state): Shared) -> Response {
    match state.backend.bind(None).await {
        Ok(binding) => axum::Json(json!({ "authUrl": binding.auth_url })).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn charge(State(state): Shared, body: Bytes) -> Response {
    let answer = parse_json::<PageAmount>(&body)
        .and_then(|r| page_amount(&state, &r.amount))
        .and_then(|amount| state.backend.debit(amount, None));
    match answer {
        Ok(payment) => axum::Json(payment_view(&state, &payment)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn unlink(State(state): Shared) -> Response {
    match state.backend.unbind() {
        Ok(()) => axum::Json(json!({})).into_response(),
        Err(e) => e.into_response(),
    }
}
