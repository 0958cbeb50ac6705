//! Integration tests: real scripts from tests/scripts run through the runtime, with the host clock
//! driven through `tick`.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use common::*;
use gsp::{Datatype, DiagnosticKind, Error, Options, Record, Scope, Severity};

#[test]
fn configuration_then_data_with_every_line_shape() {
    let mut h = Harness::new();
    let id = h.add(&script("basic.sh"));
    h.expect("config and data", |r| {
        metric_count(r) == 3 && has_diag(r, DiagnosticKind::UnknownMetric)
    });
    let config = match &h.records[0] {
        Record::Config(c) => c.config.clone(),
        other => panic!("the first record must be the configuration, got {other:?}"),
    };
    assert_eq!((config.period_s, config.max_runtime_ms), (60, 5000));
    assert_eq!(config.metric(2).unwrap().datatype, Datatype::Gauge);

    let m = h.metrics();
    assert_eq!(
        (m[0].metric_id, m[0].value, m[0].dimensions.len()),
        (1, 8.5, 0)
    );
    assert_eq!(&*m[0].metric_name, "Plain");
    assert_eq!(m[0].time_ms, T0);
    assert_eq!(m[1].metric_id, 2);
    let dims: Vec<(&str, &str)> = m[1].dimensions.iter().map(|d| (d.name, d.value)).collect();
    assert_eq!(dims, [("interface", "eth0"), ("direction", "rx")]);
    assert_eq!((m[2].value, m[2].dimensions.len()), (3.0, 0));

    let unknown = h.diagnostics(DiagnosticKind::UnknownMetric);
    assert_eq!(unknown[0].line, Some(4));
    assert!(
        unknown[0].message.contains("`M9 1`"),
        "{}",
        unknown[0].message
    );
    assert_eq!(unknown[0].script_id, id);

    let e = h
        .records
        .iter()
        .find_map(|r| match r {
            Record::Event(e) => Some(e),
            _ => None,
        })
        .expect("an event");
    assert_eq!((e.event_id, e.event_name.as_str()), (1, "Exit"));
    assert_eq!(e.start_s, T0 / 1000 - 300);
    assert_eq!(e.end_s, T0 / 1000);
    assert_eq!(e.message, "The event triggered");
    assert_eq!(e.attributes_json, r#"{"Exit code":137}"#);
    assert_eq!(e.scope, Scope::Server);

    let s = h.rt.stats();
    assert_eq!(
        (
            s.runs_started,
            s.runs_succeeded,
            s.lines_parsed,
            s.lines_rejected
        ),
        (2, 2, 4, 1)
    );
    assert_eq!(s.runs_in_flight, 0);
}

#[test]
fn data_runs_follow_the_period_of_the_host_clock() {
    let mut h = Harness::new();
    let id = h.add(&script("basic.sh"));
    h.expect_data_runs(id, 1);
    let started = h.rt.stats().runs_started;
    h.now += 59_000;
    for _ in 0..5 {
        h.step();
    }
    assert_eq!(
        h.rt.stats().runs_started,
        started,
        "not due before the period has elapsed"
    );
    h.now += 1_000;
    h.expect_data_runs(id, 2);
    assert_eq!(h.rt.stats().runs_started, started + 1);
}

#[test]
fn difference_with_counter_reset() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = Harness::new();
    let id = h.add(&format!("{} {}", script("counter.sh"), quoted(dir.path())));
    let emitted = counter_runs(&mut h, id, dir.path(), &["100", "130", "5", "12"]);
    assert_eq!(
        emitted[0],
        Vec::<f64>::new(),
        "the first value of a series emits nothing"
    );
    assert_eq!(emitted[1], vec![30.0]);
    assert_eq!(
        emitted[2],
        Vec::<f64>::new(),
        "a COUNTER that decreased was reset: nothing emitted"
    );
    assert_eq!(emitted[3], vec![7.0]);
}

/// Runs counter.sh with each value in turn (one data run per period) and returns what each run emitted.
fn counter_runs(h: &mut Harness, id: u64, dir: &std::path::Path, values: &[&str]) -> Vec<Vec<f64>> {
    let mut emitted = Vec::new();
    for v in values {
        std::fs::write(dir.join("value"), v).unwrap();
        let before = h.metrics().len();
        let runs = h.rt.script_state(id).unwrap().data_runs_done;
        h.expect_data_runs(id, runs + 1);
        emitted.push(h.metrics()[before..].iter().map(|m| m.value).collect());
        h.now += 60_000;
    }
    emitted
}

#[test]
fn difference_baselines_reset_when_the_configuration_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = Harness::new();
    let id = h.add(&format!("{} {}", script("counter.sh"), quoted(dir.path())));
    assert_eq!(
        counter_runs(&mut h, id, dir.path(), &["100", "130"]),
        [vec![], vec![30.0]]
    );
    // Same configuration again: baselines are kept.
    h.rt.reconfigure(id).unwrap();
    assert_eq!(counter_runs(&mut h, id, dir.path(), &["150"]), [vec![20.0]]);
    // A changed configuration: the first value after it is a new baseline.
    std::fs::write(dir.path().join("name"), "Renamed").unwrap();
    h.rt.reconfigure(id).unwrap();
    assert_eq!(
        counter_runs(&mut h, id, dir.path(), &["170", "171"]),
        [vec![], vec![1.0]]
    );
    assert_eq!(&*h.metrics().last().unwrap().metric_name, "Renamed");
}

#[test]
fn a_slow_configuration_run_is_killed_at_its_timeout() {
    let mut h = Harness::new();
    let start = Instant::now();
    h.add(&script("slow_config.sh"));
    h.expect("config timeout", |r| {
        has_diag(r, DiagnosticKind::ConfigTimeout)
    });
    assert!(start.elapsed() < Duration::from_secs(15));
    assert!(h.diagnostics(DiagnosticKind::ConfigTimeout)[0]
        .message
        .contains("1000 ms"));
    assert_eq!(h.rt.stats().runs_timed_out, 1);
}

#[test]
fn configuration_values_are_clamped_with_diagnostics() {
    let mut h = Harness::new();
    h.add(&script("clamp.sh"));
    h.expect("config", |r| {
        r.iter().any(|x| matches!(x, Record::Config(_)))
    });
    let Some(Record::Config(c)) = h.records.iter().find(|r| matches!(r, Record::Config(_))) else {
        unreachable!()
    };
    assert_eq!((c.config.period_s, c.config.max_runtime_ms), (60, 50_000));
    let clamps = h.diagnostics(DiagnosticKind::ValueClamped);
    assert_eq!(clamps.len(), 2, "{clamps:#?}");
    assert!(clamps.iter().any(|d| d.message.contains("period 10")));
    assert!(clamps
        .iter()
        .any(|d| d.message.contains("maxruntime 99999")));
}

#[test]
fn invalid_configuration_is_retried_with_backoff() {
    let mut h = Harness::new();
    let id = h.add(&script("bad_config.sh"));
    h.expect("config invalid", |r| {
        has_diag(r, DiagnosticKind::ConfigInvalid)
    });
    let d = &h.diagnostics(DiagnosticKind::ConfigInvalid)[0];
    assert!(
        d.message.contains("not valid JSON at line 1"),
        "{}",
        d.message
    );
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(h.rt.stats().runs_started, 1);
    h.now += 30_000;
    for _ in 0..5 {
        h.step();
    }
    assert_eq!(h.rt.stats().runs_started, 1, "no retry within a minute");
    h.now += 31_000;
    h.expect("second attempt", |r| {
        r.iter()
            .filter(
                |x| matches!(x, Record::Diagnostic(d) if d.kind == DiagnosticKind::ConfigInvalid),
            )
            .count()
            == 2
    });
    assert_eq!(h.rt.script_state(id).unwrap().config_runs_done, 2);
}

#[test]
fn nonzero_exit_is_reported_with_stderr_and_not_parsed() {
    let mut h = Harness::new();
    h.add(&script("exit3.sh"));
    h.expect("exit status", |r| has_diag(r, DiagnosticKind::ExitStatus));
    let d = &h.diagnostics(DiagnosticKind::ExitStatus)[0];
    assert_eq!(d.exit_code, Some(3));
    assert!(d.message.contains("exited with status 3"), "{}", d.message);
    assert!(
        d.message.contains("connection refused"),
        "stderr tail: {}",
        d.message
    );
    assert!(
        h.metrics().is_empty(),
        "output of a failed run is not parsed"
    );
    assert_eq!(h.rt.stats().runs_failed, 1);
}

#[test]
fn stderr_with_exit_zero_is_a_warning_and_data_flows() {
    let mut h = Harness::new();
    h.add(&script("stderr_warn.sh"));
    h.expect("data", |r| {
        metric_count(r) == 1 && has_diag(r, DiagnosticKind::Stderr)
    });
    let d = &h.diagnostics(DiagnosticKind::Stderr)[0];
    assert_eq!(d.severity, Severity::Warning);
    assert!(d.message.contains("cache is stale"));
}

#[test]
fn timeout_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pids");
    let mut h = Harness::new();
    h.add(&format!("{} {}", script("sleepy.sh"), quoted(&pidfile)));
    let start = Instant::now();
    h.expect("timeout", |r| has_diag(r, DiagnosticKind::Timeout));
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "killed near its 300 ms maxruntime"
    );
    let d = &h.diagnostics(DiagnosticKind::Timeout)[0];
    assert!(d.message.contains("300 ms"), "{}", d.message);
    assert!(h.metrics().is_empty(), "partial output is discarded");
    assert_gone(&read_pids(&pidfile), Duration::from_secs(5));
    assert_eq!(h.rt.stats().runs_timed_out, 1);
}

#[test]
fn a_script_ignoring_sigterm_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let mut h = Harness::with(Options {
        kill_grace_ms: 200,
        ..Options::default()
    });
    h.add(&format!(
        "{} {}",
        script("ignore_term.sh"),
        quoted(&pidfile)
    ));
    h.expect("timeout", |r| has_diag(r, DiagnosticKind::Timeout));
    assert_gone(&read_pids(&pidfile), Duration::from_secs(5));
}

#[test]
fn a_grandchild_holding_stdout_does_not_delay_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let mut h = Harness::new();
    let id = h.add(&format!("{} {}", script("grandchild.sh"), quoted(&pidfile)));
    let start = Instant::now();
    h.expect_data_runs(id, 1);
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "the result must not wait for the 30 s grandchild"
    );
    assert_eq!(h.metrics().len(), 1);
    assert!(h.diagnostics(DiagnosticKind::Timeout).is_empty());
    assert_gone(&read_pids(&pidfile), Duration::from_secs(5));
}

#[test]
fn an_output_flood_is_capped() {
    let mut h = Harness::with(Options {
        max_stdout_bytes: 64 * 1024,
        ..Options::default()
    });
    h.add(&script("flood.sh"));
    h.expect("output truncated", |r| {
        has_diag(r, DiagnosticKind::OutputTruncated)
    });
    assert!(h.metrics().is_empty());
    let s = h.rt.stats();
    assert_eq!((s.runs_killed, s.lines_parsed), (1, 0));
}

#[test]
fn spawn_failures_name_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &[u8], mode: u32| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        quoted(&p)
    };
    let cases = [
        (
            write("noexec.sh", b"#!/bin/sh\necho\n", 0o644),
            "not executable",
        ),
        (
            write("nointerp.sh", b"#!/nonexistent/python9\n", 0o755),
            "interpreter `/nonexistent/python9`",
        ),
        (write("crlf.sh", b"#!/bin/sh\r\necho hi\r\n", 0o755), "CRLF"),
        (write("noshebang", b"echo hi\n", 0o755), "no #! line"),
        (quoted(&dir.path().join("missing.sh")), "does not exist"),
        ("gsp-no-such-command-xyz".to_string(), "not found in PATH"),
    ];
    let mut h = Harness::new();
    let ids: Vec<u64> = cases.iter().map(|(cmd, _)| h.add(cmd)).collect();
    h.expect("all spawn failures", |r| {
        r.iter()
            .filter(|x| matches!(x, Record::Diagnostic(d) if d.kind == DiagnosticKind::SpawnFailed))
            .count()
            == cases.len()
    });
    for (id, (_, cause)) in ids.iter().zip(cases.iter()) {
        let d = h
            .diagnostics(DiagnosticKind::SpawnFailed)
            .into_iter()
            .find(|d| d.script_id == *id)
            .unwrap();
        assert!(
            d.message.contains(cause),
            "script {id}: expected {cause:?} in {}",
            d.message
        );
    }
    assert_eq!(h.rt.stats().runs_started, 0);
}

#[test]
fn crlf_env_shebang_exit_127_gets_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("crlf_env.sh");
    std::fs::write(&p, b"#!/usr/bin/env sh\r\necho hi\r\n").unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut h = Harness::new();
    h.add(&quoted(&p));
    h.expect("exit status", |r| has_diag(r, DiagnosticKind::ExitStatus));
    let d = &h.diagnostics(DiagnosticKind::ExitStatus)[0];
    assert_eq!(d.exit_code, Some(127));
    assert!(d.message.contains("CRLF"), "{}", d.message);
}

#[test]
fn an_overrunning_run_is_not_doubled() {
    let mut h = Harness::new();
    let id = h.add(&script("slow_ok.sh"));
    h.expect("config", |r| {
        r.iter().any(|x| matches!(x, Record::Config(_)))
    });
    h.step(); // starts the 3 s data run
    assert!(h.rt.script_state(id).unwrap().running);
    h.now += 60_000;
    h.step();
    h.now += 60_000;
    h.step();
    let overruns = h.diagnostics(DiagnosticKind::Overrun).len();
    assert!(overruns >= 1, "{:#?}", h.records);
    h.expect_data_runs(id, 1);
    assert_eq!(
        h.rt.stats().runs_started,
        2,
        "the due runs were skipped, not started"
    );
    assert_eq!(h.metrics().len(), 1);
}

#[test]
fn remove_kills_the_running_group_and_delivers_nothing_more() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pids");
    let mut h = Harness::with(Options {
        max_runtime_ms: 50_000,
        ..Options::default()
    });
    let id = h.add(&format!("{} {}", script("hang.sh"), quoted(&pidfile)));
    h.expect("config", |r| {
        r.iter().any(|x| matches!(x, Record::Config(_)))
    });
    h.step();
    let pids = read_pids(&pidfile);
    h.rt.remove_script(id).unwrap();
    assert_gone(&pids, Duration::from_secs(5));
    let before = h.records.len();
    for _ in 0..5 {
        h.step();
    }
    assert_eq!(h.records.len(), before, "{:#?}", &h.records[before..]);
    assert_eq!(h.rt.remove_script(id), Err(Error::NotFound));
    assert_eq!(h.rt.reconfigure(id), Err(Error::NotFound));
    let s = h.rt.stats();
    assert_eq!((s.runs_killed, s.runs_in_flight, s.scripts), (1, 0, 0));
}

#[test]
fn free_with_runs_in_flight_kills_and_returns_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = Harness::new();
    let pidfiles: Vec<_> = (0..5).map(|i| dir.path().join(format!("p{i}"))).collect();
    for p in &pidfiles {
        h.add(&format!("{} {}", script("hang.sh"), quoted(p)));
    }
    h.expect("configs", |r| {
        r.iter().filter(|x| matches!(x, Record::Config(_))).count() == 5
    });
    h.step();
    let pids: Vec<i32> = pidfiles.iter().flat_map(|p| read_pids(p)).collect();
    let Harness { rt, .. } = h;
    let start = Instant::now();
    drop(rt);
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "free took {:?}",
        start.elapsed()
    );
    assert_gone(&pids, Duration::from_secs(5));
}

#[test]
fn callbacks_may_call_back_into_the_runtime() {
    let mut h = Harness::new();
    h.add(&script("basic.sh"));
    h.expect("data", |r| metric_count(r) == 3);
    h.rt.reconfigure(1).unwrap();
    h.rt.tick(h.now);
    assert!(h.rt.wait(PATIENCE) > 0);
    let rt = &h.rt;
    let mut nested = Vec::new();
    let mut added = 0;
    rt.drain(usize::MAX, |_| {
        nested.push(rt.drain(usize::MAX, |_| {}));
        let _ = rt.stats();
        rt.tick(T0);
        if added == 0 {
            added = rt.add_script(&script("basic.sh")).unwrap();
        }
    })
    .unwrap();
    assert!(!nested.is_empty());
    assert!(nested.iter().all(|r| *r == Err(Error::Busy)));
    assert_eq!(added, 2);
}

#[test]
fn bad_command_lines_are_rejected() {
    let h = Harness::new();
    assert!(
        matches!(h.rt.add_script("'unclosed"), Err(Error::InvalidArgument(m)) if m.contains("unclosed quote"))
    );
    assert!(matches!(
        h.rt.add_script(""),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        Runtime::new(Options {
            worker_threads: 0,
            ..Options::default()
        }),
        Err(Error::InvalidArgument(_))
    ));
}

use gsp::Runtime;

#[test]
fn queue_overflow_is_counted_and_reported() {
    let mut h = Harness::with(Options {
        queue_capacity: 4,
        ..Options::default()
    });
    let id = h.rt.add_script(&script("basic.sh")).unwrap();
    // Do not drain until both runs are done, so the queue overflows.
    h.rt.tick(h.now);
    let start = Instant::now();
    while h.rt.script_state(id).unwrap().data_runs_done == 0 {
        assert!(start.elapsed() < PATIENCE);
        h.rt.tick(h.now);
        std::thread::sleep(Duration::from_millis(20));
    }
    let s = h.rt.stats();
    assert!(s.records_dropped > 0, "{s:?}");
    for _ in 0..3 {
        h.step();
    }
    let d = h.diagnostics(DiagnosticKind::RecordsDropped);
    assert_eq!(d.len(), 1);
    assert!(
        d[0].message.contains(&format!(
            "{} records of script {id} were dropped",
            s.records_dropped
        )),
        "{}",
        d[0].message
    );
    assert_eq!(d[0].script_id, id, "the report names the script");
}

#[test]
fn each_script_reports_its_cost() {
    let mut h = Harness::new();
    let busy = h.add(&script("busy.sh"));
    let idle = h.add(&script("slow_ok.sh"));
    h.expect_data_runs(busy, 1);
    h.expect_data_runs(idle, 1);
    let b = h.rt.script_state(busy).unwrap();
    let i = h.rt.script_state(idle).unwrap();
    let (b_last, i_last) = (b.last_run.unwrap(), i.last_run.unwrap());
    assert!(
        b.total_cpu > i.total_cpu * 2,
        "busy {:?} vs idle {:?}",
        b.total_cpu,
        i.total_cpu
    );
    assert!(
        i_last.duration >= Duration::from_secs(3),
        "the idle script sleeps 3 s: {:?}",
        i_last.duration
    );
    assert!(i_last.cpu < i_last.duration / 2);
    assert!(b_last.max_rss_kib > 0 && b.peak_rss_kib >= b_last.max_rss_kib);
    assert!(b.total_duration >= b_last.duration);
}

#[test]
fn splay_offsets_the_first_data_run_by_a_hash_of_the_command_line() {
    let mut h = Harness::with(Options {
        splay: true,
        ..Options::default()
    });
    let cmd = script("basic.sh");
    let offset = gsp::splay_offset_ms(&cmd, 60);
    assert_eq!(offset, gsp::splay_offset_ms(&cmd, 60), "deterministic");
    assert!((0..60_000).contains(&offset));
    assert_ne!(offset, gsp::splay_offset_ms(&format!("{cmd} "), 60));
    let id = h.add(&cmd);
    h.expect("config", |r| {
        r.iter().any(|x| matches!(x, Record::Config(_)))
    });
    if offset > 1000 {
        h.now += offset - 1000;
        for _ in 0..3 {
            h.step();
        }
        assert_eq!(
            h.rt.script_state(id).unwrap().data_runs_done,
            0,
            "not before its offset"
        );
        h.now += 1000;
    } else {
        h.now += offset;
    }
    h.expect_data_runs(id, 1);
}

#[test]
fn clock_jumps_neither_stall_nor_burst() {
    let mut h = Harness::new();
    let id = h.add(&script("basic.sh"));
    h.expect_data_runs(id, 1);
    // Backwards by an hour: the next run comes within one period of the new time.
    h.now -= 3_600_000;
    for _ in 0..3 {
        h.step();
    }
    assert_eq!(h.rt.script_state(id).unwrap().data_runs_done, 1);
    h.now += 60_000;
    h.expect_data_runs(id, 2);
    // Forwards by ten hours: exactly one run, then the normal period.
    h.now += 36_000_000;
    h.expect_data_runs(id, 3);
    for _ in 0..5 {
        h.step();
    }
    assert_eq!(
        h.rt.script_state(id).unwrap().data_runs_done,
        3,
        "no catch-up burst"
    );
    h.now += 60_000;
    h.expect_data_runs(id, 4);
}

#[test]
fn removing_a_large_batch_right_after_it_started_kills_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pids");
    let mut h = Harness::new();
    let ids: Vec<u64> = (0..24)
        .map(|_| h.add(&format!("{} {}", script("hang.sh"), quoted(&pidfile))))
        .collect();
    h.expect("configs", |r| {
        r.iter().filter(|x| matches!(x, Record::Config(_))).count() == ids.len()
    });
    // A batch this large is spawned partly on the worker threads.
    h.rt.tick(h.now);
    for &id in &ids {
        h.rt.remove_script(id).unwrap();
    }
    let start = Instant::now();
    while h.rt.stats().runs_in_flight > 0 {
        assert!(start.elapsed() < PATIENCE, "{:?}", h.rt.stats());
        h.step();
    }
    std::thread::sleep(Duration::from_millis(200));
    let pids: Vec<i32> = std::fs::read_to_string(&pidfile)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect();
    assert_gone(&pids, Duration::from_secs(5));
    assert_eq!(h.metrics().len(), 0);
}
