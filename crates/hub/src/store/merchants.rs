//! The store's merchants (test accounts) and their wallet sessions (`merchants`, `sessions`):
//! typed rows in and out.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row, params};

use super::{Db, StoreError, optional, time_column, time_text};

/// Where a merchant stands (the `status` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MerchantStatus {
    /// Invited, never signed in.
    Inactive,
    /// Its invitation is being delivered.
    Processing,
    /// Signed in at least once.
    Active,
    /// Its invitation could not be delivered (the remark says why).
    Failed,
    /// The TSP revoked its access: no way in until it is invited again.
    Revoked,
}

impl MerchantStatus {
    /// The stored (and shown) name: `inactive`, `processing`, `active`, `failed` or `revoked`.
    pub fn as_str(self) -> &'static str {
        match self {
            MerchantStatus::Inactive => "inactive",
            MerchantStatus::Processing => "processing",
            MerchantStatus::Active => "active",
            MerchantStatus::Failed => "failed",
            MerchantStatus::Revoked => "revoked",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<MerchantStatus> {
        [
            MerchantStatus::Inactive,
            MerchantStatus::Processing,
            MerchantStatus::Active,
            MerchantStatus::Failed,
            MerchantStatus::Revoked,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

/// A merchant as stored (its credentials apart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantRow {
    /// The hub's id (`mer_...`).
    pub id: String,
    /// Its project.
    pub project_id: String,
    /// Name.
    pub name: String,
    /// Merchant id at the acquirer.
    pub mid: String,
    /// Email, lowercased.
    pub email: String,
    /// Products it tests.
    pub products: Vec<String>,
    /// Where it stands.
    pub status: MerchantStatus,
    /// Why it failed, or other remarks.
    pub remark: Option<String>,
    /// When it was invited.
    pub created_at: DateTime<Utc>,
    /// When it last used the wallet.
    pub last_active_at: Option<DateTime<Utc>>,
}

/// The invitation found by its code's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRow {
    /// The merchant invited.
    pub merchant_id: String,
    /// When the invitation stops working.
    pub expires_at: DateTime<Utc>,
    /// True once it was used to sign in.
    pub used: bool,
}

/// A merchant a login (MID or email) names, with its password hash if it set one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginRow {
    /// The merchant.
    pub merchant_id: String,
    /// The argon2 hash of its password (PHC string).
    pub password_hash: Option<String>,
    /// Its status (a revoked merchant may not sign in).
    pub status: Option<MerchantStatus>,
}

/// A wallet session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The SHA-256 of its token.
    pub token_hash: String,
    /// Whose it is.
    pub merchant_id: String,
    /// When it was last used.
    pub last_used_at: DateTime<Utc>,
    /// True once it was signed out or revoked.
    pub revoked: bool,
}

/// Which unique field a new merchant would duplicate in its project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clash {
    /// The MID is taken.
    Mid,
    /// The email is taken.
    Email,
}

/// Operations on merchants (`merchants`).
#[derive(Debug, Clone, Copy)]
pub struct Merchants<'c> {
    connection: &'c Connection,
}

/// Operations on wallet sessions (`sessions`).
#[derive(Debug, Clone, Copy)]
pub struct Sessions<'c> {
    connection: &'c Connection,
}

impl<'c> Db<'c> {
    /// Merchants (`merchants`).
    pub fn merchants(self) -> Merchants<'c> {
        Merchants {
            connection: self.connection,
        }
    }

    /// Wallet sessions (`sessions`).
    pub fn sessions(self) -> Sessions<'c> {
        Sessions {
            connection: self.connection,
        }
    }
}

const COLUMNS: &str =
    "id, project_id, name, mid, email, products, status, remark, created_at, last_active_at";

fn conversion(
    index: usize,
    error: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, error.into())
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<MerchantRow> {
    let products: String = row.get(5)?;
    let status: String = row.get(6)?;
    Ok(MerchantRow {
        id: row.get(0)?,
        project_id: row.get(1)?,
        name: row.get(2)?,
        mid: row.get(3)?,
        email: row.get(4)?,
        products: serde_json::from_str(&products).map_err(|e| conversion(5, e))?,
        status: MerchantStatus::parse(&status)
            .ok_or_else(|| conversion(6, format!("unknown merchant status {status:?}")))?,
        remark: row.get(7)?,
        created_at: time_column(8, Some(row.get(8)?))?.unwrap_or_default(),
        last_active_at: time_column(9, row.get(9)?)?,
    })
}

impl Merchants<'_> {
    /// Which of the MID and email another merchant of the project already has (the MID first).
    pub fn clash(
        &self,
        project_id: &str,
        mid: &str,
        email: &str,
    ) -> Result<Option<Clash>, StoreError> {
        let field: Option<String> = optional(
            self.connection
                .prepare_cached(
                    "SELECT CASE WHEN mid = ?2 THEN 'mid' ELSE 'email' END FROM merchants \
                     WHERE project_id = ?1 AND (mid = ?2 OR email = ?3)",
                )?
                .query_row(params![project_id, mid, email], |row| row.get(0)),
        )?;
        Ok(field.map(|field| {
            if field == "mid" {
                Clash::Mid
            } else {
                Clash::Email
            }
        }))
    }

    /// Stores a new merchant with its invitation (the code's hash and expiry).
    pub fn insert(
        &self,
        merchant: &MerchantRow,
        invitation_hash: &str,
        invitation_expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "INSERT INTO merchants (id, project_id, name, mid, email, products, status, remark, \
                 created_at, invitation_hash, invitation_expires_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                merchant.id,
                merchant.project_id,
                merchant.name,
                merchant.mid,
                merchant.email,
                serde_json::to_string(&merchant.products).unwrap_or_default(),
                merchant.status.as_str(),
                merchant.remark,
                time_text(merchant.created_at),
                invitation_hash,
                time_text(invitation_expires_at),
            ])?;
        Ok(())
    }

    /// A project's merchants, in invitation order (its acceptance account, the TSP's own, is
    /// not one of them).
    pub fn of_project(&self, project_id: &str) -> Result<Vec<MerchantRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM merchants WHERE project_id = ?1 AND acceptance = 0 \
             ORDER BY created_at, rowid"
        ))?;
        let rows = statement.query_map([project_id], from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// A project's acceptance account, the TSP's own test account, if it has one.
    pub fn acceptance_of(&self, project_id: &str) -> Result<Option<MerchantRow>, StoreError> {
        optional(
            self.connection
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM merchants WHERE project_id = ?1 AND acceptance = 1"
                ))?
                .query_row([project_id], from_row),
        )
    }

    /// Stores a project's acceptance account: active, without password or invitation (only a
    /// sign-in ticket opens it).
    pub fn insert_acceptance(&self, merchant: &MerchantRow) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "INSERT INTO merchants (id, project_id, name, mid, email, products, status, \
                 created_at, acceptance) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'active', ?7, 1)",
            )?
            .execute(params![
                merchant.id,
                merchant.project_id,
                merchant.name,
                merchant.mid,
                merchant.email,
                serde_json::to_string(&merchant.products).unwrap_or_default(),
                time_text(merchant.created_at),
            ])?;
        Ok(())
    }

    /// Replaces a merchant's products.
    pub fn set_products(&self, id: &str, products: &[String]) -> Result<(), StoreError> {
        self.connection
            .prepare_cached("UPDATE merchants SET products = ?2 WHERE id = ?1")?
            .execute(params![
                id,
                serde_json::to_string(products).unwrap_or_default()
            ])?;
        Ok(())
    }

    /// Changes a merchant's MID.
    pub fn set_mid(&self, id: &str, mid: &str) -> Result<(), StoreError> {
        self.connection
            .prepare_cached("UPDATE merchants SET mid = ?2 WHERE id = ?1")?
            .execute(params![id, mid])?;
        Ok(())
    }

    /// True when the merchant is a project's acceptance account.
    pub fn is_acceptance(&self, id: &str) -> Result<bool, StoreError> {
        Ok(optional(
            self.connection
                .prepare_cached("SELECT acceptance FROM merchants WHERE id = ?1")?
                .query_row([id], |row| row.get::<_, i64>(0)),
        )?
        .is_some_and(|flag| flag == 1))
    }

    /// A project's merchant by its MID.
    pub fn by_mid(&self, project_id: &str, mid: &str) -> Result<Option<MerchantRow>, StoreError> {
        optional(
            self.connection
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM merchants WHERE project_id = ?1 AND mid = ?2"
                ))?
                .query_row([project_id, mid], from_row),
        )
    }

    /// One merchant.
    pub fn get(&self, id: &str) -> Result<Option<MerchantRow>, StoreError> {
        optional(
            self.connection
                .prepare_cached(&format!("SELECT {COLUMNS} FROM merchants WHERE id = ?1"))?
                .query_row([id], from_row),
        )
    }

    /// Gives a merchant a new, unused invitation (the old code stops working).
    pub fn set_invitation(
        &self,
        id: &str,
        invitation_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                // A revoked merchant invited again starts afresh: the invitation sets a new
                // password (every expression reads the row as it was).
                "UPDATE merchants SET invitation_hash = ?2, invitation_expires_at = ?3, \
                 invitation_used_at = NULL, \
                 password_hash = CASE WHEN status = 'revoked' THEN NULL ELSE password_hash END, \
                 remark = CASE WHEN status = 'revoked' THEN NULL ELSE remark END, \
                 status = CASE WHEN status = 'revoked' THEN 'inactive' ELSE status END \
                 WHERE id = ?1",
            )?
            .execute(params![id, invitation_hash, time_text(expires_at)])?;
        Ok(())
    }

    /// The invitation whose code has this hash.
    pub fn invitation(&self, invitation_hash: &str) -> Result<Option<InvitationRow>, StoreError> {
        optional(
            self.connection
                .prepare_cached(
                    "SELECT id, invitation_expires_at, invitation_used_at FROM merchants \
                     WHERE invitation_hash = ?1",
                )?
                .query_row([invitation_hash], |row| {
                    Ok(InvitationRow {
                        merchant_id: row.get(0)?,
                        expires_at: time_column(1, Some(row.get(1)?))?.unwrap_or_default(),
                        used: row.get::<_, Option<String>>(2)?.is_some(),
                    })
                }),
        )
    }

    /// The first sign-in: sets the password, uses the invitation, makes the merchant active.
    pub fn activate(
        &self,
        id: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "UPDATE merchants SET password_hash = ?2, invitation_used_at = ?3, \
                 status = 'active', last_active_at = ?3 WHERE id = ?1",
            )?
            .execute(params![id, password_hash, time_text(now)])?;
        Ok(())
    }

    /// The merchants whose MID or email is `login`, in one project or any.
    pub fn by_login(
        &self,
        login: &str,
        project_id: Option<&str>,
    ) -> Result<Vec<LoginRow>, StoreError> {
        let read = |row: &Row<'_>| {
            Ok(LoginRow {
                merchant_id: row.get(0)?,
                password_hash: row.get(1)?,
                status: MerchantStatus::parse(&row.get::<_, String>(2)?),
            })
        };
        let rows = match project_id {
            Some(project_id) => self
                .connection
                .prepare_cached(
                    "SELECT id, password_hash, status FROM merchants \
                     WHERE (mid = ?1 OR email = lower(?1)) AND project_id = ?2",
                )?
                .query_map(params![login, project_id], read)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
            None => self
                .connection
                .prepare_cached(
                    "SELECT id, password_hash, status FROM merchants \
                     WHERE mid = ?1 OR email = lower(?1)",
                )?
                .query_map([login], read)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
        };
        Ok(rows)
    }

    /// Records a use of the wallet now.
    pub fn touch(&self, id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.connection
            .prepare_cached("UPDATE merchants SET last_active_at = ?2 WHERE id = ?1")?
            .execute(params![id, time_text(now)])?;
        Ok(())
    }

    /// Sets a merchant's status and remark.
    pub fn set_status(
        &self,
        id: &str,
        status: MerchantStatus,
        remark: Option<&str>,
    ) -> Result<(), StoreError> {
        self.connection
            .prepare_cached("UPDATE merchants SET status = ?2, remark = ?3 WHERE id = ?1")?
            .execute(params![id, status.as_str(), remark])?;
        Ok(())
    }

    /// After a delivery: a `processing` or `failed` merchant goes back to `inactive` (or
    /// `active`, once it set a password), without remark.
    pub fn settle_status(&self, id: &str) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "UPDATE merchants SET status = CASE WHEN password_hash IS NULL THEN 'inactive' \
                 ELSE 'active' END, remark = NULL WHERE id = ?1 AND status IN ('processing', 'failed')",
            )?
            .execute([id])?;
        Ok(())
    }

    /// Revokes a merchant's access: its invitation withdrawn, its status `revoked`, with a
    /// remark saying so.
    pub fn revoke_access(&self, id: &str, remark: &str) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "UPDATE merchants SET invitation_hash = NULL, invitation_expires_at = NULL, \
                 status = 'revoked', remark = ?2 WHERE id = ?1",
            )?
            .execute(params![id, remark])?;
        Ok(())
    }
}

impl Sessions<'_> {
    /// Stores a new session, used now.
    pub fn insert(
        &self,
        token_hash: &str,
        merchant_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "INSERT INTO sessions (token_hash, merchant_id, created_at, last_used_at) \
                 VALUES (?1, ?2, ?3, ?3)",
            )?
            .execute(params![token_hash, merchant_id, time_text(now)])?;
        Ok(())
    }

    /// The session with this token hash.
    pub fn get(&self, token_hash: &str) -> Result<Option<SessionRow>, StoreError> {
        optional(
            self.connection
                .prepare_cached(
                    "SELECT token_hash, merchant_id, last_used_at, revoked_at FROM sessions \
                     WHERE token_hash = ?1",
                )?
                .query_row([token_hash], |row| {
                    Ok(SessionRow {
                        token_hash: row.get(0)?,
                        merchant_id: row.get(1)?,
                        last_used_at: time_column(2, Some(row.get(2)?))?.unwrap_or_default(),
                        revoked: row.get::<_, Option<String>>(3)?.is_some(),
                    })
                }),
        )
    }

    /// Records a use of the session now.
    pub fn touch(&self, token_hash: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.connection
            .prepare_cached("UPDATE sessions SET last_used_at = ?2 WHERE token_hash = ?1")?
            .execute(params![token_hash, time_text(now)])?;
        Ok(())
    }

    /// Signs a session out now (nothing when it already was).
    pub fn revoke(&self, token_hash: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "UPDATE sessions SET revoked_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL",
            )?
            .execute(params![token_hash, time_text(now)])?;
        Ok(())
    }

    /// Signs every open session of a merchant out now.
    pub fn revoke_merchant(&self, merchant_id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "UPDATE sessions SET revoked_at = ?2 WHERE merchant_id = ?1 AND revoked_at IS NULL",
            )?
            .execute(params![merchant_id, time_text(now)])?;
        Ok(())
    }
}
