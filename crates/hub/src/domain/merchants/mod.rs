//! Merchants invited to test (the Developer Center's *Test Accounts*) and how they sign in to the
//! wallet: an invitation code for the first sign-in, which sets a password; MID or email and
//! password afterwards. Sessions are random tokens stored hashed, scoped to one merchant of one
//! project, that expire when idle.
//!
//! Status follows the spec: `inactive` (invited, never signed in), `processing` (invitation
//! being delivered), `active` (signed in at least once), `failed` (delivery failed; the remark
//! says why).
//!
//! Here: merchants, their invitations and revocation; `sessions.rs` signs them in (argon2
//! passwords, wallet sessions). Importing a sheet of them is the `import` module's, over
//! [`Hub::invite_merchants`] (all or none) and [`Hub::check_merchant_batch`].

mod outbox;
mod sessions;

pub(crate) use sessions::unknown_login_hash;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::Hub;
use crate::domain::admin_credential::token_hash;
use crate::error::HubError;
use crate::store::invitation_mail::MailRow;
use crate::store::merchants::{Clash, MerchantRow, MerchantStatus};
use crate::store::{Db, StoreError};

pub use outbox::MAIL_LEASE;
pub use sessions::Session;
pub(crate) use sessions::verify_password;

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
/// merchant-presented kinds, separated by commas, semicolons or any white space (a line break
/// in a spreadsheet cell too).
pub fn parse_products(items: &[String]) -> Result<Vec<String>, HubError> {
    let mut out: Vec<String> = Vec::new();
    let separates = |c: char| c == ',' || c == ';' || c.is_whitespace();
    for item in items.iter().flat_map(|i| i.split(separates)) {
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
    /// `inactive`, `processing`, `active`, `failed` or `revoked`.
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
    /// The id of the invitation mail queued with it.
    #[serde(skip)]
    pub mail_id: String,
}

impl From<MerchantRow> for Merchant {
    fn from(row: MerchantRow) -> Merchant {
        Merchant {
            id: row.id,
            project_id: row.project_id,
            name: row.name,
            mid: row.mid,
            email: row.email,
            products: row.products,
            status: row.status.as_str().to_owned(),
            remark: row.remark,
            created_at: row.created_at,
            last_active_at: row.last_active_at,
        }
    }
}

/// Checks an email address and lowercases it.
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
    let name = crate::domain::projects::required_text("name", &new.name, 128)?;
    let mid = crate::domain::projects::required_text("mid", &new.mid, 64)?;
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

/// Writes a new merchant (always `inactive`), its invitation (hashed) and the invitation's
/// queued mail, all in the caller's transaction.
fn insert_invited(db: Db<'_>, invited: &Invited, mail: &MailRow) -> Result<(), StoreError> {
    let Invited {
        merchant,
        invitation,
        ..
    } = invited;
    let row = MerchantRow {
        id: merchant.id.clone(),
        project_id: merchant.project_id.clone(),
        name: merchant.name.clone(),
        mid: merchant.mid.clone(),
        email: merchant.email.clone(),
        products: merchant.products.clone(),
        status: MerchantStatus::Inactive,
        remark: None,
        created_at: merchant.created_at,
        last_active_at: None,
    };
    db.merchants().insert(
        &row,
        &token_hash(&normalise_code(&invitation.code)),
        invitation.expires_at,
    )?;
    db.invitation_mail().insert(&merchant.project_id, mail)
}

impl Hub {
    /// Invites a merchant: checks every field, creates it `inactive` and returns its invitation.
    pub fn invite_merchant(&self, project_id: &str, new: NewMerchant) -> Result<Invited, HubError> {
        let project = self.project(project_id)?;
        let now = self.clock.now();
        let invited = self.new_invited(project_id, check_new_merchant(&new)?, now);
        let mail = self.queued_mail(&project, &invited, now);
        let merchant = &invited.merchant;
        self.store.transaction(|db| {
            if let Some(clash) = db
                .merchants()
                .clash(project_id, &merchant.mid, &merchant.email)?
            {
                let (field, value) = match clash {
                    Clash::Mid => ("mid", &merchant.mid),
                    Clash::Email => ("email", &merchant.email),
                };
                return Err(HubError::invalid(
                    field,
                    format!("{value} is already invited to this project"),
                ));
            }
            Ok(insert_invited(db, &invited, &mail)?)
        })?;
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
                status: MerchantStatus::Inactive.as_str().to_owned(),
                remark: None,
                created_at: now,
                last_active_at: None,
            },
            invitation: self.new_invitation(now),
            mail_id: self.ids.alphanumeric("mail_", 12),
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
        let project = self.project(project_id)?;
        let now = self.clock.now();
        let mut invited = Vec::with_capacity(batch.len());
        for new in batch {
            let one = self.new_invited(project_id, check_new_merchant(new)?, now);
            let mail = self.queued_mail(&project, &one, now);
            invited.push((one, mail));
        }
        self.store.transaction(|db| {
            for (one, mail) in &invited {
                insert_invited(db, one, mail)?;
            }
            Ok::<_, StoreError>(())
        })?;
        Ok(invited.into_iter().map(|(one, _)| one).collect())
    }

    /// What is wrong with each row of a batch of invitations (`None`: nothing), without
    /// creating anything: the import preview.
    pub fn check_merchant_batch(
        &self,
        project_id: &str,
        batch: &[NewMerchant],
    ) -> Result<Vec<Option<String>>, HubError> {
        let mut existing = self.merchants(project_id)?;
        // The acceptance account is not listed, but its MID and email are taken all the same.
        if let Some(account) = self
            .store
            .db(|db| db.merchants().acceptance_of(project_id))?
        {
            existing.push(Merchant::from(account));
        }
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
        let rows = self.store.db(|db| db.merchants().of_project(project_id))?;
        Ok(rows.into_iter().map(Merchant::from).collect())
    }

    /// One merchant.
    pub fn merchant(&self, id: &str) -> Result<Merchant, HubError> {
        self.store
            .db(|db| db.merchants().get(id))?
            .map(Merchant::from)
            .ok_or_else(|| HubError::NotFound(format!("merchant {id}")))
    }

    /// Replaces a merchant's invitation with a new one (the old code stops working).
    pub fn resend_invitation(
        &self,
        project_id: &str,
        merchant_id: &str,
    ) -> Result<Invited, HubError> {
        let merchant = self.merchant(merchant_id)?;
        // The acceptance account is the TSP's own: never invited, never revoked.
        if merchant.project_id != project_id || self.is_acceptance_account(merchant_id)? {
            return Err(HubError::NotFound(format!("merchant {merchant_id}")));
        }
        let project = self.project(project_id)?;
        let now = self.clock.now();
        let invitation = self.new_invitation(now);
        let hash = token_hash(&normalise_code(&invitation.code));
        let invited = Invited {
            merchant,
            invitation,
            mail_id: self.ids.alphanumeric("mail_", 12),
        };
        let mail = self.queued_mail(&project, &invited, now);
        self.store.transaction(|db| {
            db.merchants()
                .set_invitation(merchant_id, &hash, invited.invitation.expires_at)?;
            let mail_of = db.invitation_mail();
            mail_of.withdraw_queued(
                merchant_id,
                "replaced by a newer invitation before it was sent",
            )?;
            mail_of.insert(project_id, &mail)
        })?;
        Ok(invited)
    }

    /// Revokes a merchant's access: its status says Revoked, its invitation stops working, its
    /// wallet sessions end (the web wallet's too: they hold hub sessions), its password no
    /// longer signs in and its stored invitation links are forgotten. Only a new invitation
    /// (resend) lets it in again, with a new password.
    pub fn revoke_merchant(&self, project_id: &str, merchant_id: &str) -> Result<(), HubError> {
        let merchant = self.merchant(merchant_id)?;
        // The acceptance account is the TSP's own: never invited, never revoked.
        if merchant.project_id != project_id || self.is_acceptance_account(merchant_id)? {
            return Err(HubError::NotFound(format!("merchant {merchant_id}")));
        }
        let now = self.clock.now();
        let remark = format!("access revoked on {}", now.format("%Y-%m-%d %H:%M UTC"));
        self.store.transaction(|db| {
            db.merchants().revoke_access(merchant_id, &remark)?;
            db.sessions().revoke_merchant(merchant_id, now)?;
            let mail = db.invitation_mail();
            mail.withdraw_queued(
                merchant_id,
                "the merchant's access was revoked before it was sent",
            )?;
            mail.forget_links(merchant_id)
        })?;
        Ok(())
    }
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
