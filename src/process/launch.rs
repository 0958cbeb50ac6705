//! What every run of one runtime is started with (environment, working directory, user, limits,
//! cgroup parent), fixed when the runtime is created, and the spawn of one run with it.

use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;

use super::cgroup::RunCgroup;
use super::contain::{self, ContainedSpawn, Credentials, ResourceLimits};
use super::exec::{self, Child, EnvBlock, SpawnError};

/// A failed spawn: why, and the cgroup it made (its process may still be leaving it).
pub(crate) type Failed = (SpawnError, Option<RunCgroup>);

/// The settings every run is started with.
pub(crate) struct Launcher {
    /// The scripts' environment.
    pub env: EnvBlock,
    /// The user and group to run as, if not the host's.
    pub credentials: Option<Credentials>,
    /// The scripts' working directory, if not the host's.
    pub cwd: Option<CString>,
    /// Every run's stdin.
    pub devnull: OwnedFd,
    /// Per-run resource limits and nice level.
    pub limits: ResourceLimits,
    /// Where each run gets a cgroup of its own.
    pub cgroup_dir: Option<PathBuf>,
    /// Refuse to run scripts as root.
    pub refuse_root: bool,
    /// The spawning thread runs SCHED_BATCH in place of the host's SCHED_OTHER: each child
    /// goes back to SCHED_OTHER before exec (set by the I/O thread; see the reactor).
    pub restore_normal_policy: bool,
}

impl Launcher {
    /// Starts one run, contained as the settings say, in a cgroup of its own when there is a
    /// cgroup parent. A failed spawn hands back the cgroup it made, for removal once empty.
    pub fn spawn(&self, argv: &[CString]) -> Result<(Child, Option<RunCgroup>), Failed> {
        if self.refuse_root && self.runs_as_root() {
            return Err((SpawnError {
                error: std::io::Error::from_raw_os_error(libc::EPERM),
                explanation: "refusing to run a script as root (refuse_root is set): set run_as_user to an unprivileged user".into(),
            }, None));
        }
        let program = exec::resolve_program(&argv[0], &self.env).map_err(|e| (e, None))?;
        let cgroup = match &self.cgroup_dir {
            Some(dir) => Some(
                RunCgroup::create(dir)
                    .map_err(|error| SpawnError {
                        explanation: format!(
                            "cannot create the run's cgroup in `{}`: {error}",
                            dir.display()
                        ),
                        error,
                    })
                    .map_err(|e| (e, None))?,
            ),
            None => None,
        };
        let spawned = contain::spawn(&ContainedSpawn {
            program: &program,
            argv,
            env: &self.env,
            devnull: self.devnull.as_raw_fd(),
            cwd: self.cwd.as_deref().map(|c: &CStr| c),
            credentials: self.credentials.as_ref(),
            limits: &self.limits,
            cgroup_procs: cgroup.as_ref().map(|c| c.procs_path()),
            restore_normal_policy: self.restore_normal_policy,
        });
        match spawned {
            Ok(child) => Ok((child, cgroup)),
            Err(e) => Err((e, cgroup)),
        }
    }

    fn runs_as_root(&self) -> bool {
        match &self.credentials {
            Some(c) => c.uid == 0,
            // SAFETY: geteuid cannot fail.
            None => (unsafe { libc::geteuid() }) == 0,
        }
    }
}
