//! The wallet API (`/wallet/v1/...`): sign-in, the assigned cases, runs and their live events,
//! payment codes, scans, confirmations, answers, photos and Auto Debit grants, for one
//! signed-in merchant.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::extract::{JsonBody, MerchantRun, WalletSession};
use crate::Hub;
use crate::domain::merchants::{Merchant, Session};
use crate::domain::payments::IssuedPaymentCode;
use crate::domain::runs::RunView;
use crate::domain::throttle::ClientAddress;
use crate::error::HubError;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct InvitationSignIn {
    invitation_code: String,
    password: String,
}

pub(super) async fn wallet_sign_in_invitation(
    State(hub): State<Arc<Hub>>,
    ClientAddress(client): ClientAddress,
    JsonBody(request): JsonBody<InvitationSignIn>,
) -> Result<Json<Session>, HubError> {
    let turn = hub.password_turn().await?;
    let session = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        hub.sign_in_with_invitation(&request.invitation_code, &request.password, client)
    })
    .await
    .map_err(|error| HubError::Internal(error.to_string()))??;
    Ok(Json(session))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct PasswordSignIn {
    login: String,
    password: String,
    project_id: Option<String>,
}

pub(super) async fn wallet_sign_in(
    State(hub): State<Arc<Hub>>,
    ClientAddress(client): ClientAddress,
    JsonBody(request): JsonBody<PasswordSignIn>,
) -> Result<Json<Session>, HubError> {
    let turn = hub.password_turn().await?;
    let session = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        hub.sign_in(
            &request.login,
            &request.password,
            request.project_id.as_deref(),
            client,
        )
    })
    .await
    .map_err(|error| HubError::Internal(error.to_string()))??;
    Ok(Json(session))
}

pub(super) async fn wallet_sign_out(
    State(hub): State<Arc<Hub>>,
    WalletSession { token, .. }: WalletSession,
) -> Result<StatusCode, HubError> {
    hub.sign_out(&token)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A case as a merchant sees it: its definition, whether it can be run with the wallet under
/// test, and why not.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AssignedCase {
    #[serde(flatten)]
    case: &'static linker_cases::CaseDef,
    runnable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    not_runnable_reason: Option<String>,
}

/// `?wallet=GCASH`: the wallet under test the cases are for (TEST_WALLET when absent).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CasesQuery {
    wallet: Option<String>,
}

pub(super) async fn wallet_cases(
    State(hub): State<Arc<Hub>>,
    WalletSession { merchant, .. }: WalletSession,
    Query(query): Query<CasesQuery>,
) -> Result<Json<Vec<AssignedCase>>, HubError> {
    let wallet = crate::domain::runs::lifecycle::wallet_named(query.wallet.as_deref())?;
    let cases = hub
        .assigned_cases(&merchant)?
        .into_iter()
        .map(|case| {
            let not_runnable_reason = if case.implemented {
                case.not_runnable_with(wallet)
            } else {
                Some(format!("{} cannot be run yet on this hub", case.id))
            };
            AssignedCase {
                case,
                runnable: not_runnable_reason.is_none(),
                not_runnable_reason,
            }
        })
        .collect();
    Ok(Json(cases))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct StartRun {
    case_id: String,
    slow_answer_secs: Option<u64>,
    /// The wallet under test, e.g. `GCASH`; TEST_WALLET when absent.
    wallet: Option<String>,
}

pub(super) async fn wallet_start_run(
    State(hub): State<Arc<Hub>>,
    WalletSession { merchant, .. }: WalletSession,
    JsonBody(request): JsonBody<StartRun>,
) -> Result<(StatusCode, Json<RunView>), HubError> {
    Ok((
        StatusCode::CREATED,
        Json(hub.start_run_with(
            &merchant,
            &request.case_id,
            crate::domain::runs::RunOptions {
                slow_answer_secs: request.slow_answer_secs,
                wallet: request.wallet,
            },
        )?),
    ))
}

pub(super) async fn wallet_runs(
    State(hub): State<Arc<Hub>>,
    WalletSession { merchant, .. }: WalletSession,
) -> Result<Json<Vec<RunView>>, HubError> {
    Ok(Json(hub.merchant_runs(&merchant)?))
}

pub(super) async fn wallet_run(
    State(hub): State<Arc<Hub>>,
    MerchantRun { merchant, run }: MerchantRun,
) -> Result<Json<RunView>, HubError> {
    Ok(Json(hub.merchant_run(&merchant, &run)?))
}

/// The run's events as Server-Sent Events: every event after `Last-Event-ID` (all of them on
/// first connect), then each new one as it is recorded, then the verdict (`event: verdict`),
/// after which the stream ends. Event ids are the record's `seq`.
pub(super) async fn wallet_run_events(
    State(hub): State<Arc<Hub>>,
    WalletSession { merchant, .. }: WalletSession,
    headers: HeaderMap,
    Path(run): Path<String>,
) -> Result<
    axum::response::sse::Sse<
        impl futures_util::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>,
    >,
    HubError,
> {
    use axum::response::sse::{KeepAlive, Sse};
    hub.merchant_run(&merchant, &run)?;
    let last_seen: u32 = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let ticket = hub.stream_ticket(&merchant.id)?;
    let stream = super::run_events::follow(hub, run, last_seen, ticket);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

pub(super) async fn wallet_payment_code(
    State(hub): State<Arc<Hub>>,
    MerchantRun { merchant, run }: MerchantRun,
) -> Result<(StatusCode, Json<IssuedPaymentCode>), HubError> {
    Ok((
        StatusCode::CREATED,
        Json(hub.show_payment_code(&merchant, &run)?),
    ))
}

pub(super) async fn wallet_confirm(
    State(hub): State<Arc<Hub>>,
    MerchantRun { merchant, run }: MerchantRun,
) -> Result<Json<RunView>, HubError> {
    Ok(Json(hub.wallet_decides(&merchant, &run, true)?))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ScanRequest {
    code_value: String,
}

pub(super) async fn wallet_scan(
    State(hub): State<Arc<Hub>>,
    MerchantRun { merchant, run }: MerchantRun,
    JsonBody(request): JsonBody<ScanRequest>,
) -> Result<Json<crate::domain::scanning::ScanResult>, HubError> {
    if request.code_value.trim().is_empty() || request.code_value.len() > 512 {
        return Err(HubError::invalid(
            "codeValue",
            "give the scanned text, 1 to 512 characters",
        ));
    }
    Ok(Json(hub.scan(&merchant, &run, &request.code_value).await?))
}

/// A code for the wallet to scan.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CodeToScan {
    code_value: String,
}

pub(super) async fn wallet_unissued_code(
    State(hub): State<Arc<Hub>>,
    MerchantRun { merchant, run }: MerchantRun,
) -> Result<(StatusCode, Json<CodeToScan>), HubError> {
    Ok((
        StatusCode::CREATED,
        Json(CodeToScan {
            code_value: hub.unissued_private_code(&merchant, &run)?,
        }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct OpenUrlRequest {
    url: String,
}

pub(super) async fn wallet_open_url(
    State(hub): State<Arc<Hub>>,
    MerchantRun { merchant, run }: MerchantRun,
    JsonBody(request): JsonBody<OpenUrlRequest>,
) -> Result<Json<crate::domain::scanning::ScanResult>, HubError> {
    if request.url.trim().is_empty() || request.url.len() > 2048 {
        return Err(HubError::invalid(
            "url",
            "give the opened URL, 1 to 2048 characters",
        ));
    }
    Ok(Json(hub.open_payment_url(&merchant, &run, &request.url)?))
}

pub(super) async fn wallet_redirected(
    State(hub): State<Arc<Hub>>,
    MerchantRun { merchant, run }: MerchantRun,
    JsonBody(request): JsonBody<OpenUrlRequest>,
) -> Result<Json<RunView>, HubError> {
    if request.url.trim().is_empty() || request.url.len() > 2048 {
        return Err(HubError::invalid(
            "url",
            "give the merchant's URL, 1 to 2048 characters",
        ));
    }
    Ok(Json(hub.redirected(&merchant, &run, &request.url)?))
}

pub(super) async fn wallet_put_attachment(
    State(hub): State<Arc<Hub>>,
    WalletSession { merchant, .. }: WalletSession,
    Path((run, attachment)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<crate::domain::attachments::Attachment>, HubError> {
    Ok(Json(hub.attach(&merchant, &run, &attachment, &body)?))
}

pub(super) async fn wallet_get_attachment(
    State(hub): State<Arc<Hub>>,
    WalletSession { merchant, .. }: WalletSession,
    Path((run, attachment)): Path<(String, String)>,
) -> Result<Response, HubError> {
    let (content_type, bytes) = hub.attachment(&merchant, &run, &attachment)?;
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct GrantRequest {
    auth_url: String,
    /// The run the customer answers in (its record gets the authorization's exchanges).
    #[serde(default)]
    run_id: Option<String>,
}

impl GrantRequest {
    fn checked(&self) -> Result<(&str, Option<&str>), HubError> {
        if self.auth_url.trim().is_empty() || self.auth_url.len() > 2048 {
            return Err(HubError::invalid(
                "authUrl",
                "give the authorization URL, 1 to 2048 characters",
            ));
        }
        Ok((&self.auth_url, self.run_id.as_deref()))
    }
}

pub(super) async fn wallet_inspect_authorization(
    State(hub): State<Arc<Hub>>,
    WalletSession { merchant, .. }: WalletSession,
    JsonBody(request): JsonBody<GrantRequest>,
) -> Result<Json<crate::domain::auto_debit::AuthorizationPrompt>, HubError> {
    let (url, _) = request.checked()?;
    Ok(Json(hub.inspect_authorization(&merchant, url)?))
}

pub(super) async fn wallet_decline_authorization(
    State(hub): State<Arc<Hub>>,
    WalletSession { merchant, .. }: WalletSession,
    JsonBody(request): JsonBody<GrantRequest>,
) -> Result<Json<crate::domain::auto_debit::Declined>, HubError> {
    let (url, run) = request.checked()?;
    Ok(Json(hub.decline_authorization(&merchant, url, run)?))
}

pub(super) async fn wallet_list_authorizations(
    State(hub): State<Arc<Hub>>,
    WalletSession { merchant, .. }: WalletSession,
) -> Result<Json<Vec<crate::domain::auto_debit::AuthorizationView>>, HubError> {
    Ok(Json(hub.wallet_authorizations(&merchant)?))
}

pub(super) async fn wallet_grant(
    State(hub): State<Arc<Hub>>,
    WalletSession { merchant, .. }: WalletSession,
    JsonBody(request): JsonBody<GrantRequest>,
) -> Result<Json<crate::domain::auto_debit::Granted>, HubError> {
    let (url, run) = request.checked()?;
    Ok(Json(hub.grant(&merchant, url, run).await?))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Revoked {
    notified: bool,
}

pub(super) async fn wallet_revoke(
    State(hub): State<Arc<Hub>>,
    WalletSession { merchant, .. }: WalletSession,
    Path(authorization): Path<String>,
) -> Result<Json<Revoked>, HubError> {
    Ok(Json(Revoked {
        notified: hub.revoke(&merchant, &authorization).await?,
    }))
}

pub(super) async fn wallet_back_out(
    State(hub): State<Arc<Hub>>,
    MerchantRun { merchant, run }: MerchantRun,
) -> Result<Json<RunView>, HubError> {
    Ok(Json(hub.back_out(&merchant, &run)?))
}

pub(super) async fn wallet_decline(
    State(hub): State<Arc<Hub>>,
    MerchantRun { merchant, run }: MerchantRun,
) -> Result<Json<RunView>, HubError> {
    Ok(Json(hub.wallet_decides(&merchant, &run, false)?))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ManualAnswerRequest {
    write_id: String,
    question_id: String,
    answer: bool,
    note: Option<String>,
    attachment: Option<String>,
}

pub(super) async fn wallet_manual_answer(
    State(hub): State<Arc<Hub>>,
    MerchantRun { merchant, run }: MerchantRun,
    JsonBody(request): JsonBody<ManualAnswerRequest>,
) -> Result<Json<RunView>, HubError> {
    let answer = linker_cases::ManualAnswer {
        question_id: request.question_id,
        answer: request.answer,
        note: request.note,
        attachment: request.attachment,
    };
    Ok(Json(hub.answer_manual(
        &merchant,
        &run,
        &request.write_id,
        answer,
    )?))
}

pub(super) async fn wallet_me(
    WalletSession { merchant, .. }: WalletSession,
) -> Result<Json<Merchant>, HubError> {
    Ok(Json(merchant))
}
