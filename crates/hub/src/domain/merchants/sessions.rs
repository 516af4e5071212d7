//! How merchants sign in to the wallet: the invitation code once (it sets the argon2 password),
//! then MID or email and password; and the sessions that follow, random tokens stored hashed
//! that expire when idle. The password helpers serve the console's users as well.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};

use super::{MIN_PASSWORD_LEN, Merchant, SESSION_IDLE_TIMEOUT, normalise_code};
use crate::Hub;
use crate::domain::admin_credential::{constant_time_eq, token_hash};
use crate::domain::throttle::attempt_keys;
use crate::error::HubError;
use crate::store::merchants::MerchantStatus;

/// A signed-in wallet session.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// The bearer token (shown once).
    pub token: String,
    /// Who it belongs to.
    pub merchant: Merchant,
    /// The idle timeout in seconds.
    pub idle_timeout_seconds: i64,
}

/// True when `password` matches an argon2 hash (PHC string); a malformed hash matches nothing.
/// A password hash no password matches, verified for an unknown login so that it costs what a
/// known one does.
pub(crate) fn unknown_login_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        SaltString::from_b64("bGlua2VydW5rbm93bnNhbHQ")
            .ok()
            .and_then(|salt| {
                Argon2::default()
                    .hash_password(b"no password is this one", &salt)
                    .ok()
                    .map(|hash| hash.to_string())
            })
            .unwrap_or_default()
    })
}

pub(crate) fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

impl Hub {
    /// The argon2 hash (PHC string) of a new password, refused when shorter than
    /// [`MIN_PASSWORD_LEN`].
    pub(crate) fn hash_password(&self, password: &str) -> Result<String, HubError> {
        if password.chars().count() < MIN_PASSWORD_LEN {
            return Err(HubError::invalid(
                "password",
                format!("choose a password of at least {MIN_PASSWORD_LEN} characters"),
            ));
        }
        let salt = SaltString::encode_b64(&self.ids.bytes(16))
            .map_err(|e| HubError::Internal(format!("salt: {e}")))?;
        Ok(Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| HubError::Internal(format!("password hashing: {e}")))?
            .to_string())
    }

    /// First sign-in: the invitation code and a new password.
    pub fn sign_in_with_invitation(
        &self,
        code: &str,
        password: &str,
        client: Option<std::net::IpAddr>,
    ) -> Result<Session, HubError> {
        let keys = attempt_keys("invitation", None, client);
        self.check_attempt(&keys)?;
        let signed_in = self.invitation_sign_in(code, password);
        if matches!(&signed_in, Err(HubError::Denied { .. })) {
            self.attempt_failed(&keys);
        }
        signed_in
    }

    fn invitation_sign_in(&self, code: &str, password: &str) -> Result<Session, HubError> {
        if password.chars().count() < MIN_PASSWORD_LEN {
            return Err(HubError::invalid(
                "password",
                format!("choose a password of at least {MIN_PASSWORD_LEN} characters"),
            ));
        }
        let now = self.clock.now();
        let hash = token_hash(&normalise_code(code));
        let found = self.store.db(|db| db.merchants().invitation(&hash))?;
        let Some(invitation) = found else {
            return Err(HubError::denied(
                "INVITATION_INVALID",
                "that invitation code is not valid: check it, or ask your acquirer for a new one",
            ));
        };
        if invitation.used {
            return Err(HubError::denied(
                "INVITATION_USED",
                "that invitation was already used: sign in with your MID or email and password",
            ));
        }
        let expires = invitation.expires_at;
        if now >= expires {
            return Err(HubError::denied(
                "INVITATION_EXPIRED",
                format!(
                    "that invitation expired on {}: ask your acquirer to send a new one",
                    expires.format("%Y-%m-%d")
                ),
            ));
        }
        let password_hash = self.hash_password(password)?;
        let merchant_id = invitation.merchant_id;
        self.store
            .db(|db| db.merchants().activate(&merchant_id, &password_hash, now))?;
        self.open_session(&merchant_id)
    }

    /// Later sign-ins: MID or email, and the password. `project_id` settles a login used in
    /// several projects.
    pub fn sign_in(
        &self,
        login: &str,
        password: &str,
        project_id: Option<&str>,
        client: Option<std::net::IpAddr>,
    ) -> Result<Session, HubError> {
        let keys = attempt_keys("wallet-login", Some(login), client);
        self.check_attempt(&keys)?;
        let signed_in = self.password_sign_in(login, password, project_id);
        match &signed_in {
            Ok(_) => self.attempt_succeeded(&keys),
            Err(HubError::Denied { .. }) => self.attempt_failed(&keys),
            Err(_) => {}
        }
        signed_in
    }

    fn password_sign_in(
        &self,
        login: &str,
        password: &str,
        project_id: Option<&str>,
    ) -> Result<Session, HubError> {
        let login = login.trim();
        let candidates = self
            .store
            .db(|db| db.merchants().by_login(login, project_id))?;
        let refused = || HubError::denied("WRONG_CREDENTIALS", "wrong MID, email or password");
        let any_hash = candidates.iter().any(|c| c.password_hash.is_some());
        let mut matching = candidates.into_iter().filter(|candidate| {
            candidate
                .password_hash
                .as_deref()
                .is_some_and(|hash| verify_password(hash, password))
        });
        let Some(found) = matching.next() else {
            if !any_hash {
                // An unknown login costs the same time as a known one.
                let _ = verify_password(unknown_login_hash(), password);
            }
            return Err(refused());
        };
        if matching.next().is_some() {
            return Err(HubError::invalid(
                "projectId",
                "this login and password open several projects: say which one",
            ));
        }
        // Said only to someone who knows the password, so it tells a stranger nothing.
        if found.status == Some(MerchantStatus::Revoked) {
            return Err(HubError::denied(
                "ACCESS_REVOKED",
                "your acquirer revoked this account's access to the test wallet: ask them to invite you again",
            ));
        }
        self.open_session(&found.merchant_id)
    }

    pub(crate) fn open_session(&self, merchant_id: &str) -> Result<Session, HubError> {
        let now = self.clock.now();
        let token = self.ids.secret();
        self.store
            .db(|db| db.sessions().insert(&token_hash(&token), merchant_id, now))?;
        Ok(Session {
            token,
            merchant: self.merchant(merchant_id)?,
            idle_timeout_seconds: SESSION_IDLE_TIMEOUT.num_seconds(),
        })
    }

    /// The merchant a wallet token belongs to; refreshes the idle timer.
    pub fn authenticate(&self, token: &str) -> Result<Merchant, HubError> {
        let now = self.clock.now();
        let hash = token_hash(token);
        let found = self.store.db(|db| db.sessions().get(&hash))?;
        let Some(session) = found else {
            return Err(HubError::denied("NOT_SIGNED_IN", "not signed in"));
        };
        if !constant_time_eq(&session.token_hash, &hash) {
            return Err(HubError::denied("NOT_SIGNED_IN", "not signed in"));
        }
        let merchant_id = session.merchant_id.clone();
        let merchant = self.merchant(&merchant_id)?;
        if merchant.status == MerchantStatus::Revoked.as_str() {
            return Err(HubError::denied(
                "SESSION_REVOKED",
                "your acquirer revoked this account's access to the test wallet",
            ));
        }
        if session.revoked {
            return Err(HubError::denied(
                "SESSION_REVOKED",
                "this session was signed out",
            ));
        }
        if now - session.last_used_at >= SESSION_IDLE_TIMEOUT {
            return Err(HubError::denied(
                "SESSION_EXPIRED",
                format!(
                    "the session expired after {} minutes without use: sign in again",
                    SESSION_IDLE_TIMEOUT.num_minutes()
                ),
            ));
        }
        self.store.db(|db| {
            db.sessions().touch(&hash, now)?;
            db.merchants().touch(&merchant_id, now)
        })?;
        Ok(merchant)
    }

    /// Ends a session.
    pub fn sign_out(&self, token: &str) -> Result<(), HubError> {
        let now = self.clock.now();
        self.store
            .db(|db| db.sessions().revoke(&token_hash(token), now))?;
        Ok(())
    }
}
