//! Live run events: a task per followed run reads `Wallet::follow_run` and emits each update to
//! the screens as a `run-update` event.

use linker_wallet::{ErrorView, RunUpdate};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::state::AppState;

/// The Tauri event the screens listen to.
pub const RUN_UPDATE_EVENT: &str = "run-update";

/// One `run-update` event: an update, an error, or the end of the stream.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunUpdateEvent {
    /// The run.
    pub run_id: String,
    /// The update, when one came.
    pub update: Option<RunUpdate>,
    /// Why the stream stopped, when it failed (the screen then refreshes by itself).
    pub error: Option<ErrorView>,
    /// True on the last event of the stream.
    pub ended: bool,
}

/// Starts forwarding `run_id`'s events unless they already are.
pub fn follow<R: Runtime>(app: &AppHandle<R>, state: &AppState, run_id: &str) {
    if !state.start_following(run_id) {
        return;
    }
    let mut follower = state.wallet.follow_run(run_id);
    let app = app.clone();
    let run_id = run_id.to_owned();
    tauri::async_runtime::spawn(async move {
        let emit = |update: Option<RunUpdate>, error: Option<ErrorView>, ended: bool| {
            let event = RunUpdateEvent {
                run_id: run_id.clone(),
                update,
                error,
                ended,
            };
            if let Err(error) = app.emit(RUN_UPDATE_EVENT, event) {
                tracing::warn!(%error, "a run update could not reach the screens");
            }
        };
        while let Some(next) = follower.next().await {
            match next {
                Ok(update) => emit(Some(update), None, false),
                Err(error) => emit(None, Some(error.view()), false),
            }
        }
        emit(None, None, true);
        app.state::<AppState>().stop_following(&run_id);
    });
}
