//! What happens when a run's wallet scans a code: the hub classifies it (linker-aplus), and for an
//! Alipay+ order code it issued, binds the payment (and every exchange of it so far) to the run
//! and tells the wallet what to show: the payment to confirm, or why there is nothing to pay.

use linker_aplus::code::OrderCode;
use linker_aplus::code::classify::{Classification, CodeKind, DomainRegistry, classify};
use linker_aplus::message::Api;
use linker_aplus::wallets::WalletUnderTest;
use linker_aplus::{Amount, ResultCode};
use linker_cases::{AcqpCall, CustomerBehaviour, EventKind, WalletActionKind};
use serde::Serialize;

use crate::Hub;
use crate::domain::merchants::Merchant;
use crate::domain::payments::{Payment, PaymentKey, PaymentStatus, wire_quote};
use crate::domain::request_log::{Direction, Exchange, ExchangeFilter};
use crate::domain::user_initiated::PrivateCodeAnswer;
use crate::error::HubError;

/// The User-Agent the wallet's web view sends to entry-code pages when it plays TEST_WALLET:
/// `AlipayConnect` is how an ACQP's page recognises an Alipay+ wallet.
pub const WALLET_USER_AGENT: &str = concat!(
    "Mozilla/5.0 AlipayConnect LinkerWallet/",
    env!("CARGO_PKG_VERSION"),
    " TEST_WALLET"
);

/// The User-Agent of the wallet's web view when it plays `wallet` (its name last, as in
/// [`WALLET_USER_AGENT`]).
pub fn wallet_user_agent(wallet: &WalletUnderTest) -> String {
    format!(
        "Mozilla/5.0 AlipayConnect LinkerWallet/{} {}",
        env!("CARGO_PKG_VERSION"),
        wallet.name
    )
}

/// The exchange rate a confirmation shows when the customer's wallet holds another currency
/// than the order's: the hub's quote for the payment, the same one its `pay` and
/// `inquiryPayment` answers give the ACQP (`paymentQuote`, `customerPayAmount`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeRate {
    /// The order's currency.
    pub from: String,
    /// The customer's currency.
    pub to: String,
    /// Units of `to` per unit of `from`, e.g. `7.1795`.
    pub rate: String,
    /// What the customer pays, for people, labelled as Linker's test rate.
    pub converted: String,
    /// What the customer pays.
    pub customer_amount: Amount,
    /// The quote's id, as in `paymentQuote.quoteId`.
    pub quote_id: Option<String>,
}

/// What the wallet shows for a payment it is about to confirm.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentPrompt {
    /// The hub's payment id.
    pub payment_id: String,
    /// The merchant's name, as the ACQP sent it.
    pub merchant_name: Option<String>,
    /// What is being bought, as the ACQP sent it.
    pub order_description: Option<String>,
    /// The amount.
    pub amount: Amount,
    /// The amount for people, e.g. `HKD 42.00`.
    pub amount_text: String,
    /// The ACQP's `productCode`, e.g. `CASHIER_PAYMENT`.
    pub product_code: Option<String>,
    /// Where the wallet returns the customer after paying or leaving (a cashier payment's
    /// `paymentRedirectUrl`), when the ACQP gave one.
    pub redirect_url: Option<String>,
    /// The exchange rate, when the wallet the hub plays holds another currency than the order's.
    pub exchange_rate: Option<ExchangeRate>,
}

/// The result of a scan in a run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanResult {
    /// What the code is, field by field.
    pub classification: Classification,
    /// `confirm` (show the payment, Pay Now / Cancel), `expired`, `notForWallet` or
    /// `unknownCode`.
    pub next: String,
    /// One sentence for the person holding the wallet.
    pub message: String,
    /// The payment to confirm, when `next` is `confirm`.
    pub payment: Option<PaymentPrompt>,
}

fn host_of(url: &str) -> String {
    url.split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The ACQP call an exchange from the request log was, for a run's record.
pub(crate) fn exchange_call(exchange: &Exchange, api: Api) -> AcqpCall {
    let signature = exchange.signature_verdict.verdict();
    let response: serde_json::Value =
        serde_json::from_str(&exchange.response_body).unwrap_or_default();
    let request: serde_json::Value =
        serde_json::from_str(&exchange.request_body).unwrap_or_default();
    let text =
        |v: &serde_json::Value, key: &str| v.get(key).and_then(|x| x.as_str()).map(str::to_owned);
    AcqpCall {
        api,
        request_headers: exchange.request_headers.clone(),
        request_body: exchange.request_body.clone(),
        signature,
        validation: (exchange.result_code.as_deref() == Some("PARAM_ILLEGAL"))
            .then(|| {
                response["result"]["resultMessage"]
                    .as_str()
                    .map(str::to_owned)
            })
            .flatten(),
        response_body: exchange.response_body.clone(),
        result_code: exchange.result_code.clone().unwrap_or_default(),
        result_status: exchange.result_status.clone().unwrap_or_default(),
        forced: exchange.forced,
        payment_request_id: text(&request, "paymentRequestId"),
        payment_id: text(&request, "paymentId").or_else(|| text(&response, "paymentId")),
    }
}

/// A code a run's wallet scanned, and what the answer needs to know about it.
struct Scanned<'a> {
    merchant: &'a Merchant,
    run_id: &'a str,
    /// The code, trimmed.
    code_value: &'a str,
    case: &'static linker_cases::CaseDef,
    classification: &'a Classification,
}

impl Scanned<'_> {
    /// The wallet's answer: what to do next, why, and the payment to confirm.
    fn answer(&self, next: &str, message: String, payment: Option<PaymentPrompt>) -> ScanResult {
        ScanResult {
            classification: self.classification.clone(),
            next: next.to_owned(),
            message,
            payment,
        }
    }
}

impl PaymentPrompt {
    /// What the wallet asks before paying, e.g. `Pay HKD 42.00 to Linker Cafe?`.
    pub fn question(&self) -> String {
        format!(
            "Pay {} to {}?",
            self.amount_text,
            self.merchant_name.as_deref().unwrap_or("the merchant")
        )
    }
}

impl Hub {
    /// The domains this hub's wallets recognise for a project: the hub's own host issues Alipay+
    /// order codes; the project registers the ACQP's private order-code and entry-code domains.
    pub fn domain_registry(&self, project_id: &str) -> Result<DomainRegistry, HubError> {
        let project = self.project(project_id)?;
        Ok(DomainRegistry {
            alipay_domains: vec![host_of(&self.public_url)],
            private_order_code_domains: project.private_code_domains.clone(),
            entry_code_domains: project.entry_code_domains.clone(),
        })
    }

    /// A private order code the merchant never issued, for a run whose customer scans one
    /// (MPC-02: `customer = "scans-unknown-code"`): on the project's first registered
    /// private order-code domain, the acquirer's digits of its `acquirerId`, and a token no ACQP
    /// issues (`LinkerNeverIssued` and 12 random characters, new each time). The wallet then
    /// scans it like any code, so the run goes on as the headless runner's does.
    pub fn unissued_private_code(
        &self,
        merchant: &Merchant,
        run_id: &str,
    ) -> Result<String, HubError> {
        let case = self
            .open_run_case(run_id)
            .filter(|_| self.merchant_run_id_matches(merchant, run_id))
            .ok_or_else(|| HubError::NotFound(format!("open run {run_id}")))?;
        if case.sandbox.customer != CustomerBehaviour::ScansUnknownCode {
            return Err(HubError::Conflict(format!(
                "in {} the customer scans the merchant's own code: only a case whose customer \
                 scans a code the merchant never issued (MPC-02) makes one",
                case.id
            )));
        }
        let project = self.project(&merchant.project_id)?;
        let Some(domain) = project.private_code_domains.first() else {
            return Err(HubError::Conflict(
                "the project registers no private order-code domain: add the acquirer's domain \
                 to the project's settings first"
                    .to_owned(),
            ));
        };
        let id = &project.acquirer_id;
        let digits = id
            .get(id.len().saturating_sub(3)..)
            .filter(|d| d.len() == 3 && d.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or("000");
        let token = self.ids.alphanumeric("LinkerNeverIssued", 12);
        OrderCode::build(domain, digits, "0001", &token)
            .map(|code| code.url)
            .map_err(|error| {
                HubError::Internal(format!(
                    "cannot build a private order code on {domain}: {error}"
                ))
            })
    }

    /// The wallet of an open run scanned `code_value`.
    pub async fn scan(
        &self,
        merchant: &Merchant,
        run_id: &str,
        code_value: &str,
    ) -> Result<ScanResult, HubError> {
        let case = self
            .open_run_case(run_id)
            .filter(|_| self.merchant_run_id_matches(merchant, run_id))
            .ok_or_else(|| HubError::NotFound(format!("open run {run_id}")))?;
        // The hub's own pages: a cashier payment page opens like a tapped link; an authorization
        // page is for the wallet's authorization screen.
        if let Some(path) = self.own_path(code_value) {
            if path.starts_with("/checkout/") {
                return self.open_payment_url(merchant, run_id, code_value);
            }
            if path.starts_with("/authorize/") {
                let registry = self.domain_registry(&merchant.project_id)?;
                let prompt = self.inspect_authorization(merchant, code_value)?;
                return Ok(ScanResult {
                    classification: classify(code_value, &registry),
                    next: "authorize".to_owned(),
                    message: format!(
                        "{} asks to debit this wallet ({}). Authorize or decline.",
                        prompt.client_id,
                        prompt.scopes.join(", ")
                    ),
                    payment: None,
                });
            }
        }
        let registry = self.domain_registry(&merchant.project_id)?;
        let classification = classify(code_value, &registry);
        let kind = classification.kind();
        self.append_event(
            run_id,
            self.clock.now(),
            EventKind::WalletAction {
                action: WalletActionKind::Scan {
                    code_value: code_value.trim().to_owned(),
                    classified: serde_json::to_value(kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                },
            },
            None,
        )?;
        let scanned = Scanned {
            merchant,
            run_id,
            code_value: code_value.trim(),
            case,
            classification: &classification,
        };
        match kind {
            CodeKind::AlipayOrderCode => self.scan_order_code(&scanned),
            CodeKind::PrivateOrderCode => self.scan_private_code(&scanned).await,
            CodeKind::EntryCode => self.scan_entry_code(&scanned),
            _ => Ok(scanned.answer("notForWallet", classification.summary.clone(), None)),
        }
    }

    /// The path of `url` when it is one of this hub's own pages.
    fn own_path<'u>(&self, url: &'u str) -> Option<&'u str> {
        let url = url.trim();
        let base = self.public_url.trim_end_matches('/');
        let rest = url.strip_prefix(base).or_else(|| {
            // The same host over the other scheme (a hub behind a proxy, a QR code typed by hand).
            let (_, own) = base.split_once("://")?;
            let (_, given) = url.split_once("://")?;
            let tail = given.strip_prefix(own)?;
            Some(&url[url.len() - tail.len()..])
        })?;
        rest.starts_with('/').then_some(rest)
    }

    /// A private order code: the ACQP is asked what it is.
    async fn scan_private_code(&self, scanned: &Scanned<'_>) -> Result<ScanResult, HubError> {
        let project = self.project(&scanned.merchant.project_id)?;
        let calls = scanned.case.sandbox.user_initiated_pay_calls();
        let answer = self
            .ask_about_private_code(&project, scanned.run_id, scanned.code_value, calls)
            .await?;
        Ok(match answer {
            PrivateCodeAnswer::Order(payment) => {
                let prompt = self.prompt(&payment)?;
                scanned.answer("confirm", prompt.question(), Some(prompt))
            }
            PrivateCodeAnswer::Refused(result) => scanned.answer(
                "unknownCode",
                format!(
                    "The merchant's system does not know this code ({}: {}).",
                    result.result_code, result.result_message
                ),
                None,
            ),
            PrivateCodeAnswer::Broken(why) => scanned.answer(
                "unknownCode",
                format!("The acquirer could not say what this code is: {why}."),
                None,
            ),
        })
    }

    /// An entry code: the wallet opens the ACQP's page; the pay that page makes joins this run.
    fn scan_entry_code(&self, scanned: &Scanned<'_>) -> Result<ScanResult, HubError> {
        let url = scanned.code_value.to_owned();
        self.append_event(
            scanned.run_id,
            self.clock.now(),
            EventKind::WalletAction {
                action: WalletActionKind::OpenEntryCode { url },
            },
            None,
        )?;
        let now = self.clock.now();
        self.store
            .db(|db| db.payments().mark_entry_opened(scanned.run_id, now))?;
        let user_agent = wallet_user_agent(self.run_wallet(Some(scanned.run_id)));
        Ok(scanned.answer(
            "openPage",
            format!(
                "Open the merchant's page and enter the amount; the wallet identifies itself as \"{user_agent}\"."
            ),
            None,
        ))
    }

    /// An Alipay+ order code: the payment it was issued for joins the run, and the wallet is told
    /// whether there is something to pay.
    fn scan_order_code(&self, scanned: &Scanned<'_>) -> Result<ScanResult, HubError> {
        let project_id = &scanned.merchant.project_id;
        let found = self.store.db(|db| {
            db.payments()
                .id_by_code_value(project_id, scanned.code_value)
        })?;
        let Some(payment_id) = found else {
            return Ok(scanned.answer(
                "unknownCode",
                "This order code was not issued by this hub for your acquirer: ask the cashier to show it again."
                    .to_owned(),
                None,
            ));
        };
        let payment = self.bind_payment(project_id, &payment_id, scanned.run_id)?;
        let prompt = self.prompt(&payment)?;
        let expired = "This order code has expired: ask the cashier for a new one.";
        if payment.status == PaymentStatus::InProcess
            && matches!(
                scanned.case.sandbox.customer,
                CustomerBehaviour::ScansAfterExpiry
            )
        {
            // The script plays a customer who scans too late: the wallet says so, and the order
            // closes at its expiry for the ACQP to notice.
            return Ok(scanned.answer("expired", expired.to_owned(), Some(prompt)));
        }
        // A code scanned after its expiry has expired, whatever became of the order since (the
        // ACQP may have cancelled it already, as it should).
        let past_expiry = payment.expires_at.is_some_and(|at| at <= self.now());
        Ok(match payment.status {
            PaymentStatus::Success => scanned.answer(
                "unknownCode",
                "This order is already paid.".to_owned(),
                Some(prompt),
            ),
            _ if past_expiry => scanned.answer("expired", expired.to_owned(), Some(prompt)),
            PaymentStatus::InProcess => scanned.answer("confirm", prompt.question(), Some(prompt)),
            PaymentStatus::Fail if payment.result_code == ResultCode::OrderIsClosed => {
                scanned.answer("expired", expired.to_owned(), Some(prompt))
            }
            _ => scanned.answer(
                "unknownCode",
                format!("This order is no longer open ({}).", payment.result_code),
                Some(prompt),
            ),
        })
    }

    fn merchant_run_id_matches(&self, merchant: &Merchant, run_id: &str) -> bool {
        self.merchant_run(merchant, run_id).is_ok()
    }

    /// The wallet opened a `paymentUrl` (an entry-code page's redirect, or a cashier page): the
    /// payment behind it joins the run and the wallet is told what to confirm.
    pub fn open_payment_url(
        &self,
        merchant: &Merchant,
        run_id: &str,
        url: &str,
    ) -> Result<ScanResult, HubError> {
        self.open_run_case(run_id)
            .filter(|_| self.merchant_run_id_matches(merchant, run_id))
            .ok_or_else(|| HubError::NotFound(format!("open run {run_id}")))?;
        self.append_event(
            run_id,
            self.clock.now(),
            EventKind::WalletAction {
                action: WalletActionKind::OpenPaymentUrl {
                    url: url.to_owned(),
                },
            },
            None,
        )?;
        let classification = classify(url, &self.domain_registry(&merchant.project_id)?);
        let found = self.store.db(|db| {
            db.payments()
                .id_by_payment_url(&merchant.project_id, url.trim())
        })?;
        let Some(payment_id) = found else {
            return Ok(ScanResult {
                classification,
                next: "unknownCode".to_owned(),
                message: "This payment page was not issued by this hub for your acquirer."
                    .to_owned(),
                payment: None,
            });
        };
        let payment = self.bind_payment(&merchant.project_id, &payment_id, run_id)?;
        let prompt = self.prompt(&payment)?;
        let (next, message) = if payment.status == PaymentStatus::InProcess {
            ("confirm", prompt.question())
        } else {
            (
                "unknownCode",
                format!("This payment is no longer open ({}).", payment.result_code),
            )
        };
        Ok(ScanResult {
            classification,
            next: next.to_owned(),
            message,
            payment: Some(prompt),
        })
    }

    /// The open run whose wallet opened an entry-code page most recently and has no payment
    /// yet: the one an entry-code `pay` belongs to. Of the merchant the pay names by its MID
    /// (`referenceMerchantId`) when the project knows that MID, so one merchant's payment never
    /// lands in another's run; of any merchant of the project otherwise.
    pub(crate) fn entry_run(
        &self,
        project_id: &str,
        reference_merchant_id: Option<&str>,
    ) -> Option<String> {
        // The pay names its merchant: a known MID means that merchant's run and no other's;
        // an MID the project does not know leaves only the page's order to go by.
        let merchant = reference_merchant_id.and_then(|mid| {
            self.store
                .db(|db| db.merchants().by_mid(project_id, mid))
                .ok()
                .flatten()
        });
        self.store
            .db(|db| {
                db.payments()
                    .open_entry_run(project_id, merchant.as_ref().map(|m| m.id.as_str()))
            })
            .ok()
            .flatten()
    }

    /// The customer left the payment page without paying.
    pub fn back_out(
        &self,
        merchant: &Merchant,
        run_id: &str,
    ) -> Result<crate::domain::runs::RunView, HubError> {
        let view = self.merchant_run(merchant, run_id)?;
        if view.status != crate::domain::runs::RunStatus::Open {
            return Err(HubError::RunOver(format!(
                "run {run_id} is over ({})",
                view.status
            )));
        }
        self.append_event(
            run_id,
            self.clock.now(),
            EventKind::WalletAction {
                action: WalletActionKind::BackOut,
            },
            None,
        )?;
        self.judge_run(run_id)
    }

    /// The wallet sent the customer back to the merchant (a cashier payment's
    /// `paymentRedirectUrl`, after paying or leaving).
    pub fn redirected(
        &self,
        merchant: &Merchant,
        run_id: &str,
        url: &str,
    ) -> Result<crate::domain::runs::RunView, HubError> {
        let view = self.merchant_run(merchant, run_id)?;
        if view.status != crate::domain::runs::RunStatus::Open {
            return Ok(view);
        }
        self.append_event(
            run_id,
            self.clock.now(),
            EventKind::WalletAction {
                action: WalletActionKind::Redirected {
                    url: url.trim().to_owned(),
                },
            },
            None,
        )?;
        self.judge_run(run_id)
    }

    fn prompt(&self, payment: &Payment) -> Result<PaymentPrompt, HubError> {
        let body = self
            .store
            .db(|db| db.payments().request_body(&payment.payment_id))?;
        let body: serde_json::Value = body
            .and_then(|b| serde_json::from_str(&b).ok())
            .unwrap_or_default();
        Ok(PaymentPrompt {
            payment_id: payment.payment_id.clone(),
            merchant_name: body["order"]["merchant"]["merchantName"]
                .as_str()
                .map(str::to_owned),
            order_description: body["order"]["orderDescription"]
                .as_str()
                .map(str::to_owned),
            amount: payment.amount,
            amount_text: payment.amount.to_string(),
            product_code: body["productCode"].as_str().map(str::to_owned),
            redirect_url: body["paymentRedirectUrl"].as_str().map(str::to_owned),
            exchange_rate: payment.customer_quote().map(|quote| ExchangeRate {
                from: quote.rate.from.code().to_owned(),
                to: quote.rate.to.code().to_owned(),
                rate: quote.rate.price(),
                converted: format!(
                    "{} ({})",
                    quote.customer_amount,
                    linker_aplus::fx::TEST_RATE_LABEL
                ),
                customer_amount: quote.customer_amount,
                quote_id: wire_quote(&quote).quote_id,
            }),
        })
    }

    /// Binds an unbound payment to a run, and replays into the run every exchange of that
    /// payment the request log holds so far (the `pay` that created it, polls before the scan).
    fn bind_payment(
        &self,
        project_id: &str,
        payment_id: &str,
        run_id: &str,
    ) -> Result<Payment, HubError> {
        let payment = self
            .payment(project_id, PaymentKey::PaymentId(payment_id))?
            .ok_or_else(|| HubError::NotFound(format!("payment {payment_id}")))?;
        match payment.run_id.as_deref() {
            Some(bound) if bound == run_id => return Ok(payment),
            Some(_) => {
                return Err(HubError::Conflict(
                    "this order code was already scanned by another wallet".to_owned(),
                ));
            }
            None => {}
        }
        self.store
            .db(|db| db.payments().bind_run(payment_id, run_id))?;
        // The request log knows the payment each verified call concerns (indexed): no body
        // is read but this payment's.
        let log = self.payment_exchanges(project_id, &payment.payment_id)?;
        let replayed: Vec<&Exchange> = log
            .iter()
            .filter(|e| e.signature_verdict.verdict().is_valid())
            .collect();
        let seqs: Vec<i64> = replayed.iter().map(|e| e.seq).collect();
        self.bind_exchanges(&seqs, run_id)?;
        for exchange in replayed {
            if let Some(api) = linker_cases::record::api_name::parse(&exchange.api) {
                self.append_event(
                    run_id,
                    exchange.at,
                    EventKind::AcqpCall(exchange_call(exchange, api)),
                    None,
                )?;
            }
        }
        self.replay_checkout_consults(&payment, run_id)?;
        let payment = self
            .payment(project_id, PaymentKey::PaymentId(payment_id))?
            .ok_or_else(|| HubError::NotFound(format!("payment {payment_id}")))?;
        self.record_payment_state(&payment);
        Ok(payment)
    }

    /// A cashier checkout asks consultPayment first, and the consult need not name the
    /// merchant: the consults of the project since the run began that joined no run come with
    /// the checkout's payment when it joins the run.
    pub(crate) fn replay_checkout_consults(
        &self,
        payment: &Payment,
        run_id: &str,
    ) -> Result<(), HubError> {
        if payment.scenario != "cashier" {
            return Ok(());
        }
        let started = self.run_row(run_id)?.started_at;
        let log = self.exchanges(
            &payment.project_id,
            &ExchangeFilter {
                api: Some("consultPayment".to_owned()),
                since: Some(started),
                limit: Some(100),
                ..ExchangeFilter::default()
            },
        )?;
        let consults: Vec<&Exchange> = log
            .iter()
            .rev()
            .filter(|e| {
                e.direction == Direction::Inbound
                    && e.signature_verdict.verdict().is_valid()
                    && e.run_id.is_none()
                    && e.at <= payment.created_at
            })
            .collect();
        let seqs: Vec<i64> = consults.iter().map(|e| e.seq).collect();
        self.bind_exchanges(&seqs, run_id)?;
        for exchange in consults {
            self.append_event(
                run_id,
                exchange.at,
                EventKind::AcqpCall(exchange_call(exchange, Api::ConsultPayment)),
                None,
            )?;
        }
        Ok(())
    }
}
