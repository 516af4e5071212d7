//! `pay` with an entry code or a cashier page: the wallet opens the hub's payment page.

use chrono::{DateTime, Utc};

use crate::domain::payments::Payment;

/// Gives the payment its page and expiry; an entry-code pay joins the run whose wallet opened
/// the ACQP's page.
pub(super) fn open_payment_page(
    payment: &mut Payment,
    entry_run: Option<String>,
    public_url: &str,
    waiting_until: DateTime<Utc>,
) {
    payment.run_id = entry_run;
    payment.payment_url = Some(format!(
        "{}/checkout/{}",
        public_url.trim_end_matches('/'),
        payment.payment_id
    ));
    payment.expires_at = Some(waiting_until);
}
