//! The admin credential: created on a hub's first start, written to `DIR/admin-token` (mode
//! 0600), stored only as a SHA-256 hash, and checked in constant time.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::Hub;
use crate::error::HubError;

/// A secret's SHA-256, hex-encoded: what the hub stores instead of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Hub {
    /// Creates the admin credential when there is none and writes it to `path`; returns the path
    /// when it did.
    pub fn ensure_admin_token(&self, path: &Path) -> Result<Option<std::path::PathBuf>, HubError> {
        let existing = self.store.db(|db| db.admin_credential().token_hash())?;
        if existing.is_some() {
            return Ok(None);
        }
        let token = self.ids.secret();
        write_secret(path, &format!("{token}\n")).map_err(|error| {
            HubError::Internal(format!("cannot write {}: {error}", path.display()))
        })?;
        let now = self.clock.now();
        self.store
            .db(|db| db.admin_credential().insert(&token_hash(&token), now))?;
        Ok(Some(path.to_path_buf()))
    }

    /// Sets the admin token directly (tests and embedding: the demo).
    pub fn set_admin_token(&self, token: &str) -> Result<(), HubError> {
        let now = self.clock.now();
        self.store
            .db(|db| db.admin_credential().replace(&token_hash(token), now))?;
        Ok(())
    }

    /// Checks an admin token.
    pub fn check_admin_token(&self, token: &str) -> Result<(), HubError> {
        let stored = self.store.db(|db| db.admin_credential().token_hash())?;
        match stored {
            Some(hash) if constant_time_eq(&hash, &token_hash(token)) => Ok(()),
            _ => Err(HubError::Unauthorized(
                "the admin token is missing or wrong".to_owned(),
            )),
        }
    }
}

#[cfg(unix)]
fn write_secret(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_secret(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}
