//! The runtime's settings: their defaults, their validation, and what they become for the
//! process layer; and the API's errors.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use crate::diagnostic::{DiagnosticKind, Severity};
use crate::process::{cgroup, contain, exec, EnvMode, Launcher, ResourceLimits};
use crate::record::Diagnostic;

/// Runtime settings. [`Options::default`] gives the documented defaults.
#[derive(Debug, Clone)]
pub struct Options {
    /// Threads that spawn runs and parse their output (default 2). I/O uses one more thread.
    pub worker_threads: usize,
    /// Runs in flight at once; due runs beyond it wait for a slot (default 256). Each holds 3
    /// descriptors: when they do not fit the RLIMIT_NOFILE soft limit, gsp raises it as far as
    /// the hard limit allows, and otherwise runs fewer at once (both with a diagnostic).
    pub max_concurrent_runs: usize,
    /// stdout cap per run; a run over it is killed (default 4 MiB).
    pub max_stdout_bytes: usize,
    /// stderr kept per run for diagnostics: the last bytes (default 4 KiB).
    pub stderr_tail_bytes: usize,
    /// Records held for the host; overflow is dropped and reported (default 65536).
    pub queue_capacity: usize,
    /// Configuration runs are killed after this (default 1000 ms).
    pub config_timeout_ms: u32,
    /// Cap for, and default of, a script's `maxruntime` (default 50000 ms).
    pub max_runtime_ms: u32,
    /// Lowest `period` a script may ask for (default 60 s).
    pub min_period_s: u32,
    /// Between SIGTERM and SIGKILL when a run is killed (default 500 ms).
    pub kill_grace_ms: u32,
    /// Variables added to (or replacing those of) the host's environment for scripts.
    pub extra_env: Vec<(String, String)>,
    /// Which of the host's variables scripts get (default: all).
    pub env_mode: EnvMode,
    /// Scripts' working directory (default: the host's).
    pub working_dir: Option<PathBuf>,
    /// Run scripts as this user (name or uid); needs a root host.
    pub run_as_user: Option<String>,
    /// ...and this group (name or gid; default: the user's primary group).
    pub run_as_group: Option<String>,
    /// Refuse to run scripts as root (every run fails with a diagnostic instead).
    pub refuse_root: bool,
    /// Per-run resource limits and nice level.
    pub limits: ResourceLimits,
    /// A writable cgroup v2 directory: each run gets its own cgroup below it, so a kill reaches
    /// processes that left the process group (setsid).
    pub cgroup_dir: Option<PathBuf>,
    /// Offset each script's first data run within its period by a hash of its command line, so
    /// many scripts do not all start in the same second (deterministic across restarts).
    pub splay: bool,
    /// Most `Difference` series (metric and dimension values) remembered per script (default
    /// 20000). Beyond it the series unseen longest are forgotten, with a diagnostic, so a script
    /// that prints new dimension values every run cannot grow the host's memory without bound.
    pub max_difference_series: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            worker_threads: 2,
            max_concurrent_runs: 256,
            max_stdout_bytes: 4 * 1024 * 1024,
            stderr_tail_bytes: 4096,
            queue_capacity: 65_536,
            config_timeout_ms: 1000,
            max_runtime_ms: 50_000,
            min_period_s: 60,
            kill_grace_ms: 500,
            extra_env: Vec::new(),
            env_mode: EnvMode::Inherit,
            working_dir: None,
            run_as_user: None,
            run_as_group: None,
            refuse_root: false,
            limits: ResourceLimits::default(),
            cgroup_dir: None,
            splay: false,
            max_difference_series: super::difference::DEFAULT_MAX_SERIES,
        }
    }
}

/// Errors of the runtime API; each maps to one C status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An argument is malformed; the message says how.
    InvalidArgument(String),
    /// No script with that id.
    NotFound,
    /// The call is not allowed now (a drain from inside a drain callback).
    Busy,
    /// An operating-system failure while creating the runtime.
    Internal(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::InvalidArgument(m) => write!(f, "invalid argument: {m}"),
            Error::NotFound => f.write_str("no such script"),
            Error::Busy => f.write_str("busy: drain called from inside a drain callback"),
            Error::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl Options {
    /// Checks the settings and builds what every run is started with. The host's environment
    /// is captured now.
    pub(crate) fn launcher(&self) -> Result<Launcher, Error> {
        let invalid = |m: &str| Err(Error::InvalidArgument(m.into()));
        if self.worker_threads == 0 || self.worker_threads > 64 {
            return invalid("worker_threads must be between 1 and 64");
        }
        if self.max_concurrent_runs == 0
            || self.max_stdout_bytes == 0
            || self.max_difference_series == 0
        {
            return invalid(
                "max_concurrent_runs, max_stdout_bytes and max_difference_series must be positive",
            );
        }
        if self.config_timeout_ms == 0 || self.max_runtime_ms == 0 || self.min_period_s == 0 {
            return invalid("config_timeout_ms, max_runtime_ms and min_period_s must be positive");
        }
        if self.limits.nice.is_some_and(|n| !(-20..=19).contains(&n)) {
            return invalid("nice must be between -20 and 19");
        }
        let env = exec::EnvBlock::new(&self.env_mode, &self.extra_env)
            .map_err(|e| Error::InvalidArgument(e.to_string()))?;
        let credentials = match &self.run_as_user {
            Some(user) => Some(
                contain::resolve_credentials(user, self.run_as_group.as_deref())
                    .map_err(Error::InvalidArgument)?,
            ),
            None if self.run_as_group.is_some() => {
                return invalid("run_as_group needs run_as_user")
            }
            None => None,
        };
        let cwd = match &self.working_dir {
            Some(dir) if !dir.is_dir() => {
                return Err(Error::InvalidArgument(format!(
                    "working directory `{}` is not a directory",
                    dir.display()
                )))
            }
            Some(dir) => Some(
                CString::new(dir.as_os_str().as_bytes())
                    .map_err(|_| Error::InvalidArgument("working directory contains NUL".into()))?,
            ),
            None => None,
        };
        if let Some(dir) = &self.cgroup_dir {
            cgroup::check_parent(dir).map_err(Error::InvalidArgument)?;
        }
        Ok(Launcher {
            env,
            credentials,
            cwd,
            devnull: exec::open_devnull()
                .map_err(|e| Error::Internal(format!("/dev/null: {e}")))?,
            limits: self.limits,
            cgroup_dir: self.cgroup_dir.clone(),
            refuse_root: self.refuse_root,
            // Set by the I/O thread once it knows its own policy.
            restore_normal_policy: false,
        })
    }
}

/// Descriptors a run holds: stdout, stderr and its pidfd.
const DESCRIPTORS_PER_RUN: u64 = 3;
/// Descriptors left for the host and gsp's own (eventfd, /dev/null, cgroup files).
const DESCRIPTOR_HEADROOM: u64 = 64;

/// How many runs at once fit the process's RLIMIT_NOFILE: raises the soft limit as far as the
/// hard limit allows when `wanted` runs need more, and otherwise runs fewer. Says what it did.
pub(crate) fn fit_descriptor_limit(wanted: usize) -> (usize, Option<Diagnostic>) {
    let need = (wanted as u64)
        .saturating_mul(DESCRIPTORS_PER_RUN)
        .saturating_add(DESCRIPTOR_HEADROOM);
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 || lim.rlim_cur >= need {
        return (wanted, None);
    }
    let soft = lim.rlim_cur;
    let raised = need.min(lim.rlim_max);
    let new = libc::rlimit {
        rlim_cur: raised,
        rlim_max: lim.rlim_max,
    };
    // SAFETY: setrlimit reads the struct it is given.
    let limit = if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &new) } == 0 {
        raised
    } else {
        soft
    };
    let fit = (limit.saturating_sub(DESCRIPTOR_HEADROOM) / DESCRIPTORS_PER_RUN).max(1) as usize;
    let runs = wanted.min(fit);
    let message = if runs == wanted {
        format!(
            "raised the RLIMIT_NOFILE soft limit from {soft} to {limit}: max_concurrent_runs {wanted} needs {need} descriptors"
        )
    } else {
        format!(
            "max_concurrent_runs {wanted} needs {need} descriptors but RLIMIT_NOFILE allows {limit} (hard limit {}); \
             running at most {runs} scripts at once (raise the hard limit to run more)",
            lim.rlim_max
        )
    };
    let severity = if runs == wanted {
        Severity::Info
    } else {
        Severity::Warning
    };
    (
        runs,
        Some(Diagnostic::new(
            0,
            severity,
            DiagnosticKind::ValueClamped,
            message,
        )),
    )
}

/// A deterministic offset within the period from the command line (FNV-1a), for `splay`.
pub fn splay_offset_ms(command_line: &str, period_s: u32) -> i64 {
    let hash = command_line.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    (hash % (u64::from(period_s.max(1)) * 1000)) as i64
}
