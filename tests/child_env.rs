//! What a script inherits: only descriptors 0-2, stdin from /dev/null, its own process group,
//! default signal dispositions and an empty signal mask, whatever the host did to its own.
//! (A separate test binary: it changes this process's descriptors and signal state.)

mod common;

use std::os::fd::AsRawFd;

use common::*;
use gsp::Runtime;

#[test]
fn children_get_a_clean_process_state() {
    // A host that leaks a descriptor without CLOEXEC, ignores SIGUSR1 and blocks SIGUSR2 in the
    // thread that creates the runtime (gsp's threads inherit that mask).
    let leaked = std::fs::File::open("/dev/null").unwrap();
    // SAFETY: plain libc calls on this process's own state.
    unsafe {
        let fd = leaked.as_raw_fd();
        let flags = libc::fcntl(fd, libc::F_GETFD);
        assert_eq!(libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC), 0);
        libc::signal(libc::SIGUSR1, libc::SIG_IGN);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGUSR2);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
    let mut h = Harness::new();
    let py = h.add(&format!("python3 {}", script("introspect.py")));
    let sh = h.add(&script("signals.sh"));
    h.expect_data_runs(py, 1);
    h.expect_data_runs(sh, 1);
    let metric = |script: u64, id: i64| {
        h.metrics()
            .into_iter()
            .filter(|m| m.script_id == script && m.metric_id == id)
            .cloned()
            .collect::<Vec<_>>()
    };
    let fds: Vec<String> = metric(py, 1)
        .iter()
        .map(|m| m.dimensions.first().unwrap().value.to_string())
        .collect();
    // 3 is the directory Python opened to list /proc/self/fd.
    assert_eq!(
        fds,
        ["0", "1", "2", "3"],
        "leaked fd {} must not reach the child",
        leaked.as_raw_fd()
    );
    assert_eq!(
        metric(py, 2)[0].value,
        1.0,
        "the script leads its own process group"
    );
    assert_eq!(metric(py, 5)[0].value, 1.0, "stdin is /dev/null");
    let masks: Vec<(i64, String)> = metric(sh, 1)[0]
        .dimensions
        .iter()
        .map(|d| (d.id, d.value.to_string()))
        .collect();
    let ignored = u64::from_str_radix(&masks[0].1, 16).unwrap();
    // glibc's posix_spawn leaves its two reserved signals (32 and 33, below SIGRTMIN) ignored;
    // no program linked against glibc can use them.
    let glibc_reserved = (1u64 << 31) | (1u64 << 32);
    assert_eq!(
        ignored & !glibc_reserved,
        0,
        "no ignored signals: {:x}",
        ignored
    );
    assert_eq!(masks[1].1, "0000000000000000", "no blocked signals");
    drop(h);
    let _ = Runtime::new(gsp::Options::default()); // runtime creation still works afterwards
}
