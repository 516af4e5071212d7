//! linker-app: the Linker wallet, a Tauri 2 shell over Linker's library crates.
//!
//! Commands are one-liners over the libraries; the screens live in `ui/`. The same
//! [`register`] function wires the real app and the mock-runtime tests, so both exercise one
//! code path.

pub mod commands;

/// Adds every command and plugin of the wallet to a Tauri builder.
pub fn register<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![commands::app_info])
}

/// Starts the wallet app (desktop `main` and the mobile entry point).
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let result = register(tauri::Builder::default()).run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("linker: the wallet app could not start: {error}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder, mock_context, noop_assets};
    use tauri::webview::InvokeRequest;

    fn invoke(command: &str) -> Result<serde_json::Value, serde_json::Value> {
        let app = super::register(mock_builder())
            .build(mock_context(noop_assets()))
            .expect("the mock app builds");
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("the mock window builds");
        get_ipc_response(
            &webview,
            InvokeRequest {
                cmd: command.into(),
                callback: tauri::ipc::CallbackFn(0),
                error: tauri::ipc::CallbackFn(1),
                url: "tauri://localhost".parse().expect("a valid url"),
                body: tauri::ipc::InvokeBody::default(),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<serde_json::Value>().expect("JSON body"))
    }

    #[test]
    fn app_info_is_wired_and_reports_the_version() {
        let info = invoke("app_info").expect("app_info answers");
        assert_eq!(info["name"], "Linker", "app_info answered {info}");
        assert_eq!(
            info["version"],
            env!("CARGO_PKG_VERSION"),
            "app_info answered {info}"
        );
        assert_eq!(
            info["defaultWallet"], "TEST_WALLET",
            "app_info answered {info}"
        );
    }

    #[test]
    fn an_unknown_command_is_refused() {
        let answer = invoke("no_such_command");
        assert!(
            answer.is_err(),
            "an unregistered command must fail, got {answer:?}"
        );
    }
}
