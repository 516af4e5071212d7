//! The merchant's side of a run: a POS driver (the ACQP's own test harness, over the POS driver
//! protocol) or, without one, the operator at a terminal who does what the runner asks.

use linker_aplus::Amount;
use linker_pos_driver::{
    AmountRequest, CancelRequest, ChargeRequest, DisplayAnswer, DisplayState, ErrorCode,
    PosDriverClient, PosDriverError, RefundRequest, RunRequest,
};

use crate::RunnerError;

/// Asks a person to act and answer, for runs without a POS driver (and for questions no driver
/// can answer). Implemented by the command line on a terminal; tests script it.
pub trait Operator: Send + Sync {
    /// Tells the operator what to do at the POS, then waits until they say it is done.
    /// `Err` with a reason when they cannot (e.g. no terminal to ask on).
    fn act(&self, instruction: &str) -> Result<(), String>;
    /// Asks a yes/no question; `Err` with a reason when nobody can answer.
    fn ask(&self, question: &str) -> Result<bool, String>;
    /// Asks for a text the operator reads off the POS (an order code's value); `Err` when
    /// nobody can answer.
    fn read(&self, prompt: &str) -> Result<String, String>;
}

/// An operator who is not there: every request fails with the reason, so a headless run without
/// a POS driver ends each case that needs the POS as broken, saying what was needed.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoOperator;

impl Operator for NoOperator {
    fn act(&self, instruction: &str) -> Result<(), String> {
        Err(format!(
            "no POS driver and no operator to ask: \"{instruction}\" (give --pos-driver, or run on a terminal)"
        ))
    }
    fn ask(&self, question: &str) -> Result<bool, String> {
        Err(format!(
            "no POS driver and no operator to ask: \"{question}\""
        ))
    }
    fn read(&self, prompt: &str) -> Result<String, String> {
        Err(format!(
            "no POS driver and no operator to ask: \"{prompt}\""
        ))
    }
}

/// The merchant's side of a run.
pub enum Pos {
    /// An ACQP test harness speaking the POS driver protocol.
    Driver {
        /// The client.
        client: PosDriverClient,
        /// Whether it answers `display` (from its capabilities).
        display: bool,
        /// What it says it can do.
        capabilities: linker_pos_driver::Capabilities,
    },
    /// A person at the POS, guided on the terminal.
    Operator(Box<dyn Operator>),
}

/// A sale the POS started: its id at the POS when a driver gave one.
#[derive(Debug, Clone, Default)]
pub struct Sale {
    /// The driver's `posPaymentId`.
    pub pos_payment_id: Option<String>,
    /// The ACQP's `paymentRequestId`, for a sale the POS did not start (entry code).
    pub payment_request_id: Option<String>,
}

impl Pos {
    /// A driver at `base_url`, asked for its capabilities once.
    pub async fn driver(base_url: &str, token: Option<String>) -> Result<Pos, RunnerError> {
        let client = PosDriverClient::new(base_url, token).map_err(RunnerError::Pos)?;
        let capabilities = client.capabilities().await.map_err(RunnerError::Pos)?;
        Ok(Pos::Driver {
            client,
            display: capabilities.display,
            capabilities,
        })
    }

    /// The currency the POS sells in, when its driver names one.
    pub fn currency(&self) -> Option<&str> {
        match self {
            Pos::Driver { capabilities, .. } => capabilities.currencies.first().map(String::as_str),
            Pos::Operator(_) => None,
        }
    }

    /// Whether the POS can take payment codes (UPM); an operator is assumed to.
    pub fn takes_payment_codes(&self) -> bool {
        match self {
            Pos::Driver { capabilities, .. } => capabilities
                .products
                .contains(&linker_pos_driver::Product::Upm),
            Pos::Operator(_) => true,
        }
    }

    /// The operator this POS falls back to for questions (none for a driver).
    pub fn operator(&self) -> Option<&dyn Operator> {
        match self {
            Pos::Driver { .. } => None,
            Pos::Operator(operator) => Some(operator.as_ref()),
        }
    }

    /// The POS charges the customer's payment code.
    pub async fn charge(&self, ids: &Ids<'_>, amount: Amount, code: &str) -> Result<Sale, String> {
        match self {
            Pos::Driver { client, .. } => client
                .charge(&ChargeRequest {
                    run_id: ids.run.to_owned(),
                    case_id: ids.case.to_owned(),
                    amount,
                    payment_code: code.to_owned(),
                })
                .await
                .map(|answer| Sale {
                    pos_payment_id: Some(answer.pos_payment_id),
                    payment_request_id: None,
                })
                .map_err(|error| pos_error("charge the payment code", &error)),
            Pos::Operator(operator) => operator
                .act(&format!(
                    "Start a sale of {amount} on the POS and scan (or type) this payment code: {code}"
                ))
                .map(|()| Sale::default()),
        }
    }

    /// The POS shows an Alipay+ order code; returns the sale, the code's value and its
    /// `expireTime` when the driver gave one.
    pub async fn order_code(
        &self,
        ids: &Ids<'_>,
        amount: Amount,
    ) -> Result<(Sale, String, Option<String>), String> {
        match self {
            Pos::Driver { client, .. } => client
                .order_code(&amount_request(ids, amount))
                .await
                .map(|answer| {
                    (
                        Sale {
                            pos_payment_id: Some(answer.pos_payment_id),
                            payment_request_id: None,
                        },
                        answer.code_value,
                        answer.expire_time,
                    )
                })
                .map_err(|error| pos_error("show an order code", &error)),
            Pos::Operator(operator) => operator
                .read(&format!(
                    "Start a sale of {amount} on the POS with an Alipay+ order code, then paste the code's text (the URL in the QR)"
                ))
                .map(|code| (Sale::default(), code, None)),
        }
    }

    /// The POS shows its own private order code.
    pub async fn private_order_code(
        &self,
        ids: &Ids<'_>,
        amount: Amount,
    ) -> Result<(Sale, String), String> {
        match self {
            Pos::Driver { client, .. } => client
                .private_order_code(&amount_request(ids, amount))
                .await
                .map(|answer| {
                    (
                        Sale {
                            pos_payment_id: Some(answer.pos_payment_id),
                            payment_request_id: None,
                        },
                        answer.code_value,
                    )
                })
                .map_err(|error| pos_error("show a private order code", &error)),
            Pos::Operator(operator) => operator
                .read(&format!(
                    "Start a sale of {amount} on the POS with your private order code, then paste the code's text"
                ))
                .map(|code| (Sale::default(), code)),
        }
    }

    /// The merchant's static entry code.
    pub async fn entry_code(&self, ids: &Ids<'_>) -> Result<String, String> {
        match self {
            Pos::Driver { client, .. } => client
                .entry_code(&RunRequest {
                    run_id: ids.run.to_owned(),
                    case_id: ids.case.to_owned(),
                })
                .await
                .map(|answer| answer.code_value)
                .map_err(|error| pos_error("give its entry code", &error)),
            Pos::Operator(operator) => {
                operator.read("Paste the text of the merchant's static entry code (a URL)")
            }
        }
    }

    /// The merchant's site starts a cashier checkout; returns the sale and its `paymentUrl`.
    pub async fn cashier(&self, ids: &Ids<'_>, amount: Amount) -> Result<(Sale, String), String> {
        match self {
            Pos::Driver { client, .. } => client
                .cashier(&amount_request(ids, amount))
                .await
                .map(|answer| {
                    (
                        Sale {
                            pos_payment_id: Some(answer.pos_payment_id),
                            payment_request_id: None,
                        },
                        answer.payment_url,
                    )
                })
                .map_err(|error| pos_error("start a cashier checkout", &error)),
            Pos::Operator(operator) => operator
                .read(&format!(
                    "On the merchant's site, check out {amount} with Alipay+, then paste the payment link it shows"
                ))
                .map(|url| (Sale::default(), url)),
        }
    }

    /// The merchant's site starts linking a wallet (Auto Debit); returns the `authUrl`.
    pub async fn bind(&self, ids: &Ids<'_>) -> Result<String, String> {
        match self {
            Pos::Driver { client, .. } => client
                .bind(&RunRequest {
                    run_id: ids.run.to_owned(),
                    case_id: ids.case.to_owned(),
                })
                .await
                .map(|answer| answer.auth_url)
                .map_err(|error| pos_error("start linking a wallet", &error)),
            Pos::Operator(operator) => operator.read(
                "On the merchant's site, start linking an Alipay+ wallet, then paste the authorization link it shows",
            ),
        }
    }

    /// The merchant's site debits the linked wallet.
    pub async fn debit(&self, ids: &Ids<'_>, amount: Amount) -> Result<Sale, String> {
        match self {
            Pos::Driver { client, .. } => client
                .debit(&amount_request(ids, amount))
                .await
                .map(|answer| Sale {
                    pos_payment_id: Some(answer.pos_payment_id),
                    payment_request_id: None,
                })
                .map_err(|error| pos_error("debit the linked wallet", &error)),
            Pos::Operator(operator) => operator
                .act(&format!(
                    "On the merchant's site, charge {amount} to the linked wallet"
                ))
                .map(|()| Sale::default()),
        }
    }

    /// The merchant's site unlinks the wallet.
    pub async fn unbind(&self, ids: &Ids<'_>) -> Result<(), String> {
        match self {
            Pos::Driver { client, .. } => client
                .unbind(&RunRequest {
                    run_id: ids.run.to_owned(),
                    case_id: ids.case.to_owned(),
                })
                .await
                .map(|_| ())
                .map_err(|error| pos_error("unlink the wallet", &error)),
            Pos::Operator(operator) => operator.act("On the merchant's site, unlink the wallet"),
        }
    }

    /// The POS refunds part or all of a sale.
    pub async fn refund(&self, ids: &Ids<'_>, sale: &Sale, amount: Amount) -> Result<(), String> {
        match (self, &sale.pos_payment_id) {
            (Pos::Driver { client, .. }, Some(id)) => client
                .refund(&RefundRequest {
                    run_id: ids.run.to_owned(),
                    case_id: ids.case.to_owned(),
                    pos_payment_id: id.clone(),
                    amount,
                })
                .await
                .map(|_| ())
                .map_err(|error| pos_error("refund the sale", &error)),
            (Pos::Driver { .. }, None) => {
                Err("the POS driver did not say which sale to refund".to_owned())
            }
            (Pos::Operator(operator), _) => {
                operator.act(&format!("On the POS, refund {amount} of the sale"))
            }
        }
    }

    /// The POS cancels (voids) a sale.
    pub async fn cancel(&self, ids: &Ids<'_>, sale: &Sale) -> Result<(), String> {
        match (self, &sale.pos_payment_id) {
            (Pos::Driver { client, .. }, Some(id)) => client
                .cancel(&CancelRequest {
                    run_id: ids.run.to_owned(),
                    case_id: ids.case.to_owned(),
                    pos_payment_id: id.clone(),
                })
                .await
                .map(|_| ())
                .map_err(|error| pos_error("cancel the sale", &error)),
            (Pos::Driver { .. }, None) => {
                Err("the POS driver did not say which sale to cancel".to_owned())
            }
            (Pos::Operator(operator), _) => operator.act("On the POS, void (cancel) the sale"),
        }
    }

    /// What the merchant's site says about the linked wallet, when its driver offers `account`.
    pub async fn account(&self) -> Option<Result<linker_pos_driver::AccountAnswer, String>> {
        let Pos::Driver {
            client,
            capabilities,
            ..
        } = self
        else {
            return None;
        };
        if !capabilities.account {
            return None;
        }
        Some(
            client
                .account()
                .await
                .map_err(|error| pos_error("say whether the wallet is linked", &error)),
        )
    }

    /// What the POS shows for a sale now, when a driver can say. An error that asking again
    /// will not change (the driver refused the question) is [`DisplayError::lasting`].
    pub async fn display(&self, sale: &Sale) -> Option<Result<DisplayAnswer, DisplayError>> {
        let Pos::Driver {
            client,
            display: true,
            capabilities,
        } = self
        else {
            return None;
        };
        let answer = match (&sale.pos_payment_id, &sale.payment_request_id) {
            (Some(id), _) => client.display(id).await,
            (None, Some(request_id)) if capabilities.display_by_payment_request_id => {
                client.display_by_payment_request_id(request_id).await
            }
            (None, Some(_)) => {
                return Some(Err(DisplayError {
                    message: "the POS driver does not announce displayByPaymentRequestId in its capabilities, so it cannot say what it shows for a sale it did not start".to_owned(),
                    lasting: true,
                }));
            }
            (None, None) => return None,
        };
        Some(answer.map_err(|error| DisplayError {
            lasting: matches!(
                error.code(),
                Some(ErrorCode::BadRequest | ErrorCode::Unsupported)
            ) || matches!(error, PosDriverError::NotProtocol { .. }),
            message: pos_error("say what it shows", &error),
        }))
    }
}

/// Why the POS driver could not say what the POS shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayError {
    /// The driver's own words.
    pub message: String,
    /// True when asking again will not change the answer (the driver refused the question).
    pub lasting: bool,
}

/// The run a POS action belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Ids<'a> {
    /// Linker's run.
    pub run: &'a str,
    /// The case.
    pub case: &'a str,
}

fn amount_request(ids: &Ids<'_>, amount: Amount) -> AmountRequest {
    AmountRequest {
        run_id: ids.run.to_owned(),
        case_id: ids.case.to_owned(),
        amount,
    }
}

fn pos_error(what: &str, error: &PosDriverError) -> String {
    format!("the POS driver could not {what}: {error}")
}

/// True when `state` is one a sale ends in (the POS no longer waits).
pub fn is_final(state: DisplayState) -> bool {
    !matches!(state, DisplayState::Waiting)
}
