//! TSP mode's Agent-Token: the sandbox token a TSP sends in the `Agent-Token` header of every
//! Alipay+ call while its project is in TSP mode (spec, "TSP mode").
//!
//! Every project has one (`agt_` and 64 hex digits from the hub's [`crate::Ids`]), made with the
//! project, rotated by a member on the console's Settings page or by `POST
//! /admin/v1/projects/{id}/agent-token`; a rotated-away token stops working on the next call.
//! Projects made before the token existed get theirs from
//! [`Hub::issue_missing_agent_tokens`] when the server starts. [`Hub::agent_token_check`] is the
//! gateway's one question: does this call's header carry the project's current token? Tokens
//! are compared in constant time, and no answer ever names the expected token.

use crate::Hub;
use crate::domain::admin_credential::constant_time_eq;
use crate::domain::projects::Project;
use crate::error::HubError;

/// How every Agent-Token starts.
pub const AGENT_TOKEN_PREFIX: &str = "agt_";

/// The request header that carries the Agent-Token.
pub const AGENT_TOKEN_HEADER: &str = "Agent-Token";

/// What the gateway makes of a call's `Agent-Token` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentTokenCheck {
    /// The project is not in TSP mode: the header is not looked at.
    NotRequired,
    /// The header carries the project's current sandbox Agent-Token.
    Accepted,
    /// The header carries the Agent-Token of an Active ACQP authorization of the project
    /// (`domain/acqp_authorizations.rs`): the token the TSP uses on the ACQP's behalf.
    Authorized,
    /// TSP mode, and no `Agent-Token` header (or an empty one).
    Missing,
    /// TSP mode, and a token that is not the project's current one: rotated away, another
    /// project's, or made up.
    NotCurrent,
}

impl AgentTokenCheck {
    /// True when the call may go on.
    pub fn passes(self) -> bool {
        matches!(
            self,
            AgentTokenCheck::NotRequired | AgentTokenCheck::Accepted | AgentTokenCheck::Authorized
        )
    }

    /// The `resultMessage` of the `ACCESS_DENIED` answer to a refused call (`None` when it
    /// passes). It names the header and the case, never the expected token.
    pub fn refusal(self) -> Option<String> {
        let fix = "send the project's sandbox Agent-Token (shown on the project's Settings \
                   page in the console) in the Agent-Token header of every Alipay+ call";
        match self {
            AgentTokenCheck::NotRequired
            | AgentTokenCheck::Accepted
            | AgentTokenCheck::Authorized => None,
            AgentTokenCheck::Missing => Some(format!(
                "the Agent-Token header is missing or empty: this project is in TSP mode, so {fix}"
            )),
            AgentTokenCheck::NotCurrent => Some(format!(
                "the Agent-Token header is not this project's current Agent-Token, nor that of \
                 an Active ACQP authorization of it (rotated, cancelled, another project's, or \
                 mistyped): this project is in TSP mode, so {fix}"
            )),
        }
    }
}

impl Hub {
    /// A fresh Agent-Token.
    pub(crate) fn new_agent_token(&self) -> String {
        format!("{AGENT_TOKEN_PREFIX}{}", self.ids.secret())
    }

    /// Whether a call to `project` may go on as far as the Agent-Token goes: in TSP mode the
    /// `Agent-Token` header (`header`, as sent) must equal the project's current sandbox token
    /// or the token of one of its Active ACQP authorizations. A store that cannot answer the
    /// second question refuses the call (it fails closed).
    pub fn agent_token_check(&self, project: &Project, header: Option<&str>) -> AgentTokenCheck {
        if !project.tsp_mode {
            return AgentTokenCheck::NotRequired;
        }
        let Some(sent) = header.map(str::trim).filter(|sent| !sent.is_empty()) else {
            return AgentTokenCheck::Missing;
        };
        match project.agent_token.as_deref() {
            Some(current) if constant_time_eq(current, sent) => AgentTokenCheck::Accepted,
            _ => match self.active_authorization_token(&project.id, sent) {
                Ok(true) => AgentTokenCheck::Authorized,
                Ok(false) => AgentTokenCheck::NotCurrent,
                Err(error) => {
                    tracing::error!(%error, "could not look up an ACQP authorization's Agent-Token");
                    AgentTokenCheck::NotCurrent
                }
            },
        }
    }

    /// Gives the project a new Agent-Token; the one it had stops working on the next call.
    pub fn rotate_agent_token(&self, project_id: &str) -> Result<Project, HubError> {
        let token = self.new_agent_token();
        let now = self.clock.now();
        let found = self
            .store
            .db(|db| db.projects().set_agent_token(project_id, &token, now))?;
        if !found {
            return Err(HubError::NotFound(format!("project {project_id}")));
        }
        self.projects_by_client_id.forget();
        self.project(project_id)
    }

    /// Gives every project that has no Agent-Token (made before TSP mode existed) one of its
    /// own; returns how many got one. The server runs it when it starts.
    pub fn issue_missing_agent_tokens(&self) -> Result<usize, HubError> {
        let ids = self.store.db(|db| db.projects().without_agent_token())?;
        let mut issued = 0;
        for id in ids {
            let token = self.new_agent_token();
            if self
                .store
                .db(|db| db.projects().fill_agent_token(&id, &token))?
            {
                issued += 1;
            }
        }
        if issued > 0 {
            self.projects_by_client_id.forget();
        }
        Ok(issued)
    }
}

#[cfg(test)]
mod tests {
    use super::AgentTokenCheck;

    #[test]
    fn a_refusal_names_the_header_and_the_case() {
        assert_eq!(AgentTokenCheck::Accepted.refusal(), None);
        assert_eq!(AgentTokenCheck::NotRequired.refusal(), None);
        let missing = AgentTokenCheck::Missing.refusal().unwrap_or_default();
        assert!(
            missing.contains("Agent-Token header is missing"),
            "{missing}"
        );
        let wrong = AgentTokenCheck::NotCurrent.refusal().unwrap_or_default();
        assert!(
            wrong.contains("not this project's current Agent-Token"),
            "{wrong}"
        );
    }
}
