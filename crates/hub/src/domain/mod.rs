//! What the hub does, without HTTP or SQL: projects (and TSP mode's Agent-Token), merchants and
//! their sessions, payments by scenario, runs and their evidence, assignments, forced results,
//! scanning, user-initiated payments, Auto Debit, sandbox acceptance testing, the ACQP's
//! authorization of a TSP's application (console roles, authorization URLs, Agent-Tokens), and
//! the signed calls the hub makes to the ACQP (and where they may go). Every operation is a
//! method of [`crate::Hub`] over the store.

pub mod acceptance;
pub mod acceptance_report;
pub mod acqp;
pub mod acqp_authorizations;
pub mod admin_credential;
pub mod agent_token;
pub mod api_outcome;
pub mod assignments;
pub mod attachments;
pub mod auto_debit;
pub mod background;
pub mod console_users;
pub mod forced;
pub mod merchants;
pub mod notifications;
pub mod outbound;
pub mod payments;
pub mod project_cache;
pub mod project_tokens;
pub mod projects;
pub mod request_log;
pub mod runs;
pub mod scanning;
pub mod throttle;
pub mod user_initiated;
