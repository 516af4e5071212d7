//! The wallet's side of Auto Debit: what an authorization URL asks for, granting or declining
//! it (in a run, whose record then holds the `prepare` that made it and every later exchange of
//! the authorization), the wallet's list of authorizations, and revoking one.
//!
//! Which run an authorization's exchanges join (ours): the run it was granted in while that run
//! is open; once it is over, the open Auto Debit run of the merchant who granted it (a merchant
//! authorizes in ADB-01 and unbinds in a later ADB-02). Nothing is matched by project alone.

use chrono::{DateTime, Utc};
use linker_aplus::message::{AuthNotifyRequest, AuthorizationNotifyType};
use linker_cases::{EventKind, Product, WalletActionKind};
use serde::Serialize;

use super::{AUTH_CODE_VALIDITY, Granted};
use crate::Hub;
use crate::domain::merchants::Merchant;
use crate::domain::request_log::{Direction, ExchangeFilter};
use crate::domain::runs::RunStatus;
use crate::error::HubError;
use crate::store::StoreError;
use crate::store::authorizations::{Answer, AuthorizationRow, AuthorizationStatus, Grant};

/// What an authorization URL asks of the customer, before they answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationPrompt {
    /// The authorization's id.
    pub id: String,
    /// Who asks: the merchant's `authClientId`.
    pub client_id: String,
    /// The acquirer's project name (the ACQP the merchant's site uses).
    pub acquirer: String,
    /// The scopes asked for, e.g. `AGREEMENT_PAY`.
    pub scopes: Vec<String>,
    /// `prepared` (waiting for an answer), `authorized`, `token`, `revoked` or `declined`.
    pub status: String,
}

/// One of the wallet's authorizations, for its Authorizations screen.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationView {
    /// The authorization's id.
    pub id: String,
    /// Who was authorized: the merchant's `authClientId`.
    pub client_id: String,
    /// The acquirer's project name.
    pub acquirer: String,
    /// The scopes granted.
    pub scopes: Vec<String>,
    /// `authorized` (code not yet exchanged), `token` (active), `revoked` or `declined`.
    pub status: String,
    /// True while the merchant can debit with it (authorized or holding a token).
    pub active: bool,
    /// When the customer answered.
    pub granted_at: Option<DateTime<Utc>>,
    /// When it was revoked or cancelled.
    pub ended_at: Option<DateTime<Utc>>,
    /// The run it was granted in.
    pub run_id: Option<String>,
}

/// The answer to a declined authorization: where the wallet sends the customer back.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Declined {
    /// The authorization's id.
    pub id: String,
    /// The merchant's `authRedirectUrl` with `authState` (and no code).
    pub redirect_url: String,
}

/// The authorization id at the end of an authorization URL (`<hub>/authorize/<id>`).
fn authorization_id(auth_url: &str) -> String {
    auth_url
        .trim()
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// What a query value keeps as it is: RFC 3986's unreserved characters.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `url` with `pairs` added to its query.
fn with_query(url: &str, pairs: &[(&str, &str)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .map(|(key, value)| {
            format!(
                "{key}={}",
                percent_encoding::utf8_percent_encode(value, QUERY_VALUE)
            )
        })
        .collect();
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{}", query.join("&"))
}

impl Hub {
    /// The authorization behind `auth_url`, if it is one of the merchant's project's.
    fn project_authorization(
        &self,
        merchant: &Merchant,
        auth_url: &str,
    ) -> Result<AuthorizationRow, HubError> {
        let id = authorization_id(auth_url);
        let found = self.store.db(|db| db.authorizations().by_id(&id))?;
        found
            .filter(|found| found.project_id == merchant.project_id)
            .ok_or_else(|| HubError::NotFound(format!("authorization {id}")))
    }

    /// A run the wallet names for an answer: the merchant's, and open.
    fn answering_run(&self, merchant: &Merchant, run_id: Option<&str>) -> Result<(), HubError> {
        let Some(run_id) = run_id else {
            return Ok(());
        };
        let view = self.merchant_run(merchant, run_id)?;
        if view.status != RunStatus::Open {
            return Err(HubError::RunOver(format!(
                "run {run_id} is over ({})",
                view.status
            )));
        }
        Ok(())
    }

    /// What the authorization behind `auth_url` asks, for the wallet to show before the customer
    /// answers.
    pub fn inspect_authorization(
        &self,
        merchant: &Merchant,
        auth_url: &str,
    ) -> Result<AuthorizationPrompt, HubError> {
        let found = self.project_authorization(merchant, auth_url)?;
        let project = self.project(&found.project_id)?;
        Ok(AuthorizationPrompt {
            id: found.id,
            client_id: found.auth_client_id,
            acquirer: project.name,
            scopes: found.scopes,
            status: found.status.as_str().to_owned(),
        })
    }

    /// The customer grants the authorization behind `auth_url` in the wallet, in `run_id` when
    /// given: the ACQP gets `authNotify` AUTHCODE_CREATED, and the run's record the `prepare`
    /// that asked, the grant and the notification.
    pub async fn grant(
        &self,
        merchant: &Merchant,
        auth_url: &str,
        run_id: Option<&str>,
    ) -> Result<Granted, HubError> {
        self.answering_run(merchant, run_id)?;
        let found = self.project_authorization(merchant, auth_url)?;
        let id = found.id.clone();
        let code = self.ids.alphanumeric("", 32);
        // The customer is one of the run's wallet under test.
        let wallet = self.run_wallet(run_id);
        let customer = self.customer_id(wallet);
        let now = self.clock.now();
        let answer = Answer {
            merchant_id: &merchant.id,
            run_id,
            at: now,
        };
        let project = self.project(&found.project_id)?;
        let notify = AuthNotifyRequest {
            authorization_notify_type: AuthorizationNotifyType::AuthcodeCreated,
            auth_client_id: Some(found.auth_client_id.clone()),
            auth_state: Some(found.auth_state.clone()),
            auth_code: Some(code.clone()),
            access_token: None,
            psp_id: Some(wallet.psp_id.to_owned()),
            acquirer_id: Some(project.acquirer_id.clone()),
            customer_id: Some(customer.clone()),
            reason: None,
        };
        // The grant and its authNotify are written together: a crash after it leaves the
        // notification queued, never lost.
        let queued = self.auth_notify_delivery(&project, &notify, run_id);
        let held = queued.as_ref().and_then(|d| self.hold_delivery(&d.id));
        let changed = self.store.transaction(|db| {
            let changed = db.authorizations().grant(
                &id,
                &code,
                &customer,
                now + AUTH_CODE_VALIDITY,
                answer,
            )?;
            if let Some(delivery) = queued.as_ref().filter(|_| changed) {
                db.deliveries().insert(delivery)?;
            }
            Ok::<_, StoreError>(changed)
        })?;
        if !changed {
            return Err(HubError::Conflict(format!(
                "authorization {id} is already {}",
                found.status.as_str()
            )));
        }
        if let Some(run_id) = run_id {
            self.replay_prepare(&found, run_id)?;
            self.append_event(
                run_id,
                now,
                EventKind::WalletAction {
                    action: WalletActionKind::Authorize,
                },
                None,
            )?;
        }
        let notified = self.send_auth_notify(queued, held).await?;
        Ok(Granted {
            redirect_url: with_query(
                &found.auth_redirect_url,
                &[("authCode", &code), ("authState", &found.auth_state)],
            ),
            id,
            auth_code: code,
            notified,
        })
    }

    /// The customer declines the authorization behind `auth_url`: nothing is sent to the ACQP,
    /// and the wallet returns the customer to the merchant's page without a code.
    pub fn decline_authorization(
        &self,
        merchant: &Merchant,
        auth_url: &str,
        run_id: Option<&str>,
    ) -> Result<Declined, HubError> {
        self.answering_run(merchant, run_id)?;
        let found = self.project_authorization(merchant, auth_url)?;
        let now = self.clock.now();
        let answer = Answer {
            merchant_id: &merchant.id,
            run_id,
            at: now,
        };
        let changed = self
            .store
            .db(|db| db.authorizations().decline(&found.id, answer))?;
        if !changed {
            return Err(HubError::Conflict(format!(
                "authorization {} is already {}",
                found.id,
                found.status.as_str()
            )));
        }
        if let Some(run_id) = run_id {
            self.replay_prepare(&found, run_id)?;
            self.append_event(
                run_id,
                now,
                EventKind::WalletAction {
                    action: WalletActionKind::DeclineAuthorization,
                },
                None,
            )?;
        }
        Ok(Declined {
            redirect_url: with_query(
                &found.auth_redirect_url,
                &[("authState", &found.auth_state)],
            ),
            id: found.id,
        })
    }

    /// The merchant's wallet's authorizations, newest first.
    pub fn wallet_authorizations(
        &self,
        merchant: &Merchant,
    ) -> Result<Vec<AuthorizationView>, HubError> {
        let project = self.project(&merchant.project_id)?;
        let rows = self
            .store
            .db(|db| db.authorizations().of_merchant(&merchant.id))?;
        Ok(rows
            .into_iter()
            .map(|row| AuthorizationView {
                active: matches!(
                    row.status,
                    AuthorizationStatus::Authorized | AuthorizationStatus::Token
                ),
                id: row.id,
                client_id: row.auth_client_id,
                acquirer: project.name.clone(),
                scopes: row.scopes,
                status: row.status.as_str().to_owned(),
                granted_at: row.granted_at,
                ended_at: row.ended_at,
                run_id: row.run_id,
            })
            .collect())
    }

    /// The customer revokes one of their authorizations in the wallet: its token stops working
    /// and the ACQP is told (authNotify TOKEN_CANCELED). True when the ACQP acknowledged.
    pub async fn revoke(&self, merchant: &Merchant, id: &str) -> Result<bool, HubError> {
        let found = self.store.db(|db| db.authorizations().by_id(id))?;
        // Only the wallet that granted it may revoke it.
        let Some(found) = found.filter(|found| found.merchant_id.as_deref() == Some(&merchant.id))
        else {
            return Err(HubError::NotFound(format!("authorization {id}")));
        };
        if found.status == AuthorizationStatus::Revoked {
            return Ok(true);
        }
        let now = self.clock.now();
        let run_id = self.authorization_run(&found);
        let project = self.project(&found.project_id)?;
        let notify = AuthNotifyRequest {
            authorization_notify_type: AuthorizationNotifyType::TokenCanceled,
            auth_client_id: Some(found.auth_client_id.clone()),
            auth_state: None,
            auth_code: None,
            access_token: found.access_token.clone(),
            // The wallet whose customer granted it: the one played in the run it was granted in.
            psp_id: Some(self.run_wallet(found.run_id.as_deref()).psp_id.to_owned()),
            acquirer_id: Some(project.acquirer_id.clone()),
            customer_id: found.customer_id.clone(),
            reason: Some("the customer revoked the authorization in the wallet".to_owned()),
        };
        // The revocation and its authNotify are written together, as for a grant.
        let queued = self.auth_notify_delivery(&project, &notify, run_id.as_deref());
        let held = queued.as_ref().and_then(|d| self.hold_delivery(&d.id));
        self.store.transaction(|db| {
            db.authorizations().revoke(id, now)?;
            if let Some(delivery) = &queued {
                db.deliveries().insert(delivery)?;
            }
            Ok::<_, StoreError>(())
        })?;
        if let Some(run_id) = &run_id {
            self.append_event(
                run_id,
                now,
                EventKind::WalletAction {
                    action: WalletActionKind::RevokeAuthorization,
                },
                None,
            )?;
        }
        self.send_auth_notify(queued, held).await
    }

    /// The open run an authorization's exchanges join now: the one it was granted in while
    /// open, else the open Auto Debit run of the merchant who granted it (which adopts it).
    pub(crate) fn authorization_run(&self, authorization: &AuthorizationRow) -> Option<String> {
        if let Some(run_id) = authorization
            .run_id
            .as_deref()
            .filter(|run| self.run_is_open(run))
        {
            return Some(run_id.to_owned());
        }
        let merchant_id = authorization.merchant_id.as_deref()?;
        let open = self
            .store
            .db(|db| db.runs().open_of_merchant(merchant_id))
            .ok()?;
        let adopting = open.into_iter().find(|run| {
            self.open_run_case(run)
                .is_some_and(|case| case.product == Product::AutoDebit)
        })?;
        if let Err(error) = self
            .store
            .db(|db| db.authorizations().adopt(&authorization.id, &adopting))
        {
            tracing::error!(%error, "could not move an authorization to its merchant's open run");
        }
        Some(adopting)
    }

    /// The open run of the authorization behind an access token, if any.
    pub(crate) fn token_run(&self, project_id: &str, access_token: &str) -> Option<String> {
        let found = self
            .store
            .db(|db| {
                let authorizations = db.authorizations();
                match authorizations.by_access_token(project_id, access_token)? {
                    Some(found) => Ok(Some(found)),
                    None => authorizations.by_grant(project_id, Grant::AuthCode(access_token)),
                }
            })
            .ok()
            .flatten()?;
        self.authorization_run(&found)
    }

    /// The open run of the authorization an `applyToken` presents (its code or refresh token).
    pub(crate) fn grant_run(&self, project_id: &str, grant: Grant<'_>) -> Option<String> {
        let found = self
            .store
            .db(|db| db.authorizations().by_grant(project_id, grant))
            .ok()
            .flatten()?;
        self.authorization_run(&found)
    }

    /// Replays the `prepare` that made an authorization into the run it was answered in.
    fn replay_prepare(
        &self,
        authorization: &AuthorizationRow,
        run_id: &str,
    ) -> Result<(), HubError> {
        let log = self.exchanges(
            &authorization.project_id,
            &ExchangeFilter {
                api: Some("prepare".to_owned()),
                limit: Some(1000),
                ..ExchangeFilter::default()
            },
        )?;
        let suffix = format!("/authorize/{}", authorization.id);
        let prepare = log.iter().find(|exchange| {
            exchange.direction == Direction::Inbound
                && exchange.signature_verdict.verdict().is_valid()
                && exchange.api == "prepare"
                && serde_json::from_str::<serde_json::Value>(&exchange.response_body)
                    .ok()
                    .and_then(|v| v["authUrl"].as_str().map(|u| u.ends_with(&suffix)))
                    .unwrap_or(false)
        });
        if let Some(exchange) = prepare {
            self.bind_exchanges(&[exchange.seq], run_id)?;
            self.append_event(
                run_id,
                exchange.at,
                EventKind::AcqpCall(crate::domain::scanning::exchange_call(
                    exchange,
                    linker_aplus::message::Api::Prepare,
                )),
                None,
            )?;
        }
        Ok(())
    }
}
