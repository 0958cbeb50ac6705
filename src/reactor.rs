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

enum Cmd {
    Add(u64, Child, RunLimits, Instant, Option<RunCgroup>),
    Cancel(u64),
    Shutdown,
}

struct Shared {
    cmds: Mutex<Vec<Cmd>>,
    wake: OwnedFd,
}

impl Shared {
    fn send(&self, cmd: Cmd) {
        self.cmds.lock().push(cmd);
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

/// Called on the I/O thread for each finished run; must not block.
pub type OnFinish = Box<dyn Fn(Finished) + Send>;

impl Reactor {
    /// Starts the I/O thread.
    pub fn start(
        on_finish: OnFinish,
        kill_grace: Duration,
        stderr_tail: usize,
    ) -> io::Result<Reactor> {
        // SAFETY: creates a new descriptor.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let shared = Arc::new(Shared {
            cmds: Mutex::new(Vec::new()),
            // SAFETY: fresh descriptor.
            wake: unsafe { OwnedFd::from_raw_fd(fd) },
        });
        let loop_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("gsp-io".into())
            .spawn(move || {
                EventLoop {
                    shared: loop_shared,
                    active: Vec::new(),
                    on_finish,
                    kill_grace,
                    stderr_tail,
                    scratch: Vec::new(),
                    cleanup: Vec::new(),
                }
                .run()
            })?;
        Ok(Reactor {
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Watches a spawned child (and its cgroup, if it has one) until it ends.
    pub fn add(
        &self,
        run: u64,
        child: Child,
        limits: RunLimits,
        started: Instant,
        cgroup: Option<RunCgroup>,
    ) {
        self.shared
            .send(Cmd::Add(run, child, limits, started, cgroup));
    }

    /// Kills a run's process group now; it is still reported through the callback.
    pub fn cancel(&self, run: u64) {
        self.shared.send(Cmd::Cancel(run));
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

    /// SIGKILL to the process group and, with a cgroup, to everything in it (setsid escapees).
    fn kill_all(&self) {
        exec::kill_group(self.child.pid, libc::SIGKILL);
        if let Some(c) = &self.cgroup {
            c.kill();
        }
    }
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
    on_finish: OnFinish,
    kill_grace: Duration,
    stderr_tail: usize,
    scratch: Vec<u8>,
    /// Cgroups of finished runs whose processes are still exiting, with removal attempts.
    cleanup: Vec<(RunCgroup, u32)>,
}

impl EventLoop {
    fn run(mut self) {
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
                if a.stdout_open {
                    watch(a.child.stdout.as_raw_fd(), Fd::Stdout(i));
                }
                if a.stderr_open {
                    watch(a.child.stderr.as_raw_fd(), Fd::Stderr(i));
                }
                let mut wait = a.deadline().saturating_duration_since(now);
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
                    Fd::Stdout(i) => self.read_stdout(i),
                    Fd::Stderr(i) => self.read_stderr(i),
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
                Cmd::Add(run, child, limits, started, cgroup) => self.active.push(Active {
                    run,
                    child,
                    cgroup,
                    limits,
                    started,
                    stdout: Vec::new(),
                    stdout_open: true,
                    stderr_tail: Vec::new(),
                    stderr_total: 0,
                    stderr_open: true,
                    exited: false,
                    reason: None,
                    kill_at: None,
                }),
                Cmd::Cancel(run) => {
                    if let Some(a) = self.active.iter_mut().find(|a| a.run == run) {
                        a.reason.get_or_insert(EndReason::Cancelled);
                        a.stdout = Vec::new();
                        a.kill_all();
                    }
                }
                Cmd::Shutdown => {
                    for a in self.active.drain(..) {
                        a.kill_all();
                        exec::reap(a.child.pid);
                        if let Some(c) = a.cgroup {
                            self.cleanup.push((c, 0));
                        }
                    }
                    // Killed processes leave their cgroups within moments; wait up to a second.
                    let deadline = Instant::now() + Duration::from_secs(1);
                    while !self.cleanup.is_empty() && Instant::now() < deadline {
                        self.cleanup.retain(|(c, _)| c.remove().is_err());
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    return false;
                }
            }
        }
        true
    }

    fn read_stdout(&mut self, i: usize) {
        let a = &mut self.active[i];
        let fd = a.child.stdout.as_raw_fd();
        let result = if a.reason.is_some() {
            // Killed: keep the pipe drained so the script is not stuck in write, discard data.
            self.scratch.clear();
            exec::read_some(fd, &mut self.scratch, READ_BUDGET)
        } else {
            let room = a.limits.max_stdout + 1 - a.stdout.len();
            let r = exec::read_some(fd, &mut a.stdout, room.min(READ_BUDGET));
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

    fn read_stderr(&mut self, i: usize) {
        self.scratch.clear();
        let a = &mut self.active[i];
        let result = exec::read_some(a.child.stderr.as_raw_fd(), &mut self.scratch, READ_BUDGET);
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
            exec::kill_group(a.child.pid, libc::SIGTERM);
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
            let mut a = self.active.swap_remove(i);
            // Leftovers of the group (a grandchild holding stdout) must not delay the result.
            a.kill_all();
            let (status, usage) = exec::reap(a.child.pid);
            let elapsed = a.started.elapsed();
            // Everything the leader wrote is already in the pipes; take it without waiting for
            // EOF, which a killed grandchild may still be holding off.
            if a.reason.is_none() && a.stdout_open {
                let room = a.limits.max_stdout + 1 - a.stdout.len();
                let _ = exec::read_some(a.child.stdout.as_raw_fd(), &mut a.stdout, room);
                if a.stdout.len() > a.limits.max_stdout {
                    a.reason = Some(EndReason::OutputCap);
                    a.stdout = Vec::new();
                }
            }
            if a.stderr_open {
                self.scratch.clear();
                let _ = exec::read_some(
                    a.child.stderr.as_raw_fd(),
                    &mut self.scratch,
                    self.stderr_tail.max(4096),
                );
                a.stderr_total += self.scratch.len() as u64;
                a.stderr_tail.extend_from_slice(&self.scratch);
                let excess = a.stderr_tail.len().saturating_sub(self.stderr_tail);
                a.stderr_tail.drain(..excess);
            }
            if let Some(c) = a.cgroup.take() {
                self.cleanup.push((c, 0));
            }
            (self.on_finish)(Finished {
                run: a.run,
                status,
                usage,
                reason: a.reason.unwrap_or(EndReason::Exited),
                stdout: a.stdout,
                stderr_tail: a.stderr_tail,
                stderr_total: a.stderr_total,
                elapsed,
            });
        }
    }
}
