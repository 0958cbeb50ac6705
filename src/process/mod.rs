//! The process layer: starts each run with its containment, watches it on one I/O thread, kills
//! it at its deadline or output cap, reaps it, removes its cgroup, and hands back one
//! [`RunResult`] per [`RunRequest`].
//!
//! It knows nothing of scripts, schedules or records. The runtime sends requests down
//! ([`Processes::start`], [`Processes::cancel`]) and receives every result through the sink it
//! gave [`Processes::run`]; nothing calls back up into the runtime.

pub(crate) mod cgroup;
pub(crate) mod contain;
pub(crate) mod exec;
mod launch;
mod reactor;

use std::ffi::CString;
use std::sync::Arc;
use std::time::Duration;

pub use contain::ResourceLimits;
pub use exec::EnvMode;
pub(crate) use exec::{ExitStatus, SpawnError, Usage};
pub(crate) use launch::Launcher;
pub(crate) use reactor::Processes;

/// One run to start: everything the process layer needs, taken under the runtime's lock.
#[derive(Debug)]
pub(crate) struct RunRequest {
    /// The runtime's id for the run, echoed in its result.
    pub run: u64,
    /// The command line (`argv[0]` is resolved in the scripts' PATH); shared with the script.
    pub argv: Arc<[CString]>,
    /// Killed (SIGTERM, then SIGKILL after the grace) when still running after this.
    pub timeout: Duration,
    /// Killed when stdout exceeds this many bytes.
    pub max_stdout: usize,
}

/// How a run ended.
#[derive(Debug)]
pub(crate) enum RunEnd {
    /// The leader exited by itself.
    Exited,
    /// It ran past its deadline and was killed.
    Timeout,
    /// stdout exceeded the cap; it was killed.
    OutputCap,
    /// Cancelled while running: killed.
    Killed,
    /// Cancelled before it started: no process was made.
    Withdrawn,
    /// It could not be started.
    SpawnFailed(SpawnError),
}

/// A finished run: the one result of a [`RunRequest`]. Its process is reaped and its
/// descriptors are closed; its cgroup is removed (or being removed) by the process layer.
#[derive(Debug)]
pub(crate) struct RunResult {
    /// The request's id.
    pub run: u64,
    /// Why it ended.
    pub end: RunEnd,
    /// How the leader ended (`Unknown` when no process was made).
    pub status: ExitStatus,
    /// The leader's CPU time and peak memory.
    pub usage: Usage,
    /// stdout (empty unless `end` is `Exited`).
    pub stdout: Vec<u8>,
    /// The last bytes of stderr.
    pub stderr_tail: Vec<u8>,
    /// All stderr bytes seen.
    pub stderr_total: u64,
    /// Wall time from spawn to exit.
    pub elapsed: Duration,
}

impl RunResult {
    /// A result for a run that made no process.
    fn unstarted(run: u64, end: RunEnd) -> RunResult {
        RunResult {
            run,
            end,
            status: ExitStatus::Unknown,
            usage: Usage::default(),
            stdout: Vec::new(),
            stderr_tail: Vec::new(),
            stderr_total: 0,
            elapsed: Duration::ZERO,
        }
    }
}

/// What the process layer reports to its sink, on its I/O thread.
pub(crate) enum Event {
    /// A run ended. The sink must not block for long: other runs wait meanwhile.
    Finished(RunResult),
    /// The I/O thread panicked (a bug in gsp): it killed and reaped every run and stopped.
    Failed(String),
}

/// The text of a caught panic's payload (for a panic boundary's message; the C layer's too).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}
