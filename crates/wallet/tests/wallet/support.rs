//! A real hub on a loopback port (stoppable and restartable on the same folder and port), its
//! admin API, a test ACQP that signs its Alipay+ calls, and wallets on a test clock.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use linker_aplus::{KeyPair, PrivateKey, Signer};
use linker_hub::{ServeConfig, Server};
use linker_wallet::{TestClock, Wallet, WalletOptions};
use serde_json::{Value, json};

/// A hub server running in this process.
pub struct HubProcess {
    pub url: String,
    pub address: SocketAddr,
    dir: PathBuf,
    admin_token: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    http: reqwest::Client,
}

impl HubProcess {
    /// Starts a hub with a test clock on a free loopback port.
    pub async fn start(dir: &Path) -> HubProcess {
        HubProcess::start_at(dir, "127.0.0.1:0".parse().unwrap(), None).await
    }

    async fn start_at(dir: &Path, listen: SocketAddr, token: Option<String>) -> HubProcess {
        let config = ServeConfig {
            data_dir: dir.to_path_buf(),
            listen,
            public_url: None,
            test_clock: true,
            tls: None,
        };
        // A restart may have to wait for the previous server's last tasks to let go of the
        // database and the port.
        let mut tries = 0;
        let server = loop {
            match Server::bind(&config).await {
                Ok(server) => break server,
                Err(error) if tries < 100 => {
                    tries += 1;
                    let _ = error;
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(error) => panic!("the hub could not start on {listen}: {error}"),
            }
        };
        let address = server.address;
        let admin_token = token.unwrap_or_else(|| {
            std::fs::read_to_string(linker_hub::admin_token_path(dir))
                .expect("the first start writes the admin token")
                .trim()
                .to_owned()
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server
                .run(async {
                    let _ = stopped.await;
                })
                .await
                .expect("the hub runs");
        });
        HubProcess {
            url: format!("http://{address}"),
            address,
            dir: dir.to_path_buf(),
            admin_token,
            stop: Some(stop),
            task: Some(task),
            http: reqwest::Client::new(),
        }
    }

    /// Stops the hub (the port then refuses connections).
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }

    /// Starts the hub again on the same folder and port.
    pub async fn restart(&mut self) {
        self.stop().await;
        let again =
            HubProcess::start_at(&self.dir, self.address, Some(self.admin_token.clone())).await;
        assert_eq!(again.address, self.address, "same port");
        *self = again;
    }

    /// An admin API call: status and JSON body.
    pub async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(
                method.parse().unwrap(),
                format!("{}/admin/v1{path}", self.url),
            )
            .bearer_auth(&self.admin_token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Moves the hub's clock forward.
    pub async fn advance(&self, seconds: i64) {
        let (status, body) = self
            .admin("POST", "/clock/advance", Some(json!({"seconds": seconds})))
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// A wallet API call with a token (for checks the wallet does not make itself).
    pub async fn wallet_get(&self, token: &str, path: &str) -> (u16, Vec<u8>) {
        let response = self
            .http
            .get(format!("{}/wallet/v1{path}", self.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.bytes().await.unwrap().to_vec(),
        )
    }
}

impl HubProcess {
    /// A bodiless wallet API POST with a token.
    pub async fn wallet_post(&self, token: &str, path: &str) -> (u16, Vec<u8>) {
        let response = self
            .http
            .post(format!("{}/wallet/v1{path}", self.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.bytes().await.unwrap().to_vec(),
        )
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The ACQP side of a project on the hub.
pub struct Acqp {
    pub project_id: String,
    client_id: String,
    key: String,
}

pub const PAY: &str = "/aps/api/v1/payments/pay";

impl Acqp {
    /// Creates a project for a new ACQP.
    pub async fn create(hub: &HubProcess) -> Acqp {
        let keys = KeyPair::generate().unwrap();
        let client_id = format!("WALLET_TEST_{}", hub.address.port());
        let (status, project) = hub
            .admin(
                "POST",
                "/projects",
                Some(json!({
                    "name": "Wallet test ACQP",
                    "clientId": client_id,
                    "acqpPublicKey": keys.public.to_base64(),
                    "notifyUrl": "http://127.0.0.1:9/notify",
                })),
            )
            .await;
        assert_eq!(status, 201, "project creation: {project}");
        Acqp {
            project_id: project["id"].as_str().unwrap().to_owned(),
            client_id,
            key: keys.private.to_base64(),
        }
    }

    /// Invites a merchant for UPM and MPM; returns its invitation code.
    pub async fn invite(&self, hub: &HubProcess, mid: &str) -> String {
        self.invite_for(hub, mid, &["UPM", "MPM"]).await
    }

    /// Invites a merchant for `products`; returns its invitation code.
    pub async fn invite_for(&self, hub: &HubProcess, mid: &str, products: &[&str]) -> String {
        let (status, invited) = hub
            .admin(
                "POST",
                &format!("/projects/{}/merchants", self.project_id),
                Some(json!({
                    "name": format!("Cafe {mid}"),
                    "mid": mid,
                    "email": format!("{}@shop.example", mid.to_lowercase()),
                    "products": products,
                })),
            )
            .await;
        assert_eq!(status, 201, "invitation: {invited}");
        invited["invitation"]["code"].as_str().unwrap().to_owned()
    }

    /// A signed Alipay+ call; returns the answer's body.
    pub async fn call(&self, hub: &HubProcess, path: &str, body: &Value) -> Value {
        let body = body.to_string();
        let time = "2026-11-25T10:00:00+08:00";
        let signer = Signer::new(
            self.client_id.clone(),
            PrivateKey::from_base64_or_pem(&self.key).unwrap(),
        );
        let signature = signer
            .sign("POST", path, time, body.as_bytes())
            .unwrap()
            .format();
        let response = reqwest::Client::new()
            .post(format!("{}{path}", hub.url))
            .header("content-type", "application/json; charset=UTF-8")
            .header("client-id", &self.client_id)
            .header("request-time", time)
            .header("signature", signature)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "every Alipay+ answer is HTTP 200");
        response.json().await.unwrap()
    }
}

/// The ACQP's userInitiatedPay endpoint on a loopback port: it knows no private order code,
/// so it answers every `codeValue` with a signed `F ORDER_NOT_EXIST` (as a correct ACQP
/// answers a code it never issued), and keeps what it was asked.
pub struct UserInitiatedPayEndpoint {
    /// Every request body received, in order.
    pub asked: Arc<std::sync::Mutex<Vec<Value>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for UserInitiatedPayEndpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The private order-code domain [`Acqp::serve_user_initiated_pay`] registers.
pub const PRIVATE_CODE_DOMAIN: &str = "pay.acqp.example";

impl Acqp {
    /// Starts the ACQP's userInitiatedPay endpoint and registers it in the project, with
    /// [`PRIVATE_CODE_DOMAIN`] as the project's private order-code domain.
    pub async fn serve_user_initiated_pay(&self, hub: &HubProcess) -> UserInitiatedPayEndpoint {
        use axum::body::Bytes;
        use axum::response::IntoResponse;

        let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (client_id, key, seen) = (self.client_id.clone(), self.key.clone(), asked.clone());
        let answer = move |body: Bytes| {
            let (client_id, key, seen) = (client_id.clone(), key.clone(), seen.clone());
            async move {
                seen.lock()
                    .unwrap()
                    .push(serde_json::from_slice::<Value>(&body).unwrap_or_default());
                let reply = json!({"result": {"resultCode": "ORDER_NOT_EXIST", "resultStatus": "F", "resultMessage": "no such order"}}).to_string();
                let time = "2026-11-25T10:00:01+08:00";
                let signature = Signer::new(
                    client_id.clone(),
                    PrivateKey::from_base64_or_pem(&key).unwrap(),
                )
                .sign("POST", "/user-initiated-pay", time, reply.as_bytes())
                .unwrap()
                .format();
                (
                    [
                        ("response-time", time.to_owned()),
                        ("client-id", client_id),
                        ("signature", signature),
                        ("content-type", "application/json".to_owned()),
                    ],
                    reply,
                )
                    .into_response()
            }
        };
        let app = axum::Router::new().route("/user-initiated-pay", axum::routing::post(answer));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/user-initiated-pay",
            listener.local_addr().unwrap()
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let (status, body) = hub
            .admin(
                "PATCH",
                &format!("/projects/{}", self.project_id),
                Some(json!({"userInitiatedPayUrl": url, "privateCodeDomains": [PRIVATE_CODE_DOMAIN]})),
            )
            .await;
        assert_eq!(status, 200, "registering the endpoint and domain: {body}");
        UserInitiatedPayEndpoint { asked, task }
    }
}

/// A valid UPM pay body for a payment code.
pub fn upm_pay(request_id: &str, code: &str, value: &str) -> Value {
    json!({
        "productCode": "IN_STORE_PAYMENT",
        "paymentRequestId": request_id,
        "order": {
            "referenceOrderId": format!("order-{request_id}"),
            "orderDescription": "Two coffees",
            "orderAmount": {"currency": "HKD", "value": value},
            "merchant": {
                "referenceMerchantId": "M0001",
                "merchantMCC": "5812",
                "merchantName": "Linker Cafe",
                "store": {"referenceStoreId": "S01", "storeName": "Central", "storeMCC": "5812"}
            }
        },
        "paymentAmount": {"currency": "HKD", "value": value},
        "paymentMethod": {"paymentMethodType": "CONNECT_WALLET", "paymentMethodId": code},
        "paymentFactor": {"isInStorePayment": "true", "inStorePaymentScenario": "PaymentCode"}
    })
}

/// A valid order-code pay body.
pub fn order_code_pay(request_id: &str, value: &str) -> Value {
    json!({
        "productCode": "IN_STORE_PAYMENT",
        "paymentRequestId": request_id,
        "order": {
            "referenceOrderId": format!("order-{request_id}"),
            "orderDescription": "Lunch",
            "orderAmount": {"currency": "HKD", "value": value},
            "merchant": {"referenceMerchantId": "M0001", "merchantMCC": "5812", "merchantName": "Linker Cafe"},
            "env": {"userAgent": "POS/1.0"}
        },
        "paymentAmount": {"currency": "HKD", "value": value},
        "paymentMethod": {"paymentMethodType": "CONNECT_WALLET"},
        "paymentFactor": {"isInStorePayment": "true", "inStorePaymentScenario": "OrderCode"}
    })
}

/// A wallet on a test clock in its own folder, pointed at `hub_url`.
pub fn wallet(dir: &Path, hub_url: &str) -> (Wallet, Arc<TestClock>) {
    let clock = Arc::new(TestClock::default());
    let mut options = WalletOptions::default()
        .with_clock(clock.clone())
        .with_seed(7)
        .with_hub_url(hub_url);
    options.reconnect_delay = std::time::Duration::ZERO;
    (Wallet::open(dir, options).unwrap(), clock)
}

pub const PASSWORD: &str = "long enough password";

/// A hub, a project, and a wallet signed in as a new merchant.
pub struct Setup {
    pub hub: HubProcess,
    pub acqp: Acqp,
    pub wallet: Wallet,
    pub clock: Arc<TestClock>,
    pub mid: String,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl Setup {
    pub async fn new() -> Setup {
        let hub_dir = tempfile::tempdir().unwrap();
        let wallet_dir = tempfile::tempdir().unwrap();
        let hub = HubProcess::start(hub_dir.path()).await;
        let acqp = Acqp::create(&hub).await;
        let mid = "M100".to_owned();
        let code = acqp.invite(&hub, &mid).await;
        let (wallet, clock) = wallet(wallet_dir.path(), &hub.url);
        wallet
            .sign_in_with_invitation(&code, PASSWORD)
            .await
            .expect("first sign-in with the invitation");
        Setup {
            hub,
            acqp,
            wallet,
            clock,
            mid,
            _dirs: (hub_dir, wallet_dir),
        }
    }

    /// The wallet's folder.
    pub fn wallet_dir(&self) -> &Path {
        self._dirs.1.path()
    }
}

/// The bearer token the wallet stored (for checks on the hub the wallet does not make).
pub fn stored_token(wallet_dir: &Path) -> String {
    let connection = rusqlite::Connection::open(linker_wallet::database_path(wallet_dir)).unwrap();
    connection
        .query_row("SELECT token FROM session WHERE id = 1", [], |row| {
            row.get(0)
        })
        .unwrap()
}

/// A tiny PNG (a real one, drawn by linker-scan).
pub fn photo() -> Vec<u8> {
    linker_scan::text_qr("receipt", &Default::default())
        .unwrap()
        .to_png()
        .unwrap()
}
