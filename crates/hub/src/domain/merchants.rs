//! Merchants invited to test (the Developer Center's *Test Accounts*) and how they sign in to the
//! wallet: an invitation code for the first sign-in, which sets a password; MID or email and
//! password afterwards. Sessions are random tokens stored hashed, scoped to one merchant of one
//! project, that expire when idle.
//!
//! Status follows the spec: `inactive` (invited, never signed in), `processing` (invitation
//! being delivered), `active` (signed in at least once), `failed` (delivery failed; the remark
//! says why).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use crate::Hub;
use crate::domain::admin_credential::{constant_time_eq, token_hash};
use crate::error::HubError;
use crate::store::time_column as time_of;

/// How long an invitation code stays valid.
pub const INVITATION_VALIDITY: Duration = Duration::days(14);
/// How long a wallet session lives without use.
pub const SESSION_IDLE_TIMEOUT: Duration = Duration::minutes(30);
/// The shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 8;

/// The Alipay+ products a merchant can be invited to test.
pub const PRODUCTS: [&str; 6] = [
    "UPM",
    "ORDER_CODE",
    "PRIVATE_ORDER_CODE",
    "ENTRY_CODE",
    "CASHIER",
    "AUTO_DEBIT",
];

/// Reads a product list: the names of [`PRODUCTS`], case-insensitive, and `MPM` for the three
/// merchant-presented kinds.
pub fn parse_products(items: &[String]) -> Result<Vec<String>, HubError> {
    let mut out: Vec<String> = Vec::new();
    for item in items.iter().flat_map(|i| i.split([',', ';', ' '])) {
        let name = item.trim().to_ascii_uppercase().replace('-', "_");
        if name.is_empty() {
            continue;
        }
        let expanded: Vec<&str> = match name.as_str() {
            "MPM" => vec!["ORDER_CODE", "PRIVATE_ORDER_CODE", "ENTRY_CODE"],
            other => match PRODUCTS.iter().find(|p| **p == other) {
                Some(product) => vec![*product],
                None => {
                    return Err(HubError::invalid(
                        "products",
                        format!(
                            "{item:?} is not a product; use {} or MPM",
                            PRODUCTS.join(", ")
                        ),
                    ));
                }
            },
        };
        for product in expanded {
            if !out.iter().any(|p| p == product) {
                out.push(product.to_owned());
            }
        }
    }
    if out.is_empty() {
        return Err(HubError::invalid("products", "name at least one product"));
    }
    Ok(out)
}

/// What a TSP gives to invite a merchant.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewMerchant {
    /// The merchant's name.
    pub name: String,
    /// Its merchant id at the acquirer.
    pub mid: String,
    /// Where the invitation goes.
    pub email: String,
    /// The products it tests.
    pub products: Vec<String>,
}

/// A merchant as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Merchant {
    /// The hub's id (`mer_...`).
    pub id: String,
    /// Its project.
    pub project_id: String,
    /// Name.
    pub name: String,
    /// Merchant id.
    pub mid: String,
    /// Email.
    pub email: String,
    /// Products it tests.
    pub products: Vec<String>,
    /// `inactive`, `processing`, `active` or `failed`.
    pub status: String,
    /// Why it failed, or other remarks.
    pub remark: Option<String>,
    /// When it was invited.
    pub created_at: DateTime<Utc>,
    /// When it last used the wallet.
    pub last_active_at: Option<DateTime<Utc>>,
}

/// A fresh invitation: shown once, stored only hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invitation {
    /// The code the merchant types (or scans).
    pub code: String,
    /// A link that carries the code.
    pub link: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// A merchant together with its new invitation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invited {
    /// The merchant.
    pub merchant: Merchant,
    /// Its invitation.
    pub invitation: Invitation,
}

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

const COLUMNS: &str =
    "id, project_id, name, mid, email, products, status, remark, created_at, last_active_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Merchant> {
    let products: String = row.get(5)?;
    Ok(Merchant {
        id: row.get(0)?,
        project_id: row.get(1)?,
        name: row.get(2)?,
        mid: row.get(3)?,
        email: row.get(4)?,
        products: serde_json::from_str(&products).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, e.into())
        })?,
        status: row.get(6)?,
        remark: row.get(7)?,
        created_at: time_of(8, Some(row.get(8)?))?.unwrap_or_default(),
        last_active_at: time_of(9, row.get(9)?)?,
    })
}

pub(crate) fn check_email(email: &str) -> Result<String, HubError> {
    let email = email.trim().to_ascii_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.contains(char::is_whitespace)
        });
    if valid {
        Ok(email)
    } else {
        Err(HubError::invalid(
            "email",
            format!("{email:?} is not an email address"),
        ))
    }
}

/// Checks and normalises what a TSP gave to invite a merchant (name, MID, email, products),
/// naming the first wrong field.
pub fn check_new_merchant(new: &NewMerchant) -> Result<NewMerchant, HubError> {
    let name = new.name.trim().to_owned();
    if name.is_empty() {
        return Err(HubError::invalid("name", "required"));
    }
    let mid = new.mid.trim().to_owned();
    if mid.is_empty() || mid.len() > 64 {
        return Err(HubError::invalid("mid", "required, at most 64 characters"));
    }
    let email = check_email(&new.email)?;
    let products = parse_products(&new.products)?;
    Ok(NewMerchant {
        name,
        mid,
        email,
        products,
    })
}

fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Writes a new merchant and its invitation (hashed) in the caller's transaction.
fn insert_merchant(connection: &Connection, invited: &Invited) -> rusqlite::Result<()> {
    let Invited {
        merchant,
        invitation,
    } = invited;
    connection
        .prepare_cached(
            "INSERT INTO merchants (id, project_id, name, mid, email, products, status, remark, \
             created_at, invitation_hash, invitation_expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, ?9, ?10)",
        )?
        .execute(params![
            merchant.id,
            merchant.project_id,
            merchant.name,
            merchant.mid,
            merchant.email,
            serde_json::to_string(&merchant.products).unwrap_or_default(),
            merchant.status,
            merchant.created_at.to_rfc3339(),
            token_hash(&normalise_code(&invitation.code)),
            invitation.expires_at.to_rfc3339(),
        ])?;
    Ok(())
}

impl Hub {
    /// Invites a merchant: checks every field, creates it `inactive` and returns its invitation.
    pub fn invite_merchant(&self, project_id: &str, new: NewMerchant) -> Result<Invited, HubError> {
        self.project(project_id)?;
        let now = self.clock.now();
        let invited = self.new_invited(project_id, check_new_merchant(&new)?, now);
        let merchant = &invited.merchant;
        self.store.with(|connection| {
            let transaction = connection.transaction()?;
            let clash: Option<String> = transaction
                .prepare_cached(
                    "SELECT CASE WHEN mid = ?2 THEN 'mid' ELSE 'email' END FROM merchants \
                     WHERE project_id = ?1 AND (mid = ?2 OR email = ?3)",
                )?
                .query_row(params![project_id, merchant.mid, merchant.email], |row| {
                    row.get(0)
                })
                .optional()?;
            if let Some(field) = clash {
                let value = if field == "mid" {
                    &merchant.mid
                } else {
                    &merchant.email
                };
                return Ok(Err(HubError::invalid(
                    &field,
                    format!("{value} is already invited to this project"),
                )));
            }
            insert_merchant(&transaction, &invited)?;
            transaction.commit()?;
            Ok(Ok(()))
        })??;
        Ok(invited)
    }

    /// A new `inactive` merchant of the project, from checked fields, with a fresh invitation.
    fn new_invited(&self, project_id: &str, new: NewMerchant, now: DateTime<Utc>) -> Invited {
        Invited {
            merchant: Merchant {
                id: self.ids.alphanumeric("mer_", 12),
                project_id: project_id.to_owned(),
                name: new.name,
                mid: new.mid,
                email: new.email,
                products: new.products,
                status: "inactive".to_owned(),
                remark: None,
                created_at: now,
                last_active_at: None,
            },
            invitation: self.new_invitation(now),
        }
    }

    /// Invites several merchants at once, all or none: every row is checked (fields, MIDs and
    /// emails unique in the batch and in the project) before one transaction creates them.
    pub fn invite_merchants(
        &self,
        project_id: &str,
        batch: &[NewMerchant],
    ) -> Result<Vec<Invited>, HubError> {
        let problems = self.check_merchant_batch(project_id, batch)?;
        if let Some((index, problem)) = problems
            .iter()
            .enumerate()
            .find_map(|(i, p)| p.as_ref().map(|p| (i, p)))
        {
            return Err(HubError::invalid(
                "file",
                format!(
                    "row {} of {}: {problem}; nothing was created",
                    index + 1,
                    batch.len()
                ),
            ));
        }
        let now = self.clock.now();
        let mut invited = Vec::with_capacity(batch.len());
        for new in batch {
            invited.push(self.new_invited(project_id, check_new_merchant(new)?, now));
        }
        self.store.with(|connection| {
            let transaction = connection.transaction()?;
            for one in &invited {
                insert_merchant(&transaction, one)?;
            }
            transaction.commit()?;
            Ok(())
        })?;
        Ok(invited)
    }

    /// What is wrong with each row of a batch of invitations (`None`: nothing), without
    /// creating anything: the import preview.
    pub fn check_merchant_batch(
        &self,
        project_id: &str,
        batch: &[NewMerchant],
    ) -> Result<Vec<Option<String>>, HubError> {
        let existing = self.merchants(project_id)?;
        let mut seen_mids: Vec<String> = Vec::new();
        let mut seen_emails: Vec<String> = Vec::new();
        Ok(batch
            .iter()
            .map(|new| {
                let checked = match check_new_merchant(new) {
                    Ok(checked) => checked,
                    Err(error) => return Some(error.to_string()),
                };
                let problem = if seen_mids.contains(&checked.mid) {
                    Some(format!("mid: {} appears twice in the file", checked.mid))
                } else if seen_emails.contains(&checked.email) {
                    Some(format!(
                        "email: {} appears twice in the file",
                        checked.email
                    ))
                } else if existing.iter().any(|m| m.mid == checked.mid) {
                    Some(format!(
                        "mid: {} is already invited to this project",
                        checked.mid
                    ))
                } else if existing.iter().any(|m| m.email == checked.email) {
                    Some(format!(
                        "email: {} is already invited to this project",
                        checked.email
                    ))
                } else {
                    None
                };
                seen_mids.push(checked.mid);
                seen_emails.push(checked.email);
                problem
            })
            .collect())
    }

    fn new_invitation(&self, now: DateTime<Utc>) -> Invitation {
        let code = self.ids.invitation_code();
        Invitation {
            link: format!("{}/invite/{code}", self.public_url.trim_end_matches('/')),
            code,
            expires_at: now + INVITATION_VALIDITY,
        }
    }

    /// A project's merchants, in invitation order.
    pub fn merchants(&self, project_id: &str) -> Result<Vec<Merchant>, HubError> {
        Ok(self.store.with(|connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM merchants WHERE project_id = ?1 ORDER BY created_at, id"
            ))?;
            let rows = statement.query_map([project_id], from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?)
    }

    /// One merchant.
    pub fn merchant(&self, id: &str) -> Result<Merchant, HubError> {
        self.store
            .with(|connection| {
                Ok(connection
                    .prepare_cached(&format!("SELECT {COLUMNS} FROM merchants WHERE id = ?1"))?
                    .query_row([id], from_row)
                    .optional()?)
            })?
            .ok_or_else(|| HubError::NotFound(format!("merchant {id}")))
    }

    /// Replaces a merchant's invitation with a new one (the old code stops working).
    pub fn resend_invitation(
        &self,
        project_id: &str,
        merchant_id: &str,
    ) -> Result<Invited, HubError> {
        let merchant = self.merchant(merchant_id)?;
        if merchant.project_id != project_id {
            return Err(HubError::NotFound(format!("merchant {merchant_id}")));
        }
        let invitation = self.new_invitation(self.clock.now());
        self.store.with(|connection| {
            connection
                .prepare_cached(
                    "UPDATE merchants SET invitation_hash = ?2, invitation_expires_at = ?3, \
                 invitation_used_at = NULL WHERE id = ?1",
                )?
                .execute(params![
                    merchant_id,
                    token_hash(&normalise_code(&invitation.code)),
                    invitation.expires_at.to_rfc3339()
                ])?;
            Ok(())
        })?;
        Ok(Invited {
            merchant,
            invitation,
        })
    }

    /// First sign-in: the invitation code and a new password.
    pub fn sign_in_with_invitation(&self, code: &str, password: &str) -> Result<Session, HubError> {
        if password.chars().count() < MIN_PASSWORD_LEN {
            return Err(HubError::invalid(
                "password",
                format!("choose a password of at least {MIN_PASSWORD_LEN} characters"),
            ));
        }
        let now = self.clock.now();
        let hash = token_hash(&normalise_code(code));
        let found: Option<(String, String, Option<String>)> = self.store.with(|connection| {
            Ok(connection
                .prepare_cached("SELECT id, invitation_expires_at, invitation_used_at FROM merchants WHERE invitation_hash = ?1")?
                .query_row([&hash],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()?)
        })?;
        let Some((merchant_id, expires, used)) = found else {
            return Err(HubError::denied(
                "INVITATION_INVALID",
                "that invitation code is not valid: check it, or ask your acquirer for a new one",
            ));
        };
        if used.is_some() {
            return Err(HubError::denied(
                "INVITATION_USED",
                "that invitation was already used: sign in with your MID or email and password",
            ));
        }
        let expires = time_of(0, Some(expires))?.unwrap_or(now);
        if now >= expires {
            return Err(HubError::denied(
                "INVITATION_EXPIRED",
                format!(
                    "that invitation expired on {}: ask your acquirer to send a new one",
                    expires.format("%Y-%m-%d")
                ),
            ));
        }
        let salt = SaltString::encode_b64(&self.ids.bytes(16))
            .map_err(|e| HubError::Internal(format!("salt: {e}")))?;
        let password_hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| HubError::Internal(format!("password hashing: {e}")))?
            .to_string();
        self.store.with(|connection| {
            connection.prepare_cached("UPDATE merchants SET password_hash = ?2, invitation_used_at = ?3, status = 'active', \
                 last_active_at = ?3 WHERE id = ?1")?.execute(params![merchant_id, password_hash, now.to_rfc3339()],
            )?;
            Ok(())
        })?;
        self.open_session(&merchant_id)
    }

    /// Later sign-ins: MID or email, and the password. `project_id` settles a login used in
    /// several projects.
    pub fn sign_in(
        &self,
        login: &str,
        password: &str,
        project_id: Option<&str>,
    ) -> Result<Session, HubError> {
        let login = login.trim();
        let candidates: Vec<(String, Option<String>)> = self.store.with(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT id, password_hash FROM merchants WHERE (mid = ?1 OR email = lower(?1)) \
                 AND (?2 IS NULL OR project_id = ?2)",
            )?;
            let rows = statement.query_map(params![login, project_id], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        let refused = || HubError::denied("WRONG_CREDENTIALS", "wrong MID, email or password");
        let mut matching = candidates.into_iter().filter(|(_, hash)| {
            hash.as_deref()
                .and_then(|h| PasswordHash::new(h).ok())
                .is_some_and(|parsed| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
        });
        let Some((merchant_id, _)) = matching.next() else {
            return Err(refused());
        };
        if matching.next().is_some() {
            return Err(HubError::invalid(
                "projectId",
                "this login and password open several projects: say which one",
            ));
        }
        self.open_session(&merchant_id)
    }

    fn open_session(&self, merchant_id: &str) -> Result<Session, HubError> {
        let now = self.clock.now();
        let token = self.ids.secret();
        self.store.with(|connection| {
            connection.prepare_cached("INSERT INTO sessions (token_hash, merchant_id, created_at, last_used_at) VALUES (?1, ?2, ?3, ?3)")?.execute(params![token_hash(&token), merchant_id, now.to_rfc3339()],
            )?;
            Ok(())
        })?;
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
        let found: Option<(String, String, String, Option<String>)> = self.store.with(|connection| {
            Ok(connection
                .prepare_cached("SELECT token_hash, merchant_id, last_used_at, revoked_at FROM sessions WHERE token_hash = ?1")?
                .query_row([&hash],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
                )
                .optional()?)
        })?;
        let Some((stored, merchant_id, last_used, revoked)) = found else {
            return Err(HubError::denied("NOT_SIGNED_IN", "not signed in"));
        };
        if !constant_time_eq(&stored, &hash) || revoked.is_some() {
            return Err(HubError::denied(
                "SESSION_REVOKED",
                "this session was signed out",
            ));
        }
        let last_used = time_of(0, Some(last_used))?.unwrap_or(now);
        if now - last_used >= SESSION_IDLE_TIMEOUT {
            return Err(HubError::denied(
                "SESSION_EXPIRED",
                format!(
                    "the session expired after {} minutes without use: sign in again",
                    SESSION_IDLE_TIMEOUT.num_minutes()
                ),
            ));
        }
        self.store.with(|connection| {
            connection
                .prepare_cached("UPDATE sessions SET last_used_at = ?2 WHERE token_hash = ?1")?
                .execute(params![hash, now.to_rfc3339()])?;
            connection
                .prepare_cached("UPDATE merchants SET last_active_at = ?2 WHERE id = ?1")?
                .execute(params![merchant_id, now.to_rfc3339()])?;
            Ok(())
        })?;
        self.merchant(&merchant_id)
    }

    /// Ends a session.
    pub fn sign_out(&self, token: &str) -> Result<(), HubError> {
        let now = self.clock.now();
        self.store.with(|connection| {
            connection.prepare_cached("UPDATE sessions SET revoked_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL")?.execute(params![token_hash(token), now.to_rfc3339()],
            )?;
            Ok(())
        })?;
        Ok(())
    }
}

/// One row of a merchant import, and what became of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportRow {
    /// The line in the file (the header is line 1).
    pub line: usize,
    /// The MID the row named, if any.
    pub mid: Option<String>,
    /// The merchant and invitation, when created.
    pub invited: Option<Invited>,
    /// Why it was rejected.
    pub error: Option<String>,
}

impl Hub {
    /// Invites every valid row of a CSV (columns name, mid, email, products; header required,
    /// any order) and reports each row.
    pub fn import_merchants(
        &self,
        project_id: &str,
        csv: &str,
    ) -> Result<Vec<ImportRow>, HubError> {
        self.project(project_id)?;
        let mut lines = csv
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            return Err(HubError::invalid("file", "the file is empty"));
        };
        let columns: Vec<String> = split_csv_line(header)
            .iter()
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
        let position = |name: &str| columns.iter().position(|c| c == name);
        let (Some(name_at), Some(mid_at), Some(email_at), Some(products_at)) = (
            position("name"),
            position("mid"),
            position("email"),
            position("products"),
        ) else {
            return Err(HubError::invalid(
                "file",
                format!(
                    "the header must name the columns name, mid, email, products; it has {}",
                    columns.join(", ")
                ),
            ));
        };
        let mut report = Vec::new();
        for (index, line) in lines {
            let cells = split_csv_line(line);
            let cell = |at: usize| {
                cells
                    .get(at)
                    .map(|c| c.trim().to_owned())
                    .unwrap_or_default()
            };
            let mid = Some(cell(mid_at)).filter(|m| !m.is_empty());
            let result = self.invite_merchant(
                project_id,
                NewMerchant {
                    name: cell(name_at),
                    mid: cell(mid_at),
                    email: cell(email_at),
                    products: vec![cell(products_at)],
                },
            );
            report.push(match result {
                Ok(invited) => ImportRow {
                    line: index + 1,
                    mid,
                    invited: Some(invited),
                    error: None,
                },
                Err(error) => ImportRow {
                    line: index + 1,
                    mid,
                    invited: None,
                    error: Some(error.to_string()),
                },
            });
        }
        Ok(report)
    }
}

/// Splits one CSV line, honouring double quotes (`"a, b"`, `""` for a quote).
fn split_csv_line(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    cells.push(current);
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_expand_mpm_and_reject_unknown_names() {
        let products = parse_products(&["upm, MPM".to_owned()]).unwrap();
        assert_eq!(
            products,
            ["UPM", "ORDER_CODE", "PRIVATE_ORDER_CODE", "ENTRY_CODE"]
        );
        assert!(parse_products(&["UPM,teleport".to_owned()]).is_err());
        assert!(parse_products(&[]).is_err());
    }

    #[test]
    fn csv_lines_honour_quotes() {
        assert_eq!(
            split_csv_line(r#"a,"b, c","say ""hi""""#),
            ["a", "b, c", r#"say "hi""#]
        );
    }

    #[test]
    fn emails_are_checked_and_lowercased() {
        assert_eq!(
            check_email(" Shop@Example.COM ").unwrap(),
            "shop@example.com"
        );
        for bad in ["shop", "@example.com", "shop@example", "sh op@example.com"] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }
}
