//! `gsp check`: runs one script's configuration mode and N data runs through the runtime and
//! reports every problem a script author can fix, with line numbers and excerpts.
//!
//! Runs are back to back on a synthetic clock (each tick one period after the previous), so
//! `--runs 2` exercises `Difference` without waiting a period. For field-level checks the
//! command runs `-c` once more itself, since the runtime passes on only the parsed configuration.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{OsStr, OsString};
use std::io::{IsTerminal, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gsp::protocol::config::{parse_config, ConfigLimits};
use gsp::{
    Calctype, CommandLine, Diagnostic, DiagnosticKind, Mode, Options, Record, RunCost, Runtime,
    ScriptConfig, ScriptId, Severity,
};
use serde_json::{json, Value};

use crate::{jsonpos, lint, now_ms, stop_requested};

/// A run taking more than this share of its time limit gets a warning.
const SLOW_SHARE: f64 = 0.8;
/// Slack beyond a run's own limit before `gsp check` stops waiting for it.
const WAIT_SLACK: Duration = Duration::from_secs(30);

/// One problem (or notice) in the report.
#[derive(Debug, Clone)]
pub struct Finding {
    /// Error (fails the check), warning or info.
    pub severity: Severity,
    /// A stable snake_case name.
    pub kind: &'static str,
    /// Data runs it happened in (empty: the configuration or the script as a whole).
    pub runs: Vec<u32>,
    /// Whether it concerns configuration mode.
    pub config: bool,
    /// The 1-based line of the output at fault.
    pub line: Option<u64>,
    /// What is wrong and how to fix it.
    pub message: String,
    /// The output line at fault, when the message does not quote it.
    pub excerpt: Option<String>,
    /// The start of the runtime note this finding replaces (lint findings only).
    pub covers: Option<String>,
}

impl Finding {
    /// A finding without position.
    pub fn new(severity: Severity, kind: &'static str, message: String) -> Finding {
        Finding {
            severity,
            kind,
            runs: Vec::new(),
            config: false,
            line: None,
            message,
            excerpt: None,
            covers: None,
        }
    }
}

/// How a check went, phase by phase.
struct Report {
    script: String,
    runs_requested: u32,
    config: Option<Arc<ScriptConfig>>,
    config_cost: Option<RunCost>,
    data_runs: Vec<RunSummary>,
    findings: Vec<Finding>,
    interrupted: bool,
}

struct RunSummary {
    run: u32,
    /// The run itself failed (spawn, exit status, timeout, output cap): nothing was parsed.
    failed: bool,
    /// Error findings of the run (bad lines included).
    errors: usize,
    cost: Option<RunCost>,
    values: usize,
    events: usize,
}

impl Report {
    fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    fn exit_code(&self) -> u8 {
        u8::from(self.count(Severity::Error) > 0 || self.interrupted)
    }
}

/// Runs the check and prints the report; the exit status is 0 (clean or warnings only),
/// 1 (errors) or 2 (usage).
pub fn check(words: &[String], runs: u32, as_json: bool) -> ExitCode {
    // One argument is a command line like `gsp run` takes; several are words.
    let command = match words {
        [one] => one.clone(),
        many => shell_words::join(many),
    };
    if let Err(m) = CommandLine::parse(&command) {
        eprintln!(
            "gsp check: {m}; give the command line as one quoted argument or as separate words after --"
        );
        return ExitCode::from(2);
    }
    let report = match Checker::start(&command) {
        Ok(checker) => checker.run(runs),
        Err(e) => {
            eprintln!("gsp check: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let text = if as_json {
        let mut s = serde_json::to_string_pretty(&json_report(&report)).expect("JSON");
        s.push('\n');
        s
    } else {
        text_report(&report, use_colour())
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    ExitCode::from(report.exit_code())
}

/// Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org).
fn use_colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

struct Checker {
    rt: Runtime,
    id: ScriptId,
    command: String,
    options: Options,
}

/// The severity `gsp check` gives a runtime diagnostic: anything that loses data is an error
/// for a script author, even where the runtime delivers the rest as a warning.
fn check_severity(d: &Diagnostic) -> Severity {
    match d.kind {
        DiagnosticKind::LineInvalid
        | DiagnosticKind::UnknownMetric
        | DiagnosticKind::UnknownEvent
        | DiagnosticKind::UnknownDimension
        | DiagnosticKind::ConfigInvalid => Severity::Error,
        _ => d.severity,
    }
}

/// `line 4: reason` -> `reason` when the line is known separately.
fn strip_line_prefix(message: &str, line: Option<u64>) -> String {
    match line {
        Some(n) => message
            .strip_prefix(&format!("line {n}: "))
            .unwrap_or(message)
            .to_string(),
        None => message.to_string(),
    }
}

/// The line of a JSON syntax error from the runtime's message ("... at line 3, column 7: ...").
fn json_error_line(message: &str) -> Option<u64> {
    let rest = &message[message.find(" at line ")? + 9..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

impl Checker {
    fn start(command: &str) -> Result<Checker, gsp::Error> {
        let options = Options {
            worker_threads: 1,
            ..Options::default()
        };
        let rt = Runtime::new(options.clone())?;
        let id = rt.add_script(command)?;
        Ok(Checker {
            rt,
            id,
            command: command.to_string(),
            options,
        })
    }

    /// Ticks at `at_ms`, then collects records until `done_runs` runs of `mode` have finished.
    /// `None` when interrupted or when the run outlived `limit`.
    fn run_once(
        &self,
        at_ms: i64,
        mode: Mode,
        done_runs: u64,
        limit: Duration,
    ) -> Option<Vec<Record>> {
        let mut records = Vec::new();
        let start = Instant::now();
        self.rt.tick(at_ms);
        loop {
            if stop_requested() || start.elapsed() > limit {
                return None;
            }
            self.rt.wait(Duration::from_millis(50));
            let state = self.rt.script_state(self.id).ok()?;
            // Records of a counted run are already queued, so this drain holds all of them.
            let _ = self.rt.drain(usize::MAX, |r| records.push(r.clone()));
            let done = match mode {
                Mode::Config => state.config_runs_done,
                Mode::Data => state.data_runs_done,
            };
            if done >= done_runs && !state.running {
                return Some(records);
            }
        }
    }

    fn last_cost(&self) -> Option<RunCost> {
        self.rt.script_state(self.id).ok()?.last_run
    }

    fn run(self, runs: u32) -> Report {
        let mut report = Report {
            script: self.command.clone(),
            runs_requested: runs,
            config: None,
            config_cost: None,
            data_runs: Vec::new(),
            findings: Vec::new(),
            interrupted: false,
        };
        let t0 = now_ms();
        let config_limit = Duration::from_millis(u64::from(
            self.options.config_timeout_ms + self.options.kill_grace_ms,
        )) + WAIT_SLACK;
        let Some(records) = self.run_once(t0, Mode::Config, 1, config_limit) else {
            report.interrupted = true;
            return report;
        };
        report.config_cost = self.last_cost();
        let mut notes = Vec::new();
        for r in &records {
            match r {
                Record::Config(c) => report.config = Some(c.config.clone()),
                Record::Diagnostic(d) => notes.push(d.clone()),
                _ => {}
            }
        }
        self.config_findings(&mut report, notes);
        let Some(config) = report.config.clone() else {
            return report;
        };
        let period_ms = i64::from(config.period_s) * 1000;
        let data_limit = Duration::from_millis(u64::from(
            config.max_runtime_ms + self.options.kill_grace_ms,
        )) + WAIT_SLACK;
        let mut seen_metrics = BTreeSet::new();
        let mut seen_events = BTreeSet::new();
        let mut any_parsed = false;
        for k in 1..=runs {
            let at = t0 + i64::from(k - 1) * period_ms;
            let Some(records) = self.run_once(at, Mode::Data, u64::from(k), data_limit) else {
                report.interrupted = true;
                break;
            };
            let mut summary = RunSummary {
                run: k,
                failed: false,
                errors: 0,
                cost: self.last_cost(),
                values: 0,
                events: 0,
            };
            for r in &records {
                match r {
                    Record::Metric(m) => {
                        summary.values += 1;
                        seen_metrics.insert(m.metric_id);
                    }
                    Record::Event(e) => {
                        summary.events += 1;
                        seen_events.insert(e.event_id);
                    }
                    Record::Diagnostic(d) => {
                        let severity = check_severity(d);
                        summary.errors += usize::from(severity == Severity::Error);
                        summary.failed |= matches!(
                            d.kind,
                            DiagnosticKind::SpawnFailed
                                | DiagnosticKind::ExitStatus
                                | DiagnosticKind::Timeout
                                | DiagnosticKind::OutputTruncated
                        );
                        report.findings.push(Finding {
                            runs: vec![k],
                            line: d.line,
                            ..Finding::new(
                                severity,
                                d.kind.name(),
                                strip_line_prefix(&d.message, d.line),
                            )
                        });
                    }
                    Record::Config(_) => {}
                }
            }
            if let Some(cost) = summary.cost {
                slow_run(&mut report.findings, cost, config.max_runtime_ms, Some(k));
            }
            any_parsed |= !summary.failed;
            report.data_runs.push(summary);
        }
        // Unreported metrics only mean something when some run's output was parsed.
        if any_parsed && !report.interrupted {
            never_reported(&mut report, &config, &seen_metrics, &seen_events);
            // A script that declares metrics but delivers nothing at all fails the check, so the
            // exit status says whether it delivers data (Difference needs a second run first).
            let only_difference = config
                .metrics
                .iter()
                .all(|m| m.calctype == Calctype::Difference);
            if seen_metrics.is_empty()
                && seen_events.is_empty()
                && !config.metrics.is_empty()
                && !(only_difference && report.runs_requested == 1)
            {
                let runs = report.runs_requested;
                report.findings.push(Finding::new(
                    Severity::Error,
                    "no_data",
                    format!(
                        "no value and no event was delivered in {runs} data run(s): the script declares {} metric(s) but reports none",
                        config.metrics.len()
                    ),
                ));
            }
        }
        merge_repeated(&mut report.findings);
        report
    }

    /// Findings of the configuration run: the runtime's diagnostics, plus field checks on the
    /// raw output when a configuration came out.
    fn config_findings(&self, report: &mut Report, notes: Vec<Diagnostic>) {
        let mut lint_findings = Vec::new();
        let mut linted = false;
        if let Some(config) = &report.config {
            let limits = ConfigLimits {
                max_runtime_ms: self.options.max_runtime_ms,
                min_period_s: self.options.min_period_s,
            };
            let timeout = Duration::from_millis(u64::from(self.options.config_timeout_ms) * 5);
            match raw_config_output(&self.command, timeout) {
                Ok(raw) => {
                    let raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&raw);
                    let same = parse_config(raw, limits).is_ok_and(|(c, _)| c.json == config.json);
                    let text = String::from_utf8_lossy(raw);
                    match jsonpos::parse(&text) {
                        Some(doc) if same => {
                            lint_findings = lint::lint(&doc, &text, limits);
                            linted = true;
                        }
                        _ => report.findings.push(Finding {
                            config: true,
                            ..Finding::new(
                                Severity::Warning,
                                "config_changed",
                                format!("`{} -c` printed a different configuration when run again; field checks were skipped and the first one is used", self.command),
                            )
                        }),
                    }
                }
                Err(e) => report.findings.push(Finding {
                    config: true,
                    ..Finding::new(
                        Severity::Warning,
                        "config_rerun_failed",
                        format!(
                            "`{} -c` failed when run again ({e}); field checks were skipped",
                            self.command
                        ),
                    )
                }),
            }
        }
        for d in notes {
            let is_note = matches!(
                d.kind,
                DiagnosticKind::ValueClamped | DiagnosticKind::ConfigInvalid
            ) && d.severity < Severity::Error;
            if is_note && linted {
                let covered = lint_findings.iter().any(|f| {
                    f.covers
                        .as_deref()
                        .is_some_and(|c| d.message.starts_with(c))
                });
                if covered {
                    continue;
                }
            }
            let line = match d.kind {
                DiagnosticKind::ConfigInvalid => d.line.or_else(|| json_error_line(&d.message)),
                _ => d.line,
            };
            report.findings.push(Finding {
                config: true,
                line,
                ..Finding::new(check_severity(&d), d.kind.name(), d.message.clone())
            });
        }
        report.findings.extend(
            lint_findings
                .into_iter()
                .map(|f| Finding { config: true, ..f }),
        );
        if let (Some(cost), Some(_)) = (report.config_cost, &report.config) {
            slow_run(
                &mut report.findings,
                cost,
                self.options.config_timeout_ms,
                None,
            );
        }
        report
            .findings
            .sort_by_key(|f| (f.line.unwrap_or(0), std::cmp::Reverse(f.severity)));
    }
}

/// Runs `command -c` directly (not through the runtime) and returns its stdout.
fn raw_config_output(command: &str, timeout: Duration) -> Result<Vec<u8>, String> {
    const MAX: u64 = 4 * 1024 * 1024;
    let line = CommandLine::parse(command)?;
    let argv: Vec<OsString> = line
        .argv(Mode::Config)
        .iter()
        .map(|a| OsStr::from_bytes(a.to_bytes()).to_owned())
        .collect();
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| e.to_string())?;
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut stdout).take(MAX).read_to_end(&mut buf);
        let _ = tx.send(buf);
    });
    let start = Instant::now();
    let exited = || {
        // SAFETY: siginfo_t is plain data; WNOWAIT leaves the child unreaped.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
        // SAFETY: waits only for our own child, writing into `info`.
        unsafe {
            libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, flags) == 0
                && info.si_pid() != 0
        }
    };
    while !exited() && start.elapsed() < timeout {
        std::thread::sleep(Duration::from_millis(10));
    }
    // Not reaped yet, so the group id is still ours: kill helpers that hold stdout open.
    // SAFETY: signals the process group our child leads.
    unsafe { libc::kill(-pid, libc::SIGKILL) };
    let status = child.wait().map_err(|e| e.to_string())?;
    // A helper that left the process group (setsid) may still hold stdout.
    let out = rx
        .recv_timeout(Duration::from_secs(2))
        .map_err(|_| "a process it started kept its stdout open".to_string())?;
    if start.elapsed() >= timeout {
        return Err(format!(
            "it did not finish within {} ms",
            timeout.as_millis()
        ));
    }
    if !status.success() {
        return Err(format!("it {status}"));
    }
    Ok(out)
}

fn slow_run(findings: &mut Vec<Finding>, cost: RunCost, limit_ms: u32, run: Option<u32>) {
    let took = cost.duration.as_secs_f64() * 1000.0;
    let share = took / f64::from(limit_ms);
    if share <= SLOW_SHARE {
        return;
    }
    let (what, limit, fix) = match run {
        Some(_) => (
            "the run".to_string(),
            format!("maxruntime ({limit_ms} ms)"),
            "raise maxruntime or make the script faster: a run past it is killed and its output lost",
        ),
        None => (
            "the configuration run".to_string(),
            format!("the {limit_ms} ms limit of configuration mode"),
            "`-c` must print its JSON right away: move slow work to data mode",
        ),
    };
    findings.push(Finding {
        runs: run.into_iter().collect(),
        config: run.is_none(),
        ..Finding::new(
            Severity::Warning,
            "slow_run",
            format!(
                "{what} took {took:.0} ms, {:.0}% of {limit}; {fix}",
                share * 100.0
            ),
        )
    });
}

fn never_reported(
    report: &mut Report,
    config: &ScriptConfig,
    metrics: &BTreeSet<i64>,
    events: &BTreeSet<i64>,
) {
    let runs = report.runs_requested;
    let plural = if runs == 1 { "run" } else { "runs" };
    for m in config.metrics.iter().filter(|m| !metrics.contains(&m.id)) {
        let finding = if m.calctype == Calctype::Difference && runs == 1 {
            Finding::new(
                Severity::Info,
                "not_checked",
                format!(
                    "metric {} ({}) uses Difference, which reports from the second run on; check with --runs 2",
                    m.id, m.name
                ),
            )
        } else {
            let why = if m.calctype == Calctype::Difference {
                " (Difference reports once a series has two values; a COUNTER that went down is a reset)"
            } else {
                ""
            };
            Finding::new(
                Severity::Warning,
                "never_reported",
                format!(
                    "metric {} ({}) is declared but no value of it was delivered in {runs} {plural}{why}; print `M{} <value>` or remove it from the configuration",
                    m.id, m.name, m.id
                ),
            )
        };
        report.findings.push(finding);
    }
    for e in config.events.iter().filter(|e| !events.contains(&e.id)) {
        report.findings.push(Finding::new(
            Severity::Info,
            "event_not_seen",
            format!(
                "event {} ({}) did not occur in {runs} {plural} (fine if it is rare)",
                e.id, e.name
            ),
        ));
    }
}

/// The same problem in several data runs becomes one finding listing the runs.
fn merge_repeated(findings: &mut Vec<Finding>) {
    let mut merged: Vec<Finding> = Vec::with_capacity(findings.len());
    let mut index: BTreeMap<(bool, &'static str, Option<u64>, String), usize> = BTreeMap::new();
    for f in findings.drain(..) {
        if f.runs.is_empty() {
            merged.push(f);
            continue;
        }
        let key = (f.config, f.kind, f.line, f.message.clone());
        match index.get(&key) {
            Some(&i) => merged[i].runs.extend(f.runs),
            None => {
                index.insert(key, merged.len());
                merged.push(f);
            }
        }
    }
    *findings = merged;
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn where_of(f: &Finding) -> String {
    let runs = match f.runs.as_slice() {
        [] => String::new(),
        [one] => format!("data run {one}"),
        many => format!(
            "data runs {}",
            many.iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    match (f.config, f.line, runs.is_empty()) {
        (true, Some(n), _) => format!("configuration line {n}"),
        (true, None, _) => "configuration".into(),
        (false, Some(n), false) => format!("{runs}, line {n}"),
        (false, None, false) => runs,
        (false, Some(n), true) => format!("line {n}"),
        (false, None, true) => String::new(),
    }
}

fn json_report(r: &Report) -> Value {
    let cost = |c: &Option<RunCost>| match c {
        Some(c) => json!({
            "duration_ms": ms(c.duration),
            "cpu_ms": ms(c.cpu),
            "max_rss_kib": c.max_rss_kib,
        }),
        None => Value::Null,
    };
    let configuration = json!({
        "ok": r.config.is_some(),
        "cost": cost(&r.config_cost),
        "metrics": r.config.as_ref().map(|c| c.metrics.len()),
        "events": r.config.as_ref().map(|c| c.events.len()),
        "period_s": r.config.as_ref().map(|c| c.period_s),
        "maxruntime_ms": r.config.as_ref().map(|c| c.max_runtime_ms),
    });
    let runs: Vec<Value> = r
        .data_runs
        .iter()
        .map(|d| {
            json!({
                "run": d.run,
                "ok": !d.failed && d.errors == 0,
                "failed": d.failed,
                "cost": cost(&d.cost),
                "values": d.values,
                "events": d.events,
            })
        })
        .collect();
    let findings: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            json!({
                "severity": severity_name(f.severity),
                "kind": f.kind,
                "phase": if f.config { "config" } else if f.runs.is_empty() { "script" } else { "data" },
                "runs": f.runs,
                "line": f.line,
                "message": f.message,
                "excerpt": f.excerpt,
            })
        })
        .collect();
    json!({
        "script": r.script,
        "runs_requested": r.runs_requested,
        "configuration": configuration,
        "data_runs": runs,
        "findings": findings,
        "summary": {
            "errors": r.count(Severity::Error),
            "warnings": r.count(Severity::Warning),
            "infos": r.count(Severity::Info),
            "interrupted": r.interrupted,
            "ok": r.exit_code() == 0,
            "exit_code": r.exit_code(),
        },
    })
}

struct Paint(bool);

impl Paint {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "36",
        };
        self.paint(code, &format!("{:<7}", severity_name(s)))
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn text_report(r: &Report, colour: bool) -> String {
    use std::fmt::Write as _;
    let p = Paint(colour);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "gsp check `{}`: configuration and {}\n",
        r.script,
        plural(r.runs_requested as usize, "data run", "data runs")
    );
    let took = |c: &Option<RunCost>| {
        c.map(|c| format!(", {:.1} ms", ms(c.duration)))
            .unwrap_or_default()
    };
    match &r.config {
        Some(c) => {
            let _ = writeln!(
                out,
                "  configuration  {}{}: {}, {}; period {} s, maxruntime {} ms",
                p.paint("32", "ok"),
                took(&r.config_cost),
                plural(c.metrics.len(), "metric", "metrics"),
                plural(c.events.len(), "event", "events"),
                c.period_s,
                c.max_runtime_ms
            );
        }
        None if r.interrupted => {
            let _ = writeln!(out, "  configuration  {}", p.paint("1;31", "interrupted"));
        }
        None => {
            let _ = writeln!(
                out,
                "  configuration  {}{}: no data runs were made",
                p.paint("1;31", "failed"),
                took(&r.config_cost)
            );
        }
    }
    for d in &r.data_runs {
        let _ = writeln!(
            out,
            "  data run {:<5} {}{}: {}, {}",
            d.run,
            match (d.failed, d.errors) {
                (true, _) => p.paint("1;31", "failed"),
                (false, 0) => p.paint("32", "ok"),
                (false, n) => p.paint("1;31", &plural(n, "error", "errors")),
            },
            took(&d.cost),
            plural(d.values, "value", "values"),
            plural(d.events, "event", "events"),
        );
    }
    if r.interrupted && r.config.is_some() {
        let _ = writeln!(out, "  {}", p.paint("1;31", "interrupted"));
    }
    if !r.findings.is_empty() {
        out.push('\n');
    }
    for f in &r.findings {
        let place = where_of(f);
        let place = if place.is_empty() {
            String::new()
        } else {
            format!("{place}: ")
        };
        let _ = writeln!(out, "{} {place}{}", p.severity(f.severity), f.message);
        if let (Some(line), Some(text)) = (f.line, &f.excerpt) {
            let _ = writeln!(out, "{:>12} | {}", line, text);
        }
    }
    let errors = r.count(Severity::Error);
    let warnings = r.count(Severity::Warning);
    let verdict = if r.exit_code() == 0 {
        p.paint("1;32", "passed")
    } else {
        p.paint("1;31", "failed")
    };
    let _ = writeln!(
        out,
        "\n{verdict}: {}, {}",
        plural(errors, "error", "errors"),
        plural(warnings, "warning", "warnings")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_error_lines_and_prefixes() {
        assert_eq!(
            json_error_line(
                "`x -c`: configuration is not valid JSON at line 3, column 7: expected `,`"
            ),
            Some(3)
        );
        assert_eq!(json_error_line("no position"), None);
        assert_eq!(strip_line_prefix("line 4: bad: `M1`", Some(4)), "bad: `M1`");
        assert_eq!(strip_line_prefix("line 4: bad", None), "line 4: bad");
    }

    #[test]
    fn repeated_findings_merge_their_runs() {
        let f = |run: u32, msg: &str| Finding {
            runs: vec![run],
            line: Some(2),
            ..Finding::new(Severity::Error, "line_invalid", msg.into())
        };
        let mut v = vec![f(1, "a"), f(1, "b"), f(2, "a")];
        merge_repeated(&mut v);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].runs, [1, 2]);
        assert_eq!(where_of(&v[0]), "data runs 1, 2, line 2");
    }

    #[test]
    fn no_colour_without_terminal_codes() {
        assert_eq!(Paint(false).paint("31", "x"), "x");
        assert_eq!(Paint(true).paint("31", "x"), "\x1b[31mx\x1b[0m");
    }
}
