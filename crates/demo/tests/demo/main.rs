//! The whole loop on loopback: a demo (hub, project, merchant, reference acquirer) and the
//! headless runner, in-process. A correct acquirer passes; each fault switch fails the case it
//! is named after, with the evidence naming the reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod every_case;
mod faults;
mod old_driver;
mod phone;
mod support;
mod tsp_mode;
