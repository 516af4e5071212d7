//! A real hub on a loopback port, a project made through its admin API, and reference acquirers
//! registered in it; helpers to read the hub's request log and to wait without fixed sleeps.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use linker_acquirer::{Acquirer, AcquirerConfig, Fault, HubAdmin, RunningAcquirer, Timing};
use linker_aplus::{Amount, KeyPair};
use linker_hub::{ServeConfig, Server};
use linker_pos_driver::{ChargeRequest, DisplayAnswer, DisplayState, PosDriverClient};
use serde_json::{Value, json};
use tempfile::TempDir;

pub const ADMIN: &str = "acquirer-tests-admin-token";

/// Short timings, so tests never wait for the spec's real-time ones.
pub fn timing() -> Timing {
    Timing {
        poll_interval: Duration::from_millis(400),
        fast_poll_interval: Duration::from_millis(50),
        poll_for: Duration::from_millis(1600),
        request_timeout: Duration::from_secs(3),
        retry_interval: Duration::from_millis(300),
        retry_attempts: 10,
        order_validity: Duration::from_secs(3),
        private_code_validity: Duration::from_secs(20),
    }
}

/// A hub with one project, and at most one acquirer registered in it.
pub struct World {
    pub hub_url: String,
    pub project_id: String,
    /// The hub itself, for the customer's side of a payment (paying a cashier order).
    pub hub: std::sync::Arc<linker_hub::Hub>,
    http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _hub_dir: TempDir,
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A registered acquirer and a POS driver client for it.
pub struct Pos {
    pub acquirer: RunningAcquirer,
    pub driver: PosDriverClient,
    pub dir: TempDir,
}

impl World {
    pub async fn new() -> World {
        World::start(false).await
    }

    /// A hub whose clock tests move forward (`hub.advance_clock`); acquirers share it.
    pub async fn with_test_clock() -> World {
        World::start(true).await
    }

    async fn start(test_clock: bool) -> World {
        let hub_dir = tempfile::tempdir().unwrap();
        let server = Server::bind(&ServeConfig {
            data_dir: hub_dir.path().to_owned(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            test_clock,
            tls: None,
        })
        .await
        .unwrap();
        server.hub.set_admin_token(ADMIN).unwrap();
        let hub = std::sync::Arc::clone(&server.hub);
        let hub_url = format!("http://{}", server.address);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.run(async move {
            let _ = stopped.await;
        }));
        let mut world = World {
            hub_url,
            project_id: String::new(),
            hub,
            http: reqwest::Client::new(),
            stop: Some(stop),
            _hub_dir: hub_dir,
        };
        // A project needs an ACQP key to exist; each acquirer a test starts registers its own
        // (kept in its data folder) in place of this one.
        let placeholder = KeyPair::generate().unwrap();
        let (status, project) = world
            .admin(
                "POST",
                "/projects",
                Some(json!({
                    "name": "Reference acquirer tests",
                    "clientId": "REF_ACQ_TEST",
                    "acqpPublicKey": placeholder.public.to_base64(),
                    "notifyRetrySchedule": [0, 1, 1, 2, 5],
                })),
            )
            .await;
        assert_eq!(status, 201, "project creation: {project}");
        world.project_id = project["id"].as_str().unwrap().to_owned();
        world
    }

    /// An admin API call; status and JSON body.
    pub async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call(method, &format!("/admin/v1{path}"), Some(ADMIN), body)
            .await
    }

    /// Any hub API call with an optional bearer token.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, format!("{}{path}", self.hub_url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Starts an acquirer with these faults and registers it in the project, as
    /// `linker acquirer serve` does.
    pub async fn pos(&self, faults: &[Fault]) -> Pos {
        let dir = tempfile::tempdir().unwrap();
        self.pos_in(dir, faults).await
    }

    /// Like [`World::pos`] with a given data folder (to restart on the same data).
    pub async fn pos_in(&self, dir: TempDir, faults: &[Fault]) -> Pos {
        self.pos_with(dir, faults, timing()).await
    }

    /// Like [`World::pos_in`] with other timings.
    pub async fn pos_with(&self, dir: TempDir, faults: &[Fault], timing: Timing) -> Pos {
        let admin = HubAdmin::new(&self.hub_url, ADMIN);
        let project = admin.project(&self.project_id).await.unwrap();
        let mut config = AcquirerConfig::from_project(&project, dir.path()).unwrap();
        config.timing = timing;
        config.faults = faults.iter().copied().collect();
        // The acquirer's "now" is the hub's, as in the demo, so a test clock moves both.
        config.clock = self.hub.clock();
        let acquirer = Acquirer::start(config).await.unwrap();
        let registered = admin.register(&self.project_id, &acquirer).await.unwrap();
        assert_eq!(
            registered.notify_url.as_deref(),
            Some(acquirer.notify_url().as_str()),
            "registered"
        );
        let driver = PosDriverClient::new(acquirer.pos_driver_url(), None).unwrap();
        Pos {
            acquirer,
            driver,
            dir,
        }
    }

    /// The request log for one API, oldest first.
    pub async fn exchanges(&self, api: &str) -> Vec<Value> {
        let (status, list) = self
            .admin(
                "GET",
                &format!(
                    "/projects/{}/exchanges?api={api}&limit=1000",
                    self.project_id
                ),
                None,
            )
            .await;
        assert_eq!(status, 200, "{list}");
        let mut list = list.as_array().cloned().unwrap_or_default();
        list.reverse();
        list
    }

    /// The request log for one API and one paymentRequestId, oldest first.
    pub async fn exchanges_for(&self, api: &str, payment_request_id: &str) -> Vec<Value> {
        self.exchanges(api)
            .await
            .into_iter()
            .filter(|e| body(e)["paymentRequestId"] == payment_request_id)
            .collect()
    }

    /// Waits (at most `timeout`) until the hub logged at least `count` `api` calls for the
    /// payment request `payment_request_id`; `what` names the wait when it times out.
    pub async fn wait_for_exchanges(
        &self,
        what: &str,
        api: &str,
        payment_request_id: &str,
        count: usize,
        timeout: Duration,
    ) {
        eventually(what, timeout, || async {
            let n = self.exchanges_for(api, payment_request_id).await.len();
            if n >= count {
                Ok(())
            } else {
                Err(format!("{n} {api} calls"))
            }
        })
        .await;
    }

    /// Callback deliveries, oldest first.
    pub async fn deliveries(&self) -> Vec<Value> {
        let (status, list) = self
            .admin(
                "GET",
                &format!("/projects/{}/deliveries", self.project_id),
                None,
            )
            .await;
        assert_eq!(status, 200, "{list}");
        let mut list = list.as_array().cloned().unwrap_or_default();
        list.reverse();
        list
    }

    /// A payment code as a wallet of this project shows it (no run).
    pub async fn payment_code(&self) -> String {
        let (status, code) = self
            .admin(
                "POST",
                &format!("/projects/{}/payment-codes", self.project_id),
                None,
            )
            .await;
        assert_eq!(status, 201, "{code}");
        code["code"].as_str().unwrap().to_owned()
    }

    /// Forces the hub's answer to an API (iMock); returns the forced result's id.
    pub async fn force(&self, api: &str, code: &str) -> String {
        let (status, forced) = self
            .admin(
                "POST",
                &format!("/projects/{}/forced-results", self.project_id),
                Some(json!({"api": api, "resultCode": code, "minutes": 5})),
            )
            .await;
        assert_eq!(status, 201, "{forced}");
        forced["id"].as_str().unwrap().to_owned()
    }

    /// Ends a forced result.
    pub async fn unforce(&self, id: &str) {
        let (status, body) = self
            .admin(
                "DELETE",
                &format!("/projects/{}/forced-results/{id}", self.project_id),
                None,
            )
            .await;
        assert!(status < 300, "{status} {body}");
    }

    /// The customer pays a cashier order on its Alipay+ page (`<hub>/checkout/<paymentId>`):
    /// the wallet's side, straight on the hub, which then notifies the acquirer.
    pub fn customer_pays(&self, payment_url: &str) {
        let payment_id = payment_url.rsplit('/').next().unwrap();
        let project = self.hub.project(&self.project_id).unwrap();
        self.hub
            .settle_payment(
                &project,
                payment_id,
                linker_hub::domain::payments::Settlement::Paid {
                    customer_id: "2188000000000001".into(),
                },
            )
            .unwrap();
    }

    /// A signed-in merchant of the project (the wallet side of a run).
    pub async fn wallet(&self, mid: &str) -> Wallet {
        let (status, invited) = self
            .admin(
                "POST",
                &format!("/projects/{}/merchants", self.project_id),
                Some(
                    json!({"name": "Cafe", "mid": mid, "email": format!("{mid}@shop.example"),
                    "products": ["UPM", "ORDER_CODE", "PRIVATE_ORDER_CODE", "ENTRY_CODE"]}),
                ),
            )
            .await;
        assert_eq!(status, 201, "{invited}");
        let code = invited["invitation"]["code"].as_str().unwrap();
        let (status, session) = self
            .call(
                "POST",
                "/wallet/v1/sign-in/invitation",
                None,
                Some(json!({"invitationCode": code, "password": "long enough"})),
            )
            .await;
        assert_eq!(status, 200, "{session}");
        Wallet {
            token: session["token"].as_str().unwrap().to_owned(),
        }
    }
}

/// The wallet's side of runs.
pub struct Wallet {
    pub token: String,
}

impl Wallet {
    pub async fn send(
        &self,
        world: &World,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        world
            .call(
                method,
                &format!("/wallet/v1{path}"),
                Some(&self.token),
                body,
            )
            .await
    }

    /// The customer authorizes an Auto Debit authorization in the wallet (the hub then sends
    /// authNotify AUTHCODE_CREATED); the hub's answer (`id`, `authCode`, `notified`).
    pub async fn grant(&self, world: &World, auth_url: &str) -> Value {
        let (status, granted) = self
            .send(
                world,
                "POST",
                "/authorizations",
                Some(json!({"authUrl": auth_url})),
            )
            .await;
        assert_eq!(status, 200, "{granted}");
        granted
    }

    /// The customer revokes an authorization in the wallet (the hub sends TOKEN_CANCELED).
    pub async fn revoke(&self, world: &World, authorization: &str) -> Value {
        let (status, revoked) = self
            .send(
                world,
                "POST",
                &format!("/authorizations/{authorization}/revoke"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{revoked}");
        revoked
    }

    /// Starts a run of a case.
    pub async fn start(&self, world: &World, case: &str) -> String {
        let (status, run) = self
            .send(world, "POST", "/runs", Some(json!({"caseId": case})))
            .await;
        assert_eq!(status, 201, "{run}");
        run["id"].as_str().unwrap().to_owned()
    }

    /// The run's payment code.
    pub async fn code(&self, world: &World, run: &str) -> String {
        let (status, code) = self
            .send(world, "POST", &format!("/runs/{run}/payment-code"), None)
            .await;
        assert_eq!(status, 201, "{code}");
        code["code"].as_str().unwrap().to_owned()
    }

    /// The run as it stands.
    pub async fn run(&self, world: &World, run: &str) -> Value {
        let (status, view) = self.send(world, "GET", &format!("/runs/{run}"), None).await;
        assert_eq!(status, 200, "{view}");
        view
    }

    /// The outcome of one named check in a run (`passed`, `failed`, `pending`, ...).
    pub async fn check(&self, world: &World, run: &str, check: &str) -> (String, String) {
        let view = self.run(world, run).await;
        let found = view["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["check"] == check)
            .cloned()
            .unwrap_or_else(|| panic!("no check {check} in {view}"));
        (
            found["outcome"].as_str().unwrap_or_default().to_owned(),
            found["reason"].as_str().unwrap_or_default().to_owned(),
        )
    }
}

/// The request body of a logged exchange, parsed.
pub fn body(exchange: &Value) -> Value {
    serde_json::from_str(exchange["requestBody"].as_str().unwrap_or("null")).unwrap_or(Value::Null)
}

/// The response body of a logged exchange, parsed.
pub fn response(exchange: &Value) -> Value {
    serde_json::from_str(exchange["responseBody"].as_str().unwrap_or("null")).unwrap_or(Value::Null)
}

/// Retries `probe` every 50 ms until it gives a value, for at most `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let start = tokio::time::Instant::now();
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(last) if start.elapsed() >= timeout => {
                panic!("{what}: not within {timeout:?}; last seen: {last}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Waits until `display` shows `state` for the payment.
pub async fn wait_display(
    pos: &Pos,
    id: &str,
    state: DisplayState,
    timeout: Duration,
) -> DisplayAnswer {
    eventually(
        &format!("display of {id} shows {}", state.as_str()),
        timeout,
        || async {
            let shown = pos.driver.display(id).await.map_err(|e| e.to_string())?;
            if shown.state == state {
                Ok(shown)
            } else {
                Err(format!("{shown:?}"))
            }
        },
    )
    .await
}

pub fn hkd(value: &str) -> Amount {
    Amount::parse("HKD", value).unwrap()
}

/// A charge request for the driver.
pub fn charge(code: &str, value: &str) -> ChargeRequest {
    ChargeRequest {
        run_id: "run_test".into(),
        case_id: "UPM-01".into(),
        amount: hkd(value),
        payment_code: code.into(),
    }
}

/// The paymentRequestId the POS used for a payment.
pub fn request_id(pos: &Pos, pos_payment_id: &str) -> String {
    pos.acquirer
        .payment(pos_payment_id)
        .unwrap()
        .unwrap()
        .payment_request_id
}
