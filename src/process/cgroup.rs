//! Per-run cgroups (v2), for hosts that hand gsp a writable cgroup directory: every process a
//! run starts stays in the run's cgroup even after setsid, so a kill reaches all of them.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Numbers the cgroups this process creates, across all of its runtimes.
static NEXT_CGROUP: AtomicU64 = AtomicU64::new(1);

/// Names tried before giving up on creating a run's cgroup.
const NAME_ATTEMPTS: u32 = 64;

/// One run's cgroup: `<parent>/gsp-<host pid>-<sequence number>`, unique among this process's
/// runtimes. A directory of that name left by an earlier process with the same pid is removed
/// when empty and skipped otherwise.
#[derive(Debug)]
pub struct RunCgroup {
    dir: PathBuf,
    procs: CString,
}

impl RunCgroup {
    /// Creates a run's cgroup under `parent`.
    pub fn create(parent: &Path) -> io::Result<RunCgroup> {
        let dir = create_unique(parent, "")?;
        let procs = CString::new(dir.join("cgroup.procs").as_os_str().as_bytes())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        Ok(RunCgroup { dir, procs })
    }

    /// `cgroup.procs`, which the child writes itself into before exec.
    pub fn procs_path(&self) -> &std::ffi::CStr {
        &self.procs
    }

    /// SIGKILLs every process in the cgroup (cgroup.kill, or one by one on kernels before 5.14).
    pub fn kill(&self) {
        if std::fs::write(self.dir.join("cgroup.kill"), b"1").is_ok() {
            return;
        }
        if let Ok(pids) = std::fs::read_to_string(self.dir.join("cgroup.procs")) {
            for pid in pids
                .lines()
                .filter_map(|l| l.trim().parse::<libc::pid_t>().ok())
            {
                // SAFETY: kill has no memory effects; the pid is in our run's cgroup.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }

    /// Removes the cgroup; fails (EBUSY) while killed processes are still exiting.
    pub fn remove(&self) -> io::Result<()> {
        match std::fs::remove_dir(&self.dir) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}

/// Checks that `dir` is a writable cgroup v2 directory (it has cgroup.procs and a child cgroup
/// can be created in it).
pub fn check_parent(dir: &Path) -> Result<(), String> {
    if !dir.join("cgroup.procs").exists() {
        return Err(format!(
            "`{}` is not a cgroup v2 directory (no cgroup.procs)",
            dir.display()
        ));
    }
    create_unique(dir, "-probe")
        .and_then(std::fs::remove_dir)
        .map_err(|e| format!("cannot create cgroups in `{}`: {e}", dir.display()))
}

/// Creates `<parent>/gsp-<pid>-<n><suffix>` with a fresh `n`. A name already taken (a stale
/// cgroup of an earlier process that had our pid) is removed if empty and retried, else skipped.
fn create_unique(parent: &Path, suffix: &str) -> io::Result<PathBuf> {
    let mut last = io::Error::from(io::ErrorKind::AlreadyExists);
    for _ in 0..NAME_ATTEMPTS {
        let n = NEXT_CGROUP.fetch_add(1, Ordering::Relaxed);
        let dir = parent.join(format!("gsp-{}-{n}{suffix}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if std::fs::remove_dir(&dir).is_ok() && std::fs::create_dir(&dir).is_ok() {
                    return Ok(dir);
                }
                last = e;
            }
            Err(e) => return Err(e),
        }
    }
    Err(last)
}
