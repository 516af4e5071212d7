//! The store's projects (`projects`): typed rows in and out.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row, params};

use super::{Db, StoreError, from_json, optional, time_column, time_text, to_json};

/// A project as stored (the hub's private key included: never serialise this to a client).
#[derive(Debug, Clone)]
pub struct ProjectRow {
    /// The hub's id for the project, e.g. `prj_...`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The ACQP's Client-Id.
    pub client_id: String,
    /// The test ACQ id, sent as `acquirerId`.
    pub acquirer_id: String,
    /// The ACQP's public key, base64 SPKI.
    pub acqp_public_key: String,
    /// The hub's private key for this project, base64 PKCS#8.
    pub hub_private_key: String,
    /// The hub's public key for this project, base64 SPKI.
    pub hub_public_key: String,
    /// notifyPayment URL.
    pub notify_url: Option<String>,
    /// userInitiatedPay URL.
    pub user_initiated_pay_url: Option<String>,
    /// authNotify URL.
    pub auth_notify_url: Option<String>,
    /// Entry-code domains.
    pub entry_code_domains: Vec<String>,
    /// Private order-code domains.
    pub private_code_domains: Vec<String>,
    /// Notification retry schedule, seconds.
    pub notify_retry_schedule: Vec<u64>,
    /// How many days its request log is kept.
    pub request_log_days: u32,
    /// In TSP mode every Alipay+ call must carry the project's Agent-Token.
    pub tsp_mode: bool,
    /// The sandbox Agent-Token (`agt_...`); `None` only for a project made before migration 20
    /// until `Hub::issue_missing_agent_tokens` gives it one.
    pub agent_token: Option<String>,
    /// The products its application selected (`UPM`, `ORDER_CODE`, ...): what sandbox
    /// acceptance testing requires.
    pub products: Vec<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Operations on projects (`projects`).
#[derive(Debug, Clone, Copy)]
pub struct Projects<'c> {
    connection: &'c Connection,
}

impl<'c> Db<'c> {
    /// Projects (`projects`).
    pub fn projects(self) -> Projects<'c> {
        Projects {
            connection: self.connection,
        }
    }
}

const COLUMNS: &str = "id, name, client_id, acquirer_id, acqp_public_key, hub_private_key, \
    hub_public_key, notify_url, user_initiated_pay_url, auth_notify_url, entry_code_domains, \
    private_code_domains, notify_retry_schedule, created_at, updated_at, request_log_days, tsp_mode, agent_token, \
    products";

/// Reads a JSON column, reporting a bad value as a conversion error of column `index`.
fn json_column<T: serde::de::DeserializeOwned>(
    row: &Row<'_>,
    index: usize,
    name: &str,
) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    from_json(&text, name).map_err(|error| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, error.into())
    })
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<ProjectRow> {
    let time = |index: usize| -> rusqlite::Result<DateTime<Utc>> {
        Ok(time_column(index, Some(row.get(index)?))?.unwrap_or_default())
    };
    Ok(ProjectRow {
        id: row.get(0)?,
        name: row.get(1)?,
        client_id: row.get(2)?,
        acquirer_id: row.get(3)?,
        acqp_public_key: row.get(4)?,
        hub_private_key: row.get(5)?,
        hub_public_key: row.get(6)?,
        notify_url: row.get(7)?,
        user_initiated_pay_url: row.get(8)?,
        auth_notify_url: row.get(9)?,
        entry_code_domains: json_column(row, 10, "domains")?,
        private_code_domains: json_column(row, 11, "domains")?,
        notify_retry_schedule: json_column(row, 12, "notify_retry_schedule")?,
        created_at: time(13)?,
        updated_at: time(14)?,
        request_log_days: row.get(15)?,
        tsp_mode: row.get(16)?,
        agent_token: row.get(17)?,
        products: json_column(row, 18, "products")?,
    })
}

impl Projects<'_> {
    /// Stores a new project.
    pub fn insert(&self, project: &ProjectRow) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(&format!(
                "INSERT INTO projects ({COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"
            ))?
            .execute(params![
                project.id,
                project.name,
                project.client_id,
                project.acquirer_id,
                project.acqp_public_key,
                project.hub_private_key,
                project.hub_public_key,
                project.notify_url,
                project.user_initiated_pay_url,
                project.auth_notify_url,
                to_json(&project.entry_code_domains),
                to_json(&project.private_code_domains),
                to_json(&project.notify_retry_schedule),
                time_text(project.created_at),
                time_text(project.updated_at),
                project.request_log_days,
                project.tsp_mode,
                project.agent_token,
                to_json(&project.products),
            ])?;
        Ok(())
    }

    /// Writes a project's changeable fields (name, ACQP key, URLs, domains, schedule, log
    /// retention, TSP mode, products, update time); its id, Client-Id, ACQ id and hub keys never
    /// change, and its Agent-Token changes only through [`Projects::set_agent_token`].
    pub fn update(&self, project: &ProjectRow) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "UPDATE projects SET name = ?2, acqp_public_key = ?3, notify_url = ?4, \
                 user_initiated_pay_url = ?5, auth_notify_url = ?6, entry_code_domains = ?7, \
                 private_code_domains = ?8, notify_retry_schedule = ?9, updated_at = ?10, \
                 request_log_days = ?11, tsp_mode = ?12, products = ?13 WHERE id = ?1",
            )?
            .execute(params![
                project.id,
                project.name,
                project.acqp_public_key,
                project.notify_url,
                project.user_initiated_pay_url,
                project.auth_notify_url,
                to_json(&project.entry_code_domains),
                to_json(&project.private_code_domains),
                to_json(&project.notify_retry_schedule),
                time_text(project.updated_at),
                project.request_log_days,
                project.tsp_mode,
                to_json(&project.products),
            ])?;
        Ok(())
    }

    /// Replaces a project's Agent-Token; false when there is no such project.
    pub fn set_agent_token(
        &self,
        id: &str,
        token: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let changed = self
            .connection
            .prepare_cached("UPDATE projects SET agent_token = ?2, updated_at = ?3 WHERE id = ?1")?
            .execute(params![id, token, time_text(at)])?;
        Ok(changed == 1)
    }

    /// Gives a project that has no Agent-Token this one (its update time unchanged); false when
    /// it already had one.
    pub fn fill_agent_token(&self, id: &str, token: &str) -> Result<bool, StoreError> {
        let changed = self
            .connection
            .prepare_cached(
                "UPDATE projects SET agent_token = ?2 WHERE id = ?1 AND agent_token IS NULL",
            )?
            .execute(params![id, token])?;
        Ok(changed == 1)
    }

    /// The ids of the projects that have no Agent-Token yet (made before migration 20).
    pub fn without_agent_token(&self) -> Result<Vec<String>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached("SELECT id FROM projects WHERE agent_token IS NULL ORDER BY id")?;
        let rows = statement.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The project with this id.
    pub fn get(&self, id: &str) -> Result<Option<ProjectRow>, StoreError> {
        optional(
            self.connection
                .prepare_cached(&format!("SELECT {COLUMNS} FROM projects WHERE id = ?1"))?
                .query_row([id], from_row),
        )
    }

    /// The project whose ACQP sends this Client-Id.
    pub fn by_client_id(&self, client_id: &str) -> Result<Option<ProjectRow>, StoreError> {
        optional(
            self.connection
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM projects WHERE client_id = ?1"
                ))?
                .query_row([client_id], from_row),
        )
    }

    /// The id of the project using this Client-Id, if any.
    pub fn id_by_client_id(&self, client_id: &str) -> Result<Option<String>, StoreError> {
        optional(
            self.connection
                .prepare_cached("SELECT id FROM projects WHERE client_id = ?1")?
                .query_row([client_id], |row| row.get(0)),
        )
    }

    /// Every project, oldest first.
    pub fn all(&self) -> Result<Vec<ProjectRow>, StoreError> {
        let mut statement = self.connection.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM projects ORDER BY created_at, id"
        ))?;
        let rows = statement.query_map([], from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
