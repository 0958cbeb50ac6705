//! gsp's own threads leave signals to the host: a signal sent to the host process reaches one of
//! the host's threads (a Go host's os/signal missed SIGINTs that landed on gsp's threads). SIGCHLD
//! keeps the state of the thread that created the runtime: a child's SIGCHLD goes to the thread
//! that spawned it, and only unblocked there is it dropped at once instead of waking a host
//! thread for every run. (A test binary of its own, with one test: it inspects every thread.)

mod common;

use std::time::{Duration, Instant};

use gsp::{Options, Runtime};

fn sigblk(status: &str) -> u64 {
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("SigBlk:"))
        .expect("SigBlk")
        .trim();
    u64::from_str_radix(hex, 16).unwrap()
}

fn bit(sig: i32) -> u64 {
    1u64 << (sig - 1)
}

/// The signal masks of this process's gsp threads, once at least `n` have named themselves
/// (a thread names itself only once it runs, so wait, generously).
fn gsp_thread_masks(n: usize) -> Vec<(String, u64)> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let masks: Vec<(String, u64)> = common::gsp_threads()
            .into_iter()
            .filter_map(|(name, dir)| {
                let status = std::fs::read_to_string(dir.join("status")).ok()?;
                Some((name, sigblk(&status)))
            })
            .collect();
        if masks.len() >= n || Instant::now() > deadline {
            return masks;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Until no gsp thread is left (a freed runtime's threads have been joined, but check).
fn no_gsp_threads() {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !gsp_thread_masks(0).is_empty() {
        assert!(
            Instant::now() < deadline,
            "gsp threads outlived their runtime"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn set_sigchld_blocked(blocked: bool) {
    // SAFETY: changes the calling thread's mask only.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGCHLD);
        let how = if blocked {
            libc::SIG_BLOCK
        } else {
            libc::SIG_UNBLOCK
        };
        libc::pthread_sigmask(how, &set, std::ptr::null_mut());
    }
}

#[test]
fn gsp_threads_leave_signals_to_the_host() {
    for creator_blocks_sigchld in [false, true] {
        // Each runtime is created on a fresh thread with the mask under test.
        let rt = std::thread::spawn(move || {
            set_sigchld_blocked(creator_blocks_sigchld);
            let rt = Runtime::new(Options::default()).unwrap();
            let mine = std::fs::read_to_string("/proc/thread-self/status").unwrap();
            assert_eq!(
                sigblk(&mine) & (bit(libc::SIGINT) | bit(libc::SIGCHLD)),
                if creator_blocks_sigchld {
                    bit(libc::SIGCHLD)
                } else {
                    0
                },
                "the caller's mask was changed"
            );
            rt
        })
        .join()
        .unwrap();
        let masks = gsp_thread_masks(3);
        assert!(masks.len() >= 3, "found {} gsp threads", masks.len());
        for (name, blocked) in masks {
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGUSR1] {
                assert!(
                    blocked & bit(sig) != 0,
                    "{name} does not block signal {sig}"
                );
            }
            assert_eq!(blocked & bit(libc::SIGSEGV), 0, "{name} blocks SIGSEGV");
            assert_eq!(
                blocked & bit(libc::SIGCHLD) != 0,
                creator_blocks_sigchld,
                "{name}: SIGCHLD must be as the creating thread had it"
            );
        }
        drop(rt);
        no_gsp_threads();
    }
}
