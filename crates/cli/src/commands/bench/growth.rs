//! `linker bench growth`: does the hub stay as fast with a million exchanges in its store as
//! with a thousand, and how many bytes does each exchange cost on disk?
//!
//! The hub runs in this process on a data folder of its own (under `--dir`, deleted at the end).
//! Set-up through the hub's own HTTP APIs: a project, a few merchants with their default case
//! assignments, a console user (signed in, its session cookie kept), and a few real signed
//! `pay` + `inquiryPayment` pairs. Then the store is filled up to each point of `--at` in turn,
//! and the hub measured at each:
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
//!   The database file is copied aside at each point (a snapshot).
//! - **Measuring** happens in `--rounds` rounds; each round measures every point in turn
//!   (ascending, then descending in the next round), each on a fresh copy of its snapshot
//!   (synced, no WAL): the same conditions at every point, and load from elsewhere on the
//!   machine, which changes over time, falls on every point alike. For a point, the hub starts
//!   on the copy, is warmed up, then timed one request after the other (no concurrent load):
//!   `--samples` real signed pairs over HTTP (each `pay` with a payment code issued through the
//!   admin API just before, not timed), each followed by a GET of the console's request log page
//!   and one of its Test Data page with the signed-in session. Each figure is a client-side
//!   round trip. The report gives, per point and kind, p50 and p99 over all its rounds'
//!   samples and that p99's ratio to the first point's, each round's p99 and their median, min
//!   and max, with the stored bytes per exchange (the snapshot's size over the exchanges it
//!   holds). The verdict: flat when, for each kind, the largest p99 is at most 1.2 times the
//!   smallest. Many short rounds (the default: 20 of 300) spread the machine's changing load
//!   evenly over the points, so that the p99 over all of a point's samples compares like with
//!   like; a round's own p99 (the third slowest of 300) is only reported.
//! - **The tail's circumstances**: around each request the benchmark reads the kernel's
//!   scheduling figures of its own threads (Linux `/proc/self/task/*/schedstat`; for a signed
//!   call, around its pair, the code's issuing included): how long they
//!   waited, ready to run, for a CPU (another process, or the client and the hub sharing the
//!   cores) and how much CPU the hub's WAL checkpointer used. Of the requests slower than the
//!   p99, the report counts those that waited for a CPU a quarter of their time or more, and
//!   those during which the checkpointer ran.
//! - **The work per request**: from the same figures, the CPU time the hub's threads (all but
//!   the clients' and the checkpointer's) used per request, its median per point and kind
//!   (`hubCpuP50`; for a signed call, its pair's, code included), and the largest over the
//!   smallest of a kind across the points (`hubCpuSpread`). Unlike a p99 round trip, it does not
//!   move with what else the machine runs: it shows whether the hub does more work as its store
//!   grows.

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
const WARM_UP: u32 = 50;
/// Merchants of the benchmark's project (the Test Data page has a row per merchant).
const MERCHANTS: u32 = 5;
/// The console user's password.
const PASSWORD: &str = "growth benchmark";
/// The name of the client runtime's threads (the hub's CPU is every other thread's but the
/// main one's, which drives the clients too); under the 15 bytes `comm` keeps.
const CLIENT_THREAD: &str = "bench-client";
/// The goal: every p99 within this ratio of the first point's.
const FLAT: f64 = 1.2;

/// Arguments of `linker bench growth`.
#[derive(Debug, clap::Args)]
pub struct GrowthBenchArgs {
    /// The numbers of stored exchanges to measure at, ascending; the store is filled up to the
    /// last.
    #[arg(long, value_delimiter = ',', default_values_t = [1_000u64, 100_000, 1_000_000])]
    at: Vec<u64>,
    /// Signed pay + inquiryPayment pairs, and GETs of each console page, timed at each point
    /// in each round.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(10..=100_000))]
    samples: u32,
    /// Measuring rounds: each round times every point (on a fresh copy of its snapshot).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100))]
    rounds: u32,
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
    let work = tempfile::tempdir_in(&parent)
        .with_context(|| format!("cannot create a data folder in {}", parent.display()))?;
    let data = work.path().join("hub");
    std::fs::create_dir(&data).context("cannot create the hub's data folder")?;
    let clients = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(CLIENT_THREAD)
        .enable_all()
        .build()
        .context("cannot start the clients' runtime")?;

    let hub = InProcessHub::start(&data, std::net::SocketAddr::from(([127, 0, 0, 1], 0)), None)?;
    // Later starts listen on the same address, so the clients and the session keep it.
    let address = hub.address;
    let setup = clients.block_on(Setup::make(&hub.base, &data));
    stop_cleanly(hub);
    let setup = setup?;
    let points = fill_points(args, &setup, &data, work.path())?;

    let mut measured: Vec<Vec<Measured>> = points.iter().map(|_| Vec::new()).collect();
    for round in 0..args.rounds {
        // Every round measures every point, in turn (ascending, then descending), each on a
        // fresh copy of its snapshot: the same conditions at each point, and a machine whose
        // load changes over time changes every point's figures alike.
        let mut order: Vec<usize> = (0..points.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for index in order {
            let point = &points[index];
            restore(&point.snapshot, &data)?;
            let hub = InProcessHub::start(&data, address, None)?;
            let label = format!("{}-{round}", point.exchanges);
            let result = clients.block_on(measure(&setup, args.samples, &label));
            stop_cleanly(hub);
            let result = result?;
            eprintln!(
                "round {}/{}: {} exchanges measured",
                round + 1,
                args.rounds,
                point.exchanges
            );
            measured[index].push(result);
        }
    }
    drop(clients);
    let report = report(args, &points, &measured);
    super::print_report(&report, args.json, print_table)
}

/// A point of `--at`: the store filled to it, kept as a snapshot of the database file.
struct Point {
    exchanges: u64,
    fill_seconds: f64,
    database_bytes: u64,
    snapshot: PathBuf,
}

/// Fills the store up to each point in turn (the hub stopped) and snapshots the database file
/// at each, in `work`.
fn fill_points(
    args: &GrowthBenchArgs,
    setup: &Setup,
    data: &Path,
    work: &Path,
) -> Result<Vec<Point>> {
    let mut filler = Filler::new(data, setup, args.exchanges_per_run)?;
    let mut logged = u64::from(TEMPLATE_PAIRS) * 2;
    let mut points = Vec::new();
    for &target in &args.at {
        let started = Instant::now();
        let filled = filler.fill(target.saturating_sub(logged))?;
        logged += filled;
        let fill_seconds = started.elapsed().as_secs_f64();
        let snapshot = work.join(format!("at-{target}.sqlite"));
        let database = linker_hub::database_path(data);
        let database_bytes = std::fs::copy(&database, &snapshot)
            .with_context(|| format!("cannot copy {}", database.display()))?;
        eprintln!("{logged} exchanges stored ({filled} filled in {fill_seconds:.0} s)");
        points.push(Point {
            exchanges: logged,
            fill_seconds,
            database_bytes,
            snapshot,
        });
    }
    Ok(points)
}

/// Puts a snapshot in place as the hub's database file, synced to the disk (so the kernel is
/// not still writing it back while the hub is measured), with no WAL beside it.
fn restore(snapshot: &Path, data: &Path) -> Result<()> {
    let database = linker_hub::database_path(data);
    for suffix in ["-wal", "-shm"] {
        let mut side = database.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    std::fs::copy(snapshot, &database)
        .with_context(|| format!("cannot copy {} into place", snapshot.display()))?;
    std::fs::File::open(&database)
        .and_then(|file| file.sync_all())
        .with_context(|| format!("cannot sync {}", database.display()))?;
    Ok(())
}

/// The three kinds of request timed, with their report keys.
const KINDS: [&str; 3] = ["signedUs", "requestLogUs", "testDataUs"];

/// The figures: per point and kind, p50 and p99 over all rounds and the p99's ratio to the
/// first point's, each round's p99 and their median; the tail's circumstances; the verdict.
fn report(args: &GrowthBenchArgs, points: &[Point], measured: &[Vec<Measured>]) -> Value {
    let mut rows = Vec::new();
    let mut p99s: [Vec<f64>; 3] = Default::default();
    let mut cpu: [Vec<f64>; 3] = Default::default();
    for (point, rounds) in points.iter().zip(measured) {
        let mut row = json!({
            "exchanges": point.exchanges,
            "fillSeconds": round2(point.fill_seconds),
            "databaseBytes": point.database_bytes,
            "bytesPerExchange": round2(point.database_bytes as f64 / point.exchanges as f64),
        });
        for (kind, key) in KINDS.iter().enumerate() {
            let times: Vec<&Times> = rounds.iter().map(|m| m.kind(kind)).collect();
            let mut figures = Times::figures(&times);
            let p99 = figures["p99"].as_f64().unwrap_or(0.0);
            let first = p99s[kind].first().copied().unwrap_or(p99);
            p99s[kind].push(p99);
            let ratio = if first > 0.0 { p99 / first } else { 0.0 };
            figures["p99Ratio"] = json!(round2(ratio));
            cpu[kind].push(figures["hubCpuP50"].as_f64().unwrap_or(0.0));
            row[*key] = figures;
        }
        rows.push(row);
    }
    let spread = worst_spread(&p99s);
    let cpu_spread = worst_spread(&cpu);
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    json!({
        "optimized": !cfg!(debug_assertions),
        "samples": args.samples,
        "rounds": args.rounds,
        "exchangesPerRun": args.exchanges_per_run,
        "loadAverage": load,
        "points": rows,
        "goal": format!(
            "for each kind, the largest p99 (over all rounds' samples) at most {FLAT}x the smallest"
        ),
        "worstSpread": round2(spread),
        "flat": spread <= FLAT,
        "hubCpuSpread": round2(cpu_spread),
    })
}

/// The largest spread over kinds, a kind's spread being its largest figure over its smallest,
/// across the points.
fn worst_spread(kinds: &[Vec<f64>]) -> f64 {
    kinds
        .iter()
        .map(|values| {
            let high = values.iter().copied().fold(0.0, f64::max);
            let low = values.iter().copied().fold(f64::INFINITY, f64::min);
            if low > 0.0 && low.is_finite() {
                high / low
            } else {
                0.0
            }
        })
        .fold(0.0, f64::max)
}

fn print_table(report: &Value) {
    println!(
        "growth: {} rounds of {} samples a point, one run per {} exchanges; load average {}",
        report["rounds"],
        report["samples"],
        report["exchangesPerRun"],
        report["loadAverage"].as_str().unwrap_or("?")
    );
    println!(
        "{:>10} {:>6} | {:>27} | {:>27} | {:>27}",
        "exchanges",
        "B/exch",
        "signed p50, p99 [min-max]",
        "request log p50, p99",
        "Test Data p50, p99"
    );
    let ms = |v: &Value| v.as_f64().unwrap_or(0.0) / 1000.0;
    for point in report["points"].as_array().into_iter().flatten() {
        let cell = |key: &str| {
            let f = &point[key];
            format!(
                "{:.2}, {:.2} [{:.2}-{:.2}] x{:.2}",
                ms(&f["p50"]),
                ms(&f["p99"]),
                ms(&f["p99Min"]),
                ms(&f["p99Max"]),
                f["p99Ratio"].as_f64().unwrap_or(0.0)
            )
        };
        println!(
            "{:>10} {:>6.0} | {:>27} | {:>27} | {:>27}",
            point["exchanges"].as_u64().unwrap_or(0),
            point["bytesPerExchange"].as_f64().unwrap_or(0.0),
            cell("signedUs"),
            cell("requestLogUs"),
            cell("testDataUs")
        );
    }
    println!(
        "(milliseconds; p99 over all rounds' samples, [min-max of each round's p99], x its \
         ratio to the first point's)"
    );
    for point in report["points"].as_array().into_iter().flatten() {
        let tail = |key: &str| {
            let t = &point[key]["tail"];
            format!(
                "{} slow: {} waited for a CPU, {} met a checkpoint",
                t["count"], t["waitedForCpu"], t["duringCheckpoint"]
            )
        };
        println!(
            "tail at {:>8}: signed {}; request log {}; Test Data {}",
            point["exchanges"].as_u64().unwrap_or(0),
            tail("signedUs"),
            tail("requestLogUs"),
            tail("testDataUs")
        );
    }
    for point in report["points"].as_array().into_iter().flatten() {
        let cpu = |key: &str| point[key]["hubCpuP50"].as_u64().unwrap_or(0);
        println!(
            "hub CPU at {:>8} (median, us): signed pair {}; request log {}; Test Data {}",
            point["exchanges"].as_u64().unwrap_or(0),
            cpu("signedUs"),
            cpu("requestLogUs"),
            cpu("testDataUs")
        );
    }
    println!(
        "hub CPU per request, largest over smallest median of a kind: x{:.2}",
        report["hubCpuSpread"].as_f64().unwrap_or(0.0)
    );
    println!(
        "flat within 20 %: {} (largest over smallest p99 of a kind: x{:.2})",
        if report["flat"] == json!(true) {
            "yes"
        } else {
            "no"
        },
        report["worstSpread"].as_f64().unwrap_or(0.0)
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

/// One timed request: its round trip and what happened in this process meanwhile.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// The round trip, in microseconds.
    micros: u64,
    /// How long this process's threads (the hub's and the client's) were ready to run but
    /// waited for a CPU (the kernel's run-queue delay, summed over threads), in microseconds.
    waited_us: u64,
    /// The CPU time the hub's WAL checkpointer thread used, in microseconds.
    checkpoint_us: u64,
    /// The CPU time the hub's other threads used (its work for the request), in microseconds.
    hub_cpu_us: u64,
}

/// Round trips of one kind in one round.
#[derive(Default)]
struct Times(Vec<Sample>);

impl Times {
    /// Pooled p50 and p99 over `rounds`, each round's p99, their median, min and max, and the
    /// circumstances of the pooled samples slower than the pooled p99.
    fn figures(rounds: &[&Times]) -> Value {
        let mut pooled: Vec<Sample> = rounds.iter().flat_map(|t| t.0.iter().copied()).collect();
        pooled.sort_unstable_by_key(|s| s.micros);
        let micros: Vec<u64> = pooled.iter().map(|s| s.micros).collect();
        let p99 = percentile(&micros, 99.0);
        let wall = rounds_p99(rounds);
        let slow: Vec<&Sample> = pooled.iter().filter(|s| s.micros > p99).collect();
        let waited = slow.iter().filter(|s| s.waited_us * 4 >= s.micros).count();
        let checkpoint = slow.iter().filter(|s| s.checkpoint_us > 0).count();
        let all_checkpoint = pooled.iter().filter(|s| s.checkpoint_us > 0).count();
        let mut cpu: Vec<u64> = pooled.iter().map(|s| s.hub_cpu_us).collect();
        cpu.sort_unstable();
        json!({
            "count": pooled.len(),
            "hubCpuP50": percentile(&cpu, 50.0),
            "p50": percentile(&micros, 50.0),
            "p99": p99,
            "max": micros.last().copied().unwrap_or(0),
            "p99Rounds": wall.rounds,
            "p99Median": wall.median,
            "p99Min": wall.min,
            "p99Max": wall.max,
            "tail": {
                "count": slow.len(),
                "waitedForCpu": waited,
                "duringCheckpoint": checkpoint,
                "allDuringCheckpoint": all_checkpoint,
                "slowest": slow.iter().rev().take(5).map(|s| json!({
                    "us": s.micros, "waitedUs": s.waited_us, "checkpointUs": s.checkpoint_us,
                })).collect::<Vec<_>>(),
            },
        })
    }
}

/// Each round's p99 round trip, and their median, min and max.
struct RoundsP99 {
    rounds: Vec<u64>,
    median: f64,
    min: u64,
    max: u64,
}

fn rounds_p99(rounds: &[&Times]) -> RoundsP99 {
    let in_order: Vec<u64> = rounds
        .iter()
        .map(|t| {
            let mut sorted: Vec<u64> = t.0.iter().map(|s| s.micros).collect();
            sorted.sort_unstable();
            percentile(&sorted, 99.0)
        })
        .collect();
    let mut sorted = in_order.clone();
    sorted.sort_unstable();
    let median = match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2] as f64,
        n => (sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0,
    };
    RoundsP99 {
        rounds: in_order,
        median,
        min: sorted.first().copied().unwrap_or(0),
        max: sorted.last().copied().unwrap_or(0),
    }
}

/// One point's round trips in one round.
#[derive(Default)]
struct Measured {
    signed: Times,
    request_log: Times,
    test_data: Times,
}

impl Measured {
    /// The kind of [`KINDS`] at `index`.
    fn kind(&self, index: usize) -> &Times {
        match index {
            0 => &self.signed,
            1 => &self.request_log,
            _ => &self.test_data,
        }
    }
}

/// Warms the hub up, then times `samples` signed pairs and as many GETs of each console page,
/// interleaved, one after the other.
async fn measure(setup: &Setup, samples: u32, label: &str) -> Result<Measured> {
    let (client, console) = (&setup.client, &setup.console);
    let mut measured = Measured::default();
    let mut threads = Threads::default();
    for index in 0..WARM_UP + samples {
        let before = threads.read();
        let pair = signed_pair(client, &format!("growth-{label}-{index}")).await?;
        let between = threads.read();
        let log = console.get(&console.request_log).await?;
        let after_log = threads.read();
        let data = console.get(&console.test_data).await?;
        let after = threads.read();
        if index >= WARM_UP {
            let sample = |micros, from: Sched, to: Sched| Sample {
                micros,
                waited_us: to.waited_ns.saturating_sub(from.waited_ns) / 1000,
                checkpoint_us: to.checkpoint_ns.saturating_sub(from.checkpoint_ns) / 1000,
                hub_cpu_us: to.hub_cpu_ns.saturating_sub(from.hub_cpu_ns) / 1000,
            };
            for micros in pair {
                measured.signed.0.push(sample(micros, before, between));
            }
            measured.request_log.0.push(sample(log, between, after_log));
            measured.test_data.0.push(sample(data, after_log, after));
        }
    }
    Ok(measured)
}

/// Scheduling totals of this process's threads at one moment.
#[derive(Debug, Default, Clone, Copy)]
struct Sched {
    /// Time spent ready to run but waiting for a CPU, summed over threads, in nanoseconds.
    waited_ns: u64,
    /// CPU time of the hub's WAL checkpointer thread, in nanoseconds.
    checkpoint_ns: u64,
    /// CPU time of the hub's other threads, in nanoseconds.
    hub_cpu_ns: u64,
}

/// Whose a thread of this process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The benchmark's clients: the main thread and [`CLIENT_THREAD`]s.
    Client,
    /// The hub's WAL checkpointer.
    Checkpointer,
    /// The hub's other threads.
    Hub,
}

/// Reads [`Sched`] from Linux's `/proc/self/task/*/schedstat` (zeros elsewhere), knowing each
/// thread's [`Role`] by its name.
#[derive(Default)]
struct Threads {
    roles: std::collections::HashMap<String, Role>,
}

impl Threads {
    fn read(&mut self) -> Sched {
        let mut sched = Sched::default();
        let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
            return sched;
        };
        for task in tasks.flatten() {
            let tid = task.file_name().to_string_lossy().into_owned();
            let main = tid == std::process::id().to_string();
            let role = *self.roles.entry(tid).or_insert_with(|| {
                let name = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
                match name.trim() {
                    _ if main => Role::Client,
                    linker_hub::store::wal::CHECKPOINTER_THREAD => Role::Checkpointer,
                    CLIENT_THREAD => Role::Client,
                    _ => Role::Hub,
                }
            });
            let Ok(stat) = std::fs::read_to_string(task.path().join("schedstat")) else {
                continue;
            };
            let mut fields = stat
                .split_whitespace()
                .map(|f| f.parse::<u64>().unwrap_or(0));
            let (cpu, waited) = (fields.next().unwrap_or(0), fields.next().unwrap_or(0));
            sched.waited_ns += waited;
            match role {
                Role::Checkpointer => sched.checkpoint_ns += cpu,
                Role::Hub => sched.hub_cpu_ns += cpu,
                Role::Client => {}
            }
        }
        sched
    }
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
