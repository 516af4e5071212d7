//! Tests of the POS driver protocol crate: the committed schemas equal the generated ones, every
//! example parses with the types and validates against its schema, and the client tells apart a
//! driver error, an unreachable driver and an answer that is not the protocol.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client;
mod files;
mod validator;
