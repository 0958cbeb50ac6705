//! `gsp check`: runs one script's configuration mode and N data runs through the runtime, with
//! the options `gsp run` uses, and reports every problem a script author can fix.
//!
//! The findings are the runtime's own: its diagnostics and the parser's configuration notes
//! (with their JSON paths and positions), at the severity the runtime gives them. `gsp check`
//! adds only what the runtime has no reason to say: why a script file cannot start
//! ([`script_file`]), and advice on the configuration and the delivered data ([`crate::lint`]).
//! Running is in [`runner`], the report's text and JSON in [`render`].

pub(crate) mod finding;
mod render;
mod runner;
mod script_file;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

pub use self::finding::Finding;
use gsp::{Options, RunCost, ScriptConfig, Severity};

/// How a check went, phase by phase.
pub struct Report {
    script: String,
    runs_requested: u32,
    config: Option<Arc<ScriptConfig>>,
    config_cost: Option<RunCost>,
    data_runs: Vec<RunSummary>,
    findings: Vec<Finding>,
    interrupted: bool,
    /// Warnings fail the check too (`--strict`).
    strict: bool,
}

/// One data run in the report.
struct RunSummary {
    run: u32,
    /// The run itself failed (spawn, exit status, timeout, output cap): nothing was parsed.
    failed: bool,
    /// Error findings of the run.
    errors: usize,
    cost: Option<RunCost>,
    values: usize,
    events: usize,
}

impl Report {
    fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    fn exit_code(&self) -> u8 {
        let warnings_fail = self.strict && self.count(Severity::Warning) > 0;
        u8::from(self.count(Severity::Error) > 0 || warnings_fail || self.interrupted)
    }
}

/// The same problem in several data runs becomes one finding listing the runs.
fn merge_repeated(findings: &mut Vec<Finding>) {
    let mut merged: Vec<Finding> = Vec::with_capacity(findings.len());
    for f in findings.drain(..) {
        let same = (!f.runs.is_empty())
            .then(|| {
                merged
                    .iter()
                    .position(|m| !m.runs.is_empty() && m.group() == f.group())
            })
            .flatten();
        match same {
            Some(i) => merged[i].runs.extend(f.runs),
            None => merged.push(f),
        }
    }
    *findings = merged;
}

/// How to check.
pub struct Settings {
    /// Data runs to make.
    pub runs: u32,
    /// Print the JSON report.
    pub json: bool,
    /// Warnings fail the check too.
    pub strict: bool,
}

/// Runs the check with `options` (those of `gsp run`) and prints the report; the exit status
/// is 0 (clean, or warnings only without `strict`), 1 (errors) or 2 (usage).
pub fn check(words: &[String], settings: Settings, options: Options) -> ExitCode {
    // One argument is a command line like `gsp run` takes; several are words.
    let command = match words {
        [one] => one.clone(),
        many => shell_words::join(many),
    };
    let checker = match runner::Checker::start(&command, options) {
        Ok(checker) => checker,
        Err(gsp::Error::InvalidArgument(m)) => {
            eprintln!(
                "gsp check: {m}; give the command line as one quoted argument or as separate words after --"
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("gsp check: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut report = checker.run(settings.runs);
    report.strict = settings.strict;
    let text = if settings.json {
        let mut s = serde_json::to_string_pretty(&render::json_report(&report)).expect("JSON");
        s.push('\n');
        s
    } else {
        render::text_report(&report, use_colour())
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    ExitCode::from(report.exit_code())
}

/// Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org).
fn use_colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_merge_by_place_and_id_not_by_message() {
        let f = |run: u32, line: u64, msg: &str| Finding {
            runs: vec![run],
            line: Some(line),
            ..Finding::new(Severity::Warning, "unknown_metric", msg.into())
        };
        let mut v = vec![f(1, 3, "`M3 17`"), f(1, 4, "`M4 1`"), f(2, 3, "`M3 99`")];
        merge_repeated(&mut v);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].runs, [1, 2]);
        assert_eq!(v[0].message, "`M3 17`");
    }
}
