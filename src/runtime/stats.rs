//! What the runtime counts: per-runtime counters, per-script progress and run costs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::protocol::config::ScriptConfig;

/// What one finished run cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunCost {
    /// Wall time from spawn to exit.
    pub duration: Duration,
    /// User plus system CPU time of the script (and the descendants it waited for).
    pub cpu: Duration,
    /// Peak resident set size in KiB.
    pub max_rss_kib: u64,
}

/// One script's progress and cost. Counts include failed runs; records of a counted run are queued.
#[derive(Debug, Clone)]
pub struct ScriptState {
    /// The last finished run (killed runs included; spawn failures have none).
    pub last_run: Option<RunCost>,
    /// CPU time of all finished runs.
    pub total_cpu: Duration,
    /// Wall time of all finished runs.
    pub total_duration: Duration,
    /// The highest peak RSS of any run, in KiB.
    pub peak_rss_kib: u64,
    /// Configuration runs finished.
    pub config_runs_done: u64,
    /// Data runs finished.
    pub data_runs_done: u64,
    /// The configuration in force.
    pub config: Option<Arc<ScriptConfig>>,
    /// Whether a run is in flight.
    pub running: bool,
}

/// Counters since the runtime was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Processes spawned (a run whose spawn failed is not counted here but in runs_failed).
    pub runs_started: u64,
    /// Runs that exited 0 and whose output was used (a configuration parsed, data lines read).
    pub runs_succeeded: u64,
    /// Runs with no usable result: spawn failures, non-zero exits and deaths by signal, exit
    /// statuses taken by another waiter, invalid configurations.
    pub runs_failed: u64,
    /// Runs killed at their deadline (the configuration timeout or maxruntime).
    pub runs_timed_out: u64,
    /// Runs killed for other reasons: the stdout cap, the script removed, the runtime freed.
    pub runs_killed: u64,
    /// Data lines read as values or events (also those whose Difference gave nothing yet).
    pub lines_parsed: u64,
    /// Data lines rejected (unparsable, or undeclared ids); each is also in a diagnostic.
    pub lines_rejected: u64,
    /// Records ever added to the queue, drop reports included.
    pub records_queued: u64,
    /// Records dropped because the queue was full; `RecordsDropped` diagnostics report them per
    /// script.
    pub records_dropped: u64,
    /// Runs due and not yet finished: waiting for a slot, running, or having their output turned
    /// into records. A run stops counting only once all of its records are queued, so "nothing
    /// in flight and nothing pending" means every record so far has been drained.
    pub runs_in_flight: u64,
    /// Scripts registered now.
    pub scripts: u64,
}

#[derive(Default)]
/// Run and line counters, updated without the state lock (runs started are counted by the
/// process layer).
pub(crate) struct Counters {
    pub succeeded: AtomicU64,
    pub failed: AtomicU64,
    pub timed_out: AtomicU64,
    pub killed: AtomicU64,
    pub lines_parsed: AtomicU64,
    pub lines_rejected: AtomicU64,
}

/// Adds `n` to a counter.
pub(crate) fn bump(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

/// Accumulated run costs of one script.
#[derive(Default)]
pub(crate) struct Costs {
    pub last: Option<RunCost>,
    pub total_cpu: Duration,
    pub total_duration: Duration,
    pub peak_rss_kib: u64,
}

impl Costs {
    pub fn add(&mut self, run: RunCost) {
        self.last = Some(run);
        self.total_cpu += run.cpu;
        self.total_duration += run.duration;
        self.peak_rss_kib = self.peak_rss_kib.max(run.max_rss_kib);
    }
}
