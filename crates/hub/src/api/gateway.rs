//! The Alipay+ API's HTTP edge (`/aps/...`): the raw request handed to [`Hub::handle_aplus`],
//! its signed answer written back.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::Hub;
use crate::gateway::IncomingCall;
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
    // Most calls take under a millisecond of CPU (one RSA signature, one verify, a few SQLite
    // statements) and are answered on this worker, in one `block_in_place` on the server's
    // multi-thread runtime: this worker's other tasks go to another thread once, and the
    // half-dozen uses of the store the call makes run inline inside it (each would otherwise
    // enter `block_in_place` on its own: a thread woken and a core passed over every time;
    // `linker bench wrk` measured a fifth of the hub's CPU per call saved). A `pay` may be held
    // for seconds while a UPM-06 run is open (it answers late on purpose): then it goes to the
    // blocking pool, so that the task awaiting it (and whatever else that task awaits) is free.
    let answer = if Api::from_hub_path(path_for_signing(&call.target)) == Some(Api::Pay)
        && hub.pay_may_be_held()
    {
        match tokio::task::spawn_blocking(move || hub.handle_aplus(&call)).await {
            Ok(answer) => answer,
            Err(error) => {
                tracing::error!(%error, "the Alipay+ handler panicked");
                return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
            }
        }
    } else if on_multi_thread_runtime() {
        tokio::task::block_in_place(|| hub.handle_aplus(&call))
    } else {
        hub.handle_aplus(&call)
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

/// True on a multi-thread tokio runtime, the only kind `block_in_place` works on (tests drive the
/// router on a current-thread one).
fn on_multi_thread_runtime() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|handle| handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
}
