//! A project's API token, for CI: so a pipeline can drive one project's admin API routes
//! (`/admin/v1/projects/{id}/...`) without the hub's admin token ever leaving the server.
//!
//! A member creates it in the console's project settings and sees it once; the hub keeps only its
//! SHA-256 (the token is 32 random bytes, so a fast hash is enough) and a hint of its end, and
//! compares hashes in constant time. It starts with [`PROJECT_TOKEN_PREFIX`] so that people, the
//! admin API and secret scanners tell it from the admin token. A project has at most one:
//! rotating replaces it and revoking deletes it, either taking effect on the next call. It opens
//! its own project's routes only; another project's routes answer `FORBIDDEN`, and so do the
//! hub-wide ones (create or list projects, the clock), which stay the admin token's.

use chrono::{DateTime, Utc};

use crate::Hub;
use crate::domain::admin_credential::{constant_time_eq, token_hash};
use crate::domain::console_users::ConsoleUser;
use crate::error::HubError;
use crate::store::project_tokens::ProjectTokenRow;

/// How every project token starts.
pub const PROJECT_TOKEN_PREFIX: &str = "lkp_";

/// What the console shows of a project's token (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectToken {
    /// Its prefix and last characters, `lkp_…1a2b`.
    pub hint: String,
    /// Who created it (their email).
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A token just created: the only time the token itself is known.
#[derive(Debug, Clone)]
pub struct NewProjectToken {
    /// The token (`lkp_` and 64 hex digits).
    pub token: String,
    /// What the console will show of it from now on.
    pub shown: ProjectToken,
}

/// True for a bearer token shaped like a project token (its prefix), whether valid or not.
pub fn is_project_token(token: &str) -> bool {
    token.trim().starts_with(PROJECT_TOKEN_PREFIX)
}

impl Hub {
    /// Creates the project's token `by` a member, replacing (and so ending) the one it had.
    pub fn rotate_project_token(
        &self,
        by: &ConsoleUser,
        project_id: &str,
    ) -> Result<NewProjectToken, HubError> {
        self.console_project(by, project_id)?;
        let token = format!("{PROJECT_TOKEN_PREFIX}{}", self.ids.secret());
        let tail = &token[token.len() - 4..];
        let shown = ProjectToken {
            hint: format!("{PROJECT_TOKEN_PREFIX}…{tail}"),
            created_by: by.email.clone(),
            created_at: self.clock.now(),
        };
        let row = ProjectTokenRow {
            project_id: project_id.to_owned(),
            token_hash: token_hash(&token),
            hint: shown.hint.clone(),
            created_by: shown.created_by.clone(),
            created_at: shown.created_at,
        };
        self.store.db(|db| db.project_tokens().replace(&row))?;
        Ok(NewProjectToken { token, shown })
    }

    /// Deletes the project's token `by` a member; false when it had none.
    pub fn revoke_project_token(
        &self,
        by: &ConsoleUser,
        project_id: &str,
    ) -> Result<bool, HubError> {
        self.console_project(by, project_id)?;
        Ok(self.store.db(|db| db.project_tokens().delete(project_id))?)
    }

    /// What the console shows of the project's token, if it has one.
    pub fn project_token(&self, project_id: &str) -> Result<Option<ProjectToken>, HubError> {
        let row = self.store.db(|db| db.project_tokens().get(project_id))?;
        Ok(row.map(|row| ProjectToken {
            hint: row.hint,
            created_by: row.created_by,
            created_at: row.created_at,
        }))
    }

    /// Checks a project token for a route of `project_id`: `FORBIDDEN` when it is another
    /// project's, `UNAUTHORIZED` when it is no project's (wrong, rotated or revoked).
    pub fn check_project_token(&self, token: &str, project_id: &str) -> Result<(), HubError> {
        let hash = token_hash(token);
        let own = self.store.db(|db| db.project_tokens().get(project_id))?;
        if own.is_some_and(|row| constant_time_eq(&row.token_hash, &hash)) {
            return Ok(());
        }
        let owner = self.store.db(|db| db.project_tokens().project_of(&hash))?;
        match owner {
            Some(_) => Err(HubError::Forbidden(format!(
                "this project token opens only its own project's routes, not project {project_id}'s"
            ))),
            None => Err(HubError::Unauthorized(
                "the project token is wrong, or was rotated or revoked".to_owned(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_project_token;

    #[test]
    fn the_prefix_tells_a_project_token_from_the_admin_token() {
        assert!(is_project_token("lkp_00ff"), "a project token");
        assert!(
            !is_project_token("8f3a0c"),
            "an admin token (hex) is not one"
        );
    }
}
