//! What a domain operation answers an Alipay+ call with, before the gateway signs it.

use linker_aplus::ApiResult;
use serde::Serialize;

/// The business outcome of one API call, before it is signed.
#[derive(Debug, Clone)]
pub struct ApiOutcome {
    /// The JSON body.
    pub body: serde_json::Value,
    /// True when a forced result (iMock) produced it.
    pub forced: bool,
}

impl ApiOutcome {
    /// An answer body from any serialisable response type.
    pub fn of<T: Serialize>(response: &T) -> ApiOutcome {
        ApiOutcome {
            body: serde_json::to_value(response).unwrap_or_default(),
            forced: false,
        }
    }

    /// An answer that has only a `result`.
    pub fn result(result: ApiResult) -> ApiOutcome {
        ApiOutcome {
            body: serde_json::json!({ "result": result }),
            forced: false,
        }
    }
}
