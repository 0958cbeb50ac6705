//! Configuration mode (`-c`): the whole stdout is one JSON document describing metrics and events.
//!
//! Parsing is lenient in the ways real scripts need (PROTOCOL-NOTES.md): any key order, optional
//! fields, ids as numbers or numeric strings, known datatype typos. Every default applied, value
//! clamped or entry skipped becomes a [`ConfigNote`] so nothing changes silently; each note names
//! the JSON path, line and column it is about. These are the only configuration rules: `gsp
//! check` reports the notes rather than restating them.
//!
//! The document is read entry by entry (`document`), each part checked by its rules
//! (`entries`), then walked once more for positions and key advice (`keys`).

mod declarations;
mod entries;
mod keys;
mod normalized;

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;

use serde_json::Value;

use self::declarations::{index_of, HasId, IdMap};
pub use self::declarations::{AttributeDef, Calctype, Datatype, DimensionDef, EventDef, MetricDef};
pub use self::entries::as_int;
use self::entries::{
    effective_max_runtime, effective_period, parse_event, parse_metric, skip_note, type_name,
};
use crate::diagnostic::{DiagnosticKind, Severity};
use crate::protocol::document::{self, ReadError};

/// Default period (seconds) when a configuration gives none: the protocol's "every minute".
pub const DEFAULT_PERIOD_S: u32 = 60;

/// Documents up to this size are walked for note positions and key advice.
const MAX_WALKED_BYTES: usize = 4 << 20;

/// Bounds applied to a configuration (from the runtime options).
#[derive(Debug, Clone, Copy)]
pub struct ConfigLimits {
    /// Upper bound for, and default of, `maxruntime` (ms).
    pub max_runtime_ms: u32,
    /// Lower bound for `period` (s).
    pub min_period_s: u32,
}

impl Default for ConfigLimits {
    fn default() -> Self {
        ConfigLimits {
            max_runtime_ms: 50_000,
            min_period_s: 60,
        }
    }
}

/// A script's effective configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptConfig {
    /// Effective period (s), at least the minimum.
    pub period_s: u32,
    /// Effective maximum runtime of a data run (ms), at most the cap.
    pub max_runtime_ms: u32,
    /// Metrics in declaration order.
    pub metrics: Vec<MetricDef>,
    /// Events in declaration order.
    pub events: Vec<EventDef>,
    /// The normalized configuration as compact JSON.
    pub json: String,
    /// Every note about the document, advice included, with positions (the runtime reports
    /// the first few that are not advice as diagnostics; `gsp check` reports them all).
    pub notes: Vec<ConfigNote>,
    metric_index: IdMap,
    event_index: IdMap,
}

impl ScriptConfig {
    /// The metric with this id (the first one declared, if duplicated).
    pub fn metric(&self, id: i64) -> Option<&MetricDef> {
        self.metric_index.get(&id).map(|&i| &self.metrics[i])
    }

    /// The event with this id.
    pub fn event(&self, id: i64) -> Option<&EventDef> {
        self.event_index.get(&id).map(|&i| &self.events[i])
    }
}
/// Something the parser changed, skipped or advises; the runtime reports the notes that are not
/// advice as diagnostics.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigNote {
    /// How serious.
    pub severity: Severity,
    /// `ValueClamped` for defaults and clamps, `ConfigInvalid` for skipped entries and keys.
    pub kind: DiagnosticKind,
    /// The rule, as a stable snake_case name: `missing_field`, `invalid_value`,
    /// `value_clamped`, `entry_skipped`, `duplicate_id`, `unknown_key`, `duplicate_key`,
    /// `misspelled_value` or `legacy_value`.
    pub rule: &'static str,
    /// What it is about, as a JSON path: `maxruntime`, `metrics[2]`, `metrics[2].datatype`;
    /// empty for the document as a whole. A missing member is named by its entry.
    pub path: String,
    /// The 1-based line of `path` in the output (its key, or the entry's first character);
    /// `None` in documents over 4 MiB, which are not walked for positions.
    pub line: Option<u64>,
    /// The 1-based column (in characters) on `line`.
    pub column: Option<u64>,
    /// Advice for the script's author: nothing was changed or skipped, so the runtime does not
    /// report it.
    pub advice: bool,
    /// What was done and why.
    pub message: String,
}

impl ConfigNote {
    /// A note that is not advice, without a position yet.
    pub(crate) fn new(
        severity: Severity,
        kind: DiagnosticKind,
        rule: &'static str,
        path: &str,
        message: String,
    ) -> ConfigNote {
        ConfigNote {
            severity,
            kind,
            rule,
            path: path.to_string(),
            line: None,
            column: None,
            advice: false,
            message,
        }
    }
}

/// Why a configuration document was rejected as a whole.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    /// The reason, with line, column and an excerpt for JSON syntax errors.
    pub message: String,
    /// The 1-based line at fault, where one is.
    pub line: Option<u64>,
    /// The 1-based column at fault, where one is.
    pub column: Option<u64>,
}

impl ConfigError {
    fn whole(message: String) -> ConfigError {
        ConfigError {
            message,
            line: None,
            column: None,
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parses configuration-mode output. The notes returned beside the configuration are those the
/// runtime reports (advice left out); [`ScriptConfig::notes`] has them all.
pub fn parse_config(
    output: &[u8],
    limits: ConfigLimits,
) -> Result<(ScriptConfig, Vec<ConfigNote>), ConfigError> {
    parse_config_cancellable(output, limits, &AtomicBool::new(false))
}

/// [`parse_config`], giving up (with an error) soon after `cancel` is set. Memory stays
/// proportional to the document: entries are read one at a time.
pub fn parse_config_cancellable(
    output: &[u8],
    limits: ConfigLimits,
    cancel: &AtomicBool,
) -> Result<(ScriptConfig, Vec<ConfigNote>), ConfigError> {
    let text = output.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(output);
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err(ConfigError::whole(
            "configuration output is empty; `-c` must print one JSON document".into(),
        ));
    }
    // Parts the reader skips unread (unknown keys) must be valid UTF-8 too.
    let source = match std::str::from_utf8(text) {
        Ok(s) => s,
        Err(e) => return Err(utf8_error(text, e.valid_up_to())),
    };
    let mut doc = Collected::default();
    document::read(text, &mut doc, cancel).map_err(|e| match e {
        ReadError::Syntax(e) => json_error(text, &e),
        ReadError::NotAnObject(what) => {
            ConfigError::whole(format!("configuration must be a JSON object, got {what}"))
        }
        ReadError::NotAnArray(key, what) => ConfigError {
            line: doc_line(source, key),
            ..ConfigError::whole(format!("`{key}` must be an array, got {what}"))
        },
        ReadError::Cancelled => ConfigError::whole(
            "reading the configuration was cancelled: the runtime is shutting down".into(),
        ),
    })?;
    let mut notes = Vec::new();
    let max_runtime_ms = effective_max_runtime(doc.maxruntime.as_ref(), limits, &mut notes);
    let period_s = effective_period(doc.period.as_ref(), limits, &mut notes);
    notes.append(&mut doc.metrics.notes);
    notes.append(&mut doc.events.notes);
    // Positions and key advice are for authors reading a report; a document far larger than
    // any hand-written configuration is not walked a second time (its notes have no position).
    if source.len() <= MAX_WALKED_BYTES {
        keys::place_notes(source, &mut notes, cancel);
    }
    if cancel.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(ConfigError::whole(
            "reading the configuration was cancelled: the runtime is shutting down".into(),
        ));
    }
    let reported = notes.iter().filter(|n| !n.advice).cloned().collect();
    let (metrics, events) = (doc.metrics.items, doc.events.items);
    let json = normalized::normalized_json(period_s, max_runtime_ms, &metrics, &events);
    Ok((
        ScriptConfig {
            period_s,
            max_runtime_ms,
            metric_index: index_of(&metrics),
            event_index: index_of(&events),
            metrics,
            events,
            json,
            notes,
        },
        reported,
    ))
}

/// The line of the top-level member `key` (for errors about it).
fn doc_line(source: &str, key: &str) -> Option<u64> {
    let mut line = None;
    crate::protocol::positions::walk(source, 1, &AtomicBool::new(false), &mut |p| {
        if p.key == Some(key) {
            line = Some(p.line);
        }
    });
    line
}

fn utf8_error(text: &[u8], valid_up_to: usize) -> ConfigError {
    let before = &text[..valid_up_to];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.len()
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    let excerpt = text
        .split(|&b| b == b'\n')
        .nth(line - 1)
        .map(|l| excerpt(&String::from_utf8_lossy(l)))
        .unwrap_or_default();
    ConfigError {
        message: format!(
            "configuration is not valid JSON at line {line}, column {column}: invalid UTF-8; line: {excerpt}"
        ),
        line: Some(line as u64),
        column: Some(column as u64),
    }
}

/// Parses entry `i` of an array, or skips it with a note.
type EntryParser<T> = fn(usize, &serde_json::Map<String, Value>, &mut Vec<ConfigNote>) -> Option<T>;

/// The document as read: the top-level scalars and the entries, parsed as they arrive.
#[derive(Default)]
struct Collected {
    maxruntime: Option<Value>,
    period: Option<Value>,
    metrics: EntryList<MetricDef>,
    events: EntryList<EventDef>,
}

/// Entries of one array, their ids, and the notes about them.
struct EntryList<T> {
    items: Vec<T>,
    seen: HashSet<i64>,
    notes: Vec<ConfigNote>,
}

impl<T> Default for EntryList<T> {
    fn default() -> Self {
        EntryList {
            items: Vec::new(),
            seen: HashSet::new(),
            notes: Vec::new(),
        }
    }
}

impl<T: HasId> EntryList<T> {
    /// Parses entry `i` of the array `key`, or skips it with a note.
    fn add(&mut self, key: &str, i: usize, item: Value, parse: EntryParser<T>) {
        let Value::Object(obj) = item else {
            self.notes.push(skip_note(
                "entry_skipped",
                format!("{key}[{i}]"),
                format!("{key}[{i}] is {}, not an object; skipped", type_name(&item)),
            ));
            return;
        };
        let Some(entry) = parse(i, &obj, &mut self.notes) else {
            return;
        };
        if !self.seen.insert(entry.id()) {
            self.notes.push(skip_note(
                "duplicate_id",
                format!("{key}[{i}]"),
                format!(
                    "{key}[{i}] repeats id {}; the first declaration is used",
                    entry.id()
                ),
            ));
            return;
        }
        self.items.push(entry);
    }
}

impl document::Sink for Collected {
    fn scalar(&mut self, key: &str, value: Value) {
        match key {
            "maxruntime" => self.maxruntime = Some(value),
            _ => self.period = Some(value),
        }
    }

    fn entry(&mut self, events: bool, index: usize, value: Value) {
        if events {
            self.events.add("events", index, value, parse_event);
        } else {
            self.metrics.add("metrics", index, value, parse_metric);
        }
    }

    fn restart(&mut self, events: bool) {
        if events {
            self.events = EntryList::default();
        } else {
            self.metrics = EntryList::default();
        }
    }
}

fn json_error(text: &[u8], e: &serde_json::Error) -> ConfigError {
    let excerpt = text
        .split(|&b| b == b'\n')
        .nth(e.line().saturating_sub(1))
        .map(|l| excerpt(&String::from_utf8_lossy(l)))
        .unwrap_or_default();
    ConfigError {
        message: format!(
            "configuration is not valid JSON at line {}, column {}: {}; line: {}",
            e.line(),
            e.column(),
            e.classify_message(),
            excerpt
        ),
        line: Some(e.line() as u64),
        column: Some(e.column() as u64),
    }
}
trait ClassifyMessage {
    fn classify_message(&self) -> String;
}

impl ClassifyMessage for serde_json::Error {
    /// serde_json's message without its own " at line X column Y" suffix.
    fn classify_message(&self) -> String {
        let full = self.to_string();
        match full.rfind(" at line ") {
            Some(i) => full[..i].to_string(),
            None => full,
        }
    }
}

/// A short, printable excerpt of a line for diagnostics.
pub fn excerpt(line: &str) -> String {
    const MAX: usize = 80;
    let trimmed = line.trim_end_matches(['\r', '\n']);
    let mut out: String = trimmed
        .chars()
        .take(MAX)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if trimmed.chars().count() > MAX {
        out.push('…');
    }
    format!("`{out}`")
}
