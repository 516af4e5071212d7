//! `linker bench wal`: does the hub's write-ahead log stay bounded under minutes of steady load,
//! what do the log restarts cost the requests, and how long does a hub killed mid-load take to
//! start again on its data folder?
//!
//! The hub runs as a process of its own (`linker hub serve`, this binary unless `--hub` names
//! another build, e.g. an older one to compare), so that it can be killed (SIGKILL) while the
//! load runs, as a crash would. The clients send signed `pay` + `inquiryPayment` pairs, each pay
//! with a payment code issued through the admin API (writes too), for the whole window; a
//! sampler reads the size of `hub.sqlite-wal` every 20 ms. The hub logs each log restart and
//! how long it held the store (`RUST_LOG=linker_hub::store=debug`); the benchmark reads those
//! lines from its standard error. After the kill, the hub is started again on the same folder
//! and timed until `/health` answers.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use super::{Load, percentile, round2};
use crate::Outcome;

/// How often the sampler reads the WAL's size.
const SAMPLE_EVERY: Duration = Duration::from_millis(20);
/// How long a hub may take to start before the benchmark gives up.
const START_TIMEOUT: Duration = Duration::from_secs(600);

/// Arguments of `linker bench wal`.
#[derive(Debug, clap::Args)]
pub struct WalBenchArgs {
    /// Minutes of load.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=600))]
    minutes: u64,
    /// Seconds of load instead of minutes (for a quick look).
    #[arg(long, conflicts_with = "minutes", value_parser = clap::value_parser!(u64).range(1..=36_000))]
    seconds: Option<u64>,
    /// Concurrent clients, each sending pay then inquiryPayment in a loop.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    clients: u32,
    /// The linker binary to run the hub with (default: this one).
    #[arg(long, value_name = "PATH")]
    hub: Option<PathBuf>,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs the benchmark and prints its figures.
pub fn run(args: &WalBenchArgs) -> Result<Outcome> {
    let binary = match &args.hub {
        Some(path) => path.clone(),
        None => std::env::current_exe().context("cannot find this program's path")?,
    };
    let window = args
        .seconds
        .map_or(Duration::from_secs(args.minutes * 60), Duration::from_secs);
    let clients = usize::try_from(args.clients).context("too many clients")?;
    let data = tempfile::tempdir().context("cannot create a temporary data folder")?;
    let wal = wal_path(data.path());

    let (mut hub, _) = HubProcess::start(&binary, data.path())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the clients' runtime")?;
    let loaded = runtime.block_on(load(&mut hub, data.path(), &wal, clients, window));
    runtime.shutdown_timeout(Duration::from_secs(1));
    hub.kill();
    let loaded = loaded?;
    let restarts = hub.restarts();

    let (mut again, restart) = HubProcess::start(&binary, data.path())?;
    again.kill();

    let report = report(clients, &loaded, &restarts, restart);
    super::print_report(&report, args.json, print_table)
}

/// The WAL file of the hub's database in a data folder.
fn wal_path(data: &Path) -> PathBuf {
    let mut path = linker_hub::database_path(data).into_os_string();
    path.push("-wal");
    PathBuf::from(path)
}

/// The size of a file, 0 when there is none.
fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |metadata| metadata.len())
}

/// What the window produced.
struct Loaded {
    load: Load,
    /// The largest WAL size sampled, and how many samples there were.
    wal_largest: u64,
    wal_samples: u64,
    /// The WAL's size at the end of each tenth of the window (the last: at the kill).
    wal_by_tenth: Vec<u64>,
}

/// Runs the clients for `window` against the hub while sampling the WAL's size, then kills the
/// hub under them.
async fn load(
    hub: &mut HubProcess,
    data: &Path,
    wal: &Path,
    clients: usize,
    window: Duration,
) -> Result<Loaded> {
    let client = super::connect(&hub.base, data).await?;
    client
        .pre_issue(clients * 4, clients)
        .await
        .context("cannot issue payment codes")?;
    let killed = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for index in 0..clients {
        let (client, killed) = (client.clone(), killed.clone());
        tasks.push(tokio::spawn(async move {
            let mut load = Load::default();
            let mut round = 1u64;
            while !killed.load(Ordering::Relaxed) {
                let result = client.round(index, 1, round, &mut load, None).await;
                if let Err(error) = result
                    && !killed.load(Ordering::Relaxed)
                {
                    load.error(&error);
                }
                round += 1;
            }
            load
        }));
    }
    let mut largest = 0;
    let mut samples = 0;
    let mut wal_by_tenth = Vec::new();
    let mut ticks = tokio::time::interval(SAMPLE_EVERY);
    while started.elapsed() < window {
        ticks.tick().await;
        let size = file_size(wal);
        largest = largest.max(size);
        samples += 1;
        let tenths = u32::try_from(wal_by_tenth.len()).unwrap_or(u32::MAX);
        if started.elapsed() >= window * (tenths + 1) / 10 {
            wal_by_tenth.push(size);
        }
    }
    // Killed mid-load, as a crash would: the clients are still sending.
    killed.store(true, Ordering::Relaxed);
    hub.kill();
    let elapsed = started.elapsed();
    let at_kill = file_size(wal);
    largest = largest.max(at_kill);
    if wal_by_tenth.len() < 10 {
        wal_by_tenth.push(at_kill);
    }
    let mut load = Load::default();
    for task in tasks {
        load.absorb(task.await.context("a client task failed")?);
    }
    load.elapsed = elapsed;
    Ok(Loaded {
        load,
        wal_largest: largest,
        wal_samples: samples,
        wal_by_tenth,
    })
}

/// What the hub logged about its log restarts.
#[derive(Debug, Default, Clone)]
struct Restarts {
    /// Restarts by the checkpointer.
    count: u64,
    /// Restarts by a writer past the hard bound.
    hard: u64,
    /// The longest time one held the store, in microseconds.
    longest_us: u64,
    /// All of them together, in microseconds.
    total_us: u64,
}

/// A hub running as a child process.
pub(super) struct HubProcess {
    child: Child,
    /// `http://<address>`.
    pub(super) base: String,
    restarts: Arc<Mutex<Restarts>>,
}

impl HubProcess {
    /// Starts `binary hub serve` on `data` and waits until `/health` answers; returns it with
    /// how long that took.
    fn start(binary: &Path, data: &Path) -> Result<(HubProcess, Duration)> {
        HubProcess::start_with_log(binary, data, Some("warn,linker_hub::store=debug"))
    }

    /// [`HubProcess::start`] with `RUST_LOG` set to `log` (none: the hub's default).
    pub(super) fn start_with_log(
        binary: &Path,
        data: &Path,
        log: Option<&str>,
    ) -> Result<(HubProcess, Duration)> {
        let started = Instant::now();
        let mut command = Command::new(binary);
        match log {
            Some(log) => command.env("RUST_LOG", log),
            None => command.env_remove("RUST_LOG"),
        };
        let mut child = command
            .args(["hub", "serve", "--listen", "127.0.0.1:0", "--no-web-wallet"])
            .arg("--data")
            .arg(data)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let restarts = Arc::new(Mutex::new(Restarts::default()));
        if let Some(stderr) = child.stderr.take() {
            let restarts = restarts.clone();
            std::thread::spawn(move || read_log(BufReader::new(stderr), &restarts));
        }
        let stdout = child
            .stdout
            .take()
            .context("the hub has no standard output")?;
        let mut lines = BufReader::new(stdout).lines();
        let first = lines
            .next()
            .transpose()
            .context("cannot read the hub's output")?
            .unwrap_or_default();
        // Keep reading, so the hub never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let Some(address) = first.strip_prefix("Linker hub listening on http://") else {
            let _ = child.kill();
            bail!("the hub did not start: {first:?}");
        };
        let address: std::net::SocketAddr = address
            .trim()
            .parse()
            .with_context(|| format!("the hub's address {address:?}"))?;
        let mut hub = HubProcess {
            child,
            base: format!("http://{address}"),
            restarts,
        };
        while !healthy(address) {
            if started.elapsed() > START_TIMEOUT {
                hub.kill();
                bail!("the hub did not answer /health within {START_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok((hub, started.elapsed()))
    }

    /// The process id.
    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, as a crash.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn restarts(&self) -> Restarts {
        self.restarts
            .lock()
            .map(|restarts| restarts.clone())
            .unwrap_or_default()
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// True when `GET /health` answers 200.
fn healthy(address: std::net::SocketAddr) -> bool {
    use std::io::{Read as _, Write as _};
    let Ok(mut stream) = std::net::TcpStream::connect(address) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET /health HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    let mut answer = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut answer).is_ok()
        && answer.starts_with("HTTP/1.1 200")
}

/// Reads the hub's log lines for its log restarts (`held_us=`), until the hub ends.
fn read_log(log: impl std::io::BufRead, restarts: &Mutex<Restarts>) {
    for line in log.lines() {
        let Ok(line) = line else { break };
        let hard = line.contains("passed its hard bound");
        if !hard && !line.contains("WAL restarted") {
            continue;
        }
        let held = line
            .split_whitespace()
            .find_map(|field| field.strip_prefix("held_us="))
            .and_then(|value| value.parse::<u64>().ok())
            .unwrap_or(0);
        if let Ok(mut restarts) = restarts.lock() {
            if hard {
                restarts.hard += 1;
            } else {
                restarts.count += 1;
            }
            restarts.longest_us = restarts.longest_us.max(held);
            restarts.total_us += held;
        }
    }
}

const MB: f64 = 1024.0 * 1024.0;

fn report(clients: usize, loaded: &Loaded, restarts: &Restarts, restart: Duration) -> Value {
    let load = &loaded.load;
    let ops = load.pay_us.len() + load.inquiry_us.len();
    let all = load.sorted_latencies();
    let seconds = load.elapsed.as_secs_f64();
    let mb = |bytes: u64| round2(bytes as f64 / MB);
    json!({
        "optimized": !cfg!(debug_assertions),
        "clients": clients,
        "seconds": round2(seconds),
        "ops": ops,
        "errors": load.errors,
        "firstError": load.first_error,
        "codesIssued": load.issued_in_window,
        "throughputOpsPerSec": round2(ops as f64 / seconds.max(f64::EPSILON)),
        "latencyUs": {
            "p50": percentile(&all, 50.0),
            "p99": percentile(&all, 99.0),
            "p999": percentile(&all, 99.9),
            "max": all.last().copied().unwrap_or(0),
        },
        "walMb": {
            "largest": mb(loaded.wal_largest),
            "atKill": mb(loaded.wal_by_tenth.last().copied().unwrap_or(0)),
            "byTenth": loaded.wal_by_tenth.iter().map(|&bytes| mb(bytes)).collect::<Vec<_>>(),
            "samples": loaded.wal_samples,
        },
        "logRestarts": {
            "byCheckpointer": restarts.count,
            "byWriters": restarts.hard,
            "longestHoldMs": round2(restarts.longest_us as f64 / 1000.0),
            "meanHoldMs": round2(
                restarts.total_us as f64 / 1000.0 / (restarts.count + restarts.hard).max(1) as f64
            ),
        },
        "restartAfterKillMs": round2(restart.as_secs_f64() * 1000.0),
    })
}

fn print_table(report: &Value) {
    let f = |path: &str| report.pointer(path).and_then(Value::as_f64).unwrap_or(0.0);
    let n = |path: &str| report.pointer(path).and_then(Value::as_u64).unwrap_or(0);
    println!("Linker hub WAL benchmark: signed pay + inquiryPayment, hub in its own process");
    if report["optimized"] != Value::Bool(true) {
        println!("  (UNOPTIMIZED BUILD: the figures mean little)");
    }
    println!("  clients            {:>10}", n("/clients"));
    println!("  window             {:>10.1} s", f("/seconds"));
    println!(
        "  operations         {:>10}   ({:.1} ops/s; {} codes issued; {} errors)",
        n("/ops"),
        f("/throughputOpsPerSec"),
        n("/codesIssued"),
        n("/errors")
    );
    println!(
        "  latency            {:>10.2} ms p50, {:.2} p99, {:.2} p99.9, {:.2} max",
        f("/latencyUs/p50") / 1000.0,
        f("/latencyUs/p99") / 1000.0,
        f("/latencyUs/p999") / 1000.0,
        f("/latencyUs/max") / 1000.0
    );
    println!(
        "  WAL largest        {:>10.1} MB   ({} samples, every {} ms)",
        f("/walMb/largest"),
        n("/walMb/samples"),
        SAMPLE_EVERY.as_millis()
    );
    println!("  WAL at the kill    {:>10.1} MB", f("/walMb/atKill"));
    let tenths: Vec<String> = report["walMb"]["byTenth"]
        .as_array()
        .map(|sizes| sizes.iter().map(|size| format!("{size}")).collect())
        .unwrap_or_default();
    println!("  WAL by tenths      {:>10}   MB", tenths.join(" "));
    println!(
        "  log restarts       {:>10}   by the checkpointer, {} by writers past the hard bound",
        n("/logRestarts/byCheckpointer"),
        n("/logRestarts/byWriters")
    );
    println!(
        "  store held         {:>10.2} ms longest, {:.2} mean, per restart",
        f("/logRestarts/longestHoldMs"),
        f("/logRestarts/meanHoldMs")
    );
    println!(
        "  restart after kill {:>10.1} ms   (process start to /health answered)",
        f("/restartAfterKillMs")
    );
    if let Some(error) = report["firstError"].as_str() {
        println!("  first error: {error}");
    }
}
