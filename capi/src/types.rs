//! C types of the ABI. Enum values are fixed forever; structs only grow at the end.
#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_void};

// The library's own enums, which gsp.h declares as gsp_datatype, gsp_calctype, gsp_scope,
// gsp_severity and gsp_diagnostic_kind (cbindgen.toml renames them; tests/header.rs writes them).
pub use gsp::{Calctype, Datatype, DiagnosticKind, Scope, Severity};

/// The result of every gsp function that can fail.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum gsp_status {
    /// Success.
    GSP_STATUS_OK = 0,
    /// A required pointer argument was NULL.
    GSP_STATUS_NULL_ARGUMENT = 1,
    /// An argument was malformed (invalid UTF-8, unsplittable command line, bad option, bad struct_size).
    GSP_STATUS_INVALID_ARGUMENT = 2,
    /// No script with that id (never registered, or removed).
    GSP_STATUS_NOT_FOUND = 3,
    /// Not allowed now: gsp_drain called from inside a drain callback of the same runtime.
    GSP_STATUS_BUSY = 4,
    /// An internal failure (a caught panic, or the OS refused threads or descriptors). After a
    /// panic on one of gsp's own threads (reported by a GSP_DIAG_INTERNAL record), every call
    /// that changes the runtime returns it; gsp_drain still delivers what was queued.
    GSP_STATUS_INTERNAL = 5,
}

/// Which member of gsp_record is set.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum gsp_record_kind {
    /// `config` is set: a successful configuration run.
    GSP_RECORD_CONFIG = 1,
    /// `metric` is set: one metric value.
    GSP_RECORD_METRIC = 2,
    /// `event` is set: one event.
    GSP_RECORD_EVENT = 3,
    /// `diagnostic` is set: a problem or notice.
    GSP_RECORD_DIAGNOSTIC = 4,
}

/// Runtime options. Fill with gsp_options_init(&opts, sizeof opts), then change fields. `struct_size` lets a
/// library built from a newer header accept this struct from an older one.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct gsp_options {
    /// The size of this struct as the caller compiled it; set by gsp_options_init().
    pub struct_size: usize,
    /// Threads that spawn runs and parse output (default 2, 1..64). One more thread does I/O.
    pub worker_threads: u32,
    /// Runs in flight at once; due runs beyond it wait for a slot (default 256). Each holds 3
    /// descriptors: when they do not fit the RLIMIT_NOFILE soft limit, gsp raises it as far as
    /// the hard limit allows, and otherwise runs fewer at once (both with a diagnostic).
    pub max_concurrent_runs: u32,
    /// stdout cap per run; a run over it is killed (default 4 MiB).
    pub max_stdout_bytes: u64,
    /// Bytes of stderr kept per run for diagnostics (default 4096).
    pub stderr_tail_bytes: u32,
    /// Records held until drained; overflow is dropped and reported (default 65536).
    pub queue_capacity: u32,
    /// Configuration runs are killed after this (default 1000 ms).
    pub config_timeout_ms: u32,
    /// Cap for, and default of, a script's maxruntime (default 50000 ms).
    pub max_runtime_ms: u32,
    /// Lowest period a script may ask for (default 60 s).
    pub min_period_s: u32,
    /// Grace between SIGTERM and SIGKILL when a run is killed (default 500 ms).
    pub kill_grace_ms: u32,
    /// NULL, or a NULL-terminated array of "NAME=VALUE" strings added to the host's environment
    /// for scripts. Copied by gsp_runtime_new(); the caller keeps ownership.
    pub extra_env: *const *const c_char,
    /// NULL, or run scripts as this user (name or numeric uid). The host must be root, or hold
    /// CAP_SETUID and CAP_SETGID (e.g. systemd's AmbientCapabilities=). The script gets exactly
    /// the user's groups, no capabilities in any set (unless the user is root) and no_new_privs;
    /// a run where gsp cannot ensure that fails with GSP_DIAG_SPAWN_FAILED.
    pub run_as_user: *const c_char,
    /// NULL (the user's primary group), or this group (name or numeric gid).
    pub run_as_group: *const c_char,
    /// NULL (the host's), or the scripts' working directory.
    pub working_dir: *const c_char,
    /// NULL, or a writable cgroup v2 directory: each run gets its own cgroup below it, so a kill
    /// reaches processes that left the process group (setsid).
    pub cgroup_dir: *const c_char,
    /// With env_mode GSP_ENV_ALLOWLIST: a NULL-terminated array of variable names to pass.
    pub env_allow: *const *const c_char,
    /// RLIMIT_CPU for each run in seconds (0: the host's limit).
    pub rlimit_cpu_s: u64,
    /// RLIMIT_AS for each run in bytes (0: the host's limit).
    pub rlimit_as_bytes: u64,
    /// RLIMIT_NOFILE for each run (0: the host's limit).
    pub rlimit_nofile: u64,
    /// RLIMIT_NPROC for the scripts' user (0: the host's limit); bounds fork bombs when
    /// run_as_user is a dedicated user (root ignores it).
    pub rlimit_nproc: u64,
    /// Which host variables scripts get: a gsp_env_mode value (default GSP_ENV_INHERIT).
    pub env_mode: u32,
    /// Non-zero: refuse to run scripts as root (each run fails with a SPAWN_FAILED diagnostic).
    pub refuse_root: u32,
    /// Nice level for scripts, -20..19 (0: leave the host's).
    pub nice: i32,
    /// Non-zero: offset each script's first data run within its period by a hash of its command
    /// line, so many scripts do not all start in the same second.
    pub splay: u32,
    /// Most `Difference` series remembered per script (0: the default, 20000); beyond it the
    /// series unseen longest are forgotten, with a GSP_DIAG_SERIES_LIMIT diagnostic.
    pub max_difference_series: u64,
}

/// Values of gsp_options.env_mode.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum gsp_env_mode {
    /// Scripts get the host's environment (as of gsp_runtime_new) plus extra_env.
    GSP_ENV_INHERIT = 0,
    /// Scripts get only extra_env.
    GSP_ENV_CLEAR = 1,
    /// Scripts get the variables named in env_allow plus extra_env.
    GSP_ENV_ALLOWLIST = 2,
}

/// Counters since the runtime was created.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct gsp_stats {
    /// Set to sizeof(gsp_stats) before calling gsp_stats_get(); gsp writes at most that many bytes.
    pub struct_size: usize,
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
    /// Records dropped because the queue was full; RECORDS_DROPPED diagnostics report them per
    /// script.
    pub records_dropped: u64,
    /// Runs from the tick that made them due until all of their records are queued (waiting for
    /// a slot, running, or being turned into records): with no run in flight and nothing
    /// pending, the host has every record so far.
    pub runs_in_flight: u64,
    /// Scripts registered now.
    pub scripts: u64,
}

/// One script's progress and cost, so an operator can find the script that costs the most.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct gsp_script_stats {
    /// Set to sizeof(gsp_script_stats) before calling gsp_script_stats_get().
    pub struct_size: usize,
    /// Configuration runs finished (any outcome).
    pub config_runs: u64,
    /// Data runs finished (any outcome).
    pub data_runs: u64,
    /// Wall time of the last finished run, in microseconds (0 before any).
    pub last_duration_us: u64,
    /// User plus system CPU time of the last finished run, in microseconds.
    pub last_cpu_us: u64,
    /// Peak resident set size of the last finished run, in KiB.
    pub last_max_rss_kib: u64,
    /// CPU time of all finished runs, in microseconds.
    pub total_cpu_us: u64,
    /// Wall time of all finished runs, in microseconds.
    pub total_duration_us: u64,
    /// The highest peak RSS of any run, in KiB.
    pub peak_rss_kib: u64,
    /// 1 while a run is in flight, else 0.
    pub running: u32,
    /// 1 once a configuration is in force, else 0.
    pub configured: u32,
}

/// A declared dimension.
#[repr(C)]
pub struct gsp_dimension_def {
    /// Dimension id (per metric).
    pub id: i64,
    /// Declared name.
    pub name: *const c_char,
}

/// A declared metric.
#[repr(C)]
pub struct gsp_metric_def {
    /// Metric id (`M<id>`).
    pub id: i64,
    /// Name.
    pub name: *const c_char,
    /// Description.
    pub description: *const c_char,
    /// Comma-separated groups.
    pub groups: *const c_char,
    /// Unit.
    pub unit: *const c_char,
    /// Tags.
    pub tags: *const c_char,
    /// Datatype.
    pub datatype: Datatype,
    /// Calctype.
    pub calctype: Calctype,
    /// The datatype as the script printed it ("" when missing).
    pub datatype_name: *const c_char,
    /// `dimension_count` declared dimensions; NULL when `dimension_count` is 0.
    pub dimensions: *const gsp_dimension_def,
    /// Number of dimensions.
    pub dimension_count: usize,
}

/// A declared event attribute.
#[repr(C)]
pub struct gsp_attribute_def {
    /// Name.
    pub name: *const c_char,
    /// Type as declared ("integer", "string", ...).
    pub type_name: *const c_char,
    /// Unit ("" when missing).
    pub unit: *const c_char,
}

/// A declared event.
#[repr(C)]
pub struct gsp_event_def {
    /// Event id (`E<id>`).
    pub id: i64,
    /// Name.
    pub name: *const c_char,
    /// Description.
    pub description: *const c_char,
    /// `attribute_count` attribute descriptions; NULL when `attribute_count` is 0.
    pub attributes: *const gsp_attribute_def,
    /// Number of attributes.
    pub attribute_count: usize,
}

/// A script's effective configuration.
#[repr(C)]
pub struct gsp_config {
    /// Effective period in seconds (at least min_period_s).
    pub period_s: u32,
    /// Effective maxruntime in ms (at most max_runtime_ms).
    pub max_runtime_ms: u32,
    /// `metric_count` metrics; NULL when `metric_count` is 0.
    pub metrics: *const gsp_metric_def,
    /// Number of metrics.
    pub metric_count: usize,
    /// `event_count` events; NULL when `event_count` is 0.
    pub events: *const gsp_event_def,
    /// Number of events.
    pub event_count: usize,
    /// The normalized configuration as compact JSON.
    pub json: *const c_char,
}

/// A dimension value on a metric.
#[repr(C)]
pub struct gsp_dimension {
    /// Dimension id.
    pub id: i64,
    /// Declared name.
    pub name: *const c_char,
    /// Value as printed.
    pub value: *const c_char,
}

/// One metric value.
#[repr(C)]
pub struct gsp_metric {
    /// Metric id.
    pub metric_id: i64,
    /// Host time (ms) of the tick that started the run.
    pub time_ms: i64,
    /// The value after calctype.
    pub value: f64,
    /// Declared metric name.
    pub name: *const c_char,
    /// `dimension_count` dimension values in line order; NULL when `dimension_count` is 0.
    pub dimensions: *const gsp_dimension,
    /// Number of dimensions (0 for lines without a dimension list).
    pub dimension_count: usize,
}

/// One event.
#[repr(C)]
pub struct gsp_event {
    /// Event id.
    pub event_id: i64,
    /// Start, absolute Unix seconds.
    pub start_s: i64,
    /// End, absolute Unix seconds.
    pub end_s: i64,
    /// Declared event name.
    pub name: *const c_char,
    /// The message.
    pub message: *const c_char,
    /// Attributes as a compact JSON object ("{}" when none).
    pub attributes_json: *const c_char,
    /// Server or application.
    pub scope: Scope,
}

/// A problem or notice.
#[repr(C)]
pub struct gsp_diagnostic {
    /// Severity.
    pub severity: Severity,
    /// Kind.
    pub kind: DiagnosticKind,
    /// Exit code, or -1 when none applies.
    pub exit_code: i32,
    /// Terminating signal, or 0 when none applies.
    pub signal: i32,
    /// 1-based output line at fault, or 0 when none applies.
    pub line: u64,
    /// Human-readable message (names the line and an excerpt where a line is at fault).
    pub message: *const c_char,
}

/// One record. Exactly the member matching `kind` is non-NULL. Everything it points to is
/// owned by gsp and valid only during the callback: copy what you keep. Every pointer gsp hands
/// out is either NULL or valid: every string is non-NULL (possibly empty), and an array with a
/// count of 0 is NULL.
#[repr(C)]
pub struct gsp_record {
    /// Which member is set.
    pub kind: gsp_record_kind,
    /// The script (0 for runtime-wide diagnostics).
    pub script_id: u64,
    /// GSP_RECORD_CONFIG.
    pub config: *const gsp_config,
    /// GSP_RECORD_METRIC.
    pub metric: *const gsp_metric,
    /// GSP_RECORD_EVENT.
    pub event: *const gsp_event,
    /// GSP_RECORD_DIAGNOSTIC.
    pub diagnostic: *const gsp_diagnostic,
}

/// Receives one record during gsp_drain(), on the draining thread, with no gsp lock held.
/// `record` and everything it points to are valid only until the callback returns.
pub type gsp_record_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, record: *const gsp_record)>;
