//! `linker bench growth`: does the hub stay as fast with a million exchanges in its store as
//! with a thousand, and how many bytes does each exchange cost on disk?
//!
//! The hub runs in this process on a data folder of its own (under `--dir`, deleted at the end).
//! Set-up through the hub's own HTTP APIs: a project, a few merchants with their default case
//! assignments, a console user (signed in, its session cookie kept), and a few real signed
//! `pay` + `inquiryPayment` pairs. Then, for each point of `--at`, the store is filled up to that
//! many exchanges and the hub measured:
//!
//! - **Filling** happens with the hub stopped, through the hub's store layer (`Store::open`,
//!   `db.exchanges().insert`, `db.payments().insert`, ...) in transactions of 5 000 pairs. Every
//!   filled pair is a copy of the last real pair the hub itself logged (its exchanges as read
//!   back from the log, its payment row, its payment code), with a new `paymentRequestId`,
//!   `paymentId` and payment code written into every column and body that names them: the same
//!   rows, columns, sizes and indexes real calls produce. One decided test run is stored per
//!   `--exchanges-per-run` exchanges, for a merchant and one of its assigned cases in turn (the
//!   Test Data page reads runs), after one for every merchant and case, so that the page shows
//!   the same table at every point and only the rows behind it grow.
//! - **Measuring** starts the hub again on the file, warms it up, then times one after the
//!   other (no concurrent load): `--samples` real signed pairs over HTTP (each `pay` with a
//!   payment code issued through the admin API just before, not timed), and as many GETs of the
//!   console's request log page and of its Test Data page with the signed-in session. Each
//!   figure is a client-side round trip; the report gives p50 and p99 and the ratio of each p99
//!   to the first point's, with the stored bytes per exchange (the database file after the hub
//!   closed it, WAL folded in, divided by the exchanges it holds).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use chrono::Utc;
use linker_hub::Store;
use linker_hub::store::exchanges::{CLAIMABLE_BODY_LIMIT, Exchange, ExchangeQuery};
use linker_hub::store::payments::{NewPaymentCode, Payment};
use linker_hub::store::runs::{NewRun, RunStatus};
use serde_json::{Value, json};

use super::{Client, INQUIRY, InProcessHub, PAY, connect, pay_body, percentile, round2, text};
use crate::Outcome;

/// The `paymentRequestId` of the set-up's real pairs (a distinctive text, replaced in copies).
const TEMPLATE_ID: &str = "growth-template-";
/// Real pairs sent during set-up (the last is the one copied).
const TEMPLATE_PAIRS: u32 = 5;
/// Pairs written per fill transaction.
const FILL_BATCH: u64 = 5_000;
/// Calls and GETs before timing, at each point.
const WARM_UP: u32 = 10;
/// Merchants of the benchmark's project (the Test Data page has a row per merchant).
const MERCHANTS: u32 = 5;
/// The console user's password.
const PASSWORD: &str = "growth benchmark";
/// The goal: every p99 within this ratio of the first point's.
const FLAT: f64 = 1.2;

/// Arguments of `linker bench growth`.
#[derive(Debug, clap::Args)]
pub struct GrowthBenchArgs {
    /// The numbers of stored exchanges to measure at, ascending; the store is filled up to the
    /// last.
    #[arg(long, value_delimiter = ',', default_values_t = [1_000u64, 100_000, 1_000_000])]
    at: Vec<u64>,
    /// Signed pay + inquiryPayment pairs, and GETs of each console page, timed at each point.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(10..=100_000))]
    samples: u32,
    /// One decided test run is stored per this many exchanges filled.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    exchanges_per_run: u64,
    /// The folder to put the data folder in (it reaches about 1 KB per exchange; deleted at
    /// the end). Default: the system's temporary folder.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs the benchmark and prints its figures.
pub fn run(args: &GrowthBenchArgs) -> Result<Outcome> {
    if cfg!(debug_assertions) {
        eprintln!("warning: this linker was built without optimizations; the figures mean little");
    }
    ensure!(
        args.at.windows(2).all(|w| w[0] < w[1]),
        "--at must be ascending: {:?}",
        args.at
    );
    let parent = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    let data = tempfile::tempdir_in(&parent)
        .with_context(|| format!("cannot create a data folder in {}", parent.display()))?;
    let clients = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("cannot start the clients' runtime")?;

    let hub = InProcessHub::start(
        data.path(),
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        None,
    )?;
    // Later starts listen on the same address, so the clients and the session keep it.
    let address = hub.address;
    let setup = clients.block_on(Setup::make(&hub.base, data.path()));
    stop_cleanly(hub);
    let setup = setup?;
    let mut filler = Filler::new(data.path(), &setup, args.exchanges_per_run)?;
    let mut logged = u64::from(TEMPLATE_PAIRS) * 2;

    let mut points = Vec::new();
    for &target in &args.at {
        let started = Instant::now();
        let filled = filler.fill(target.saturating_sub(logged))?;
        logged += filled;
        let fill_seconds = started.elapsed().as_secs_f64();
        eprintln!("{logged} exchanges stored ({filled} filled in {fill_seconds:.0} s); measuring");
        let hub = InProcessHub::start(data.path(), address, None)?;
        let measured = clients.block_on(measure(&setup, args.samples, target));
        stop_cleanly(hub);
        let measured = measured?;
        let bytes = std::fs::metadata(linker_hub::database_path(data.path()))
            .map(|m| m.len())
            .unwrap_or(0);
        points.push(json!({
            "exchanges": logged,
            "fillSeconds": round2(fill_seconds),
            "databaseBytes": bytes,
            "bytesPerExchange": round2(bytes as f64 / logged as f64),
            "signedUs": measured.signed.figures(),
            "requestLogUs": measured.request_log.figures(),
            "testDataUs": measured.test_data.figures(),
        }));
        logged += u64::from(args.samples + WARM_UP) * 2;
    }
    drop(clients);
    let report = report(args, points);
    super::print_report(&report, args.json, print_table)
}

/// The figures, with each p99 as a ratio to the first point's.
fn report(args: &GrowthBenchArgs, mut points: Vec<Value>) -> Value {
    let keys = ["signedUs", "requestLogUs", "testDataUs"];
    let first: Vec<f64> = keys
        .iter()
        .map(|k| {
            points
                .first()
                .and_then(|p| p[k]["p99"].as_f64())
                .unwrap_or(0.0)
        })
        .collect();
    let mut flat = true;
    for point in &mut points {
        for (key, base) in keys.iter().zip(&first) {
            let p99 = point[key]["p99"].as_f64().unwrap_or(0.0);
            let ratio = if *base > 0.0 { p99 / base } else { 0.0 };
            flat &= ratio <= FLAT;
            point[key]["p99Ratio"] = json!(round2(ratio));
        }
    }
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    json!({
        "optimized": !cfg!(debug_assertions),
        "samples": args.samples,
        "exchangesPerRun": args.exchanges_per_run,
        "loadAverage": load,
        "points": points,
        "goal": format!("every p99 within {FLAT}x of the first point's"),
        "flat": flat,
    })
}

fn print_table(report: &Value) {
    println!(
        "growth: {} samples a point, one run per {} exchanges; load average {}",
        report["samples"],
        report["exchangesPerRun"],
        report["loadAverage"].as_str().unwrap_or("?")
    );
    println!(
        "{:>10} {:>9} | {:>19} | {:>19} | {:>19}",
        "exchanges", "B/exch", "signed p50/p99 ms", "request log p50/p99", "Test Data p50/p99"
    );
    let ms = |v: &Value| v.as_f64().unwrap_or(0.0) / 1000.0;
    for point in report["points"].as_array().into_iter().flatten() {
        let cell = |key: &str| {
            let f = &point[key];
            format!(
                "{:.2}/{:.2} (x{:.2})",
                ms(&f["p50"]),
                ms(&f["p99"]),
                f["p99Ratio"].as_f64().unwrap_or(0.0)
            )
        };
        println!(
            "{:>10} {:>9.0} | {:>19} | {:>19} | {:>19}",
            point["exchanges"].as_u64().unwrap_or(0),
            point["bytesPerExchange"].as_f64().unwrap_or(0.0),
            cell("signedUs"),
            cell("requestLogUs"),
            cell("testDataUs")
        );
    }
    println!(
        "flat within 20 %: {}",
        if report["flat"] == json!(true) {
            "yes"
        } else {
            "no"
        }
    );
}

/// Stops the hub, waiting for it to close its store (which folds the WAL in); a hub that does
/// not stop cleanly is a warning, since the figures already taken stand.
fn stop_cleanly(hub: InProcessHub) {
    if let Err(error) = hub.stop(Duration::from_secs(60)) {
        eprintln!("warning: the hub did not stop cleanly: {error:#}");
    }
}

/// What the set-up made: the ACQP client, the console session, the project's merchants and
/// their assigned cases.
struct Setup {
    client: Arc<Client>,
    project_id: String,
    console: Console,
    assigned: Vec<(String, Vec<String>)>,
}

impl Setup {
    async fn make(base: &str, data: &Path) -> Result<Setup> {
        let client = connect(base, data).await?;
        let project_id = client
            .codes_path
            .trim_start_matches("/projects/")
            .trim_end_matches("/payment-codes")
            .to_owned();
        let mut assigned = Vec::new();
        for index in 0..MERCHANTS {
            let merchant = client
                .admin
                .send(
                    &format!("/projects/{project_id}/merchants"),
                    Some(json!({
                        "name": format!("Growth shop {index}"),
                        "mid": format!("GROWTH{index:03}"),
                        "email": format!("shop{index}@growth.example"),
                        "products": ["UPM"],
                    })),
                )
                .await
                .context("cannot invite a merchant")?;
            let id = text(&merchant["merchant"], "id")?;
            let assignment = admin_get(
                &client,
                &format!("/projects/{project_id}/merchants/{id}/assignment"),
            )
            .await?;
            let cases = assignment["caseIds"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect();
            assigned.push((id, cases));
        }
        let token = std::fs::read_to_string(linker_hub::admin_token_path(data))
            .context("cannot read the admin token")?;
        let console = Console::sign_up(base, &project_id, token.trim()).await?;
        for index in 0..TEMPLATE_PAIRS {
            signed_pair(&client, &format!("{TEMPLATE_ID}{index}")).await?;
        }
        Ok(Setup {
            client,
            project_id,
            console,
            assigned,
        })
    }
}

/// A GET of the admin API.
async fn admin_get(client: &Client, path: &str) -> Result<Value> {
    let admin = &client.admin;
    let answer = admin
        .http
        .get(format!("{}/admin/v1{path}", admin.base))
        .bearer_auth(&admin.token)
        .send()
        .await
        .with_context(|| format!("cannot reach the hub for {path}"))?;
    ensure!(
        answer.status().is_success(),
        "the hub refused {path} ({})",
        answer.status()
    );
    answer
        .json()
        .await
        .with_context(|| format!("the answer to {path} is not JSON"))
}

/// One pay (with a code issued just before, not timed) and one inquiry of it; returns both
/// round trips in microseconds.
async fn signed_pair(client: &Client, request_id: &str) -> Result<[u64; 2]> {
    let code = client.issue_code().await?;
    let (answer, pay_us) = client
        .call(PAY, pay_body(request_id, &code).to_string())
        .await
        .context("pay")?;
    ensure!(
        answer.pointer("/result/resultStatus") == Some(&json!("S")),
        "pay did not succeed: {answer}"
    );
    let payment_id = text(&answer, "paymentId")?;
    let (answer, inquiry_us) = client
        .call(INQUIRY, json!({ "paymentId": payment_id }).to_string())
        .await
        .context("inquiryPayment")?;
    ensure!(
        answer.pointer("/paymentResult/resultStatus") == Some(&json!("S")),
        "inquiryPayment did not find the payment paid: {answer}"
    );
    Ok([pay_us, inquiry_us])
}

/// A signed-in console session.
struct Console {
    http: reqwest::Client,
    base: String,
    cookie: String,
    request_log: String,
    test_data: String,
}

impl Console {
    /// Creates the first console user with the admin token (`/console/setup`), which signs it in.
    async fn sign_up(base: &str, project_id: &str, admin_token: &str) -> Result<Console> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .context("cannot build the HTTP client")?;
        let form = http
            .get(format!("{base}/console/setup"))
            .send()
            .await
            .context("cannot reach the console")?;
        let csrf = cookie(&form, "linker_csrf").context("the setup page set no CSRF cookie")?;
        let done = http
            .post(format!("{base}/console/setup"))
            .header("cookie", format!("linker_csrf={csrf}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&[
                ("csrf", csrf.as_str()),
                ("adminToken", admin_token),
                ("email", "growth@bench.example"),
                ("password", PASSWORD),
            ]))
            .send()
            .await
            .context("cannot create the console user")?;
        let session = cookie(&done, "linker_console").with_context(|| {
            format!(
                "the console did not sign the new user in ({})",
                done.status()
            )
        })?;
        Ok(Console {
            http,
            base: base.to_owned(),
            cookie: format!("linker_console={session}"),
            request_log: format!("/console/projects/{project_id}/requests"),
            test_data: format!("/console/projects/{project_id}/test-data"),
        })
    }

    /// GETs a page; returns its round trip in microseconds (answer read whole).
    async fn get(&self, path: &str) -> Result<u64> {
        let started = Instant::now();
        let answer = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .with_context(|| format!("cannot reach {path}"))?;
        let status = answer.status();
        let body = answer.text().await.context("cannot read the page")?;
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        ensure!(
            status == reqwest::StatusCode::OK,
            "{path} answered {status}: {body}"
        );
        Ok(micros)
    }
}

/// A form's fields, URL-encoded (every byte but ASCII letters and digits as `%XX`).
fn form_body(fields: &[(&str, &str)]) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    fields
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The value of a cookie the answer sets.
fn cookie(answer: &reqwest::Response, name: &str) -> Option<String> {
    answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(n, _)| n.trim() == name)
        .map(|(_, v)| v.trim().to_owned())
}

/// Round trips of one kind, in microseconds.
#[derive(Default)]
struct Times(Vec<u64>);

impl Times {
    fn figures(&self) -> Value {
        let mut sorted = self.0.clone();
        sorted.sort_unstable();
        json!({
            "count": sorted.len(),
            "p50": percentile(&sorted, 50.0),
            "p99": percentile(&sorted, 99.0),
            "max": sorted.last().copied().unwrap_or(0),
        })
    }
}

/// One point's round trips.
struct Measured {
    signed: Times,
    request_log: Times,
    test_data: Times,
}

/// Warms the hub up, then times `samples` signed pairs and as many GETs of each console page,
/// one after the other.
async fn measure(setup: &Setup, samples: u32, point: u64) -> Result<Measured> {
    let (client, console) = (&setup.client, &setup.console);
    let mut measured = Measured {
        signed: Times::default(),
        request_log: Times::default(),
        test_data: Times::default(),
    };
    for index in 0..WARM_UP + samples {
        let pair = signed_pair(client, &format!("growth-{point}-{index}")).await?;
        let log = console.get(&console.request_log).await?;
        let data = console.get(&console.test_data).await?;
        if index >= WARM_UP {
            measured.signed.0.extend(pair);
            measured.request_log.0.push(log);
            measured.test_data.0.push(data);
        }
    }
    Ok(measured)
}

/// Writes copies of the set-up's last real pair (and runs) through the store layer.
struct Filler {
    store_path: PathBuf,
    project_id: String,
    pay: Exchange,
    inquiry: Exchange,
    payment: Payment,
    payment_body: String,
    template_id: String,
    assigned: Vec<(String, Vec<String>)>,
    exchanges_per_run: u64,
    pairs: u64,
    runs: u64,
}

impl Filler {
    fn new(data: &Path, setup: &Setup, exchanges_per_run: u64) -> Result<Filler> {
        let store_path = linker_hub::database_path(data);
        let store = Store::open(&store_path).context("cannot open the hub's store")?;
        let project_id = setup.project_id.clone();
        let query = ExchangeQuery {
            limit: 2,
            ..ExchangeQuery::default()
        };
        let last = store
            .db(|db| db.exchanges().of_project(&project_id, &query))
            .context("cannot read the request log")?;
        let [inquiry, pay] = <[Exchange; 2]>::try_from(last)
            .map_err(|l| anyhow::anyhow!("expected the set-up's pay and inquiry, found {l:?}"))?;
        ensure!(
            pay.api == "pay" && inquiry.api == "inquiryPayment",
            "the log does not end with the set-up's pay and inquiry"
        );
        let payment_id = pay
            .payment_id
            .clone()
            .context("the logged pay names no payment")?;
        let payment = store
            .db(|db| db.payments().by_id(&project_id, &payment_id))?
            .context("the set-up's payment is not stored")?;
        let payment_body = store
            .db(|db| db.payments().request_body(&payment_id))?
            .unwrap_or_default();
        Ok(Filler {
            store_path,
            project_id,
            template_id: payment.payment_request_id.clone(),
            pay,
            inquiry,
            payment,
            payment_body,
            assigned: setup.assigned.clone(),
            exchanges_per_run,
            pairs: 0,
            runs: 0,
        })
    }

    /// Fills about `exchanges` more exchanges (whole pairs); returns how many it wrote.
    fn fill(&mut self, exchanges: u64) -> Result<u64> {
        let pairs = exchanges.div_ceil(2);
        if pairs == 0 {
            return Ok(0);
        }
        let store = Store::open(&self.store_path).context("cannot open the hub's store")?;
        if self.runs == 0 {
            // A decided run in every cell first, so the Test Data page shows the same table at
            // every point and only the rows behind it grow.
            let cases = self
                .assigned
                .iter()
                .map(|(_, c)| c.len())
                .max()
                .unwrap_or(0);
            let cells = self.assigned.len() * cases;
            store
                .transaction(|db| {
                    (0..cells).try_for_each(|_| self.one_run(db, Utc::now()))?;
                    anyhow::Ok(())
                })
                .context("cannot fill the Test Data table")?;
        }
        let mut left = pairs;
        while left > 0 {
            let batch = left.min(FILL_BATCH);
            store
                .transaction(|db| {
                    (0..batch).try_for_each(|_| self.one_pair(db))?;
                    anyhow::Ok(())
                })
                .context("cannot fill the store")?;
            left -= batch;
        }
        drop(store);
        Ok(pairs * 2)
    }

    fn one_pair(&mut self, db: linker_hub::store::Db<'_>) -> Result<()> {
        self.pairs += 1;
        let n = self.pairs;
        let now = Utc::now();
        let template_payment = &self.payment.payment_id;
        let template_code = self.payment.code_value.clone().unwrap_or_default();
        let request_id = format!("growth-fill-{n}");
        let payment_id = format!(
            "{}9{n:015}",
            template_payment.get(..8).unwrap_or("20260101")
        );
        let code = format!("{}7{n:015}", template_code.get(..8).unwrap_or("28199989"));
        let swap = |text: &str| {
            text.replace(&self.template_id, &request_id)
                .replace(template_payment.as_str(), &payment_id)
                .replace(template_code.as_str(), &code)
        };
        let payment = Payment {
            payment_id: payment_id.clone(),
            payment_request_id: request_id.clone(),
            code_value: Some(code.clone()),
            created_at: now,
            paid_at: self.payment.paid_at.map(|_| now),
            ..self.payment.clone()
        };
        db.payments().insert_code(&NewPaymentCode {
            code: &code,
            project_id: &self.project_id,
            run_id: None,
            customer_id: payment.customer_id.as_deref().unwrap_or_default(),
            issued_at: now,
            expires_at: now + chrono::Duration::seconds(60),
        })?;
        db.payments().use_code(&code, now, &payment_id)?;
        db.payments().insert(&payment, &swap(&self.payment_body))?;
        for template in [&self.pay, &self.inquiry] {
            let exchange = Exchange {
                at: now,
                request_body: swap(&template.request_body),
                response_body: swap(&template.response_body),
                payment_id: Some(payment_id.clone()),
                ..template.clone()
            };
            db.exchanges().insert(&exchange, CLAIMABLE_BODY_LIMIT)?;
        }
        if (n * 2) % self.exchanges_per_run < 2 {
            self.one_run(db, now)?;
        }
        Ok(())
    }

    /// One decided run, for the next merchant and the next of its cases.
    fn one_run(&mut self, db: linker_hub::store::Db<'_>, now: chrono::DateTime<Utc>) -> Result<()> {
        self.runs += 1;
        let Some((merchant, cases)) = self
            .assigned
            .get((self.runs % self.assigned.len() as u64) as usize)
        else {
            bail!("the benchmark's project has no merchants");
        };
        let Some(case) =
            cases.get((self.runs / self.assigned.len() as u64) as usize % cases.len().max(1))
        else {
            return Ok(());
        };
        let id = format!("run_growth{:010}", self.runs);
        db.runs().insert(&NewRun {
            id: &id,
            project_id: &self.project_id,
            merchant_id: merchant,
            case_id: case,
            started_at: now,
            slow_answer_secs: None,
            wallet: "TEST_WALLET",
        })?;
        let status = if self.runs.is_multiple_of(4) {
            RunStatus::Failed
        } else {
            RunStatus::Passed
        };
        db.runs().decide(&id, status, now, "{}")?;
        Ok(())
    }
}
