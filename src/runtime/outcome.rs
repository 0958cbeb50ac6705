//! What a finished run becomes: its failure described for the script's author, or its output
//! parsed into configuration, metric, event and diagnostic records (with `Difference` applied),
//! queued for the host in order.

use std::sync::Arc;

use parking_lot::MutexGuard;

use super::command_line::SHOWN_CHARS;
use super::difference::DifferenceState;
use super::options::splay_offset_ms;
use super::pool::Job;
use super::schedule::Mode;
use super::stats::{bump, RunCost};
use super::{Core, RunInfo, Script, State};
use crate::diagnostic::{printable, shortened};
use crate::diagnostic::{DiagnosticKind, Severity};
use crate::process::{exec, Event, ExitStatus, RunEnd, RunResult, SpawnError};
use crate::protocol::config::{
    parse_config_cancellable, Calctype, ConfigError, ConfigNote, MetricDef, ScriptConfig,
};
use crate::protocol::interpret::{interpret, RunData};
use crate::record::ScriptId;
use crate::record::{ConfigRecord, Diagnostic, EventRecord, MetricRecord, Record};

/// Bad lines described individually per run; the rest are counted in one diagnostic.
pub const MAX_LINE_DIAGNOSTICS_PER_RUN: usize = 20;

/// Configuration notes described individually per configuration run; the rest are counted in
/// one diagnostic, so a huge configuration cannot flood the record queue.
pub const MAX_CONFIG_NOTES_PER_RUN: usize = 50;

/// Why a run could not start, for the script's author.
fn spawn_failure(info: &RunInfo, e: &SpawnError) -> Diagnostic {
    let program = exec::program_path(&info.command.argv(info.mode)[0]);
    // The explanation often names the OS error already; say it once.
    let os_error = e.error.to_string();
    let os_error = if e.explanation.contains(&os_error) {
        String::new()
    } else {
        format!(" [{os_error}]")
    };
    Diagnostic::new(
        info.script_id,
        Severity::Error,
        DiagnosticKind::SpawnFailed,
        format!(
            "cannot start `{}` ({}): {}{os_error}",
            info.command.shown,
            printable(&shortened(&program.to_string_lossy(), SHOWN_CHARS)),
            printable(&shortened(&e.explanation, 4 * SHOWN_CHARS)),
        ),
    )
}

fn exit_text(status: ExitStatus) -> String {
    match status {
        ExitStatus::Code(c) => format!("exited with status {c}"),
        ExitStatus::Signal(s) => format!("was killed by signal {s} ({})", signal_name(s)),
        ExitStatus::Unknown => "ended with an unknown status".into(),
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGABRT => "SIGABRT",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTERM => "SIGTERM",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGILL => "SIGILL",
        _ => "signal",
    }
}

fn stderr_suffix(f: &RunResult) -> String {
    if f.stderr_tail.is_empty() {
        return String::new();
    }
    let text = printable(&String::from_utf8_lossy(&f.stderr_tail));
    let text = text.trim();
    if f.stderr_total > f.stderr_tail.len() as u64 {
        format!(
            "; stderr (last {} of {} bytes): …{text}",
            f.stderr_tail.len(),
            f.stderr_total
        )
    } else {
        format!("; stderr: {text}")
    }
}

/// Records of a large run reach the queue in chunks of this many.
const PUSH_CHUNK: usize = 4096;

/// Output up to this size is parsed on the I/O thread; larger output goes to a worker, so one
/// big run does not delay the others' I/O.
const INLINE_PARSE_BYTES: usize = 64 * 1024;

impl Core {
    /// Takes a result from the process layer (on its I/O thread): small output is turned into
    /// records here, which saves a hand-off; large output goes to a worker, so one big run does
    /// not delay the others' I/O.
    pub(super) fn on_event(&self, event: Event) {
        match event {
            Event::Finished(r) if r.stdout.len() > INLINE_PARSE_BYTES => {
                self.jobs.push(Job::Finish(r))
            }
            Event::Finished(r) => self.finish_run(r),
            Event::Failed(what) => self.fail(what),
        }
    }

    /// Turns one run's result into records and advances its script's schedule.
    pub(super) fn finish_run(&self, mut f: RunResult) {
        let mut st = self.state.lock();
        let Some(info) = self.release(&mut st, f.run) else {
            return;
        };
        let started = !matches!(f.end, RunEnd::Withdrawn | RunEnd::SpawnFailed(_));
        if let Some(s) = st.scripts.get_mut(&info.script_id).filter(|_| started) {
            s.cost.add(RunCost {
                duration: f.elapsed,
                cpu: f.usage.user + f.usage.system,
                max_rss_kib: f.usage.max_rss_kib,
            });
        }
        let script_gone = !st.scripts.contains_key(&info.script_id);
        let cancelled = matches!(f.end, RunEnd::Killed | RunEnd::Withdrawn);
        if cancelled || info.cancelled || script_gone {
            if started {
                bump(&self.counters.killed, 1);
            }
            if let Some(s) = st.scripts.get_mut(&info.script_id) {
                s.schedule.run_abandoned();
            }
            st.reschedule(info.script_id);
            st.in_flight -= 1;
            return;
        }
        // Parsing needs no lock; the script's next run cannot start before we record this one.
        drop(st);
        let id = info.script_id;
        let what = RunName(&info);
        let mut records = Vec::new();
        let failure = match (&f.end, f.status) {
            (RunEnd::SpawnFailed(e), _) => {
                bump(&self.counters.failed, 1);
                Some(spawn_failure(&info, e))
            }
            (RunEnd::Timeout, _) => {
                bump(&self.counters.timed_out, 1);
                Some(match info.mode {
                    Mode::Config => Diagnostic::new(
                        id,
                        Severity::Error,
                        DiagnosticKind::ConfigTimeout,
                        format!(
                            "{what} did not finish within {} ms and was killed; configuration mode must return quickly",
                            self.options.config_timeout_ms
                        ),
                    ),
                    Mode::Data => Diagnostic::new(
                        id,
                        Severity::Error,
                        DiagnosticKind::Timeout,
                        format!(
                            "{what} ran past its maxruntime of {} ms and was killed; its output was discarded{}",
                            info.config.as_ref().map_or(self.options.max_runtime_ms, |c| c.max_runtime_ms),
                            stderr_suffix(&f)
                        ),
                    ),
                })
            }
            (RunEnd::OutputCap, _) => {
                bump(&self.counters.killed, 1);
                Some(Diagnostic::new(
                    id,
                    Severity::Error,
                    DiagnosticKind::OutputTruncated,
                    format!(
                        "{what} printed more than {} bytes to stdout and was killed; its output was discarded",
                        self.options.max_stdout_bytes
                    ),
                ))
            }
            (_, ExitStatus::Code(c)) if c != 0 => Some(self.exit_failure(&info, what, &f)),
            (_, ExitStatus::Signal(_)) => Some(self.exit_failure(&info, what, &f)),
            _ => None,
        };
        // A lost status is no success and no failure: the output is parsed, as the host chose,
        // and the script's first such run says so (never "exited 0").
        if failure.is_none() && f.status == ExitStatus::Unknown {
            self.report_lost_status(&info, what, &mut records);
        }
        if failure.is_none() && f.stderr_total > 0 && f.status == ExitStatus::Code(0) {
            records.push(Record::Diagnostic(Diagnostic::new(
                id,
                Severity::Warning,
                DiagnosticKind::Stderr,
                format!("{what} exited 0 but wrote to stderr{}", stderr_suffix(&f)),
            )));
        }
        // Output is parsed before taking the lock, so a large run never stalls the host.
        let parsed_config = match (&failure, info.mode) {
            (None, Mode::Config) => Some(parse_config_cancellable(
                &f.stdout,
                self.limits,
                &self.stopping,
            )),
            _ => None,
        };
        let data = match (&failure, info.mode, info.config.as_ref()) {
            (None, Mode::Data, Some(config)) => Some(interpret(
                std::mem::take(&mut f.stdout),
                config,
                info.host_ms,
                MAX_LINE_DIAGNOSTICS_PER_RUN,
            )),
            _ => None,
        };
        let mut st = self.state.lock();
        if let (None, Some(data)) = (&failure, data) {
            st = self.apply_data(id, &info, data, &mut records, st);
        }
        let Some(script) = st.scripts.get_mut(&id) else {
            st.in_flight -= 1;
            return;
        };
        match failure {
            Some(diag) => {
                script.schedule_failed(&info);
                records.push(Record::Diagnostic(diag));
            }
            None => match info.mode {
                Mode::Config => {
                    if let Some(parsed) = parsed_config {
                        self.apply_config(id, script, &info, parsed, &mut records);
                    }
                }
                Mode::Data => {
                    script.schedule.data_finished();
                    script.count_done(Mode::Data);
                }
            },
        }
        st.reschedule(id);
        // Under the state lock, so no host sees the run out of flight before its records; the
        // waiters are woken once the lock is released, so a woken host that ticks at once does
        // not find it still held.
        let queued = self.queue.push_all_quietly(records);
        st.in_flight -= 1;
        drop(st);
        if queued {
            self.queue.notify();
        }
    }

    /// Reports, once per script, that its exit statuses are lost to the host.
    fn report_lost_status(&self, info: &RunInfo, what: RunName<'_>, records: &mut Vec<Record>) {
        let mut st = self.state.lock();
        let Some(script) = st.scripts.get_mut(&info.script_id) else {
            return;
        };
        if std::mem::replace(&mut script.status_lost_reported, true) {
            return;
        }
        drop(st);
        let cause = if exec::sigchld_ignored() {
            "the host sets SIGCHLD to SIG_IGN (or SA_NOCLDWAIT), so the kernel discards exit statuses"
        } else {
            "another waiter in the host took it (a SIGCHLD handler or a loop calling waitpid(-1) reaps children it did not start)"
        };
        records.push(Record::Diagnostic(Diagnostic::new(
            info.script_id,
            Severity::Warning,
            DiagnosticKind::SigchldIgnored,
            format!(
                "the exit status of {what} is lost: {cause}; gsp cannot tell this script's failed runs \
                 from successful ones and parses their output regardless (reported once per script); \
                 make the host wait only for its own children"
            ),
        )));
    }

    fn exit_failure(&self, info: &RunInfo, what: RunName<'_>, f: &RunResult) -> Diagnostic {
        let id = info.script_id;
        bump(&self.counters.failed, 1);
        let (exit_code, signal) = match f.status {
            ExitStatus::Code(c) => (Some(c), None),
            ExitStatus::Signal(s) => (None, Some(s)),
            ExitStatus::Unknown => (None, None),
        };
        let mut hint = "";
        let program = exec::program_path(&info.command.argv(info.mode)[0]);
        if exit_code == Some(127) && exec::shebang_has_crlf(&program) {
            hint = " (the script has CRLF line endings: its #! interpreter name ends in \\r; convert it with dos2unix)";
        }
        Diagnostic {
            exit_code,
            signal,
            ..Diagnostic::new(
                id,
                Severity::Error,
                DiagnosticKind::ExitStatus,
                format!(
                    "{what} {}; its output was not parsed{hint}{}",
                    exit_text(f.status),
                    stderr_suffix(f)
                ),
            )
        }
    }

    fn apply_config(
        &self,
        id: ScriptId,
        script: &mut Script,
        info: &RunInfo,
        parsed: Result<(ScriptConfig, Vec<ConfigNote>), ConfigError>,
        records: &mut Vec<Record>,
    ) {
        match parsed {
            Err(e) => {
                bump(&self.counters.failed, 1);
                script.schedule_failed(info);
                // The line of a syntax error, so hosts and `gsp check` can point at it.
                let line = e.line;
                records.push(Record::Diagnostic(Diagnostic {
                    line,
                    ..Diagnostic::new(
                        id,
                        Severity::Error,
                        DiagnosticKind::ConfigInvalid,
                        format!("`{} -c`: {e}", info.command.shown),
                    )
                }));
            }
            Ok((config, notes)) => {
                bump(&self.counters.succeeded, 1);
                script.count_done(Mode::Config);
                let omitted = notes.len().saturating_sub(MAX_CONFIG_NOTES_PER_RUN);
                // The summary has the kind of the first note left out and the worst severity.
                let summary_kind = notes.get(MAX_CONFIG_NOTES_PER_RUN).map(|n| n.kind);
                let worst = notes.iter().map(|n| n.severity).max();
                records.extend(notes.into_iter().take(MAX_CONFIG_NOTES_PER_RUN).map(|n| {
                    Record::Diagnostic(Diagnostic::new(id, n.severity, n.kind, n.message))
                }));
                if let (Some(kind), Some(severity)) = (summary_kind, worst) {
                    records.push(Record::Diagnostic(Diagnostic::new(
                        id,
                        severity,
                        kind,
                        format!(
                            "{omitted} more notes about the configuration of `{} -c` were not described \
                             (only the first {MAX_CONFIG_NOTES_PER_RUN} are; `gsp check` lists them all)",
                            info.command.shown
                        ),
                    )));
                }
                let first_due = self.options.splay.then(|| {
                    info.host_ms
                        .saturating_add(splay_offset_ms(&info.command.text, config.period_s))
                });
                if !script
                    .schedule
                    .config_succeeded(info.generation, config.period_s, first_due)
                {
                    return; // reconfigured meanwhile: a newer configuration run follows
                }
                if script
                    .config
                    .as_ref()
                    .is_some_and(|old| old.json != config.json)
                {
                    script.difference.clear();
                }
                let config = Arc::new(config);
                script.config = Some(config.clone());
                records.push(Record::Config(ConfigRecord {
                    script_id: id,
                    config,
                }));
            }
        }
    }

    /// Turns a successful data run into records, outside the state lock: the script's
    /// baselines are taken out of it (its run still counts as running, so nothing else touches
    /// them) and put back afterwards. Large runs reach the queue in chunks meanwhile.
    fn apply_data<'a>(
        &'a self,
        id: ScriptId,
        info: &RunInfo,
        data: RunData,
        records: &mut Vec<Record>,
        mut st: MutexGuard<'a, State>,
    ) -> MutexGuard<'a, State> {
        let Some(config) = info.config.as_ref() else {
            return st;
        };
        let Some(script) = st.scripts.get_mut(&id) else {
            return st;
        };
        bump(&self.counters.succeeded, 1);
        bump(&self.counters.lines_parsed, data.lines_parsed);
        bump(&self.counters.lines_rejected, data.lines_rejected);
        // Baselines from another configuration would give meaningless differences.
        let same_config = script
            .config
            .as_ref()
            .is_some_and(|c| Arc::ptr_eq(c, config));
        let mut difference = std::mem::replace(
            &mut script.difference,
            DifferenceState::new(self.options.max_difference_series),
        );
        drop(st);

        difference.begin_run();
        records.reserve(data.samples.len().min(PUSH_CHUNK) + 1);
        // The previous sample's metric (runs print the same metric many times in a row), with
        // the name its records share: the configuration's own until a first chunk of records
        // is queued, then one copy per chunk, so the host dropping one chunk's records and this
        // thread making the next count on different counters.
        let mut last: Option<(&MetricDef, Arc<str>)> = None;
        let mut chunked = false;
        for s in data.samples.iter() {
            let (def, name) = match &last {
                Some((def, name)) if def.id == s.metric_id => (*def, name.clone()),
                _ => match config.metric(s.metric_id) {
                    Some(def) => {
                        let name: Arc<str> = if chunked {
                            Arc::from(&*def.name)
                        } else {
                            def.name.clone()
                        };
                        last = Some((def, name.clone()));
                        (def, name)
                    }
                    None => continue,
                },
            };
            let value = match def.calctype {
                Calctype::Difference if same_config => {
                    match difference.apply(s.metric_id, def.datatype, &s.dimensions, s.value) {
                        Some(v) => v,
                        None => continue,
                    }
                }
                Calctype::Difference => continue,
                Calctype::Instant | Calctype::Average => s.value,
            };
            if records.len() >= PUSH_CHUNK {
                // Let the host drain while the rest of a large run is turned into records.
                self.queue
                    .push_all(std::mem::replace(records, Vec::with_capacity(PUSH_CHUNK)));
                last = None;
                chunked = true;
            }
            records.push(Record::Metric(MetricRecord {
                script_id: id,
                metric_id: s.metric_id,
                metric_name: name,
                time_ms: info.host_ms,
                value,
                dimensions: s.dimensions,
            }));
        }
        let forgotten = difference.end_run();
        if forgotten > 0 {
            records.push(Record::Diagnostic(Diagnostic::new(
                id,
                Severity::Warning,
                DiagnosticKind::SeriesLimit,
                format!(
                    "`{} -d` printed more Difference series than max_difference_series ({}); \
                     the {forgotten} series unseen longest were forgotten, so their next values give no difference",
                    info.command.shown, self.options.max_difference_series
                ),
            )));
        }
        for e in data.events {
            let event_name = config
                .event(e.event_id)
                .map(|d| d.name.clone())
                .unwrap_or_default();
            records.push(Record::Event(EventRecord {
                script_id: id,
                event_id: e.event_id,
                event_name,
                start_s: e.start_s,
                end_s: e.end_s,
                message: e.message,
                attributes_json: e.attributes_json,
                scope: e.scope,
            }));
        }
        for p in data.problems {
            records.push(Record::Diagnostic(Diagnostic {
                line: Some(p.line),
                ..Diagnostic::new(id, Severity::Warning, p.kind, p.message)
            }));
        }
        if data.problems_omitted > 0 {
            records.push(Record::Diagnostic(Diagnostic::new(
                id,
                Severity::Warning,
                DiagnosticKind::LineInvalid,
                format!(
                    "{} more lines of `{} -d` were rejected (only the first {MAX_LINE_DIAGNOSTICS_PER_RUN} are described)",
                    data.problems_omitted, info.command.shown
                ),
            )));
        }

        let mut st = self.state.lock();
        if let Some(script) = st.scripts.get_mut(&id) {
            script.difference = difference;
        }
        st
    }
}

impl Script {
    /// A run failed (spawn, exit status, timeout, invalid configuration).
    pub(super) fn schedule_failed(&mut self, info: &RunInfo) {
        self.count_done(info.mode);
        match info.mode {
            Mode::Config => self.schedule.config_failed(info.generation, info.host_ms),
            Mode::Data => self.schedule.data_finished(),
        }
    }
}

impl Script {
    pub(super) fn count_done(&mut self, mode: Mode) {
        self.runs_done[mode as usize] += 1;
    }
}

/// How messages name a run: its command line and mode flag, in backquotes. Formatted only when
/// a message is made, not for every run.
#[derive(Clone, Copy)]
struct RunName<'a>(&'a RunInfo);

impl std::fmt::Display for RunName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{} {}`", self.0.command.shown, self.0.mode.flag())
    }
}
