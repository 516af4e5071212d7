//! The wallet's screens, embedded from `ui/` at build time, served under `/app/`.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

include!(concat!(env!("OUT_DIR"), "/ui_files.rs"));

/// The content type of a file of the screens, by its name.
fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "json" | "webmanifest" => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

fn serve(path: &str) -> Response {
    match UI_FILES.iter().find(|(name, _)| *name == path) {
        Some((name, bytes)) => (
            [
                (header::CONTENT_TYPE, content_type(name)),
                (header::CACHE_CONTROL, "no-cache"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            *bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// `GET /app/`: the first screen.
pub(crate) async fn index() -> Response {
    serve("index.html")
}

/// `GET /app/<path>`: a file of the screens.
pub(crate) async fn file(Path(path): Path<String>) -> Response {
    serve(&path)
}
