//! linker-hub through its real router and over loopback, with real signed requests.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod acqp_authorization;
mod admin_api;
mod after_payment;
mod attachments;
mod authz;
mod auto_debit;
mod browser;
mod busy_store;
mod callbacks;
mod console;
mod console_members;
mod crash;
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
mod outbound;
mod payments;
mod private_codes;
mod project_tokens;
mod proxies;
mod request_log;
mod runs;
mod sheets;
mod smtp;
mod support;
mod tls;
mod wallets;
