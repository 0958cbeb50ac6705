//! The records gsp delivers to the host: configurations, metric samples, events and diagnostics.

use std::sync::Arc;

use crate::abi::abi_enum;
pub use crate::diagnostic::{DiagnosticKind, Severity};
use crate::dimensions::Dimensions;
use crate::protocol::config::ScriptConfig;

/// Identifies a registered script. Ids start at 1 and are never reused by a runtime;
/// 0 names the runtime itself in diagnostics.
pub type ScriptId = u64;

/// One item of output, delivered in order per script by [`crate::Runtime::drain`].
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A successful configuration run.
    Config(ConfigRecord),
    /// One metric value from a data run, after its calctype.
    Metric(MetricRecord),
    /// One event from a data run.
    Event(EventRecord),
    /// A problem (or a notice) about a script or the runtime.
    Diagnostic(Diagnostic),
}

impl Record {
    /// The script the record belongs to (0 for runtime-wide diagnostics).
    pub fn script_id(&self) -> ScriptId {
        match self {
            Record::Config(r) => r.script_id,
            Record::Metric(r) => r.script_id,
            Record::Event(r) => r.script_id,
            Record::Diagnostic(r) => r.script_id,
        }
    }
}

/// Delivered after every successful configuration run.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigRecord {
    /// The script.
    pub script_id: ScriptId,
    /// The effective (clamped) configuration.
    pub config: Arc<ScriptConfig>,
}

/// One metric value.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRecord {
    /// The script.
    pub script_id: ScriptId,
    /// The metric id (`M<id>`).
    pub metric_id: i64,
    /// The declared metric name (shared with the configuration).
    pub metric_name: Arc<str>,
    /// The host time (ms) of the tick that started the run.
    pub time_ms: i64,
    /// The value after calctype (a difference for `Difference` metrics).
    pub value: f64,
    /// Dimension values, in the order the line gave them (views into the run's output).
    pub dimensions: Dimensions,
}

abi_enum! {
    /// Whether an event is attached to the server or the application.
    #[c_name = "gsp_scope"]
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Scope {
        /// `S`, and the older form without a scope field.
        Server = 0 => "GSP_SCOPE_SERVER",
        /// `A`.
        Application = 1 => "GSP_SCOPE_APPLICATION",
    }
}

/// One event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    /// The script.
    pub script_id: ScriptId,
    /// The event id (`E<id>`).
    pub event_id: i64,
    /// The declared event name.
    pub event_name: String,
    /// Start, absolute Unix seconds.
    pub start_s: i64,
    /// End, absolute Unix seconds.
    pub end_s: i64,
    /// The message.
    pub message: String,
    /// The attributes as a compact JSON object.
    pub attributes_json: String,
    /// Server or application.
    pub scope: Scope,
}

/// A problem or notice, always with a human-readable message.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// The script (0: the runtime itself).
    pub script_id: ScriptId,
    /// How serious.
    pub severity: Severity,
    /// What about.
    pub kind: DiagnosticKind,
    /// The exit code, where one applies.
    pub exit_code: Option<i32>,
    /// The terminating signal, where one applies.
    pub signal: Option<i32>,
    /// The 1-based output line at fault, where one applies.
    pub line: Option<u64>,
    /// What happened, naming the line and an excerpt where a line is at fault.
    pub message: String,
}

/// Longest diagnostic message, in bytes: a net under the bounds of each part (command lines,
/// paths, stderr tails), so no input makes a message grow without bound.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;

impl Diagnostic {
    /// A diagnostic without exit status or line. Messages longer than [`MAX_MESSAGE_BYTES`] are
    /// cut (marked with `…`).
    pub fn new(
        script_id: ScriptId,
        severity: Severity,
        kind: DiagnosticKind,
        message: impl Into<String>,
    ) -> Self {
        let mut message = message.into();
        if message.len() > MAX_MESSAGE_BYTES {
            let mut end = MAX_MESSAGE_BYTES - 3;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
            message.push('…');
        }
        Diagnostic {
            script_id,
            severity,
            kind,
            exit_code: None,
            signal: None,
            line: None,
            message,
        }
    }
}

impl Record {
    /// The record as one JSON object (the `gsp run` JSON-lines format).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Record::Config(c) => json!({
                "type": "config",
                "script": c.script_id,
                "config": serde_json::from_str::<serde_json::Value>(&c.config.json)
                    .unwrap_or(serde_json::Value::Null),
            }),
            Record::Metric(m) => json!({
                "type": "metric",
                "script": m.script_id,
                "id": m.metric_id,
                "name": &*m.metric_name,
                "time_ms": m.time_ms,
                "value": m.value,
                "dimensions": m.dimensions.iter().map(|d| json!({"id": d.id, "name": d.name, "value": d.value})).collect::<Vec<_>>(),
            }),
            Record::Event(e) => json!({
                "type": "event",
                "script": e.script_id,
                "id": e.event_id,
                "name": e.event_name,
                "start": e.start_s,
                "end": e.end_s,
                "message": e.message,
                "attributes": serde_json::from_str::<serde_json::Value>(&e.attributes_json)
                    .unwrap_or(serde_json::Value::Null),
                "scope": match e.scope { Scope::Server => "S", Scope::Application => "A" },
            }),
            Record::Diagnostic(d) => json!({
                "type": "diagnostic",
                "script": d.script_id,
                "severity": format!("{:?}", d.severity).to_lowercase(),
                "kind": d.kind.name(),
                "exit_code": d.exit_code,
                "signal": d.signal,
                "line": d.line,
                "message": d.message,
            }),
        }
    }
}
