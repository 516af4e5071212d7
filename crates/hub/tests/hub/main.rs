//! linker-hub through its real router and over loopback, with real signed requests.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod admin_api;
mod after_payment;
mod attachments;
mod auto_debit;
mod browser;
mod callbacks;
mod console;
mod data_folder;
mod entry_codes;
mod events;
mod forced;
mod gateway;
mod layers;
mod merchants;
mod online_runs;
mod openapi;
mod order_codes;
mod payments;
mod private_codes;
mod request_log;
mod runs;
mod smtp;
mod support;
mod tls;
mod wallets;
