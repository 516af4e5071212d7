//! The store's payment codes, payments and refunds (`payment_codes`, `payments`, `refunds`): typed rows in and out.
