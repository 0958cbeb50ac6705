//! `gsp run`: runs scripts on their schedule (or on Telegraf's, with `--execd`) and writes their
//! records as JSON lines, Prometheus exposition, Influx line protocol or node_exporter textfiles.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gsp::{Diagnostic, Options, Record, ScriptConfig, Severity};

use crate::collectd;
use crate::influx::{self, Measurements};
use crate::prom::{self, Names, ScriptView, Snapshot};
use crate::slot::{Finished, Pacing, Slot};
use crate::textfile;
use crate::{now_ms, stop_requested, Format};

/// How long the loop sleeps when nothing happened.
const POLL: Duration = Duration::from_millis(50);
/// How long a gather waits for configuration runs still going (the runtime kills them at 1 s).
const CONFIG_WAIT: Duration = Duration::from_secs(10);

/// What `gsp run` was asked to do.
pub struct Settings {
    /// One data run per script, then exit.
    pub once: bool,
    /// The format on stdout; `None` prints nothing there (diagnostics go to stderr).
    pub stdout: Option<Format>,
    /// Directory for node_exporter textfiles.
    pub textfile: Option<PathBuf>,
    /// Telegraf execd mode.
    pub execd: bool,
    /// When data runs start (ignored by `--execd`).
    pub pacing: Pacing,
}

/// Runs `scripts` until done (`--once`), EOF (`--execd`), SIGINT or SIGTERM.
///
/// Exit status: 2 for usage errors; 1 when stdout or a textfile could not be written, or, with
/// `--once`, when a script delivered no data (its configuration failed, or its data run reported
/// an error: spawn failure, non-zero exit, timeout...); 0 otherwise.
pub fn run(settings: Settings, scripts: &[String], options: Options) -> ExitCode {
    if let Some(dir) = &settings.textfile {
        if let Err(message) = check_textfile_dir(dir) {
            eprintln!("gsp: --textfile {}: {message}", dir.display());
            return ExitCode::from(2);
        }
    }
    let mut slots = Vec::with_capacity(scripts.len());
    for (i, command) in scripts.iter().enumerate() {
        match Slot::new(i as u64 + 1, command, options.clone()) {
            Ok(slot) => slots.push(slot),
            Err(gsp::Error::InvalidArgument(m)) => {
                eprintln!(
                    "gsp: script `{command}`: {m}; pass each script's command line as one argument, quoted for your shell (e.g. 'python3 /srv/check.py --verbose')"
                );
                return ExitCode::from(2);
            }
            Err(e) => {
                eprintln!("gsp: cannot start a runtime for `{command}`: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let mut out = Output::new(&settings, scripts);
    if let Some(dir) = &settings.textfile {
        eprintln!(
            "gsp: writing node_exporter textfiles to {}, each replaced after every run of its script:",
            dir.display()
        );
        for s in &out.scripts {
            eprintln!("gsp:   {}.prom  <- `{}`", s.stem, s.label);
        }
    }
    if settings.execd {
        execd(&mut slots, &mut out);
    } else {
        scheduled(&mut slots, &mut out, &settings);
    }
    if out.stdout_error.is_none() && settings.once && settings.stdout == Some(Format::Prometheus) {
        out.push_document();
        out.flush();
    }
    let mut failed = false;
    match &out.stdout_error {
        // The reader stopped reading (`gsp run | head`): stop quietly, as filters do.
        Some(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Some(e) => {
            eprintln!("gsp: cannot write to stdout ({e}); output was lost, stopping");
            failed = true;
        }
        None => {}
    }
    if out.textfile_failures > 0 {
        eprintln!(
            "gsp: {} textfile write(s) failed (reported above); node_exporter has stale or no data for those scripts",
            out.textfile_failures
        );
        failed = true;
    }
    if settings.once && out.stdout_error.is_none() {
        let missing: Vec<String> = out
            .scripts
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s.outcome {
                Some(Outcome::Delivered) => None,
                Some(Outcome::ConfigFailed) => Some(format!(
                    "script {} `{}` (configuration failed)",
                    i + 1,
                    s.label
                )),
                Some(Outcome::RunFailed) => Some(format!(
                    "script {} `{}` (its data run reported an error)",
                    i + 1,
                    s.label
                )),
                None => Some(format!("script {} `{}` (did not finish)", i + 1, s.label)),
            })
            .collect();
        if !missing.is_empty() {
            eprintln!(
                "gsp: {} of {} script(s) delivered no data: {}",
                missing.len(),
                out.scripts.len(),
                missing.join(", ")
            );
            failed = true;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn check_textfile_dir(dir: &Path) -> Result<(), String> {
    if !dir.is_dir() {
        return Err(format!(
            "no such directory; create it (mkdir -p {}) or pass the directory node_exporter reads (its --collector.textfile.directory)",
            dir.display()
        ));
    }
    let probe = dir.join(format!(".gsp-probe.{}.tmp", std::process::id()));
    std::fs::write(&probe, b"")
        .map_err(|e| format!("cannot write there ({e}); run gsp as a user who may write to it"))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// Polls every script once at `now_ms`; returns whether anything happened.
fn poll_all(slots: &mut [Slot], out: &mut Output, pacing: Pacing) -> bool {
    let now = now_ms();
    let mut busy = false;
    let mut records = Vec::new();
    for (i, slot) in slots.iter_mut().enumerate() {
        records.clear();
        let finished = slot.poll(now, pacing, &mut records);
        busy |= !records.is_empty() || !finished.is_empty();
        out.records(i, &records);
        for f in finished {
            out.finished(i, f);
        }
    }
    busy
}

/// The loop of `gsp run` without `--execd`; ends early when stdout cannot be written.
fn scheduled(slots: &mut [Slot], out: &mut Output, settings: &Settings) {
    while !stop_requested() {
        let busy = poll_all(slots, out, settings.pacing);
        if !out.flush() {
            return; // e.g. a full disk (reported by run()), or stdout piped into head (quiet)
        }
        if settings.once && slots.iter().all(Slot::done_once) {
            break;
        }
        if !busy {
            std::thread::sleep(POLL);
        }
    }
}

/// Telegraf execd: each line on stdin asks for one gather; ends early when stdout cannot be
/// written.
fn execd(slots: &mut [Slot], out: &mut Output) {
    let mut pending: u64 = 0;
    let mut eof = false;
    let mut last_gather: Option<Instant> = None;
    let mut warned = vec![false; slots.len()];
    while !stop_requested() {
        if !eof {
            match read_stdin_lines(POLL) {
                Some(n) => pending += n,
                None => eof = true,
            }
        }
        poll_all(slots, out, Pacing::OnDemand);
        if pending > 0 {
            if pending > 2 {
                eprintln!(
                    "gsp: skipping {} gathers: a gather took longer than Telegraf's interval",
                    pending - 2
                );
                pending = 2;
            }
            pending -= 1;
            let now = Instant::now();
            if let Some(previous) = last_gather {
                warn_faster_than_period(slots, now - previous, &mut warned);
            }
            last_gather = Some(now);
            gather(slots, out);
        } else if eof {
            break;
        }
        if !out.flush() {
            return;
        }
    }
}

/// Once per script: Telegraf asks for data more often than the script's period allows.
fn warn_faster_than_period(slots: &[Slot], interval: Duration, warned: &mut [bool]) {
    for (slot, warned) in slots.iter().zip(warned) {
        let Some(config) = &slot.config else {
            continue;
        };
        let period = Duration::from_secs(u64::from(config.period_s));
        if !*warned && interval < period {
            *warned = true;
            eprintln!(
                "W! gsp: script {} `{}`: gathers come {:.1} s apart, more often than its period of {} s, and every gather runs it; set the [[inputs.execd]] interval to \"{}s\" or more",
                slot.index,
                slot.command,
                interval.as_secs_f64(),
                config.period_s,
                config.period_s
            );
        }
    }
}

/// Waits up to `timeout` for stdin; returns the newlines read (0 on timeout), `None` at EOF.
fn read_stdin_lines(timeout: Duration) -> Option<u64> {
    let mut fds = libc::pollfd {
        fd: libc::STDIN_FILENO,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd for the duration of the call.
    let ready = unsafe { libc::poll(&mut fds, 1, timeout.as_millis() as libc::c_int) };
    if ready <= 0 {
        return Some(0); // timeout, or EINTR from a signal the loop checks next
    }
    let mut buf = [0u8; 4096];
    // SAFETY: reads into a buffer we own, at most its length.
    let n = unsafe { libc::read(libc::STDIN_FILENO, buf.as_mut_ptr().cast(), buf.len()) };
    match n {
        0 => None,
        n if n < 0 => {
            let e = std::io::Error::last_os_error();
            match e.kind() {
                std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock => Some(0),
                _ => None,
            }
        }
        n => Some(buf[..n as usize].iter().filter(|&&b| b == b'\n').count() as u64),
    }
}

/// One execd gather: every configured script that is not still busy runs once; returns when
/// all of them finished (or their maxruntime and some slack passed).
fn gather(slots: &mut [Slot], out: &mut Output) {
    let start = Instant::now();
    while slots.iter().any(Slot::configuring) && start.elapsed() < CONFIG_WAIT {
        if stop_requested() {
            return;
        }
        if !poll_all(slots, out, Pacing::OnDemand) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let mut targets = Vec::new();
    let mut limit = Duration::ZERO;
    for (i, slot) in slots.iter_mut().enumerate() {
        if let (Some(config), false) = (&slot.config, slot.running()) {
            limit = limit.max(Duration::from_millis(u64::from(config.max_runtime_ms)));
            slot.request_run();
            targets.push((i, slot.data_runs()));
        }
    }
    // The runtime kills a run at maxruntime; past that plus slack, stop waiting.
    let limit = limit + Duration::from_secs(10);
    let start = Instant::now();
    while targets
        .iter()
        .any(|&(i, before)| slots[i].data_runs() == before)
        && start.elapsed() < limit
        && !stop_requested()
    {
        if !poll_all(slots, out, Pacing::OnDemand) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Whether a script delivered data (what `--once` reports in its exit status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Configured, and the last data run reported no error.
    Delivered,
    /// The last configuration run failed.
    ConfigFailed,
    /// The last data run reported an error diagnostic.
    RunFailed,
}

/// Per-script output state.
struct ScriptOut {
    label: String,
    stem: String,
    config: Option<Arc<ScriptConfig>>,
    influx: Measurements,
    pending: Snapshot,
    pending_errors: usize,
    last: Option<Snapshot>,
    last_write_error: Option<String>,
    /// Whether its textfile was written once (the first write is logged).
    written: bool,
    outcome: Option<Outcome>,
}

/// Turns records into the chosen outputs.
struct Output {
    stdout: Option<Format>,
    /// Diagnostics get Telegraf's log-level prefixes.
    execd: bool,
    textfile: Option<PathBuf>,
    once: bool,
    scripts: Vec<ScriptOut>,
    names: Names,
    buf: String,
    /// The first error writing stdout; nothing is written after it.
    stdout_error: Option<std::io::Error>,
    /// Textfile writes that failed.
    textfile_failures: u64,
    collectd: Option<collectd::Writer>,
}

impl Output {
    fn new(settings: &Settings, commands: &[String]) -> Output {
        let stems = textfile::textfile_stems(commands);
        Output {
            stdout: settings.stdout,
            execd: settings.execd,
            textfile: settings.textfile.clone(),
            once: settings.once,
            scripts: commands
                .iter()
                .zip(stems)
                .map(|(c, stem)| ScriptOut {
                    label: c.clone(),
                    stem,
                    config: None,
                    influx: Measurements::default(),
                    pending: Snapshot::default(),
                    pending_errors: 0,
                    last: None,
                    last_write_error: None,
                    written: false,
                    outcome: None,
                })
                .collect(),
            names: Names::assign(&[]),
            buf: String::new(),
            stdout_error: None,
            textfile_failures: 0,
            collectd: (settings.stdout == Some(Format::Collectd)).then(|| {
                let period = match settings.pacing {
                    Pacing::Every(p) => p,
                    Pacing::OnDemand => None,
                };
                collectd::Writer::new(commands, period)
            }),
        }
    }

    /// Whether Prometheus snapshots are needed.
    fn keeps_snapshots(&self) -> bool {
        self.textfile.is_some() || self.stdout == Some(Format::Prometheus)
    }

    fn records(&mut self, i: usize, records: &[Record]) {
        let keep = self.keeps_snapshots();
        for r in records {
            let s = &mut self.scripts[i];
            match r {
                Record::Config(c) => {
                    s.config = Some(c.config.clone());
                    s.influx = Measurements::new(&c.config);
                    s.pending = Snapshot::default();
                    s.pending_errors = 0;
                    let configs: Vec<Option<&ScriptConfig>> =
                        self.scripts.iter().map(|s| s.config.as_deref()).collect();
                    self.names = Names::assign(&configs);
                    // Names may have moved for scripts already written.
                    for j in 0..self.scripts.len() {
                        if j != i && self.scripts[j].last.is_some() {
                            self.write_textfile(j);
                        }
                    }
                }
                Record::Metric(m) if keep => s.pending.metrics.push(m.clone()),
                Record::Event(e) if keep => s.pending.events.push(e.clone()),
                Record::Diagnostic(d) if d.severity == Severity::Error => s.pending_errors += 1,
                _ => {}
            }
            if let Some(c) = &mut self.collectd {
                c.record(i, r, &mut self.buf);
            }
            let s = &self.scripts[i];
            match (self.stdout, r) {
                (Some(Format::Jsonl), r) => {
                    self.buf.push_str(&r.to_json().to_string());
                    self.buf.push('\n');
                }
                (Some(Format::Influx), Record::Metric(m)) => {
                    influx::metric_line(&mut self.buf, &s.influx, &s.label, m)
                }
                (Some(Format::Influx), Record::Event(e)) => {
                    influx::event_line(&mut self.buf, &s.label, e)
                }
                (_, Record::Diagnostic(d)) => print_diagnostic(d, &s.label, self.execd),
                _ => {}
            }
        }
    }

    fn finished(&mut self, i: usize, f: Finished) {
        let s = &mut self.scripts[i];
        s.outcome = match f {
            Finished::Config { ok: true } => None, // a data run decides
            Finished::Config { ok: false } => Some(Outcome::ConfigFailed),
            Finished::Data { .. } if s.pending_errors > 0 => Some(Outcome::RunFailed),
            Finished::Data { .. } => Some(Outcome::Delivered),
        };
        let snapshot = match f {
            Finished::Config { ok: true } => {
                s.pending = Snapshot::default();
                s.pending_errors = 0;
                return;
            }
            Finished::Config { ok: false } => Snapshot::default(),
            Finished::Data { cost } => Snapshot {
                success: s.pending_errors == 0,
                duration: cost.map(|c| c.duration),
                ..std::mem::take(&mut s.pending)
            },
        };
        s.pending = Snapshot::default();
        s.pending_errors = 0;
        s.last = Some(snapshot);
        self.write_textfile(i);
        if self.stdout == Some(Format::Prometheus) && !self.once {
            self.push_document();
        }
    }

    /// Appends the exposition of every script's last run to the stdout buffer.
    fn push_document(&mut self) {
        let views: Vec<ScriptView<'_>> = self
            .scripts
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                s.last.as_ref().map(|snapshot| ScriptView {
                    position: i,
                    label: &s.label,
                    snapshot,
                })
            })
            .collect();
        let doc = prom::render(&self.names, &views);
        self.buf.push_str(&doc);
        if !self.once {
            self.buf.push('\n'); // documents in a stream are separated by a blank line
        }
    }

    fn write_textfile(&mut self, i: usize) {
        let Some(dir) = &self.textfile else {
            return;
        };
        let s = &self.scripts[i];
        let Some(snapshot) = &s.last else {
            return;
        };
        let body = prom::render(
            &self.names,
            &[ScriptView {
                position: i,
                label: &s.label,
                snapshot,
            }],
        );
        let result = textfile::write_textfile(dir, &s.stem, &body);
        let s = &mut self.scripts[i];
        match result {
            Ok(()) => {
                if !s.written || s.last_write_error.is_some() {
                    let again = if s.written { " again" } else { "" };
                    eprintln!(
                        "gsp: script {} `{}`: wrote {}/{}.prom{again}",
                        i + 1,
                        s.label,
                        dir.display(),
                        s.stem
                    );
                }
                s.written = true;
                s.last_write_error = None;
            }
            Err(e) => {
                self.textfile_failures += 1;
                let message = format!(
                    "gsp: cannot write {}/{}.prom: {e}; check that the directory exists and gsp may write to it",
                    dir.display(),
                    s.stem
                );
                // Once per distinct error, not every period.
                if s.last_write_error.as_deref() != Some(message.as_str()) {
                    eprintln!("{message}");
                    s.last_write_error = Some(message);
                }
            }
        }
    }

    /// Writes what is buffered for stdout; false once writing failed (the error is kept).
    fn flush(&mut self) -> bool {
        if self.stdout_error.is_some() {
            self.buf.clear();
            return false;
        }
        if self.buf.is_empty() {
            return true;
        }
        let mut stdout = std::io::stdout().lock();
        let result = stdout
            .write_all(self.buf.as_bytes())
            .and_then(|()| stdout.flush());
        self.buf.clear();
        if let Err(e) = result {
            self.stdout_error = Some(e);
            return false;
        }
        true
    }
}

/// A diagnostic on stderr, for outputs that cannot carry it. Telegraf logs an execd plugin's
/// stderr as errors unless a line starts with its level prefix.
fn print_diagnostic(d: &Diagnostic, script: &str, telegraf: bool) {
    let (prefix, severity) = match d.severity {
        Severity::Error => ("E! ", "error"),
        Severity::Warning => ("W! ", "warning"),
        Severity::Info => ("I! ", "info"),
    };
    let prefix = if telegraf { prefix } else { "" };
    let kind = d.kind.name();
    if d.script_id == 0 {
        eprintln!("{prefix}gsp: {severity} ({kind}): {}", d.message);
    } else {
        eprintln!(
            "{prefix}gsp: {severity}: script {} `{script}` ({kind}): {}",
            d.script_id, d.message
        );
    }
}
