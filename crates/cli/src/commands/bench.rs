//! `linker bench hub`: the hub's signed `pay` + `inquiryPayment` throughput and latency over
//! loopback, next to the bound that the RSA work alone sets on this machine.
//!
//! Every Alipay+ call costs four RSA operations on one machine: the client signs the request, the
//! hub verifies it, the hub signs its answer, the client verifies the answer. With `cores` cores
//! and nothing else to do, the system could therefore answer at most
//! `cores / (2 × sign + 2 × verify)` calls a second; the benchmark reports how close the hub gets.
//! The machine's speed drifts (frequency scaling, neighbours on a shared host) by 10-25 % within
//! a minute, so the load runs in one-second slices with the single-core RSA cost timed between
//! them: the bound and the throughput come from the same minutes.
//!
//! The hub runs in this process on its own runtime (as it would in its own process), on
//! 127.0.0.1 with a fresh data folder; the clients run on another runtime and share one HTTP
//! client. Payment codes are issued through the admin API before the timed window: issuing them
//! is not an Alipay+ call and is neither counted nor timed.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use linker_aplus::signature::SignedContent;
use linker_aplus::time::format_wire_time;
use linker_aplus::{KeyPair, PublicKey, Signer, Verifier};
use linker_hub::{ServeConfig, Server};
use serde_json::{Value, json};

use crate::Outcome;

mod growth;
mod wal;
mod wrk;

const PAY: &str = "/aps/api/v1/payments/pay";
const INQUIRY: &str = "/aps/api/v1/payments/inquiryPayment";
const CLIENT_ID: &str = "TEST_BENCH_0001";
/// How long the single-core RSA cost is timed between two load slices.
const RSA_SLICE: Duration = Duration::from_millis(500);
/// How long the load runs between two RSA timings.
const LOAD_SLICE: Duration = Duration::from_secs(1);
/// How long the all-cores RSA throughput is measured.
const RSA_PARALLEL_WINDOW: Duration = Duration::from_secs(1);
/// Payment codes are valid for 60 s on the hub; older ones are not used.
const CODE_MAX_AGE: Duration = Duration::from_secs(50);
/// The part of the window that codes are issued for in advance; later ones are issued as needed.
const PRE_ISSUE_HORIZON_SECS: f64 = 40.0;
/// A client stops after this many failures in a row.
const MAX_CONSECUTIVE_ERRORS: u32 = 100;
/// The throughput the issue asks for, as a share of the RSA bound.
const GOAL: f64 = 0.7;

/// Benchmarks.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Signed pay + inquiryPayment throughput and latency of a hub over loopback, next to the
    /// bound the RSA work alone sets on this machine. Build with --release for meaningful figures.
    Hub(HubBenchArgs),
    /// The write-ahead log under minutes of signed calls to a hub in its own process: its
    /// largest and final size, what its restarts held the store for, and how long the hub
    /// takes to start again after being killed mid-load. Build with --release.
    Wal(wal::WalBenchArgs),
    /// Signed pay + inquiryPayment of a hub in its own process under wrk replaying pre-signed
    /// requests: calls/s, latency, the hub's CPU per call next to the RSA bound; with
    /// --profile, that CPU split by what it went to. Needs wrk; build with --release.
    Wrk(wrk::WrkBenchArgs),
    /// The hub with 1 thousand, 100 thousand and 1 million exchanges stored: p99 of signed
    /// calls and of the console's request log and Test Data pages at each, and the bytes stored
    /// per exchange. Build with --release; needs about 1 GB of disk under --dir.
    Growth(growth::GrowthBenchArgs),
}

/// Arguments of `linker bench hub`.
#[derive(Debug, clap::Args)]
pub struct HubBenchArgs {
    /// Concurrent clients, each sending pay then inquiryPayment in a loop.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    clients: u32,
    /// Seconds of load, run as one-second slices with the RSA cost timed between them.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    seconds: u64,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs a `bench` subcommand.
pub fn run(command: BenchCommand) -> Result<Outcome> {
    match command {
        BenchCommand::Hub(args) => hub(&args),
        BenchCommand::Wal(args) => wal::run(&args),
        BenchCommand::Wrk(args) => wrk::run(&args),
        BenchCommand::Growth(args) => growth::run(&args),
    }
}

fn hub(args: &HubBenchArgs) -> Result<Outcome> {
    let optimized = !cfg!(debug_assertions);
    if !optimized {
        eprintln!(
            "warning: this linker was built without optimizations; the figures mean little \
             (cargo build --release -p linker, then target/release/linker bench hub)"
        );
    }
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let probe = RsaProbe::new()?;
    let data = tempfile::tempdir().context("cannot create a temporary data folder")?;
    let (load, rsa) = run_load(args, cores, &probe, data.path())?;
    let per_call_us = rsa.per_call_us();
    let bound = rsa.bound(cores);

    let ops = load.pay_us.len() + load.inquiry_us.len();
    if ops == 0 {
        bail!(
            "no call succeeded in the window: {}",
            load.first_error
                .as_deref()
                .unwrap_or("no error was reported")
        );
    }
    let throughput = ops as f64 / load.elapsed.as_secs_f64();
    let all = load.sorted_latencies();
    let mut pay = load.pay_us.clone();
    pay.sort_unstable();
    let mut inquiry = load.inquiry_us.clone();
    inquiry.sort_unstable();
    let ratio = throughput / bound;
    // Independent of what else runs on the machine: how much of the CPU the process got went to
    // the four RSA operations each call needs.
    let cpu_us_per_op = load.cpu.map(|cpu| cpu.as_secs_f64() * 1e6 / ops as f64);
    let cpu_ratio = cpu_us_per_op.map(|used| round4(per_call_us / used));
    let cores_used = load
        .cpu
        .map(|cpu| round2(cpu.as_secs_f64() / load.elapsed.as_secs_f64()));

    let report = json!({
        "optimized": optimized,
        "cores": cores,
        "clients": args.clients,
        "seconds": args.seconds,
        "rsa": {
            "signUs": round2(rsa.sign_us),
            "verifyUs": round2(rsa.verify_us),
            "samples": rsa.samples,
            "allCoresOpsPerSec": round2(rsa.all_cores_pairs_per_sec / 2.0),
            "boundLowest": round2(rsa.lowest_bound),
            "boundHighest": round2(rsa.highest_bound),
        },
        "ops": ops,
        "payOps": load.pay_us.len(),
        "inquiryOps": load.inquiry_us.len(),
        "errors": load.errors,
        "firstError": load.first_error,
        "elapsedSeconds": round2(load.elapsed.as_secs_f64()),
        "throughputOpsPerSec": round2(throughput),
        "latencyUs": {
            "p50": percentile(&all, 50.0),
            "p99": percentile(&all, 99.0),
            "max": all.last().copied().unwrap_or(0),
            "pay": { "p50": percentile(&pay, 50.0), "p99": percentile(&pay, 99.0) },
            "inquiryPayment": {
                "p50": percentile(&inquiry, 50.0),
                "p99": percentile(&inquiry, 99.0),
            },
        },
        "boundOpsPerSec": round2(bound),
        "cpu": {
            "rsaUsPerOp": round2(per_call_us),
            "usPerOp": cpu_us_per_op.map(round2),
            "coresUsed": cores_used,
            "ratio": cpu_ratio,
        },
        "ratio": round4(ratio),
        "goal": GOAL,
        "meetsGoal": ratio >= GOAL,
        "codes": { "preIssued": load.pre_issued, "issuedInWindow": load.issued_in_window },
    });
    print_report(&report, args.json, print_table)
}

/// Prints a benchmark's figures: pretty JSON with `--json`, else its table.
fn print_report(report: &Value, json: bool, table: fn(&Value)) -> Result<Outcome> {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).context("cannot format the report")?
        );
    } else {
        table(report);
    }
    Ok(Outcome::Success)
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn round4(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn print_table(report: &Value) {
    let f = |path: &str| report.pointer(path).and_then(Value::as_f64).unwrap_or(0.0);
    let n = |path: &str| report.pointer(path).and_then(Value::as_u64).unwrap_or(0);
    let ms = |path: &str| f(path) / 1000.0;
    println!("Linker hub benchmark: signed pay + inquiryPayment over loopback");
    println!(
        "  machine            {} cores{}",
        n("/cores"),
        if report["optimized"] == Value::Bool(true) {
            ""
        } else {
            " (UNOPTIMIZED BUILD)"
        }
    );
    println!(
        "  RSA-2048 sign      {:>10.1} µs   (one core, {} samples)",
        f("/rsa/signUs"),
        n("/rsa/samples")
    );
    println!("  RSA-2048 verify    {:>10.1} µs", f("/rsa/verifyUs"));
    println!(
        "  RSA bound          {:>10.1} ops/s   (cores / (2 sign + 2 verify) per call; \
         {:.1} to {:.1} between load slices)",
        f("/boundOpsPerSec"),
        f("/rsa/boundLowest"),
        f("/rsa/boundHighest")
    );
    println!(
        "  RSA on all cores   {:>10.1} ops/s   (measured: every core signing and verifying)",
        f("/rsa/allCoresOpsPerSec")
    );
    println!("  clients            {:>10}", n("/clients"));
    println!("  window             {:>10.2} s", f("/elapsedSeconds"));
    println!(
        "  operations         {:>10}   ({} pay, {} inquiryPayment; {} errors)",
        n("/ops"),
        n("/payOps"),
        n("/inquiryOps"),
        n("/errors")
    );
    println!(
        "  throughput         {:>10.1} ops/s",
        f("/throughputOpsPerSec")
    );
    println!(
        "  latency p50        {:>10.2} ms   (pay {:.2}, inquiryPayment {:.2})",
        ms("/latencyUs/p50"),
        ms("/latencyUs/pay/p50"),
        ms("/latencyUs/inquiryPayment/p50")
    );
    println!(
        "  latency p99        {:>10.2} ms   (pay {:.2}, inquiryPayment {:.2}; max {:.2})",
        ms("/latencyUs/p99"),
        ms("/latencyUs/pay/p99"),
        ms("/latencyUs/inquiryPayment/p99"),
        ms("/latencyUs/max")
    );
    println!(
        "  ratio              {:>10.1} %    of the RSA bound (goal {:.0} %: {})",
        f("/ratio") * 100.0,
        GOAL * 100.0,
        if report["meetsGoal"] == Value::Bool(true) {
            "met"
        } else {
            "NOT met"
        }
    );
    if let Some(used) = report.pointer("/cpu/usPerOp").and_then(Value::as_f64) {
        println!(
            "  CPU per op         {:>10.1} µs   (RSA alone {:.1} µs: {:.1} % of it; {:.2} of {} cores used)",
            used,
            f("/cpu/rsaUsPerOp"),
            f("/cpu/ratio") * 100.0,
            f("/cpu/coresUsed"),
            n("/cores")
        );
    }
    println!(
        "  (one op = one signed call answered and verified; latency = request sent to answer \
         read, without the client's own signing and verifying)"
    );
    if let Some(error) = report["firstError"].as_str() {
        println!("  first error: {error}");
    }
}

/// A valid UPM (payment code) pay body.
fn pay_body(request_id: &str, code: &str) -> Value {
    json!({
        "productCode": "IN_STORE_PAYMENT",
        "paymentRequestId": request_id,
        "order": {
            "referenceOrderId": format!("order-{request_id}"),
            "orderDescription": "Two coffees",
            "orderAmount": {"currency": "HKD", "value": "5000"},
            "merchant": {
                "referenceMerchantId": "M0001",
                "merchantMCC": "5812",
                "merchantName": "Linker Cafe",
                "store": {"referenceStoreId": "S01", "storeName": "Central", "storeMCC": "5812"}
            }
        },
        "paymentAmount": {"currency": "HKD", "value": "5000"},
        "paymentMethod": {"paymentMethodType": "CONNECT_WALLET", "paymentMethodId": code},
        "paymentFactor": {"isInStorePayment": "true", "inStorePaymentScenario": "PaymentCode"}
    })
}

fn now_wire_time() -> String {
    format_wire_time(&chrono::Utc::now().with_timezone(&linker_aplus::time::BEIJING))
}

/// The RSA cost on this machine.
struct RsaCost {
    /// Mean time of one sign (content, RSA, base64, header), on one core.
    sign_us: f64,
    /// Mean time of one verify (header parsing, RSA), on one core.
    verify_us: f64,
    /// Sign + verify pairs timed on one core.
    samples: u64,
    /// Sign + verify pairs a second with every core busy.
    all_cores_pairs_per_sec: f64,
    /// The lowest and highest bound any one timing slice gave.
    lowest_bound: f64,
    highest_bound: f64,
}

impl RsaCost {
    /// The four RSA operations of one call, in microseconds of one core.
    fn per_call_us(&self) -> f64 {
        2.0 * self.sign_us + 2.0 * self.verify_us
    }

    /// Calls a second the RSA work alone would allow on `cores` cores.
    fn bound(&self, cores: usize) -> f64 {
        cores as f64 * 1e6 / self.per_call_us()
    }
}

/// Signs and verifies a typical pay request with a throwaway key, timing each.
struct RsaProbe {
    signer: Signer,
    verifier: Verifier,
    body: String,
    time: String,
}

/// Single-core RSA timings, added up over the slices between the load's.
#[derive(Debug, Default)]
struct RsaTally {
    sign: Duration,
    verify: Duration,
    samples: u64,
    bounds: Vec<f64>,
}

impl RsaProbe {
    fn new() -> Result<RsaProbe> {
        let keys = KeyPair::generate().context("cannot generate an RSA-2048 key pair")?;
        let probe = RsaProbe {
            signer: Signer::new(CLIENT_ID, keys.private),
            verifier: Verifier::new(keys.public),
            body: pay_body("bench-rsa-0001", "281012020123456789").to_string(),
            time: now_wire_time(),
        };
        // Warm up (caches, lazy initialisation).
        let (mut sign, mut verify) = (Duration::ZERO, Duration::ZERO);
        for _ in 0..10 {
            probe.pair(&mut sign, &mut verify)?;
        }
        Ok(probe)
    }

    /// One sign and one verify, their times added to `sign` and `verify`.
    fn pair(&self, sign: &mut Duration, verify: &mut Duration) -> Result<()> {
        let started = Instant::now();
        let header = self
            .signer
            .sign("POST", PAY, &self.time, self.body.as_bytes())
            .context("cannot sign")?
            .format();
        let signed = Instant::now();
        let content = SignedContent {
            method: "POST",
            path: PAY,
            client_id: CLIENT_ID,
            time: &self.time,
            body: self.body.as_bytes(),
        };
        self.verifier
            .verify_header(&content, &header)
            .context("a fresh signature does not verify")?;
        *sign += signed - started;
        *verify += signed.elapsed();
        Ok(())
    }

    /// Times sign + verify pairs on one core for `window`, into `tally`.
    fn time_one_core(&self, window: Duration, cores: usize, tally: &mut RsaTally) -> Result<()> {
        let (mut sign, mut verify) = (Duration::ZERO, Duration::ZERO);
        let mut samples = 0u64;
        let started = Instant::now();
        while started.elapsed() < window {
            self.pair(&mut sign, &mut verify)?;
            samples += 1;
        }
        let per_call_us = 2.0 * (sign + verify).as_secs_f64() * 1e6 / samples.max(1) as f64;
        tally.bounds.push(cores as f64 * 1e6 / per_call_us);
        tally.sign += sign;
        tally.verify += verify;
        tally.samples += samples;
        Ok(())
    }

    /// Sign + verify pairs a second with every core busy: the bound as this machine (SMT, other
    /// load) really delivers it.
    fn all_cores_pairs_per_sec(&self, cores: usize) -> Result<f64> {
        let started = Instant::now();
        let counts = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..cores)
                .map(|_| {
                    scope.spawn(|| -> Result<u64> {
                        let (mut sign, mut verify) = (Duration::ZERO, Duration::ZERO);
                        let mut count = 0u64;
                        while started.elapsed() < RSA_PARALLEL_WINDOW {
                            self.pair(&mut sign, &mut verify)?;
                            count += 1;
                        }
                        Ok(count)
                    })
                })
                .collect();
            threads
                .into_iter()
                .map(|thread| {
                    thread
                        .join()
                        .map_err(|_| anyhow!("an RSA thread panicked"))?
                })
                .collect::<Result<Vec<u64>>>()
        })?;
        Ok(counts.iter().sum::<u64>() as f64 / started.elapsed().as_secs_f64())
    }
}

impl RsaTally {
    fn cost(&self, all_cores_pairs_per_sec: f64) -> RsaCost {
        let n = self.samples.max(1) as f64;
        let fold =
            |pick: fn(f64, f64) -> f64, start: f64| self.bounds.iter().copied().fold(start, pick);
        RsaCost {
            sign_us: self.sign.as_secs_f64() * 1e6 / n,
            verify_us: self.verify.as_secs_f64() * 1e6 / n,
            samples: self.samples,
            all_cores_pairs_per_sec,
            lowest_bound: fold(f64::min, f64::INFINITY),
            highest_bound: fold(f64::max, 0.0),
        }
    }
}

/// What the timed window produced.
#[derive(Debug, Default)]
struct Load {
    pay_us: Vec<u64>,
    inquiry_us: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
    elapsed: Duration,
    pre_issued: usize,
    issued_in_window: u64,
    /// CPU time (user + system) the whole process used in the window, where known.
    cpu: Option<Duration>,
}

impl Load {
    /// Every call's round trip (pays and inquiries), sorted, in microseconds.
    fn sorted_latencies(&self) -> Vec<u64> {
        let mut all: Vec<u64> = self
            .pay_us
            .iter()
            .chain(&self.inquiry_us)
            .copied()
            .collect();
        all.sort_unstable();
        all
    }

    fn absorb(&mut self, other: Load) {
        self.pay_us.extend(other.pay_us);
        self.inquiry_us.extend(other.inquiry_us);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.issued_in_window += other.issued_in_window;
    }

    /// Adds a timed slice: its calls, its time and its CPU time.
    fn absorb_slice(&mut self, slice: Load) {
        self.elapsed += slice.elapsed;
        self.cpu = self.cpu.zip(slice.cpu).map(|(total, part)| total + part);
        self.absorb(slice);
    }

    fn error(&mut self, error: &anyhow::Error) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(format!("{error:#}"));
        }
    }
}

/// Starts the hub on its own runtime, drives it from the clients' runtime in slices with the RSA
/// cost timed between them, stops it.
fn run_load(
    args: &HubBenchArgs,
    cores: usize,
    probe: &RsaProbe,
    data: &Path,
) -> Result<(Load, RsaCost)> {
    let hub = InProcessHub::start(
        data,
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        Some(cores),
    )?;
    let base = hub.base.clone();

    let client_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .thread_name("bench-client")
        .enable_all()
        .build()
        .context("cannot start the clients' runtime")?;
    let mut tally = RsaTally::default();
    let load = (|| -> Result<Load> {
        probe.time_one_core(RSA_SLICE, cores, &mut tally)?;
        let bound = tally.cost(0.0).bound(cores);
        let clients = usize::try_from(args.clients).context("too many clients")?;
        let (client, pre_issued) = client_runtime.block_on(prepare(args, bound, &base, data))?;
        let mut load = Load {
            pre_issued,
            cpu: Some(Duration::ZERO),
            ..Load::default()
        };
        for slice in 1..=args.seconds {
            let part = client_runtime.block_on(timed_slice(&client, clients, slice))?;
            load.absorb_slice(part);
            probe.time_one_core(RSA_SLICE, cores, &mut tally)?;
        }
        Ok(load)
    })();
    drop(client_runtime);

    hub.stop(Duration::from_secs(10))?;
    let load = load?;
    let all_cores = probe.all_cores_pairs_per_sec(cores)?;
    Ok((load, tally.cost(all_cores)))
}

/// A hub serving a data folder in this process, on a runtime of its own.
struct InProcessHub {
    runtime: tokio::runtime::Runtime,
    /// Where it listens.
    address: std::net::SocketAddr,
    /// `http://` and that address.
    base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    serving: tokio::task::JoinHandle<Result<(), linker_hub::ServeError>>,
}

impl InProcessHub {
    /// Starts a hub on `data` listening on `listen`, with `workers` threads (the runtime's
    /// default when `None`).
    fn start(
        data: &Path,
        listen: std::net::SocketAddr,
        workers: Option<usize>,
    ) -> Result<InProcessHub> {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        if let Some(workers) = workers {
            builder.worker_threads(workers);
        }
        let runtime = builder
            .thread_name("hub")
            .enable_all()
            .build()
            .context("cannot start the hub's runtime")?;
        let config = ServeConfig {
            data_dir: data.to_path_buf(),
            listen,
            public_url: None,
            test_clock: false,
            tls: None,
        };
        let server = runtime
            .block_on(Server::bind(&config))
            .context("cannot start the hub")?;
        let address = server.address;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = runtime.spawn(server.run(async {
            let _ = stopped.await;
        }));
        Ok(InProcessHub {
            runtime,
            address,
            base: format!("http://{address}"),
            stop,
            serving,
        })
    }

    /// Stops the hub and waits up to `wait` for it to close its store; a hub still running
    /// then is a warning, a hub that failed an error.
    fn stop(self, wait: Duration) -> Result<()> {
        let _ = self.stop.send(());
        let serving = self.serving;
        let finished = self
            .runtime
            .block_on(async { tokio::time::timeout(wait, serving).await });
        let outcome = match finished {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(error))) => Err(anyhow::Error::from(error).context("the hub failed")),
            Ok(Err(error)) => Err(anyhow!("the hub's task failed: {error}")),
            Err(_) => {
                eprintln!("warning: the hub did not stop within {} s", wait.as_secs());
                Ok(())
            }
        };
        self.runtime.shutdown_timeout(Duration::from_secs(5));
        outcome
    }
}

/// The benchmark's ACQP on the hub at `base` (whose data folder, for the admin token, is
/// `data`): a new project with a fresh key pair, and an HTTP client.
async fn connect(base: &str, data: &Path) -> Result<Arc<Client>> {
    let token_path = linker_hub::admin_token_path(data);
    let token = std::fs::read_to_string(&token_path)
        .with_context(|| format!("cannot read the admin token {}", token_path.display()))?
        .trim()
        .to_owned();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .context("cannot build the HTTP client")?;
    let admin = Admin {
        http: http.clone(),
        base: base.to_owned(),
        token,
    };

    let keys = KeyPair::generate().context("cannot generate the ACQP's key pair")?;
    let project = admin
        .send(
            "/projects",
            Some(json!({
                "name": "Benchmark ACQP",
                "clientId": CLIENT_ID,
                "acqpPublicKey": keys.public.to_base64(),
            })),
        )
        .await
        .context("cannot create the benchmark project")?;
    let project_id = text(&project, "id")?;
    let hub_key = PublicKey::from_base64_or_pem(&text(&project, "hubPublicKey")?)
        .context("the project's hubPublicKey is not a public key")?;

    Ok(Arc::new(Client {
        http,
        base: base.to_owned(),
        signer: Signer::new(CLIENT_ID, keys.private),
        verifier: Verifier::new(hub_key),
        admin,
        codes_path: format!("/projects/{project_id}/payment-codes"),
        codes: Mutex::new(Vec::new()),
    }))
}

/// The clients' side before timing: project, codes, warm-up. Returns the client and how many
/// codes it issued.
async fn prepare(
    args: &HubBenchArgs,
    bound: f64,
    base: &str,
    data: &Path,
) -> Result<(Arc<Client>, usize)> {
    let clients = usize::try_from(args.clients).context("too many clients")?;
    let client = connect(base, data).await?;

    // Enough codes for the window at the RSA bound (every pay takes one), with a margin.
    let horizon = (args.seconds as f64).min(PRE_ISSUE_HORIZON_SECS);
    let wanted = ((bound * horizon / 2.0 * 1.3).ceil() as usize).clamp(16, 500_000) + 2 * clients;
    client
        .pre_issue(wanted, clients)
        .await
        .context("cannot issue payment codes")?;

    // Warm-up: one pay + inquiry per client, which also proves the set-up before timing anything.
    let mut warm = Vec::new();
    for index in 0..clients {
        let client = client.clone();
        warm.push(tokio::spawn(async move {
            let mut load = Load::default();
            client.round(index, 0, 0, &mut load, None).await
        }));
    }
    for task in warm {
        task.await
            .context("a warm-up task failed")?
            .context("the warm-up call failed")?;
    }
    Ok((client, wanted))
}

/// One timed slice of [`LOAD_SLICE`]: every client runs pay + inquiry rounds until its end.
async fn timed_slice(client: &Arc<Client>, clients: usize, slice: u64) -> Result<Load> {
    let cpu_before = process_cpu_time();
    let started = Instant::now();
    let deadline = started + LOAD_SLICE;
    let mut tasks = Vec::new();
    for index in 0..clients {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            client.run(index, slice, deadline).await
        }));
    }
    let mut load = Load::default();
    for task in tasks {
        load.absorb(task.await.context("a client task failed")?);
    }
    load.elapsed = started.elapsed();
    load.cpu = process_cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    Ok(load)
}

/// CPU time (user + system, every thread) this process has used so far: fields 14 and 15 of
/// `/proc/self/stat`, in clock ticks of 10 ms. `None` where there is no such file.
fn process_cpu_time() -> Option<Duration> {
    cpu_time_of("/proc/self/stat")
}

/// CPU time (user + system, every thread) of the process whose `stat` file is `stat`.
fn cpu_time_of(stat: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(stat).ok()?;
    // The command name, in parentheses, may hold spaces; field 3 (the state) follows it.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime).saturating_mul(10)))
}

fn text(value: &Value, field: &str) -> Result<String> {
    value
        .get(field)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("the hub's answer has no {field}: {value}"))
}

/// The admin API, for the project and the payment codes.
struct Admin {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Admin {
    async fn send(&self, path: &str, body: Option<Value>) -> Result<Value> {
        let mut request = self
            .http
            .post(format!("{}/admin/v1{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("cannot reach the hub for {path}"))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .context("cannot read the hub's answer")?;
        ensure!(
            status.is_success(),
            "the hub refused {path} ({status}): {text}"
        );
        serde_json::from_str(&text).with_context(|| format!("the hub's answer is not JSON: {text}"))
    }
}

/// One ACQP: its key, the hub's key, and the payment codes waiting to be paid.
struct Client {
    http: reqwest::Client,
    base: String,
    signer: Signer,
    verifier: Verifier,
    admin: Admin,
    codes_path: String,
    codes: Mutex<Vec<(String, Instant)>>,
}

impl Client {
    async fn issue_code(&self) -> Result<String> {
        let issued = self.admin.send(&self.codes_path, None).await?;
        text(&issued, "code")
    }

    async fn pre_issue(self: &Arc<Self>, wanted: usize, parallel: usize) -> Result<()> {
        let mut tasks = Vec::new();
        for worker in 0..parallel {
            let client = self.clone();
            let share = wanted / parallel + usize::from(worker < wanted % parallel);
            tasks.push(tokio::spawn(async move {
                let mut codes = Vec::with_capacity(share);
                for _ in 0..share {
                    codes.push((client.issue_code().await?, Instant::now()));
                }
                client.lock_codes().extend(codes);
                anyhow::Ok(())
            }));
        }
        for task in tasks {
            task.await.context("a code-issuing task failed")??;
        }
        Ok(())
    }

    fn lock_codes(&self) -> std::sync::MutexGuard<'_, Vec<(String, Instant)>> {
        self.codes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A fresh code from the pool, or a new one (counted) when the pool is empty or stale.
    async fn take_code(&self, load: &mut Load) -> Result<String> {
        loop {
            let popped = self.lock_codes().pop();
            match popped {
                Some((code, issued)) if issued.elapsed() < CODE_MAX_AGE => return Ok(code),
                Some(_) => continue,
                None => {
                    let code = self.issue_code().await?;
                    load.issued_in_window += 1;
                    return Ok(code);
                }
            }
        }
    }

    /// Pay + inquiry in a loop until the deadline.
    async fn run(&self, index: usize, slice: u64, deadline: Instant) -> Load {
        let mut load = Load::default();
        let mut round = 1u64;
        let mut consecutive_errors = 0u32;
        while Instant::now() < deadline && consecutive_errors < MAX_CONSECUTIVE_ERRORS {
            let errors_before = load.errors;
            if let Err(error) = self
                .round(index, slice, round, &mut load, Some(deadline))
                .await
            {
                load.error(&error);
            }
            consecutive_errors = if load.errors > errors_before {
                consecutive_errors + 1
            } else {
                0
            };
            round += 1;
        }
        load
    }

    /// One pay and, unless the deadline passed meanwhile, one inquiry of it.
    async fn round(
        &self,
        index: usize,
        slice: u64,
        round: u64,
        load: &mut Load,
        deadline: Option<Instant>,
    ) -> Result<()> {
        let code = self.take_code(load).await?;
        let request_id = format!("bench-{index}-{slice}-{round}");
        let (answer, micros) = self
            .call(PAY, pay_body(&request_id, &code).to_string())
            .await
            .context("pay")?;
        ensure!(
            answer.pointer("/result/resultStatus") == Some(&json!("S")),
            "pay did not succeed: {answer}"
        );
        let payment_id = text(&answer, "paymentId").context("pay")?;
        load.pay_us.push(micros);
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return Ok(());
        }
        let (answer, micros) = self
            .call(INQUIRY, json!({ "paymentId": payment_id }).to_string())
            .await
            .context("inquiryPayment")?;
        ensure!(
            answer.pointer("/result/resultStatus") == Some(&json!("S"))
                && answer.pointer("/paymentResult/resultStatus") == Some(&json!("S")),
            "inquiryPayment did not find the payment paid: {answer}"
        );
        load.inquiry_us.push(micros);
        Ok(())
    }

    /// Signs and sends one Alipay+ call, verifies the signed answer; returns it with the round
    /// trip in microseconds (request sent to answer read).
    async fn call(&self, path: &str, body: String) -> Result<(Value, u64)> {
        let time = now_wire_time();
        let signature = self
            .signer
            .sign("POST", path, &time, body.as_bytes())
            .context("cannot sign the request")?
            .format();
        let started = Instant::now();
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json; charset=UTF-8")
            .header("client-id", CLIENT_ID)
            .header("request-time", &time)
            .header("signature", signature)
            .body(body)
            .send()
            .await
            .context("cannot reach the hub")?;
        let status = response.status();
        let headers = response.headers().clone();
        let raw = response
            .bytes()
            .await
            .context("cannot read the hub's answer")?;
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        ensure!(
            status == reqwest::StatusCode::OK,
            "the hub answered HTTP {status}"
        );
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .ok_or_else(|| anyhow!("the answer has no {name} header"))
        };
        let content = SignedContent {
            method: "POST",
            path,
            client_id: CLIENT_ID,
            time: header("response-time")?,
            body: &raw,
        };
        self.verifier
            .verify_header(&content, header("signature")?)
            .context("the hub's answer does not verify with its public key")?;
        let answer = serde_json::from_slice(&raw).context("the hub's answer is not JSON")?;
        Ok((answer, micros))
    }
}
