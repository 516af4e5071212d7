//! The one mapping from [`HubError`] to an HTTP status and a `{code, message}` body.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::error::HubError;

/// An error as every JSON API of the hub answers it.
#[derive(Debug, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The stable code.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
}

impl IntoResponse for HubError {
    fn into_response(self) -> Response {
        let status = match &self {
            HubError::NotFound(_) => StatusCode::NOT_FOUND,
            HubError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            HubError::Conflict(_) => StatusCode::CONFLICT,
            HubError::Unauthorized(_) | HubError::Denied { .. } => StatusCode::UNAUTHORIZED,
            HubError::Forbidden(_) => StatusCode::FORBIDDEN,
            HubError::RunOver(_) | HubError::WalletLacksProduct(_) | HubError::Refused { .. } => {
                StatusCode::CONFLICT
            }
            HubError::TooManyAttempts { .. } | HubError::Limited { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            HubError::Store(_) | HubError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "admin API failure");
        }
        let body = ErrorBody {
            code: self.code().to_owned(),
            message: self.to_string(),
        };
        let mut response = (status, Json(body)).into_response();
        if let HubError::TooManyAttempts { retry_after } | HubError::Limited { retry_after, .. } =
            &self
            && let Ok(value) = axum::http::HeaderValue::from_str(&retry_after.to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}
