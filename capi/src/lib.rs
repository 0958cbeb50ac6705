//! libgsp, the C ABI: a thin layer over [`gsp::Runtime`].
//!
//! Conventions (after rustls-ffi): one status enum; every function inside a panic boundary; every
//! pointer checked for NULL; outputs written only on success; opaque handles with `_new`/`_free`,
//! `free(NULL)` a no-op; borrowed data valid only during a callback.

// Exported functions take raw pointers from C; their contract (documented in gsp.h) is what
// makes them sound, and every pointer is NULL-checked, so marking them `unsafe fn` adds nothing.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod convert;
mod error;
mod panic;
pub mod types;

use std::ffi::{c_char, c_void, CStr};
use std::mem::{offset_of, size_of};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use self::error::fail;
use self::panic::{boundary, boundary_void};
pub use self::types::*;
use gsp::{EnvMode, Error, Options, ResourceLimits, Runtime};
use std::path::PathBuf;

#[allow(non_camel_case_types)]
/// A gsp runtime (opaque). Create with gsp_runtime_new(), destroy with gsp_runtime_free().
pub struct gsp_runtime {
    rt: Runtime,
    /// Set when gsp_runtime_free() is called from inside this runtime's drain callback; the
    /// drain frees the runtime when the callback returns.
    free_requested: AtomicBool,
}

/// The status of `e`, with its message recorded for gsp_last_error_message().
fn status_of(e: &Error) -> gsp_status {
    let status = match e {
        Error::InvalidArgument(_) => gsp_status::GSP_STATUS_INVALID_ARGUMENT,
        Error::NotFound => gsp_status::GSP_STATUS_NOT_FOUND,
        Error::Busy => gsp_status::GSP_STATUS_BUSY,
        Error::Internal(_) => gsp_status::GSP_STATUS_INTERNAL,
    };
    fail(status, e.to_string())
}

fn result(r: Result<(), Error>) -> gsp_status {
    match r {
        Ok(()) => gsp_status::GSP_STATUS_OK,
        Err(e) => status_of(&e),
    }
}

macro_rules! try_ref {
    ($p:expr) => {{
        let p = $p;
        if p.is_null() {
            return fail(
                gsp_status::GSP_STATUS_NULL_ARGUMENT,
                concat!("`", stringify!($p), "` is NULL"),
            );
        }
        // SAFETY: non-NULL; the caller promises it points to a live object of this type.
        unsafe { &*p }
    }};
}

macro_rules! check_out {
    ($p:expr) => {
        if $p.is_null() {
            return fail(
                gsp_status::GSP_STATUS_NULL_ARGUMENT,
                concat!("`", stringify!($p), "` is NULL"),
            );
        }
    };
}

/// The library version, e.g. "0.1.0". A static string; never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn gsp_version() -> *const c_char {
    static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    VERSION.as_ptr().cast()
}

/// Why the last gsp call on this thread that did not return GSP_STATUS_OK failed, e.g.
/// "invalid argument: worker_threads must be between 1 and 64" or "`out_id` is NULL"; "" when no
/// call on this thread has failed. Never NULL. The string belongs to gsp and stays valid until the
/// next gsp call on the same thread: copy it to keep it. Thread-safe: each thread has its own.
#[no_mangle]
pub extern "C" fn gsp_last_error_message() -> *const c_char {
    error::last()
}

/// A static, human-readable name for a status value (any value; unknown ones give
/// "GSP_STATUS_UNKNOWN"). Never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn gsp_status_str(status: u32) -> *const c_char {
    let s: &'static CStr = match status {
        0 => c"GSP_STATUS_OK: success",
        1 => c"GSP_STATUS_NULL_ARGUMENT: a required pointer argument was NULL",
        2 => c"GSP_STATUS_INVALID_ARGUMENT: an argument was malformed",
        3 => c"GSP_STATUS_NOT_FOUND: no script with that id",
        4 => c"GSP_STATUS_BUSY: gsp_drain called from inside a drain callback",
        5 => c"GSP_STATUS_INTERNAL: internal error",
        _ => c"GSP_STATUS_UNKNOWN: not a gsp_status value",
    };
    s.as_ptr()
}

fn default_options() -> gsp_options {
    let d = Options::default();
    gsp_options {
        struct_size: size_of::<gsp_options>(),
        worker_threads: d.worker_threads as u32,
        max_concurrent_runs: d.max_concurrent_runs as u32,
        max_stdout_bytes: d.max_stdout_bytes as u64,
        stderr_tail_bytes: d.stderr_tail_bytes as u32,
        queue_capacity: d.queue_capacity as u32,
        config_timeout_ms: d.config_timeout_ms,
        max_runtime_ms: d.max_runtime_ms,
        min_period_s: d.min_period_s,
        kill_grace_ms: d.kill_grace_ms,
        extra_env: ptr::null(),
        run_as_user: ptr::null(),
        run_as_group: ptr::null(),
        working_dir: ptr::null(),
        cgroup_dir: ptr::null(),
        env_allow: ptr::null(),
        rlimit_cpu_s: 0,
        rlimit_as_bytes: 0,
        rlimit_nofile: 0,
        rlimit_nproc: 0,
        env_mode: gsp_env_mode::GSP_ENV_INHERIT as u32,
        refuse_root: 0,
        nice: 0,
        splay: 0,
        max_difference_series: d.max_difference_series as u64,
    }
}

/// Fills `*opts` with the defaults and sets `opts->struct_size`. Pass `sizeof *opts` as `size`:
/// gsp writes at most that many bytes, so a host built against an older (smaller) header is
/// never overrun, and fields of a newer header that this library lacks are left alone.
/// GSP_STATUS_NULL_ARGUMENT for NULL; GSP_STATUS_INVALID_ARGUMENT for a size that is not the
/// size of some version of gsp_options. Thread-safe; touches only `*opts`.
#[no_mangle]
pub extern "C" fn gsp_options_init(opts: *mut gsp_options, size: usize) -> gsp_status {
    boundary(|| {
        check_out!(opts);
        let ours = size_of::<gsp_options>();
        if size < ours && !options_field_ends().contains(&size) {
            return fail(gsp_status::GSP_STATUS_INVALID_ARGUMENT, bad_size(size));
        }
        let n = size.min(ours);
        let defaults = gsp_options {
            struct_size: n,
            ..default_options()
        };
        // SAFETY: the caller provides `size` writable bytes; we write `n <= size` of them.
        unsafe { write_versioned(&defaults, opts.cast(), n) };
        gsp_status::GSP_STATUS_OK
    })
}

/// Offsets at which a gsp_options from some header version may end.
fn options_field_ends() -> [usize; 26] {
    macro_rules! end {
        ($f:ident, $t:ty) => {
            offset_of!(gsp_options, $f) + size_of::<$t>()
        };
    }
    [
        end!(struct_size, usize),
        end!(worker_threads, u32),
        end!(max_concurrent_runs, u32),
        end!(max_stdout_bytes, u64),
        end!(stderr_tail_bytes, u32),
        end!(queue_capacity, u32),
        end!(config_timeout_ms, u32),
        end!(max_runtime_ms, u32),
        end!(min_period_s, u32),
        end!(kill_grace_ms, u32),
        end!(extra_env, *const *const c_char),
        end!(run_as_user, *const c_char),
        end!(run_as_group, *const c_char),
        end!(working_dir, *const c_char),
        end!(cgroup_dir, *const c_char),
        end!(env_allow, *const *const c_char),
        end!(rlimit_cpu_s, u64),
        end!(rlimit_as_bytes, u64),
        end!(rlimit_nofile, u64),
        end!(rlimit_nproc, u64),
        end!(env_mode, u32),
        end!(refuse_root, u32),
        end!(nice, i32),
        end!(splay, u32),
        end!(max_difference_series, u64),
        size_of::<gsp_options>(),
    ]
}

/// Reads a caller's gsp_options of any header version: fields it lacks keep their defaults,
/// fields it has beyond ours are ignored.
///
/// # Safety
/// `opts` points to at least `(*opts).struct_size` readable bytes.
unsafe fn read_options(opts: *const gsp_options) -> Result<Options, gsp_status> {
    let invalid = |message: String| fail(gsp_status::GSP_STATUS_INVALID_ARGUMENT, message);
    // SAFETY: struct_size is the first field of every version.
    let size = unsafe { ptr::read_unaligned(opts.cast::<usize>()) };
    let ours = size_of::<gsp_options>();
    if size < ours && !options_field_ends().contains(&size) {
        return Err(invalid(bad_size(size)));
    }
    let mut o = default_options();
    // SAFETY: the caller provides `size` bytes; we copy whole fields only (checked above).
    unsafe {
        ptr::copy_nonoverlapping(opts.cast::<u8>(), (&raw mut o).cast::<u8>(), size.min(ours));
    }
    // SAFETY (all reads below): NULL or NUL-terminated strings and NULL-terminated arrays, per
    // the documented contract.
    let extra_env = unsafe { string_array(o.extra_env, "extra_env") }?
        .into_iter()
        .map(|e| match e.split_once('=') {
            Some((k, v)) => Ok((k.to_string(), v.to_string())),
            None => Err(invalid(format!("extra_env entry `{e}` is not NAME=VALUE"))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let env_mode = match o.env_mode {
        0 => EnvMode::Inherit,
        1 => EnvMode::Clear,
        2 => EnvMode::Allow(unsafe { string_array(o.env_allow, "env_allow") }?),
        m => return Err(invalid(format!("env_mode {m} is not a gsp_env_mode value"))),
    };
    let nonzero = |v: u64| (v != 0).then_some(v);
    Ok(Options {
        worker_threads: o.worker_threads as usize,
        max_concurrent_runs: o.max_concurrent_runs as usize,
        max_stdout_bytes: usize::try_from(o.max_stdout_bytes).unwrap_or(usize::MAX),
        stderr_tail_bytes: o.stderr_tail_bytes as usize,
        queue_capacity: o.queue_capacity as usize,
        config_timeout_ms: o.config_timeout_ms,
        max_runtime_ms: o.max_runtime_ms,
        min_period_s: o.min_period_s,
        kill_grace_ms: o.kill_grace_ms,
        extra_env,
        env_mode,
        working_dir: unsafe { opt_string(o.working_dir, "working_dir") }?.map(PathBuf::from),
        run_as_user: unsafe { opt_string(o.run_as_user, "run_as_user") }?,
        run_as_group: unsafe { opt_string(o.run_as_group, "run_as_group") }?,
        refuse_root: o.refuse_root != 0,
        limits: ResourceLimits {
            cpu_seconds: nonzero(o.rlimit_cpu_s),
            address_space_bytes: nonzero(o.rlimit_as_bytes),
            open_files: nonzero(o.rlimit_nofile),
            processes: nonzero(o.rlimit_nproc),
            nice: (o.nice != 0).then_some(o.nice),
        },
        cgroup_dir: unsafe { opt_string(o.cgroup_dir, "cgroup_dir") }?.map(PathBuf::from),
        splay: o.splay != 0,
        max_difference_series: match o.max_difference_series {
            0 => Options::default().max_difference_series,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        },
    })
}

/// A NULL-terminated array of C strings (NULL: empty).
///
/// # Safety
/// `p` is NULL or a NULL-terminated array of NUL-terminated strings.
unsafe fn string_array(mut p: *const *const c_char, what: &str) -> Result<Vec<String>, gsp_status> {
    let mut out = Vec::new();
    if p.is_null() {
        return Ok(out);
    }
    // SAFETY: per the function's contract.
    unsafe {
        while !(*p).is_null() {
            out.push(opt_string(*p, what)?.unwrap_or_default());
            p = p.add(1);
        }
    }
    Ok(out)
}

/// A C string as UTF-8 (NULL: `None`).
///
/// # Safety
/// `p` is NULL or NUL-terminated.
unsafe fn opt_string(p: *const c_char, what: &str) -> Result<Option<String>, gsp_status> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: per the function's contract.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str().map(|s| Some(s.to_string())).map_err(|_| {
        fail(
            gsp_status::GSP_STATUS_INVALID_ARGUMENT,
            format!("{what} is not valid UTF-8"),
        )
    })
}

fn bad_size(size: usize) -> String {
    format!(
        "struct_size {size} is not the size of any version of gsp_options (this library's is {}); \
         fill the struct with gsp_options_init(&opts, sizeof opts)",
        size_of::<gsp_options>()
    )
}

/// Creates a runtime and starts its threads; `opts` may be NULL for the defaults. The host's
/// environment is captured now. On success writes the new handle to `*out`; otherwise `*out`
/// is untouched. Thread-safe. The caller owns the handle and frees it with gsp_runtime_free().
#[no_mangle]
pub extern "C" fn gsp_runtime_new(
    opts: *const gsp_options,
    out: *mut *mut gsp_runtime,
) -> gsp_status {
    boundary(|| {
        check_out!(out);
        let options = if opts.is_null() {
            Options::default()
        } else {
            // SAFETY: non-NULL; the caller promises struct_size readable bytes.
            match unsafe { read_options(opts) } {
                Ok(o) => o,
                Err(s) => return s,
            }
        };
        match Runtime::new(options) {
            Ok(rt) => {
                let handle = Box::new(gsp_runtime {
                    rt,
                    free_requested: AtomicBool::new(false),
                });
                // SAFETY: non-NULL out pointer.
                unsafe { out.write(Box::into_raw(handle)) };
                gsp_status::GSP_STATUS_OK
            }
            Err(e) => status_of(&e),
        }
    })
}

/// Kills and reaps every running script, joins gsp's threads and frees the runtime; returns within
/// about a second (plus the time the kernel takes to deliver SIGKILL). NULL is a no-op. Must not
/// race with other calls on the same runtime (as with free() of any object). Called from inside
/// this runtime's drain callback, it is deferred until that gsp_drain() returns.
#[no_mangle]
pub extern "C" fn gsp_runtime_free(rt: *mut gsp_runtime) {
    boundary_void(|| {
        if rt.is_null() {
            return;
        }
        // SAFETY: non-NULL handle from gsp_runtime_new.
        let handle = unsafe { &*rt };
        if handle.rt.in_drain_callback() {
            handle.free_requested.store(true, Ordering::Release);
            return;
        }
        // SAFETY: the handle came from Box::into_raw and is freed once.
        drop(unsafe { Box::from_raw(rt) });
    })
}

/// Registers a script command line (split like POSIX shell words, no shell; `-c`/`-d` appended).
/// Its configuration runs at the next gsp_tick(). On success writes the script id (never reused)
/// to `*out_id`. GSP_STATUS_INVALID_ARGUMENT for invalid UTF-8, an unclosed quote or an empty
/// line. Thread-safe; `command_line` is copied.
#[no_mangle]
pub extern "C" fn gsp_script_add(
    rt: *const gsp_runtime,
    command_line: *const c_char,
    out_id: *mut u64,
) -> gsp_status {
    boundary(|| {
        let handle = try_ref!(rt);
        check_out!(command_line);
        check_out!(out_id);
        // SAFETY: non-NULL, NUL-terminated per the contract.
        let Ok(text) = unsafe { CStr::from_ptr(command_line) }.to_str() else {
            return fail(
                gsp_status::GSP_STATUS_INVALID_ARGUMENT,
                "the command line is not valid UTF-8",
            );
        };
        match handle.rt.add_script(text) {
            Ok(id) => {
                // SAFETY: non-NULL out pointer.
                unsafe { out_id.write(id) };
                gsp_status::GSP_STATUS_OK
            }
            Err(e) => status_of(&e),
        }
    })
}

/// Unregisters a script and kills its running process group, if any. Records already queued
/// stay queued. GSP_STATUS_NOT_FOUND for an unknown id. Thread-safe.
#[no_mangle]
pub extern "C" fn gsp_script_remove(rt: *const gsp_runtime, id: u64) -> gsp_status {
    boundary(|| result(try_ref!(rt).rt.remove_script(id)))
}

/// Runs the script's configuration mode again at the next tick (the script changed); data runs
/// pause until it succeeds. GSP_STATUS_NOT_FOUND for an unknown id. Thread-safe.
#[no_mangle]
pub extern "C" fn gsp_script_reconfigure(rt: *const gsp_runtime, id: u64) -> gsp_status {
    boundary(|| result(try_ref!(rt).rt.reconfigure(id)))
}

/// Makes the script's next data run due at the next gsp_tick(), whatever its period (the period
/// restarts from that run). On success writes 1 to `*out_scheduled`, or 0 when the script has no
/// configuration yet or a run is in flight; `out_scheduled` may be NULL. GSP_STATUS_NOT_FOUND for
/// an unknown id. Thread-safe.
#[no_mangle]
pub extern "C" fn gsp_script_run_now(
    rt: *const gsp_runtime,
    id: u64,
    out_scheduled: *mut u32,
) -> gsp_status {
    boundary(|| match try_ref!(rt).rt.run_now(id) {
        Ok(scheduled) => {
            if !out_scheduled.is_null() {
                // SAFETY: non-NULL out pointer.
                unsafe { out_scheduled.write(u32::from(scheduled)) };
            }
            gsp_status::GSP_STATUS_OK
        }
        Err(e) => status_of(&e),
    })
}

/// Starts every run due at the host's time `now_ms` (milliseconds, any epoch, normally Unix).
/// Non-blocking: runs start on gsp's threads, and parsing never holds it up. Call it regularly
/// (e.g. every second); clock jumps neither stall the schedule nor cause bursts, and any value
/// is accepted (sums saturate). GSP_STATUS_INTERNAL after an internal failure (a
/// GSP_DIAG_INTERNAL record says what). Thread-safe.
#[no_mangle]
pub extern "C" fn gsp_tick(rt: *const gsp_runtime, now_ms: i64) -> gsp_status {
    boundary(|| {
        let handle = try_ref!(rt);
        handle.rt.tick(now_ms);
        result(handle.rt.health())
    })
}

/// Blocks until records are pending, `timeout_ms` passes, or gsp_wake() is called. On success
/// writes the number pending to `*out_pending` when it is not NULL. Thread-safe.
#[no_mangle]
pub extern "C" fn gsp_wait(
    rt: *const gsp_runtime,
    timeout_ms: u32,
    out_pending: *mut usize,
) -> gsp_status {
    boundary(|| {
        let handle = try_ref!(rt);
        let n = handle.rt.wait(Duration::from_millis(u64::from(timeout_ms)));
        if !out_pending.is_null() {
            // SAFETY: non-NULL out pointer.
            unsafe { out_pending.write(n) };
        }
        gsp_status::GSP_STATUS_OK
    })
}

/// Wakes every thread blocked in gsp_wait() on this runtime (it returns GSP_STATUS_OK with the
/// number of records pending), e.g. so a host can stop its agent loop. Thread-safe.
#[no_mangle]
pub extern "C" fn gsp_wake(rt: *const gsp_runtime) -> gsp_status {
    boundary(|| {
        try_ref!(rt).rt.wake();
        gsp_status::GSP_STATUS_OK
    })
}

/// Calls `fn(user_data, record)` for up to `max_records` queued records (0 = all that are pending
/// when the call starts), in order per script, on the calling thread, with no gsp lock held.
/// The record is valid only during the call. The callback may call any gsp function except
/// gsp_drain() on the same runtime (GSP_STATUS_BUSY); gsp_runtime_free() from the callback is
/// deferred until this call returns. Drains from several threads are serialized. On success
/// writes the number delivered to `*out_delivered` when it is not NULL.
#[no_mangle]
pub extern "C" fn gsp_drain(
    rt: *const gsp_runtime,
    callback: gsp_record_fn,
    user_data: *mut c_void,
    max_records: usize,
    out_delivered: *mut usize,
) -> gsp_status {
    boundary(|| {
        let handle = try_ref!(rt);
        let Some(callback) = callback else {
            return fail(gsp_status::GSP_STATUS_NULL_ARGUMENT, "`callback` is NULL");
        };
        let max = if max_records == 0 {
            usize::MAX
        } else {
            max_records
        };
        let drained = handle.rt.drain(max, |record| {
            // SAFETY: the host's callback, given the view that lives for this call only.
            convert::lend(record, |c| unsafe { callback(user_data, c) });
        });
        // Only the outermost drain frees: a nested call (BUSY) returns into a drain that still
        // uses the runtime.
        let outermost = !matches!(drained, Err(Error::Busy));
        let free = outermost && handle.free_requested.load(Ordering::Acquire);
        let status = match drained {
            Ok(n) => {
                if !out_delivered.is_null() {
                    // SAFETY: non-NULL out pointer.
                    unsafe { out_delivered.write(n) };
                }
                gsp_status::GSP_STATUS_OK
            }
            Err(e) => status_of(&e),
        };
        if free {
            // SAFETY: the callback asked to free this runtime (created by Box::into_raw in
            // gsp_runtime_new); the drain is over.
            drop(unsafe { Box::from_raw(rt.cast_mut()) });
        }
        status
    })
}

/// Writes the counters to `*out`. Set `out->struct_size = sizeof(gsp_stats)` first: gsp writes
/// at most that many bytes (GSP_STATUS_INVALID_ARGUMENT if it is smaller than the size field).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn gsp_stats_get(rt: *const gsp_runtime, out: *mut gsp_stats) -> gsp_status {
    boundary(|| {
        let handle = try_ref!(rt);
        check_out!(out);
        let size = match versioned_size::<gsp_stats>(out.cast()) {
            Ok(size) => size,
            Err(s) => return s,
        };
        let s = handle.rt.stats();
        let stats = gsp_stats {
            struct_size: size,
            runs_started: s.runs_started,
            runs_succeeded: s.runs_succeeded,
            runs_failed: s.runs_failed,
            runs_timed_out: s.runs_timed_out,
            runs_killed: s.runs_killed,
            lines_parsed: s.lines_parsed,
            lines_rejected: s.lines_rejected,
            records_queued: s.records_queued,
            records_dropped: s.records_dropped,
            runs_in_flight: s.runs_in_flight,
            scripts: s.scripts,
        };
        // SAFETY: the caller provides `size` writable bytes.
        unsafe { write_versioned(&stats, out.cast(), size) };
        gsp_status::GSP_STATUS_OK
    })
}

/// Writes one script's progress and cost to `*out`. Set `out->struct_size =
/// sizeof(gsp_script_stats)` first: gsp writes at most that many bytes. GSP_STATUS_NOT_FOUND for
/// an unknown id. Thread-safe.
#[no_mangle]
pub extern "C" fn gsp_script_stats_get(
    rt: *const gsp_runtime,
    id: u64,
    out: *mut gsp_script_stats,
) -> gsp_status {
    boundary(|| {
        let handle = try_ref!(rt);
        check_out!(out);
        let size = match versioned_size::<gsp_script_stats>(out.cast()) {
            Ok(size) => size,
            Err(s) => return s,
        };
        let s = match handle.rt.script_state(id) {
            Ok(s) => s,
            Err(e) => return status_of(&e),
        };
        let us = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let last = s.last_run.unwrap_or_default();
        let stats = gsp_script_stats {
            struct_size: size,
            config_runs: s.config_runs_done,
            data_runs: s.data_runs_done,
            last_duration_us: us(last.duration),
            last_cpu_us: us(last.cpu),
            last_max_rss_kib: last.max_rss_kib,
            total_cpu_us: us(s.total_cpu),
            total_duration_us: us(s.total_duration),
            peak_rss_kib: s.peak_rss_kib,
            running: u32::from(s.running),
            configured: u32::from(s.config.is_some()),
        };
        // SAFETY: the caller provides `size` writable bytes.
        unsafe { write_versioned(&stats, out.cast(), size) };
        gsp_status::GSP_STATUS_OK
    })
}

/// The number of bytes of a caller's `struct_size`-versioned output struct that gsp may write:
/// the smaller of the caller's struct_size and ours.
fn versioned_size<T>(out: *const u8) -> Result<usize, gsp_status> {
    // SAFETY: non-NULL (checked by the caller); struct_size is the first field of every version.
    let size = unsafe { ptr::read_unaligned(out.cast::<usize>()) };
    if size < size_of::<usize>() {
        return Err(fail(
            gsp_status::GSP_STATUS_INVALID_ARGUMENT,
            format!("struct_size {size} is too small: set it to the struct's sizeof"),
        ));
    }
    Ok(size.min(size_of::<T>()))
}

/// Copies the first `size` bytes of `value` to `out`.
///
/// # Safety
/// `out` has `size` writable bytes and `size <= size_of::<T>()`.
unsafe fn write_versioned<T>(value: &T, out: *mut u8, size: usize) {
    // SAFETY: per the function's contract.
    unsafe { ptr::copy_nonoverlapping((value as *const T).cast::<u8>(), out, size) };
}
