//! Process execution: what a spawn needs (the environment block, pipes, /dev/null, the program
//! found in PATH, explanations of spawn failures), killing a run's process group, and reaping its
//! leader. The spawn itself is in [`super::contain`]: every run leads its own process group, with
//! stdin from /dev/null, stdout and stderr on pipes, default signal dispositions, an empty signal
//! mask and no other descriptors.
//!
//! gsp never installs a signal handler and never waits for a pid it did not spawn.

use std::borrow::Cow;
use std::ffi::{CStr, CString, OsStr};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// An environment block for children, built once per runtime.
pub struct EnvBlock {
    /// Owns the strings `ptrs` points into (never read directly).
    _vars: Vec<CString>,
    ptrs: Vec<*const libc::c_char>,
    path: Option<Vec<u8>>,
}

// SAFETY: the pointers point into `_vars`, which is immutable after construction.
unsafe impl Send for EnvBlock {}
// SAFETY: as above; readers only read.
unsafe impl Sync for EnvBlock {}

/// Which of the host's environment variables scripts get.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum EnvMode {
    /// All of them (the default).
    #[default]
    Inherit,
    /// None (only the extra variables).
    Clear,
    /// Only these names.
    Allow(Vec<String>),
}

impl EnvBlock {
    /// The host's environment as of now, filtered by `mode`, with `extra` variables added
    /// (replacing same names).
    pub fn new(mode: &EnvMode, extra: &[(String, String)]) -> io::Result<Self> {
        let mut vars: Vec<(Vec<u8>, Vec<u8>)> = std::env::vars_os()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .filter(|(k, _)| match mode {
                EnvMode::Inherit => true,
                EnvMode::Clear => false,
                EnvMode::Allow(names) => names.iter().any(|n| n.as_bytes() == k.as_slice()),
            })
            .collect();
        for (k, v) in extra {
            if k.is_empty() || k.contains('=') || k.contains('\0') || v.contains('\0') {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("invalid environment variable name or value: {k:?}"),
                ));
            }
            vars.retain(|(name, _)| name != k.as_bytes());
            vars.push((k.as_bytes().to_vec(), v.as_bytes().to_vec()));
        }
        let path = vars
            .iter()
            .find(|(k, _)| k == b"PATH")
            .map(|(_, v)| v.clone());
        let vars: Vec<CString> = vars
            .into_iter()
            .filter_map(|(mut k, v)| {
                k.push(b'=');
                k.extend_from_slice(&v);
                CString::new(k).ok()
            })
            .collect();
        let mut ptrs: Vec<*const libc::c_char> = vars.iter().map(|c| c.as_ptr()).collect();
        ptrs.push(std::ptr::null());
        Ok(EnvBlock {
            _vars: vars,
            ptrs,
            path,
        })
    }

    /// The NULL-terminated `envp` array.
    pub fn envp(&self) -> *const *const libc::c_char {
        self.ptrs.as_ptr()
    }
}

/// A spawned script: the group leader's pid, a pidfd when the kernel has them, and the read
/// ends of its stdout and stderr (non-blocking, close-on-exec).
pub struct Child {
    /// Leader pid, which is also the process group id.
    pub pid: libc::pid_t,
    /// Becomes readable when the leader exits (Linux >= 5.3); `None` means poll with waitid.
    pub pidfd: Option<OwnedFd>,
    /// stdout read end.
    pub stdout: OwnedFd,
    /// stderr read end.
    pub stderr: OwnedFd,
}

/// How a reaped process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Exited with this code.
    Code(i32),
    /// Killed by this signal.
    Signal(i32),
    /// The status was lost: the host set SIGCHLD to SIG_IGN (the kernel reaped the child), or
    /// another waiter in the host reaped it first.
    Unknown,
}

fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Moves a descriptor to 3 or above, so the dup2 onto 0..2 in the child cannot clobber it
/// (a host that closed its stdio gets 0..2 back from pipe()).
fn above_stdio(fd: OwnedFd) -> io::Result<OwnedFd> {
    if fd.as_raw_fd() > 2 {
        return Ok(fd);
    }
    // SAFETY: fcntl on a descriptor we own; the result is a new descriptor we then own.
    let new = cvt(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) })?;
    // SAFETY: `new` is a fresh descriptor owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// A close-on-exec pipe as (read end, write end), both above stdio.
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: fds has room for two descriptors. Both ends start non-blocking: gsp's read end must
    // be (a grandchild holding the pipe must not block the loop), and the child clears it on its
    // stdout and stderr before exec, which spares the host a system call per end.
    cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) })?;
    // SAFETY: pipe2 returned two new descriptors that we now own.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok((above_stdio(r)?, above_stdio(w)?))
}

/// Opens /dev/null for children's stdin (once per runtime).
pub fn open_devnull() -> io::Result<OwnedFd> {
    // SAFETY: a NUL-terminated path; the result is a new descriptor.
    let fd = cvt(unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) })?;
    // SAFETY: fresh descriptor.
    above_stdio(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Why a spawn failed, with a cause a script author can act on.
#[derive(Debug)]
pub struct SpawnError {
    /// The OS error.
    pub error: io::Error,
    /// A sentence naming the likely cause.
    pub explanation: String,
}

/// Finds `program` the way execvp does, in the runtime's PATH. Returns the path to execute, or
/// the error execvp would give (ENOENT, or EACCES for a found file without the execute bit).
pub fn resolve_program<'a>(program: &'a CStr, env: &EnvBlock) -> Result<Cow<'a, CStr>, SpawnError> {
    let bytes = program.to_bytes();
    if bytes.contains(&b'/') {
        return Ok(Cow::Borrowed(program)); // the common case costs no allocation per spawn
    }
    let path = env
        .path
        .as_deref()
        .unwrap_or(b"/usr/local/bin:/usr/bin:/bin");
    let mut non_executable = None;
    for dir in path.split(|&b| b == b':') {
        let dir = if dir.is_empty() { b"." as &[u8] } else { dir };
        let candidate = Path::new(OsStr::from_bytes(dir)).join(OsStr::from_bytes(bytes));
        if let Ok(meta) = std::fs::metadata(&candidate) {
            if meta.is_file() && meta.permissions().mode() & 0o111 != 0 {
                return CString::new(candidate.as_os_str().as_bytes())
                    .map(Cow::Owned)
                    .map_err(|_| SpawnError {
                        error: io::Error::from_raw_os_error(libc::EINVAL),
                        explanation: "the program path contains a NUL byte".into(),
                    });
            }
            if meta.is_file() {
                non_executable.get_or_insert(candidate);
            }
        }
    }
    let name = String::from_utf8_lossy(bytes);
    Err(match non_executable {
        Some(p) => SpawnError {
            error: io::Error::from_raw_os_error(libc::EACCES),
            explanation: format!("`{}` is not executable (chmod +x it)", p.display()),
        },
        None => SpawnError {
            error: io::Error::from_raw_os_error(libc::ENOENT),
            explanation: format!(
                "`{name}` was not found in PATH={}",
                String::from_utf8_lossy(path)
            ),
        },
    })
}

/// A failure to make a run's pipes, explained: running out of descriptors is the usual cause.
pub fn pipe_error(error: io::Error) -> SpawnError {
    let explanation = match error.raw_os_error() {
        Some(libc::EMFILE) => {
            let mut lim = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: getrlimit writes the struct it is given.
            unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
            format!(
                "the host process has no file descriptors left (RLIMIT_NOFILE soft limit {}; each running script holds 3): \
                 lower max_concurrent_runs, close descriptors the host leaks, or raise the limit",
                lim.rlim_cur
            )
        }
        Some(libc::ENFILE) => "the system has no file descriptors left (fs.file-max)".into(),
        _ => format!("could not set up the child's pipes: {error}"),
    };
    SpawnError { error, explanation }
}

/// A pidfd for our child, or `None` on kernels without pidfd_open.
pub fn pidfd_open(pid: libc::pid_t) -> Option<OwnedFd> {
    // SAFETY: a plain syscall; the result is a new close-on-exec descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return None;
    }
    // SAFETY: fresh descriptor owned by us.
    Some(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// The likely cause of an exec failure, for the script's author.
pub fn explain_spawn_error(program: &Path, errno: i32) -> String {
    let shown = program.display();
    match errno {
        libc::ENOENT => match std::fs::read(program).ok().and_then(|b| shebang(&b)) {
            Some(interp) if interp.ends_with('\r') => format!(
                "`{shown}` exists but its interpreter `{}` was not found: the file has CRLF (Windows) line endings; convert it with dos2unix",
                interp.trim_end_matches('\r').escape_debug()
            ),
            Some(interp) => format!(
                "`{shown}` exists but its interpreter `{interp}` (from the #! line) was not found"
            ),
            None if program.exists() => format!("`{shown}` exists but could not be executed"),
            None => format!("`{shown}` does not exist"),
        },
        libc::EACCES => {
            if program.is_dir() {
                format!("`{shown}` is a directory")
            } else {
                format!("`{shown}` is not executable (chmod +x it) or a directory on its path is not searchable")
            }
        }
        libc::ENOEXEC => format!(
            "`{shown}` is not a binary and has no #! line; add one (e.g. #!/bin/sh) or configure the interpreter in the command line"
        ),
        _ => format!(
            "could not execute `{shown}`: {}",
            io::Error::from_raw_os_error(errno)
        ),
    }
}

/// Whether `program` starts with a `#!` line ending in CR (a file saved with CRLF line endings).
pub fn shebang_has_crlf(program: &Path) -> bool {
    let mut head = [0u8; 256];
    let n = std::fs::File::open(program)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .unwrap_or(0);
    let first_line = head[..n].split(|&b| b == b'\n').next().unwrap_or_default();
    first_line.starts_with(b"#!") && first_line.ends_with(b"\r")
}

/// The interpreter named by a `#!` line, if the file starts with one.
fn shebang(head: &[u8]) -> Option<String> {
    let rest = head.strip_prefix(b"#!")?;
    let line = rest.split(|&b| b == b'\n').next()?;
    let line = String::from_utf8_lossy(line);
    let interp = line.trim_start_matches([' ', '\t']);
    let end = interp.find([' ', '\t']).unwrap_or(interp.len());
    Some(interp[..end].to_string())
}

/// Whether the host set SIGCHLD to SIG_IGN or SA_NOCLDWAIT, which makes the kernel discard
/// children's exit statuses.
pub fn sigchld_ignored() -> bool {
    // SAFETY: reads the current disposition only (act = NULL).
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGCHLD, std::ptr::null(), &mut old) == 0
            && (old.sa_sigaction == libc::SIG_IGN || old.sa_flags & libc::SA_NOCLDWAIT != 0)
    }
}

/// Sends `sig` to the process group led by `pgid`. The leader must not have been reaped yet,
/// so the group id cannot have been reused.
pub fn kill_group(pgid: libc::pid_t, sig: libc::c_int) {
    if pgid > 0 {
        // SAFETY: kill has no memory effects; ESRCH (group already gone) is fine.
        unsafe {
            libc::kill(-pgid, sig);
        }
    }
}

/// Whether `pid` is still our unreaped child (running, or a zombie only we may reap). While it
/// is, its pid, and so its process group id, cannot be reused. False once another waiter in the
/// host (e.g. a SIGCHLD handler calling `waitpid(-1)`) has reaped it.
pub fn is_unreaped_child(pid: libc::pid_t) -> bool {
    // SAFETY: siginfo is written by the kernel; WNOWAIT leaves the child waitable.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        ) == 0
    }
}

impl Child {
    /// Sends `sig` to the leader itself, wherever its process group is (a script may move itself
    /// into another group). Through the pidfd the signal can never reach a process that reused
    /// the pid; without one, only while the leader is our unreaped child.
    pub fn signal_leader(&self, sig: libc::c_int) {
        match &self.pidfd {
            // SAFETY: a plain syscall on our descriptor; ESRCH (already exited) is fine.
            Some(fd) => unsafe {
                libc::syscall(
                    libc::SYS_pidfd_send_signal,
                    fd.as_raw_fd(),
                    sig,
                    std::ptr::null::<libc::siginfo_t>(),
                    0,
                );
            },
            None if is_unreaped_child(self.pid) => {
                // SAFETY: our unreaped child, so the pid is still its own.
                unsafe { libc::kill(self.pid, sig) };
            }
            None => {}
        }
    }

    /// Sends `sig` to the leader and to its process group. The group is signalled only while the
    /// leader is our unreaped child: once someone else has reaped it, the group id may belong to
    /// an unrelated process.
    pub fn signal_run(&self, sig: libc::c_int) {
        self.signal_leader(sig);
        self.signal_group(sig);
    }

    /// Sends `sig` to the leader's process group, only while the leader is our unreaped child
    /// (see [`Child::signal_run`]).
    pub fn signal_group(&self, sig: libc::c_int) {
        if is_unreaped_child(self.pid) {
            kill_group(self.pid, sig);
        }
    }
}

/// Whether the leader has exited, without reaping it (so its pid and group stay reserved).
pub fn has_exited(pid: libc::pid_t) -> bool {
    // SAFETY: siginfo is written by the kernel.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let ret = libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        );
        if ret == -1 {
            // ECHILD: the kernel reaped it already (the host ignores SIGCHLD).
            return io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD);
        }
        info.si_pid() != 0
    }
}

/// CPU time and peak memory of a reaped child (with its own reaped descendants), from wait4.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// User CPU time.
    pub user: Duration,
    /// System CPU time.
    pub system: Duration,
    /// Peak resident set size in KiB.
    pub max_rss_kib: u64,
}

fn timeval(tv: libc::timeval) -> Duration {
    Duration::new(
        tv.tv_sec.max(0) as u64,
        (tv.tv_usec.clamp(0, 999_999) as u32) * 1000,
    )
}

/// Reaps our own child `pid`, blocking until it exits.
pub fn reap(pid: libc::pid_t) -> (ExitStatus, Usage) {
    let mut status = 0;
    // SAFETY: rusage is plain data written by the kernel.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: waits only for our own child.
        let ret = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if ret == pid {
            break;
        }
        if ret == -1 && io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
            continue;
        }
        return (ExitStatus::Unknown, Usage::default());
    }
    let usage = Usage {
        user: timeval(ru.ru_utime),
        system: timeval(ru.ru_stime),
        max_rss_kib: ru.ru_maxrss.max(0) as u64,
    };
    let status = if libc::WIFEXITED(status) {
        ExitStatus::Code(libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        ExitStatus::Signal(libc::WTERMSIG(status))
    } else {
        ExitStatus::Unknown
    };
    (status, usage)
}

/// Reads from a non-blocking pipe, appending to `buf`, until the pipe is empty (a short read or
/// EAGAIN), end of file, or `budget` bytes were read (so one flooding script cannot monopolize
/// the caller). Returns `Ok(true)` at end of file.
pub fn read_some(fd: RawFd, buf: &mut Vec<u8>, budget: usize) -> io::Result<bool> {
    let mut left = budget;
    while left > 0 {
        let want = left.min(64 * 1024);
        buf.reserve(want);
        let spare = buf.spare_capacity_mut();
        let asked = want.min(spare.len());
        // SAFETY: reading into the vector's spare capacity, at most its length.
        let n = unsafe { libc::read(fd, spare.as_mut_ptr().cast(), asked) };
        match n {
            0 => return Ok(true),
            n if n > 0 => {
                // SAFETY: the kernel initialized n bytes.
                unsafe { buf.set_len(buf.len() + n as usize) };
                left -= n as usize;
                // A pipe gives less than asked only when it is empty: the next read would say
                // EAGAIN, so skip it (poll is level-triggered and reports what comes later).
                if (n as usize) < asked {
                    return Ok(false);
                }
            }
            _ => {
                let e = io::Error::last_os_error();
                match e.raw_os_error() {
                    Some(libc::EINTR) => continue,
                    Some(libc::EAGAIN) => return Ok(false),
                    _ => return Err(e),
                }
            }
        }
    }
    Ok(false)
}

/// A path that names the program for messages.
pub fn program_path(program: &CStr) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(program.to_bytes()))
}
