//! Containment options: environment control, working directory, another user, resource limits,
//! nice level, refusing root, and per-run cgroups that catch setsid escapees.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use gsp::{DiagnosticKind, EnvMode, Error, Options, ResourceLimits, Runtime};

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// `(what, value)` pairs printed by process_probe.sh.
fn probe(h: &Harness, id: u64) -> Vec<(String, String)> {
    h.metrics()
        .into_iter()
        .filter(|m| m.script_id == id)
        .map(|m| {
            (
                m.dimensions.first().unwrap().value.to_string(),
                m.dimensions.get(1).unwrap().value.to_string(),
            )
        })
        .collect()
}

fn probe_value(pairs: &[(String, String)], what: &str) -> String {
    pairs
        .iter()
        .find(|(w, _)| w == what)
        .unwrap_or_else(|| panic!("probe did not report {what}: {pairs:?}"))
        .1
        .clone()
}

fn run_probe(options: Options) -> Vec<(String, String)> {
    run_probe_script("process_probe.sh", options)
}

fn run_probe_script(name: &str, options: Options) -> Vec<(String, String)> {
    let mut h = Harness::with(options);
    let id = h.add(&script(name));
    h.expect_data_runs(id, 1);
    assert!(
        h.diagnostics(DiagnosticKind::SpawnFailed).is_empty(),
        "{:#?}",
        h.records
    );
    probe(&h, id)
}

#[test]
fn environment_modes() {
    // Rust serializes its own environment access; gsp reads the environment only when a runtime
    // is created.
    std::env::set_var("GSP_HOST_A", "1");
    std::env::set_var("GSP_HOST_B", "1");
    let extra = vec![("GSP_TEST_VALUE".to_string(), "7".to_string())];
    let run = |env_mode: EnvMode| {
        let mut h = Harness::with(Options {
            env_mode,
            extra_env: extra.clone(),
            ..Options::default()
        });
        let id = h.add(&script("env_probe.sh"));
        h.expect_data_runs(id, 1);
        h.metrics().iter().map(|m| m.value).collect::<Vec<_>>()
    };
    assert_eq!(run(EnvMode::Inherit), [1.0, 1.0, 7.0]);
    assert_eq!(run(EnvMode::Clear), [0.0, 0.0, 7.0]);
    assert_eq!(
        run(EnvMode::Allow(vec!["GSP_HOST_B".into()])),
        [0.0, 1.0, 7.0]
    );
}

#[test]
fn working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let pairs = run_probe(Options {
        working_dir: Some(dir.path().to_path_buf()),
        ..Options::default()
    });
    assert_eq!(
        probe_value(&pairs, "cwd"),
        dir.path().canonicalize().unwrap().to_str().unwrap()
    );
    let missing = Runtime::new(Options {
        working_dir: Some(PathBuf::from("/nonexistent/gsp")),
        ..Options::default()
    });
    assert!(matches!(missing, Err(Error::InvalidArgument(m)) if m.contains("/nonexistent/gsp")));
}

#[test]
fn resource_limits_and_nice() {
    let pairs = run_probe(Options {
        limits: ResourceLimits {
            cpu_seconds: Some(7),
            address_space_bytes: Some(4 << 30),
            open_files: Some(64),
            processes: Some(300),
            nice: Some(5),
        },
        ..Options::default()
    });
    assert_eq!(probe_value(&pairs, "Max cpu time"), "7");
    assert_eq!(probe_value(&pairs, "Max open files"), "64");
    assert_eq!(probe_value(&pairs, "Max processes"), "300");
    assert_eq!(
        probe_value(&pairs, "Max address space"),
        (4u64 << 30).to_string()
    );
    assert_eq!(probe_value(&pairs, "nice"), "5");
    assert!(matches!(
        Runtime::new(Options {
            limits: ResourceLimits {
                nice: Some(42),
                ..ResourceLimits::default()
            },
            ..Options::default()
        }),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn run_as_another_user_drops_groups() {
    if !is_root() {
        eprintln!("skipped: switching users needs a root test process");
        return;
    }
    let pairs = run_probe(Options {
        run_as_user: Some("nobody".into()),
        ..Options::default()
    });
    assert_eq!(probe_value(&pairs, "uid"), "65534");
    let gid = probe_value(&pairs, "gid");
    assert_ne!(gid, "0");
    // /proc lists no supplementary groups as an empty field, which awk prints as "".
    assert!(probe_value(&pairs, "groups").is_empty() || probe_value(&pairs, "groups") == gid);
    assert!(matches!(
        Runtime::new(Options { run_as_user: Some("no-such-user-gsp".into()), ..Options::default() }),
        Err(Error::InvalidArgument(m)) if m.contains("no such user")
    ));
}

#[test]
fn refuse_root() {
    let mut h = Harness::with(Options {
        refuse_root: true,
        ..Options::default()
    });
    h.add(&script("basic.sh"));
    if is_root() {
        h.expect("refusal", |r| has_diag(r, DiagnosticKind::SpawnFailed));
        assert!(h.diagnostics(DiagnosticKind::SpawnFailed)[0]
            .message
            .contains("refusing to run a script as root"));
        assert_eq!(h.rt.stats().runs_started, 0);
        let pairs = run_probe(Options {
            refuse_root: true,
            run_as_user: Some("nobody".into()),
            ..Options::default()
        });
        assert_eq!(probe_value(&pairs, "uid"), "65534");
    } else {
        h.expect("a normal run", |r| metric_count(r) == 3);
    }
}

#[test]
fn a_fork_bomb_is_bounded_by_the_process_limit() {
    if !is_root() {
        eprintln!("skipped: the bomb needs a dedicated user, which needs a root test process");
        return;
    }
    // A uid of its own: RLIMIT_NPROC counts every process of the user, so a shared one (nobody)
    // used by anything else on the machine could make the spawns fail.
    let options = Options {
        run_as_user: Some(BOMB_UID.to_string()),
        run_as_group: Some(BOMB_UID.to_string()),
        limits: ResourceLimits {
            processes: Some(40),
            ..ResourceLimits::default()
        },
        ..Options::default()
    };
    // Never start a bomb unless the limit demonstrably applies.
    assert_eq!(
        probe_value(&run_probe(options.clone()), "Max processes"),
        "40"
    );
    let mut h = Harness::with(options);
    h.add(&script("forkbomb.sh"));
    h.expect("the bomb's timeout", |r| {
        has_diag(r, DiagnosticKind::Timeout)
    });
    drop(h);
    // Every process of the bomb's user is gone.
    let left = std::time::Instant::now();
    loop {
        let bombs: Vec<i32> = user_processes(BOMB_UID);
        if bombs.is_empty() {
            break;
        }
        assert!(
            left.elapsed() < Duration::from_secs(10),
            "bomb processes left: {bombs:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The fork bomb's user: no passwd entry, used by nothing else.
const BOMB_UID: u32 = 40124;

fn user_processes(uid: u32) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/status")).is_ok_and(|s| {
                s.lines().any(|l| {
                    l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some(&uid.to_string())
                }) && !s
                    .lines()
                    .any(|l| l.starts_with("State:") && l.contains("Z"))
            })
        })
        .collect()
}

/// A fresh writable cgroup v2 directory for this test, if the machine has one.
fn test_cgroup() -> Option<PathBuf> {
    ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]
        .iter()
        .find_map(|root| {
            let root = Path::new(root);
            if !root.join("cgroup.procs").exists() || !root.join("cgroup.subtree_control").exists()
            {
                return None;
            }
            let dir = root.join(format!("gsp-test-{}-{}", std::process::id(), rand_suffix()));
            std::fs::create_dir(&dir).ok().map(|_| dir)
        })
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[test]
fn setsid_escapees_survive_without_a_cgroup() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let mut h = Harness::new();
    let id = h.add(&format!("{} {}", script("escapee.sh"), quoted(&pidfile)));
    h.expect_data_runs(id, 1);
    assert_eq!(h.metrics().len(), 1, "the run completes promptly");
    let escapee = read_pids(&pidfile)[0];
    // The documented limitation: a new session leaves the process group.
    assert!(
        alive(escapee),
        "without a cgroup, a setsid escapee is out of reach"
    );
    // SAFETY: cleaning up our own test's process.
    unsafe { libc::kill(escapee, libc::SIGKILL) };
}

#[test]
fn a_cgroup_catches_setsid_escapees() {
    let Some(parent) = test_cgroup() else {
        eprintln!("skipped: no writable cgroup v2 directory on this machine");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for hang in [false, true] {
        let pidfile = dir.path().join(format!("pid-{hang}"));
        let mut h = Harness::with(Options {
            cgroup_dir: Some(parent.clone()),
            extra_env: vec![("ESCAPEE_HANG".into(), if hang { "1" } else { "0" }.into())],
            ..Options::default()
        });
        let id = h.add(&format!("{} {}", script("escapee.sh"), quoted(&pidfile)));
        h.expect_data_runs(id, 1);
        if hang {
            assert_eq!(h.diagnostics(DiagnosticKind::Timeout).len(), 1);
        } else {
            assert_eq!(h.metrics().len(), 1);
        }
        assert_gone(&read_pids(&pidfile), Duration::from_secs(5));
        drop(h);
    }
    // Every run's cgroup was removed.
    let start = std::time::Instant::now();
    while std::fs::read_dir(&parent)
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| e.path().is_dir())
    {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "run cgroups left behind in {}",
            parent.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::remove_dir(&parent).unwrap();
    assert!(matches!(
        Runtime::new(Options {
            cgroup_dir: Some(parent.clone()),
            ..Options::default()
        }),
        Err(Error::InvalidArgument(_))
    ));
}

/// Run cgroups are named uniquely across the runtimes of one process, and a stale cgroup left by
/// an earlier process with the same pid does not make runs fail.
#[test]
fn run_cgroups_are_unique_across_runtimes_and_processes() {
    let Some(parent) = test_cgroup() else {
        eprintln!("skipped: no writable cgroup v2 directory on this machine");
        return;
    };
    // What an earlier process with our pid may have left: cgroups with the names ours get.
    let pid = std::process::id();
    for n in 0..200 {
        std::fs::create_dir(parent.join(format!("gsp-{pid}-{n}"))).unwrap();
    }
    let options = || Options {
        cgroup_dir: Some(parent.clone()),
        ..Options::default()
    };
    let mut a = Harness::with(options());
    let mut b = Harness::with(options());
    let ids = [a.add(&script("basic.sh")), b.add(&script("basic.sh"))];
    for _ in 0..3 {
        a.now += 60_000;
        b.now += 60_000;
        for (h, id) in [(&mut a, ids[0]), (&mut b, ids[1])] {
            let done = h.rt.script_state(id).unwrap().data_runs_done;
            h.expect_data_runs(id, done + 1);
        }
    }
    for h in [&a, &b] {
        assert!(
            h.diagnostics(DiagnosticKind::SpawnFailed).is_empty(),
            "{:#?}",
            h.diagnostics(DiagnosticKind::SpawnFailed)
        );
        assert_eq!(h.metrics().iter().filter(|m| m.metric_id == 1).count(), 3);
    }
    drop((a, b));
    for n in 0..200 {
        let _ = std::fs::remove_dir(parent.join(format!("gsp-{pid}-{n}")));
    }
    let start = std::time::Instant::now();
    while std::fs::remove_dir(&parent).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "run cgroups left behind"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A host that is not root but holds CAP_SETUID and CAP_SETGID (systemd's
/// `AmbientCapabilities=` pattern) and supplementary groups of its own: a script run as another
/// user gets exactly that user's groups, no capability in any set, and no_new_privs, so it
/// cannot become root. The test re-runs itself as such a host through setpriv.
#[test]
fn a_capable_non_root_host_passes_on_no_privilege() {
    const HOST: &str = "GSP_TEST_CAPABLE_HOST";
    if let Ok(out) = std::env::var(HOST) {
        // The host: uid 40123 (not the fork bomb test's nobody), groups 0 and 6, CAP_SETUID and
        // CAP_SETGID ambient.
        let pairs = run_probe_script(
            "privilege_probe.sh",
            Options {
                run_as_user: Some("daemon".into()),
                ..Options::default()
            },
        );
        let text: String = pairs.iter().map(|(w, v)| format!("{w}={v}\n")).collect();
        std::fs::write(out, text).unwrap();
        return;
    }
    let setpriv = std::path::Path::new("/usr/bin/setpriv");
    if !is_root() || !setpriv.exists() {
        eprintln!("skipped: needs a root test process and setpriv (util-linux)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let out = dir.path().join("probe");
    let status = std::process::Command::new(setpriv)
        .args([
            "--reuid=40123",
            "--regid=40123",
            "--groups=0,6",
            "--inh-caps=+setuid,+setgid",
            "--ambient-caps=+setuid,+setgid",
            "--",
        ])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_capable_non_root_host_passes_on_no_privilege",
            "--test-threads=1",
        ])
        .env(HOST, &out)
        .status()
        .unwrap();
    assert!(status.success(), "the capable host failed: {status}");
    let text = std::fs::read_to_string(&out).unwrap();
    let value = |what: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{what}=")))
            .unwrap_or_else(|| panic!("no {what} in {text}"))
            .to_string()
    };
    assert_eq!(value("Uid"), "1 1 1 1", "{text}");
    assert_eq!(value("Gid"), "1 1 1 1", "{text}");
    assert_eq!(value("Groups"), "1", "exactly daemon's groups: {text}");
    for set in ["CapInh", "CapPrm", "CapEff", "CapAmb"] {
        assert_eq!(value(set), "0000000000000000", "{set}: {text}");
    }
    assert_eq!(value("NoNewPrivs"), "1", "{text}");
    assert_eq!(
        value("setuid0"),
        "no",
        "the script could become root: {text}"
    );
}
