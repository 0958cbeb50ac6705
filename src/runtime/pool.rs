//! gsp's own threads: the workers that turn large runs into records, the queue of their jobs,
//! and the signal mask every gsp thread starts with.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex};

use super::Core;
use crate::process::{panic_message, RunResult};

/// Starts worker `i`: it serves jobs until the queue closes. A panic in a job is a bug in gsp:
/// it is reported, and the worker goes on serving the other jobs.
pub(crate) fn start_worker(core: Arc<Core>, i: usize) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(format!("gsp-worker-{i}"))
        .spawn(move || {
            while let Some(job) = core.jobs.pop() {
                let done = catch_unwind(AssertUnwindSafe(|| match job {
                    #[cfg(test)]
                    Job::Panic => panic!("injected by a test"),
                    Job::Finish(result) => core.finish_run(result),
                }));
                if let Err(payload) = done {
                    core.fail(format!(
                        "a worker thread panicked: {}",
                        panic_message(&*payload)
                    ));
                }
            }
        })
}

/// Work for the worker threads.
pub(crate) enum Job {
    /// Makes a worker panic (tests of the panic net only).
    #[cfg(test)]
    Panic,
    /// Turn a finished run with large output into records.
    Finish(RunResult),
}

/// The workers' queue; closed on shutdown.
#[derive(Default)]
pub(crate) struct Jobs {
    queue: Mutex<(VecDeque<Job>, bool)>,
    ready: Condvar,
}

impl Jobs {
    /// Queues a job for one worker.
    pub fn push(&self, job: Job) {
        let mut q = self.queue.lock();
        if !q.1 {
            q.0.push_back(job);
            self.ready.notify_one();
        }
    }

    /// The next job; `None` once closed.
    pub fn pop(&self) -> Option<Job> {
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

    /// Stops the workers: queued jobs are dropped.
    pub fn close(&self) {
        self.queue.lock().1 = true;
        self.ready.notify_all();
    }
}

/// Blocks every asynchronous signal but SIGCHLD in the calling thread while it lives; threads
/// spawned meanwhile inherit that mask. A signal sent to the host process (SIGINT, SIGTERM...)
/// is then delivered to one of the host's threads, never to one of gsp's: a Go host's runtime
/// forwards a signal that lands on a non-Go thread to the disposition it replaced (SIG_IGN for a
/// background job), so its os/signal never saw the SIGINT. Synchronous signals stay unblocked:
/// a fault on gsp's threads must not be held pending.
///
/// SIGCHLD keeps the creating thread's state. The kernel addresses a child's SIGCHLD to the
/// thread that spawned it (gsp's I/O thread) and, with the default disposition, drops it at once
/// unless that thread blocks it; blocked there, it woke one of the host's threads for every run
/// (about 40 µs of host CPU each). A host that blocks SIGCHLD everywhere (to read it from a
/// signalfd or sigwait) gets it in gsp's threads too, so none of its children's SIGCHLDs can be
/// taken by a gsp thread.
pub(crate) struct SignalsBlocked(libc::sigset_t);

impl SignalsBlocked {
    /// Blocks them until dropped.
    pub fn new() -> Self {
        // SAFETY: sigset_t is plain data; pthread_sigmask changes only this thread's mask.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut set);
            for sig in [
                libc::SIGCHLD,
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

#[cfg(test)]
mod tests {
    use super::super::{Error, Options, Runtime};
    use super::Job;
    use crate::diagnostic::DiagnosticKind;
    use crate::record::Record;
    use std::time::{Duration, Instant};

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
        rt.core.jobs.push(Job::Panic);
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
        rt.core.processes.inject_panic();
        let found = drain_internal(&rt);
        assert!(found[0].contains("I/O thread panicked"), "{}", found[0]);
        assert!(matches!(rt.run_now(id), Err(Error::Internal(_))));
        // The configuration run was killed and reaped, not left behind.
        let start = Instant::now();
        drop(rt);
        assert!(start.elapsed() < Duration::from_secs(10));
    }
}
