//! Regression tests for the host's trust in gsp: runs always end, output is never lost
//! silently, state stays bounded, host-given numbers cannot wrap.

mod common;

use std::time::{Duration, Instant};

use common::*;
use gsp::{DiagnosticKind, Options, Record};

/// Tests that keep both cores busy for a while (large outputs, many scripts) take turns, so
/// that the ones about timing limits measure gsp, not each other.
static HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn heavy() -> std::sync::MutexGuard<'static, ()> {
    HEAVY.lock().unwrap_or_else(|e| e.into_inner())
}

/// A script that leaves its process group and ignores SIGTERM is still killed at maxruntime,
/// reaped, and reported; freeing the runtime afterwards is quick.
#[test]
fn a_run_that_leaves_its_process_group_is_killed_at_maxruntime() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let mut h = Harness::with(Options {
        kill_grace_ms: 100,
        extra_env: vec![("GSP_TEST_PIDFILE".into(), pidfile.to_str().unwrap().into())],
        ..Options::default()
    });
    let id = h.add(&script("leave_group.py"));
    h.expect("the timeout diagnostic", |r| {
        has_diag(r, DiagnosticKind::Timeout)
    });
    let pid = read_pids(&pidfile)[0];
    assert_gone(&[pid], PATIENCE);
    assert_eq!(h.rt.script_state(id).unwrap().data_runs_done, 1);
    assert_eq!(
        metric_count(&h.records),
        0,
        "a killed run's output is discarded"
    );

    // Freeing the runtime while such a run is in flight kills it and returns.
    std::fs::remove_file(&pidfile).unwrap();
    h.now += 60_000;
    h.step();
    let pid = read_pids(&pidfile)[0];
    let start = Instant::now();
    drop(h);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "free took {:?}",
        start.elapsed()
    );
    assert_gone(&[pid], PATIENCE);
}

/// A script that enlarges its stdout pipe to 1 MiB and fills it before gsp watches the pipe
/// has every line delivered, none cut.
#[test]
fn output_in_an_enlarged_pipe_is_read_whole() {
    let _turn = heavy();
    let mut h = Harness::with(Options {
        queue_capacity: 1_000_000,
        ..Options::default()
    });
    let id = h.add(&script("big_pipe.py"));
    h.expect_data_runs(id, 1);
    let values: Vec<f64> = h.metrics().iter().map(|m| m.value).collect();
    assert_eq!(
        values.len(),
        80_000,
        "lines lost: {:?}",
        h.diagnostics(DiagnosticKind::LineInvalid)
    );
    assert!(
        values.iter().enumerate().all(|(i, &v)| v == i as f64),
        "a line was cut"
    );
    assert!(h.diagnostics(DiagnosticKind::LineInvalid).is_empty());
}

/// Every record of a run is queued before the run stops counting as in flight, so a host that
/// waits for "nothing in flight, nothing pending" sees all of them.
#[test]
fn a_run_is_in_flight_until_its_records_are_queued() {
    let _turn = heavy();
    let rt = gsp::Runtime::new(Options {
        queue_capacity: 1_000_000,
        ..Options::default()
    })
    .unwrap();
    let id = rt.add_script(&script("big_pipe.py")).unwrap();
    // Ticks once, then drains until nothing is in flight or pending; returns the metrics seen.
    let settle = || {
        rt.tick(T0);
        let start = Instant::now();
        let mut metrics = 0;
        loop {
            let idle = rt.stats().runs_in_flight == 0 && rt.pending() == 0;
            if idle {
                return metrics;
            }
            assert!(start.elapsed() < PATIENCE, "the run never finished");
            rt.wait(Duration::from_millis(5));
            rt.drain(usize::MAX, |r| {
                metrics += usize::from(matches!(r, Record::Metric(_)))
            })
            .unwrap();
        }
    };
    settle(); // the configuration run
    assert!(rt.script_state(id).unwrap().config.is_some());
    let metrics = settle(); // the first data run
    assert_eq!(rt.script_state(id).unwrap().data_runs_done, 1);
    assert_eq!(
        metrics, 80_000,
        "the host stopped before every record was queued"
    );
}

/// Host-given numbers at their extremes work as "unlimited" instead of wrapping: an unlimited
/// stdout cap still reads the output, and a clock that visits i64::MAX and comes back starts no
/// burst of runs.
#[test]
fn extreme_host_values_do_not_wrap() {
    let mut h = Harness::with(Options {
        max_stdout_bytes: usize::MAX,
        ..Options::default()
    });
    let id = h.add(&script("basic.sh"));
    h.expect_data_runs(id, 1);
    assert!(h
        .metrics()
        .iter()
        .any(|m| m.metric_id == 1 && m.value == 8.5));

    let started = h.rt.stats().runs_started;
    h.now = i64::MAX;
    h.expect_data_runs(id, 2);
    for t in 0..20 {
        h.now = T0 + t * 1000;
        h.step();
    }
    h.rt.wait(Duration::from_millis(100));
    let extra = h.rt.stats().runs_started - started;
    assert!(
        extra <= 2,
        "{extra} runs started after the clock came back from i64::MAX"
    );
    // A wait longer than the clock can represent is a wait without a deadline, not a panic.
    std::thread::scope(|s| {
        let w = s.spawn(|| h.rt.wait(Duration::MAX));
        while !w.is_finished() {
            h.rt.wake();
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(w.join().is_ok());
    });
}

/// A configuration whose every metric earns a note reaches a host with a small queue: the notes
/// are summarized and the configuration record is never dropped, so no metric arrives for a
/// configuration the host never saw.
#[test]
fn a_configuration_record_is_never_dropped() {
    let _turn = heavy();
    let mut h = Harness::with(Options {
        queue_capacity: 16,
        config_timeout_ms: 30_000,
        max_stdout_bytes: 64 << 20,
        ..Options::default()
    });
    let id = h.add(&script("many_notes.py"));
    // No drain until the configuration run is over: the queue overflows meanwhile.
    h.rt.tick(h.now);
    let start = Instant::now();
    while h.rt.script_state(id).unwrap().config_runs_done == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no configuration"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    h.expect_data_runs(id, 1);
    let first_config = h
        .records
        .iter()
        .position(|r| matches!(r, Record::Config(_)));
    let first_metric = h
        .records
        .iter()
        .position(|r| matches!(r, Record::Metric(_)));
    assert!(
        first_config.is_some(),
        "the configuration record was dropped"
    );
    assert!(first_metric.is_some_and(|m| m > first_config.unwrap()));
    let notes = h
        .records
        .iter()
        .filter(|r| matches!(r, Record::Diagnostic(d) if d.script_id == id))
        .count();
    // 100,000 notes were summarized: what reached the queue or was dropped from it is about
    // the first 50 notes and one summary.
    let dropped = h.rt.stats().records_dropped;
    let limit = gsp::MAX_CONFIG_NOTES_PER_RUN as u64 + 3;
    assert!(
        notes as u64 + dropped <= limit,
        "{notes} notes delivered, {dropped} records dropped"
    );
}

/// Diagnostics stay bounded and printable: a huge command line is shortened, stderr's control
/// characters are replaced, the OS error is said once, and a drop report names its script.
#[test]
fn diagnostics_are_bounded_and_clean() {
    let mut h = Harness::with(Options {
        queue_capacity: 4,
        ..Options::default()
    });
    let long = format!("/nonexistent/{}", "x".repeat(1 << 20));
    let missing = h.add(&long);
    let noisy = h.add(&script("stderr_controls.sh"));
    h.rt.tick(h.now);
    std::thread::sleep(Duration::from_millis(500));
    h.expect_data_runs(noisy, 1);
    let spawn = h.diagnostics(DiagnosticKind::SpawnFailed);
    let spawn = spawn
        .iter()
        .find(|d| d.script_id == missing)
        .expect("spawn failure");
    assert!(spawn.message.len() < 4096, "{} bytes", spawn.message.len());
    assert_eq!(
        spawn.message.matches("os error").count(),
        1,
        "{}",
        spawn.message
    );
    let stderr = h.diagnostics(DiagnosticKind::Stderr);
    let stderr = stderr.first().expect("the stderr diagnostic");
    assert!(
        stderr.message.contains("warning: ?[31mred?[0m?"),
        "{}",
        stderr.message
    );
    assert!(!stderr
        .message
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t'));
    let dropped = h.diagnostics(DiagnosticKind::RecordsDropped);
    assert!(
        !dropped.is_empty() && dropped.iter().all(|d| d.script_id == noisy),
        "{dropped:#?}"
    );
}

/// Difference baselines are capped per script: new series every run make gsp forget the
/// series unseen longest, and it says how many.
#[test]
fn difference_state_is_bounded_per_script() {
    let mut h = Harness::with(Options {
        max_difference_series: 120,
        ..Options::default()
    });
    let id = h.add(&script("new_series.sh"));
    for run in 1..=4 {
        h.expect_data_runs(id, run);
        h.now += 60_000;
    }
    let limits = h.diagnostics(DiagnosticKind::SeriesLimit);
    let messages: Vec<&str> = limits.iter().map(|d| d.message.as_str()).collect();
    // 50 new series a run against a cap of 120: 30 forgotten after run 3, 50 after run 4.
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert!(
        messages[0].contains("the 30 series unseen longest were forgotten"),
        "{}",
        messages[0]
    );
    assert!(messages[1].contains("the 50 series"), "{}", messages[1]);
    assert!(limits.iter().all(|d| d.script_id == id));
    assert_eq!(
        metric_count(&h.records),
        0,
        "every series is new: no differences"
    );
}

/// Freeing the runtime while a huge configuration is being parsed returns promptly: the parse
/// gives up instead of holding the worker (and so the free) for seconds.
#[test]
fn freeing_during_a_huge_configuration_parse_is_prompt() {
    let _turn = heavy();
    let dir = tempfile::tempdir().unwrap();
    let done = dir.path().join("done");
    let options = Options {
        max_stdout_bytes: 128 << 20,
        config_timeout_ms: 30_000,
        extra_env: vec![("GSP_TEST_DONE".into(), done.to_str().unwrap().into())],
        ..Options::default()
    };
    let wait_for_output = || {
        let start = Instant::now();
        while !done.exists() {
            assert!(start.elapsed() < PATIENCE, "the script did not finish");
            std::thread::sleep(Duration::from_millis(5));
        }
        std::fs::remove_file(&done).unwrap();
    };
    // How long the parse takes when left alone (for the message below).
    let rt = gsp::Runtime::new(options.clone()).unwrap();
    rt.add_script(&script("huge_config.py")).unwrap();
    rt.tick(T0);
    wait_for_output();
    let start = Instant::now();
    let mut configured = false;
    while !configured {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no configuration"
        );
        rt.wait(Duration::from_millis(20));
        rt.drain(usize::MAX, |r| configured |= matches!(r, Record::Config(_)))
            .unwrap();
    }
    let parse = start.elapsed();
    drop(rt);

    let rt = gsp::Runtime::new(options).unwrap();
    rt.add_script(&script("huge_config.py")).unwrap();
    rt.tick(T0);
    wait_for_output();
    std::thread::sleep(Duration::from_millis(20)); // the output reaches a worker
    let start = Instant::now();
    drop(rt);
    let free = start.elapsed();
    eprintln!("parse alone {parse:?}, free during the parse {free:?}");
    assert!(
        free < Duration::from_secs(1),
        "free took {free:?} (the parse alone takes {parse:?})"
    );
}

/// A hundred Python scripts added at once on a small machine all configure: gsp does not
/// start so many configuration runs at once that they miss their 1 s timeout.
#[test]
fn many_scripts_added_at_once_all_configure() {
    let _turn = heavy();
    let rt = gsp::Runtime::new(Options::default()).unwrap();
    let ids: Vec<u64> = (0..100)
        .map(|_| rt.add_script(&script("py_config.py")).unwrap())
        .collect();
    rt.tick(T0);
    let mut timeouts = Vec::new();
    let start = Instant::now();
    while ids
        .iter()
        .any(|&id| rt.script_state(id).unwrap().config_runs_done == 0)
    {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "configuration runs never finished"
        );
        rt.wait(Duration::from_millis(50));
        rt.drain(usize::MAX, |r| {
            if let Record::Diagnostic(d) = r {
                if d.kind == DiagnosticKind::ConfigTimeout {
                    timeouts.push(d.message.clone());
                }
            }
        })
        .unwrap();
    }
    assert!(
        timeouts.is_empty(),
        "{} configuration runs timed out: {:?}",
        timeouts.len(),
        timeouts.first()
    );
    assert!(ids
        .iter()
        .all(|&id| rt.script_state(id).unwrap().config.is_some()));
}
