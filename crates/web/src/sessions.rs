//! The web shell's sessions: a random id in a cookie names a wallet with its own store in a
//! folder of its own. Sessions end at sign-out or after the idle time, and their folders go with
//! them; a bounded number live at once.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::{HeaderMap, header};
use chrono::{DateTime, Utc};
use linker_base::clock::Clock;
use linker_wallet::commands::app_error;
use linker_wallet::{ErrorView, Wallet, WalletOptions};
use rand::Rng as _;
use rand::distr::Alphanumeric;

use crate::WebConfig;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "linker_wallet";

/// Letters and digits of a session id (about 190 bits).
const ID_LENGTH: usize = 32;

/// One browser session's wallet.
#[derive(Debug, Clone)]
pub struct Session {
    /// The id its cookie carries.
    pub id: String,
    /// Its wallet.
    pub wallet: Arc<Wallet>,
}

#[derive(Debug)]
struct Live {
    wallet: Arc<Wallet>,
    folder: PathBuf,
    last_used: DateTime<Utc>,
}

/// Every live session, by id.
#[derive(Debug)]
pub struct Sessions {
    config: WebConfig,
    clock: Arc<dyn Clock>,
    live: Mutex<HashMap<String, Live>>,
}

impl Sessions {
    /// No sessions yet.
    pub fn new(config: WebConfig, clock: Arc<dyn Clock>) -> Sessions {
        Sessions {
            config,
            clock,
            live: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Live>> {
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How long a session lives without a request.
    pub fn idle(&self) -> std::time::Duration {
        self.config.idle
    }

    /// How many sessions live now.
    pub fn count(&self) -> usize {
        self.lock().len()
    }

    /// The request's session (its idle time restarted), if its cookie names a live one.
    pub fn existing(&self, headers: &HeaderMap) -> Option<Session> {
        self.sweep();
        let id = cookie(headers)?;
        let mut live = self.lock();
        let found = live.get_mut(&id)?;
        found.last_used = self.clock.now();
        Some(Session {
            id,
            wallet: found.wallet.clone(),
        })
    }

    /// The request's session, or a new one; with a new one, the `Set-Cookie` value to send.
    pub fn for_request(&self, headers: &HeaderMap) -> Result<(Session, Option<String>), ErrorView> {
        if let Some(session) = self.existing(headers) {
            return Ok((session, None));
        }
        let (session, cookie) = self.start()?;
        Ok((session, Some(cookie)))
    }

    /// A new session, and the `Set-Cookie` value that names it.
    pub fn start(&self) -> Result<(Session, String), ErrorView> {
        let session = self.open()?;
        let cookie = format!(
            "{SESSION_COOKIE}={}; Path=/app; HttpOnly; SameSite=Strict{}",
            session.id,
            if self.config.secure_cookie {
                "; Secure"
            } else {
                ""
            }
        );
        Ok((session, cookie))
    }

    fn open(&self) -> Result<Session, ErrorView> {
        if self.count() >= self.config.max_sessions {
            return Err(app_error(
                "TOO_MANY_SESSIONS",
                "the web wallet has as many sessions as it keeps; try again later",
            ));
        }
        let id = random_id();
        let folder = self.config.data_dir.join(&id);
        let options = WalletOptions {
            default_hub_url: self.config.hub_url.clone(),
            hub_url_fixed: true,
            ..WalletOptions::default()
        };
        let wallet = Wallet::open(&folder, options).map_err(|error| error.view())?;
        let wallet = Arc::new(wallet);
        self.lock().insert(
            id.clone(),
            Live {
                wallet: wallet.clone(),
                folder,
                last_used: self.clock.now(),
            },
        );
        Ok(Session { id, wallet })
    }

    /// Ends a session and removes its wallet's folder.
    pub fn end(&self, id: &str) {
        let ended = self.lock().remove(id);
        if let Some(ended) = ended {
            remove_folder(ended);
        }
    }

    /// Ends every session idle for longer than the idle time; returns how many ended.
    pub fn sweep(&self) -> usize {
        let now = self.clock.now();
        let idle = chrono::Duration::from_std(self.config.idle).unwrap_or(chrono::Duration::MAX);
        let ended: Vec<Live> = {
            let mut live = self.lock();
            let expired: Vec<String> = live
                .iter()
                .filter(|(_, session)| now - session.last_used > idle)
                .map(|(id, _)| id.clone())
                .collect();
            expired.iter().filter_map(|id| live.remove(id)).collect()
        };
        let count = ended.len();
        ended.into_iter().for_each(remove_folder);
        count
    }
}

/// A fresh random id of [`ID_LENGTH`] letters and digits.
pub(crate) fn random_id() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(ID_LENGTH)
        .map(char::from)
        .collect()
}

/// True when `id` has the shape of an id this shell hands out.
pub(crate) fn plausible_id(id: &str) -> bool {
    id.len() == ID_LENGTH && id.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Removes an ended session's folder (its wallet closes when the last request using it ends).
fn remove_folder(ended: Live) {
    drop(ended.wallet);
    if let Err(error) = std::fs::remove_dir_all(&ended.folder) {
        tracing::warn!(%error, folder = %ended.folder.display(), "an ended web session's folder stays");
    }
}

/// The session id the request's cookie carries, if it looks like one.
fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|id| plausible_id(id))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use std::sync::Arc;
    use std::time::Duration;

    use linker_base::clock::{Clock, ManualClock};

    use crate::{WebConfig, WebShell};

    #[tokio::test(start_paused = true)]
    async fn a_quiet_shell_still_ends_idle_sessions_and_removes_their_folders() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let clock = Arc::new(ManualClock::default());
        let config = WebConfig::new(dir.path().join("sessions"), "http://127.0.0.1:9");
        let shell = Arc::new(WebShell::new(config, clock.clone()));
        let (session, _) = shell.sessions().start().expect("a session");
        let folder = dir.path().join("sessions").join(&session.id);
        drop(session);
        assert!(folder.is_dir(), "the session's wallet has a folder");
        let sweeper = WebShell::spawn_sweeper(&shell);

        clock.advance(chrono::Duration::minutes(29));
        tokio::time::sleep(Duration::from_secs(61)).await;
        assert_eq!(shell.sessions().count(), 1, "29 minutes idle: it lives");

        clock.advance(chrono::Duration::minutes(2));
        tokio::time::sleep(Duration::from_secs(61)).await;
        assert_eq!(
            shell.sessions().count(),
            0,
            "31 minutes idle and no request since: the timer ended it"
        );
        assert!(
            !folder.exists(),
            "and removed its folder {}",
            folder.display()
        );

        drop(shell);
        tokio::time::sleep(Duration::from_secs(61)).await;
        assert!(sweeper.is_finished(), "the sweeper stops with the shell");
    }
}
