//! The process layer's I/O thread: starts every run, reads its stdout and stderr, notices the
//! leader's exit through its pidfd, enforces deadlines and the output cap, reaps, removes the
//! run's cgroup, and hands each result to the sink. Hundreds of runs in flight cost descriptors,
//! not threads.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::cgroup::RunCgroup;
use super::exec::{self, Child};
use super::{panic_message, Event, Launcher, RunEnd, RunRequest, RunResult};

/// Bytes read from one pipe per wake-up before others get their turn.
const READ_BUDGET: usize = 256 * 1024;
/// How long a new run's pipes go unwatched (its exit is watched): a script that fills a pipe
/// within this time waits at most this long for gsp to read.
const OUTPUT_WATCH_DELAY: Duration = Duration::from_millis(5);
/// stderr read from a run that has exited, at most (what a pipe can hold, with room to spare).
const EXIT_STDERR_BUDGET: usize = 4 * 1024 * 1024;
/// Poll interval for runs whose exit cannot be watched with a pidfd.
const NO_PIDFD_POLL: Duration = Duration::from_millis(10);

/// How a running run is being ended, once it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Timeout,
    OutputCap,
    Killed,
}

/// Empty run cgroups are removed on later loop iterations; one that stays busy this long is left.
const CGROUP_REMOVE_ATTEMPTS: u32 = 500;

enum Cmd {
    /// Makes the I/O thread panic (tests of the panic net only).
    #[cfg(test)]
    Panic,
    Start(RunRequest),
    Cancel(u64),
    Shutdown,
}

struct Channel {
    cmds: Mutex<Vec<Cmd>>,
    wake: OwnedFd,
}

impl Channel {
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

/// Makes the calling thread (the I/O thread) SCHED_BATCH if it is SCHED_OTHER, and says
/// whether it did. A batch thread's wake-ups never preempt the thread running on its CPU: the
/// I/O thread wakes for every start, read and exit, and preempting the host thread that just
/// ticked cost the host a pair of context switches per run (BENCHMARKS.md, W1). It still gets
/// its fair share of the CPU, within a scheduler slice. A host thread on a real-time or idle
/// policy is left as it is. Children go back to SCHED_OTHER before exec
/// (`restore_normal_policy`).
fn yield_to_the_host() -> bool {
    // SAFETY: reads and sets this thread's own policy; sched_param is plain data.
    unsafe {
        if libc::sched_getscheduler(0) != libc::SCHED_OTHER {
            return false;
        }
        let param = libc::sched_param { sched_priority: 0 };
        libc::sched_setscheduler(0, libc::SCHED_BATCH, &param) == 0
    }
}

/// Handle to the process layer's I/O thread, which spawns, watches, kills and reaps every run.
pub(crate) struct Processes {
    channel: Arc<Channel>,
    thread: Mutex<Option<JoinHandle<()>>>,
    spawned: Arc<AtomicU64>,
}

impl Processes {
    /// Creates the command channel; [`Processes::run`] starts the thread.
    pub fn new() -> io::Result<Processes> {
        // SAFETY: creates a new descriptor.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Processes {
            channel: Arc::new(Channel {
                cmds: Mutex::new(Vec::new()),
                // SAFETY: fresh descriptor.
                wake: unsafe { OwnedFd::from_raw_fd(fd) },
            }),
            thread: Mutex::new(None),
            spawned: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Starts the I/O thread: it starts runs with `launcher` and reports each result to `sink`.
    pub fn run(
        &self,
        mut launcher: Launcher,
        kill_grace: Duration,
        stderr_tail: usize,
        sink: Box<dyn Fn(Event) + Send>,
    ) -> io::Result<()> {
        let channel = self.channel.clone();
        let spawned = self.spawned.clone();
        let thread = std::thread::Builder::new()
            .name("gsp-io".into())
            .spawn(move || {
                launcher.restore_normal_policy = yield_to_the_host();
                let mut event_loop = EventLoop {
                    channel,
                    launcher,
                    spawned,
                    running: Vec::new(),
                    sink,
                    kill_grace,
                    stderr_tail,
                    scratch: Vec::new(),
                    cleanup: Vec::new(),
                };
                // A panic here is a bug in gsp; it must not leave runs unwatched and the host
                // unaware: kill and reap every run, report, and stop.
                let outcome =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| event_loop.run()));
                if let Err(payload) = outcome {
                    event_loop.stop_all();
                    (event_loop.sink)(Event::Failed(format!(
                        "the I/O thread panicked: {}",
                        panic_message(&*payload)
                    )));
                }
            })?;
        *self.thread.lock() = Some(thread);
        Ok(())
    }

    /// Starts these runs (in order); each gets exactly one result through the sink.
    pub fn start(&self, runs: impl IntoIterator<Item = RunRequest>) {
        self.channel.send_all(runs.into_iter().map(Cmd::Start));
    }

    /// Ends a run: killed if it is running, withdrawn if its start is still queued (its result
    /// says which). A run that already ended is left alone.
    pub fn cancel(&self, run: u64) {
        self.channel.send(Cmd::Cancel(run));
    }

    /// Processes spawned so far.
    pub fn spawned(&self) -> u64 {
        self.spawned.load(Ordering::Relaxed)
    }

    /// Makes the I/O thread panic, to test what catches it.
    #[cfg(test)]
    pub(crate) fn inject_panic(&self) {
        self.channel.send(Cmd::Panic);
    }

    /// Kills and reaps every run, then stops the thread. Runs ended here are not reported, and
    /// queued starts are dropped.
    pub fn shutdown(&self) {
        let thread = self.thread.lock().take();
        if let Some(t) = thread {
            self.channel.send(Cmd::Shutdown);
            let _ = t.join();
        }
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        self.shutdown();
    }
}

struct Running {
    run: u64,
    child: Child,
    cgroup: Option<RunCgroup>,
    timeout: Duration,
    max_stdout: usize,
    started: Instant,
    stdout: Vec<u8>,
    stdout_open: bool,
    stderr_tail: Vec<u8>,
    stderr_total: u64,
    stderr_open: bool,
    exited: bool,
    reason: Option<Ending>,
    kill_at: Option<Instant>,
}

impl Running {
    fn deadline(&self) -> Instant {
        self.kill_at.unwrap_or(self.started + self.timeout)
    }

    /// SIGKILL to the leader, its process group and, with a cgroup, everything in it (setsid
    /// escapees). The leader is signalled directly: it may have moved to another group.
    fn kill_all(&self) {
        self.child.signal_run(libc::SIGKILL);
        if let Some(c) = &self.cgroup {
            c.kill();
        }
    }

    /// SIGKILL to what is left of a run whose leader has exited: its process group and, with
    /// a cgroup, everything in it.
    fn kill_leftovers(&self) {
        self.child.signal_group(libc::SIGKILL);
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

#[derive(Clone, Copy)]
enum Fd {
    Wake,
    Stdout(usize),
    Stderr(usize),
    Exit(usize),
}

struct EventLoop {
    channel: Arc<Channel>,
    launcher: Launcher,
    spawned: Arc<AtomicU64>,
    /// Runs started and not yet reported.
    running: Vec<Running>,
    sink: Box<dyn Fn(Event) + Send>,
    kill_grace: Duration,
    stderr_tail: usize,
    scratch: Vec<u8>,
    /// Cgroups of finished runs whose processes are still exiting, with removal attempts.
    cleanup: Vec<(RunCgroup, u32)>,
}

impl EventLoop {
    fn run(&mut self) {
        let mut pollfds: Vec<libc::pollfd> = Vec::new();
        let mut owners: Vec<Fd> = Vec::new();
        loop {
            pollfds.clear();
            owners.clear();
            let mut poll_on = |fd: i32, owner: Fd| {
                pollfds.push(libc::pollfd {
                    fd,
                    events: libc::POLLIN,
                    revents: 0,
                });
                owners.push(owner);
            };
            poll_on(self.channel.wake.as_raw_fd(), Fd::Wake);
            let mut timeout: Option<Duration> = None;
            let now = Instant::now();
            for (i, a) in self.running.iter().enumerate() {
                let mut wait = a.deadline().saturating_duration_since(now);
                // Most scripts finish quickly with output that fits the pipes: read it all at
                // exit (one wake-up) unless the run is still going after OUTPUT_WATCH_DELAY.
                let watch_output = a.child.pidfd.is_none() || now >= a.started + OUTPUT_WATCH_DELAY;
                if !watch_output {
                    wait =
                        wait.min((a.started + OUTPUT_WATCH_DELAY).saturating_duration_since(now));
                }
                if a.stdout_open && watch_output {
                    poll_on(a.child.stdout.as_raw_fd(), Fd::Stdout(i));
                }
                if a.stderr_open && watch_output {
                    poll_on(a.child.stderr.as_raw_fd(), Fd::Stderr(i));
                }
                match &a.child.pidfd {
                    Some(p) => poll_on(p.as_raw_fd(), Fd::Exit(i)),
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
                    Fd::Exit(i) => self.running[i].exited = true,
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

    /// Spawns a run and watches it, or reports why it could not start.
    fn start(&mut self, req: RunRequest) {
        let started = Instant::now();
        match self.launcher.spawn(&req.argv) {
            Ok((child, cgroup)) => {
                self.spawned.fetch_add(1, Ordering::Relaxed);
                self.running.push(Running {
                    run: req.run,
                    child,
                    cgroup,
                    timeout: req.timeout,
                    max_stdout: req.max_stdout,
                    started,
                    stdout: Vec::new(),
                    stdout_open: true,
                    stderr_tail: Vec::new(),
                    stderr_total: 0,
                    stderr_open: true,
                    exited: false,
                    reason: None,
                    kill_at: None,
                });
            }
            Err((error, cgroup)) => {
                if let Some(c) = cgroup {
                    self.cleanup.push((c, 0));
                }
                (self.sink)(Event::Finished(RunResult::unstarted(
                    req.run,
                    RunEnd::SpawnFailed(error),
                )));
            }
        }
    }

    /// Returns false on shutdown.
    fn handle_commands(&mut self) -> bool {
        let mut counter: u64 = 0;
        // SAFETY: reading 8 bytes from our eventfd into a u64.
        unsafe {
            libc::read(
                self.channel.wake.as_raw_fd(),
                (&mut counter as *mut u64).cast(),
                8,
            );
        }
        let cmds = std::mem::take(&mut *self.channel.cmds.lock());
        if cmds.iter().any(|c| matches!(c, Cmd::Shutdown)) {
            self.stop_all();
            return false;
        }
        // A start cancelled in the same batch makes no process.
        let withdrawn: Vec<u64> = cmds
            .iter()
            .filter_map(|c| match c {
                Cmd::Cancel(run) => Some(*run),
                _ => None,
            })
            .collect();
        for cmd in cmds {
            match cmd {
                Cmd::Start(req) if withdrawn.contains(&req.run) => (self.sink)(Event::Finished(
                    RunResult::unstarted(req.run, RunEnd::Withdrawn),
                )),
                Cmd::Start(req) => self.start(req),
                Cmd::Cancel(run) => {
                    if let Some(a) = self.running.iter_mut().find(|a| a.run == run) {
                        a.reason.get_or_insert(Ending::Killed);
                        a.stdout = Vec::new();
                        a.kill_all();
                    }
                }
                #[cfg(test)]
                Cmd::Panic => panic!("injected by a test"),
                Cmd::Shutdown => unreachable!("handled above"),
            }
        }
        true
    }

    /// Kills and reaps every run and removes their cgroups (waiting up to a second).
    fn stop_all(&mut self) {
        for a in self.running.drain(..) {
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
        let a = &mut self.running[i];
        let fd = a.child.stdout.as_raw_fd();
        let result = if a.reason.is_some() {
            // Killed: keep the pipe drained so the script is not stuck in write, discard data.
            self.scratch.clear();
            exec::read_some(fd, &mut self.scratch, READ_BUDGET)
        } else {
            let room = a.max_stdout.saturating_add(1) - a.stdout.len();
            let r = read_output(fd, &mut a.stdout, &mut self.scratch, room.min(budget));
            if a.stdout.len() > a.max_stdout {
                a.reason = Some(Ending::OutputCap);
                a.stdout = Vec::new();
                self.begin_kill(i);
            }
            r
        };
        if !matches!(result, Ok(false)) {
            self.running[i].stdout_open = false;
        }
    }

    fn read_stderr(&mut self, i: usize, budget: usize) {
        self.scratch.clear();
        let a = &mut self.running[i];
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
        let a = &mut self.running[i];
        if a.kill_at.is_none() {
            a.child.signal_run(libc::SIGTERM);
            a.kill_at = Some(Instant::now() + self.kill_grace);
        }
    }

    fn enforce_deadlines(&mut self) {
        let now = Instant::now();
        for i in 0..self.running.len() {
            let a = &mut self.running[i];
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
                    a.reason.get_or_insert(Ending::Timeout);
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
        while i < self.running.len() {
            if !self.running[i].exited {
                i += 1;
                continue;
            }
            // Leftovers of the group (a grandchild holding stdout) must not delay the result.
            self.running[i].kill_leftovers();
            let (status, usage) = exec::reap(self.running[i].child.pid);
            let elapsed = self.running[i].started.elapsed();
            // Everything the leader wrote is already in the pipes (which a script may have
            // enlarged to a megabyte or more): take all of it, up to the cap, without waiting for
            // EOF, which a killed grandchild may still be holding off.
            if self.running[i].stdout_open {
                self.read_stdout(i, usize::MAX);
            }
            if self.running[i].stderr_open {
                // Only the tail is kept; a writer that escaped the kill must not keep us here.
                self.read_stderr(i, EXIT_STDERR_BUDGET);
            }
            let Running {
                run,
                child,
                cgroup,
                reason,
                stdout,
                stderr_tail,
                stderr_total,
                ..
            } = self.running.swap_remove(i);
            // The run's descriptors close before it is reported: once the host sees it finished
            // (not in flight), nothing of it is left open.
            drop(child);
            if let Some(c) = cgroup {
                self.cleanup.push((c, 0));
            }
            let end = match reason {
                None => RunEnd::Exited,
                Some(Ending::Timeout) => RunEnd::Timeout,
                Some(Ending::OutputCap) => RunEnd::OutputCap,
                Some(Ending::Killed) => RunEnd::Killed,
            };
            (self.sink)(Event::Finished(RunResult {
                run,
                end,
                status,
                usage,
                stdout,
                stderr_tail,
                stderr_total,
                elapsed,
            }));
        }
    }
}
