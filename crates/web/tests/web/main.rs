//! The web shell over loopback, mounted beside a real hub as `linker hub serve` mounts it: the
//! screens at /app/, the commands at /app/api/<command>, one wallet per browser session.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod browser;
mod camera;
mod https;
mod install;
mod online;
mod screens;
mod sessions;
mod support;
mod words;
