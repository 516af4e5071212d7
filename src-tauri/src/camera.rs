//! The desktop camera. WebKitGTK keeps `getUserMedia` off unless the app turns it on, and then
//! asks the app whether a page may use a camera. The wallet's own window (and only it: the POS
//! and merchant-page windows are never wired) gets the media stream, and its requests for a
//! video device from the app's own pages are allowed; everything else is refused.
//! `LINKER_MOCK_CAMERA=1` gives WebKit's mock capture device instead of a real camera (tests).

/// Turns the camera on for `window`'s web view and answers its permission requests.
pub fn allow_in<R: tauri::Runtime>(window: &tauri::WebviewWindow<R>) {
    #[cfg(target_os = "linux")]
    {
        let mock = std::env::var("LINKER_MOCK_CAMERA").is_ok_and(|value| value == "1");
        let wired = window.with_webview(move |webview| linux::wire(&webview.inner(), mock));
        if let Err(error) = wired {
            tracing::warn!(%error, "the camera could not be turned on in the web view");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}

#[cfg(target_os = "linux")]
mod linux {
    use webkit2gtk::glib::prelude::*;
    use webkit2gtk::{
        PermissionRequest, PermissionRequestExt, SettingsExt, UserMediaPermissionRequest,
        UserMediaPermissionRequestExt, WebView, WebViewExt,
    };

    /// The origins of the app's own pages (Tauri's custom protocol, or its dev server).
    fn is_own_page(uri: &str) -> bool {
        uri.starts_with("tauri://localhost") || uri.starts_with("http://tauri.localhost")
    }

    /// Whether a request may use the camera: a video device, asked by one of the app's pages.
    pub(super) fn allowed(request: &PermissionRequest, page: Option<&str>) -> bool {
        let Some(media) = request.downcast_ref::<UserMediaPermissionRequest>() else {
            return false;
        };
        media.is_for_video_device() && !media.is_for_audio_device() && page.is_some_and(is_own_page)
    }

    pub(super) fn wire(webview: &WebView, mock: bool) {
        if let Some(settings) = WebViewExt::settings(webview) {
            settings.set_enable_media_stream(true);
            settings.set_enable_mock_capture_devices(mock);
        }
        webview.connect_permission_request(|webview, request| {
            let page = webview.uri();
            if allowed(request, page.as_deref()) {
                request.allow();
            } else {
                request.deny();
            }
            true
        });
    }
}
