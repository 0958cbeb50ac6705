//! One problem (or notice) in `gsp check`'s report, and what makes two of them the same.

use gsp::Severity;

/// One problem (or notice) in the report.
#[derive(Debug, Clone)]
pub struct Finding {
    /// Error (fails the check), warning or info.
    pub severity: Severity,
    /// A stable snake_case name: the diagnostic's kind, the configuration rule, or check's own.
    pub kind: &'static str,
    /// Data runs it happened in (empty: the configuration or the script as a whole).
    pub runs: Vec<u32>,
    /// Whether it concerns configuration mode.
    pub config: bool,
    /// The 1-based line of the output at fault.
    pub line: Option<u64>,
    /// The 1-based column on `line`, where known.
    pub column: Option<u64>,
    /// The JSON path in the configuration it is about (`metrics[2].datatype`).
    pub path: Option<String>,
    /// The metric or event id it is about, where it is about one.
    pub id: Option<i64>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl Finding {
    /// A finding without position.
    pub fn new(severity: Severity, kind: &'static str, message: String) -> Finding {
        Finding {
            severity,
            kind,
            runs: Vec::new(),
            config: false,
            line: None,
            column: None,
            path: None,
            id: None,
            message,
        }
    }

    /// What makes two findings the same problem: where it is and what it is about, never the
    /// message, which quotes values that change from run to run.
    pub(super) fn group(&self) -> (bool, &'static str, Option<u64>, Option<&str>, Option<i64>) {
        (
            self.config,
            self.kind,
            self.line,
            self.path.as_deref(),
            self.id,
        )
    }
}
