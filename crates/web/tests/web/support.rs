//! A hub with the web shell on a free loopback port, and a browser as a cookie jar.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use linker_aplus::{KeyPair, PrivateKey, Signer};
use linker_hub::{ServeConfig, Server};
use linker_web::{WebConfig, WebShell};
use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery";

/// A hub serving the web wallet, its admin token and one project.
pub struct Site {
    pub url: String,
    pub shell: Arc<WebShell>,
    admin_token: String,
    project_id: String,
    acqp_key: String,
    http: reqwest::Client,
}

impl Site {
    pub async fn start(dir: &Path) -> Site {
        let config = ServeConfig {
            data_dir: dir.join("hub"),
            listen: "127.0.0.1:0".parse().unwrap(),
            public_url: None,
            test_clock: true,
            tls: None,
        };
        let server = Server::bind(&config).await.unwrap();
        // The tests play phones behind a proxy on this machine (`Browser::forwarded_for`).
        server.hub.trust_proxies(
            linker_hub::domain::throttle::TrustedProxies::parse(&["127.0.0.1"]).unwrap(),
        );
        let url = server.local_url();
        let shell = Arc::new(WebShell::new(
            WebConfig::new(dir.join("web-sessions"), url.clone()),
            server.hub.clock(),
        ));
        let server = server.mount(linker_web::router(shell.clone()));
        let admin_token = std::fs::read_to_string(linker_hub::admin_token_path(&config.data_dir))
            .unwrap()
            .trim()
            .to_owned();
        tokio::spawn(server.run(std::future::pending()));
        let http = reqwest::Client::new();
        let keys = KeyPair::generate().unwrap();
        let project: Value = http
            .post(format!("{url}/admin/v1/projects"))
            .bearer_auth(&admin_token)
            .json(&json!({
                "name": "Web wallet ACQP",
                "clientId": "WEB_TEST",
                "acqpPublicKey": keys.public.to_base64(),
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Site {
            url,
            shell,
            admin_token,
            project_id: project["id"].as_str().expect("a project").to_owned(),
            acqp_key: keys.private.to_base64(),
            http,
        }
    }

    /// The ACQP's POS asks for an order code (a signed `pay`, OrderCode scenario); returns the
    /// code's text, as its QR carries it.
    pub async fn order_code(&self, request_id: &str) -> String {
        let path = "/aps/api/v1/payments/pay";
        let body = json!({
            "productCode": "IN_STORE_PAYMENT",
            "paymentRequestId": request_id,
            "order": {
                "referenceOrderId": format!("order-{request_id}"),
                "orderDescription": "Lunch",
                "orderAmount": {"currency": "HKD", "value": "4200"},
                "merchant": {"referenceMerchantId": "M0001", "merchantMCC": "5812", "merchantName": "Linker Cafe"},
                "env": {"userAgent": "POS/1.0"}
            },
            "paymentAmount": {"currency": "HKD", "value": "4200"},
            "paymentMethod": {"paymentMethodType": "CONNECT_WALLET"},
            "paymentFactor": {"isInStorePayment": "true", "inStorePaymentScenario": "OrderCode"}
        })
        .to_string();
        let time = "2026-12-07T10:00:00+08:00";
        let signer = Signer::new(
            "WEB_TEST",
            PrivateKey::from_base64_or_pem(&self.acqp_key).unwrap(),
        );
        let signature = signer
            .sign("POST", path, time, body.as_bytes())
            .unwrap()
            .format();
        let answer: Value = self
            .http
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/json; charset=UTF-8")
            .header("client-id", "WEB_TEST")
            .header("request-time", time)
            .header("signature", signature)
            .body(body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["orderCodeForm"]["codeDetails"][0]["codeValue"]
            .as_str()
            .unwrap_or_else(|| panic!("an order code: {answer}"))
            .to_owned()
    }

    /// The ACQP asks how a payment stands (`inquiryPayment`); returns its `paymentResult`'s code.
    pub async fn payment_status(&self, request_id: &str) -> String {
        let body = json!({ "paymentRequestId": request_id }).to_string();
        let answer = self
            .signed("/aps/api/v1/payments/inquiryPayment", body)
            .await;
        answer["paymentResult"]["resultCode"]
            .as_str()
            .unwrap_or_else(|| panic!("an inquiry answer with a paymentResult: {answer}"))
            .to_owned()
    }

    /// A signed Alipay+ call as the ACQP makes it; returns the answer.
    async fn signed(&self, path: &str, body: String) -> Value {
        let time = "2026-12-07T10:00:00+08:00";
        let key = PrivateKey::from_base64_or_pem(&self.acqp_key).unwrap();
        let signature = Signer::new("WEB_TEST", key)
            .sign("POST", path, time, body.as_bytes())
            .unwrap()
            .format();
        self.http
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/json; charset=UTF-8")
            .header("client-id", "WEB_TEST")
            .header("request-time", time)
            .header("signature", signature)
            .body(body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Moves the hub's test clock (which the web shell's idle time runs on) forward.
    pub async fn advance(&self, seconds: i64) {
        let response = self
            .http
            .post(format!("{}/admin/v1/clock/advance", self.url))
            .bearer_auth(&self.admin_token)
            .json(&json!({ "seconds": seconds }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "the clock moves");
    }

    /// Invites a merchant for `products`; returns its invitation code.
    pub async fn invite(&self, mid: &str, products: &[&str]) -> String {
        let invited: Value = self
            .http
            .post(format!(
                "{}/admin/v1/projects/{}/merchants",
                self.url, self.project_id
            ))
            .bearer_auth(&self.admin_token)
            .json(&json!({
                "name": format!("Shop {mid}"),
                "mid": mid,
                "email": format!("{}@shop.example", mid.to_lowercase()),
                "products": products,
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        invited["invitation"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("an invitation: {invited}"))
            .to_owned()
    }
}

impl Site {
    /// Revokes the access of the merchant with `mid` (as the TSP does in the console).
    pub async fn revoke(&self, mid: &str) {
        let merchants: Value = self
            .http
            .get(format!(
                "{}/admin/v1/projects/{}/merchants",
                self.url, self.project_id
            ))
            .bearer_auth(&self.admin_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = merchants
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["mid"] == mid)
            .and_then(|m| m["id"].as_str())
            .unwrap_or_else(|| panic!("merchant {mid} in {merchants}"))
            .to_owned();
        let response = self
            .http
            .post(format!(
                "{}/admin/v1/projects/{}/merchants/{id}/revoke",
                self.url, self.project_id
            ))
            .bearer_auth(&self.admin_token)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "revoked: {}",
            response.status()
        );
    }
}

/// One browser: the web shell's cookie, kept between calls.
pub struct Browser {
    url: String,
    pub cookie: Option<String>,
    /// The phone's address, as the proxy in front of the hub forwards it (`X-Forwarded-For`).
    pub forwarded_for: Option<String>,
    http: reqwest::Client,
}

impl Browser {
    pub fn new(site: &Site) -> Browser {
        Browser {
            url: site.url.clone(),
            cookie: None,
            forwarded_for: None,
            http: reqwest::Client::new(),
        }
    }

    /// Calls a command; returns the HTTP status and the JSON answer.
    pub async fn call(&mut self, command: &str, args: Value) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}/app/api/{command}", self.url))
            .json(&args);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        if let Some(client) = &self.forwarded_for {
            request = request.header("x-forwarded-for", client);
        }
        let response = request.send().await.unwrap();
        if let Some(set) = response.headers().get("set-cookie") {
            let set = set.to_str().unwrap();
            assert!(
                set.contains("HttpOnly")
                    && set.contains("SameSite=Strict")
                    && set.contains("Path=/app"),
                "the session cookie is HttpOnly, SameSite=Strict, for /app only: {set}"
            );
            self.cookie = Some(set.split(';').next().unwrap().to_owned());
        }
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Fetches a page or file of the web wallet; returns status, content type and body.
    pub async fn get(&self, path: &str) -> (u16, String, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let kind = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, kind, response.text().await.unwrap())
    }
}

/// The reference acquirer as a test reaches it: its POS driver (`/pos/v1`) and its POS page's
/// API (`/pos/api`), on the same base URL.
pub struct Pos {
    base: String,
    http: reqwest::Client,
}

impl Pos {
    pub fn new(base: &str) -> Pos {
        Pos {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        }
    }

    pub async fn post(&self, path: &str, body: reqwest::Body, kind: &str) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", kind)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 200, "the POS answers {path}: {answer}");
        answer
    }

    pub async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Waits until the terminal shows the sale `display_path` answers for as paid (`display`
    /// picks the terminal's display out of the answer).
    pub async fn wait_until_paid(&self, display_path: &str, display: impl Fn(&Value) -> &Value) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let answer = self.get(display_path).await;
            if display(&answer)["state"] == "paid" {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the POS shows the sale as paid within 30 s; {display_path} says {answer}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// The size of the fake camera's videos.
const VIDEO: (usize, usize) = (640, 480);

/// A 640 x 480 Y4M video (YUV 4:2:0, full range) of `text` as a QR code on white, 10 frames:
/// what Chromium's fake camera (`--use-file-for-fake-video-capture`) plays.
pub fn qr_video(text: &str, path: &Path) {
    let (width, height) = VIDEO;
    let code = linker_scan::text_qr(text, &linker_scan::QrOptions::default()).unwrap();
    let luma = code.to_luma();
    let (qr_w, qr_h) = (luma.width() as usize, luma.height() as usize);
    let scale = (400 / qr_w.max(qr_h)).max(1);
    let (left, top) = ((width - qr_w * scale) / 2, (height - qr_h * scale) / 2);
    let mut y = vec![255u8; width * height];
    for row in 0..qr_h * scale {
        for column in 0..qr_w * scale {
            let value = luma.as_raw()[(row / scale) * qr_w + column / scale];
            y[(top + row) * width + left + column] = value;
        }
    }
    write_y4m(&y, path);
}

/// The same kind of video, all white: a camera pointed at nothing yet.
pub fn blank_video(path: &Path) {
    write_y4m(&vec![255u8; VIDEO.0 * VIDEO.1], path);
}

/// Writes 10 frames of the luma plane `y` (grey chroma) as a Y4M file, by a rename, so that a
/// camera opening the file never reads half of it.
fn write_y4m(y: &[u8], path: &Path) {
    let (width, height) = VIDEO;
    let chroma = vec![128u8; width * height / 4];
    let mut video = format!("YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n").into_bytes();
    for _ in 0..10 {
        video.extend_from_slice(b"FRAME\n");
        video.extend_from_slice(y);
        video.extend_from_slice(&chroma);
        video.extend_from_slice(&chroma);
    }
    let partial = path.with_extension("partial");
    std::fs::write(&partial, video).unwrap();
    std::fs::rename(&partial, path).unwrap();
}

/// The DER bytes of the first certificate in a PEM file.
pub fn certificate_der(pem: &Path) -> Vec<u8> {
    use base64::Engine as _;
    let text = std::fs::read_to_string(pem).unwrap();
    let body: String = text
        .lines()
        .skip_while(|line| !line.starts_with("-----BEGIN CERTIFICATE"))
        .skip(1)
        .take_while(|line| !line.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap_or_else(|e| panic!("{} holds a PEM certificate: {e}", pem.display()))
}

/// One DER element at the start of `der`: its whole encoding and its content.
fn der_element(der: &[u8]) -> (&[u8], &[u8]) {
    let first = der[1];
    let (header, length) = if first < 0x80 {
        (2, usize::from(first))
    } else {
        let count = usize::from(first & 0x7f);
        let length = der[2..2 + count]
            .iter()
            .fold(0usize, |length, byte| (length << 8) | usize::from(*byte));
        (2 + count, length)
    };
    (&der[..header + length], &der[header..header + length])
}

/// What Chromium's `--ignore-certificate-errors-spki-list` takes for a certificate: the base64
/// of the SHA-256 of its SubjectPublicKeyInfo (DER), read from the certificate by hand:
/// Certificate = SEQUENCE { tbsCertificate = SEQUENCE { [0] version, serialNumber, signature,
/// issuer, validity, subject, subjectPublicKeyInfo, ... }, ... }.
pub fn spki_pin(der: &[u8]) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let (_, certificate) = der_element(der);
    let (_, mut fields) = der_element(certificate);
    if fields[0] == 0xa0 {
        fields = &fields[der_element(fields).0.len()..];
    }
    for _ in 0..5 {
        fields = &fields[der_element(fields).0.len()..];
    }
    let (spki, _) = der_element(fields);
    assert_eq!(spki[0], 0x30, "the SubjectPublicKeyInfo is a SEQUENCE");
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(spki))
}
