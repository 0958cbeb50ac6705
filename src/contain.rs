//! Containment: run scripts as another user, with resource limits and a nice level, inside a
//! per-run cgroup. These need code between fork and exec, so a contained runtime spawns with
//! fork (async-signal-safe calls only in the child) instead of posix_spawn.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, RawFd};

use crate::exec::{self, Child, EnvBlock, SpawnError};

/// Per-run resource limits (soft and hard limit alike). `None` leaves the host's limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResourceLimits {
    /// RLIMIT_CPU: CPU seconds before SIGXCPU/SIGKILL.
    pub cpu_seconds: Option<u64>,
    /// RLIMIT_AS: address-space bytes.
    pub address_space_bytes: Option<u64>,
    /// RLIMIT_NOFILE: open descriptors.
    pub open_files: Option<u64>,
    /// RLIMIT_NPROC: processes of the script's user (bounds fork bombs; counts all of the user's
    /// processes, so use it with a dedicated `run_as_user`).
    pub processes: Option<u64>,
    /// Nice level (-20..19) for the script.
    pub nice: Option<i32>,
}

impl ResourceLimits {
    /// Whether any limit is set.
    pub fn any(&self) -> bool {
        *self != ResourceLimits::default()
    }
}

/// A resolved user and group to run scripts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// User id.
    pub uid: libc::uid_t,
    /// Group id (supplementary groups are dropped).
    pub gid: libc::gid_t,
    /// How the operator named them, for messages.
    pub name: String,
}

/// Calls a reentrant getpw*/getgr* lookup with a zeroed entry and a scratch buffer; the entry
/// when one was found.
fn lookup<T>(
    call: impl FnOnce(*mut T, *mut libc::c_char, usize, *mut *mut T) -> libc::c_int,
) -> Option<T> {
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: passwd and group are plain C structs for which all-zero is a valid value.
    let mut entry: T = unsafe { std::mem::zeroed() };
    let mut result: *mut T = std::ptr::null_mut();
    let rc = call(&mut entry, buf.as_mut_ptr(), buf.len(), &mut result);
    // The entry's strings point into `buf`; callers copy out only the numeric ids.
    (rc == 0 && !result.is_null()).then_some(entry)
}

fn lookup_user(name: &str) -> Option<(libc::uid_t, libc::gid_t)> {
    let cname = CString::new(name).ok()?;
    // SAFETY: getpwnam_r writes only into the entry and buffer it is given.
    let pwd = lookup(|e, b, n, r| unsafe { libc::getpwnam_r(cname.as_ptr(), e, b, n, r) })?;
    Some((pwd.pw_uid, pwd.pw_gid))
}

fn lookup_uid(uid: libc::uid_t) -> Option<libc::gid_t> {
    // SAFETY: getpwuid_r writes only into the entry and buffer it is given.
    lookup(|e, b, n, r| unsafe { libc::getpwuid_r(uid, e, b, n, r) })
        .map(|p: libc::passwd| p.pw_gid)
}

fn lookup_group(name: &str) -> Option<libc::gid_t> {
    let cname = CString::new(name).ok()?;
    // SAFETY: getgrnam_r writes only into the entry and buffer it is given.
    lookup(|e, b, n, r| unsafe { libc::getgrnam_r(cname.as_ptr(), e, b, n, r) })
        .map(|g: libc::group| g.gr_gid)
}

/// Resolves a user (name or numeric uid) and an optional group (name or numeric gid; default:
/// the user's primary group).
pub fn resolve_credentials(user: &str, group: Option<&str>) -> Result<Credentials, String> {
    let (uid, primary) = match user.parse::<libc::uid_t>() {
        Ok(uid) => (uid, lookup_uid(uid)),
        Err(_) => {
            let (uid, gid) = lookup_user(user).ok_or_else(|| format!("no such user `{user}`"))?;
            (uid, Some(gid))
        }
    };
    let gid = match group {
        Some(g) => match g.parse::<libc::gid_t>() {
            Ok(gid) => gid,
            Err(_) => lookup_group(g).ok_or_else(|| format!("no such group `{g}`"))?,
        },
        None => primary.ok_or_else(|| {
            format!("uid {uid} has no passwd entry, so its group must be given (run_as_group)")
        })?,
    };
    Ok(Credentials {
        uid,
        gid,
        name: match group {
            Some(g) => format!("{user}:{g}"),
            None => user.to_string(),
        },
    })
}

/// What the child does between fork and exec, prepared in the parent (the child must not
/// allocate).
pub struct ContainedSpawn<'a> {
    /// Path to exec.
    pub program: &'a CStr,
    /// argv.
    pub argv: &'a [CString],
    /// Environment.
    pub env: &'a EnvBlock,
    /// stdin.
    pub devnull: RawFd,
    /// Working directory.
    pub cwd: Option<&'a CStr>,
    /// User and group.
    pub credentials: Option<&'a Credentials>,
    /// Limits.
    pub limits: &'a ResourceLimits,
    /// `<cgroup>/cgroup.procs` of the run's own cgroup.
    pub cgroup_procs: Option<&'a CStr>,
}

/// Child setup steps, reported back through the error pipe when one fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Stage {
    ProcessGroup = 1,
    Cgroup,
    Limit,
    Nice,
    Stdio,
    Chdir,
    Groups,
    SetGid,
    SetUid,
    Exec,
}

impl Stage {
    const ALL: [Stage; 10] = [
        Stage::ProcessGroup,
        Stage::Cgroup,
        Stage::Limit,
        Stage::Nice,
        Stage::Stdio,
        Stage::Chdir,
        Stage::Groups,
        Stage::SetGid,
        Stage::SetUid,
        Stage::Exec,
    ];

    fn from_u8(b: u8) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| *s as u8 == b)
    }
}

const NSIG: libc::c_int = 65;
const CLOSE_RANGE_CLOEXEC: libc::c_uint = 4;

/// Spawns with fork, applying the containment before exec.
pub fn spawn(s: &ContainedSpawn<'_>) -> Result<Child, SpawnError> {
    let io_err = |error: io::Error| SpawnError {
        explanation: format!("could not set up the child's pipes: {error}"),
        error,
    };
    let (out_r, out_w) = exec::pipe().map_err(io_err)?;
    let (err_r, err_w) = exec::pipe().map_err(io_err)?;
    let (report_r, report_w) = exec::pipe().map_err(io_err)?;
    let mut argv: Vec<*const libc::c_char> = s.argv.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let rlimits: Vec<(libc::__rlimit_resource_t, u64)> = [
        (libc::RLIMIT_CPU, s.limits.cpu_seconds),
        (libc::RLIMIT_AS, s.limits.address_space_bytes),
        (libc::RLIMIT_NOFILE, s.limits.open_files),
        (libc::RLIMIT_NPROC, s.limits.processes),
    ]
    .into_iter()
    .filter_map(|(r, v)| v.map(|v| (r, v)))
    .collect();
    // SAFETY: geteuid cannot fail.
    let is_root = unsafe { libc::geteuid() } == 0;

    // SAFETY: after fork the child calls only async-signal-safe functions on data prepared above,
    // then execs or _exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io_err(io::Error::last_os_error()));
    }
    if pid == 0 {
        // SAFETY: in the child, see above.
        unsafe {
            child(
                s,
                &argv,
                &rlimits,
                is_root,
                [out_w.as_raw_fd(), err_w.as_raw_fd()],
                report_w.as_raw_fd(),
            )
        }
    }
    drop(out_w);
    drop(err_w);
    drop(report_w);
    // The report pipe closes at exec (close-on-exec): EOF means the script is running.
    let mut report = [0u8; 5];
    let mut got = 0;
    while got < report.len() {
        // SAFETY: reading into a local buffer.
        let n = unsafe {
            libc::read(
                report_r.as_raw_fd(),
                report[got..].as_mut_ptr().cast(),
                report.len() - got,
            )
        };
        if n > 0 {
            got += n as usize;
        } else if n == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            break;
        }
    }
    if got == report.len() {
        exec::reap(pid);
        let errno = i32::from_ne_bytes([report[1], report[2], report[3], report[4]]);
        return Err(explain(s, Stage::from_u8(report[0]), errno));
    }
    for fd in [&out_r, &err_r] {
        exec::set_nonblocking(fd.as_raw_fd()).map_err(io_err)?;
    }
    Ok(Child {
        pid,
        pidfd: exec::pidfd_open(pid),
        stdout: out_r,
        stderr: err_r,
    })
}

fn explain(s: &ContainedSpawn<'_>, stage: Option<Stage>, errno: i32) -> SpawnError {
    let error = io::Error::from_raw_os_error(errno);
    let explanation = match stage {
        Some(Stage::Exec) => exec::explain_spawn_error(&exec::program_path(s.program), errno),
        Some(Stage::Cgroup) => format!(
            "could not move the script into its cgroup ({}): {error}",
            s.cgroup_procs
                .map(|c| c.to_string_lossy().into_owned())
                .unwrap_or_default()
        ),
        Some(Stage::Limit) => format!("could not apply the resource limits: {error}"),
        Some(Stage::Nice) => format!("could not set the nice level: {error}"),
        Some(Stage::Chdir) => format!(
            "could not change to the working directory `{}`: {error}",
            s.cwd
                .map(|c| c.to_string_lossy().into_owned())
                .unwrap_or_default()
        ),
        Some(Stage::Groups | Stage::SetGid | Stage::SetUid) => {
            let who = s.credentials.map_or("?", |c| c.name.as_str());
            if errno == libc::EPERM {
                format!("cannot switch to user `{who}`: the host process must run as root to run scripts as another user")
            } else {
                format!("cannot switch to user `{who}`: {error}")
            }
        }
        Some(Stage::ProcessGroup | Stage::Stdio) | None => {
            format!("could not prepare the child process: {error}")
        }
    };
    SpawnError { error, explanation }
}

/// The child between fork and exec. Only async-signal-safe calls; never returns.
unsafe fn child(
    s: &ContainedSpawn<'_>,
    argv: &[*const libc::c_char],
    rlimits: &[(libc::__rlimit_resource_t, u64)],
    is_root: bool,
    [out_w, err_w]: [RawFd; 2],
    report: RawFd,
) -> ! {
    unsafe {
        let fail = |stage: Stage| -> ! {
            let errno = *libc::__errno_location();
            let e = errno.to_ne_bytes();
            let msg = [stage as u8, e[0], e[1], e[2], e[3]];
            libc::write(report, msg.as_ptr().cast(), msg.len());
            libc::_exit(127)
        };
        if libc::setpgid(0, 0) != 0 {
            fail(Stage::ProcessGroup);
        }
        // Join the cgroup while still privileged, before any descendant can exist.
        if let Some(procs) = s.cgroup_procs {
            let fd = libc::open(procs.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
            if fd < 0 || libc::write(fd, b"0".as_ptr().cast(), 1) != 1 {
                fail(Stage::Cgroup);
            }
            libc::close(fd);
        }
        for &(resource, value) in rlimits {
            let lim = libc::rlimit {
                rlim_cur: value,
                rlim_max: value,
            };
            if libc::setrlimit(resource, &lim) != 0 {
                fail(Stage::Limit);
            }
        }
        if let Some(n) = s.limits.nice {
            if libc::setpriority(libc::PRIO_PROCESS, 0, n) != 0 {
                fail(Stage::Nice);
            }
        }
        if libc::dup2(s.devnull, 0) < 0 || libc::dup2(out_w, 1) < 0 || libc::dup2(err_w, 2) < 0 {
            fail(Stage::Stdio);
        }
        if let Some(cwd) = s.cwd {
            if libc::chdir(cwd.as_ptr()) != 0 {
                fail(Stage::Chdir);
            }
        }
        if let Some(c) = s.credentials {
            if is_root && libc::setgroups(0, std::ptr::null()) != 0 {
                fail(Stage::Groups);
            }
            if libc::setgid(c.gid) != 0 {
                fail(Stage::SetGid);
            }
            if libc::setuid(c.uid) != 0 {
                fail(Stage::SetUid);
            }
        }
        for sig in 1..NSIG {
            libc::signal(sig, libc::SIG_DFL); // fails harmlessly for SIGKILL, SIGSTOP
        }
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        // Everything above stdio closes at exec, including descriptors the host leaked.
        libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, CLOSE_RANGE_CLOEXEC);
        libc::execve(s.program.as_ptr(), argv.as_ptr(), s.env.envp());
        fail(Stage::Exec)
    }
}
