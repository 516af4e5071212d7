//! linker-pos-driver: the POS driver protocol, version 1 (`/pos/v1`): how Linker asks an ACQP's
//! test harness to act at the point of sale (charge a payment code, show an order code, refund,
//! cancel, tell what the terminal shows). Message types, their JSON Schemas, and a client.
//!
//! The protocol is documented for ACQP engineers in `protocol/README.md` beside this crate, with a
//! JSON Schema per message (`protocol/schema/`, generated from these types by [`schemas`]) and an
//! example per action (`protocol/examples/`).

pub mod client;
pub mod messages;

pub use client::{PosDriverClient, PosDriverError};
pub use messages::*;

use schemars::JsonSchema;

/// The protocol version this crate speaks.
pub const VERSION: &str = "1";

/// The path every action lives under.
pub const BASE_PATH: &str = "/pos/v1";

/// One action of the protocol: its name, method, path and message schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    /// The action's name, also its example file's stem (`protocol/examples/<name>.json`).
    pub name: &'static str,
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The path under the base URL, e.g. `/pos/v1/charge`.
    pub path: &'static str,
    /// The request's schema name (`None` for GET actions).
    pub request: Option<&'static str>,
    /// The answer's schema name.
    pub answer: &'static str,
}

/// Every action of the protocol, in the order of the spec's table.
pub const ACTIONS: [Action; 13] = [
    Action {
        name: "capabilities",
        method: "GET",
        path: "/pos/v1/capabilities",
        request: None,
        answer: "capabilities",
    },
    Action {
        name: "charge",
        method: "POST",
        path: "/pos/v1/charge",
        request: Some("charge-request"),
        answer: "payment-answer",
    },
    Action {
        name: "order-code",
        method: "POST",
        path: "/pos/v1/order-code",
        request: Some("amount-request"),
        answer: "order-code-answer",
    },
    Action {
        name: "private-order-code",
        method: "POST",
        path: "/pos/v1/private-order-code",
        request: Some("amount-request"),
        answer: "private-order-code-answer",
    },
    Action {
        name: "entry-code",
        method: "POST",
        path: "/pos/v1/entry-code",
        request: Some("run-request"),
        answer: "entry-code-answer",
    },
    Action {
        name: "cashier",
        method: "POST",
        path: "/pos/v1/cashier",
        request: Some("amount-request"),
        answer: "cashier-answer",
    },
    Action {
        name: "bind",
        method: "POST",
        path: "/pos/v1/bind",
        request: Some("run-request"),
        answer: "bind-answer",
    },
    Action {
        name: "debit",
        method: "POST",
        path: "/pos/v1/debit",
        request: Some("amount-request"),
        answer: "payment-answer",
    },
    Action {
        name: "unbind",
        method: "POST",
        path: "/pos/v1/unbind",
        request: Some("run-request"),
        answer: "empty-answer",
    },
    Action {
        name: "account",
        method: "GET",
        path: "/pos/v1/account",
        request: None,
        answer: "account-answer",
    },
    Action {
        name: "refund",
        method: "POST",
        path: "/pos/v1/refund",
        request: Some("refund-request"),
        answer: "refund-answer",
    },
    Action {
        name: "cancel",
        method: "POST",
        path: "/pos/v1/cancel",
        request: Some("cancel-request"),
        answer: "empty-answer",
    },
    Action {
        name: "display",
        method: "GET",
        path: "/pos/v1/display",
        request: None,
        answer: "display-answer",
    },
];

fn schema_of<T: JsonSchema>() -> serde_json::Value {
    let settings = schemars::generate::SchemaSettings::draft2020_12();
    let schema = settings.into_generator().into_root_schema_for::<T>();
    schema.to_value()
}

/// The JSON Schema of every message, by name (the file stem under `protocol/schema/`).
pub fn schemas() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        ("capabilities", schema_of::<Capabilities>()),
        ("charge-request", schema_of::<ChargeRequest>()),
        ("payment-answer", schema_of::<PaymentAnswer>()),
        ("amount-request", schema_of::<AmountRequest>()),
        ("run-request", schema_of::<RunRequest>()),
        ("order-code-answer", schema_of::<OrderCodeAnswer>()),
        (
            "private-order-code-answer",
            schema_of::<PrivateOrderCodeAnswer>(),
        ),
        ("entry-code-answer", schema_of::<EntryCodeAnswer>()),
        ("cashier-answer", schema_of::<CashierAnswer>()),
        ("bind-answer", schema_of::<BindAnswer>()),
        ("account-answer", schema_of::<AccountAnswer>()),
        ("refund-request", schema_of::<RefundRequest>()),
        ("refund-answer", schema_of::<RefundAnswer>()),
        ("cancel-request", schema_of::<CancelRequest>()),
        ("empty-answer", schema_of::<EmptyAnswer>()),
        ("display-answer", schema_of::<DisplayAnswer>()),
        ("error", schema_of::<ErrorBody>()),
    ]
}
