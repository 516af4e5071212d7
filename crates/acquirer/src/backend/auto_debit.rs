//! Auto Debit for the shop's customer account: "Link" calls `prepare` (the customer authorizes at
//! the returned URL); authNotify AUTHCODE_CREATED makes the backend exchange the code with
//! `applyToken` and keep the tokens; "Charge now" debits with `pay` (AGREEMENT_PAYMENT) and the
//! access token, refreshed first when it expired; "Unlink" calls `cancelToken`. A token Alipay+
//! revoked (authNotify TOKEN_CANCELED) or refused (F INVALID_ACCESS_TOKEN) is never used again.

use std::sync::Arc;

use linker_aplus::message::{
    Api, ApplyTokenRequest, ApplyTokenResponse, AuthNotifyRequest, AuthorizationNotifyType,
    CONNECT_WALLET, CancelTokenRequest, GrantType, Order, PayRequest, PayResponse, PaymentFactor,
    PaymentMethod, PrepareRequest, PrepareResponse, ProductCode, ResultOnly, SettlementStrategy,
};
use linker_aplus::test_wallet::TEST_WALLET;
use linker_aplus::time::format_wire_time;
use linker_aplus::wire::WireBool;
use linker_aplus::{Amount, ResultCode, ResultStatus};
use linker_pos_driver::DisplayState;
use serde::Serialize;

use super::{Backend, PosError, new_id, parse_time};
use crate::AcquirerError;
use crate::config::Fault;
use crate::gateway::Reply;
use crate::store::{Binding, BindingStatus, PaymentKind, PosPayment, Tokens};

/// The reason a debit shows when no wallet is linked.
pub(crate) const NOT_LINKED: &str = "NOT_LINKED";

/// A token this close to its expiry is refreshed before a debit.
const REFRESH_MARGIN: chrono::Duration = chrono::Duration::seconds(60);

/// What the shop's account page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AccountView {
    /// Whether a usable access token is held.
    pub linked: bool,
    /// The words on the page.
    pub text: String,
    /// The authorization page of an authorization still waiting for the customer.
    pub auth_url: Option<String>,
    /// The customer at the wallet, when linked.
    pub customer_id: Option<String>,
    /// When the access token expires, when linked.
    pub access_token_expires_at: Option<String>,
}

/// Why a debit could not get a usable token: the result code and the words for the screen.
type NoToken = (String, String);

impl Backend {
    /// Whether the shop's customer has a wallet linked, and the words its account page shows.
    pub(crate) fn account(&self) -> Result<AccountView, AcquirerError> {
        let latest = self.store.latest_binding()?;
        let waiting = latest
            .as_ref()
            .filter(|b| b.status == BindingStatus::Pending)
            .map(|b| b.auth_url.clone());
        if let Some(linked) = self.store.binding_in(BindingStatus::Linked)? {
            let customer = linked
                .customer_id
                .as_deref()
                .map(|c| format!(" (customer {c})"))
                .unwrap_or_default();
            let mut text = format!("Linked: Alipay+ wallet{customer}");
            if waiting.is_some() {
                text.push_str("; a new authorization is waiting for the customer");
            }
            return Ok(AccountView {
                linked: true,
                text,
                auth_url: waiting,
                customer_id: linked.customer_id,
                access_token_expires_at: linked.access_token_expires_at,
            });
        }
        let text = match &latest {
            None => "Not linked".to_owned(),
            Some(b) => match b.status {
                BindingStatus::Pending => {
                    "Not linked: waiting for the customer to authorize in the wallet".to_owned()
                }
                BindingStatus::Applying => {
                    "Not linked yet: the wallet authorized; getting the access token…".to_owned()
                }
                BindingStatus::Unlinking => "Unlinking…".to_owned(),
                _ if b.message.is_empty() => "Not linked".to_owned(),
                _ => format!("Not linked: {}", b.message),
            },
        };
        // While unlinking, the token still works at Alipay+ until cancelToken succeeds: the
        // site still holds it, so it does not yet say the wallet is unlinked.
        let unlinking = latest
            .as_ref()
            .is_some_and(|b| b.status == BindingStatus::Unlinking);
        Ok(AccountView {
            linked: unlinking,
            text,
            auth_url: waiting,
            customer_id: None,
            access_token_expires_at: None,
        })
    }

    /// "Link an Alipay+ wallet": `prepare` with scope AGREEMENT_PAY; returns the pending
    /// binding with the authorization URL. An authorization still waiting for the customer is
    /// replaced; a linked wallet stays linked until the new one is.
    pub(crate) async fn bind(&self, run: Option<(&str, &str)>) -> Result<Binding, PosError> {
        let auth_state = new_id("st_", 24);
        let request = PrepareRequest {
            customer_belongs_to: TEST_WALLET.to_owned(),
            auth_client_id: self.merchant.reference_merchant_id.clone(),
            auth_redirect_url: format!("{}/shop/account/return", self.urls.base),
            scopes: vec!["AGREEMENT_PAY".to_owned()],
            auth_state: auth_state.clone(),
            terminal_type: Some("WEB".to_owned()),
            os_type: None,
        };
        let answer = match self
            .gateway
            .call::<_, PrepareResponse>(Api::Prepare, &request)
            .await
        {
            Reply::Answered(answer) => answer,
            Reply::Unknown(why) => {
                return Err(PosError::Backend(format!(
                    "Alipay+ gave no authorization page: {why}"
                )));
            }
        };
        if !answer.result.is_success() {
            return Err(PosError::Backend(format!(
                "Alipay+ refused the authorization: {} {}",
                answer.result.result_code, answer.result.result_message
            )));
        }
        let Some(auth_url) = answer.auth_url else {
            return Err(PosError::Backend(
                "Alipay+ answered prepare without an authUrl".into(),
            ));
        };
        Ok(self.store.insert_binding(
            &new_id("bnd_", 16),
            &auth_state,
            &auth_url,
            run.map(|r| r.0),
            run.map(|r| r.1),
        )?)
    }

    /// A verified authNotify: AUTHCODE_CREATED starts `applyToken` (in the background),
    /// TOKEN_CANCELED ends the link. Repeats change nothing.
    pub(crate) fn auth_notify(
        self: &Arc<Self>,
        notification: &AuthNotifyRequest,
    ) -> Result<(), AcquirerError> {
        match notification.authorization_notify_type {
            AuthorizationNotifyType::AuthcodeCreated => {
                let (Some(state), Some(code)) = (&notification.auth_state, &notification.auth_code)
                else {
                    tracing::warn!("authNotify AUTHCODE_CREATED without authState or authCode");
                    return Ok(());
                };
                let Some(binding) = self.store.binding_by_state(state)? else {
                    tracing::warn!(%state, "authNotify for an authorization this shop did not start");
                    return Ok(());
                };
                if !self.store.start_applying(&binding.binding_id, code)? {
                    return Ok(());
                }
                if self.has(Fault::SkipApplyToken) {
                    let tokens = Tokens {
                        access_token: code.clone(),
                        access_token_expires_at: None,
                        refresh_token: None,
                        refresh_token_expires_at: None,
                        customer_id: notification.customer_id.clone(),
                    };
                    self.store.link(&binding.binding_id, &tokens, "Linked")?;
                    return Ok(());
                }
                let backend = Arc::clone(self);
                let code = code.clone();
                self.spawn(async move { backend.apply_code(binding, code).await });
            }
            AuthorizationNotifyType::TokenCreated => {}
            AuthorizationNotifyType::TokenCanceled => {
                let Some(token) = &notification.access_token else {
                    return Ok(());
                };
                let Some(binding) = self.store.binding_by_access_token(token)? else {
                    return Ok(());
                };
                if self.has(Fault::RetryRevokedToken) {
                    tracing::warn!("ignoring TOKEN_CANCELED (fault retry-revoked-token)");
                    return Ok(());
                }
                self.store.move_binding(
                    &binding.binding_id,
                    &[BindingStatus::Linked, BindingStatus::Unlinking],
                    BindingStatus::Unlinked,
                    Some("TOKEN_CANCELED"),
                    "the customer revoked the authorization in the wallet (TOKEN_CANCELED)",
                )?;
            }
        }
        Ok(())
    }

    /// `applyToken` with the authorization code, retried on an unknown result; links the
    /// binding (replacing any older link, whose token is cancelled).
    async fn apply_code(self: Arc<Self>, binding: Binding, code: String) {
        let request = ApplyTokenRequest {
            grant_type: GrantType::AuthorizationCode,
            customer_belongs_to: Some(TEST_WALLET.to_owned()),
            auth_code: Some(code),
            refresh_token: None,
        };
        let id = &binding.binding_id;
        let (status, reason, message) = match self.apply_token(&request).await {
            Ok(tokens) => match self.store.link(id, &tokens, "Linked") {
                Ok(Some(replaced)) => {
                    for token in replaced {
                        let _ = self.cancel_token_with_retries(&token).await;
                    }
                    return;
                }
                // Unlinked while applyToken ran: give the token back.
                Ok(None) => {
                    let _ = self.cancel_token_with_retries(&tokens.access_token).await;
                    return;
                }
                Err(error) => {
                    tracing::error!(%error, "keeping the tokens");
                    return;
                }
            },
            Err((reason, message)) => (BindingStatus::Failed, reason, message),
        };
        let _ = self.store.move_binding(
            id,
            &[BindingStatus::Applying],
            status,
            Some(&reason),
            &message,
        );
    }

    /// One `applyToken`, repeated on an unknown result; the tokens, or the reason and words.
    async fn apply_token(&self, request: &ApplyTokenRequest) -> Result<Tokens, NoToken> {
        let mut last = String::from("no attempt");
        for attempt in 0..self.timing.retry_attempts.max(1) {
            if attempt > 0 {
                self.pause(self.timing.retry_interval).await;
            }
            let answer = match self
                .gateway
                .call::<_, ApplyTokenResponse>(Api::ApplyToken, request)
                .await
            {
                Reply::Answered(answer) => answer,
                Reply::Unknown(why) => {
                    last = why;
                    continue;
                }
            };
            match answer.result.result_status {
                ResultStatus::Success => {
                    let Some(access_token) = answer.access_token else {
                        return Err((
                            "UNKNOWN".to_owned(),
                            "applyToken answered without an accessToken".to_owned(),
                        ));
                    };
                    return Ok(Tokens {
                        access_token,
                        access_token_expires_at: answer.access_token_expiry_time,
                        refresh_token: answer.refresh_token,
                        refresh_token_expires_at: answer.refresh_token_expiry_time,
                        customer_id: answer.customer_id,
                    });
                }
                ResultStatus::Failure => {
                    let code = answer.result.result_code.as_str().to_owned();
                    return Err((
                        code.clone(),
                        format!(
                            "Alipay+ refused the token request ({code}: {})",
                            answer.result.result_message
                        ),
                    ));
                }
                ResultStatus::Unknown => last = answer.result.result_code.as_str().to_owned(),
            }
        }
        Err((
            "UNKNOWN".to_owned(),
            format!("applyToken gave no clear answer ({last}); link again"),
        ))
    }

    /// `cancelToken` until S (F INVALID_ACCESS_TOKEN: already gone), bounded.
    async fn cancel_token_with_retries(&self, access_token: &str) -> Result<(), String> {
        let request = CancelTokenRequest {
            access_token: access_token.to_owned(),
        };
        let mut last = String::from("no attempt");
        for attempt in 0..self.timing.retry_attempts.max(1) {
            if attempt > 0 {
                self.pause(self.timing.retry_interval).await;
            }
            match self
                .gateway
                .call::<_, ResultOnly>(Api::CancelToken, &request)
                .await
            {
                Reply::Answered(answer) => match answer.result.result_status {
                    ResultStatus::Success => return Ok(()),
                    ResultStatus::Failure
                        if answer.result.result_code == ResultCode::InvalidAccessToken =>
                    {
                        return Ok(());
                    }
                    ResultStatus::Failure => {
                        return Err(format!(
                            "{}: {}",
                            answer.result.result_code, answer.result.result_message
                        ));
                    }
                    ResultStatus::Unknown => last = answer.result.result_code.as_str().to_owned(),
                },
                Reply::Unknown(why) => last = why,
            }
        }
        Err(last)
    }

    /// "Unlink": `cancelToken` for the linked wallet (in the background; under
    /// [`Fault::UnlinkLocally`] the token is only forgotten). An authorization still waiting for
    /// the customer is abandoned. Nothing linked is not an error.
    pub(crate) fn unbind(self: &Arc<Self>) -> Result<(), PosError> {
        self.store.abandon_waiting_bindings()?;
        let Some(binding) = self.store.binding_in(BindingStatus::Linked)? else {
            return Ok(());
        };
        if self.has(Fault::UnlinkLocally) {
            self.store.move_binding(
                &binding.binding_id,
                &[BindingStatus::Linked],
                BindingStatus::Unlinked,
                Some("UNLINKED"),
                "unlinked by the shop",
            )?;
            return Ok(());
        }
        let Some(token) = binding.access_token.clone() else {
            return Ok(());
        };
        if !self.store.move_binding(
            &binding.binding_id,
            &[BindingStatus::Linked],
            BindingStatus::Unlinking,
            None,
            "Unlinking…",
        )? {
            return Ok(());
        }
        let backend = Arc::clone(self);
        self.spawn(async move { backend.finish_unlink(binding, token).await });
        Ok(())
    }

    /// `cancelToken` for a binding being unlinked, then unlinked (or linked again, when it did
    /// not go through).
    async fn finish_unlink(&self, binding: Binding, token: String) {
        let id = &binding.binding_id;
        let moved = match self.cancel_token_with_retries(&token).await {
            Ok(()) => self.store.move_binding(
                id,
                &[BindingStatus::Unlinking],
                BindingStatus::Unlinked,
                Some("UNLINKED"),
                "unlinked by the shop (cancelToken)",
            ),
            Err(why) => self.store.move_binding(
                id,
                &[BindingStatus::Unlinking],
                BindingStatus::Linked,
                None,
                &format!("Still linked: the unlink did not go through ({why})"),
            ),
        };
        if let Err(error) = moved {
            tracing::error!(%error, "recording an unlink");
        }
    }

    /// After a restart: `applyToken` again for an authorization whose code arrived, and
    /// `cancelToken` again for a wallet being unlinked.
    pub(super) fn resume_bindings(self: &Arc<Self>) -> Result<(), AcquirerError> {
        for binding in self.store.bindings_in(BindingStatus::Applying)? {
            if let Some(code) = binding.auth_code.clone() {
                let backend = Arc::clone(self);
                self.spawn(async move { backend.apply_code(binding, code).await });
            }
        }
        for binding in self.store.bindings_in(BindingStatus::Unlinking)? {
            if let Some(token) = binding.access_token.clone() {
                let backend = Arc::clone(self);
                self.spawn(async move { backend.finish_unlink(binding, token).await });
            }
        }
        Ok(())
    }

    /// "Charge now": debits the linked wallet; the outcome follows in the background. Without a
    /// linked wallet no `pay` is sent: the payment shows failed with reason `NOT_LINKED` when a
    /// wallet was linked before, and a wallet never linked is a bad request.
    pub(crate) fn debit(
        self: &Arc<Self>,
        amount: Amount,
        run: Option<(&str, &str)>,
    ) -> Result<PosPayment, PosError> {
        self.check_amount(&amount)?;
        let linked = self.store.binding_in(BindingStatus::Linked)?;
        if linked.is_none() && !self.store.ever_linked()? {
            return Err(PosError::BadRequest(
                "no Alipay+ wallet has ever been linked: bind first".into(),
            ));
        }
        let payment = self.store.insert_payment(
            &new_id("pos_", 16),
            &new_id("acq", 29),
            PaymentKind::Debit,
            amount,
            "Debiting the linked wallet…",
            run.map(|r| r.0),
            run.map(|r| r.1),
        )?;
        self.store.set_order_details(
            &payment.pos_payment_id,
            None,
            Some("Auto Debit: Charge now"),
        )?;
        let Some(binding) = linked else {
            let account = self.account()?;
            self.store.settle(
                &payment.pos_payment_id,
                DisplayState::Failed,
                Some(NOT_LINKED),
                &account.text,
                None,
            )?;
            return self.payment(&payment.pos_payment_id);
        };
        let backend = Arc::clone(self);
        let started = payment.clone();
        self.spawn(async move { backend.run_debit(started, binding).await });
        self.payment(&payment.pos_payment_id)
    }

    /// The binding's access token, refreshed first (`applyToken` REFRESH_TOKEN) when it expired
    /// or is about to.
    async fn usable_token(&self, binding: &Binding) -> Result<String, NoToken> {
        let Some(token) = binding.access_token.clone() else {
            return Err((NOT_LINKED.to_owned(), "no access token is held".to_owned()));
        };
        let expires = binding
            .access_token_expires_at
            .as_deref()
            .and_then(parse_time);
        if expires.is_none_or(|at| self.clock.now() + REFRESH_MARGIN < at) {
            return Ok(token);
        }
        let end = |reason: &str, message: &str| {
            let _ = self.store.move_binding(
                &binding.binding_id,
                &[BindingStatus::Linked],
                BindingStatus::Unlinked,
                Some(reason),
                message,
            );
        };
        let Some(refresh) = binding.refresh_token.clone() else {
            end(
                "EXPIRED_ACCESS_TOKEN",
                "the access token expired and there is no refresh token",
            );
            return Err((
                "EXPIRED_ACCESS_TOKEN".to_owned(),
                "the access token expired and there is no refresh token".to_owned(),
            ));
        };
        let request = ApplyTokenRequest {
            grant_type: GrantType::RefreshToken,
            customer_belongs_to: Some(TEST_WALLET.to_owned()),
            auth_code: None,
            refresh_token: Some(refresh),
        };
        match self.apply_token(&request).await {
            Ok(tokens) => {
                self.store
                    .refresh_tokens(&binding.binding_id, &tokens)
                    .map_err(|e| ("UNKNOWN".to_owned(), e.to_string()))?;
                Ok(tokens.access_token)
            }
            Err((reason, message)) if reason != "UNKNOWN" => {
                end(
                    &reason,
                    &format!("refreshing the access token was refused ({reason})"),
                );
                Err((reason, message))
            }
            Err(unknown) => Err(unknown),
        }
    }

    fn debit_request(&self, payment: &PosPayment, token: &str, binding: &Binding) -> PayRequest {
        PayRequest {
            product_code: ProductCode::AgreementPayment,
            payment_request_id: payment.payment_request_id.clone(),
            order: Order {
                reference_order_id: payment.pos_payment_id.clone(),
                order_description: format!("Auto Debit at {}", self.merchant.name),
                order_amount: payment.amount,
                merchant: self.merchant(false),
                env: Some(linker_aplus::message::Env {
                    terminal_type: Some("WEB".to_owned()),
                    ..Default::default()
                }),
            },
            payment_amount: payment.amount,
            payment_method: PaymentMethod {
                payment_method_type: CONNECT_WALLET.to_owned(),
                payment_method_id: Some(token.to_owned()),
                customer_id: binding.customer_id.clone(),
            },
            payment_factor: Some(PaymentFactor {
                is_in_store_payment: None,
                is_cashier_payment: None,
                is_agreement_payment: Some(WireBool::from(true)),
                in_store_payment_scenario: None,
            }),
            payment_expiry_time: None,
            payment_notify_url: Some(self.urls.notify.clone()),
            payment_redirect_url: None,
            settlement_strategy: Some(SettlementStrategy {
                settlement_currency: Some(self.currency),
            }),
            user_region: None,
        }
    }

    async fn run_debit(self: Arc<Self>, payment: PosPayment, binding: Binding) {
        let token = match self.usable_token(&binding).await {
            Ok(token) => token,
            Err((reason, message)) => {
                let _ = self.store.settle(
                    &payment.pos_payment_id,
                    DisplayState::Failed,
                    Some(&reason),
                    &message,
                    None,
                );
                return;
            }
        };
        let request = self.debit_request(&payment, &token, &binding);
        let mut reply: Reply<PayResponse> = self.gateway.call(Api::Pay, &request).await;
        if self.has(Fault::RetryRevokedToken)
            && matches!(&reply, Reply::Answered(a) if a.result.result_code == ResultCode::InvalidAccessToken)
        {
            reply = self.gateway.call(Api::Pay, &request).await;
        }
        let doubt = match reply {
            Reply::Answered(answer) => match answer.result.result_status {
                ResultStatus::Success => {
                    self.mark_paid(&payment, answer.payment_id.as_deref());
                    return;
                }
                ResultStatus::Failure => {
                    self.token_refused(&binding, &answer.result.result_code);
                    self.mark_failed(&payment, &answer.result);
                    return;
                }
                ResultStatus::Unknown => answer.result.result_code.as_str().to_owned(),
            },
            Reply::Unknown(why) => self.in_doubt(&payment, &why),
        };
        let deadline =
            self.clock.now() + chrono::Duration::from_std(self.timing.poll_for).unwrap_or_default();
        if let super::Watch::Deadline = self.watch(&payment, deadline).await {
            self.give_up(&payment, &doubt).await;
        }
    }

    /// A debit failed because of its token: a revoked one ends the link (kept under
    /// [`Fault::RetryRevokedToken`]); an expired one is refreshed at the next debit.
    fn token_refused(&self, binding: &Binding, code: &ResultCode) {
        match code {
            ResultCode::InvalidAccessToken if !self.has(Fault::RetryRevokedToken) => {
                let _ = self.store.move_binding(
                    &binding.binding_id,
                    &[BindingStatus::Linked],
                    BindingStatus::Unlinked,
                    Some("INVALID_ACCESS_TOKEN"),
                    "Alipay+ refused the access token (INVALID_ACCESS_TOKEN)",
                );
            }
            ResultCode::ExpiredAccessToken => {
                let _ = self
                    .store
                    .expire_access_token(&binding.binding_id, &format_wire_time(&self.clock.now()));
            }
            _ => {}
        }
    }
}
