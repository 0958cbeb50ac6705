//! End-to-end tests of `gsp check` on good and broken scripts: exit status, the JSON report's
//! findings (kind, line, message) and the key lines of the text report.

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

mod command;
#[path = "../../tests/common/mod.rs"]
mod common;

fn fixture(name: &str) -> String {
    command::fixture("cli", name)
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `gsp` with `args`, failing the test if it outlives PATIENCE.
fn gsp(args: &[&str]) -> Output {
    let (code, stdout, stderr) = command::gsp(args);
    Output {
        code,
        stdout,
        stderr,
    }
}

/// `gsp check --json ARGS`, parsed.
fn check_json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["check", "--json"];
    all.extend_from_slice(args);
    let out = gsp(&all);
    let report: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("report is not JSON ({e}): {}", out.stdout));
    assert_eq!(report["summary"]["exit_code"], out.code);
    (out.code, report)
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings")
}

/// The finding of `kind` at `line` whose message contains `needle`.
fn finding<'a>(report: &'a Value, kind: &str, line: Option<u64>, needle: &str) -> &'a Value {
    findings(report)
        .iter()
        .find(|f| {
            f["kind"] == kind
                && f["line"].as_u64() == line
                && f["message"].as_str().unwrap().contains(needle)
        })
        .unwrap_or_else(|| {
            panic!(
                "no {kind} finding at line {line:?} containing {needle:?}: {:#}",
                report["findings"]
            )
        })
}

#[test]
fn a_clean_script_passes_with_difference_values_on_the_second_run() {
    let (code, report) = check_json(&["--", &fixture("good.sh")]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(findings(&report).len(), 0, "{report:#}");
    assert_eq!(report["configuration"]["metrics"], 2);
    let runs = report["data_runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    // Metric 2 is a Difference COUNTER: nothing on the first run, a value on the second.
    assert_eq!(
        (runs[0]["values"].as_u64(), runs[1]["values"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(runs[1]["events"], 1);

    let text = gsp(&["check", &fixture("good.sh")]);
    assert_eq!(text.code, 0);
    assert!(text.stdout.contains("configuration  ok"), "{}", text.stdout);
    assert!(text.stdout.contains("data run 2     ok"), "{}", text.stdout);
    assert!(
        text.stdout.contains("passed: 0 errors, 0 warnings"),
        "{}",
        text.stdout
    );
    assert!(
        !text.stdout.contains('\x1b'),
        "no colour when stdout is a pipe"
    );
}

#[test]
fn one_run_notes_that_difference_is_not_checked() {
    let (code, report) = check_json(&["--runs", "1", &fixture("good.sh")]);
    assert_eq!(code, 0);
    let f = finding(
        &report,
        "not_checked",
        None,
        "metric 2 (Uptime ticks) uses Difference",
    );
    assert_eq!(f["severity"], "info");
    assert!(f["message"].as_str().unwrap().contains("--runs 2"));
}

#[test]
fn every_configuration_note_is_reported_with_its_line_column_and_path() {
    let (code, report) = check_json(&[&fixture("broken_config.sh")]);
    for (kind, line, column, path, needle, severity) in [
        ("unknown_key", 2, 3, "maxRuntime", "did you mean `maxruntime`?", "warning"),
        ("missing_field", 1, 1, "", "maxruntime is missing", "info"),
        ("value_clamped", 3, 3, "period", "period 10 s is below the minimum; raised to 60 s", "warning"),
        ("missing_field", 5, 5, "metrics[0]", "metric 1 has no `name`", "warning"),
        ("invalid_value", 5, 41, "metrics[0].datatype", "datatype `GAUGEE` is not one of DOUBLE, GAUGE, COUNT, COUNTER, LONG, HISTOGRAM, BINARY (did you mean `GAUGE`?)", "warning"),
        ("duplicate_id", 6, 5, "metrics[1]", "metrics[1] repeats id 1", "warning"),
        ("invalid_value", 7, 90, "metrics[2].calctype", "calctype `Diference` is not Instant, Difference or Average (did you mean `Difference`?)", "warning"),
        ("duplicate_id", 8, 45, "metrics[2].dimensions[1]", "dimension id 1 is declared twice", "warning"),
        ("unknown_key", 9, 76, "metrics[3].dimension", "unknown key `dimension`: did you mean `dimensions`?", "warning"),
        ("missing_field", 9, 5, "metrics[3]", "metric 3 has no `description`", "info"),
    ] {
        let f = finding(&report, kind, Some(line), needle);
        assert_eq!(f["severity"], severity, "{f:#}");
        assert_eq!(f["phase"], "config");
        assert_eq!(f["column"], column, "{f:#}");
        assert_eq!(f["path"].as_str().unwrap_or(""), path, "{f:#}");
    }
    // The runtime's notes are the findings: each once, at the runtime's severity.
    assert_eq!(findings(&report).len(), 10, "{:#}", report["findings"]);
    assert_eq!(report["summary"]["errors"], 0, "{:#}", report["findings"]);
    assert_eq!(code, 0, "warnings only");

    let text = gsp(&["check", &fixture("broken_config.sh")]);
    assert_eq!(text.code, 0);
    assert!(
        text.stdout
            .contains("warning configuration line 5:5 (metrics[0]): metric 1 has no `name`"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("passed: 0 errors, 8 warnings"),
        "{}",
        text.stdout
    );
    let strict = gsp(&["check", "--strict", &fixture("broken_config.sh")]);
    assert_eq!(
        strict.code, 1,
        "--strict fails on warnings: {}",
        strict.stdout
    );
}

#[test]
fn a_json_syntax_error_names_line_column_and_text() {
    let (code, report) = check_json(&[&fixture("bad_json.sh")]);
    assert_eq!(code, 1);
    let f = findings(&report)
        .iter()
        .find(|f| f["kind"] == "config_invalid")
        .expect("config_invalid");
    let message = f["message"].as_str().unwrap();
    assert!(message.contains("at line 4, column 27"), "{message}");
    assert!(message.contains(r#""name": "A" "datatype""#), "{message}");
    assert_eq!(report["configuration"]["ok"], false);
    assert_eq!(report["data_runs"].as_array().unwrap().len(), 0);
}

#[test]
fn every_bad_data_line_and_unreported_metric_is_reported() {
    let (code, report) = check_json(&[&fixture("bad_data.sh")]);
    assert_eq!(code, 0, "bad lines are warnings, as in gsp run: {report:#}");
    for (kind, line, needle) in [
        ("line_invalid", 2, "the value is missing"),
        ("line_invalid", 3, "value `five` is not a number"),
        ("unknown_metric", 4, "metric id 7 is not declared"),
        (
            "unknown_dimension",
            5,
            "dimension id 2 is not declared for metric 1",
        ),
        ("unknown_event", 6, "event id 9 is not declared"),
        (
            "line_invalid",
            7,
            "not a metric (`M<id>`) or event (`E<id>`) line: `hello world`",
        ),
    ] {
        let f = finding(&report, kind, Some(line), needle);
        assert_eq!(f["severity"], "warning");
        assert_eq!(f["runs"], serde_json::json!([1, 2]), "{f:#}");
    }
    assert_eq!(
        finding(&report, "never_reported", None, "metric 3 (Forgotten)")["severity"],
        "warning"
    );
    finding(&report, "never_reported", None, "metric 2 (Broken)");
    assert_eq!(
        finding(&report, "event_not_seen", None, "event 1 (Alarm)")["severity"],
        "info"
    );
    assert_eq!(report["summary"]["errors"], 0);

    let text = gsp(&["check", &fixture("bad_data.sh")]);
    assert!(
        text.stdout
            .contains("warning data runs 1, 2: line 4: metric id 7 is not declared by the configuration: `M7 1`"),
        "{}",
        text.stdout
    );
}

#[test]
fn exit_status_and_stderr_are_reported() {
    let (code, report) = check_json(&[&fixture("fail.sh")]);
    assert_eq!(code, 1);
    let f = finding(&report, "exit_status", None, "exited with status 2");
    assert!(f["message"]
        .as_str()
        .unwrap()
        .contains("check_service: connection refused"));
    assert_eq!(report["data_runs"][0]["failed"], true);
    // A run that failed as a whole says nothing about unreported metrics.
    assert!(!findings(&report)
        .iter()
        .any(|f| f["kind"] == "never_reported"));
}

#[test]
fn a_run_close_to_maxruntime_warns_but_passes() {
    let (code, report) = check_json(&["--runs", "1", &fixture("slow.sh")]);
    assert_eq!(code, 0, "{report:#}");
    let f = finding(&report, "slow_run", None, "of maxruntime (3000 ms)");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["runs"], serde_json::json!([1]));
}

fn script_file(dir: &Path, name: &str, body: &[u8], mode: u32) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn spawn_problems_name_their_likely_cause() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "noexec.sh",
            &b"#!/bin/sh\necho '{}'\n"[..],
            0o644,
            "spawn_failed",
            "chmod +x",
        ),
        (
            "crlf.sh",
            b"#!/bin/sh\r\necho '{}'\r\n",
            0o755,
            "spawn_failed",
            "dos2unix",
        ),
        (
            "crlf_env.sh",
            b"#!/usr/bin/env sh\r\necho '{}'\r\n",
            0o755,
            "exit_status",
            "dos2unix",
        ),
        (
            "plain.sh",
            b"echo '{}'\n",
            0o755,
            "spawn_failed",
            "has no #! line",
        ),
        (
            "interp.py",
            b"#!/nonexistent/python9\nprint(1)\n",
            0o755,
            "spawn_failed",
            "interpreter `/nonexistent/python9`",
        ),
    ];
    for (name, body, mode, kind, needle) in cases {
        let path = script_file(dir.path(), name, body, mode);
        let (code, report) = check_json(&[&path]);
        assert_eq!(code, 1, "{name}: {report:#}");
        let f = finding(&report, kind, None, needle);
        assert_eq!(f["severity"], "error", "{name}");
        assert_eq!(f["phase"], "config", "{name}");
    }
}

#[test]
fn a_file_with_several_defects_gets_all_of_them_in_one_finding() {
    let dir = tempfile::tempdir().unwrap();
    // Not executable, CRLF line endings, and an interpreter that does not exist: chmod +x alone
    // would not make it run.
    let path = script_file(
        dir.path(),
        "probe.py",
        b"#!/nonexistent/python9\r\nprint('{}')\r\n",
        0o644,
    );
    let (code, report) = check_json(&[&path]);
    assert_eq!(code, 1);
    assert_eq!(findings(&report).len(), 1, "{:#}", report["findings"]);
    let f = finding(&report, "spawn_failed", None, "chmod +x");
    let message = f["message"].as_str().unwrap();
    for needle in [
        "the file's mode is 0644, without an execute bit: the file's mode is a cause",
        "(2) its #! line ends in a carriage return",
        "dos2unix",
        "(3) its interpreter `/nonexistent/python9` (from the #! line) does not exist",
    ] {
        assert!(message.contains(needle), "{needle:?} not in {message}");
    }

    let plain = script_file(dir.path(), "plain.sh", b"echo '{}'\n", 0o600);
    let (_, report) = check_json(&[&plain]);
    let message = finding(&report, "spawn_failed", None, "chmod +x")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("(2) it has no #! line and is not a binary"),
        "{message}"
    );
}

#[test]
fn an_empty_description_is_not_a_missing_one() {
    let (_, report) = check_json(&[&fixture("empty_descriptions.sh")]);
    let about_descriptions: Vec<_> = findings(&report)
        .iter()
        .filter(|f| f["message"].as_str().unwrap().contains("description"))
        .collect();
    assert!(about_descriptions.is_empty(), "{about_descriptions:#?}");
    // The one real problem stands out: the bad line, and the metric it leaves unreported.
    finding(&report, "line_invalid", Some(27), "the value is missing");
    assert_eq!(findings(&report).len(), 2, "{:#}", report["findings"]);
}

#[test]
fn ids_shifted_by_one_are_named_and_counted_once_whatever_the_values() {
    let (_, report) = check_json(&[&fixture("shifted_ids.sh")]);
    let undeclared: Vec<_> = findings(&report)
        .iter()
        .filter(|f| f["kind"] == "unknown_metric")
        .collect();
    // M3's value differs between the runs; it is still one problem.
    assert_eq!(undeclared.len(), 1, "{:#}", report["findings"]);
    assert_eq!(undeclared[0]["runs"], serde_json::json!([1, 2]));
    let message = undeclared[0]["message"].as_str().unwrap();
    assert!(
        message.contains(
            "the metric ids look shifted by one: this run printed M1..M3, the configuration declares ids 0..2"
        ),
        "{message}"
    );
}

#[test]
fn two_metrics_with_one_name_and_a_failure_marker_next_to_stderr_are_flagged() {
    let (_, report) = check_json(&[&fixture("same_name_marker.sh")]);
    let f = finding(
        &report,
        "duplicate_name",
        None,
        "metrics 1 and 2 are both named `Requests`",
    );
    assert_eq!(f["severity"], "warning");
    let f = finding(&report, "failure_marker", None, "metric 1 was -1");
    assert_eq!(
        (f["id"].as_i64(), &f["runs"]),
        (Some(1), &serde_json::json!([1, 2]))
    );
    // Metric 2's 0 is no marker.
    assert_eq!(
        findings(&report)
            .iter()
            .filter(|f| f["kind"] == "failure_marker")
            .count(),
        1
    );
}

#[test]
fn a_bad_data_line_has_the_severity_gsp_run_gives_it() {
    let (_, report) = check_json(&["--runs", "1", &fixture("bad_data.sh")]);
    let run = gsp(&[
        "run",
        "--once",
        "--format",
        "jsonl",
        &fixture("bad_data.sh"),
    ]);
    let from_run: Vec<(String, u64, String)> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["type"] == "diagnostic" && r["line"].is_u64())
        .map(|r| {
            (
                r["kind"].as_str().unwrap().to_string(),
                r["line"].as_u64().unwrap(),
                r["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(from_run.len(), 6, "{}", run.stdout);
    for (kind, line, severity) in from_run {
        let f = finding(&report, &kind, Some(line), "");
        assert_eq!(f["severity"], severity.as_str(), "{f:#}");
    }
}

#[test]
fn several_words_are_one_command_line() {
    // `sh SCRIPT` as two words; the script path has a space, which must survive.
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("my scripts");
    std::fs::create_dir(&sub).unwrap();
    std::fs::copy(fixture("good.sh"), sub.join("good.sh")).unwrap();
    let path = sub.join("good.sh");
    let (code, report) = check_json(&["--runs", "2", "--", "sh", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["script"], format!("sh '{}'", path.display()));
}

#[test]
fn usage_errors_exit_2() {
    let none = gsp(&["check"]);
    assert_eq!(none.code, 2, "{}", none.stderr);
    let zero = gsp(&["check", "--runs", "0", &fixture("good.sh")]);
    assert_eq!(zero.code, 2, "{}", zero.stderr);
    let quote = gsp(&["check", "'unclosed"]);
    assert_eq!(quote.code, 2);
    assert!(quote.stderr.contains("unclosed quote"), "{}", quote.stderr);
    assert!(
        quote.stderr.contains("give the command line"),
        "{}",
        quote.stderr
    );
}

/// Runs `gsp check` with stdout on a pseudo-terminal; returns what it printed.
fn check_on_a_terminal(script: &str, no_color: bool) -> String {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two descriptors; the null pointers are allowed.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty");
    // SAFETY: fresh descriptors we own.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gsp"));
    cmd.args(["check", "--runs", "1", script])
        .stdin(Stdio::null())
        .stdout(Stdio::from(slave))
        .stderr(Stdio::null());
    if no_color {
        cmd.env("NO_COLOR", "1");
    } else {
        cmd.env_remove("NO_COLOR");
    }
    let mut child = cmd.spawn().unwrap();
    drop(cmd); // closes our copy of the slave, so reading ends when gsp exits
    let mut reader = std::fs::File::from(master);
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    // A pty master reports EIO once the slave side is closed.
    while let Ok(n) = reader.read(&mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    child.wait().unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn colour_on_a_terminal_unless_no_color() {
    let coloured = check_on_a_terminal(&fixture("fail.sh"), false);
    assert!(coloured.contains("\x1b[1;31merror"), "{coloured:?}");
    let plain = check_on_a_terminal(&fixture("fail.sh"), true);
    assert!(plain.contains("error   data run 1"), "{plain:?}");
    assert!(!plain.contains('\x1b'), "{plain:?}");
}
