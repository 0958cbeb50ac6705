//! Running the check: configuration mode once, then data mode run after run on a synthetic clock
//! (each tick one period after the previous, so `--runs 2` exercises `Difference` without
//! waiting a period), turning the runtime's records into findings.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gsp::protocol::config::ConfigNote;
use gsp::{
    Diagnostic, DiagnosticKind, Options, Record, RunCost, Runtime, ScriptConfig, ScriptId, Severity,
};

use super::{merge_repeated, script_file, Finding, Report, RunSummary};
use crate::{lint, now_ms, stop_requested};

/// A run taking more than this share of its time limit gets a warning.
const SLOW_SHARE: f64 = 0.8;
/// Slack beyond a run's own limit before `gsp check` stops waiting for it.
const WAIT_SLACK: Duration = Duration::from_secs(30);

pub struct Checker {
    rt: Runtime,
    id: ScriptId,
    command: String,
    options: Options,
}

/// A finding from a runtime diagnostic, at the runtime's severity.
fn from_diagnostic(d: &Diagnostic) -> Finding {
    Finding {
        line: d.line,
        ..Finding::new(d.severity, d.kind.name(), d.message.clone())
    }
}

/// A finding from one of the parser's notes about the configuration.
fn from_note(n: &ConfigNote) -> Finding {
    Finding {
        config: true,
        line: n.line,
        column: n.column,
        path: (!n.path.is_empty()).then(|| n.path.clone()),
        ..Finding::new(n.severity, n.rule, n.message.clone())
    }
}

/// Whether a run of this diagnostic's kind failed as a whole (nothing was parsed).
fn run_failed(kind: DiagnosticKind) -> bool {
    matches!(
        kind,
        DiagnosticKind::SpawnFailed
            | DiagnosticKind::ExitStatus
            | DiagnosticKind::Timeout
            | DiagnosticKind::ConfigTimeout
            | DiagnosticKind::OutputTruncated
    )
}

impl Checker {
    /// A runtime with `options` and the script added (`InvalidArgument` for a bad command line).
    pub fn start(command: &str, options: Options) -> Result<Checker, gsp::Error> {
        let rt = Runtime::new(options.clone())?;
        let id = rt.add_script(command)?;
        Ok(Checker {
            rt,
            id,
            command: command.to_string(),
            options,
        })
    }

    /// Ticks at `at_ms`, then collects records until `done` runs of configuration mode
    /// (`config`) or data mode have finished. `None` when interrupted or past `limit`.
    fn run_once(
        &self,
        at_ms: i64,
        config: bool,
        done: u64,
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
            let runs = if config {
                state.config_runs_done
            } else {
                state.data_runs_done
            };
            if runs >= done && !state.running {
                return Some(records);
            }
        }
    }

    fn last_cost(&self) -> Option<RunCost> {
        self.rt.script_state(self.id).ok()?.last_run
    }

    pub fn run(self, runs: u32) -> Report {
        let mut report = Report {
            script: self.command.clone(),
            runs_requested: runs,
            config: None,
            config_cost: None,
            data_runs: Vec::new(),
            findings: Vec::new(),
            interrupted: false,
            strict: false,
        };
        let t0 = now_ms();
        let config_limit = Duration::from_millis(u64::from(
            self.options.config_timeout_ms + self.options.kill_grace_ms,
        )) + WAIT_SLACK;
        let Some(records) = self.run_once(t0, true, 1, config_limit) else {
            report.interrupted = true;
            return report;
        };
        report.config_cost = self.last_cost();
        self.config_findings(&mut report, &records);
        let Some(config) = report.config.clone() else {
            return report;
        };
        self.data_runs(&mut report, &config, t0);
        merge_repeated(&mut report.findings);
        report
    }

    /// Findings of the configuration run: the parser's notes when a configuration came out
    /// (they are what its notes-as-diagnostics say, with positions and advice), the runtime's
    /// other diagnostics, and why the script file cannot start when it cannot.
    fn config_findings(&self, report: &mut Report, records: &[Record]) {
        let config = records.iter().find_map(|r| match r {
            Record::Config(c) => Some(c.config.clone()),
            _ => None,
        });
        let mut findings = Vec::new();
        for d in records.iter().filter_map(|r| match r {
            Record::Diagnostic(d) => Some(d),
            _ => None,
        }) {
            let is_note = matches!(
                d.kind,
                DiagnosticKind::ValueClamped | DiagnosticKind::ConfigInvalid
            );
            if is_note && config.is_some() {
                continue; // the same note is in config.notes, with its position
            }
            let mut f = Finding {
                config: true,
                ..from_diagnostic(d)
            };
            let cannot_start = d.kind == DiagnosticKind::SpawnFailed
                || d.kind == DiagnosticKind::ExitStatus && d.exit_code == Some(127);
            if cannot_start {
                let defects = script_file::defects(&self.command);
                if !defects.is_empty() {
                    f.message = format!(
                        "{}. Everything that stops the file from running: {}",
                        f.message.trim_end_matches('.'),
                        script_file::numbered(&defects)
                    );
                }
            }
            findings.push(f);
        }
        if let Some(config) = &config {
            findings.extend(config.notes.iter().map(from_note));
            findings.extend(lint::configuration(config));
            if let Some(cost) = report.config_cost {
                slow_run(&mut findings, cost, self.options.config_timeout_ms, None);
            }
        }
        findings.sort_by_key(|f| (f.line.unwrap_or(0), std::cmp::Reverse(f.severity)));
        report.findings.extend(findings);
        report.config = config;
    }

    fn data_runs(&self, report: &mut Report, config: &Arc<ScriptConfig>, t0: i64) {
        let period_ms = i64::from(config.period_s) * 1000;
        let data_limit = Duration::from_millis(u64::from(
            config.max_runtime_ms + self.options.kill_grace_ms,
        )) + WAIT_SLACK;
        let mut seen_metrics = BTreeSet::new();
        let mut seen_events = BTreeSet::new();
        let mut any_parsed = false;
        for k in 1..=report.runs_requested {
            let at = t0 + i64::from(k - 1) * period_ms;
            let Some(records) = self.run_once(at, false, u64::from(k), data_limit) else {
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
            let mut findings = Vec::new();
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
                        summary.failed |= run_failed(d.kind);
                        findings.push(from_diagnostic(d));
                    }
                    Record::Config(_) => {}
                }
            }
            findings.extend(lint::failure_markers(config, &records));
            if let Some(cost) = summary.cost {
                slow_run(&mut findings, cost, config.max_runtime_ms, Some(k));
            }
            summary.errors = findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .count();
            for f in &mut findings {
                f.runs = vec![k];
            }
            report.findings.extend(findings);
            any_parsed |= !summary.failed;
            report.data_runs.push(summary);
        }
        // Unreported metrics only mean something when some run's output was parsed.
        if any_parsed && !report.interrupted {
            report.findings.extend(lint::delivery(
                config,
                &seen_metrics,
                &seen_events,
                report.runs_requested,
            ));
        }
    }
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
