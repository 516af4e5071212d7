//! Forced results: the real sandbox's iMock, done better. Per project, force the result code of
//! one API, optionally only when a request field has a given value, for a bounded time. The hub
//! checks the request as usual (client, signature, body) and then answers the forced result
//! instead of processing it; the request log marks every forced answer.

use chrono::{DateTime, Duration, Utc};
use linker_aplus::message::Api;
use linker_aplus::{ApiResult, ResultCode, ResultStatus};
use serde::{Deserialize, Serialize};

use crate::Hub;
use crate::error::HubError;
use crate::store::forced::ForcedRow;

/// The longest a forced result may last.
pub const MAX_FORCE_MINUTES: i64 = 120;

/// Only when a request field has this value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FieldMatch {
    /// A dotted path into the request body, e.g. `paymentRequestId` or `paymentAmount.value`.
    pub field: String,
    /// The value it must have (compared as text).
    pub value: String,
}

/// What a TSP asks to force.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewForcedResult {
    /// The API's name: `pay`, `inquiryPayment`, `cancelPayment`, `refund`, `consultPayment`, ...
    pub api: String,
    /// The result code to answer, e.g. `USER_BALANCE_NOT_ENOUGH`.
    pub result_code: String,
    /// The message to answer; the code's default when absent.
    pub result_message: Option<String>,
    /// Only for requests whose field has this value.
    pub when: Option<FieldMatch>,
    /// How long it lasts, 1 to 120 minutes (30 by default).
    pub minutes: Option<i64>,
}

/// A forced result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForcedResult {
    /// Its id (`frc_...`).
    pub id: String,
    /// The API it applies to.
    pub api: String,
    /// The answer's result code.
    pub result_code: String,
    /// The answer's result status, from the code.
    pub result_status: String,
    /// The answer's message.
    pub result_message: String,
    /// The field condition, if any.
    pub when: Option<FieldMatch>,
    /// When it was set.
    pub created_at: DateTime<Utc>,
    /// When it stops applying.
    pub expires_at: DateTime<Utc>,
    /// True while it applies (on the hub's clock).
    pub active: bool,
}

fn field_text<'a>(body: &'a serde_json::Value, path: &str) -> Option<String> {
    let mut node: &'a serde_json::Value = body;
    for key in path.split('.') {
        node = node.get(key)?;
    }
    match node {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

impl Hub {
    /// Forces a result for a project's API; every field is checked first.
    pub fn force_result(
        &self,
        project_id: &str,
        new: NewForcedResult,
    ) -> Result<ForcedResult, HubError> {
        self.project(project_id)?;
        let api = Api::HUB_SERVED
            .into_iter()
            .find(|api| api.name() == new.api)
            .ok_or_else(|| {
                let names: Vec<&str> = Api::HUB_SERVED.iter().map(|api| api.name()).collect();
                HubError::invalid(
                    "api",
                    format!(
                        "{:?} is not an API the hub serves ({})",
                        new.api,
                        names.join(", ")
                    ),
                )
            })?;
        let code = ResultCode::parse(new.result_code.trim());
        let Some(status) = code.status() else {
            return Err(HubError::invalid(
                "resultCode",
                format!("{:?} is not an Alipay+ result code", new.result_code),
            ));
        };
        let minutes = new.minutes.unwrap_or(30);
        if !(1..=MAX_FORCE_MINUTES).contains(&minutes) {
            return Err(HubError::invalid(
                "minutes",
                format!("1 to {MAX_FORCE_MINUTES} minutes"),
            ));
        }
        if let Some(when) = &new.when
            && (when.field.trim().is_empty() || when.field.split('.').any(str::is_empty))
        {
            return Err(HubError::invalid(
                "when.field",
                "a dotted field path such as paymentRequestId",
            ));
        }
        let now = self.clock.now();
        let forced = ForcedResult {
            id: self.ids.alphanumeric("frc_", 12),
            api: api.name().to_owned(),
            result_code: code.as_str().to_owned(),
            result_status: status.as_str().to_owned(),
            result_message: new
                .result_message
                .unwrap_or_else(|| code.default_message().to_owned()),
            when: new.when,
            created_at: now,
            expires_at: now + Duration::minutes(minutes),
            active: true,
        };
        self.store.db(|db| {
            db.forced().insert(&ForcedRow {
                id: forced.id.clone(),
                project_id: project_id.to_owned(),
                api: forced.api.clone(),
                result_code: forced.result_code.clone(),
                result_message: forced.result_message.clone(),
                field: forced.when.as_ref().map(|w| w.field.clone()),
                value: forced.when.as_ref().map(|w| w.value.clone()),
                created_at: forced.created_at,
                expires_at: forced.expires_at,
            })
        })?;
        Ok(forced)
    }

    /// A project's forced results, newest first, with whether each still applies.
    pub fn forced_results(&self, project_id: &str) -> Result<Vec<ForcedResult>, HubError> {
        let now = self.clock.now();
        let rows = self.store.db(|db| db.forced().of_project(project_id))?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let status = ResultCode::parse(&row.result_code)
                    .status()
                    .unwrap_or(ResultStatus::Unknown);
                ForcedResult {
                    id: row.id,
                    api: row.api,
                    result_status: status.as_str().to_owned(),
                    result_code: row.result_code,
                    result_message: row.result_message,
                    when: row
                        .field
                        .zip(row.value)
                        .map(|(field, value)| FieldMatch { field, value }),
                    created_at: row.created_at,
                    active: now < row.expires_at,
                    expires_at: row.expires_at,
                }
            })
            .collect())
    }

    /// Ends a forced result now.
    pub fn unforce_result(&self, project_id: &str, id: &str) -> Result<(), HubError> {
        let now = self.clock.now();
        let found = self.store.db(|db| {
            let forced = db.forced();
            Ok::<_, HubError>(forced.expire(project_id, id, now)? || forced.exists(project_id, id)?)
        })?;
        if !found {
            return Err(HubError::NotFound(format!("forced result {id}")));
        }
        Ok(())
    }

    /// The forced answer for this call, if one applies now (the newest match wins).
    pub(crate) fn forced_answer(
        &self,
        project_id: &str,
        api: Api,
        body: Option<&serde_json::Value>,
    ) -> Option<ApiResult> {
        let active = self.forced_results(project_id).ok()?;
        let rule = active.into_iter().find(|rule| {
            rule.active
                && rule.api == api.name()
                && rule.when.as_ref().is_none_or(|when| {
                    body.and_then(|body| field_text(body, &when.field))
                        .as_deref()
                        == Some(when.value.as_str())
                })
        })?;
        let code = ResultCode::parse(&rule.result_code);
        Some(match code.status() {
            Some(ResultStatus::Success) => ApiResult::success(),
            Some(ResultStatus::Unknown) => ApiResult::unknown(code, rule.result_message),
            _ => ApiResult::failure(code, rule.result_message),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::field_text;

    #[test]
    fn field_paths_read_nested_values_as_text() {
        let body = serde_json::json!({"paymentAmount": {"value": "100"}, "n": 3});
        assert_eq!(
            field_text(&body, "paymentAmount.value").as_deref(),
            Some("100")
        );
        assert_eq!(field_text(&body, "n").as_deref(), Some("3"));
        assert_eq!(field_text(&body, "paymentAmount.currency"), None);
    }
}
