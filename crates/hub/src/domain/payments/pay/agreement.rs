//! `pay` with `AGREEMENT_PAYMENT` (Auto Debit): debits with an access token.

use chrono::{DateTime, Utc};

use crate::domain::auto_debit::token_customer;
use crate::domain::payments::Payment;
use crate::store::{Db, StoreError};

/// Pays with the access token's customer, or fails with why the token does not work.
pub(super) fn debit(
    db: Db<'_>,
    payment: &mut Payment,
    project_id: &str,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    match token_customer(db, project_id, token, now)? {
        Ok(customer) => payment.succeed(Some(customer), now),
        Err((code, message)) => payment.fail(code, message, now),
    }
    Ok(())
}
