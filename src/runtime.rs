//! The runtime: registered scripts, the host-driven tick, worker threads that spawn runs and turn
//! finished runs into records, and the drain.
//!
//! Lock order: `state`, then the record queue. No lock is held while the host's drain callback runs.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};

use crate::cgroup::{self, RunCgroup};
use crate::cmdline::{CommandLine, SHOWN_CHARS};
use crate::contain::{self, ContainedSpawn, Credentials, ResourceLimits};
use crate::diagnostic::{printable, shortened};
use crate::difference::DifferenceState;
use crate::exec::{self, Child, EnvBlock, EnvMode, ExitStatus, SpawnError};
use crate::protocol::config::{
    parse_config_cancellable, Calctype, ConfigError, ConfigLimits, ConfigNote, ScriptConfig,
};
use crate::protocol::data::{interpret, RunData};
use crate::queue::RecordQueue;
use crate::reactor::{panic_message, EndReason, Finished, Handler, Reactor, RunLimits, Watch};
use crate::record::{
    ConfigRecord, Diagnostic, DiagnosticKind, EventRecord, MetricRecord, Record, ScriptId, Severity,
};
use crate::schedule::{Decision, Mode, Schedule};

/// Bad lines described individually per run; the rest are counted in one diagnostic.
pub const MAX_LINE_DIAGNOSTICS_PER_RUN: usize = 20;

/// Configuration notes described individually per configuration run; the rest are counted in
/// one diagnostic, so a huge configuration cannot flood the record queue.
pub const MAX_CONFIG_NOTES_PER_RUN: usize = 50;

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
            max_difference_series: crate::difference::DEFAULT_MAX_SERIES,
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
struct Counters {
    started: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
    timed_out: AtomicU64,
    killed: AtomicU64,
    lines_parsed: AtomicU64,
    lines_rejected: AtomicU64,
}

fn bump(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

struct Script {
    command: CommandLine,
    /// Finished configuration and data runs, whatever their outcome.
    runs_done: [u64; 2],
    cost: Costs,
    schedule: Schedule,
    config: Option<Arc<ScriptConfig>>,
    difference: DifferenceState,
    /// Whether a lost exit status was reported for this script.
    status_lost_reported: bool,
}

struct RunInfo {
    script_id: ScriptId,
    mode: Mode,
    generation: u64,
    host_ms: i64,
    command: CommandLine,
    /// The configuration in force when a data run started.
    config: Option<Arc<ScriptConfig>>,
    cancelled: bool,
    /// Set once the process exists (so cancelling must kill it).
    pid: Option<libc::pid_t>,
}

#[derive(Default)]
struct State {
    scripts: BTreeMap<ScriptId, Script>,
    /// When each script next needs a look (min-heap; stale entries only cause an extra poll), so
    /// a tick costs the scripts that are due, not every script.
    due: BinaryHeap<Reverse<(i64, ScriptId)>>,
    /// The previous tick's time: a clock that went back makes every script due for a look.
    last_tick: Option<i64>,
    next_script_id: ScriptId,
    runs: HashMap<u64, RunInfo>,
    next_run_id: u64,
    /// Data runs waiting for a slot.
    waiting: VecDeque<u64>,
    /// Configuration runs waiting for a slot (they have their own, smaller limit).
    waiting_config: VecDeque<u64>,
    spawning_or_running: usize,
    /// Configuration runs spawning or running.
    config_running: usize,
    /// Runs in `runs` plus runs whose records are still being built (see [`Stats::runs_in_flight`]).
    in_flight: u64,
    shutting_down: bool,
}

impl State {
    /// Queues a look at a script whose schedule just changed (a run ended).
    fn reschedule(&mut self, id: ScriptId) {
        if let Some(next) = self.scripts.get(&id).and_then(|s| s.schedule.next_due()) {
            self.due.push(Reverse((next, id)));
        }
    }
}

/// Work for the worker threads.
enum Job {
    /// Makes a worker panic (tests of the panic net only).
    #[cfg(test)]
    Panic,
    /// Start a run (part of a large batch; small batches start on the I/O thread).
    Spawn(u64),
    /// Parse a finished run with large output.
    Parse(Finished),
}

#[derive(Default)]
struct Jobs {
    queue: Mutex<(VecDeque<Job>, bool)>,
    ready: Condvar,
}

impl Jobs {
    fn push_all(&self, jobs: impl IntoIterator<Item = Job>) {
        let mut q = self.queue.lock();
        let before = q.0.len();
        if !q.1 {
            q.0.extend(jobs);
        }
        // Wake the workers only for real work: each wake-up costs them a context switch.
        if q.0.len() > before {
            self.ready.notify_all();
        }
    }

    fn push(&self, job: Job) {
        let mut q = self.queue.lock();
        if !q.1 {
            q.0.push_back(job);
            self.ready.notify_one();
        }
    }

    fn pop(&self) -> Option<Job> {
        let mut q = self.queue.lock();
        loop {
            if q.1 {
                return None;
            }
            if let Some(job) = q.0.pop_front() {
                return Some(job);
            }
            self.ready.wait(&mut q);
        }
    }

    fn close(&self) {
        self.queue.lock().1 = true;
        self.ready.notify_all();
    }
}

struct Inner {
    options: Options,
    limits: ConfigLimits,
    env: EnvBlock,
    credentials: Option<Credentials>,
    cwd: Option<CString>,
    devnull: OwnedFd,
    state: Mutex<State>,
    queue: RecordQueue,
    counters: Counters,
    jobs: Arc<Jobs>,
    reactor: Reactor,
    drain_lock: Mutex<()>,
    drain_owner: AtomicU64,
    /// The first internal failure (a panic on one of gsp's threads); calls fail once it is set.
    broken: Mutex<Option<String>>,
    /// Set by shutdown: a configuration being read gives up, so freeing stays quick.
    stopping: AtomicBool,
    /// Runs at once: the option, or fewer when their descriptors do not fit RLIMIT_NOFILE.
    max_concurrent_runs: usize,
    /// Configuration runs at once.
    config_slots: usize,
}

/// A gsp runtime: register scripts, call [`Runtime::tick`] with your clock, and
/// [`Runtime::drain`] records. Every method takes `&self` and may be called from any thread.
pub struct Runtime {
    inner: Arc<Inner>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

thread_local! {
    static THREAD_TOKEN: u64 = {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        NEXT.fetch_add(1, Ordering::Relaxed)
    };
}

fn thread_token() -> u64 {
    THREAD_TOKEN.with(|t| *t)
}

impl Runtime {
    /// Creates a runtime and starts its threads. The host's environment is captured now.
    pub fn new(options: Options) -> Result<Runtime, Error> {
        if options.worker_threads == 0 || options.worker_threads > 64 {
            return Err(Error::InvalidArgument(
                "worker_threads must be between 1 and 64".into(),
            ));
        }
        if options.max_concurrent_runs == 0
            || options.max_stdout_bytes == 0
            || options.max_difference_series == 0
        {
            return Err(Error::InvalidArgument(
                "max_concurrent_runs, max_stdout_bytes and max_difference_series must be positive"
                    .into(),
            ));
        }
        if options.config_timeout_ms == 0
            || options.max_runtime_ms == 0
            || options.min_period_s == 0
        {
            return Err(Error::InvalidArgument(
                "config_timeout_ms, max_runtime_ms and min_period_s must be positive".into(),
            ));
        }
        let env = EnvBlock::new(&options.env_mode, &options.extra_env)
            .map_err(|e| Error::InvalidArgument(e.to_string()))?;
        let credentials = match &options.run_as_user {
            Some(user) => Some(
                contain::resolve_credentials(user, options.run_as_group.as_deref())
                    .map_err(Error::InvalidArgument)?,
            ),
            None if options.run_as_group.is_some() => {
                return Err(Error::InvalidArgument(
                    "run_as_group needs run_as_user".into(),
                ))
            }
            None => None,
        };
        let cwd = match &options.working_dir {
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
        if let Some(dir) = &options.cgroup_dir {
            cgroup::check_parent(dir).map_err(Error::InvalidArgument)?;
        }
        if options
            .limits
            .nice
            .is_some_and(|n| !(-20..=19).contains(&n))
        {
            return Err(Error::InvalidArgument(
                "nice must be between -20 and 19".into(),
            ));
        }
        let (max_concurrent_runs, descriptor_note) =
            fit_descriptor_limit(options.max_concurrent_runs);
        let devnull =
            exec::open_devnull().map_err(|e| Error::Internal(format!("/dev/null: {e}")))?;
        let jobs = Arc::new(Jobs::default());
        let reactor = Reactor::new()
            .map_err(|e| Error::Internal(format!("cannot create an eventfd: {e}")))?;
        let inner = Arc::new(Inner {
            limits: ConfigLimits {
                max_runtime_ms: options.max_runtime_ms,
                min_period_s: options.min_period_s,
            },
            queue: RecordQueue::new(options.queue_capacity),
            options,
            env,
            credentials,
            cwd,
            devnull,
            state: Mutex::new(State {
                next_script_id: 1,
                ..State::default()
            }),
            counters: Counters::default(),
            jobs,
            reactor,
            drain_lock: Mutex::new(()),
            drain_owner: AtomicU64::new(0),
            broken: Mutex::new(None),
            stopping: AtomicBool::new(false),
            max_concurrent_runs,
            config_slots: std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .saturating_mul(2)
                .max(4),
        });
        if let Some(note) = descriptor_note {
            inner.queue.push(Record::Diagnostic(note));
        }
        // gsp's threads start with asynchronous signals blocked, so a signal sent to the host
        // process always reaches one of the host's own threads.
        let _blocked = SignalsBlocked::new();
        inner
            .reactor
            .start(
                Box::new(Link(Arc::downgrade(&inner))),
                Duration::from_millis(u64::from(inner.options.kill_grace_ms)),
                inner.options.stderr_tail_bytes,
            )
            .map_err(|e| Error::Internal(format!("cannot start the I/O thread: {e}")))?;
        let mut workers = Vec::new();
        for i in 0..inner.options.worker_threads {
            let w = inner.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("gsp-worker-{i}"))
                .spawn(move || {
                    while let Some(job) = w.jobs.pop() {
                        // A panic is a bug in gsp: report it and keep serving the other jobs.
                        let done = catch_unwind(AssertUnwindSafe(|| match job {
                            #[cfg(test)]
                            Job::Panic => panic!("injected by a test"),
                            Job::Spawn(run) => {
                                if let Some(watch) = w.spawn_run(run) {
                                    w.reactor.watch(watch);
                                }
                            }
                            Job::Parse(finished) => w.finish_run(finished),
                        }));
                        if let Err(payload) = done {
                            w.fail(format!(
                                "a worker thread panicked: {}",
                                panic_message(&*payload)
                            ));
                        }
                    }
                });
            match spawned {
                Ok(h) => workers.push(h),
                Err(e) => {
                    let rt = Runtime {
                        inner,
                        workers: Mutex::new(workers),
                    };
                    rt.shutdown();
                    return Err(Error::Internal(format!(
                        "cannot start a worker thread: {e}"
                    )));
                }
            }
        }
        Ok(Runtime {
            inner,
            workers: Mutex::new(workers),
        })
    }

    /// `Err(Error::Internal)` once one of gsp's threads has failed (a panic: a bug in gsp, also
    /// reported by an internal diagnostic). Every call that changes the runtime then fails the
    /// same way, and ticks start nothing; drains still deliver what was queued.
    pub fn health(&self) -> Result<(), Error> {
        match &*self.inner.broken.lock() {
            Some(what) => Err(Error::Internal(what.clone())),
            None => Ok(()),
        }
    }

    /// Registers a script command line; its configuration runs at the next tick.
    pub fn add_script(&self, command_line: &str) -> Result<ScriptId, Error> {
        self.health()?;
        let command = CommandLine::parse(command_line).map_err(Error::InvalidArgument)?;
        let mut st = self.inner.state.lock();
        let id = st.next_script_id;
        st.next_script_id += 1;
        st.scripts.insert(
            id,
            Script {
                command,
                runs_done: [0, 0],
                cost: Costs::default(),
                schedule: Schedule::new(),
                config: None,
                difference: DifferenceState::new(self.inner.options.max_difference_series),
                status_lost_reported: false,
            },
        );
        st.due.push(Reverse((i64::MIN, id)));
        Ok(id)
    }

    /// Unregisters a script, killing its running process group. Its queued records stay queued.
    pub fn remove_script(&self, id: ScriptId) -> Result<(), Error> {
        self.health()?;
        let mut st = self.inner.state.lock();
        st.scripts.remove(&id).ok_or(Error::NotFound)?;
        for (&run, info) in st.runs.iter_mut().filter(|(_, i)| i.script_id == id) {
            info.cancelled = true;
            if info.pid.is_some() {
                self.inner.reactor.cancel(run);
            }
        }
        Ok(())
    }

    /// Runs configuration mode again at the next tick (the script changed).
    pub fn reconfigure(&self, id: ScriptId) -> Result<(), Error> {
        self.health()?;
        let mut st = self.inner.state.lock();
        st.scripts
            .get_mut(&id)
            .ok_or(Error::NotFound)?
            .schedule
            .reconfigure();
        st.due.push(Reverse((i64::MIN, id)));
        Ok(())
    }

    /// Makes the script's next data run due at the next tick, whatever its period; the period then
    /// restarts from that run. `Ok(false)` when the script has no configuration yet or a run is in
    /// flight (nothing changes).
    pub fn run_now(&self, id: ScriptId) -> Result<bool, Error> {
        self.health()?;
        let mut st = self.inner.state.lock();
        let started = st
            .scripts
            .get_mut(&id)
            .ok_or(Error::NotFound)?
            .schedule
            .run_now();
        if started {
            st.due.push(Reverse((i64::MIN, id)));
        }
        Ok(started)
    }

    /// Starts every run due at host time `now_ms`. Never blocks on a script or on parsing.
    /// Starts nothing after an internal failure (see [`Runtime::health`]).
    pub fn tick(&self, now_ms: i64) {
        if self.health().is_err() {
            return;
        }
        let inner = &*self.inner;
        let mut diags = Vec::new();
        let mut st = inner.state.lock();
        if st.shutting_down {
            return;
        }
        if st.last_tick.is_some_and(|t| now_ms < t) {
            let ids: Vec<ScriptId> = st.scripts.keys().copied().collect();
            st.due
                .extend(ids.into_iter().map(|id| Reverse((i64::MIN, id))));
        }
        st.last_tick = Some(now_ms);
        let mut polled = Vec::new();
        while let Some(&Reverse((at, id))) = st.due.peek() {
            if at > now_ms {
                break;
            }
            st.due.pop();
            polled.push(id);
        }
        polled.sort_unstable();
        polled.dedup();
        let mut starts = Vec::new();
        let State { scripts, due, .. } = &mut *st;
        for id in polled {
            let Some(script) = scripts.get_mut(&id) else {
                continue; // removed
            };
            let decision = script.schedule.poll(now_ms);
            if let Some(next) = script.schedule.next_due() {
                due.push(Reverse((next, id)));
            }
            match decision {
                Decision::Idle => {}
                Decision::Overrun => diags.push(Record::Diagnostic(Diagnostic::new(
                    id,
                    Severity::Warning,
                    DiagnosticKind::Overrun,
                    format!(
                        "`{}` was due again while its previous run is still going; this run is skipped",
                        script.command.shown
                    ),
                ))),
                Decision::Start(mode) => starts.push(RunInfo {
                    script_id: id,
                    mode,
                    generation: script.schedule.generation(),
                    host_ms: now_ms,
                    command: script.command.clone(),
                    config: script.config.clone(),
                    cancelled: false,
                    pid: None,
                }),
            }
        }
        for info in starts {
            let run = st.next_run_id;
            st.next_run_id += 1;
            let mode = info.mode;
            st.runs.insert(run, info);
            st.in_flight += 1;
            match mode {
                Mode::Config => st.waiting_config.push_back(run),
                Mode::Data => st.waiting.push_back(run),
            }
        }
        inner.start_waiting(&mut st);
        drop(st);
        inner.queue.push_all(diags);
    }

    /// Where a script stands, for hosts that wait for runs to finish (e.g. `gsp run --once`).
    pub fn script_state(&self, id: ScriptId) -> Result<ScriptState, Error> {
        let st = self.inner.state.lock();
        let s = st.scripts.get(&id).ok_or(Error::NotFound)?;
        Ok(ScriptState {
            last_run: s.cost.last,
            total_cpu: s.cost.total_cpu,
            total_duration: s.cost.total_duration,
            peak_rss_kib: s.cost.peak_rss_kib,
            config_runs_done: s.runs_done[Mode::Config as usize],
            data_runs_done: s.runs_done[Mode::Data as usize],
            config: s.config.clone(),
            running: s.schedule.running().is_some(),
        })
    }

    /// Blocks until records are pending or `timeout` passes; returns how many are pending.
    pub fn wait(&self, timeout: Duration) -> usize {
        // Hold the shared state, not `self`: a C host may free the runtime while this thread
        // waits; shutdown closes the queue, which ends the wait.
        let inner = Arc::clone(&self.inner);
        inner.queue.wait(timeout)
    }

    /// Wakes every thread blocked in [`Runtime::wait`].
    pub fn wake(&self) {
        self.inner.queue.wake();
    }

    /// Records pending now.
    pub fn pending(&self) -> usize {
        self.inner.queue.len()
    }

    /// Calls `f` for up to `max` queued records (those pending when the call starts), in order per
    /// script, on the calling thread, with no internal lock held. `f` may call any method except
    /// `drain`, which then returns [`Error::Busy`].
    pub fn drain(&self, max: usize, mut f: impl FnMut(&Record)) -> Result<usize, Error> {
        let me = thread_token();
        let inner = &*self.inner;
        if inner.drain_owner.load(Ordering::Acquire) == me {
            return Err(Error::Busy);
        }
        let _serial = inner.drain_lock.lock();
        inner.drain_owner.store(me, Ordering::Release);
        struct Owner<'a>(&'a AtomicU64);
        impl Drop for Owner<'_> {
            fn drop(&mut self) {
                self.0.store(0, Ordering::Release);
            }
        }
        let _owner = Owner(&inner.drain_owner);
        let limit = max.min(inner.queue.len());
        let mut delivered = 0;
        while delivered < limit {
            let batch = inner.queue.pop_batch((limit - delivered).min(256));
            if batch.is_empty() {
                break;
            }
            for record in &batch {
                delivered += 1;
                f(record);
            }
        }
        Ok(delivered)
    }

    /// Whether the calling thread is inside this runtime's drain callback.
    pub fn in_drain_callback(&self) -> bool {
        self.inner.drain_owner.load(Ordering::Acquire) == thread_token()
    }

    /// Counters since creation.
    pub fn stats(&self) -> Stats {
        let inner = &*self.inner;
        let c = &inner.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let st = inner.state.lock();
        Stats {
            runs_started: get(&c.started),
            runs_succeeded: get(&c.succeeded),
            runs_failed: get(&c.failed),
            runs_timed_out: get(&c.timed_out),
            runs_killed: get(&c.killed),
            lines_parsed: get(&c.lines_parsed),
            lines_rejected: get(&c.lines_rejected),
            records_queued: inner.queue.queued_total(),
            records_dropped: inner.queue.dropped_total(),
            runs_in_flight: st.in_flight,
            scripts: st.scripts.len() as u64,
        }
    }

    /// Kills and reaps every running script and joins gsp's threads. Idempotent; also done on drop.
    pub fn shutdown(&self) {
        self.inner.stopping.store(true, Ordering::Relaxed);
        self.inner.state.lock().shutting_down = true;
        self.inner.queue.close();
        self.inner.jobs.close();
        for w in std::mem::take(&mut *self.workers.lock()) {
            let _ = w.join();
        }
        self.inner.reactor.shutdown();
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Blocks every asynchronous signal in the calling thread while it lives; threads spawned
/// meanwhile inherit that mask. A signal sent to the host process (SIGINT, SIGTERM, SIGCHLD...)
/// is then delivered to one of the host's threads, never to one of gsp's: a Go host's runtime
/// forwards a signal that lands on a non-Go thread to the disposition it replaced (SIG_IGN for a
/// background job), so its os/signal never saw the SIGINT. Synchronous signals stay unblocked:
/// a fault on gsp's threads must not be held pending.
struct SignalsBlocked(libc::sigset_t);

impl SignalsBlocked {
    fn new() -> Self {
        // SAFETY: sigset_t is plain data; pthread_sigmask changes only this thread's mask.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut set);
            for sig in [
                libc::SIGSEGV,
                libc::SIGBUS,
                libc::SIGFPE,
                libc::SIGILL,
                libc::SIGTRAP,
                libc::SIGSYS,
            ] {
                libc::sigdelset(&mut set, sig);
            }
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
            SignalsBlocked(old)
        }
    }
}

impl Drop for SignalsBlocked {
    fn drop(&mut self) {
        // SAFETY: restores this thread's own mask.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.0, std::ptr::null_mut()) };
    }
}

/// Descriptors a run holds: stdout, stderr and its pidfd.
const DESCRIPTORS_PER_RUN: u64 = 3;
/// Descriptors left for the host and gsp's own (eventfd, /dev/null, cgroup files).
const DESCRIPTOR_HEADROOM: u64 = 64;

/// How many runs at once fit the process's RLIMIT_NOFILE: raises the soft limit as far as the
/// hard limit allows when `wanted` runs need more, and otherwise runs fewer. Says what it did.
fn fit_descriptor_limit(wanted: usize) -> (usize, Option<Diagnostic>) {
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

/// Removes a run cgroup whose processes were just killed (they leave it within moments).
fn remove_cgroup_soon(c: RunCgroup) {
    for _ in 0..200 {
        c.kill();
        if c.remove().is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
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

fn stderr_suffix(f: &Finished) -> String {
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

/// Due runs up to this many start on the I/O thread; larger batches are shared with the workers.
const SPAWN_BATCH_INLINE: usize = 32;

/// Records of a large run reach the queue in chunks of this many.
const PUSH_CHUNK: usize = 4096;

/// Output up to this size is parsed on the I/O thread; larger output goes to a worker, so one
/// big run does not delay the others' I/O.
const INLINE_PARSE_BYTES: usize = 64 * 1024;

/// The I/O thread's link back to the runtime (weak: the runtime owns the thread).
struct Link(std::sync::Weak<Inner>);

impl Handler for Link {
    fn spawn(&self, run: u64) -> Option<Watch> {
        self.0.upgrade()?.spawn_run(run)
    }

    fn failed(&self, what: String) {
        if let Some(inner) = self.0.upgrade() {
            inner.fail(what);
        }
    }

    fn finished(&self, finished: Finished) {
        let Some(inner) = self.0.upgrade() else {
            return;
        };
        if finished.stdout.len() <= INLINE_PARSE_BYTES {
            inner.finish_run(finished);
        } else {
            inner.jobs.push(Job::Parse(finished));
        }
    }
}

impl Inner {
    /// Records an internal failure: later calls fail with it, and the host gets a diagnostic.
    fn fail(&self, what: String) {
        let mut broken = self.broken.lock();
        if broken.is_none() {
            *broken = Some(what.clone());
        }
        drop(broken);
        self.queue.push(Record::Diagnostic(Diagnostic::new(
            0,
            Severity::Error,
            DiagnosticKind::Internal,
            format!("internal error (a bug in gsp; please report it): {what}; calls now fail with an internal error"),
        )));
    }

    /// Moves waiting runs to the workers while concurrency allows. Configuration runs have a
    /// limit of their own: their timeout is short, and a thousand of them started at once on a
    /// small machine would each get too little CPU to finish in time.
    fn start_waiting(&self, st: &mut State) {
        let free = self
            .max_concurrent_runs
            .saturating_sub(st.spawning_or_running);
        let configs = free
            .min(self.config_slots.saturating_sub(st.config_running))
            .min(st.waiting_config.len());
        if configs > 0 {
            let runs: Vec<u64> = st.waiting_config.drain(..configs).collect();
            st.waiting.extend(runs);
            st.config_running += configs;
        }
        let n = free.min(st.waiting.len());
        if n == 0 {
            return;
        }
        st.spawning_or_running += n;
        // A spawn holds its thread until the child has exec'd: a large batch is shared with the
        // workers so the runs start in parallel; a small one starts on the I/O thread, which
        // saves a hand-off.
        let to_workers = if n > SPAWN_BATCH_INLINE {
            n * self.options.worker_threads / (self.options.worker_threads + 1)
        } else {
            0
        };
        self.jobs
            .push_all(st.waiting.drain(..to_workers).map(Job::Spawn));
        self.reactor.spawn(st.waiting.drain(..n - to_workers));
    }

    /// Ends a run that produced no result (cancelled, or the runtime is shutting down).
    fn abandon(&self, run: u64) {
        let mut st = self.state.lock();
        if let Some(info) = self.release(&mut st, run) {
            if let Some(s) = st.scripts.get_mut(&info.script_id) {
                s.schedule.run_abandoned();
            }
            st.reschedule(info.script_id);
            st.in_flight -= 1;
        }
    }

    /// Ends a run's bookkeeping and frees its concurrency slot.
    fn release(&self, st: &mut State, run: u64) -> Option<RunInfo> {
        let info = st.runs.remove(&run);
        st.spawning_or_running -= 1;
        if info.as_ref().is_some_and(|i| i.mode == Mode::Config) {
            st.config_running -= 1;
        }
        self.start_waiting(st);
        info
    }

    /// Starts a run (on the I/O thread); `None` when it did not start.
    fn spawn_run(&self, run: u64) -> Option<Watch> {
        let (argv, timeout_ms) = {
            let st = self.state.lock();
            let stop = st.shutting_down;
            let Some(info) = st.runs.get(&run).filter(|i| !i.cancelled && !stop) else {
                drop(st);
                self.abandon(run);
                return None;
            };
            let timeout = match (info.mode, &info.config) {
                (Mode::Data, Some(c)) => c.max_runtime_ms,
                (Mode::Data, None) => self.options.max_runtime_ms,
                (Mode::Config, _) => self.options.config_timeout_ms,
            };
            (info.command.argv(info.mode).clone(), timeout)
        };
        let started = Instant::now();
        let spawned = self.spawn_process(&argv);
        let mut st = self.state.lock();
        match spawned {
            Ok((child, cgroup)) => {
                bump(&self.counters.started, 1);
                let pid = child.pid;
                let stop = st.shutting_down;
                let info = st
                    .runs
                    .get_mut(&run)
                    .expect("run is only removed by its worker");
                if info.cancelled || stop {
                    drop(st);
                    child.signal_run(libc::SIGKILL);
                    if let Some(c) = &cgroup {
                        c.kill();
                    }
                    exec::reap(pid);
                    if let Some(c) = cgroup {
                        remove_cgroup_soon(c);
                    }
                    bump(&self.counters.killed, 1);
                    self.abandon(run);
                    return None;
                }
                info.pid = Some(pid);
                let limits = RunLimits {
                    timeout: Duration::from_millis(u64::from(timeout_ms)),
                    max_stdout: self.options.max_stdout_bytes,
                };
                Some(Watch {
                    run,
                    child,
                    limits,
                    started,
                    cgroup,
                })
            }
            Err(e) => {
                bump(&self.counters.failed, 1);
                let info = self.release(&mut st, run)?;
                let program = exec::program_path(&argv[0]);
                // The explanation often names the OS error already; say it once.
                let os_error = e.error.to_string();
                let os_error = if e.explanation.contains(&os_error) {
                    String::new()
                } else {
                    format!(" [{os_error}]")
                };
                let diag = Diagnostic {
                    exit_code: None,
                    signal: None,
                    line: None,
                    ..Diagnostic::new(
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
                };
                if let Some(s) = st.scripts.get_mut(&info.script_id) {
                    s.schedule_failed(&info);
                    self.queue.push(Record::Diagnostic(diag));
                }
                st.reschedule(info.script_id);
                st.in_flight -= 1;
                None
            }
        }
    }

    /// Starts the process, contained when the options ask for it.
    fn spawn_process(&self, argv: &[CString]) -> Result<(Child, Option<RunCgroup>), SpawnError> {
        let as_root = || match &self.credentials {
            Some(c) => c.uid == 0,
            // SAFETY: geteuid cannot fail.
            None => (unsafe { libc::geteuid() }) == 0,
        };
        if self.options.refuse_root && as_root() {
            return Err(SpawnError {
                error: std::io::Error::from_raw_os_error(libc::EPERM),
                explanation: "refusing to run a script as root (refuse_root is set): set run_as_user to an unprivileged user".into(),
            });
        }
        let program = exec::resolve_program(&argv[0], &self.env)?;
        let cwd = self.cwd.as_deref();
        let cgroup = match &self.options.cgroup_dir {
            Some(dir) => Some(RunCgroup::create(dir).map_err(|error| SpawnError {
                explanation: format!(
                    "cannot create the run's cgroup in `{}`: {error}",
                    dir.display()
                ),
                error,
            })?),
            None => None,
        };
        let spawned = contain::spawn(&ContainedSpawn {
            program: &program,
            argv,
            env: &self.env,
            devnull: self.devnull.as_raw_fd(),
            cwd,
            credentials: self.credentials.as_ref(),
            limits: &self.options.limits,
            cgroup_procs: cgroup.as_ref().map(|c| c.procs_path()),
        });
        match spawned {
            Ok(child) => Ok((child, cgroup)),
            Err(e) => {
                if let Some(c) = cgroup {
                    remove_cgroup_soon(c);
                }
                Err(e)
            }
        }
    }

    fn finish_run(&self, f: Finished) {
        let mut st = self.state.lock();
        let Some(info) = self.release(&mut st, f.run) else {
            return;
        };
        if let Some(s) = st.scripts.get_mut(&info.script_id) {
            s.cost.add(RunCost {
                duration: f.elapsed,
                cpu: f.usage.user + f.usage.system,
                max_rss_kib: f.usage.max_rss_kib,
            });
        }
        let script_gone = !st.scripts.contains_key(&info.script_id);
        if f.reason == EndReason::Cancelled || info.cancelled || script_gone {
            bump(&self.counters.killed, 1);
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
        let what = format!("`{} {}`", info.command.shown, info.mode.flag());
        let mut records = Vec::new();
        let failure = match (f.reason, f.status) {
            (EndReason::Timeout, _) => {
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
            (EndReason::OutputCap, _) => {
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
            (_, ExitStatus::Code(c)) if c != 0 => Some(self.exit_failure(&info, &what, &f)),
            (_, ExitStatus::Signal(_)) => Some(self.exit_failure(&info, &what, &f)),
            _ => None,
        };
        // A lost status is no success and no failure: the output is parsed, as the host chose,
        // and the script's first such run says so (never "exited 0").
        if failure.is_none() && f.status == ExitStatus::Unknown {
            self.report_lost_status(&info, &what, &mut records);
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
                &f.stdout,
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
        // Under the state lock, so no host sees the run out of flight before its records.
        self.queue.push_all(records);
        st.in_flight -= 1;
    }

    /// Reports, once per script, that its exit statuses are lost to the host.
    fn report_lost_status(&self, info: &RunInfo, what: &str, records: &mut Vec<Record>) {
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

    fn exit_failure(&self, info: &RunInfo, what: &str, f: &Finished) -> Diagnostic {
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
                records.push(Record::Diagnostic(Diagnostic::new(
                    id,
                    Severity::Error,
                    DiagnosticKind::ConfigInvalid,
                    format!("`{} -c`: {e}", info.command.shown),
                )));
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
        for s in data.samples {
            let Some(def) = config.metric(s.metric_id) else {
                continue;
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
            }
            records.push(Record::Metric(MetricRecord {
                script_id: id,
                metric_id: s.metric_id,
                metric_name: def.name.clone(),
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
    fn schedule_failed(&mut self, info: &RunInfo) {
        self.count_done(info.mode);
        match info.mode {
            Mode::Config => self.schedule.config_failed(info.generation, info.host_ms),
            Mode::Data => self.schedule.data_finished(),
        }
    }
}

/// Accumulated run costs of one script.
#[derive(Default)]
struct Costs {
    last: Option<RunCost>,
    total_cpu: Duration,
    total_duration: Duration,
    peak_rss_kib: u64,
}

impl Costs {
    fn add(&mut self, run: RunCost) {
        self.last = Some(run);
        self.total_cpu += run.cpu;
        self.total_duration += run.duration;
        self.peak_rss_kib = self.peak_rss_kib.max(run.max_rss_kib);
    }
}

impl Script {
    fn count_done(&mut self, mode: Mode) {
        self.runs_done[mode as usize] += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain_internal(rt: &Runtime) -> Vec<String> {
        let start = Instant::now();
        let mut found = Vec::new();
        while found.is_empty() && start.elapsed() < Duration::from_secs(20) {
            rt.wait(Duration::from_millis(50));
            rt.drain(usize::MAX, |r| {
                if let Record::Diagnostic(d) = r {
                    if d.kind == DiagnosticKind::Internal {
                        found.push(d.message.clone());
                    }
                }
            })
            .unwrap();
        }
        found
    }

    #[test]
    fn a_panic_on_a_worker_is_reported_and_fails_later_calls() {
        let rt = Runtime::new(Options::default()).unwrap();
        assert!(rt.health().is_ok());
        rt.inner.jobs.push(Job::Panic);
        let found = drain_internal(&rt);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].contains("worker thread panicked: injected"),
            "{}",
            found[0]
        );
        assert!(matches!(rt.health(), Err(Error::Internal(_))));
        assert!(matches!(rt.add_script("true"), Err(Error::Internal(_))));
    }

    #[test]
    fn a_panic_on_the_io_thread_kills_the_runs_and_is_reported() {
        let rt = Runtime::new(Options::default()).unwrap();
        let id = rt.add_script("sh -c 'sleep 30'").unwrap();
        rt.tick(0);
        let start = Instant::now();
        while rt.stats().runs_started == 0 {
            assert!(start.elapsed() < Duration::from_secs(20));
            std::thread::sleep(Duration::from_millis(10));
        }
        rt.inner.reactor.inject_panic();
        let found = drain_internal(&rt);
        assert!(found[0].contains("I/O thread panicked"), "{}", found[0]);
        assert!(matches!(rt.run_now(id), Err(Error::Internal(_))));
        // The configuration run was killed and reaped, not left behind.
        let start = Instant::now();
        drop(rt);
        assert!(start.elapsed() < Duration::from_secs(10));
    }
}
