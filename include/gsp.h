/*
 * gsp.h - the C API of libgsp, the generic script plugin runtime.
 *
 * Model: the host creates a runtime, registers script command lines, calls gsp_tick() with its
 * own clock (e.g. once a second), and drains records with gsp_drain(), optionally blocking in
 * gsp_wait() first. gsp runs the scripts on its own threads.
 *
 * Threading: every function may be called from any thread, concurrently, except that
 * gsp_runtime_free() must not race with other calls on the same runtime. Callbacks run on the
 * thread that called gsp_drain(), with no gsp lock held.
 *
 * Signals: gsp installs no handler and waits only for the processes it started. Its threads
 * block every asynchronous signal but SIGCHLD, so a signal sent to the host reaches a host
 * thread. SIGCHLD keeps the state it has in the thread that calls gsp_runtime_new(): a run's
 * SIGCHLD goes to the gsp thread that started it, where the kernel drops it at once (default
 * disposition, unblocked) instead of waking a host thread; a host that blocks SIGCHLD in every
 * thread (signalfd, sigwait) gets gsp's runs' SIGCHLDs as well as its own children's.
 *
 * Scheduling: the thread that starts and watches runs is SCHED_BATCH when the thread that calls
 * gsp_runtime_new() is SCHED_OTHER, so its wake-ups never preempt a host thread; scripts run
 * SCHED_OTHER. Other policies are inherited unchanged.
 *
 * Ownership: the host owns a gsp_runtime from gsp_runtime_new() until gsp_runtime_free().
 * Strings passed in are copied. Everything reachable from a gsp_record belongs to gsp and is
 * valid only during the callback that received it. Returned version/status strings are static.
 *
 * Errors: functions return gsp_status; outputs are written only on GSP_STATUS_OK. Problems with
 * scripts are never returned as statuses: they arrive as GSP_RECORD_DIAGNOSTIC records.
 */

#ifndef GSP_H
#define GSP_H

/* Generated from capi/src and the library's ABI enums by capi/tests/header.rs (pinned cbindgen); do not edit.
   Regenerate: GSP_UPDATE_HEADER=1 cargo test -p gsp-capi --test header. The test command fails when it is stale. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GSP_VERSION_MAJOR 0
#define GSP_VERSION_MINOR 1
#define GSP_VERSION_PATCH 0
#define GSP_VERSION_STRING "0.1.0"
/** The ABI version: the soname is libgsp.so.GSP_ABI_VERSION; it changes only with GSP_VERSION_MAJOR. */
#define GSP_ABI_VERSION 0

/**
 * A metric's declared data type; the original string is kept beside it (`datatype_name`).
 */
enum gsp_datatype
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /**
   * Missing or not a known name.
   */
  GSP_DATATYPE_UNKNOWN = 0,
  /**
   * `DOUBLE`.
   */
  GSP_DATATYPE_DOUBLE = 1,
  /**
   * `GAUGE`, and the vendor's own typo `GUAGE`.
   */
  GSP_DATATYPE_GAUGE = 2,
  /**
   * `COUNT`.
   */
  GSP_DATATYPE_COUNT = 3,
  /**
   * `COUNTER`: a decrease is a reset for `Difference`.
   */
  GSP_DATATYPE_COUNTER = 4,
  /**
   * `LONG`.
   */
  GSP_DATATYPE_LONG = 5,
  /**
   * `HISTOGRAM`.
   */
  GSP_DATATYPE_HISTOGRAM = 6,
  /**
   * `BINARY`.
   */
  GSP_DATATYPE_BINARY = 7,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum gsp_datatype gsp_datatype;
#else
typedef uint32_t gsp_datatype;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/**
 * The calculation applied to a metric's values.
 */
enum gsp_calctype
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /**
   * The value as printed (also the default).
   */
  GSP_CALCTYPE_INSTANT = 0,
  /**
   * Current minus previous value of the same series; the first value gives none.
   */
  GSP_CALCTYPE_DIFFERENCE = 1,
  /**
   * From older protocol pages; one value per run, so delivered as printed.
   */
  GSP_CALCTYPE_AVERAGE = 2,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum gsp_calctype gsp_calctype;
#else
typedef uint32_t gsp_calctype;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/**
 * Whether an event is attached to the server or the application.
 */
enum gsp_scope
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /**
   * `S`, and the older form without a scope field.
   */
  GSP_SCOPE_SERVER = 0,
  /**
   * `A`.
   */
  GSP_SCOPE_APPLICATION = 1,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum gsp_scope gsp_scope;
#else
typedef uint32_t gsp_scope;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/**
 * How serious a diagnostic is.
 */
enum gsp_severity
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /**
   * A notice: a default was applied; nothing is wrong with the data.
   */
  GSP_SEVERITY_INFO = 0,
  /**
   * Something was wrong but data still flowed (a bad line, stderr output, a clamp).
   */
  GSP_SEVERITY_WARNING = 1,
  /**
   * A run produced no data (spawn failure, timeout, exit status, invalid configuration).
   */
  GSP_SEVERITY_ERROR = 2,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum gsp_severity gsp_severity;
#else
typedef uint32_t gsp_severity;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/**
 * What a diagnostic is about.
 */
enum gsp_diagnostic_kind
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /**
   * The script could not be started; the message names the likely cause (missing file,
   * no execute bit, bad interpreter).
   */
  GSP_DIAG_SPAWN_FAILED = 1,
  /**
   * Configuration output was not a usable JSON document, or an entry was skipped.
   */
  GSP_DIAG_CONFIG_INVALID = 2,
  /**
   * The configuration run exceeded config_timeout_ms and was killed.
   */
  GSP_DIAG_CONFIG_TIMEOUT = 3,
  /**
   * Non-zero exit or death by signal (see exit_code and signal); the output was not parsed.
   */
  GSP_DIAG_EXIT_STATUS = 4,
  /**
   * A data run exceeded maxruntime and was killed; its output was discarded.
   */
  GSP_DIAG_TIMEOUT = 5,
  /**
   * stdout exceeded max_stdout_bytes; the run was killed and its output discarded.
   */
  GSP_DIAG_OUTPUT_TRUNCATED = 6,
  /**
   * A data line that does not parse (see line).
   */
  GSP_DIAG_LINE_INVALID = 7,
  /**
   * A metric id the configuration does not declare (see line).
   */
  GSP_DIAG_UNKNOWN_METRIC = 8,
  /**
   * An event id the configuration does not declare (see line).
   */
  GSP_DIAG_UNKNOWN_EVENT = 9,
  /**
   * A dimension id the metric does not declare (see line).
   */
  GSP_DIAG_UNKNOWN_DIMENSION = 10,
  /**
   * A run was due while the previous one was still going; the due run was skipped.
   */
  GSP_DIAG_OVERRUN = 11,
  /**
   * A configuration value was missing or out of range and was replaced.
   */
  GSP_DIAG_VALUE_CLAMPED = 12,
  /**
   * The record queue was full; the message says how many records were dropped.
   */
  GSP_DIAG_RECORDS_DROPPED = 13,
  /**
   * The script exited 0 but wrote to stderr (the tail is in the message).
   */
  GSP_DIAG_STDERR = 14,
  /**
   * A script's exit statuses are lost: the host sets SIGCHLD to SIG_IGN (or SA_NOCLDWAIT),
   * so the kernel discards them, or reaps children it did not start (waitpid(-1) in a
   * SIGCHLD handler). gsp then cannot tell failed runs from successful ones and parses
   * every run's output. Reported once per script.
   */
  GSP_DIAG_SIGCHLD_IGNORED = 15,
  /**
   * A script printed more Difference series than max_difference_series: the message says
   * how many of the series unseen longest were forgotten (their next value gives none).
   */
  GSP_DIAG_SERIES_LIMIT = 16,
  /**
   * An internal failure on one of gsp's threads (a bug in gsp): the message says what
   * happened; later calls may fail with an internal error.
   */
  GSP_DIAG_INTERNAL = 17,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum gsp_diagnostic_kind gsp_diagnostic_kind;
#else
typedef uint32_t gsp_diagnostic_kind;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus


/**
 * The result of every gsp function that can fail.
 */
enum gsp_status
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /**
   * Success.
   */
  GSP_STATUS_OK = 0,
  /**
   * A required pointer argument was NULL.
   */
  GSP_STATUS_NULL_ARGUMENT = 1,
  /**
   * An argument was malformed (invalid UTF-8, unsplittable command line, bad option, bad struct_size).
   */
  GSP_STATUS_INVALID_ARGUMENT = 2,
  /**
   * No script with that id (never registered, or removed).
   */
  GSP_STATUS_NOT_FOUND = 3,
  /**
   * Not allowed now: gsp_drain called from inside a drain callback of the same runtime.
   */
  GSP_STATUS_BUSY = 4,
  /**
   * An internal failure (a caught panic, or the OS refused threads or descriptors). After a
   * panic on one of gsp's own threads (reported by a GSP_DIAG_INTERNAL record), every call
   * that changes the runtime returns it; gsp_drain still delivers what was queued.
   */
  GSP_STATUS_INTERNAL = 5,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum gsp_status gsp_status;
#else
typedef uint32_t gsp_status;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/**
 * Which member of gsp_record is set.
 */
enum gsp_record_kind
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /**
   * `config` is set: a successful configuration run.
   */
  GSP_RECORD_CONFIG = 1,
  /**
   * `metric` is set: one metric value.
   */
  GSP_RECORD_METRIC = 2,
  /**
   * `event` is set: one event.
   */
  GSP_RECORD_EVENT = 3,
  /**
   * `diagnostic` is set: a problem or notice.
   */
  GSP_RECORD_DIAGNOSTIC = 4,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum gsp_record_kind gsp_record_kind;
#else
typedef uint32_t gsp_record_kind;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/**
 * Values of gsp_options.env_mode.
 */
enum gsp_env_mode
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /**
   * Scripts get the host's environment (as of gsp_runtime_new) plus extra_env.
   */
  GSP_ENV_INHERIT = 0,
  /**
   * Scripts get only extra_env.
   */
  GSP_ENV_CLEAR = 1,
  /**
   * Scripts get the variables named in env_allow plus extra_env.
   */
  GSP_ENV_ALLOWLIST = 2,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum gsp_env_mode gsp_env_mode;
#else
typedef uint32_t gsp_env_mode;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/**
 * A gsp runtime (opaque). Create with gsp_runtime_new(), destroy with gsp_runtime_free().
 */
typedef struct gsp_runtime gsp_runtime;

/**
 * Runtime options. Fill with gsp_options_init(&opts, sizeof opts), then change fields. `struct_size` lets a
 * library built from a newer header accept this struct from an older one.
 */
typedef struct gsp_options {
  /**
   * The size of this struct as the caller compiled it; set by gsp_options_init().
   */
  size_t struct_size;
  /**
   * Threads that spawn runs and parse output (default 2, 1..64). One more thread does I/O.
   */
  uint32_t worker_threads;
  /**
   * Runs in flight at once; due runs beyond it wait for a slot (default 256). Each holds 3
   * descriptors: when they do not fit the RLIMIT_NOFILE soft limit, gsp raises it as far as
   * the hard limit allows, and otherwise runs fewer at once (both with a diagnostic).
   */
  uint32_t max_concurrent_runs;
  /**
   * stdout cap per run; a run over it is killed (default 4 MiB).
   */
  uint64_t max_stdout_bytes;
  /**
   * Bytes of stderr kept per run for diagnostics (default 4096).
   */
  uint32_t stderr_tail_bytes;
  /**
   * Records held until drained; overflow is dropped and reported (default 65536).
   */
  uint32_t queue_capacity;
  /**
   * Configuration runs are killed after this (default 1000 ms).
   */
  uint32_t config_timeout_ms;
  /**
   * Cap for, and default of, a script's maxruntime (default 50000 ms).
   */
  uint32_t max_runtime_ms;
  /**
   * Lowest period a script may ask for (default 60 s).
   */
  uint32_t min_period_s;
  /**
   * Grace between SIGTERM and SIGKILL when a run is killed (default 500 ms).
   */
  uint32_t kill_grace_ms;
  /**
   * NULL, or a NULL-terminated array of "NAME=VALUE" strings added to the host's environment
   * for scripts. Copied by gsp_runtime_new(); the caller keeps ownership.
   */
  const char *const *extra_env;
  /**
   * NULL, or run scripts as this user (name or numeric uid). The host must be root, or hold
   * CAP_SETUID and CAP_SETGID (e.g. systemd's AmbientCapabilities=). The script gets exactly
   * the user's groups, no capabilities in any set (unless the user is root) and no_new_privs;
   * a run where gsp cannot ensure that fails with GSP_DIAG_SPAWN_FAILED.
   */
  const char *run_as_user;
  /**
   * NULL (the user's primary group), or this group (name or numeric gid).
   */
  const char *run_as_group;
  /**
   * NULL (the host's), or the scripts' working directory.
   */
  const char *working_dir;
  /**
   * NULL, or a writable cgroup v2 directory: each run gets its own cgroup below it, so a kill
   * reaches processes that left the process group (setsid).
   */
  const char *cgroup_dir;
  /**
   * With env_mode GSP_ENV_ALLOWLIST: a NULL-terminated array of variable names to pass.
   */
  const char *const *env_allow;
  /**
   * RLIMIT_CPU for each run in seconds (0: the host's limit).
   */
  uint64_t rlimit_cpu_s;
  /**
   * RLIMIT_AS for each run in bytes (0: the host's limit).
   */
  uint64_t rlimit_as_bytes;
  /**
   * RLIMIT_NOFILE for each run (0: the host's limit).
   */
  uint64_t rlimit_nofile;
  /**
   * RLIMIT_NPROC for the scripts' user (0: the host's limit); bounds fork bombs when
   * run_as_user is a dedicated user (root ignores it).
   */
  uint64_t rlimit_nproc;
  /**
   * Which host variables scripts get: a gsp_env_mode value (default GSP_ENV_INHERIT).
   */
  uint32_t env_mode;
  /**
   * Non-zero: refuse to run scripts as root (each run fails with a SPAWN_FAILED diagnostic).
   */
  uint32_t refuse_root;
  /**
   * Nice level for scripts, -20..19 (0: leave the host's).
   */
  int32_t nice;
  /**
   * Non-zero: offset each script's first data run within its period by a hash of its command
   * line, so many scripts do not all start in the same second.
   */
  uint32_t splay;
  /**
   * Most `Difference` series remembered per script (0: the default, 20000); beyond it the
   * series unseen longest are forgotten, with a GSP_DIAG_SERIES_LIMIT diagnostic.
   */
  uint64_t max_difference_series;
} gsp_options;

/**
 * A declared dimension.
 */
typedef struct gsp_dimension_def {
  /**
   * Dimension id (per metric).
   */
  int64_t id;
  /**
   * Declared name.
   */
  const char *name;
} gsp_dimension_def;

/**
 * A declared metric.
 */
typedef struct gsp_metric_def {
  /**
   * Metric id (`M<id>`).
   */
  int64_t id;
  /**
   * Name.
   */
  const char *name;
  /**
   * Description.
   */
  const char *description;
  /**
   * Comma-separated groups.
   */
  const char *groups;
  /**
   * Unit.
   */
  const char *unit;
  /**
   * Tags.
   */
  const char *tags;
  /**
   * Datatype.
   */
  gsp_datatype datatype;
  /**
   * Calctype.
   */
  gsp_calctype calctype;
  /**
   * The datatype as the script printed it ("" when missing).
   */
  const char *datatype_name;
  /**
   * `dimension_count` declared dimensions; NULL when `dimension_count` is 0.
   */
  const struct gsp_dimension_def *dimensions;
  /**
   * Number of dimensions.
   */
  size_t dimension_count;
} gsp_metric_def;

/**
 * A declared event attribute.
 */
typedef struct gsp_attribute_def {
  /**
   * Name.
   */
  const char *name;
  /**
   * Type as declared ("integer", "string", ...).
   */
  const char *type_name;
  /**
   * Unit ("" when missing).
   */
  const char *unit;
} gsp_attribute_def;

/**
 * A declared event.
 */
typedef struct gsp_event_def {
  /**
   * Event id (`E<id>`).
   */
  int64_t id;
  /**
   * Name.
   */
  const char *name;
  /**
   * Description.
   */
  const char *description;
  /**
   * `attribute_count` attribute descriptions; NULL when `attribute_count` is 0.
   */
  const struct gsp_attribute_def *attributes;
  /**
   * Number of attributes.
   */
  size_t attribute_count;
} gsp_event_def;

/**
 * A script's effective configuration.
 */
typedef struct gsp_config {
  /**
   * Effective period in seconds (at least min_period_s).
   */
  uint32_t period_s;
  /**
   * Effective maxruntime in ms (at most max_runtime_ms).
   */
  uint32_t max_runtime_ms;
  /**
   * `metric_count` metrics; NULL when `metric_count` is 0.
   */
  const struct gsp_metric_def *metrics;
  /**
   * Number of metrics.
   */
  size_t metric_count;
  /**
   * `event_count` events; NULL when `event_count` is 0.
   */
  const struct gsp_event_def *events;
  /**
   * Number of events.
   */
  size_t event_count;
  /**
   * The normalized configuration as compact JSON.
   */
  const char *json;
} gsp_config;

/**
 * A dimension value on a metric.
 */
typedef struct gsp_dimension {
  /**
   * Dimension id.
   */
  int64_t id;
  /**
   * Declared name.
   */
  const char *name;
  /**
   * Value as printed.
   */
  const char *value;
} gsp_dimension;

/**
 * One metric value.
 */
typedef struct gsp_metric {
  /**
   * Metric id.
   */
  int64_t metric_id;
  /**
   * Host time (ms) of the tick that started the run.
   */
  int64_t time_ms;
  /**
   * The value after calctype.
   */
  double value;
  /**
   * Declared metric name.
   */
  const char *name;
  /**
   * `dimension_count` dimension values in line order; NULL when `dimension_count` is 0.
   */
  const struct gsp_dimension *dimensions;
  /**
   * Number of dimensions (0 for lines without a dimension list).
   */
  size_t dimension_count;
} gsp_metric;

/**
 * One event.
 */
typedef struct gsp_event {
  /**
   * Event id.
   */
  int64_t event_id;
  /**
   * Start, absolute Unix seconds.
   */
  int64_t start_s;
  /**
   * End, absolute Unix seconds.
   */
  int64_t end_s;
  /**
   * Declared event name.
   */
  const char *name;
  /**
   * The message.
   */
  const char *message;
  /**
   * Attributes as a compact JSON object ("{}" when none).
   */
  const char *attributes_json;
  /**
   * Server or application.
   */
  gsp_scope scope;
} gsp_event;

/**
 * A problem or notice.
 */
typedef struct gsp_diagnostic {
  /**
   * Severity.
   */
  gsp_severity severity;
  /**
   * Kind.
   */
  gsp_diagnostic_kind kind;
  /**
   * Exit code, or -1 when none applies.
   */
  int32_t exit_code;
  /**
   * Terminating signal, or 0 when none applies.
   */
  int32_t signal;
  /**
   * 1-based output line at fault, or 0 when none applies.
   */
  uint64_t line;
  /**
   * Human-readable message (names the line and an excerpt where a line is at fault).
   */
  const char *message;
} gsp_diagnostic;

/**
 * One record. Exactly the member matching `kind` is non-NULL. Everything it points to is
 * owned by gsp and valid only during the callback: copy what you keep. Every pointer gsp hands
 * out is either NULL or valid: every string is non-NULL (possibly empty), and an array with a
 * count of 0 is NULL.
 */
typedef struct gsp_record {
  /**
   * Which member is set.
   */
  gsp_record_kind kind;
  /**
   * The script (0 for runtime-wide diagnostics).
   */
  uint64_t script_id;
  /**
   * GSP_RECORD_CONFIG.
   */
  const struct gsp_config *config;
  /**
   * GSP_RECORD_METRIC.
   */
  const struct gsp_metric *metric;
  /**
   * GSP_RECORD_EVENT.
   */
  const struct gsp_event *event;
  /**
   * GSP_RECORD_DIAGNOSTIC.
   */
  const struct gsp_diagnostic *diagnostic;
} gsp_record;

/**
 * Receives one record during gsp_drain(), on the draining thread, with no gsp lock held.
 * `record` and everything it points to are valid only until the callback returns.
 */
typedef void (*gsp_record_fn)(void *user_data, const struct gsp_record *record);

/**
 * Counters since the runtime was created.
 */
typedef struct gsp_stats {
  /**
   * Set to sizeof(gsp_stats) before calling gsp_stats_get(); gsp writes at most that many bytes.
   */
  size_t struct_size;
  /**
   * Processes spawned (a run whose spawn failed is not counted here but in runs_failed).
   */
  uint64_t runs_started;
  /**
   * Runs that exited 0 and whose output was used (a configuration parsed, data lines read).
   */
  uint64_t runs_succeeded;
  /**
   * Runs with no usable result: spawn failures, non-zero exits and deaths by signal, exit
   * statuses taken by another waiter, invalid configurations.
   */
  uint64_t runs_failed;
  /**
   * Runs killed at their deadline (the configuration timeout or maxruntime).
   */
  uint64_t runs_timed_out;
  /**
   * Runs killed for other reasons: the stdout cap, the script removed, the runtime freed.
   */
  uint64_t runs_killed;
  /**
   * Data lines read as values or events (also those whose Difference gave nothing yet).
   */
  uint64_t lines_parsed;
  /**
   * Data lines rejected (unparsable, or undeclared ids); each is also in a diagnostic.
   */
  uint64_t lines_rejected;
  /**
   * Records ever added to the queue, drop reports included.
   */
  uint64_t records_queued;
  /**
   * Records dropped because the queue was full; RECORDS_DROPPED diagnostics report them per
   * script.
   */
  uint64_t records_dropped;
  /**
   * Runs from the tick that made them due until all of their records are queued (waiting for
   * a slot, running, or being turned into records): with no run in flight and nothing
   * pending, the host has every record so far.
   */
  uint64_t runs_in_flight;
  /**
   * Scripts registered now.
   */
  uint64_t scripts;
} gsp_stats;

/**
 * One script's progress and cost, so an operator can find the script that costs the most.
 */
typedef struct gsp_script_stats {
  /**
   * Set to sizeof(gsp_script_stats) before calling gsp_script_stats_get().
   */
  size_t struct_size;
  /**
   * Configuration runs finished (any outcome).
   */
  uint64_t config_runs;
  /**
   * Data runs finished (any outcome).
   */
  uint64_t data_runs;
  /**
   * Wall time of the last finished run, in microseconds (0 before any).
   */
  uint64_t last_duration_us;
  /**
   * User plus system CPU time of the last finished run, in microseconds.
   */
  uint64_t last_cpu_us;
  /**
   * Peak resident set size of the last finished run, in KiB.
   */
  uint64_t last_max_rss_kib;
  /**
   * CPU time of all finished runs, in microseconds.
   */
  uint64_t total_cpu_us;
  /**
   * Wall time of all finished runs, in microseconds.
   */
  uint64_t total_duration_us;
  /**
   * The highest peak RSS of any run, in KiB.
   */
  uint64_t peak_rss_kib;
  /**
   * 1 while a run is in flight, else 0.
   */
  uint32_t running;
  /**
   * 1 once a configuration is in force, else 0.
   */
  uint32_t configured;
} gsp_script_stats;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * The library version, e.g. "0.1.0". A static string; never free it. Thread-safe.
 */
const char *gsp_version(void);

/**
 * Why the last gsp call on this thread that did not return GSP_STATUS_OK failed, e.g.
 * "invalid argument: worker_threads must be between 1 and 64" or "`out_id` is NULL"; "" when no
 * call on this thread has failed. Never NULL. The string belongs to gsp and stays valid until the
 * next gsp call on the same thread: copy it to keep it. Thread-safe: each thread has its own.
 */
const char *gsp_last_error_message(void);

/**
 * A static, human-readable name for a status value (any value; unknown ones give
 * "GSP_STATUS_UNKNOWN"). Never free it. Thread-safe.
 */
const char *gsp_status_str(uint32_t status);

/**
 * Fills `*opts` with the defaults and sets `opts->struct_size`. Pass `sizeof *opts` as `size`:
 * gsp writes at most that many bytes, so a host built against an older (smaller) header is
 * never overrun, and fields of a newer header that this library lacks are left alone.
 * GSP_STATUS_NULL_ARGUMENT for NULL; GSP_STATUS_INVALID_ARGUMENT for a size that is not the
 * size of some version of gsp_options. Thread-safe; touches only `*opts`.
 */
gsp_status gsp_options_init(struct gsp_options *opts, size_t size);

/**
 * Creates a runtime and starts its threads; `opts` may be NULL for the defaults. The host's
 * environment is captured now. On success writes the new handle to `*out`; otherwise `*out`
 * is untouched. Thread-safe. The caller owns the handle and frees it with gsp_runtime_free().
 */
gsp_status gsp_runtime_new(const struct gsp_options *opts, struct gsp_runtime **out);

/**
 * Kills and reaps every running script, joins gsp's threads and frees the runtime; returns within
 * about a second (plus the time the kernel takes to deliver SIGKILL). NULL is a no-op. Must not
 * race with other calls on the same runtime (as with free() of any object). Called from inside
 * this runtime's drain callback, it is deferred until that gsp_drain() returns.
 */
void gsp_runtime_free(struct gsp_runtime *rt);

/**
 * Registers a script command line (split like POSIX shell words, no shell; `-c`/`-d` appended).
 * Its configuration runs at the next gsp_tick(). On success writes the script id (never reused)
 * to `*out_id`. GSP_STATUS_INVALID_ARGUMENT for invalid UTF-8, an unclosed quote or an empty
 * line. Thread-safe; `command_line` is copied.
 */
gsp_status gsp_script_add(const struct gsp_runtime *rt, const char *command_line, uint64_t *out_id);

/**
 * Unregisters a script and kills its running process group, if any. Records already queued
 * stay queued. GSP_STATUS_NOT_FOUND for an unknown id. Thread-safe.
 */
gsp_status gsp_script_remove(const struct gsp_runtime *rt, uint64_t id);

/**
 * Runs the script's configuration mode again at the next tick (the script changed); data runs
 * pause until it succeeds. GSP_STATUS_NOT_FOUND for an unknown id. Thread-safe.
 */
gsp_status gsp_script_reconfigure(const struct gsp_runtime *rt, uint64_t id);

/**
 * Makes the script's next data run due at the next gsp_tick(), whatever its period (the period
 * restarts from that run). On success writes 1 to `*out_scheduled`, or 0 when the script has no
 * configuration yet or a run is in flight; `out_scheduled` may be NULL. GSP_STATUS_NOT_FOUND for
 * an unknown id. Thread-safe.
 */
gsp_status gsp_script_run_now(const struct gsp_runtime *rt, uint64_t id, uint32_t *out_scheduled);

/**
 * Starts every run due at the host's time `now_ms` (milliseconds, any epoch, normally Unix).
 * Non-blocking: runs start on gsp's threads, and parsing never holds it up. Call it regularly
 * (e.g. every second); clock jumps neither stall the schedule nor cause bursts, and any value
 * is accepted (sums saturate). GSP_STATUS_INTERNAL after an internal failure (a
 * GSP_DIAG_INTERNAL record says what). Thread-safe.
 */
gsp_status gsp_tick(const struct gsp_runtime *rt, int64_t now_ms);

/**
 * Blocks until records are pending, `timeout_ms` passes, or gsp_wake() is called. On success
 * writes the number pending to `*out_pending` when it is not NULL. Thread-safe.
 */
gsp_status gsp_wait(const struct gsp_runtime *rt, uint32_t timeout_ms, size_t *out_pending);

/**
 * Wakes every thread blocked in gsp_wait() on this runtime (it returns GSP_STATUS_OK with the
 * number of records pending), e.g. so a host can stop its agent loop. Thread-safe.
 */
gsp_status gsp_wake(const struct gsp_runtime *rt);

/**
 * Calls `fn(user_data, record)` for up to `max_records` queued records (0 = all that are pending
 * when the call starts), in order per script, on the calling thread, with no gsp lock held.
 * The record is valid only during the call. The callback may call any gsp function except
 * gsp_drain() on the same runtime (GSP_STATUS_BUSY); gsp_runtime_free() from the callback is
 * deferred until this call returns. Drains from several threads are serialized. On success
 * writes the number delivered to `*out_delivered` when it is not NULL.
 */
gsp_status gsp_drain(const struct gsp_runtime *rt,
                     gsp_record_fn callback,
                     void *user_data,
                     size_t max_records,
                     size_t *out_delivered);

/**
 * Writes the counters to `*out`. Set `out->struct_size = sizeof(gsp_stats)` first: gsp writes
 * at most that many bytes (GSP_STATUS_INVALID_ARGUMENT if it is smaller than the size field).
 * Thread-safe.
 */
gsp_status gsp_stats_get(const struct gsp_runtime *rt, struct gsp_stats *out);

/**
 * Writes one script's progress and cost to `*out`. Set `out->struct_size =
 * sizeof(gsp_script_stats)` first: gsp writes at most that many bytes. GSP_STATUS_NOT_FOUND for
 * an unknown id. Thread-safe.
 */
gsp_status gsp_script_stats_get(const struct gsp_runtime *rt,
                                uint64_t id,
                                struct gsp_script_stats *out);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* GSP_H */
