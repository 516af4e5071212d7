//! The Alipay+ API's HTTP edge (`/aps/...`): the raw request handed to [`Hub::handle_aplus`],
//! its signed answer written back.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::Hub;
use crate::gateway::IncomingCall;
use crate::store::Store;
use linker_aplus::message::Api;
use linker_aplus::signature::path_for_signing;

/// Answers one Alipay+ call.
pub(super) async fn aplus_gateway(
    State(hub): State<Arc<Hub>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let call = IncomingCall {
        method: method.to_string(),
        target: uri.to_string(),
        headers: headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    };
    // Most calls take under a millisecond of CPU (one RSA signature, one verify, a few short
    // indexed SQLite statements) and are answered right here on the async worker, their uses of
    // the store made inline while the connection is free (`Store::inline_when_free`): handing
    // the worker's other tasks to another thread (`block_in_place`) for each call, or for each
    // use of the store, cost more CPU than the call's own work bar RSA (`linker bench wrk`).
    // A use that finds the store taken still waits in `block_in_place`, holding up only this
    // call. A `pay` may be held for seconds while a UPM-06 run is open (it answers late on
    // purpose): then it goes to the blocking pool, so that the task awaiting it (and whatever
    // else that task awaits) is free.
    let held = Api::from_hub_path(path_for_signing(&call.target)) == Some(Api::Pay)
        && Store::inline_when_free(|| hub.pay_may_be_held());
    let answer = if held {
        match tokio::task::spawn_blocking(move || hub.handle_aplus(&call)).await {
            Ok(answer) => answer,
            Err(error) => {
                tracing::error!(%error, "the Alipay+ handler panicked");
                return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
            }
        }
    } else {
        Store::inline_when_free(|| hub.handle_aplus(&call))
    };
    let mut response = (StatusCode::OK, answer.body).into_response();
    for (name, value) in answer.headers {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::try_from(name),
            header::HeaderValue::try_from(value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
