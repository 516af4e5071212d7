//! `pay` with an order code (MPM): the hub issues the code the customer scans.

use chrono::{DateTime, Utc};

use crate::domain::payments::Payment;

/// Gives the payment its order code (on the hub's public host) and its expiry.
pub(super) fn issue_order_code(
    payment: &mut Payment,
    acquirer_id: &str,
    public_url: &str,
    order_token: &str,
    waiting_until: DateTime<Utc>,
) {
    let digits = acquirer_id
        .get(acquirer_id.len().saturating_sub(3)..)
        .unwrap_or("000");
    let host = public_url
        .split_once("://")
        .map_or(public_url, |(_, rest)| rest)
        .trim_end_matches('/');
    payment.code_value = Some(format!("https://{host}/281{digits}040001{order_token}"));
    payment.expires_at = Some(waiting_until);
}
