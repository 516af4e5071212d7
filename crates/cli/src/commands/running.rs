//! What `linker run` and `linker demo --run` share: the runner options, progress on a terminal
//! or in CI logs, the operator on a terminal, and writing the report.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, Result};
use linker_cases::report::{Report, RunReport, outcome_word, to_html, to_json, to_junit};
use linker_runner::{Operator, Progress, RunnerConfig};
use linker_wallet::CaseEntry;

use crate::Outcome;

/// The report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// JUnit XML, for CI.
    Junit,
    /// JSON with every exchange as evidence.
    Json,
    /// One self-contained HTML page.
    Html,
}

/// Options of a run that `run` and `demo --run` share.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Cases to run: ids or prefixes with `*`, comma-separated (default: every runnable
    /// assigned case).
    #[arg(long, value_delimiter = ',')]
    pub cases: Vec<String>,
    /// The report to write.
    #[arg(long, value_enum)]
    pub report: Option<ReportFormat>,
    /// Where to write the report (standard output when absent).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The amount of each sale, e.g. "HKD 12.34" (default 12.34 in the POS's currency).
    #[arg(long)]
    pub amount: Option<String>,
    /// How long UPM-06's pay answer is held, in seconds (the hub's default is 30).
    #[arg(long)]
    pub slow_answer_secs: Option<u64>,
}

impl RunArgs {
    /// The runner's configuration.
    pub fn config(&self) -> Result<RunnerConfig> {
        let amount = self
            .amount
            .as_deref()
            .map(|text| {
                text.parse::<linker_aplus::Amount>().map_err(|error| {
                    anyhow::anyhow!("--amount {text:?}: {error} (write e.g. \"HKD 12.34\")")
                })
            })
            .transpose()?;
        Ok(RunnerConfig {
            cases: self.cases.clone(),
            amount,
            slow_answer_secs: self.slow_answer_secs,
            ..RunnerConfig::default()
        })
    }

    /// Writes the report as asked, prints the summary, and says how the run ended.
    pub fn finish(&self, report: &Report) -> Result<Outcome> {
        if let Some(format) = self.report {
            let text = match format {
                ReportFormat::Junit => to_junit(report),
                ReportFormat::Json => to_json(report),
                ReportFormat::Html => to_html(report),
            };
            match &self.out {
                Some(path) => {
                    std::fs::write(path, text).with_context(|| {
                        format!("cannot write the report to {}", path.display())
                    })?;
                    eprintln!("report written to {}", path.display());
                }
                None => {
                    let mut stdout = std::io::stdout();
                    stdout.write_all(text.as_bytes())?;
                    stdout.flush()?;
                }
            }
        }
        let counts = report.counts();
        let elapsed_ms: u64 = report.runs.iter().filter_map(|run| run.elapsed_ms).sum();
        eprintln!(
            "{} cases: {} passed, {} failed, {} broken, {} skipped ({:.1} s of runs)",
            counts.total(),
            counts.passed,
            counts.failed,
            counts.broken,
            counts.skipped,
            elapsed_ms as f64 / 1000.0
        );
        for run in report.runs_failures_first() {
            if run.outcome != linker_cases::Outcome::Passed {
                eprintln!(
                    "  {} {}: {}",
                    run.case.id,
                    outcome_word(run.outcome).to_uppercase(),
                    run.summary
                );
            }
        }
        Ok(if counts.total() > 0 && counts.passed == counts.total() {
            Outcome::Success
        } else {
            Outcome::Negative
        })
    }
}

/// Progress: a bar redrawn in place on a terminal, plain lines otherwise (CI logs).
pub struct TerminalProgress {
    bar: bool,
    state: Mutex<(usize, usize, String)>,
}

impl TerminalProgress {
    /// Progress on standard error, as a bar when it is a terminal.
    pub fn new() -> TerminalProgress {
        TerminalProgress {
            bar: std::io::stderr().is_terminal(),
            state: Mutex::new((0, 0, String::new())),
        }
    }

    fn draw(&self, text: &str) {
        let Ok(state) = self.state.lock() else {
            return;
        };
        let (index, total, case) = &*state;
        let width = 20;
        let done = if *total == 0 {
            0
        } else {
            (index.saturating_sub(1)) * width / total
        };
        let line = format!(
            "[{}{}] {index}/{total} {case}: {text}",
            "#".repeat(done),
            ".".repeat(width - done)
        );
        let shown: String = line.chars().take(110).collect();
        eprint!("\r\x1b[2K{shown}");
    }
}

impl Default for TerminalProgress {
    fn default() -> TerminalProgress {
        TerminalProgress::new()
    }
}

impl Progress for TerminalProgress {
    fn case_started(&self, index: usize, total: usize, case: &CaseEntry) {
        if let Ok(mut state) = self.state.lock() {
            *state = (index, total, case.id.clone());
        }
        if self.bar {
            self.draw(&case.title);
        } else {
            eprintln!("[{index}/{total}] {} {}: started", case.id, case.title);
        }
    }

    fn note(&self, case_id: &str, text: &str) {
        if self.bar {
            self.draw(text);
        } else {
            eprintln!("      {case_id}: {text}");
        }
    }

    fn case_finished(&self, index: usize, total: usize, run: &RunReport) {
        if self.bar {
            eprint!("\r\x1b[2K");
        }
        eprintln!(
            "[{index}/{total}] {} {}{}: {}",
            run.case.id,
            outcome_word(run.outcome).to_uppercase(),
            linker_runner::elapsed_text(run),
            run.summary
        );
    }
}

/// The operator at the terminal: reads answers from standard input, waiting at most
/// `timeout` for each.
pub struct TerminalOperator {
    timeout: Duration,
}

impl TerminalOperator {
    /// An operator when standard input is a terminal.
    pub fn if_terminal(timeout: Duration) -> Option<TerminalOperator> {
        std::io::stdin()
            .is_terminal()
            .then_some(TerminalOperator { timeout })
    }

    fn line(&self, prompt: &str) -> Result<String, String> {
        eprint!("\n>>> {prompt}\n    ");
        let _ = std::io::stderr().flush();
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let read = std::io::stdin().read_line(&mut line).map(|_| line);
            let _ = send.send(read);
        });
        let timeout = self.timeout;
        tokio::task::block_in_place(|| match receive.recv_timeout(timeout) {
            Ok(Ok(line)) => Ok(line.trim().to_owned()),
            Ok(Err(error)) => Err(format!("cannot read the answer: {error}")),
            Err(_) => Err(format!(
                "no answer within {} s: {prompt}",
                timeout.as_secs()
            )),
        })
    }
}

impl Operator for TerminalOperator {
    fn act(&self, instruction: &str) -> Result<(), String> {
        self.line(&format!("{instruction}\n    Press Enter when done."))
            .map(|_| ())
    }

    fn ask(&self, question: &str) -> Result<bool, String> {
        loop {
            let answer = self.line(&format!("{question} [y/n]"))?;
            match answer.to_ascii_lowercase().as_str() {
                "y" | "yes" => return Ok(true),
                "n" | "no" => return Ok(false),
                _ => eprintln!("    please answer y or n"),
            }
        }
    }

    fn read(&self, prompt: &str) -> Result<String, String> {
        let text = self.line(prompt)?;
        if text.is_empty() {
            Err(format!("nothing was entered for: {prompt}"))
        } else {
            Ok(text)
        }
    }
}
