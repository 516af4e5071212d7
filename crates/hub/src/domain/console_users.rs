//! The console's users: TSP and ACQP staff who sign in to the web console with an email and a
//! password (argon2). A user belongs to projects; every console read goes through
//! [`Hub::console_project`], which answers "not found" for a project the user is not a member of.
//! Sessions are random tokens stored hashed that expire when idle. The hub's admin credential
//! creates the first user ([`Hub::bootstrap_console_user`]).
//!
//! Each user has a role ([`ConsoleRole`]): TSP staff (the default, every user made before roles
//! existed) work in projects; an ACQP's person authorizes TSPs' applications
//! (`domain/acqp_authorizations.rs`), is never a member of a project, and [`Hub::console_project`]
//! answers "not found" to it for every project.
//!
//! Members of a project are equals (no role among them): any member may add a user, remove any
//! member (themselves included) with [`Hub::remove_console_member`], but never the last one, so a
//! project always has someone who can open it. Removal takes effect on the removed user's next
//! request, since every read checks membership; their sessions stay valid for their other
//! projects. Signing out everywhere ([`Hub::console_sign_out_everywhere`]) is for oneself only: a
//! member of one project must not end sessions a user holds for the projects they share with no
//! one else, so another member's access is cut by removing them instead.

use chrono::Duration;
use serde::Serialize;

use crate::Hub;
use crate::domain::admin_credential::token_hash;
use crate::domain::merchants::verify_password;
use crate::domain::projects::{NewProject, Project};
use crate::error::HubError;
pub use crate::store::console::ConsoleRole;
use crate::store::console::ConsoleUserRow;

/// How long a console session lives without use.
pub const CONSOLE_IDLE_TIMEOUT: Duration = Duration::hours(8);
/// How long a console session lives at most, however busy: then its user signs in again.
pub const CONSOLE_SESSION_LIFETIME: Duration = Duration::hours(24);

/// A console user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsoleUser {
    /// The hub's id (`usr_...`).
    pub id: String,
    /// The sign-in email, lowercased.
    pub email: String,
    /// TSP staff or ACQP.
    pub role: ConsoleRole,
}

impl ConsoleUser {
    /// True for an ACQP's person.
    pub fn is_acqp(&self) -> bool {
        self.role == ConsoleRole::Acqp
    }
}

/// A new console session: the token goes into the session cookie.
#[derive(Debug, Clone)]
pub struct ConsoleLogin {
    /// The session token (shown once, stored hashed).
    pub token: String,
    /// Who signed in.
    pub user: ConsoleUser,
}

impl Hub {
    /// Creates a console user (TSP staff), member of `project_ids`.
    pub fn create_console_user(
        &self,
        email: &str,
        password: &str,
        project_ids: &[String],
    ) -> Result<ConsoleUser, HubError> {
        self.create_user_with_role(email, password, ConsoleRole::Tsp, project_ids)
    }

    /// Creates an ACQP's console user (a member of no project).
    pub fn create_acqp_user(&self, email: &str, password: &str) -> Result<ConsoleUser, HubError> {
        self.create_user_with_role(email, password, ConsoleRole::Acqp, &[])
    }

    fn create_user_with_role(
        &self,
        email: &str,
        password: &str,
        role: ConsoleRole,
        project_ids: &[String],
    ) -> Result<ConsoleUser, HubError> {
        let email = crate::domain::merchants::check_email(email)?;
        let password_hash = self.hash_password(password)?;
        let user = ConsoleUser {
            id: self.ids.alphanumeric("usr_", 12),
            email,
            role,
        };
        let row = ConsoleUserRow {
            id: user.id.clone(),
            email: user.email.clone(),
            password_hash,
            role,
            created_at: self.clock.now(),
        };
        self.store.transaction(|db| {
            if db.console_users().id_by_email(&row.email)?.is_some() {
                return Err(HubError::invalid(
                    "email",
                    format!("{} already has a console account", row.email),
                ));
            }
            db.console_users().insert(&row)?;
            for project in project_ids {
                db.console_members().add(&row.id, project)?;
            }
            Ok(())
        })?;
        Ok(user)
    }

    /// The first user, created with the hub's admin token: a member of every existing project.
    pub fn bootstrap_console_user(
        &self,
        admin_token: &str,
        email: &str,
        password: &str,
        client: Option<std::net::IpAddr>,
    ) -> Result<ConsoleUser, HubError> {
        let keys = crate::domain::throttle::attempt_keys("admin-token", None, client);
        self.check_attempt(&keys)?;
        if self.check_admin_token(admin_token).is_err() {
            self.attempt_failed(&keys);
            return Err(HubError::invalid("adminToken", "the admin token is wrong"));
        }
        let projects: Vec<String> = self.projects()?.into_iter().map(|p| p.id).collect();
        self.create_console_user(email, password, &projects)
    }

    /// Adds a user to a project: an existing account by email, or a new one with `password`.
    pub fn add_console_member(
        &self,
        project_id: &str,
        email: &str,
        password: Option<&str>,
    ) -> Result<ConsoleUser, HubError> {
        self.project(project_id)?;
        let email = crate::domain::merchants::check_email(email)?;
        let existing = self
            .store
            .db(|db| db.console_users().role_by_email(&email))?;
        match existing {
            Some((_, ConsoleRole::Acqp)) => Err(HubError::invalid(
                "email",
                format!(
                    "{email} is an ACQP's account: ACQP accounts authorize applications and \
                     cannot be members of a project"
                ),
            )),
            Some((id, ConsoleRole::Tsp)) => {
                self.store
                    .db(|db| db.console_members().add(&id, project_id))?;
                Ok(ConsoleUser {
                    id,
                    email,
                    role: ConsoleRole::Tsp,
                })
            }
            None => match password {
                Some(password) if !password.is_empty() => {
                    self.create_console_user(&email, password, &[project_id.to_owned()])
                }
                _ => Err(HubError::invalid(
                    "password",
                    "there is no account with this email yet: give it a first password",
                )),
            },
        }
    }

    /// A project's console users, by email.
    pub fn console_members(&self, project_id: &str) -> Result<Vec<ConsoleUser>, HubError> {
        let members = self.store.db(|db| db.console_members().list(project_id))?;
        Ok(members
            .into_iter()
            .map(|(id, email)| ConsoleUser {
                id,
                email,
                role: ConsoleRole::Tsp,
            })
            .collect())
    }

    /// Removes `user_id` from a project `by` a member of it; refused for someone who is not a
    /// member (not found) and for the project's last member (a conflict).
    pub fn remove_console_member(
        &self,
        by: &ConsoleUser,
        project_id: &str,
        user_id: &str,
    ) -> Result<ConsoleUser, HubError> {
        self.console_project(by, project_id)?;
        self.store.transaction(|db| {
            let members = db.console_members().list(project_id)?;
            let Some((id, email)) = members.into_iter().find(|(id, _)| id == user_id) else {
                return Err(HubError::NotFound(format!(
                    "console user {user_id} in this project"
                )));
            };
            if db.console_members().count(project_id)? <= 1 {
                return Err(HubError::Conflict(format!(
                    "{email} is the project's last member and cannot be removed: a project keeps \
                     at least one member (add another first)"
                )));
            }
            db.console_members().remove(&id, project_id)?;
            Ok(ConsoleUser {
                id,
                email,
                role: ConsoleRole::Tsp,
            })
        })
    }

    /// Signs out every session of the user, this one included ("sign out everywhere"); each
    /// ends on its next request. Returns how many were open.
    pub fn console_sign_out_everywhere(&self, user: &ConsoleUser) -> Result<usize, HubError> {
        let now = self.clock.now();
        Ok(self
            .store
            .db(|db| db.console_sessions().revoke_all(&user.id, now))?)
    }

    /// True when a console account has this email (any role).
    pub fn console_account_exists(&self, email: &str) -> Result<bool, HubError> {
        let email = email.trim().to_ascii_lowercase();
        Ok(self
            .store
            .db(|db| db.console_users().id_by_email(&email))?
            .is_some())
    }

    /// True when at least one console user exists.
    pub fn has_console_users(&self) -> Result<bool, HubError> {
        Ok(self.store.db(|db| db.console_users().any())?)
    }

    /// Signs a console user in.
    pub fn console_sign_in(
        &self,
        email: &str,
        password: &str,
        client: Option<std::net::IpAddr>,
    ) -> Result<ConsoleLogin, HubError> {
        let keys = crate::domain::throttle::attempt_keys("console-login", Some(email), client);
        self.check_attempt(&keys)?;
        let signed_in = self.password_console_sign_in(email, password);
        match &signed_in {
            Ok(_) => self.attempt_succeeded(&keys),
            Err(HubError::Denied { .. }) => self.attempt_failed(&keys),
            Err(_) => {}
        }
        signed_in
    }

    fn password_console_sign_in(
        &self,
        email: &str,
        password: &str,
    ) -> Result<ConsoleLogin, HubError> {
        let email = email.trim().to_ascii_lowercase();
        let found = self.store.db(|db| db.console_users().credentials(&email))?;
        // An unknown email costs the same time as a known one.
        let verified = match found.as_ref() {
            Some((_, hash, _)) => verify_password(hash, password),
            None => {
                let _ = verify_password(crate::domain::merchants::unknown_login_hash(), password);
                false
            }
        };
        let (Some((id, _, role)), true) = (found, verified) else {
            return Err(HubError::denied(
                "WRONG_CREDENTIALS",
                "wrong email or password",
            ));
        };
        let token = self.ids.secret();
        let now = self.clock.now();
        self.store
            .db(|db| db.console_sessions().insert(&token_hash(&token), &id, now))?;
        Ok(ConsoleLogin {
            token,
            user: ConsoleUser { id, email, role },
        })
    }

    /// The user a console session token belongs to; refreshes the idle timer.
    pub fn console_user(&self, token: &str) -> Result<ConsoleUser, HubError> {
        let now = self.clock.now();
        let hash = token_hash(token);
        let found = self.store.db(|db| db.console_sessions().get(&hash))?;
        let Some(session) = found else {
            return Err(HubError::denied("NOT_SIGNED_IN", "not signed in"));
        };
        if session.revoked {
            return Err(HubError::denied(
                "SESSION_REVOKED",
                "this session was signed out",
            ));
        }
        if now - session.last_used_at >= CONSOLE_IDLE_TIMEOUT
            || now - session.created_at >= CONSOLE_SESSION_LIFETIME
        {
            return Err(HubError::denied(
                "SESSION_EXPIRED",
                "the session expired: sign in again",
            ));
        }
        self.store
            .db(|db| db.console_sessions().touch(&hash, now))?;
        Ok(ConsoleUser {
            id: session.user_id,
            email: session.email,
            role: session.role,
        })
    }

    /// Ends a console session.
    pub fn console_sign_out(&self, token: &str) -> Result<(), HubError> {
        let now = self.clock.now();
        self.store
            .db(|db| db.console_sessions().revoke(&token_hash(token), now))?;
        Ok(())
    }

    /// The projects a user belongs to, oldest first.
    pub fn console_projects(&self, user: &ConsoleUser) -> Result<Vec<Project>, HubError> {
        if user.is_acqp() {
            return Ok(Vec::new());
        }
        let ids = self
            .store
            .db(|db| db.console_members().project_ids(&user.id))?;
        let mut projects = ids
            .iter()
            .map(|id| self.project(id))
            .collect::<Result<Vec<_>, _>>()?;
        projects.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(projects)
    }

    /// A project the user belongs to; any other project is "not found", and so is every
    /// project for an ACQP's user.
    pub fn console_project(
        &self,
        user: &ConsoleUser,
        project_id: &str,
    ) -> Result<Project, HubError> {
        if user.is_acqp() {
            return Err(HubError::NotFound(format!("project {project_id}")));
        }
        let member = self
            .store
            .db(|db| db.console_members().is_member(&user.id, project_id))?;
        if !member {
            return Err(HubError::NotFound(format!("project {project_id}")));
        }
        self.project(project_id)
    }

    /// Creates a project and makes the user a member of it.
    pub fn create_project_as(
        &self,
        user: &ConsoleUser,
        new: NewProject,
    ) -> Result<Project, HubError> {
        if user.is_acqp() {
            return Err(HubError::Forbidden(
                "an ACQP's account cannot create projects".to_owned(),
            ));
        }
        let project = self.create_project(new)?;
        self.store
            .db(|db| db.console_members().add(&user.id, &project.id))?;
        Ok(project)
    }
}
