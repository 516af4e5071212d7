//! Integration tests of linker-aplus: the signature known-answer vector, messages and their
//! validation, signatures and their diagnosis, code formats and the classifier, and properties.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod codes;
mod messages;
mod properties;
mod signatures;
mod validation;
mod vector;
