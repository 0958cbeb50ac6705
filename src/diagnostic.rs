//! What a diagnostic says (its severity and kind, values fixed by the C ABI) and how its text is
//! kept printable and bounded.

use crate::abi::abi_enum;

abi_enum! {
    /// How serious a diagnostic is.
    #[c_name = "gsp_severity"]
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    pub enum Severity {
        /// A notice: a default was applied; nothing is wrong with the data.
        Info = 0 => "GSP_SEVERITY_INFO",
        /// Something was wrong but data still flowed (a bad line, stderr output, a clamp).
        Warning = 1 => "GSP_SEVERITY_WARNING",
        /// A run produced no data (spawn failure, timeout, exit status, invalid configuration).
        Error = 2 => "GSP_SEVERITY_ERROR",
    }
}

abi_enum! {
    /// What a diagnostic is about.
    #[c_name = "gsp_diagnostic_kind"]
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum DiagnosticKind {
        /// The script could not be started; the message names the likely cause (missing file,
        /// no execute bit, bad interpreter).
        SpawnFailed = 1 => "GSP_DIAG_SPAWN_FAILED",
        /// Configuration output was not a usable JSON document, or an entry was skipped.
        ConfigInvalid = 2 => "GSP_DIAG_CONFIG_INVALID",
        /// The configuration run exceeded config_timeout_ms and was killed.
        ConfigTimeout = 3 => "GSP_DIAG_CONFIG_TIMEOUT",
        /// Non-zero exit or death by signal (see exit_code and signal); the output was not parsed.
        ExitStatus = 4 => "GSP_DIAG_EXIT_STATUS",
        /// A data run exceeded maxruntime and was killed; its output was discarded.
        Timeout = 5 => "GSP_DIAG_TIMEOUT",
        /// stdout exceeded max_stdout_bytes; the run was killed and its output discarded.
        OutputTruncated = 6 => "GSP_DIAG_OUTPUT_TRUNCATED",
        /// A data line that does not parse (see line).
        LineInvalid = 7 => "GSP_DIAG_LINE_INVALID",
        /// A metric id the configuration does not declare (see line).
        UnknownMetric = 8 => "GSP_DIAG_UNKNOWN_METRIC",
        /// An event id the configuration does not declare (see line).
        UnknownEvent = 9 => "GSP_DIAG_UNKNOWN_EVENT",
        /// A dimension id the metric does not declare (see line).
        UnknownDimension = 10 => "GSP_DIAG_UNKNOWN_DIMENSION",
        /// A run was due while the previous one was still going; the due run was skipped.
        Overrun = 11 => "GSP_DIAG_OVERRUN",
        /// A configuration value was missing or out of range and was replaced.
        ValueClamped = 12 => "GSP_DIAG_VALUE_CLAMPED",
        /// The record queue was full; the message says how many records were dropped.
        RecordsDropped = 13 => "GSP_DIAG_RECORDS_DROPPED",
        /// The script exited 0 but wrote to stderr (the tail is in the message).
        Stderr = 14 => "GSP_DIAG_STDERR",
        /// A script's exit statuses are lost: the host sets SIGCHLD to SIG_IGN (or SA_NOCLDWAIT),
        /// so the kernel discards them, or reaps children it did not start (waitpid(-1) in a
        /// SIGCHLD handler). gsp then cannot tell failed runs from successful ones and parses
        /// every run's output. Reported once per script.
        SigchldIgnored = 15 => "GSP_DIAG_SIGCHLD_IGNORED",
        /// A script printed more Difference series than max_difference_series: the message says
        /// how many of the series unseen longest were forgotten (their next value gives none).
        SeriesLimit = 16 => "GSP_DIAG_SERIES_LIMIT",
        /// An internal failure on one of gsp's threads (a bug in gsp): the message says what
        /// happened; later calls may fail with an internal error.
        Internal = 17 => "GSP_DIAG_INTERNAL",
    }
}

/// `text` for a message: control characters other than newline and tab (ESC, BEL, CR...) become
/// `?`, so a script's output cannot drive the terminal or the log reader that shows it.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            c if c.is_control() => '?',
            c => c,
        })
        .collect()
}

/// `text` cut to about `max` characters, keeping its start and end around an ellipsis that says
/// how long it was.
pub fn shortened(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    let count = text.chars().count();
    if count <= max {
        return text.into();
    }
    let half = max / 2;
    let head: String = text.chars().take(half).collect();
    let tail: String = text.chars().skip(count - half).collect();
    format!("{head}…({} bytes)…{tail}", text.len()).into()
}

impl DiagnosticKind {
    /// A stable snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            DiagnosticKind::SpawnFailed => "spawn_failed",
            DiagnosticKind::ConfigInvalid => "config_invalid",
            DiagnosticKind::ConfigTimeout => "config_timeout",
            DiagnosticKind::ExitStatus => "exit_status",
            DiagnosticKind::Timeout => "timeout",
            DiagnosticKind::OutputTruncated => "output_truncated",
            DiagnosticKind::LineInvalid => "line_invalid",
            DiagnosticKind::UnknownMetric => "unknown_metric",
            DiagnosticKind::UnknownEvent => "unknown_event",
            DiagnosticKind::UnknownDimension => "unknown_dimension",
            DiagnosticKind::Overrun => "overrun",
            DiagnosticKind::ValueClamped => "value_clamped",
            DiagnosticKind::RecordsDropped => "records_dropped",
            DiagnosticKind::Stderr => "stderr",
            DiagnosticKind::SigchldIgnored => "sigchld_ignored",
            DiagnosticKind::SeriesLimit => "series_limit",
            DiagnosticKind::Internal => "internal",
        }
    }
}
