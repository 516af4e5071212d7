//! A hub with the web shell on a free loopback port, and a browser as a cookie jar.

use std::path::Path;
use std::sync::Arc;

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

/// One browser: the web shell's cookie, kept between calls.
pub struct Browser {
    url: String,
    pub cookie: Option<String>,
    http: reqwest::Client,
}

impl Browser {
    pub fn new(site: &Site) -> Browser {
        Browser {
            url: site.url.clone(),
            cookie: None,
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
