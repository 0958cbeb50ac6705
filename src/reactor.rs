//! One I/O thread watches every running script: reads stdout and stderr, notices the leader's
//! exit through its pidfd, enforces deadlines and the output cap, and hands each finished run
//! to a callback. Hundreds of runs in flight cost descriptors, not threads.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::cgroup::RunCgroup;
use crate::exec::{self, Child, ExitStatus, Usage};

/// Bytes read from one pipe per wake-up before others get their turn.
const READ_BUDGET: usize = 256 * 1024;
/// How long a new run's pipes go unwatched (its exit is watched): a script that fills a pipe
/// within this time waits at most this long for gsp to read.
const OUTPUT_WATCH_DELAY: Duration = Duration::from_millis(20);
/// stderr read from a run that has exited, at most (what a pipe can hold, with room to spare).
const EXIT_STDERR_BUDGET: usize = 4 * 1024 * 1024;
/// Poll interval for runs whose exit cannot be watched with a pidfd.
const NO_PIDFD_POLL: Duration = Duration::from_millis(10);

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The leader exited by itself.
    Exited,
    /// It ran past its deadline and was killed.
    Timeout,
    /// stdout exceeded the cap; it was killed.
    OutputCap,
    /// The host removed the script or freed the runtime.
    Cancelled,
}

/// A finished run.
#[derive(Debug)]
pub struct Finished {
    /// The id given to [`Reactor::add`].
    pub run: u64,
    /// How the leader ended.
    pub status: ExitStatus,
    /// The leader's CPU time and peak memory.
    pub usage: Usage,
    /// Why the run ended.
    pub reason: EndReason,
    /// stdout (empty unless `reason` is `Exited`).
    pub stdout: Vec<u8>,
    /// The last bytes of stderr.
    pub stderr_tail: Vec<u8>,
    /// All stderr bytes seen.
    pub stderr_total: u64,
    /// Wall time from spawn to exit.
    pub elapsed: Duration,
}

/// Limits for one run.
#[derive(Debug, Clone, Copy)]
pub struct RunLimits {
    /// Killed (SIGTERM, then SIGKILL after the grace) when still running after this.
    pub timeout: Duration,
    /// Killed when stdout exceeds this many bytes.
    pub max_stdout: usize,
}

/// Empty run cgroups are removed on later loop iterations; one that stays busy this long is left.
const CGROUP_REMOVE_ATTEMPTS: u32 = 500;

/// A started run for the I/O thread to watch.
pub struct Watch {
    /// The run's id.
    pub run: u64,
    /// The process.
    pub child: Child,
    /// Its deadline and output cap.
    pub limits: RunLimits,
    /// When it was spawned (the deadline counts from here).
    pub started: Instant,
    /// Its cgroup, if the runtime gives runs one.
    pub cgroup: Option<RunCgroup>,
}

/// What the I/O thread calls back into. Both run on the I/O thread.
pub trait Handler: Send {
    /// Starts a run; `None` when it did not start (the handler reports why).
    fn spawn(&self, run: u64) -> Option<Watch>;
    /// A run ended. Must not block for long: other runs wait meanwhile.
    fn finished(&self, finished: Finished);
    /// The I/O thread panicked (a bug in gsp): it has killed and reaped every run and stopped.
    fn failed(&self, what: String);
}

enum Cmd {
    /// Makes the I/O thread panic (tests of the panic net only).
    #[cfg(test)]
    Panic,
    Spawn(u64),
    Watch(Box<Watch>),
    Cancel(u64),
    Shutdown,
}

struct Shared {
    cmds: Mutex<Vec<Cmd>>,
    wake: OwnedFd,
}

impl Shared {
    fn send(&self, cmd: Cmd) {
        self.send_all(std::iter::once(cmd));
    }

    fn send_all(&self, cmds: impl IntoIterator<Item = Cmd>) {
        self.cmds.lock().extend(cmds);
        let one: u64 = 1;
        // SAFETY: writing 8 bytes to our eventfd; EAGAIN (counter saturated) still wakes.
        unsafe {
            libc::write(self.wake.as_raw_fd(), (&one as *const u64).cast(), 8);
        }
    }
}

/// Handle to the I/O thread.
pub struct Reactor {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Reactor {
    /// Creates the command channel; [`Reactor::start`] starts the thread.
    pub fn new() -> io::Result<Reactor> {
        // SAFETY: creates a new descriptor.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Reactor {
            shared: Arc::new(Shared {
                cmds: Mutex::new(Vec::new()),
                // SAFETY: fresh descriptor.
                wake: unsafe { OwnedFd::from_raw_fd(fd) },
            }),
            thread: Mutex::new(None),
        })
    }

    /// Starts the I/O thread, which calls `handler` to spawn runs and report finished ones.
    pub fn start(
        &self,
        handler: Box<dyn Handler>,
        kill_grace: Duration,
        stderr_tail: usize,
    ) -> io::Result<()> {
        let shared = self.shared.clone();
        let thread = std::thread::Builder::new()
            .name("gsp-io".into())
            .spawn(move || {
                let mut event_loop = EventLoop {
                    shared,
                    active: Vec::new(),
                    handler,
                    kill_grace,
                    stderr_tail,
                    scratch: Vec::new(),
                    cleanup: Vec::new(),
                    cancel_early: Default::default(),
                };
                // A panic here is a bug in gsp; it must not leave runs unwatched and the host
                // unaware: kill and reap every run, report, and stop.
                let outcome =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| event_loop.run()));
                if let Err(payload) = outcome {
                    event_loop.stop_all();
                    event_loop.handler.failed(format!(
                        "the I/O thread panicked: {}",
                        panic_message(&*payload)
                    ));
                }
            })?;
        *self.thread.lock() = Some(thread);
        Ok(())
    }

    /// Watches a run another thread spawned.
    pub fn watch(&self, w: Watch) {
        self.shared.send(Cmd::Watch(Box::new(w)));
    }

    /// Starts these runs on the I/O thread (through [`Handler::spawn`]) and watches them.
    pub fn spawn(&self, runs: impl IntoIterator<Item = u64>) {
        self.shared.send_all(runs.into_iter().map(Cmd::Spawn));
    }

    /// Kills a run's process group now; it is still reported through the callback.
    pub fn cancel(&self, run: u64) {
        self.shared.send(Cmd::Cancel(run));
    }

    /// Makes the I/O thread panic, to test what catches it.
    #[cfg(test)]
    pub(crate) fn inject_panic(&self) {
        self.shared.send(Cmd::Panic);
    }

    /// Kills and reaps every run, then stops the thread. Runs killed here are not reported.
    pub fn shutdown(&self) {
        let thread = self.thread.lock().take();
        if let Some(t) = thread {
            self.shared.send(Cmd::Shutdown);
            let _ = t.join();
        }
    }
}

impl Drop for Reactor {
    fn drop(&mut self) {
        self.shutdown();
    }
}

struct Active {
    run: u64,
    child: Child,
    cgroup: Option<RunCgroup>,
    limits: RunLimits,
    started: Instant,
    stdout: Vec<u8>,
    stdout_open: bool,
    stderr_tail: Vec<u8>,
    stderr_total: u64,
    stderr_open: bool,
    exited: bool,
    reason: Option<EndReason>,
    kill_at: Option<Instant>,
}

impl Active {
    fn deadline(&self) -> Instant {
        self.kill_at.unwrap_or(self.started + self.limits.timeout)
    }

    /// SIGKILL to the leader, its process group and, with a cgroup, everything in it (setsid
    /// escapees). The leader is signalled directly: it may have moved to another group.
    fn kill_all(&self) {
        self.child.signal_run(libc::SIGKILL);
        if let Some(c) = &self.cgroup {
            c.kill();
        }
    }
}

/// Reads a run's stdout. The first read goes through the loop's reused scratch buffer, so the
/// common small output costs one exact-size allocation instead of a fresh 64 KiB buffer (whose
/// pages the allocator hands back and the kernel faults in again, run after run).
fn read_output(
    fd: i32,
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    budget: usize,
) -> io::Result<bool> {
    if out.capacity() > 0 {
        return exec::read_some(fd, out, budget);
    }
    scratch.clear();
    let r = exec::read_some(fd, scratch, budget);
    out.extend_from_slice(scratch);
    r
}

/// The text of a panic's payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

#[derive(Clone, Copy)]
enum Fd {
    Wake,
    Stdout(usize),
    Stderr(usize),
    Exit(usize),
}

struct EventLoop {
    shared: Arc<Shared>,
    active: Vec<Active>,
    handler: Box<dyn Handler>,
    kill_grace: Duration,
    stderr_tail: usize,
    scratch: Vec<u8>,
    /// Cgroups of finished runs whose processes are still exiting, with removal attempts.
    cleanup: Vec<(RunCgroup, u32)>,
    /// Runs cancelled before their Watch arrived.
    cancel_early: std::collections::HashSet<u64>,
}

impl EventLoop {
    fn run(&mut self) {
        let mut pollfds: Vec<libc::pollfd> = Vec::new();
        let mut owners: Vec<Fd> = Vec::new();
        loop {
            pollfds.clear();
            owners.clear();
            let mut watch = |fd: i32, owner: Fd| {
                pollfds.push(libc::pollfd {
                    fd,
                    events: libc::POLLIN,
                    revents: 0,
                });
                owners.push(owner);
            };
            watch(self.shared.wake.as_raw_fd(), Fd::Wake);
            let mut timeout: Option<Duration> = None;
            let now = Instant::now();
            for (i, a) in self.active.iter().enumerate() {
                let mut wait = a.deadline().saturating_duration_since(now);
                // Most scripts finish quickly with output that fits the pipes: read it all at
                // exit (one wake-up) unless the run is still going after OUTPUT_WATCH_DELAY.
                let watch_output = a.child.pidfd.is_none() || now >= a.started + OUTPUT_WATCH_DELAY;
                if !watch_output {
                    wait =
                        wait.min((a.started + OUTPUT_WATCH_DELAY).saturating_duration_since(now));
                }
                if a.stdout_open && watch_output {
                    watch(a.child.stdout.as_raw_fd(), Fd::Stdout(i));
                }
                if a.stderr_open && watch_output {
                    watch(a.child.stderr.as_raw_fd(), Fd::Stderr(i));
                }
                match &a.child.pidfd {
                    Some(p) => watch(p.as_raw_fd(), Fd::Exit(i)),
                    None => wait = wait.min(NO_PIDFD_POLL),
                }
                timeout = Some(timeout.map_or(wait, |t| t.min(wait)));
            }
            if !self.cleanup.is_empty() {
                timeout = Some(timeout.map_or(NO_PIDFD_POLL, |t| t.min(NO_PIDFD_POLL)));
            }
            let ms = timeout.map_or(-1, |t| {
                // Round up so a deadline is never polled for 0 ms in a busy loop.
                t.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32
            });
            // SAFETY: pollfds is a valid array of its length.
            let n = unsafe { libc::poll(pollfds.as_mut_ptr(), pollfds.len() as libc::nfds_t, ms) };
            if n < 0 && io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
                // Cannot happen with valid arguments; avoid spinning if it does.
                std::thread::sleep(Duration::from_millis(10));
            }
            for (pfd, owner) in pollfds.iter().zip(owners.iter()) {
                if pfd.revents == 0 {
                    continue;
                }
                match *owner {
                    Fd::Wake => {
                        if !self.handle_commands() {
                            return;
                        }
                    }
                    Fd::Stdout(i) => self.read_stdout(i, READ_BUDGET),
                    Fd::Stderr(i) => self.read_stderr(i, READ_BUDGET),
                    Fd::Exit(i) => self.active[i].exited = true,
                }
            }
            self.enforce_deadlines();
            self.finish_exited();
            self.remove_cgroups();
        }
    }

    fn remove_cgroups(&mut self) {
        self.cleanup.retain_mut(|(c, attempts)| {
            *attempts += 1;
            c.remove().is_err() && *attempts < CGROUP_REMOVE_ATTEMPTS
        });
    }

    fn watch(&mut self, w: Watch) {
        let cancelled = self.cancel_early.remove(&w.run);
        self.active.push(Active {
            run: w.run,
            child: w.child,
            cgroup: w.cgroup,
            limits: w.limits,
            started: w.started,
            stdout: Vec::new(),
            stdout_open: true,
            stderr_tail: Vec::new(),
            stderr_total: 0,
            stderr_open: true,
            exited: false,
            reason: cancelled.then_some(EndReason::Cancelled),
            kill_at: None,
        });
        if cancelled {
            self.active.last().expect("just pushed").kill_all();
        }
    }

    /// Returns false on shutdown.
    fn handle_commands(&mut self) -> bool {
        let mut counter: u64 = 0;
        // SAFETY: reading 8 bytes from our eventfd into a u64.
        unsafe {
            libc::read(
                self.shared.wake.as_raw_fd(),
                (&mut counter as *mut u64).cast(),
                8,
            );
        }
        let cmds = std::mem::take(&mut *self.shared.cmds.lock());
        for cmd in cmds {
            match cmd {
                Cmd::Spawn(run) => {
                    if let Some(w) = self.handler.spawn(run) {
                        self.watch(w);
                    }
                }
                Cmd::Watch(w) => self.watch(*w),
                Cmd::Cancel(run) => match self.active.iter_mut().find(|a| a.run == run) {
                    Some(a) => {
                        a.reason.get_or_insert(EndReason::Cancelled);
                        a.stdout = Vec::new();
                        a.kill_all();
                    }
                    // Spawned on a worker whose Watch is still on its way.
                    None => {
                        self.cancel_early.insert(run);
                    }
                },
                #[cfg(test)]
                Cmd::Panic => panic!("injected by a test"),
                Cmd::Shutdown => {
                    self.stop_all();
                    return false;
                }
            }
        }
        true
    }

    /// Kills and reaps every run and removes their cgroups (waiting up to a second).
    fn stop_all(&mut self) {
        for a in self.active.drain(..) {
            a.kill_all();
            exec::reap(a.child.pid);
            if let Some(c) = a.cgroup {
                self.cleanup.push((c, 0));
            }
        }
        // Killed processes leave their cgroups within moments.
        let deadline = Instant::now() + Duration::from_secs(1);
        while !self.cleanup.is_empty() && Instant::now() < deadline {
            self.cleanup.retain(|(c, _)| c.remove().is_err());
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn read_stdout(&mut self, i: usize, budget: usize) {
        let a = &mut self.active[i];
        let fd = a.child.stdout.as_raw_fd();
        let result = if a.reason.is_some() {
            // Killed: keep the pipe drained so the script is not stuck in write, discard data.
            self.scratch.clear();
            exec::read_some(fd, &mut self.scratch, READ_BUDGET)
        } else {
            let room = a.limits.max_stdout.saturating_add(1) - a.stdout.len();
            let r = read_output(fd, &mut a.stdout, &mut self.scratch, room.min(budget));
            if a.stdout.len() > a.limits.max_stdout {
                a.reason = Some(EndReason::OutputCap);
                a.stdout = Vec::new();
                self.begin_kill(i);
            }
            r
        };
        if !matches!(result, Ok(false)) {
            self.active[i].stdout_open = false;
        }
    }

    fn read_stderr(&mut self, i: usize, budget: usize) {
        self.scratch.clear();
        let a = &mut self.active[i];
        let result = exec::read_some(a.child.stderr.as_raw_fd(), &mut self.scratch, budget);
        a.stderr_total += self.scratch.len() as u64;
        a.stderr_tail.extend_from_slice(&self.scratch);
        if a.stderr_tail.len() > self.stderr_tail {
            let excess = a.stderr_tail.len() - self.stderr_tail;
            a.stderr_tail.drain(..excess);
        }
        if !matches!(result, Ok(false)) {
            a.stderr_open = false;
        }
    }

    /// SIGTERM to the group now, SIGKILL after the grace.
    fn begin_kill(&mut self, i: usize) {
        let a = &mut self.active[i];
        if a.kill_at.is_none() {
            a.child.signal_run(libc::SIGTERM);
            a.kill_at = Some(Instant::now() + self.kill_grace);
        }
    }

    fn enforce_deadlines(&mut self) {
        let now = Instant::now();
        for i in 0..self.active.len() {
            let a = &mut self.active[i];
            if a.exited {
                continue;
            }
            if a.child.pidfd.is_none() && exec::has_exited(a.child.pid) {
                a.exited = true;
                continue;
            }
            if now < a.deadline() {
                continue;
            }
            match a.kill_at {
                None => {
                    a.reason.get_or_insert(EndReason::Timeout);
                    a.stdout = Vec::new();
                    self.begin_kill(i);
                }
                Some(_) => {
                    a.kill_all();
                    // Poll again after a grace; SIGKILL cannot be ignored.
                    a.kill_at = Some(now + self.kill_grace);
                }
            }
        }
    }

    fn finish_exited(&mut self) {
        let mut i = 0;
        while i < self.active.len() {
            if !self.active[i].exited {
                i += 1;
                continue;
            }
            // Leftovers of the group (a grandchild holding stdout) must not delay the result.
            self.active[i].kill_all();
            let (status, usage) = exec::reap(self.active[i].child.pid);
            let elapsed = self.active[i].started.elapsed();
            // Everything the leader wrote is already in the pipes (which a script may have
            // enlarged to a megabyte or more): take all of it, up to the cap, without waiting for
            // EOF, which a killed grandchild may still be holding off.
            if self.active[i].stdout_open {
                self.read_stdout(i, usize::MAX);
            }
            if self.active[i].stderr_open {
                // Only the tail is kept; a writer that escaped the kill must not keep us here.
                self.read_stderr(i, EXIT_STDERR_BUDGET);
            }
            let Active {
                run,
                child,
                cgroup,
                reason,
                stdout,
                stderr_tail,
                stderr_total,
                ..
            } = self.active.swap_remove(i);
            // The run's descriptors close before it is reported: once the host sees it finished
            // (not in flight), nothing of it is left open.
            drop(child);
            if let Some(c) = cgroup {
                self.cleanup.push((c, 0));
            }
            self.handler.finished(Finished {
                run,
                status,
                usage,
                reason: reason.unwrap_or(EndReason::Exited),
                stdout,
                stderr_tail,
                stderr_total,
                elapsed,
            });
        }
    }
}
