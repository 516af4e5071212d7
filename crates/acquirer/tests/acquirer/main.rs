//! The reference acquirer against a real hub on a loopback port: the POS driver drives it, the
//! hub's request log and deliveries show what it really sent, and `display` what the POS shows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auto_debit;
mod callbacks;
mod cashier;
mod faults;
mod payments;
mod support;
mod tsp_mode;
