//! `linker bench wrk`: the hub's signed `pay` + `inquiryPayment` under an external load
//! generator, `wrk`, replaying requests signed in advance, so that none of the load's own RSA
//! work shares the machine's cores with the hub while it is measured.
//!
//! The hub runs as a process of its own (`linker hub serve`, this binary unless `--hub` names
//! another build) with its defaults: a durable SQLite file in a fresh data folder, the request log
//! on, `info` logging. The benchmark registers an ACQP, pays a few warm-up payments, and then
//! runs two passes, each prepared just before it (payment codes are valid for 60 s and each pay
//! needs a fresh `paymentRequestId`): it issues the codes, signs one `pay` per code and as many
//! `inquiryPayment`s (of the warm-up payments, by `paymentId`), writes them to one file per wrk
//! thread and replays them with `replay.lua`. The first pass runs flat out; the second is paced
//! at half the rate the first reached, for the latency under ordinary load. Every answer is
//! checked (HTTP 200, signed, `resultStatus` S).
//!
//! The figures: calls a second, latency, the hub process's CPU time per call (from
//! `/proc/<pid>/stat` before and after the pass), and the bound the RSA work alone sets: the hub
//! does one verify (the request) and one sign (the answer) per call, so with `cores` cores it
//! could answer at most `cores / (sign + verify)` calls a second. The RSA cost is timed in this
//! process before, between and after the passes, while the hub is idle, in CPU time of the timing
//! thread (`/proc/thread-self/schedstat`): like the hub's CPU per call, it does not change with
//! what else runs on the machine, so their ratio does not either (the calls a second do).
//!
//! With `--profile FILE`, a third pass at full rate runs under `perf record` (its figures are not
//! the measured ones: sampling costs the hub time), and the hub's CPU is split by what each sample
//! was doing: RSA, HTTP, JSON, SQLite, logging, allocation, the runtime, the hub's own code.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};

use super::wal::HubProcess;
use super::{
    CLIENT_ID, Client, INQUIRY, PAY, RSA_SLICE, RsaProbe, now_wire_time, pay_body, round2, round4,
    text,
};
use crate::Outcome;

/// The replayer, written next to the requests.
const REPLAY_LUA: &str = include_str!("replay.lua");
/// Warm-up payments, paid by signed calls before the passes; the inquiries ask for them.
const WARM_UP_PAYMENTS: usize = 64;
/// Requests prepared beyond what the RSA bound allows in a pass, so that none is sent twice.
const MARGIN: f64 = 1.25;
/// The share of the CPU per call the issue asks RSA to take (its 85 % of the RSA bound).
const GOAL: f64 = 0.85;
/// The p99 the issue asks for at half the load, in microseconds.
const P99_GOAL_US: u64 = 20_000;

/// Arguments of `linker bench wrk`.
#[derive(Debug, clap::Args)]
pub struct WrkBenchArgs {
    /// Seconds of each pass (payment codes are valid for 60 s: keep it short).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(2..=30))]
    seconds: u64,
    /// wrk's open connections.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1024))]
    connections: u32,
    /// wrk's threads (default: one).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    threads: u32,
    /// The linker binary to run the hub with (default: this one).
    #[arg(long, value_name = "PATH")]
    hub: Option<PathBuf>,
    /// Also run a pass under `perf record`, keep its data in FILE, and split the hub's CPU by
    /// what it was doing.
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs the benchmark and prints its figures.
pub fn run(args: &WrkBenchArgs) -> Result<Outcome> {
    if cfg!(debug_assertions) && args.hub.is_none() {
        eprintln!(
            "warning: this linker was built without optimizations and runs the hub; the figures \
             mean little (cargo build --release -p linker)"
        );
    }
    check_wrk()?;
    ensure!(
        args.connections >= args.threads,
        "--connections must be at least --threads"
    );
    let binary = match &args.hub {
        Some(path) => path.clone(),
        None => std::env::current_exe().context("cannot find this program's path")?,
    };
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let probe = RsaProbe::new()?;
    let mut tally = RsaCpu::default();
    tally.time(&probe)?;

    let data = tempfile::tempdir().context("cannot create a temporary data folder")?;
    let (hub, _) = HubProcess::start_with_log(&binary, data.path(), None)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the clients' runtime")?;
    let client = runtime.block_on(super::connect(&hub.base, data.path()))?;
    let warm_ids = runtime.block_on(warm_up(&client))?;
    let bench = Bench {
        args,
        runtime: &runtime,
        client: &client,
        warm_ids: &warm_ids,
        hub: &hub,
        work: data.path().join("wrk"),
    };
    std::fs::create_dir_all(&bench.work).context("cannot create the requests' folder")?;
    std::fs::write(bench.work.join("replay.lua"), REPLAY_LUA)
        .context("cannot write the replayer")?;

    let bound = tally.bound(cores);
    let full = bench.pass(1, bound, None, None)?;
    tally.time(&probe)?;
    let half_rate = full.throughput() / 2.0;
    let half = bench.pass(2, half_rate, Some(half_rate), None)?;
    tally.time(&probe)?;
    let profile = match &args.profile {
        Some(file) => Some(bench.profile(bound, file)?),
        None => None,
    };
    drop(runtime);
    drop(hub);

    let report = report(args, cores, &tally, &full, &half, profile.as_ref());
    super::print_report(&report, args.json, print_table)
}

/// The hub's RSA work per call (one sign of the answer, one verify of the request) in CPU time
/// of the timing thread, so that other work on the machine does not count in it.
#[derive(Debug, Default)]
struct RsaCpu {
    sign: Duration,
    verify: Duration,
    samples: u64,
}

impl RsaCpu {
    /// Signs for half of [`RSA_SLICE`], then verifies as many times, adding up the CPU time.
    fn time(&mut self, probe: &RsaProbe) -> Result<()> {
        let started = std::time::Instant::now();
        let before = thread_cpu().context("cannot read this thread's CPU time")?;
        let mut header = String::new();
        let mut count = 0u64;
        while started.elapsed() < RSA_SLICE / 2 {
            header = probe
                .signer
                .sign("POST", PAY, &probe.time, probe.body.as_bytes())
                .context("cannot sign")?
                .format();
            count += 1;
        }
        let signed = thread_cpu().context("cannot read this thread's CPU time")?;
        let content = linker_aplus::signature::SignedContent {
            method: "POST",
            path: PAY,
            client_id: CLIENT_ID,
            time: &probe.time,
            body: probe.body.as_bytes(),
        };
        for _ in 0..count {
            probe
                .verifier
                .verify_header(&content, &header)
                .context("a fresh signature does not verify")?;
        }
        let verified = thread_cpu().context("cannot read this thread's CPU time")?;
        self.sign += signed.saturating_sub(before);
        self.verify += verified.saturating_sub(signed);
        self.samples += count;
        Ok(())
    }

    fn sign_us(&self) -> f64 {
        self.sign.as_secs_f64() * 1e6 / self.samples.max(1) as f64
    }

    fn verify_us(&self) -> f64 {
        self.verify.as_secs_f64() * 1e6 / self.samples.max(1) as f64
    }

    /// Calls a second the hub's RSA work alone would allow on `cores` cores.
    fn bound(&self, cores: usize) -> f64 {
        cores as f64 * 1e6 / (self.sign_us() + self.verify_us()).max(f64::EPSILON)
    }
}

/// CPU time this thread has run: the first field of `/proc/thread-self/schedstat`, in
/// nanoseconds.
fn thread_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// `wrk` must be on the PATH; the error says how to get it.
fn check_wrk() -> Result<()> {
    match Command::new("wrk")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => bail!(
            "this benchmark needs the load generator wrk (https://github.com/wg/wrk): \
             apt-get install wrk (Debian, Ubuntu), brew install wrk (macOS)"
        ),
        Err(error) => Err(error).context("cannot run wrk"),
    }
}

/// Pays the warm-up payments (signed calls, answers verified); returns their `paymentId`s.
async fn warm_up(client: &Arc<Client>) -> Result<Vec<String>> {
    client
        .pre_issue(WARM_UP_PAYMENTS, 8)
        .await
        .context("cannot issue the warm-up payment codes")?;
    let mut ids = Vec::with_capacity(WARM_UP_PAYMENTS);
    for index in 0..WARM_UP_PAYMENTS {
        let code = client
            .lock_codes()
            .pop()
            .map(|(code, _)| code)
            .context("a warm-up code is missing")?;
        let (answer, _) = client
            .call(PAY, pay_body(&format!("warm-{index}"), &code).to_string())
            .await
            .context("warm-up pay")?;
        ensure!(
            answer.pointer("/result/resultStatus") == Some(&json!("S")),
            "the warm-up pay did not succeed: {answer}"
        );
        ids.push(text(&answer, "paymentId")?);
    }
    Ok(ids)
}

/// What the passes share.
struct Bench<'a> {
    args: &'a WrkBenchArgs,
    runtime: &'a tokio::runtime::Runtime,
    client: &'a Arc<Client>,
    warm_ids: &'a [String],
    hub: &'a HubProcess,
    work: PathBuf,
}

/// What wrk and the hub's CPU time said about one pass.
#[derive(Debug, Clone)]
struct Pass {
    /// Requests prepared (pay + inquiryPayment).
    prepared: usize,
    /// The pace asked for, calls a second (none: flat out).
    rate: Option<f64>,
    /// wrk's `LINKER-WRK` line.
    wrk: Value,
    /// The hub process's CPU time (user + system) during the pass.
    hub_cpu: Option<Duration>,
    /// The machine's load average (1 minute) at the end of the pass.
    load_average: Option<f64>,
}

impl Pass {
    fn requests(&self) -> u64 {
        self.wrk["requests"].as_u64().unwrap_or(0)
    }

    fn throughput(&self) -> f64 {
        let seconds = self.wrk["durationUs"].as_f64().unwrap_or(0.0) / 1e6;
        self.requests() as f64 / seconds.max(f64::EPSILON)
    }

    fn cpu_us_per_call(&self) -> Option<f64> {
        let calls = self.requests();
        self.hub_cpu
            .filter(|_| calls > 0)
            .map(|cpu| cpu.as_secs_f64() * 1e6 / calls as f64)
    }
}

impl Bench<'_> {
    /// Prepares the requests for a pass at up to `rate` calls a second and replays them, paced
    /// at `pace` when given, with `beside` (a sampler such as `perf record`, given `-p <hub>`)
    /// run on the hub meanwhile.
    fn pass(
        &self,
        number: u32,
        rate: f64,
        pace: Option<f64>,
        beside: Option<&[&str]>,
    ) -> Result<Pass> {
        let seconds = self.args.seconds as f64;
        let pays = ((rate * seconds / 2.0 * MARGIN).ceil() as usize).max(64);
        let prepared = self.prepare(number, pays)?;
        let cpu_before = super::cpu_time_of(&format!("/proc/{}/stat", self.hub.pid()));
        let mut sampler = match beside {
            Some(command) => Some(
                Command::new(command[0])
                    .args(&command[1..])
                    .arg("-p")
                    .arg(self.hub.pid().to_string())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .with_context(|| format!("cannot start {}", command[0]))?,
            ),
            None => None,
        };
        let wrk = self.wrk(pace);
        let cpu_after = super::cpu_time_of(&format!("/proc/{}/stat", self.hub.pid()));
        if let Some(sampler) = &mut sampler {
            // perf writes its data on SIGINT.
            let _ = Command::new("kill")
                .args(["-INT", &sampler.id().to_string()])
                .status();
            let _ = sampler.wait();
        }
        let wrk = wrk?;
        Ok(Pass {
            prepared,
            rate: pace,
            wrk,
            hub_cpu: cpu_after
                .zip(cpu_before)
                .map(|(after, before)| after.saturating_sub(before)),
            load_average: load_average(),
        })
    }

    /// Issues `pays` payment codes and writes `pays` signed pays and as many inquiries, spread
    /// over one file per wrk thread; returns how many requests it wrote.
    fn prepare(&self, number: u32, pays: usize) -> Result<usize> {
        let client = self.client;
        client.lock_codes().clear();
        self.runtime
            .block_on(client.pre_issue(pays, 8))
            .context("cannot issue payment codes")?;
        let codes: Vec<String> = client
            .lock_codes()
            .drain(..)
            .map(|(code, _)| code)
            .collect();
        let threads = self.args.threads as usize;
        let host = self.hub.base.trim_start_matches("http://").to_owned();
        let files: Vec<Vec<u8>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|thread| {
                    let (codes, host) = (&codes, &host);
                    scope.spawn(move || -> Result<Vec<u8>> {
                        let mut file = Vec::new();
                        for (index, code) in codes.iter().enumerate().skip(thread).step_by(threads)
                        {
                            let id = format!("wrk-{number}-{index}");
                            let pay = pay_body(&id, code).to_string();
                            let warm = &self.warm_ids[index % self.warm_ids.len()];
                            let inquiry = json!({ "paymentId": warm }).to_string();
                            file.extend(signed_request(client, host, PAY, &pay)?);
                            file.push(0);
                            file.extend(signed_request(client, host, INQUIRY, &inquiry)?);
                            file.push(0);
                        }
                        Ok(file)
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|worker| {
                    worker
                        .join()
                        .map_err(|_| anyhow::anyhow!("a signing thread panicked"))?
                })
                .collect::<Result<Vec<_>>>()
        })?;
        for (thread, file) in files.iter().enumerate() {
            std::fs::write(self.work.join(format!("requests-{thread}.bin")), file)
                .context("cannot write the signed requests")?;
        }
        Ok(codes.len() * 2)
    }

    /// Runs wrk on the prepared requests; returns its `LINKER-WRK` line.
    fn wrk(&self, pace: Option<f64>) -> Result<Value> {
        let output = Command::new("wrk")
            .arg("-t")
            .arg(self.args.threads.to_string())
            .arg("-c")
            .arg(self.args.connections.to_string())
            .arg("-d")
            .arg(format!("{}s", self.args.seconds))
            .arg("--timeout")
            .arg("10s")
            .arg("-s")
            .arg(self.work.join("replay.lua"))
            .arg(&self.hub.base)
            .env("LINKER_WRK_DIR", &self.work)
            .env("LINKER_WRK_THREADS", self.args.threads.to_string())
            .env(
                "LINKER_WRK_RATE",
                pace.map_or(0.0, |rate| rate.round()).to_string(),
            )
            .stdin(Stdio::null())
            .output()
            .context("cannot run wrk")?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout
            .lines()
            .find_map(|line| line.strip_prefix("LINKER-WRK "))
            .with_context(|| {
                format!(
                    "wrk gave no figures (exit {}): {}{}",
                    output.status,
                    stdout,
                    String::from_utf8_lossy(&output.stderr)
                )
            })?;
        serde_json::from_str(line).with_context(|| format!("wrk's figures are not JSON: {line}"))
    }

    /// A pass at full rate under `perf record`, its samples split by what the hub was doing.
    fn profile(&self, bound: f64, file: &Path) -> Result<Value> {
        let output = file
            .to_str()
            .context("the profile's path is not UTF-8")?
            .to_owned();
        let command = [
            "perf",
            "record",
            "-e",
            "cpu-clock",
            "-F",
            "499",
            "--call-graph",
            "dwarf,16384",
            "-o",
            &output,
        ];
        let pass = self.pass(3, bound, None, Some(&command))?;
        let split = split_profile(file)?;
        let per_call = pass.cpu_us_per_call().unwrap_or(0.0);
        let samples: u64 = split.values().sum();
        let categories: serde_json::Map<String, Value> = split
            .iter()
            .map(|(name, &count)| {
                let share = count as f64 / samples.max(1) as f64;
                (
                    name.clone(),
                    json!({
                        "samples": count,
                        "share": round4(share),
                        "usPerCall": round2(share * per_call),
                    }),
                )
            })
            .collect();
        Ok(json!({
            "file": output,
            "samples": samples,
            "throughputOpsPerSec": round2(pass.throughput()),
            "cpuUsPerCall": round2(per_call),
            "categories": categories,
            "howTo": format!("perf report -i {output} --no-children --sort dso,sym"),
        }))
    }
}

/// One complete HTTP/1.1 request, signed now.
fn signed_request(client: &Client, host: &str, path: &str, body: &str) -> Result<Vec<u8>> {
    let time = now_wire_time();
    let signature = client
        .signer
        .sign("POST", path, &time, body.as_bytes())
        .context("cannot sign a request")?
        .format();
    let mut request = Vec::with_capacity(body.len() + signature.len() + 256);
    write!(
        request,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json; charset=UTF-8\r\n\
         Client-Id: {CLIENT_ID}\r\nRequest-Time: {time}\r\nSignature: {signature}\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .context("cannot write a request")?;
    Ok(request)
}

/// The machine's load average over the last minute.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// What a profile's samples were doing, by category: for each sample, the first frame from the
/// innermost out that belongs to a known part names it.
fn split_profile(file: &Path) -> Result<BTreeMap<String, u64>> {
    let output = Command::new("perf")
        .args(["script", "--no-inline", "-F", "ip,sym", "-i"])
        .arg(file)
        .stderr(Stdio::null())
        .output()
        .context("cannot run perf script")?;
    ensure!(
        output.status.success(),
        "perf script failed on {}",
        file.display()
    );
    let script = String::from_utf8_lossy(&output.stdout);
    let mut split = BTreeMap::new();
    for sample in script.split("\n\n") {
        let frames: Vec<&str> = sample
            .lines()
            .filter_map(|line| line.split_whitespace().nth(1))
            .collect();
        if frames.is_empty() {
            continue;
        }
        let category = frames
            .iter()
            .find_map(|frame| category(frame))
            .unwrap_or("other");
        *split.entry(category.to_owned()).or_insert(0) += 1;
    }
    Ok(split)
}

/// The part of the hub a (demangled) function belongs to, when it is a known one.
fn category(function: &str) -> Option<&'static str> {
    const ALLOCATION: &[&str] = &[
        "mi_",
        "_mi_",
        "malloc",
        "free",
        "realloc",
        "calloc",
        "cfree",
        "__rust_alloc",
        "__rust_dealloc",
        "__rust_realloc",
        "alloc::raw_vec",
    ];
    if ALLOCATION.iter().any(|prefix| function.starts_with(prefix)) {
        return Some("allocation");
    }
    let contains = |parts: &[&str]| parts.iter().any(|part| function.contains(part));
    if contains(&[
        "aws_lc",
        "linker_aplus::signature",
        "linker_aplus::keys",
        "ring::",
    ]) {
        Some("rsa")
    } else if contains(&[
        "sqlite3",
        "rusqlite",
        "linker_hub::store",
        "linker_base::sqlite",
    ]) {
        Some("sqlite")
    } else if contains(&["serde_json", "serde::"]) {
        Some("json")
    } else if contains(&["tracing"]) {
        Some("logging")
    } else if contains(&[
        "hyper",
        "axum",
        "tower",
        "http::",
        "httparse",
        "linker_hub::api",
        "linker_hub::server",
    ]) {
        Some("http")
    } else if contains(&["tokio", "mio::", "std::thread", "futex"]) {
        Some("runtime")
    } else if contains(&["linker_hub", "linker_aplus", "linker_cases", "chrono"]) {
        Some("hub")
    } else {
        None
    }
}

fn report(
    args: &WrkBenchArgs,
    cores: usize,
    tally: &RsaCpu,
    full: &Pass,
    half: &Pass,
    profile: Option<&Value>,
) -> Value {
    // The hub's share of a call's RSA: one verify and one sign.
    let rsa_per_call = tally.sign_us() + tally.verify_us();
    let bound = tally.bound(cores);
    let pass = |pass: &Pass| {
        let cpu = pass.cpu_us_per_call();
        json!({
            "rate": pass.rate.map(round2),
            "prepared": pass.prepared,
            "requests": pass.requests(),
            "seconds": round2(pass.wrk["durationUs"].as_f64().unwrap_or(0.0) / 1e6),
            "throughputOpsPerSec": round2(pass.throughput()),
            "latencyUs": {
                "p50": pass.wrk["p50Us"], "p90": pass.wrk["p90Us"], "p99": pass.wrk["p99Us"],
                "max": pass.wrk["maxUs"], "mean": pass.wrk["meanUs"],
            },
            "failed": pass.wrk["failed"],
            "wrapped": pass.wrk["wrapped"],
            "socketErrors": pass.wrk["socketErrors"],
            "hubCpuUsPerCall": cpu.map(round2),
            "hubCoresUsed": pass.hub_cpu.map(|cpu| {
                round2(cpu.as_secs_f64() / (pass.wrk["durationUs"].as_f64().unwrap_or(1.0) / 1e6))
            }),
            "rsaShareOfCpu": cpu.map(|cpu| round4(rsa_per_call / cpu)),
            "loadAverage": pass.load_average,
        })
    };
    let ratio = full.throughput() / bound;
    let cpu_ratio = full.cpu_us_per_call().map(|cpu| rsa_per_call / cpu);
    let half_p99 = half.wrk["p99Us"].as_u64().unwrap_or(u64::MAX);
    json!({
        "optimized": !cfg!(debug_assertions),
        "cores": cores,
        "connections": args.connections,
        "threads": args.threads,
        "rsa": {
            "signCpuUs": round2(tally.sign_us()),
            "verifyCpuUs": round2(tally.verify_us()),
            "perCallCpuUs": round2(rsa_per_call),
            "samples": tally.samples,
        },
        "boundOpsPerSec": round2(bound),
        "full": pass(full),
        "half": pass(half),
        "ratio": round4(ratio),
        "cpuRatio": cpu_ratio.map(round4),
        "goal": GOAL,
        "meetsGoal": ratio >= GOAL,
        "p99GoalUs": P99_GOAL_US,
        "meetsP99Goal": half_p99 < P99_GOAL_US,
        "profile": profile,
    })
}

fn print_table(report: &Value) {
    let f = |path: &str| report.pointer(path).and_then(Value::as_f64).unwrap_or(0.0);
    let n = |path: &str| report.pointer(path).and_then(Value::as_u64).unwrap_or(0);
    println!("Linker hub under wrk: pre-signed pay + inquiryPayment, hub in its own process");
    if report["optimized"] != Value::Bool(true) {
        println!("  (UNOPTIMIZED BUILD: the figures mean little)");
    }
    println!(
        "  RSA-2048           {:>10.1} µs sign, {:.1} µs verify (CPU time, {} samples)",
        f("/rsa/signCpuUs"),
        f("/rsa/verifyCpuUs"),
        n("/rsa/samples")
    );
    println!(
        "  RSA bound          {:>10.1} calls/s   ({} cores / (sign + verify))",
        f("/boundOpsPerSec"),
        n("/cores"),
    );
    for (name, label) in [("full", "flat out"), ("half", "half rate")] {
        println!(
            "  {label:<18} {:>10.1} calls/s   ({} calls in {:.1} s; {} failed, {} wrapped, \
             {} socket errors; load average {:.2})",
            f(&format!("/{name}/throughputOpsPerSec")),
            n(&format!("/{name}/requests")),
            f(&format!("/{name}/seconds")),
            n(&format!("/{name}/failed")),
            n(&format!("/{name}/wrapped")),
            n(&format!("/{name}/socketErrors")),
            f(&format!("/{name}/loadAverage")),
        );
        println!(
            "    latency          {:>10.2} ms p50, {:.2} p90, {:.2} p99, {:.2} max",
            f(&format!("/{name}/latencyUs/p50")) / 1000.0,
            f(&format!("/{name}/latencyUs/p90")) / 1000.0,
            f(&format!("/{name}/latencyUs/p99")) / 1000.0,
            f(&format!("/{name}/latencyUs/max")) / 1000.0,
        );
        println!(
            "    hub CPU          {:>10.1} µs per call   (RSA {:.1} % of it; {:.2} cores used)",
            f(&format!("/{name}/hubCpuUsPerCall")),
            f(&format!("/{name}/rsaShareOfCpu")) * 100.0,
            f(&format!("/{name}/hubCoresUsed")),
        );
    }
    println!(
        "  ratio              {:>10.1} %    of the RSA bound (goal {:.0} %: {}); p99 at half rate \
         {}",
        f("/ratio") * 100.0,
        GOAL * 100.0,
        if report["meetsGoal"] == Value::Bool(true) {
            "met"
        } else {
            "NOT met"
        },
        if report["meetsP99Goal"] == Value::Bool(true) {
            "under 20 ms"
        } else {
            "NOT under 20 ms"
        }
    );
    if let Some(categories) = report
        .pointer("/profile/categories")
        .and_then(Value::as_object)
    {
        println!(
            "  profile            {:>10} samples, {:.1} µs per call under perf ({})",
            n("/profile/samples"),
            f("/profile/cpuUsPerCall"),
            report["profile"]["howTo"].as_str().unwrap_or_default()
        );
        for (name, figures) in categories {
            println!(
                "    {name:<16} {:>10.1} µs per call   ({:.1} %)",
                figures["usPerCall"].as_f64().unwrap_or(0.0),
                figures["share"].as_f64().unwrap_or(0.0) * 100.0
            );
        }
    }
}
