//! End-to-end tests of `gsp run`: the JSON-lines default, --period-override, --textfile files,
//! --execd's gathers and exits, and usage errors. The formats themselves are validated by real
//! parsers in tests/cli-formats.sh.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Stdio};

use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

mod command;
use command::{command as gsp_command, gsp, PATIENCE};
use common::finish;

fn fixture(name: &str) -> String {
    command::fixture("cli", name)
}

/// Lines of the child's stdout as they arrive.
fn lines_of(child: &mut Child) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    rx
}

fn sigterm(child: &Child) {
    // SAFETY: a plain signal to our own child.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
}

fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn json_lines_stay_the_default_with_script_ids_in_command_line_order() {
    let (code, out, _) = gsp(&["run", "--once", &fixture("tick.sh"), &fixture("good.sh")]);
    assert_eq!(code, 0);
    let records: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let of = |script: u64, kind: &str| {
        records
            .iter()
            .filter(|r| r["script"] == script && r["type"] == kind)
            .count()
    };
    assert_eq!((of(1, "config"), of(1, "metric")), (1, 1));
    // good.sh: one Instant value and one event (its Difference metric waits for a second run).
    assert_eq!(
        (of(2, "config"), of(2, "metric"), of(2, "event")),
        (1, 1, 1)
    );
    let metric = records.iter().find(|r| r["type"] == "metric").unwrap();
    assert!((metric["time_ms"].as_i64().unwrap() - wall_ms()).abs() < 60_000);
}

#[test]
fn a_short_period_override_needs_the_explicit_flag() {
    let (code, _, err) = gsp(&["run", "--period-override", "10", &fixture("tick.sh")]);
    assert_eq!(code, 2);
    assert!(err.contains("add --allow-short-period"), "{err}");
    let (code, _, err) = gsp(&["run", "--allow-short-period", &fixture("tick.sh")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--period-override"), "{err}");
}

#[test]
fn period_override_runs_that_often_with_real_timestamps() {
    let started = wall_ms();
    let mut child = gsp_command(&[
        "run",
        "--period-override",
        "1",
        "--allow-short-period",
        &fixture("tick.sh"),
    ])
    .spawn()
    .unwrap();
    let lines = lines_of(&mut child);
    let mut times = Vec::new();
    let deadline = Instant::now() + PATIENCE;
    while times.len() < 3 && Instant::now() < deadline {
        let Ok(line) = lines.recv_timeout(Duration::from_millis(500)) else {
            continue;
        };
        let r: Value = serde_json::from_str(&line).unwrap();
        if r["type"] == "metric" {
            times.push(r["time_ms"].as_i64().unwrap());
        }
    }
    sigterm(&child);
    let (code, _, _) = finish(child, PATIENCE);
    assert_eq!(code, 0, "SIGTERM is a clean exit");
    assert_eq!(
        times.len(),
        3,
        "three data runs of a period-60 script: {times:?}"
    );
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            (900..10_000).contains(&gap),
            "runs {gap} ms apart: {times:?}"
        );
    }
    // The time is the wall clock, not the runtime's shifted schedule clock.
    assert!(
        times[0] >= started - 1000 && times[2] <= wall_ms() + 1000,
        "{times:?}"
    );
}

#[test]
fn textfile_writes_one_prom_file_per_script_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let (code, out, err) = gsp(&[
        "run",
        "--once",
        "--textfile",
        d,
        &fixture("tick.sh"),
        &fixture("fail.sh"),
    ]);
    // fail.sh's data run fails, so --once exits 1 (tests/cli_exit_codes.rs); files are written.
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        out, "",
        "stdout stays empty with --textfile and no --format"
    );
    assert!(
        err.contains("exited with status 2"),
        "diagnostics go to stderr: {err}"
    );
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let stem = |f: &str| {
        format!(
            "gsp_{}.prom",
            fixture(f).trim_start_matches('/').replace('/', "_")
        )
    };
    assert_eq!(names, [stem("fail.sh"), stem("tick.sh")]);
}

#[test]
fn textfile_dir_must_exist() {
    let (code, _, err) = gsp(&[
        "run",
        "--once",
        "--textfile",
        "/nonexistent/gsp-textfile",
        &fixture("tick.sh"),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("mkdir -p /nonexistent/gsp-textfile"), "{err}");
}

#[test]
fn execd_gathers_once_per_line_and_exits_at_eof() {
    let state = tempfile::tempdir().unwrap();
    let formats = format!("{} {}", fixture("formats.sh"), state.path().display());
    let mut child = gsp_command(&["run", "--execd", &formats, &fixture("tick.sh")])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"\n\n").unwrap();
    drop(stdin);
    let (code, out, err) = finish(child, PATIENCE);
    assert_eq!(code, 0, "{err}");
    // Two gathers, each with its own run time (the last field, in ns).
    let times: std::collections::BTreeSet<&str> = out
        .lines()
        .filter(|l| l.starts_with("gsp_tick,"))
        .map(|l| l.rsplit(' ').next().unwrap())
        .collect();
    assert_eq!(times.len(), 2, "{out}");
    // The Difference metric reports from the second gather on.
    let bytes = out
        .lines()
        .filter(|l| l.starts_with("gsp_bytes_received,"))
        .count();
    assert_eq!(bytes, 1, "{out}");
    let events = out.lines().filter(|l| l.starts_with("gsp_event,")).count();
    assert_eq!(events, 2, "{out}");
}

#[test]
fn execd_exits_on_sigterm_and_kills_a_running_script() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("sleepy.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nif [ \"$1\" = -c ]; then echo '{\"maxruntime\": 50000, \"metrics\": [{\"id\": 1, \"name\": \"x\", \"datatype\": \"GAUGE\"}]}'; exit 0; fi\necho $$ > \"$(dirname \"$0\")/pid\"\nexec sleep 300\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut child = gsp_command(&["run", "--execd", script.to_str().unwrap()])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"\n").unwrap();
    let pid_file = dir.path().join("pid");
    let deadline = Instant::now() + PATIENCE;
    while !pid_file.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid: libc::pid_t = std::fs::read_to_string(&pid_file)
        .expect("the data run started")
        .trim()
        .parse()
        .unwrap();
    let asked = Instant::now();
    sigterm(&child);
    let (code, _, err) = finish(child, PATIENCE);
    assert_eq!(code, 0, "{err}");
    assert!(
        asked.elapsed() < Duration::from_secs(20),
        "exit took {:?}",
        asked.elapsed()
    );
    // SAFETY: signal 0 only checks whether the process exists.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    assert!(!alive, "the running script was killed with gsp");
    drop(stdin);
}

#[test]
fn execd_takes_no_other_format() {
    let (code, _, err) = gsp(&[
        "run",
        "--execd",
        "--format",
        "prometheus",
        &fixture("tick.sh"),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("drop --format or use --format influx"),
        "{err}"
    );
}
