//! The `gsp` command follows its ecosystem's conventions (issue 15): unknown options are usage
//! errors with clap's suggestion (exit 2) in every subcommand; `gsp run --once` and `gsp check`
//! exit 1 when a script delivered no data; write errors on stdout or in the textfile directory
//! are reported and fail the command; `--execd` warns when gathers come faster than a script's
//! period; textfile mode logs where it writes and each script's first write.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::fs::File;
use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

mod command;
use command::{command, fixture, gsp, PATIENCE};
use common::finish;

#[test]
fn unknown_options_are_usage_errors_with_a_suggestion() {
    let good = fixture("cli", "good.sh");
    for (args, tip) in [
        (vec!["check", "--run", "3", "--", &good], "'--runs'"),
        (vec!["check", "--jsn", &good], "'--json'"),
        (vec!["run", "--onec", &good], "'--once'"),
        (
            vec!["run", "--once", "--formt", "influx", &good],
            "'--format'",
        ),
        (vec!["--verison"], "'--version'"),
    ] {
        let (code, out, err) = gsp(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(out, "", "{args:?}");
        assert!(err.contains("unexpected argument"), "{args:?}: {err}");
        assert!(
            err.contains(&format!("a similar argument exists: {tip}")),
            "{args:?}: {err}"
        );
    }
    // After the first word (or --), words belong to the script's command line.
    let (code, out, err) = gsp(&["check", "--json", "--runs", "1", "--", "sh", &good, "-v"]);
    assert_ne!(code, 2, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["script"], format!("sh {good} -v"));
}

#[test]
fn run_once_exits_1_when_a_script_delivered_no_data() {
    let tick = fixture("cli", "tick.sh");
    let (code, out, err) = gsp(&["run", "--once", &tick]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"type\":\"metric\""), "{out}");

    // A missing script: its configuration fails. The other script's data is still printed.
    let (code, out, err) = gsp(&["run", "--once", "/nonexistent/gsp-script", &tick]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("\"type\":\"metric\",\"script\":2"), "{out}");
    assert!(
        err.contains("1 of 2 script(s) delivered no data: script 1 `/nonexistent/gsp-script` (configuration failed)"),
        "{err}"
    );

    // A data run that exits non-zero.
    let (code, _, err) = gsp(&["run", "--once", &fixture("cli", "fail.sh")]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("(its data run reported an error)"), "{err}");
}

#[test]
fn check_exits_1_when_the_script_delivers_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("silent.sh");
    std::fs::write(
        &path,
        "#!/bin/sh\nif [ \"$1\" = -c ]; then echo '{\"maxruntime\": 5000, \"period\": 60, \"metrics\": [{\"id\": 1, \"name\": \"x\", \"description\": \"x\", \"datatype\": \"GAUGE\", \"calctype\": \"Instant\"}]}'; fi\n",
    )
    .unwrap();
    let (code, out, err) = gsp(&["check", "--json", "--", "sh", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "no_data" && f["severity"] == "error"),
        "{report:#}"
    );
}

#[test]
fn write_errors_on_stdout_fail_the_command() {
    let full = File::options().write(true).open("/dev/full").unwrap();
    let child = command(&["run", "--once", &fixture("cli", "tick.sh")])
        .stdout(full)
        .spawn()
        .unwrap();
    let (code, _, err) = finish(child, PATIENCE);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("cannot write to stdout (No space left on device"),
        "{err}"
    );
}

/// A reader that stops reading (`gsp run | head`) ends the command quietly with success, as it
/// does for other filters; only other write errors fail it.
#[test]
fn a_reader_that_stops_reading_ends_the_command_quietly() {
    let mut child = command(&[
        "run",
        "--period-override",
        "1",
        "--allow-short-period",
        &fixture("cli", "tick.sh"),
    ])
    .stdout(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    // Read the first line, then close the pipe, as `head -1` does.
    let mut first = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    drop(stdout);
    assert!(first.contains("\"type\""), "{first:?}");
    let (code, _, err) = finish(child, PATIENCE);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("cannot write to stdout"), "{err}");
}

#[test]
fn textfile_mode_logs_where_it_writes_and_fails_on_write_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let tick = fixture("cli", "tick.sh");
    let (code, _, err) = gsp(&["run", "--once", "--textfile", d, &tick]);
    assert_eq!(code, 0, "{err}");
    let stem = format!("gsp_{}", tick.trim_start_matches('/').replace('/', "_"));
    assert!(
        err.contains(&format!("writing node_exporter textfiles to {d}")),
        "{err}"
    );
    assert!(err.contains(&format!("{stem}.prom  <- `{tick}`")), "{err}");
    assert!(
        err.contains(&format!("script 1 `{tick}`: wrote {d}/{stem}.prom")),
        "{err}"
    );

    // The file's name taken by a directory: the rename fails (even for root).
    std::fs::remove_file(dir.path().join(format!("{stem}.prom"))).unwrap();
    std::fs::create_dir(dir.path().join(format!("{stem}.prom"))).unwrap();
    let (code, _, err) = gsp(&["run", "--once", "--textfile", d, &tick]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("cannot write {d}/{stem}.prom")),
        "{err}"
    );
    assert!(err.contains("1 textfile write(s) failed"), "{err}");
}

#[test]
fn execd_warns_when_gathers_come_faster_than_the_period() {
    let tick = fixture("cli", "tick.sh");
    let mut child = command(&["run", "--execd", &tick])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"\n\n").unwrap();
    drop(stdin);
    let (code, _, err) = finish(child, PATIENCE);
    assert_eq!(code, 0, "{err}");
    let warnings: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("more often than its period of 60 s"))
        .collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(
        warnings[0].starts_with(&format!("W! gsp: script 1 `{tick}`: gathers come")),
        "{err}"
    );
    assert!(warnings[0].contains("interval to \"60s\" or more"), "{err}");
}

/// `gsp run --once` ends (with the timeout reported) when a run leaves its process group.
#[test]
fn gsp_run_once_ends_when_a_run_leaves_its_process_group() {
    let child = command(&["run", "--once", &fixture("", "leave_group.py")])
        .spawn()
        .unwrap();
    let (_, out, err) = finish(child, Duration::from_secs(60));
    let text = out + &err;
    assert!(text.contains("maxruntime"), "no timeout reported: {text}");
}
