//! Shared helpers for tests that run real scripts through the runtime.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use gsp::{Diagnostic, DiagnosticKind, MetricRecord, Options, Record, Runtime};

/// The host clock the tests start from (any value works; tests advance it explicitly).
pub const T0: i64 = 1_700_000_000_000;

/// Generous bound for anything that should take well under a second on an idle machine.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The fixture scripts' folder, tests/scripts at the workspace's root (these helpers also serve
/// the tests of the cli crate, whose manifest is one level down).
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|p| p.join("tests").join("scripts"))
        .find(|p| p.is_dir())
        .expect("tests/scripts in the workspace")
}

/// Path of a fixture script.
pub fn script(name: &str) -> String {
    scripts_dir().join(name).to_str().unwrap().to_string()
}

/// Shell-quotes a path for a command line.
pub fn quoted(p: &Path) -> String {
    format!("'{}'", p.display())
}

/// A runtime plus the records it delivered, with a host clock the test controls.
pub struct Harness {
    pub rt: Runtime,
    pub now: i64,
    pub records: Vec<Record>,
}

impl Harness {
    pub fn new() -> Self {
        Self::with(Options::default())
    }

    pub fn with(options: Options) -> Self {
        Harness {
            rt: Runtime::new(options).expect("runtime"),
            now: T0,
            records: Vec::new(),
        }
    }

    pub fn add(&self, command: &str) -> u64 {
        self.rt.add_script(command).expect("add_script")
    }

    /// One host loop iteration: tick at the current clock, wait briefly, drain.
    pub fn step(&mut self) {
        self.rt.tick(self.now);
        self.rt.wait(Duration::from_millis(50));
        let records = &mut self.records;
        self.rt
            .drain(usize::MAX, |r| records.push(r.clone()))
            .expect("drain");
    }

    /// Steps (without moving the clock) until `done` holds; false after `limit`.
    pub fn until(&mut self, limit: Duration, done: impl Fn(&[Record]) -> bool) -> bool {
        let start = Instant::now();
        loop {
            self.step();
            if done(&self.records) {
                return true;
            }
            if start.elapsed() > limit {
                return false;
            }
        }
    }

    /// Steps until `done` holds, failing the test with the records so far after PATIENCE.
    pub fn expect(&mut self, what: &str, done: impl Fn(&[Record]) -> bool) {
        assert!(
            self.until(PATIENCE, done),
            "timed out waiting for {what}; records: {:#?}",
            self.records
        );
    }

    /// Waits until the script has finished this many data runs.
    pub fn expect_data_runs(&mut self, id: u64, n: u64) {
        let start = Instant::now();
        while self.rt.script_state(id).unwrap().data_runs_done < n {
            assert!(
                start.elapsed() < PATIENCE,
                "data run {n} of script {id} did not finish"
            );
            self.step();
        }
        self.step();
    }

    pub fn metrics(&self) -> Vec<&MetricRecord> {
        self.records
            .iter()
            .filter_map(|r| match r {
                Record::Metric(m) => Some(m),
                _ => None,
            })
            .collect()
    }

    pub fn diagnostics(&self, kind: DiagnosticKind) -> Vec<&Diagnostic> {
        self.records
            .iter()
            .filter_map(|r| match r {
                Record::Diagnostic(d) if d.kind == kind => Some(d),
                _ => None,
            })
            .collect()
    }
}

pub fn has_diag(records: &[Record], kind: DiagnosticKind) -> bool {
    records
        .iter()
        .any(|r| matches!(r, Record::Diagnostic(d) if d.kind == kind))
}

pub fn metric_count(records: &[Record]) -> usize {
    records
        .iter()
        .filter(|r| matches!(r, Record::Metric(_)))
        .count()
}

/// The fields of a /proc/.../stat line after the parenthesized command name (which may hold
/// spaces and parentheses): field 3, the state, comes first.
pub fn stat_fields(stat: &str) -> Vec<&str> {
    stat.rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect()
}

/// Whether a process exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        Ok(stat) => {
            let state = stat_fields(&stat).first().copied().unwrap_or("");
            !state.starts_with('Z') && !state.starts_with('X')
        }
    }
}

/// Waits (bounded) until none of `pids` is alive.
pub fn assert_gone(pids: &[i32], within: Duration) {
    let start = Instant::now();
    while pids.iter().any(|&p| alive(p)) {
        assert!(
            start.elapsed() < within,
            "processes still alive: {:?}",
            pids.iter().filter(|&&p| alive(p)).collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Reads pids written by a fixture (space or newline separated), waiting for the file.
pub fn read_pids(path: &Path) -> Vec<i32> {
    let start = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            let pids: Vec<i32> = text
                .split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect();
            if !pids.is_empty() && text.ends_with('\n') {
                return pids;
            }
        }
        assert!(
            start.elapsed() < PATIENCE,
            "no pid file at {}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Entries of a /proc directory (open descriptors, threads).
pub fn entries(dir: &str) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

/// This process's resident set size in KiB.
pub fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Children of this process that are zombies.
pub fn zombie_children() -> Vec<i32> {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                let fields = stat_fields(&stat);
                fields.first() == Some(&"Z") && fields.get(1) == Some(&me.as_str())
            })
        })
        .collect()
}

/// Waits for `child` to exit within `limit` (killing it and failing the test after that) and
/// returns its exit code, stdout (if piped and not taken) and stderr.
pub fn finish(mut child: Child, limit: Duration) -> (i32, String, String) {
    let out = child.stdout.take();
    let mut err = child.stderr.take().unwrap();
    let o = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(mut out) = out {
            out.read_to_string(&mut s).unwrap();
        }
        s
    });
    let e = std::thread::spawn(move || {
        let mut s = String::new();
        err.read_to_string(&mut s).unwrap();
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("the process did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (
        status.code().unwrap_or(-1),
        o.join().unwrap(),
        e.join().unwrap(),
    )
}

/// This process's threads that gsp named (`gsp-io`, `gsp-worker-N`, ...): each one's name and
/// /proc directory. A thread names itself once it runs, so a fresh runtime's may be missing.
pub fn gsp_threads() -> Vec<(String, PathBuf)> {
    let mut threads = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let task = task.unwrap().path();
        let comm = std::fs::read_to_string(task.join("comm")).unwrap_or_default();
        if comm.trim().starts_with("gsp-") {
            threads.push((comm.trim().to_string(), task));
        }
    }
    threads
}
