//! Per-run cgroups (v2), for hosts that hand gsp a writable cgroup directory: every process a
//! run starts stays in the run's cgroup even after setsid, so a kill reaches all of them.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// One run's cgroup: `<parent>/gsp-<host pid>-<run id>`.
#[derive(Debug)]
pub struct RunCgroup {
    dir: PathBuf,
    procs: CString,
}

impl RunCgroup {
    /// Creates the run's cgroup under `parent`.
    pub fn create(parent: &Path, run: u64) -> io::Result<RunCgroup> {
        let dir = parent.join(format!("gsp-{}-{run}", std::process::id()));
        std::fs::create_dir(&dir)?;
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
    let probe = dir.join(format!("gsp-{}-probe", std::process::id()));
    std::fs::create_dir(&probe)
        .and_then(|_| std::fs::remove_dir(&probe))
        .map_err(|e| format!("cannot create cgroups in `{}`: {e}", dir.display()))
}
