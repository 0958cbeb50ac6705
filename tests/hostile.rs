//! Hostile scripts: for each, the host stays responsive, memory stays bounded, every process is
//! gone afterwards, and the outcome is a clear diagnostic.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use gsp::{DiagnosticKind, Options, Record};

fn hostile(name: &str) -> String {
    script(&format!("hostile/{name}"))
}

/// Steps until `done`, checking on every step that host calls stay quick.
fn expect_responsive(h: &mut Harness, what: &str, done: impl Fn(&[Record]) -> bool) {
    let start = Instant::now();
    loop {
        let t = Instant::now();
        let _ = h.rt.stats();
        h.rt.tick(h.now);
        let calls = t.elapsed();
        // The bound is the point: host calls never wait for a script.
        assert!(
            calls < Duration::from_secs(1),
            "host calls took {calls:?} during {what}"
        );
        h.step();
        if done(&h.records) {
            return;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "timed out waiting for {what}: {:#?}",
            h.records
        );
    }
}

fn expect_truncated(name: &str) {
    let before = rss_kib();
    let mut h = Harness::new();
    h.add(&hostile(name));
    expect_responsive(&mut h, name, |r| {
        has_diag(r, DiagnosticKind::OutputTruncated)
    });
    let d = &h.diagnostics(DiagnosticKind::OutputTruncated)[0];
    assert!(d.message.contains("4194304 bytes"), "{}", d.message);
    assert!(h.metrics().is_empty());
    let grown = rss_kib().saturating_sub(before);
    assert!(grown < 64 * 1024, "{name}: memory grew by {grown} KiB");
}

#[test]
fn an_endless_stream_from_dev_zero() {
    expect_truncated("zero.sh");
}

#[test]
fn a_100_mb_line_without_a_newline() {
    expect_truncated("long_line.sh");
}

#[test]
fn random_binary_output() {
    let mut h = Harness::new();
    let id = h.add(&hostile("binary.sh"));
    h.expect_data_runs(id, 1);
    let invalid = h.diagnostics(DiagnosticKind::LineInvalid);
    assert!(invalid.len() <= 21, "at most 20 described plus one summary");
    assert!(invalid
        .iter()
        .any(|d| d.message.contains("UTF-8") || d.message.contains("not a metric")));
    assert!(
        invalid.last().unwrap().message.contains("more lines"),
        "{:#?}",
        invalid.last()
    );
    assert_eq!(
        h.metrics().len(),
        1,
        "the valid last line is still delivered"
    );
}

#[test]
fn fifty_grandchildren_holding_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pids");
    let mut h = Harness::new();
    let id = h.add(&format!(
        "{} {}",
        hostile("grandchildren.sh"),
        quoted(&pidfile)
    ));
    let start = Instant::now();
    h.expect_data_runs(id, 1);
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "the result waited for the grandchildren"
    );
    assert_eq!(h.metrics().len(), 1);
    let pids = read_pids(&pidfile);
    assert_eq!(pids.len(), 50);
    assert_gone(&pids, Duration::from_secs(5));
}

#[test]
fn a_script_that_closes_stdout_and_keeps_running() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let mut h = Harness::new();
    h.add(&format!(
        "{} {}",
        hostile("closed_stdout.sh"),
        quoted(&pidfile)
    ));
    expect_responsive(&mut h, "closed stdout", |r| {
        has_diag(r, DiagnosticKind::Timeout)
    });
    assert_gone(&read_pids(&pidfile), Duration::from_secs(5));
}

fn write_config(path: &Path, metrics: usize) {
    let mut text = String::from("{\"maxruntime\": 1000, \"metrics\": [");
    for i in 0..metrics {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!(
            "{{\"id\":{i},\"name\":\"metric {i}\",\"datatype\":\"DOUBLE\",\"dimensions\":[{{\"id\":1,\"name\":\"d\"}}]}}"
        ));
    }
    text.push_str("]}");
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_configuration_of_a_million_metrics_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("million.json");
    write_config(&file, 1_000_000);
    let mut h = Harness::with(Options {
        config_timeout_ms: 10_000,
        ..Options::default()
    });
    h.add(&format!("{} {}", hostile("cat_config.sh"), quoted(&file)));
    expect_responsive(&mut h, "a million metrics", |r| {
        has_diag(r, DiagnosticKind::OutputTruncated)
    });
}

#[test]
fn a_large_configuration_within_the_cap_parses() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("large.json");
    write_config(&file, 30_000);
    let mut h = Harness::with(Options {
        config_timeout_ms: 10_000,
        ..Options::default()
    });
    h.add(&format!("{} {}", hostile("cat_config.sh"), quoted(&file)));
    expect_responsive(&mut h, "a large configuration", |r| {
        r.iter().any(|x| matches!(x, Record::Config(_)))
    });
    let Some(Record::Config(c)) = h.records.iter().find(|r| matches!(r, Record::Config(_))) else {
        unreachable!()
    };
    assert_eq!(c.config.metrics.len(), 30_000);
}

#[test]
fn deeply_nested_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nested.json");
    std::fs::write(
        &file,
        format!(
            "{{\"metrics\": {}{}}}",
            "[".repeat(200_000),
            "]".repeat(200_000)
        ),
    )
    .unwrap();
    let mut h = Harness::new();
    h.add(&format!("{} {}", hostile("cat_config.sh"), quoted(&file)));
    expect_responsive(&mut h, "nested JSON", |r| {
        has_diag(r, DiagnosticKind::ConfigInvalid)
    });
    let d = &h.diagnostics(DiagnosticKind::ConfigInvalid)[0];
    assert!(d.message.contains("recursion limit"), "{}", d.message);
}
