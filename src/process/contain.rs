//! Spawning every run, with its containment: another user, resource limits and a nice level, a
//! per-run cgroup. These need code between the new process's start and exec, so runs are spawned
//! the way posix_spawn works inside glibc: `clone(CLONE_VM | CLONE_VFORK)` on a small stack of our
//! own, with every signal blocked, so the child shares the host's memory instead of copying its
//! page tables (a `fork()` of a 2 GB host took ~125 ms), and the parent thread waits only until
//! the exec. The child makes only raw system calls where glibc's wrappers touch process-wide
//! state: glibc's setuid/setgid/setgroups would change the credentials of every host thread.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use super::exec::{self, Child, EnvBlock, SpawnError};

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
    /// Group id.
    pub gid: libc::gid_t,
    /// Exactly the supplementary groups the script gets: the user's groups from the group
    /// database (with `gid`), or only `gid` for a uid without a passwd entry.
    pub groups: Vec<libc::gid_t>,
    /// Whether the host's own groups were already exactly `groups` when resolved. A host that
    /// may not call setgroups (no CAP_SETGID) cannot change its groups either, so for such a host
    /// this stays true, and a refused setgroups is then harmless.
    pub groups_already_match: bool,
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

/// The groups of user `name` (getgrouplist), `gid` included.
fn group_list(name: &str, gid: libc::gid_t) -> Option<Vec<libc::gid_t>> {
    let cname = CString::new(name).ok()?;
    let mut groups: Vec<libc::gid_t> = vec![0; 64];
    loop {
        let mut n = groups.len() as libc::c_int;
        // SAFETY: `groups` has room for `n` entries; getgrouplist writes at most that many and
        // sets `n` to the number it needs.
        let ret = unsafe { libc::getgrouplist(cname.as_ptr(), gid, groups.as_mut_ptr(), &mut n) };
        if ret >= 0 {
            groups.truncate(n.max(0) as usize);
            groups.sort_unstable();
            groups.dedup();
            return Some(groups);
        }
        if n as usize <= groups.len() || n > 65_536 {
            return None;
        }
        groups.resize(n as usize, 0);
    }
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
    let groups = match user.parse::<libc::uid_t>() {
        Ok(_) => vec![gid],
        Err(_) => group_list(user, gid)
            .ok_or_else(|| format!("cannot list the groups of user `{user}`"))?,
    };
    Ok(Credentials {
        uid,
        gid,
        groups_already_match: current_groups().as_deref() == Some(groups.as_slice()),
        groups,
        name: match group {
            Some(g) => format!("{user}:{g}"),
            None => user.to_string(),
        },
    })
}

/// What the child does between clone and exec, prepared in the parent (the child must not
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
    /// Go back to SCHED_OTHER (the spawning thread runs SCHED_BATCH; see the reactor's
    /// `yield_to_the_host`).
    pub restore_normal_policy: bool,
}

/// Child setup steps, reported back when one fails.
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
    Capabilities,
    NoNewPrivs,
    Exec,
}

impl Stage {
    const ALL: [Stage; 12] = [
        Stage::ProcessGroup,
        Stage::Cgroup,
        Stage::Limit,
        Stage::Nice,
        Stage::Stdio,
        Stage::Chdir,
        Stage::Groups,
        Stage::SetGid,
        Stage::SetUid,
        Stage::Capabilities,
        Stage::NoNewPrivs,
        Stage::Exec,
    ];

    fn from_u8(b: u8) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| *s as u8 == b)
    }
}

const NSIG: libc::c_int = 65;
const CLOSE_RANGE_CLOEXEC: libc::c_uint = 4;
/// The child's stack: a handful of system calls need little.
const CHILD_STACK_BYTES: usize = 64 * 1024;
const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

thread_local! {
    /// The child's stack, kept for the next spawn on this thread (the child is done with it
    /// once it has exec'd): allocating 64 KiB per run cost the allocator a consolidation of its
    /// free lists and the kernel fresh page faults, run after run.
    static CHILD_STACK: std::cell::Cell<Option<Box<[std::mem::MaybeUninit<u8>]>>> =
        const { std::cell::Cell::new(None) };
}

/// capget/capset header and data (linux/capability.h, version 3: two data words).
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Everything the child reads, and where it reports a failed step. Lives in the parent's
/// memory, which the child shares until it execs or exits.
struct ChildArgs<'a> {
    spawn: &'a ContainedSpawn<'a>,
    argv: &'a [*const libc::c_char],
    rlimits: &'a [(libc::__rlimit_resource_t, u64)],
    stdio: [RawFd; 2],
    /// Written by the child on failure: the stage and errno.
    failed_stage: u8,
    failed_errno: i32,
}

/// Spawns with clone(CLONE_VM | CLONE_VFORK), applying the containment before exec.
pub fn spawn(s: &ContainedSpawn<'_>) -> Result<Child, SpawnError> {
    let io_err = exec::pipe_error;
    let (out_r, out_w) = exec::pipe().map_err(io_err)?;
    let (err_r, err_w) = exec::pipe().map_err(io_err)?;
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
    let mut args = ChildArgs {
        spawn: s,
        argv: &argv,
        rlimits: &rlimits,
        stdio: [out_w.as_raw_fd(), err_w.as_raw_fd()],
        failed_stage: 0,
        failed_errno: 0,
    };
    // Uninitialized (a stack need not be zeroed) and reused by every spawn on this thread.
    let mut stack = CHILD_STACK
        .take()
        .unwrap_or_else(|| Box::new_uninit_slice(CHILD_STACK_BYTES));
    // The stack grows down from its (16-byte aligned) end.
    let top = (stack.as_mut_ptr() as usize + CHILD_STACK_BYTES) & !15;

    // SAFETY: blocking the signals on this thread keeps the host's handlers from running in the
    // child, which shares the host's memory; the old mask is restored right after. All but
    // SIGCHLD: one that comes meanwhile for this thread would be queued for the process and
    // wake a host thread (BENCHMARKS.md, W1). The child has no children, so its only SIGCHLD
    // would be one sent at it on purpose in the instants before it resets that handler, its
    // first step.
    let mut old = unsafe { std::mem::zeroed::<libc::sigset_t>() };
    unsafe {
        let mut all = std::mem::zeroed::<libc::sigset_t>();
        libc::sigfillset(&mut all);
        libc::sigdelset(&mut all, libc::SIGCHLD);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
    }
    // CLONE_PIDFD (Linux >= 5.2) has the kernel write the child's pidfd here, which spares a
    // pidfd_open per run; an older kernel ignores the flag and leaves -1.
    let mut pidfd: libc::c_int = -1;
    // SAFETY: the child runs `child_main` on its own stack with `args`, which outlive it: with
    // CLONE_VFORK this thread resumes only once the child has exec'd or exited. `pidfd` is the
    // parent_tid argument, which CLONE_PIDFD fills.
    let pid = unsafe {
        libc::clone(
            child_main,
            top as *mut libc::c_void,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::CLONE_PIDFD | libc::SIGCHLD,
            (&raw mut args).cast(),
            &raw mut pidfd,
        )
    };
    let clone_error = io::Error::last_os_error();
    // SAFETY: restores this thread's own mask.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
    CHILD_STACK.set(Some(stack));
    drop(out_w);
    drop(err_w);
    if pid < 0 {
        return Err(SpawnError {
            explanation: format!("could not create the child process: {clone_error}"),
            error: clone_error,
        });
    }
    // SAFETY: a descriptor the kernel just made for us (close-on-exec), or -1.
    let pidfd = (pidfd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(pidfd) });
    // SAFETY: the child has exec'd or exited; nothing writes these any more.
    let (stage, errno) = unsafe {
        (
            std::ptr::read_volatile(&args.failed_stage),
            std::ptr::read_volatile(&args.failed_errno),
        )
    };
    if stage != 0 {
        exec::reap(pid);
        return Err(explain(s, Stage::from_u8(stage), errno));
    }
    Ok(Child {
        pid,
        pidfd: pidfd.or_else(|| exec::pidfd_open(pid)),
        stdout: out_r,
        stderr: err_r,
    })
}

/// This process's supplementary groups, sorted.
fn current_groups() -> Option<Vec<libc::gid_t>> {
    // SAFETY: with size 0, getgroups only returns the count.
    let n = unsafe { libc::getgroups(0, std::ptr::null_mut()) };
    let mut groups: Vec<libc::gid_t> = vec![0; usize::try_from(n).ok()?];
    // SAFETY: `groups` has room for `n` entries.
    let n = unsafe { libc::getgroups(n, groups.as_mut_ptr()) };
    groups.truncate(usize::try_from(n).ok()?);
    groups.sort_unstable();
    groups.dedup();
    Some(groups)
}

fn explain(s: &ContainedSpawn<'_>, stage: Option<Stage>, errno: i32) -> SpawnError {
    let error = io::Error::from_raw_os_error(errno);
    let who = s.credentials.map_or("?", |c| c.name.as_str());
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
            if errno == libc::EPERM {
                format!(
                    "cannot switch to user `{who}` with exactly its groups: the host process must run as root, \
                     or hold CAP_SETUID and CAP_SETGID, to run scripts as another user"
                )
            } else {
                format!("cannot switch to user `{who}`: {error}")
            }
        }
        Some(Stage::Capabilities) => format!(
            "cannot drop every capability before running the script as `{who}`, so it does not run: {error}"
        ),
        Some(Stage::NoNewPrivs) => format!(
            "cannot set no_new_privs before running the script as `{who}`, so it does not run: {error}"
        ),
        Some(Stage::ProcessGroup | Stage::Stdio) | None => {
            format!("could not prepare the child process: {error}")
        }
    };
    SpawnError { error, explanation }
}

/// A raw system call's result: `Err(errno)` for a negative return.
///
/// # Safety
/// As for the system call made.
unsafe fn sys(ret: libc::c_long) -> Result<libc::c_long, i32> {
    if ret < 0 {
        // SAFETY: errno of this thread (the child shares the parent thread's TLS; the parent is
        // suspended until the exec).
        Err(unsafe { *libc::__errno_location() })
    } else {
        Ok(ret)
    }
}

/// The child between clone and exec: runs on its own stack in the host's memory, so it only
/// makes system calls and writes nothing but the failure report in `ChildArgs`.
extern "C" fn child_main(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the parent's ChildArgs, alive until we exec or exit.
    let args = unsafe { &mut *arg.cast::<ChildArgs<'_>>() };
    let stage = match unsafe { child_setup(args) } {
        Ok(never) => match never {},
        Err(stage) => stage,
    };
    // SAFETY: reports into the parent's struct, then exits this process only.
    unsafe {
        let errno = *libc::__errno_location();
        std::ptr::write_volatile(&mut args.failed_errno, errno);
        std::ptr::write_volatile(&mut args.failed_stage, stage as u8);
        libc::syscall(libc::SYS_exit, 127);
    }
    127
}

/// Applies the containment and execs; returns the stage that failed (errno tells why).
///
/// # Safety
/// Only in the child of `spawn`'s clone.
unsafe fn child_setup(args: &ChildArgs<'_>) -> Result<std::convert::Infallible, Stage> {
    let s = args.spawn;
    unsafe {
        // Default dispositions while the signals are still blocked (inherited from the parent),
        // SIGCHLD first: it is the one the parent leaves unblocked.
        let others = (1..NSIG).filter(|&sig| sig != libc::SIGCHLD);
        for sig in std::iter::once(libc::SIGCHLD).chain(others) {
            libc::signal(sig, libc::SIG_DFL); // fails harmlessly for SIGKILL, SIGSTOP
        }
        if s.restore_normal_policy {
            // The script gets the host's policy back; should this fail, it runs SCHED_BATCH,
            // which costs it nothing but wake-up preemption.
            let param = libc::sched_param { sched_priority: 0 };
            libc::syscall(libc::SYS_sched_setscheduler, 0, libc::SCHED_OTHER, &param);
        }
        sys(libc::syscall(libc::SYS_setpgid, 0, 0)).map_err(|_| Stage::ProcessGroup)?;
        // Join the cgroup while still privileged, before any descendant can exist.
        if let Some(procs) = s.cgroup_procs {
            let fd = libc::open(procs.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
            if fd < 0 || libc::write(fd, b"0".as_ptr().cast(), 1) != 1 {
                return Err(Stage::Cgroup);
            }
            libc::close(fd);
        }
        for &(resource, value) in args.rlimits {
            let lim = libc::rlimit {
                rlim_cur: value,
                rlim_max: value,
            };
            if libc::setrlimit(resource, &lim) != 0 {
                return Err(Stage::Limit);
            }
        }
        if let Some(n) = s.limits.nice {
            if libc::setpriority(libc::PRIO_PROCESS, 0, n) != 0 {
                return Err(Stage::Nice);
            }
        }
        let [out_w, err_w] = args.stdio;
        if libc::dup2(s.devnull, 0) < 0 || libc::dup2(out_w, 1) < 0 || libc::dup2(err_w, 2) < 0 {
            return Err(Stage::Stdio);
        }
        // The pipes were made non-blocking for gsp's ends; the script writes blocking.
        if libc::fcntl(1, libc::F_SETFL, libc::O_WRONLY) < 0
            || libc::fcntl(2, libc::F_SETFL, libc::O_WRONLY) < 0
        {
            return Err(Stage::Stdio);
        }
        if let Some(cwd) = s.cwd {
            if libc::chdir(cwd.as_ptr()) != 0 {
                return Err(Stage::Chdir);
            }
        }
        if let Some(c) = s.credentials {
            drop_privileges(c)?;
        }
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        // Everything above stdio closes at exec, including descriptors the host leaked.
        libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, CLOSE_RANGE_CLOEXEC);
        libc::execve(s.program.as_ptr(), args.argv.as_ptr(), s.env.envp());
        Err(Stage::Exec)
    }
}

/// Becomes `c` with exactly its groups and, unless it is root, no capabilities at all and
/// no_new_privs: a host that is not root but holds CAP_SETUID/CAP_SETGID (or ambient
/// capabilities) must not hand them, or its own groups, to the script.
///
/// # Safety
/// Only in the child of `spawn`'s clone (raw calls: they change this process only).
unsafe fn drop_privileges(c: &Credentials) -> Result<(), Stage> {
    unsafe {
        let set = sys(libc::syscall(
            libc::SYS_setgroups,
            c.groups.len(),
            c.groups.as_ptr(),
        ));
        if matches!(set, Err(e) if e != libc::EPERM || !c.groups_already_match) {
            return Err(Stage::Groups);
        }
        sys(libc::syscall(libc::SYS_setresgid, c.gid, c.gid, c.gid)).map_err(|_| Stage::SetGid)?;
        sys(libc::syscall(libc::SYS_setresuid, c.uid, c.uid, c.uid)).map_err(|_| Stage::SetUid)?;
        if c.uid != 0 {
            // EINVAL: a kernel before 4.3 has no ambient capabilities to clear.
            let cleared = sys(libc::syscall(
                libc::SYS_prctl,
                libc::PR_CAP_AMBIENT,
                libc::PR_CAP_AMBIENT_CLEAR_ALL,
                0,
                0,
                0,
            ));
            if matches!(cleared, Err(e) if e != libc::EINVAL) {
                return Err(Stage::Capabilities);
            }
            let mut header = CapHeader {
                version: LINUX_CAPABILITY_VERSION_3,
                pid: 0,
            };
            let mut data = [CapData::default(); 2];
            sys(libc::syscall(
                libc::SYS_capset,
                &raw mut header,
                data.as_ptr(),
            ))
            .map_err(|_| Stage::Capabilities)?;
            // Check rather than trust: every set must now be empty.
            sys(libc::syscall(
                libc::SYS_capget,
                &raw mut header,
                data.as_mut_ptr(),
            ))
            .map_err(|_| Stage::Capabilities)?;
            if data
                .iter()
                .any(|d| d.effective | d.permitted | d.inheritable != 0)
            {
                *libc::__errno_location() = libc::EPERM;
                return Err(Stage::Capabilities);
            }
        }
        sys(libc::syscall(
            libc::SYS_prctl,
            libc::PR_SET_NO_NEW_PRIVS,
            1,
            0,
            0,
            0,
        ))
        .map_err(|_| Stage::NoNewPrivs)?;
    }
    Ok(())
}
