//! The console as a browser uses it, over the real router: a cookie jar, the session's CSRF
//! token in every form, redirects not followed.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::{ADMIN_TOKEN, TestHub};

/// A browser: a cookie jar over the router.
pub struct Browser<'a> {
    pub hub: &'a TestHub,
    pub cookies: BTreeMap<String, String>,
}

/// A response: its status, where it redirects, and its body (empty for an event stream).
pub struct Answer {
    pub status: StatusCode,
    pub location: String,
    pub body: String,
}

impl<'a> Browser<'a> {
    pub fn new(hub: &'a TestHub) -> Browser<'a> {
        Browser {
            hub,
            cookies: BTreeMap::new(),
        }
    }

    pub async fn send(&mut self, request: axum::http::request::Builder, body: Body) -> Answer {
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let request = request.header(header::COOKIE, cookie.join("; "));
        let response = self
            .hub
            .router()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        for value in response.headers().get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
            assert!(
                text.contains("HttpOnly") && text.contains("SameSite"),
                "{text}"
            );
        }
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        // An event stream never ends: its headers are the answer.
        let streaming = response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|kind| kind.as_bytes().starts_with(b"text/event-stream"));
        let bytes = if streaming {
            Default::default()
        } else {
            response.into_body().collect().await.unwrap().to_bytes()
        };
        Answer {
            status,
            location,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        self.send(Request::builder().uri(path), Body::empty()).await
    }

    /// The token a form carries: a signed-in session's own, else the sign-in's cookie.
    pub fn csrf(&self) -> String {
        match self.cookies.get("linker_console") {
            Some(session) => linker_hub::console::session_csrf(session),
            None => self.cookies.get("linker_csrf").cloned().unwrap_or_default(),
        }
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut body: Vec<String> = vec![format!("csrf={}", self.csrf())];
        for (name, value) in fields {
            body.push(format!(
                "{name}={}",
                percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)
            ));
        }
        self.send(
            Request::builder()
                .method("POST")
                .uri(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            Body::from(body.join("&")),
        )
        .await
    }

    pub async fn upload(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, &[u8])>,
    ) -> Answer {
        let boundary = "XBOUNDARYX";
        let mut body: Vec<u8> = Vec::new();
        let csrf = self.csrf();
        for (name, value) in std::iter::once(("csrf", csrf.as_str())).chain(fields.iter().copied())
        {
            body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        }
        if let Some((name, file_name, bytes)) = file {
            body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
            body.extend(bytes);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").as_bytes());
        self.send(
            Request::builder().method("POST").uri(path).header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            ),
            Body::from(body),
        )
        .await
    }

    /// Signs in with an email and a password; the answer is the sign-in form's. A session
    /// cookie left from before is dropped first, as the sign-in form carries the sign-in's token.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Answer {
        self.cookies.remove("linker_console");
        self.get("/console/sign-in").await;
        self.post(
            "/console/sign-in",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// Creates the first user with the admin token and is signed in.
    pub async fn bootstrap(&mut self, email: &str) {
        let page = self.get("/console/setup").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let done = self
            .post(
                "/console/setup",
                &[
                    ("adminToken", ADMIN_TOKEN),
                    ("email", email),
                    ("password", "correct horse"),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "setup: {}", done.body);
        assert!(
            self.cookies.contains_key("linker_console"),
            "signed in: {:?}",
            self.cookies
        );
    }
}

/// The console user with `email` among a project's members.
pub fn member(
    hub: &TestHub,
    project: &str,
    email: &str,
) -> linker_hub::domain::console_users::ConsoleUser {
    hub.hub
        .console_members(project)
        .unwrap()
        .into_iter()
        .find(|m| m.email == email)
        .unwrap_or_else(|| panic!("{email} is a member of {project}"))
}
