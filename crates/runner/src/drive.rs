//! What the runner does for each case: the customer's side through linker-wallet, the merchant's
//! side through the [`Pos`], then the manual questions, answered from what the POS shows.
//!
//! | cases | POS | wallet |
//! |---|---|---|
//! | UPM-01, 03..07 | charges the payment code | shows the code |
//! | UPM-02 | charges the payment code | shows the code, then confirms once the `pay` arrived |
//! | MOC-01, 03, 04 | shows an order code | scans it, pays |
//! | MOC-02 | shows an order code | scans it, backs out |
//! | MOC-05 | shows an order code | waits past its expiry, scans it |
//! | MPC-01 | shows a private order code | scans it, pays |
//! | MPC-02 | shows a private order code | scans a code on the same domain the ACQP never issued |
//! | MEC-01 | gives its entry code | opens the page, enters the amount, pays |
//! | RFD-*, CAN-*, NTF-* | a paid sale (UPM when the POS takes codes, else an order code), then refunds or cancels | pays |
//! | CSH-01, CSH-03 | the site checks out (`cashier`) | opens the payment link, pays, Done (opens the return page) |
//! | CSH-02 | the site checks out | opens the payment link, leaves without paying (opens the return page) |
//! | ADB-01 | the site links the wallet (`bind`), then charges it (`debit`) | authorizes (opens the return page) |
//! | ADB-02 | links, then charges after the revocation | authorizes, then unbinds in Authorizations |
//! | ADB-03 | links, then unlinks (`unbind`) | authorizes |

use std::time::Duration;

use linker_aplus::Amount;
use linker_cases::Headless;
use linker_pos_driver::{DisplayAnswer, DisplayState};
use linker_wallet::{CaseEntry, ImageFormat, ScanInput, ScanNext, Wallet, WalletError};

use crate::pos::{Ids, Pos, Sale, is_final};
use crate::{Progress, web_view};

/// How often the runner looks at the run and the POS while it waits.
pub(crate) const POLL: Duration = Duration::from_millis(500);

/// How often it looks (and moves the clock a step) when it may move a test clock: time for the
/// acquirer, which waits on the same clock, to wake and make its call before the next step.
pub(crate) const FAST_POLL: Duration = Duration::from_millis(100);

/// How often the customer's moment moves the clock a second (UPM-02): time for an acquirer
/// that polls too fast to poll at each step, so its haste shows in the intervals.
const THINKING_STEP: Duration = Duration::from_millis(250);

/// How long the customer takes to confirm a payment in the wallet (UPM-02).
const CUSTOMER_THINKS: Duration = Duration::from_secs(5);

/// How long the POS may take to show what a step expects before the runner, when it may,
/// moves the test clock while it waits (what the POS still waits for is then a window on that
/// clock, e.g. UPM-04's polling until the acquirer gives up).
const DISPLAY_PATIENCE: Duration = Duration::from_millis(500);

/// How far the clock moves at each look then, in seconds: less than any interval a check
/// measures, so each poll or retry of the acquirer still comes on its own step.
const DISPLAY_STEP: u64 = 2;

/// How far one wait for the POS moves the clock at most, in seconds: past every wait of a
/// correct POS (the quick timings' 20 s of polling, 30 s order codes), while a POS that never
/// gets there is waited for in real time, as before, and the hub still takes the answer.
const DISPLAY_SKIP_MAX: u64 = 60;

/// One case being run.
pub(crate) struct CaseRun<'a> {
    pub wallet: &'a Wallet,
    pub pos: &'a Pos,
    pub progress: &'a dyn Progress,
    pub case: &'a CaseEntry,
    pub run_id: String,
    pub amount: Amount,
    /// The sale the POS made, once it made one.
    pub sale: Option<Sale>,
    /// Whether the wallet said the scanned code had expired (MOC-05).
    pub scan_said_expired: Option<bool>,
    /// The paymentRequestId of the run's payment, once the hub saw it.
    pub payment_request_id: Option<String>,
    /// When the order code the POS showed expires, when it said.
    pub order_expires: Option<String>,
    /// The hub's test clock, when the runner may move it.
    pub clock: Option<&'a crate::ClockControl>,
    /// How long to wait for the POS to settle before answering a question from what it shows.
    pub settle: Duration,
}

type Step = Result<(), String>;

/// What the catalogue says the runner does for a case (`headless` in its TOML).
fn headless_script(case_id: &str) -> Option<Headless> {
    linker_cases::Catalogue::builtin()
        .ok()?
        .case(case_id)
        .and_then(|case| case.headless)
}

impl CaseRun<'_> {
    fn ids(&self) -> Ids<'_> {
        Ids {
            run: &self.run_id,
            case: &self.case.id,
        }
    }

    fn note(&self, text: &str) {
        self.progress.note(&self.case.id, text);
    }

    /// How long to wait between two looks at the run or the POS.
    fn poll(&self) -> Duration {
        if self.clock.is_some() {
            FAST_POLL
        } else {
            POLL
        }
    }

    /// The customer's moment before confirming (UPM-02). On a test clock it passes on that
    /// clock, one second a look, so an acquirer that polls (on the same clock) polls in it as
    /// it would in real time, too fast or not.
    async fn customer_thinks(&self) {
        let Some(clock) = self.clock else {
            tokio::time::sleep(CUSTOMER_THINKS).await;
            return;
        };
        for _ in 0..CUSTOMER_THINKS.as_secs() {
            if let Err(reason) = clock.advance(1).await {
                self.note(&reason);
                tokio::time::sleep(CUSTOMER_THINKS).await;
                return;
            }
            tokio::time::sleep(THINKING_STEP).await;
        }
    }

    /// Does the case's actions, in order; `Err` says which one could not be done.
    pub async fn drive(&mut self) -> Step {
        let Some(script) = headless_script(&self.case.id) else {
            return Err(format!(
                "the catalogue names no headless script for {}",
                self.case.id
            ));
        };
        match script {
            Headless::ChargeThenConfirm => {
                self.charge().await?;
                self.wait_for_pay().await?;
                // A customer takes a moment to confirm: long enough for an ACQP that polls to
                // poll, so the polling interval is really exercised.
                self.customer_thinks().await;
                self.note("the wallet confirms the payment");
                self.wallet
                    .confirm_payment(Some(&self.run_id))
                    .await
                    .map(|_| ())
                    .map_err(wallet_error("confirm the payment"))
            }
            Headless::Charge => self.charge().await,
            Headless::OrderCodePay => {
                let code = self.order_code().await?;
                self.scan_and_pay(&code).await
            }
            Headless::OrderCodeBackOut => {
                let code = self.order_code().await?;
                self.scan_expecting_confirmation(&code).await?;
                self.note("the customer backs out without paying");
                self.wallet
                    .back_out(Some(&self.run_id))
                    .await
                    .map(|_| ())
                    .map_err(wallet_error("back out"))
            }
            Headless::OrderCodeExpired => {
                let code = self.order_code().await?;
                let expires = self.order_expires.take();
                self.wait_for_order_expiry(expires).await;
                self.note("the wallet scans the order code after it expired");
                match self.wallet.scan(ScanInput::Text(&code)).await {
                    Ok(outcome) => {
                        self.scan_said_expired = Some(outcome.next == ScanNext::Expired);
                        Ok(())
                    }
                    Err(error) => {
                        let expired = error.to_string().to_lowercase().contains("expire");
                        self.scan_said_expired = Some(expired);
                        Ok(())
                    }
                }
            }
            Headless::PrivateCodePay => {
                let (sale, code) = self
                    .pos
                    .private_order_code(&self.ids(), self.amount)
                    .await?;
                self.sale = Some(sale);
                self.scan_and_pay(&code).await
            }
            Headless::PrivateCodeUnknown => {
                let (_, code) = self
                    .pos
                    .private_order_code(&self.ids(), self.amount)
                    .await?;
                let unknown = never_issued(&code);
                self.note(&format!(
                    "the wallet scans {unknown}, a code the ACQP never issued"
                ));
                match self.wallet.scan(ScanInput::Text(&unknown)).await {
                    Ok(_) => Ok(()),
                    // The hub saying the ACQP refused it is the expected outcome, not a failure
                    // of the runner; the verdict judges the ACQP's answer.
                    Err(WalletError::Hub { .. }) => Ok(()),
                    Err(error) => Err(format!("the wallet could not scan the code: {error}")),
                }
            }
            Headless::EntryCode => self.entry_code().await,
            Headless::RefundWhole => {
                self.paid_sale().await?;
                self.refund(self.amount).await?;
                Ok(())
            }
            Headless::RefundInParts => {
                self.paid_sale().await?;
                let whole = self.amount;
                let part = |percent: u64| {
                    Amount::new(whole.currency(), whole.value() * percent / 100)
                        .map_err(|error| error.to_string())
                };
                self.refund(part(30)?).await?;
                self.wait_for_display(|d| d.state == DisplayState::PartiallyRefunded)
                    .await;
                self.refund(part(30)?).await?;
                self.wait_for_refund_settled().await;
                self.refund(part(50)?).await?;
                Ok(())
            }
            Headless::VoidPaidSale => {
                self.paid_sale().await?;
                self.note("the POS voids the sale");
                let sale = self.sale.clone().unwrap_or_default();
                self.pos.cancel(&self.ids(), &sale).await
            }
            Headless::PaidSale => self.paid_sale().await,
            Headless::CashierPay => {
                let prompt = self.open_checkout().await?;
                self.note("the customer taps Pay Now, then Done");
                self.wallet
                    .confirm_payment(Some(&self.run_id))
                    .await
                    .map_err(wallet_error("confirm the payment"))?;
                self.back_to_merchant(prompt.redirect_url.as_deref()).await
            }
            Headless::CashierBackOut => {
                let prompt = self.open_checkout().await?;
                self.note("the customer leaves without paying");
                self.wallet
                    .back_out(Some(&self.run_id))
                    .await
                    .map_err(wallet_error("back out"))?;
                self.back_to_merchant(prompt.redirect_url.as_deref()).await
            }
            Headless::AuthorizeAndDebit => {
                self.link_wallet().await?;
                self.debit().await
            }
            Headless::UnbindInWallet => {
                let authorization = self.link_wallet().await?;
                self.note("the customer unbinds the merchant in the wallet's Authorizations");
                self.wallet
                    .revoke_authorization(&authorization)
                    .await
                    .map_err(wallet_error("revoke the authorization"))?;
                // The merchant tries to charge again; a site that stopped using the token may
                // refuse, which is the right answer, not a failure of the run.
                if let Err(refused) = self.debit().await {
                    self.note(&refused);
                }
                Ok(())
            }
            Headless::MerchantUnbinds => {
                self.link_wallet().await?;
                self.note("the merchant unlinks the wallet on its site");
                self.pos.unbind(&self.ids()).await
            }
        }
    }

    /// The merchant's site starts a checkout and the wallet opens its payment page; the
    /// payment to confirm.
    async fn open_checkout(&mut self) -> Result<linker_wallet::PaymentConfirmation, String> {
        self.note(&format!("the merchant's site checks out {}", self.amount));
        let (sale, url) = self.pos.cashier(&self.ids(), self.amount).await?;
        self.sale = Some(sale);
        self.note("the wallet opens the payment link");
        let outcome = self
            .wallet
            .scan(ScanInput::Text(&url))
            .await
            .map_err(wallet_error("open the payment link"))?;
        match (outcome.next, outcome.payment) {
            (ScanNext::Confirm, Some(payment)) => Ok(payment),
            _ => Err(format!(
                "the wallet opened the payment link but cannot pay it: {}",
                outcome.message
            )),
        }
    }

    /// Done: the wallet sends the customer back to the merchant's `paymentRedirectUrl`, and
    /// their browser opens it.
    async fn back_to_merchant(&self, redirect_url: Option<&str>) -> Step {
        let Some(url) = redirect_url else {
            self.note(
                "the payment gave no paymentRedirectUrl: the wallet cannot return the customer",
            );
            return Ok(());
        };
        self.note(&format!("the wallet returns the customer to {url}"));
        if let Err(error) = self.wallet.redirected(Some(&self.run_id), url).await {
            self.note(&format!("the hub did not record the return: {error}"));
        }
        let agent = self
            .wallet
            .web_view_user_agent()
            .map_err(wallet_error("name its web view"))?;
        if let Err(error) = web_view::visit(url, &agent).await {
            self.note(&error);
        }
        Ok(())
    }

    /// The merchant's site links the wallet: the customer authorizes in the wallet, returns to
    /// the site, and the ACQP exchanges the code for a token. Returns the authorization's id.
    async fn link_wallet(&mut self) -> Result<String, String> {
        self.note("the merchant's site starts linking an Alipay+ wallet");
        let auth_url = self.pos.bind(&self.ids()).await?;
        self.note("the customer taps Authorize in the wallet");
        let granted = self
            .wallet
            .authorize(&auth_url, Some(&self.run_id))
            .await
            .map_err(wallet_error("authorize"))?;
        let agent = self
            .wallet
            .web_view_user_agent()
            .map_err(wallet_error("name its web view"))?;
        if let Err(error) = web_view::visit(&granted.redirect_url, &agent).await {
            self.note(&error);
        }
        self.wait_for_call("applyToken").await;
        Ok(granted.id)
    }

    /// The merchant's site charges the linked wallet.
    async fn debit(&mut self) -> Step {
        self.note(&format!("the merchant's site charges {}", self.amount));
        let sale = self.pos.debit(&self.ids(), self.amount).await?;
        self.sale = Some(sale);
        Ok(())
    }

    /// Waits until the run's record holds a call of `api` from the ACQP, at most the settle
    /// time (the verdict judges whether it came).
    async fn wait_for_call(&self, api: &str) {
        let deadline = tokio::time::Instant::now() + self.settle;
        loop {
            if let Ok(detail) = self.wallet.run(&self.run_id).await
                && detail.run.events.iter().any(|event| {
                    matches!(&event.kind, linker_cases::EventKind::AcqpCall(call) if call.api.name() == api)
                })
            {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                self.note(&format!(
                    "the ACQP did not call {api} within {} s",
                    self.settle.as_secs()
                ));
                return;
            }
            tokio::time::sleep(self.poll()).await;
        }
    }

    async fn charge(&mut self) -> Step {
        let code = self
            .wallet
            .payment_code(Some(&self.run_id), ImageFormat::Svg)
            .await
            .map_err(wallet_error("show a payment code"))?;
        self.note(&format!("the POS charges payment code {}", code.digits));
        let sale = self
            .pos
            .charge(&self.ids(), self.amount, &code.digits)
            .await?;
        self.sale = Some(sale);
        Ok(())
    }

    async fn order_code(&mut self) -> Result<String, String> {
        self.note(&format!("the POS shows an order code for {}", self.amount));
        let (sale, code, expires) = self.pos.order_code(&self.ids(), self.amount).await?;
        self.sale = Some(sale);
        self.order_expires = expires;
        Ok(code)
    }

    async fn scan_expecting_confirmation(&mut self, code: &str) -> Step {
        self.note("the wallet scans the code");
        let outcome = self
            .wallet
            .scan(ScanInput::Text(code))
            .await
            .map_err(wallet_error("scan the code"))?;
        match outcome.next {
            ScanNext::Confirm => Ok(()),
            _ => Err(format!(
                "the wallet scanned the code but cannot pay it: {}",
                outcome.message
            )),
        }
    }

    async fn scan_and_pay(&mut self, code: &str) -> Step {
        self.scan_expecting_confirmation(code).await?;
        self.note("the customer taps Pay");
        self.wallet
            .confirm_payment(Some(&self.run_id))
            .await
            .map(|_| ())
            .map_err(wallet_error("confirm the payment"))
    }

    async fn entry_code(&mut self) -> Step {
        let code = self.pos.entry_code(&self.ids()).await?;
        self.note("the wallet scans the entry code");
        let outcome = self
            .wallet
            .scan(ScanInput::Text(&code))
            .await
            .map_err(wallet_error("scan the entry code"))?;
        let ScanNext::OpenPage { url, user_agent } = outcome.next else {
            return Err(format!(
                "the wallet does not open the entry code as a page: {}",
                outcome.message
            ));
        };
        self.note(&format!("the customer enters {} on {url}", self.amount));
        let payment_url = web_view::submit_amount(&url, &user_agent, self.amount).await?;
        let outcome = self
            .wallet
            .open_payment_url(Some(&self.run_id), &payment_url)
            .await
            .map_err(wallet_error("open the payment page"))?;
        if outcome.next != ScanNext::Confirm {
            return Err(format!(
                "the payment page cannot be paid: {}",
                outcome.message
            ));
        }
        self.note("the customer taps Pay");
        let view = self
            .wallet
            .confirm_payment(Some(&self.run_id))
            .await
            .map_err(wallet_error("confirm the payment"))?;
        // The POS did not start this sale; its driver finds it by the ACQP's paymentRequestId.
        self.sale = Some(Sale {
            pos_payment_id: None,
            payment_request_id: first_pay_request_id(&view.events),
        });
        Ok(())
    }

    /// A paid sale to refund, cancel or be notified about.
    async fn paid_sale(&mut self) -> Step {
        if self.pos.takes_payment_codes() {
            self.charge().await?;
        } else {
            let code = self.order_code().await?;
            self.scan_and_pay(&code).await?;
        }
        if !self
            .wait_for_display(|d| d.state == DisplayState::Paid)
            .await
        {
            self.note("the POS does not show the sale as paid yet; going on");
        }
        Ok(())
    }

    async fn refund(&mut self, amount: Amount) -> Step {
        self.note(&format!("the POS refunds {amount}"));
        let sale = self.sale.clone().unwrap_or_default();
        self.pos.refund(&self.ids(), &sale, amount).await
    }

    async fn wait_for_refund_settled(&self) {
        self.wait_for_display(|d| {
            matches!(
                d.state,
                DisplayState::PartiallyRefunded | DisplayState::Refunded
            ) && !d.text.to_lowercase().contains("refunding")
        })
        .await;
    }

    /// Waits until the hub has seen the run's `pay` (UPM-02 confirms only then).
    async fn wait_for_pay(&mut self) -> Step {
        let deadline = tokio::time::Instant::now() + self.settle;
        loop {
            if let Ok(detail) = self.wallet.run(&self.run_id).await
                && let Some(request_id) = first_pay_request_id(&detail.run.events)
            {
                self.payment_request_id = Some(request_id);
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(format!(
                    "the ACQP never called pay within {} s of the POS charging the code",
                    self.settle.as_secs()
                ));
            }
            tokio::time::sleep(self.poll()).await;
        }
    }

    /// MOC-05: waits (real time) until the order the POS showed has expired: its `expireTime`
    /// when the POS gave one, else the case's order expiry.
    async fn wait_for_order_expiry(&self, expires: Option<String>) {
        let expires = expires
            .as_deref()
            .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok())
            .map(|at| at.with_timezone(&chrono::Utc));
        // On a test clock, move the hub (and the acquirer, which shares its clock) past the
        // expiry instead of waiting for it.
        if let (Some(clock), Some(expires)) = (self.clock, expires) {
            match clock.now().await {
                Ok(now) => {
                    let secs = u64::try_from((expires - now).num_seconds().max(0)).unwrap_or(0) + 2;
                    self.note(&format!(
                        "moving the hub's test clock {secs} s, past the order code's expiry"
                    ));
                    match clock.advance(secs).await {
                        Ok(()) => return,
                        Err(reason) => self.note(&reason),
                    }
                }
                Err(reason) => self.note(&reason),
            }
        }
        let from_answer = expires.map(|at| (at - chrono::Utc::now()).num_seconds().max(0));
        let secs = from_answer
            .and_then(|s| u64::try_from(s).ok())
            .unwrap_or_else(|| {
                self.case
                    .definition
                    .pointer("/sandbox/order_expiry_secs")
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(120)
            });
        self.note(&format!(
            "waiting {} s for the order code to expire",
            secs + 2
        ));
        tokio::time::sleep(Duration::from_secs(secs + 2)).await;
    }

    /// Asks the site's account page (the driver's `account`) until it shows the wallet
    /// unlinked or the settle time passes; `None` when the driver cannot say.
    async fn account_until_unlinked(&self) -> Option<(bool, String)> {
        let deadline = tokio::time::Instant::now() + self.settle;
        loop {
            match self.pos.account().await? {
                Ok(account) if !account.linked || tokio::time::Instant::now() >= deadline => {
                    return Some((
                        !account.linked,
                        format!(
                            "the POS driver says the site shows the wallet {}: \"{}\"",
                            if account.linked { "linked" } else { "unlinked" },
                            account.text
                        ),
                    ));
                }
                Ok(_) => {}
                Err(error) => {
                    self.note(&error);
                    if tokio::time::Instant::now() >= deadline {
                        return None;
                    }
                }
            }
            tokio::time::sleep(self.poll()).await;
        }
    }

    /// Polls what the POS shows until `wanted` holds (true) or the settle time passes (false).
    /// Without a display to ask, returns false at once.
    pub async fn wait_for_display(&self, wanted: impl Fn(&DisplayAnswer) -> bool) -> bool {
        matches!(self.display_until(wanted).await, Shown::Yes(_))
    }

    async fn display_until(&self, wanted: impl Fn(&DisplayAnswer) -> bool) -> Shown {
        let Some(sale) = &self.sale else {
            return Shown::Unknown(None);
        };
        let since = tokio::time::Instant::now();
        let deadline = since + self.settle;
        let mut last = Shown::Unknown(None);
        let mut skipped = 0;
        loop {
            match self.pos.display(sale).await {
                None => return Shown::Unknown(None),
                Some(Ok(answer)) => {
                    if wanted(&answer) {
                        return Shown::Yes(answer);
                    }
                    last = Shown::No(answer);
                }
                // The driver refused the question: asking again changes nothing.
                Some(Err(error)) if error.lasting => {
                    self.note(&error.message);
                    return Shown::Unknown(Some(error.message));
                }
                Some(Err(error)) => {
                    self.note(&error.message);
                    if !matches!(last, Shown::No(_)) {
                        last = Shown::Unknown(Some(error.message));
                    }
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return last;
            }
            if let Some(clock) = self.clock
                && since.elapsed() >= DISPLAY_PATIENCE
                && skipped < DISPLAY_SKIP_MAX
            {
                match clock.advance(DISPLAY_STEP).await {
                    Ok(()) => {
                        if skipped == 0 {
                            self.note("moving the hub's test clock while the POS waits");
                        }
                        skipped += DISPLAY_STEP;
                    }
                    Err(reason) => self.note(&reason),
                }
            }
            tokio::time::sleep(self.poll()).await;
        }
    }

    /// The answer to a manual question, with a note saying what it is based on; `Err` with why
    /// nobody can answer it (then the case is broken, never the ACQP's failure).
    pub async fn answer(
        &self,
        question_id: &str,
        question: &str,
    ) -> Result<(bool, String), String> {
        if question_id == "wallet-says-expired" {
            return self
                .scan_said_expired
                .map(|said| {
                    (
                        said,
                        if said {
                            "the wallet said the code had expired".to_owned()
                        } else {
                            "the wallet did not say the code had expired".to_owned()
                        },
                    )
                })
                .ok_or_else(|| "the wallet never scanned the code".to_owned());
        }
        if question_id == "site-shows-unlinked"
            && let Some(answer) = self.account_until_unlinked().await
        {
            return Ok(answer);
        }
        let mut driver_said = None;
        if let Some(wanted) = display_answers(question_id)
            && self.sale.is_some()
            && matches!(self.pos, Pos::Driver { display: true, .. })
        {
            match self.display_until(wanted).await {
                Shown::Yes(d) => return Ok((true, describe_display(&d))),
                Shown::No(d) => return Ok((false, describe_display(&d))),
                Shown::Unknown(why) => driver_said = why,
            }
        }
        let cannot = || {
            format!(
                "nobody can answer \"{question}\": {}",
                driver_said.clone().unwrap_or_else(|| {
                    "the POS driver cannot say (answer it in the app, or run with an operator)"
                        .to_owned()
                })
            )
        };
        let Some(operator) = self.pos.operator() else {
            return Err(cannot());
        };
        operator
            .ask(question)
            .map(|yes| (yes, "answered by the operator".to_owned()))
    }
}

/// What the POS driver said the POS shows, for a manual answer.
enum Shown {
    /// It shows what the question wants.
    Yes(DisplayAnswer),
    /// It shows something else (the last thing it showed).
    No(DisplayAnswer),
    /// It could not say; with the driver's words when it gave some.
    Unknown(Option<String>),
}

/// The note a manual answer carries: what the driver says the POS shows.
fn describe_display(d: &DisplayAnswer) -> String {
    format!(
        "the POS driver says the POS shows {}{}: \"{}\"",
        d.state.as_str(),
        d.reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default(),
        d.text
    )
}

/// Which POS display means "yes" to a manual question of the catalogue.
fn display_answers(question_id: &str) -> Option<fn(&DisplayAnswer) -> bool> {
    Some(match question_id {
        "pos-shows-success"
        | "pos-records-one-payment"
        | "merchant-records-payment"
        | "site-shows-paid" => |d| d.state == DisplayState::Paid,
        "site-shows-not-paid" => {
            |d| matches!(d.state, DisplayState::Cancelled | DisplayState::Failed)
        }
        "pos-shows-failure" => |d| d.state == DisplayState::Failed,
        "pos-shows-not-paid" => {
            |d| matches!(d.state, DisplayState::Cancelled | DisplayState::Failed)
        }
        "pos-shows-cancelled" => |d| d.state == DisplayState::Cancelled,
        "pos-shows-refunded" => |d| d.state == DisplayState::Refunded,
        "pos-shows-refund-refused" => |d| d.reason.as_deref() == Some("REFUND_AMOUNT_EXCEED"),
        "pos-asks-for-new-code" => {
            |d| d.state == DisplayState::Failed && d.reason.as_deref() == Some("EXPIRED_CODE")
        }
        // One sale, ended: paid, or cancelled after the slow answer; never a second charge.
        "pos-no-double-charge" => |d| is_final(d.state),
        _ => return None,
    })
}

/// The paymentRequestId of the run's first `pay`, from its events.
fn first_pay_request_id(events: &[linker_wallet::Event]) -> Option<String> {
    events.iter().find_map(|event| match &event.kind {
        linker_wallet::EventKind::AcqpCall(call) if call.api == linker_aplus::message::Api::Pay => {
            call.payment_request_id.clone()
        }
        _ => None,
    })
}

/// A code on the same domain as `issued` whose token the ACQP never issued (MPC-02).
fn never_issued(issued: &str) -> String {
    // The path is 12 digits then an opaque token: keep the digits, replace the token.
    let Some((base, path)) = issued.rsplit_once('/') else {
        return format!("{issued}NeverIssued");
    };
    let digits: String = path.chars().take(12).collect();
    let token: String = path
        .chars()
        .skip(12)
        .map(|c| if c == 'X' { 'Y' } else { 'X' })
        .collect();
    format!("{base}/{digits}LinkerNeverIssued{token}")
}

fn wallet_error(what: &'static str) -> impl Fn(WalletError) -> String {
    move |error| format!("the wallet could not {what}: {error}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shows(state: DisplayState, reason: Option<&str>) -> DisplayAnswer {
        DisplayAnswer {
            state,
            reason: reason.map(str::to_owned),
            text: String::new(),
        }
    }

    #[test]
    fn each_question_is_yes_only_for_the_display_that_means_it() {
        let yes = |q: &str, d: &DisplayAnswer| display_answers(q).map(|f| f(d));
        assert_eq!(
            yes("pos-shows-success", &shows(DisplayState::Paid, None)),
            Some(true)
        );
        assert_eq!(
            yes("pos-shows-success", &shows(DisplayState::Waiting, None)),
            Some(false)
        );
        assert_eq!(
            yes(
                "pos-shows-success",
                &shows(DisplayState::Failed, Some("RISK_REJECT"))
            ),
            Some(false)
        );
        assert_eq!(
            yes("pos-shows-failure", &shows(DisplayState::Paid, None)),
            Some(false)
        );
        assert_eq!(
            yes("pos-shows-not-paid", &shows(DisplayState::Cancelled, None)),
            Some(true)
        );
        assert_eq!(
            yes("pos-shows-not-paid", &shows(DisplayState::Waiting, None)),
            Some(false)
        );
        assert_eq!(
            yes(
                "pos-asks-for-new-code",
                &shows(DisplayState::Failed, Some("EXPIRED_CODE"))
            ),
            Some(true)
        );
        assert_eq!(
            yes(
                "pos-asks-for-new-code",
                &shows(DisplayState::Failed, Some("RISK_REJECT"))
            ),
            Some(false),
            "a failure for another reason is not asking for a new code"
        );
        assert_eq!(
            yes(
                "pos-shows-refund-refused",
                &shows(DisplayState::Refunded, Some("REFUND_AMOUNT_EXCEED"))
            ),
            Some(true)
        );
        assert_eq!(
            yes(
                "pos-shows-refund-refused",
                &shows(DisplayState::Refunded, None)
            ),
            Some(false)
        );
        assert_eq!(yes("options-shown", &shows(DisplayState::Paid, None)), None);
    }

    #[test]
    fn a_never_issued_code_keeps_the_domain_and_digits_and_changes_the_token() {
        let issued = "https://pay.acqp.example/281002040093LFH2t2mq";
        let unknown = never_issued(issued);
        assert!(
            unknown.starts_with("https://pay.acqp.example/281002040093"),
            "{unknown}"
        );
        assert_ne!(unknown, issued);
    }
}
