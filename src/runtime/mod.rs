//! The runtime: registered scripts, the host-driven tick, and the drain.
//!
//! A run flows one way: under the state lock [`Runtime::tick`] decides it is due and, when a slot
//! is free, sends the process layer a self-contained request; the process layer starts, watches,
//! kills and reaps it and hands back one result; [`outcome`] turns that result into records,
//! on the I/O thread or, for large output, on a worker; the host drains them.
//!
//! Lock order: `state`, then the record queue. No lock is held while the host's drain callback runs.

mod command_line;
mod difference;
mod options;
mod outcome;
mod pool;
mod queue;
mod schedule;
mod stats;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::Mutex;

pub use self::command_line::CommandLine;
use self::difference::DifferenceState;
pub use self::options::{splay_offset_ms, Error, Options};
pub use self::outcome::{MAX_CONFIG_NOTES_PER_RUN, MAX_LINE_DIAGNOSTICS_PER_RUN};
use self::pool::{start_worker, Jobs, SignalsBlocked};
use self::queue::RecordQueue;
pub use self::schedule::Mode;
use self::schedule::{Decision, Schedule};
use self::stats::{Costs, Counters};
pub use self::stats::{RunCost, ScriptState, Stats};
use crate::diagnostic::{DiagnosticKind, Severity};
use crate::process::{Processes, RunRequest};
use crate::protocol::config::{ConfigLimits, ScriptConfig};
use crate::record::ScriptId;
use crate::record::{Diagnostic, Record};

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
    /// The host removed the script: the run's result is dropped.
    cancelled: bool,
    /// Its request went to the process layer (so cancelling it must go there too).
    sent: bool,
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
    /// Runs sent to the process layer whose results have not come back.
    running: usize,
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

/// The runtime's core: what the host's calls, the I/O thread and the workers share.
pub(crate) struct Core {
    options: Options,
    limits: ConfigLimits,
    state: Mutex<State>,
    queue: RecordQueue,
    counters: Counters,
    jobs: Jobs,
    processes: Processes,
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
    core: Arc<Core>,
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
        let launcher = options.launcher()?;
        let (max_concurrent_runs, descriptor_note) =
            options::fit_descriptor_limit(options.max_concurrent_runs);
        let processes = Processes::new()
            .map_err(|e| Error::Internal(format!("cannot create an eventfd: {e}")))?;
        let core = Arc::new(Core {
            limits: ConfigLimits {
                max_runtime_ms: options.max_runtime_ms,
                min_period_s: options.min_period_s,
            },
            queue: RecordQueue::new(options.queue_capacity),
            options,
            state: Mutex::new(State {
                next_script_id: 1,
                ..State::default()
            }),
            counters: Counters::default(),
            jobs: Jobs::default(),
            processes,
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
            core.queue.push(Record::Diagnostic(note));
        }
        // gsp's threads start with asynchronous signals blocked, so a signal sent to the host
        // process always reaches one of the host's own threads.
        let _blocked = SignalsBlocked::new();
        // Results reach the runtime through a weak link: the runtime owns the I/O thread.
        let link = Arc::downgrade(&core);
        core.processes
            .run(
                launcher,
                Duration::from_millis(u64::from(core.options.kill_grace_ms)),
                core.options.stderr_tail_bytes,
                Box::new(move |event| {
                    if let Some(core) = link.upgrade() {
                        core.on_event(event);
                    }
                }),
            )
            .map_err(|e| Error::Internal(format!("cannot start the I/O thread: {e}")))?;
        let mut workers = Vec::new();
        for i in 0..core.options.worker_threads {
            match start_worker(core.clone(), i) {
                Ok(h) => workers.push(h),
                Err(e) => {
                    let rt = Runtime {
                        core,
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
            core,
            workers: Mutex::new(workers),
        })
    }

    /// `Err(Error::Internal)` once one of gsp's threads has failed (a panic: a bug in gsp, also
    /// reported by an internal diagnostic). Every call that changes the runtime then fails the
    /// same way, and ticks start nothing; drains still deliver what was queued.
    pub fn health(&self) -> Result<(), Error> {
        match &*self.core.broken.lock() {
            Some(what) => Err(Error::Internal(what.clone())),
            None => Ok(()),
        }
    }

    /// Registers a script command line; its configuration runs at the next tick.
    pub fn add_script(&self, command_line: &str) -> Result<ScriptId, Error> {
        self.health()?;
        let command = CommandLine::parse(command_line).map_err(Error::InvalidArgument)?;
        let mut st = self.core.state.lock();
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
                difference: DifferenceState::new(self.core.options.max_difference_series),
                status_lost_reported: false,
            },
        );
        st.due.push(Reverse((i64::MIN, id)));
        Ok(id)
    }

    /// Unregisters a script, killing its running process group. Its queued records stay queued.
    pub fn remove_script(&self, id: ScriptId) -> Result<(), Error> {
        self.health()?;
        let mut st = self.core.state.lock();
        st.scripts.remove(&id).ok_or(Error::NotFound)?;
        for (&run, info) in st.runs.iter_mut().filter(|(_, i)| i.script_id == id) {
            info.cancelled = true;
            if info.sent {
                self.core.processes.cancel(run);
            }
        }
        Ok(())
    }

    /// Runs configuration mode again at the next tick (the script changed).
    pub fn reconfigure(&self, id: ScriptId) -> Result<(), Error> {
        self.health()?;
        let mut st = self.core.state.lock();
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
        let mut st = self.core.state.lock();
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
        let core = &*self.core;
        let mut diags = Vec::new();
        let mut st = core.state.lock();
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
                    sent: false,
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
        core.start_waiting(&mut st);
        drop(st);
        core.queue.push_all(diags);
    }

    /// Where a script stands, for hosts that wait for runs to finish (e.g. `gsp run --once`).
    pub fn script_state(&self, id: ScriptId) -> Result<ScriptState, Error> {
        let st = self.core.state.lock();
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
        let core = Arc::clone(&self.core);
        core.queue.wait(timeout)
    }

    /// Wakes every thread blocked in [`Runtime::wait`].
    pub fn wake(&self) {
        self.core.queue.wake();
    }

    /// Records pending now.
    pub fn pending(&self) -> usize {
        self.core.queue.len()
    }

    /// Calls `f` for up to `max` queued records (those pending when the call starts), in order per
    /// script, on the calling thread, with no internal lock held. `f` may call any method except
    /// `drain`, which then returns [`Error::Busy`].
    pub fn drain(&self, max: usize, mut f: impl FnMut(&Record)) -> Result<usize, Error> {
        let me = thread_token();
        let core = &*self.core;
        if core.drain_owner.load(Ordering::Acquire) == me {
            return Err(Error::Busy);
        }
        let _serial = core.drain_lock.lock();
        core.drain_owner.store(me, Ordering::Release);
        struct Owner<'a>(&'a AtomicU64);
        impl Drop for Owner<'_> {
            fn drop(&mut self) {
                self.0.store(0, Ordering::Release);
            }
        }
        let _owner = Owner(&core.drain_owner);
        let limit = max.min(core.queue.len());
        let mut delivered = 0;
        while delivered < limit {
            let batch = core.queue.pop_batch((limit - delivered).min(256));
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
        self.core.drain_owner.load(Ordering::Acquire) == thread_token()
    }

    /// Counters since creation.
    pub fn stats(&self) -> Stats {
        let core = &*self.core;
        let c = &core.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let st = core.state.lock();
        Stats {
            runs_started: core.processes.spawned(),
            runs_succeeded: get(&c.succeeded),
            runs_failed: get(&c.failed),
            runs_timed_out: get(&c.timed_out),
            runs_killed: get(&c.killed),
            lines_parsed: get(&c.lines_parsed),
            lines_rejected: get(&c.lines_rejected),
            records_queued: core.queue.queued_total(),
            records_dropped: core.queue.dropped_total(),
            runs_in_flight: st.in_flight,
            scripts: st.scripts.len() as u64,
        }
    }

    /// Kills and reaps every running script and joins gsp's threads. Idempotent; also done on drop.
    pub fn shutdown(&self) {
        self.core.stopping.store(true, Ordering::Relaxed);
        self.core.state.lock().shutting_down = true;
        self.core.queue.close();
        self.core.jobs.close();
        for w in std::mem::take(&mut *self.workers.lock()) {
            let _ = w.join();
        }
        self.core.processes.shutdown();
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Core {
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

    /// Sends waiting runs to the process layer while concurrency allows. Configuration runs have
    /// a limit of their own: their timeout is short, and a thousand of them started at once on a
    /// small machine would each get too little CPU to finish in time.
    fn start_waiting(&self, st: &mut State) {
        if st.shutting_down {
            return;
        }
        let free = self.max_concurrent_runs.saturating_sub(st.running);
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
        st.running += n;
        let State { waiting, runs, .. } = st;
        let mut requests = Vec::with_capacity(n);
        let mut withdrawn = Vec::new();
        for run in waiting.drain(..n) {
            let info = runs.get_mut(&run).expect("a waiting run is in `runs`");
            info.sent = true;
            if info.cancelled {
                withdrawn.push(run);
            }
            let timeout_ms = match (info.mode, &info.config) {
                (Mode::Data, Some(c)) => c.max_runtime_ms,
                (Mode::Data, None) => self.options.max_runtime_ms,
                (Mode::Config, _) => self.options.config_timeout_ms,
            };
            requests.push(RunRequest {
                run,
                argv: info.command.argv(info.mode).clone(),
                timeout: Duration::from_millis(u64::from(timeout_ms)),
                max_stdout: self.options.max_stdout_bytes,
            });
        }
        self.processes.start(requests);
        // A removed script's queued run: the process layer withdraws it without starting it.
        for run in withdrawn {
            self.processes.cancel(run);
        }
    }

    /// Ends a run's bookkeeping and frees its concurrency slot.
    fn release(&self, st: &mut State, run: u64) -> Option<RunInfo> {
        let info = st.runs.remove(&run);
        st.running -= 1;
        if info.as_ref().is_some_and(|i| i.mode == Mode::Config) {
            st.config_running -= 1;
        }
        self.start_waiting(st);
        info
    }
}
