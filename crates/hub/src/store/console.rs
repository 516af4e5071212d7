//! The store's console users, their projects and sessions (`console_users`, `console_members`,
//! `console_sessions`): typed rows in and out.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::{Db, StoreError, optional, time_column, time_text};

/// What a console user is (the `role` column): the TSP's staff, who work in projects, or an
/// ACQP's person, who authorizes TSPs' applications and is never a member of a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConsoleRole {
    /// The TSP's staff (every user made before roles existed).
    #[default]
    Tsp,
    /// An ACQP's person.
    Acqp,
}

impl ConsoleRole {
    /// The stored name: `TSP` or `ACQP`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsoleRole::Tsp => "TSP",
            ConsoleRole::Acqp => "ACQP",
        }
    }

    /// Reads a stored name (anything else is TSP staff, the default).
    pub fn parse(text: &str) -> ConsoleRole {
        if text == "ACQP" {
            ConsoleRole::Acqp
        } else {
            ConsoleRole::Tsp
        }
    }
}

/// A console user as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleUserRow {
    /// The hub's id (`usr_...`).
    pub id: String,
    /// The sign-in email, lowercased.
    pub email: String,
    /// The argon2 hash of the password (PHC string).
    pub password_hash: String,
    /// TSP staff or ACQP.
    pub role: ConsoleRole,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A console session as stored, with its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSessionRow {
    /// The user's id.
    pub user_id: String,
    /// The user's email.
    pub email: String,
    /// The user's role.
    pub role: ConsoleRole,
    /// When the session was last used.
    pub last_used_at: DateTime<Utc>,
    /// True once it was signed out.
    pub revoked: bool,
    /// When it was opened (a session lives at most so long, used or not).
    pub created_at: DateTime<Utc>,
}

/// Operations on console users (`console_users`).
#[derive(Debug, Clone, Copy)]
pub struct ConsoleUsers<'c> {
    connection: &'c Connection,
}

/// Operations on project memberships (`console_members`).
#[derive(Debug, Clone, Copy)]
pub struct ConsoleMembers<'c> {
    connection: &'c Connection,
}

/// Operations on console sessions (`console_sessions`).
#[derive(Debug, Clone, Copy)]
pub struct ConsoleSessions<'c> {
    connection: &'c Connection,
}

impl<'c> Db<'c> {
    /// Console users (`console_users`).
    pub fn console_users(self) -> ConsoleUsers<'c> {
        ConsoleUsers {
            connection: self.connection,
        }
    }

    /// Project memberships of console users (`console_members`).
    pub fn console_members(self) -> ConsoleMembers<'c> {
        ConsoleMembers {
            connection: self.connection,
        }
    }

    /// Console sessions (`console_sessions`).
    pub fn console_sessions(self) -> ConsoleSessions<'c> {
        ConsoleSessions {
            connection: self.connection,
        }
    }
}

impl ConsoleUsers<'_> {
    /// The id of the user with this (lowercased) email.
    pub fn id_by_email(&self, email: &str) -> Result<Option<String>, StoreError> {
        optional(
            self.connection
                .prepare_cached("SELECT id FROM console_users WHERE email = ?1")?
                .query_row([email], |row| row.get(0)),
        )
    }

    /// The id, password hash and role of the user with this (lowercased) email.
    pub fn credentials(
        &self,
        email: &str,
    ) -> Result<Option<(String, String, ConsoleRole)>, StoreError> {
        optional(
            self.connection
                .prepare_cached(
                    "SELECT id, password_hash, role FROM console_users WHERE email = ?1",
                )?
                .query_row([email], |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        ConsoleRole::parse(&row.get::<_, String>(2)?),
                    ))
                }),
        )
    }

    /// The id and role of the user with this (lowercased) email.
    pub fn role_by_email(&self, email: &str) -> Result<Option<(String, ConsoleRole)>, StoreError> {
        optional(
            self.connection
                .prepare_cached("SELECT id, role FROM console_users WHERE email = ?1")?
                .query_row([email], |row| {
                    Ok((row.get(0)?, ConsoleRole::parse(&row.get::<_, String>(1)?)))
                }),
        )
    }

    /// Stores a new user.
    pub fn insert(&self, user: &ConsoleUserRow) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "INSERT INTO console_users (id, email, password_hash, created_at, role) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                user.id,
                user.email,
                user.password_hash,
                time_text(user.created_at),
                user.role.as_str()
            ])?;
        Ok(())
    }

    /// True when at least one user exists.
    pub fn any(&self) -> Result<bool, StoreError> {
        Ok(self
            .connection
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM console_users)")?
            .query_row([], |row| row.get(0))?)
    }
}

impl ConsoleMembers<'_> {
    /// Makes a user a member of a project (nothing when it already is).
    pub fn add(&self, user_id: &str, project_id: &str) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "INSERT INTO console_members (user_id, project_id) VALUES (?1, ?2) \
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![user_id, project_id])?;
        Ok(())
    }

    /// A project's members as (user id, email), by email.
    pub fn list(&self, project_id: &str) -> Result<Vec<(String, String)>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT u.id, u.email FROM console_users u JOIN console_members m ON m.user_id = u.id \
             WHERE m.project_id = ?1 ORDER BY u.email",
        )?;
        let rows = statement.query_map([project_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<(String, String)>>>()?)
    }

    /// How many members a project has.
    pub fn count(&self, project_id: &str) -> Result<i64, StoreError> {
        Ok(self
            .connection
            .prepare_cached("SELECT COUNT(*) FROM console_members WHERE project_id = ?1")?
            .query_row([project_id], |row| row.get(0))?)
    }

    /// Ends a user's membership of a project; false when it was not a member.
    pub fn remove(&self, user_id: &str, project_id: &str) -> Result<bool, StoreError> {
        let removed = self
            .connection
            .prepare_cached("DELETE FROM console_members WHERE user_id = ?1 AND project_id = ?2")?
            .execute(params![user_id, project_id])?;
        Ok(removed > 0)
    }

    /// The ids of the projects a user belongs to.
    pub fn project_ids(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached("SELECT project_id FROM console_members WHERE user_id = ?1")?;
        let rows = statement.query_map([user_id], |row| row.get(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
    }

    /// True when the user is a member of the project.
    pub fn is_member(&self, user_id: &str, project_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .connection
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM console_members \
                 WHERE user_id = ?1 AND project_id = ?2)",
            )?
            .query_row(params![user_id, project_id], |row| row.get(0))?)
    }
}

impl ConsoleSessions<'_> {
    /// Stores a new session, used now.
    pub fn insert(
        &self,
        token_hash: &str,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "INSERT INTO console_sessions (token_hash, user_id, created_at, last_used_at) \
                 VALUES (?1, ?2, ?3, ?3)",
            )?
            .execute(params![token_hash, user_id, time_text(now)])?;
        Ok(())
    }

    /// The session with this token hash, with its user.
    pub fn get(&self, token_hash: &str) -> Result<Option<ConsoleSessionRow>, StoreError> {
        optional(
            self.connection
                .prepare_cached(
                    "SELECT u.id, u.email, s.last_used_at, s.revoked_at, s.created_at, u.role \
                     FROM console_sessions s \
                     JOIN console_users u ON u.id = s.user_id WHERE s.token_hash = ?1",
                )?
                .query_row([token_hash], |row| {
                    Ok(ConsoleSessionRow {
                        user_id: row.get(0)?,
                        email: row.get(1)?,
                        last_used_at: time_column(2, Some(row.get(2)?))?.unwrap_or_default(),
                        revoked: row.get::<_, Option<String>>(3)?.is_some(),
                        created_at: time_column(4, Some(row.get(4)?))?.unwrap_or_default(),
                        role: ConsoleRole::parse(&row.get::<_, String>(5)?),
                    })
                }),
        )
    }

    /// Records a use of the session now.
    pub fn touch(&self, token_hash: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.connection
            .prepare_cached("UPDATE console_sessions SET last_used_at = ?2 WHERE token_hash = ?1")?
            .execute(params![token_hash, time_text(now)])?;
        Ok(())
    }

    /// Signs the session out now (nothing when it already was).
    pub fn revoke(&self, token_hash: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "UPDATE console_sessions SET revoked_at = ?2 \
                 WHERE token_hash = ?1 AND revoked_at IS NULL",
            )?
            .execute(params![token_hash, time_text(now)])?;
        Ok(())
    }

    /// Signs out every open session of a user now; returns how many there were.
    pub fn revoke_all(&self, user_id: &str, now: DateTime<Utc>) -> Result<usize, StoreError> {
        Ok(self
            .connection
            .prepare_cached(
                "UPDATE console_sessions SET revoked_at = ?2 \
                 WHERE user_id = ?1 AND revoked_at IS NULL",
            )?
            .execute(params![user_id, time_text(now)])?)
    }
}
