//! The report as text (for a terminal or a log) and as JSON (`--json`).

use std::time::Duration;

use gsp::{RunCost, Severity};
use serde_json::{json, Value};

use super::{Finding, Report};

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// Where a finding is, for the text report: the configuration's line, column and path, or the
/// data runs.
fn where_of(f: &Finding) -> String {
    let runs = match f.runs.as_slice() {
        [] => String::new(),
        [one] => format!("data run {one}"),
        many => format!(
            "data runs {}",
            many.iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    match (f.config, f.line, runs.is_empty()) {
        (true, Some(n), _) => match (f.column, &f.path) {
            (Some(c), Some(p)) => format!("configuration line {n}:{c} ({p})"),
            (Some(c), None) => format!("configuration line {n}:{c}"),
            _ => format!("configuration line {n}"),
        },
        (true, None, _) => "configuration".into(),
        // The runtime's messages about an output line name the line themselves.
        (false, _, _) => runs,
    }
}

/// The report as the JSON document `--json` prints.
pub fn json_report(r: &Report) -> Value {
    let cost = |c: &Option<RunCost>| match c {
        Some(c) => json!({
            "duration_ms": ms(c.duration),
            "cpu_ms": ms(c.cpu),
            "max_rss_kib": c.max_rss_kib,
        }),
        None => Value::Null,
    };
    let configuration = json!({
        "ok": r.config.is_some(),
        "cost": cost(&r.config_cost),
        "metrics": r.config.as_ref().map(|c| c.metrics.len()),
        "events": r.config.as_ref().map(|c| c.events.len()),
        "period_s": r.config.as_ref().map(|c| c.period_s),
        "maxruntime_ms": r.config.as_ref().map(|c| c.max_runtime_ms),
    });
    let runs: Vec<Value> = r
        .data_runs
        .iter()
        .map(|d| {
            json!({
                "run": d.run,
                "ok": !d.failed && d.errors == 0,
                "failed": d.failed,
                "cost": cost(&d.cost),
                "values": d.values,
                "events": d.events,
            })
        })
        .collect();
    let findings: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            json!({
                "severity": severity_name(f.severity),
                "kind": f.kind,
                "phase": if f.config { "config" } else if f.runs.is_empty() { "script" } else { "data" },
                "runs": f.runs,
                "line": f.line,
                "message": f.message,
                "column": f.column,
                "path": f.path,
                "id": f.id,
            })
        })
        .collect();
    json!({
        "script": r.script,
        "runs_requested": r.runs_requested,
        "configuration": configuration,
        "data_runs": runs,
        "findings": findings,
        "summary": {
            "errors": r.count(Severity::Error),
            "warnings": r.count(Severity::Warning),
            "infos": r.count(Severity::Info),
            "interrupted": r.interrupted,
            "ok": r.exit_code() == 0,
            "exit_code": r.exit_code(),
        },
    })
}

struct Paint(bool);

impl Paint {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "36",
        };
        self.paint(code, &format!("{:<7}", severity_name(s)))
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The report as text, coloured when `colour`.
pub fn text_report(r: &Report, colour: bool) -> String {
    use std::fmt::Write as _;
    let p = Paint(colour);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "gsp check `{}`: configuration and {}\n",
        r.script,
        plural(r.runs_requested as usize, "data run", "data runs")
    );
    let took = |c: &Option<RunCost>| {
        c.map(|c| format!(", {:.1} ms", ms(c.duration)))
            .unwrap_or_default()
    };
    match &r.config {
        Some(c) => {
            let _ = writeln!(
                out,
                "  configuration  {}{}: {}, {}; period {} s, maxruntime {} ms",
                p.paint("32", "ok"),
                took(&r.config_cost),
                plural(c.metrics.len(), "metric", "metrics"),
                plural(c.events.len(), "event", "events"),
                c.period_s,
                c.max_runtime_ms
            );
        }
        None if r.interrupted => {
            let _ = writeln!(out, "  configuration  {}", p.paint("1;31", "interrupted"));
        }
        None => {
            let _ = writeln!(
                out,
                "  configuration  {}{}: no data runs were made",
                p.paint("1;31", "failed"),
                took(&r.config_cost)
            );
        }
    }
    for d in &r.data_runs {
        let _ = writeln!(
            out,
            "  data run {:<5} {}{}: {}, {}",
            d.run,
            match (d.failed, d.errors) {
                (true, _) => p.paint("1;31", "failed"),
                (false, 0) => p.paint("32", "ok"),
                (false, n) => p.paint("1;31", &plural(n, "error", "errors")),
            },
            took(&d.cost),
            plural(d.values, "value", "values"),
            plural(d.events, "event", "events"),
        );
    }
    if r.interrupted && r.config.is_some() {
        let _ = writeln!(out, "  {}", p.paint("1;31", "interrupted"));
    }
    if !r.findings.is_empty() {
        out.push('\n');
    }
    for f in &r.findings {
        let place = where_of(f);
        let place = if place.is_empty() {
            String::new()
        } else {
            format!("{place}: ")
        };
        let _ = writeln!(out, "{} {place}{}", p.severity(f.severity), f.message);
    }
    let errors = r.count(Severity::Error);
    let warnings = r.count(Severity::Warning);
    let verdict = if r.exit_code() == 0 {
        p.paint("1;32", "passed")
    } else {
        p.paint("1;31", "failed")
    };
    let _ = writeln!(
        out,
        "\n{verdict}: {}, {}",
        plural(errors, "error", "errors"),
        plural(warnings, "warning", "warnings")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_and_colours() {
        let f = Finding {
            runs: vec![1, 2],
            line: Some(2),
            ..Finding::new(Severity::Warning, "line_invalid", "x".into())
        };
        assert_eq!(where_of(&f), "data runs 1, 2");
        let c = Finding {
            config: true,
            line: Some(5),
            column: Some(7),
            path: Some("metrics[0].datatype".into()),
            ..Finding::new(Severity::Warning, "invalid_value", "x".into())
        };
        assert_eq!(where_of(&c), "configuration line 5:7 (metrics[0].datatype)");
        assert_eq!(Paint(false).paint("31", "x"), "x");
        assert_eq!(Paint(true).paint("31", "x"), "\x1b[31mx\x1b[0m");
    }
}
