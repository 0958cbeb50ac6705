//! One script on a runtime of its own, with its data runs started when the command decides.
//!
//! The runtime schedules data runs by the script's `period` on the clock passed to `tick`; for
//! `--period-override` and `--execd` the command decides when a run starts and asks for it with
//! `Runtime::run_now` before ticking, so records still carry the real time. A runtime per script
//! keeps each script's ticks and drains apart. The command ticks a script only when it has seen
//! every finished run's records, so each drain holds whole runs and a finished run is
//! attributed exactly.

use std::sync::Arc;

use gsp::{
    Diagnostic, DiagnosticKind, Options, Record, RunCost, Runtime, ScriptConfig, ScriptId, Severity,
};

/// When data runs start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pacing {
    /// Right after configuration, then every period: the script's own (`None`) or this many
    /// seconds.
    Every(Option<u32>),
    /// Only when [`Slot::request_run`] asked (`--execd`).
    OnDemand,
}

/// A run that ended since the previous poll.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Finished {
    /// A configuration run; `ok` when it gave a configuration.
    Config {
        /// Whether a configuration is now in force.
        ok: bool,
    },
    /// A data run, whatever its outcome.
    Data {
        /// Its cost (none for a spawn failure).
        cost: Option<RunCost>,
    },
}

/// A script and its runtime.
pub struct Slot {
    /// Position on the command line, from 1: the script id in output.
    pub index: ScriptId,
    /// The command line as given.
    pub command: String,
    /// The configuration in force.
    pub config: Option<Arc<ScriptConfig>>,
    rt: Runtime,
    rt_id: ScriptId,
    seen_config_runs: u64,
    seen_data_runs: u64,
    running: bool,
    next_due_ms: Option<i64>,
    requested: bool,
}

impl Slot {
    /// Creates the script's runtime and registers the command line.
    pub fn new(index: ScriptId, command: &str, options: Options) -> Result<Slot, gsp::Error> {
        let rt = Runtime::new(options)?;
        let rt_id = rt.add_script(command)?;
        Ok(Slot {
            index,
            command: command.to_string(),
            config: None,
            rt,
            rt_id,
            seen_config_runs: 0,
            seen_data_runs: 0,
            running: false,
            next_due_ms: None,
            requested: false,
        })
    }

    /// Data runs finished so far.
    pub fn data_runs(&self) -> u64 {
        self.seen_data_runs
    }

    /// Whether a run is in flight (as of the last poll).
    pub fn running(&self) -> bool {
        self.running
    }

    /// Whether the first configuration run has not ended yet, or a retry is running.
    pub fn configuring(&self) -> bool {
        self.config.is_none() && (self.seen_config_runs == 0 || self.running)
    }

    /// `--once` is satisfied: one data run, or a failed configuration run.
    pub fn done_once(&self) -> bool {
        self.seen_data_runs > 0 || (self.seen_config_runs > 0 && self.config.is_none())
    }

    /// Asks for one data run at the next poll (`Pacing::OnDemand`); ignored while unconfigured.
    pub fn request_run(&mut self) {
        self.requested = true;
    }

    /// Collects the records queued so far into `records` (script ids renumbered to
    /// [`Slot::index`]), reports runs that finished, and starts what is due at `now_ms`.
    pub fn poll(
        &mut self,
        now_ms: i64,
        pacing: Pacing,
        records: &mut Vec<Record>,
    ) -> Vec<Finished> {
        let Ok(state) = self.rt.script_state(self.rt_id) else {
            return Vec::new();
        };
        let index = self.index;
        let _ = self
            .rt
            .drain(usize::MAX, |r| records.push(renumber(r, index)));
        let mut finished = Vec::new();
        if state.config_runs_done > self.seen_config_runs {
            self.seen_config_runs = state.config_runs_done;
            self.config = state.config.clone();
            self.next_due_ms = None; // the first data run follows the configuration at once
            finished.push(Finished::Config {
                ok: state.config.is_some(),
            });
        }
        if state.data_runs_done > self.seen_data_runs {
            self.seen_data_runs = state.data_runs_done;
            finished.push(Finished::Data {
                cost: state.last_run,
            });
        }
        // `state` predates the drain, so a run that ended in between is only counted at the
        // next poll; nothing may start before that (no tick), or its records would mix.
        self.running = state.running;
        if state.running {
            if let (Pacing::Every(_), Some(due), Some(config)) =
                (pacing, self.next_due_ms, &self.config)
            {
                // Checked again: the run may have ended since `state` was read.
                if now_ms >= due && self.is_running() {
                    let period = period_ms(pacing, config);
                    self.next_due_ms = Some(advance(due, now_ms, period));
                    records.push(Record::Diagnostic(Diagnostic::new(
                        index,
                        Severity::Warning,
                        DiagnosticKind::Overrun,
                        format!(
                            "`{}` was due again while its previous run is still going; this run is skipped",
                            self.command
                        ),
                    )));
                }
            }
            return finished;
        }
        let Some(config) = self.config.clone() else {
            // Configuration: the first run, and retries on the runtime's own backoff.
            self.rt.tick(now_ms);
            self.running = self.rt.script_state(self.rt_id).is_ok_and(|s| s.running);
            return finished;
        };
        let due = match pacing {
            Pacing::Every(_) => self.next_due_ms.is_none_or(|d| now_ms >= d),
            Pacing::OnDemand => std::mem::take(&mut self.requested),
        };
        if due {
            let period = period_ms(pacing, &config);
            self.next_due_ms = Some(match self.next_due_ms {
                Some(d) => advance(d, now_ms, period),
                None => now_ms + period,
            });
            self.start_data_run(now_ms);
        }
        finished
    }

    /// Starts a data run with `now_ms` as its time.
    fn start_data_run(&mut self, now_ms: i64) {
        let _ = self.rt.run_now(self.rt_id);
        self.rt.tick(now_ms);
        self.running = self.is_running();
    }

    fn is_running(&self) -> bool {
        self.rt.script_state(self.rt_id).is_ok_and(|s| s.running)
    }
}

fn period_ms(pacing: Pacing, config: &ScriptConfig) -> i64 {
    let s = match pacing {
        Pacing::Every(Some(p)) => p,
        _ => config.period_s,
    };
    i64::from(s.max(1)) * 1000
}

/// The next due time after one at `due` passed at `now`: keeps the phase, but after falling
/// more than a period behind (a suspended machine) restarts from now instead of catching up.
fn advance(due: i64, now: i64, period: i64) -> i64 {
    let next = due + period;
    if next <= now {
        now + period
    } else {
        next
    }
}

/// The record with its script id replaced (0, the runtime itself, stays 0).
fn renumber(r: &Record, index: ScriptId) -> Record {
    let mut r = r.clone();
    let id = match &mut r {
        Record::Config(c) => &mut c.script_id,
        Record::Metric(m) => &mut m.script_id,
        Record::Event(e) => &mut e.script_id,
        Record::Diagnostic(d) => &mut d.script_id,
    };
    if *id != 0 {
        *id = index;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_keeps_phase_and_skips_missed_periods() {
        assert_eq!(advance(1_000, 1_050, 1_000), 2_000);
        assert_eq!(advance(1_000, 5_500, 1_000), 6_500);
    }
}
