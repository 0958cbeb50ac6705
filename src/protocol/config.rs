//! Configuration mode (`-c`): the whole stdout is one JSON document describing metrics and events.
//!
//! Parsing is lenient in the ways real scripts need (PROTOCOL-NOTES.md): any key order, optional
//! fields, ids as numbers or numeric strings, known datatype typos. Every default applied, value
//! clamped or entry skipped becomes a [`ConfigNote`] so nothing changes silently.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::protocol::document::{self, ReadError};

use crate::abi::abi_enum;
use crate::diagnostic::{DiagnosticKind, Severity};

/// Default period (seconds) when a configuration gives none: the protocol's "every minute".
pub const DEFAULT_PERIOD_S: u32 = 60;

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

abi_enum! {
    /// A metric's declared data type; the original string is kept beside it (`datatype_name`).
    #[c_name = "gsp_datatype"]
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Datatype {
        /// Missing or not a known name.
        Unknown = 0 => "GSP_DATATYPE_UNKNOWN",
        /// `DOUBLE`.
        Double = 1 => "GSP_DATATYPE_DOUBLE",
        /// `GAUGE`, and the vendor's own typo `GUAGE`.
        Gauge = 2 => "GSP_DATATYPE_GAUGE",
        /// `COUNT`.
        Count = 3 => "GSP_DATATYPE_COUNT",
        /// `COUNTER`: a decrease is a reset for `Difference`.
        Counter = 4 => "GSP_DATATYPE_COUNTER",
        /// `LONG`.
        Long = 5 => "GSP_DATATYPE_LONG",
        /// `HISTOGRAM`.
        Histogram = 6 => "GSP_DATATYPE_HISTOGRAM",
        /// `BINARY`.
        Binary = 7 => "GSP_DATATYPE_BINARY",
    }
}

impl Datatype {
    fn from_name(name: &str) -> Option<Datatype> {
        Some(match name.trim().to_ascii_uppercase().as_str() {
            "DOUBLE" => Datatype::Double,
            "GAUGE" | "GUAGE" => Datatype::Gauge,
            "COUNT" => Datatype::Count,
            "COUNTER" => Datatype::Counter,
            "LONG" => Datatype::Long,
            "HISTOGRAM" => Datatype::Histogram,
            "BINARY" => Datatype::Binary,
            _ => return None,
        })
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Datatype::Unknown => "UNKNOWN",
            Datatype::Double => "DOUBLE",
            Datatype::Gauge => "GAUGE",
            Datatype::Count => "COUNT",
            Datatype::Counter => "COUNTER",
            Datatype::Long => "LONG",
            Datatype::Histogram => "HISTOGRAM",
            Datatype::Binary => "BINARY",
        }
    }
}

abi_enum! {
    /// The calculation applied to a metric's values.
    #[c_name = "gsp_calctype"]
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Calctype {
        /// The value as printed (also the default).
        Instant = 0 => "GSP_CALCTYPE_INSTANT",
        /// Current minus previous value of the same series; the first value gives none.
        Difference = 1 => "GSP_CALCTYPE_DIFFERENCE",
        /// From older protocol pages; one value per run, so delivered as printed.
        Average = 2 => "GSP_CALCTYPE_AVERAGE",
    }
}

impl Calctype {
    fn from_name(name: &str) -> Option<Calctype> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "instant" => Calctype::Instant,
            "difference" => Calctype::Difference,
            "average" => Calctype::Average,
            _ => return None,
        })
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Calctype::Instant => "Instant",
            Calctype::Difference => "Difference",
            Calctype::Average => "Average",
        }
    }
}

/// A declared dimension of a metric (ids are per metric).
#[derive(Debug, Clone, PartialEq)]
pub struct DimensionDef {
    /// Id used in data lines (`"<id>:<value>"`).
    pub id: i64,
    /// Declared name (shared by every record that carries it).
    pub name: Arc<str>,
}

/// A declared metric.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricDef {
    /// Id used in data lines (`M<id>`).
    pub id: i64,
    /// Name (shared by every record that carries it).
    pub name: Arc<str>,
    /// Description.
    pub description: String,
    /// Comma-separated groups, nested with `/`.
    pub groups: String,
    /// Unit.
    pub unit: String,
    /// Tags.
    pub tags: String,
    /// Data type.
    pub datatype: Datatype,
    /// The datatype string as the script printed it (empty when missing).
    pub datatype_name: String,
    /// Calculation.
    pub calctype: Calctype,
    /// Declared dimensions.
    pub dimensions: Vec<DimensionDef>,
    /// Position of each dimension id, so checking a data line is linear in its length.
    dimension_index: IdMap,
}

impl MetricDef {
    /// The declared dimension with this id.
    pub fn dimension(&self, id: i64) -> Option<&DimensionDef> {
        self.dimension_index.get(&id).map(|&i| &self.dimensions[i])
    }
}

/// A declared event attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeDef {
    /// Name (the key in the event's attribute JSON).
    pub name: String,
    /// Type, as declared (`integer`, `string`, ...).
    pub kind: String,
    /// Unit (empty when missing).
    pub unit: String,
}

/// A declared event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDef {
    /// Id used in data lines (`E<id>`).
    pub id: i64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Attribute descriptions.
    pub attributes: Vec<AttributeDef>,
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

/// Something the parser changed or skipped; becomes a diagnostic.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigNote {
    /// How serious.
    pub severity: Severity,
    /// `ValueClamped` for defaults and clamps, `ConfigInvalid` for skipped entries.
    pub kind: DiagnosticKind,
    /// What was done and why.
    pub message: String,
}

/// Why a configuration document was rejected as a whole.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    /// The reason, with line, column and an excerpt for JSON syntax errors.
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parses configuration-mode output.
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
        return Err(ConfigError {
            message: "configuration output is empty; `-c` must print one JSON document".into(),
        });
    }
    // Parts the reader skips unread (unknown keys) must be valid UTF-8 too.
    if let Err(e) = std::str::from_utf8(text) {
        let before = &text[..e.valid_up_to()];
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
        return Err(ConfigError {
            message: format!(
                "configuration is not valid JSON at line {line}, column {column}: invalid UTF-8; line: {excerpt}"
            ),
        });
    }
    let mut doc = Collected::default();
    document::read(text, &mut doc, cancel).map_err(|e| match e {
        ReadError::Syntax(e) => json_error(text, &e),
        ReadError::NotAnObject(what) => ConfigError {
            message: format!("configuration must be a JSON object, got {what}"),
        },
        ReadError::NotAnArray(key, what) => ConfigError {
            message: format!("`{key}` must be an array, got {what}"),
        },
        ReadError::Cancelled => ConfigError {
            message: "reading the configuration was cancelled: the runtime is shutting down".into(),
        },
    })?;
    let mut notes = Vec::new();
    let max_runtime_ms = effective_max_runtime(doc.maxruntime.as_ref(), limits, &mut notes);
    let period_s = effective_period(doc.period.as_ref(), limits, &mut notes);
    notes.append(&mut doc.metrics.notes);
    notes.append(&mut doc.events.notes);
    let (metrics, events) = (doc.metrics.items, doc.events.items);
    let json = normalized_json(period_s, max_runtime_ms, &metrics, &events);
    Ok((
        ScriptConfig {
            period_s,
            max_runtime_ms,
            metric_index: index_of(&metrics),
            event_index: index_of(&events),
            metrics,
            events,
            json,
        },
        notes,
    ))
}

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
            self.notes.push(skip_note(format!(
                "{key}[{i}] is {}, not an object; skipped",
                type_name(&item)
            )));
            return;
        };
        let Some(entry) = parse(i, &obj, &mut self.notes) else {
            return;
        };
        if !self.seen.insert(entry.id()) {
            self.notes.push(skip_note(format!(
                "{key}[{i}] repeats id {}; the first declaration is used",
                entry.id()
            )));
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

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// An integer the way configurations give one: a number without a fraction, or a numeric
/// string (scripts print both). Shared with `gsp check`, which reads fields the same way.
pub fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Text from a string, a number, or an array of strings (joined with commas).
fn as_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| as_text(Some(i)))
            .collect::<Vec<_>>()
            .join(","),
        Some(other) => other.to_string(),
    }
}

fn clamp_note(message: String) -> ConfigNote {
    ConfigNote {
        severity: Severity::Warning,
        kind: DiagnosticKind::ValueClamped,
        message,
    }
}

fn effective_max_runtime(
    v: Option<&Value>,
    limits: ConfigLimits,
    notes: &mut Vec<ConfigNote>,
) -> u32 {
    let cap = limits.max_runtime_ms;
    match v.filter(|v| !v.is_null()).map(|v| (v, as_int(v))) {
        None => {
            notes.push(ConfigNote {
                severity: Severity::Info,
                kind: DiagnosticKind::ValueClamped,
                message: format!("maxruntime is missing; using {cap} ms"),
            });
            cap
        }
        Some((raw, None)) => {
            notes.push(clamp_note(format!(
                "maxruntime {raw} is not an integer number of milliseconds; using {cap} ms"
            )));
            cap
        }
        Some((_, Some(ms))) if ms <= 0 => {
            notes.push(clamp_note(format!(
                "maxruntime {ms} ms is not positive; using {cap} ms"
            )));
            cap
        }
        Some((_, Some(ms))) if ms > i64::from(cap) => {
            notes.push(clamp_note(format!(
                "maxruntime {ms} ms is above the maximum; lowered to {cap} ms"
            )));
            cap
        }
        Some((_, Some(ms))) => ms as u32,
    }
}

fn effective_period(v: Option<&Value>, limits: ConfigLimits, notes: &mut Vec<ConfigNote>) -> u32 {
    let min = limits.min_period_s.max(1);
    let default = DEFAULT_PERIOD_S.max(min);
    match v.filter(|v| !v.is_null()).map(|v| (v, as_int(v))) {
        None => default,
        Some((raw, None)) => {
            notes.push(clamp_note(format!(
                "period {raw} is not an integer number of seconds; using {default} s"
            )));
            default
        }
        Some((_, Some(s))) if s < i64::from(min) => {
            notes.push(clamp_note(format!(
                "period {s} s is below the minimum; raised to {min} s"
            )));
            min
        }
        Some((_, Some(s))) => s.min(i64::from(u32::MAX)) as u32,
    }
}

/// Parses entry `i` of an array, or skips it with a note.
type EntryParser<T> = fn(usize, &Map<String, Value>, &mut Vec<ConfigNote>) -> Option<T>;

fn skip_note(message: String) -> ConfigNote {
    ConfigNote {
        severity: Severity::Warning,
        kind: DiagnosticKind::ConfigInvalid,
        message,
    }
}

trait HasId {
    fn id(&self) -> i64;
}

/// Ids to positions, hashed with a multiply-shift hash: ids are small integers chosen by script
/// authors, and the map is looked up once per data line, where SipHash showed in profiles.
type IdMap = HashMap<i64, usize, BuildHasherDefault<IdHasher>>;

/// Multiply-shift hashing of an `i64` id.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_i64(&mut self, id: i64) {
        self.0 = (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Position of each id (ids are unique: duplicates were skipped while parsing).
fn index_of<T: HasId>(items: &[T]) -> IdMap {
    items.iter().enumerate().map(|(i, x)| (x.id(), i)).collect()
}

impl HasId for DimensionDef {
    fn id(&self) -> i64 {
        self.id
    }
}

impl HasId for MetricDef {
    fn id(&self) -> i64 {
        self.id
    }
}

impl HasId for EventDef {
    fn id(&self) -> i64 {
        self.id
    }
}

fn entry_id(
    what: &str,
    i: usize,
    obj: &Map<String, Value>,
    notes: &mut Vec<ConfigNote>,
) -> Option<i64> {
    let id = obj.get("id").and_then(as_int);
    if id.is_none() {
        notes.push(skip_note(format!(
            "{what}[{i}] has no integer `id`; skipped"
        )));
    }
    id
}

fn parse_metric(
    i: usize,
    obj: &Map<String, Value>,
    notes: &mut Vec<ConfigNote>,
) -> Option<MetricDef> {
    let id = entry_id("metrics", i, obj, notes)?;
    let datatype_name = as_text(obj.get("datatype"));
    let datatype = match Datatype::from_name(&datatype_name) {
        Some(d) => d,
        None if datatype_name.trim().is_empty() => {
            notes.push(ConfigNote {
                severity: Severity::Info,
                kind: DiagnosticKind::ValueClamped,
                message: format!("metric {id}: datatype is missing; kept as UNKNOWN"),
            });
            Datatype::Unknown
        }
        None => {
            notes.push(ConfigNote {
                severity: Severity::Warning,
                kind: DiagnosticKind::ValueClamped,
                message: format!(
                    "metric {id}: datatype `{datatype_name}` is not one of DOUBLE, GAUGE, COUNT, COUNTER, LONG, HISTOGRAM, BINARY; kept as UNKNOWN"
                ),
            });
            Datatype::Unknown
        }
    };
    let calctype_name = as_text(obj.get("calctype"));
    let calctype = if calctype_name.trim().is_empty() {
        Calctype::Instant
    } else {
        Calctype::from_name(&calctype_name).unwrap_or_else(|| {
            notes.push(clamp_note(format!(
                "metric {id}: calctype `{calctype_name}` is not Instant, Difference or Average; using Instant"
            )));
            Calctype::Instant
        })
    };
    let mut dimensions: Vec<DimensionDef> = Vec::new();
    let mut seen = HashSet::new();
    if let Some(Value::Array(dims)) = obj.get("dimensions") {
        for (j, d) in dims.iter().enumerate() {
            let Some(did) = d.get("id").and_then(as_int) else {
                notes.push(skip_note(format!(
                    "metric {id}: dimensions[{j}] has no integer `id`; skipped"
                )));
                continue;
            };
            if !seen.insert(did) {
                notes.push(skip_note(format!(
                    "metric {id}: dimension id {did} is declared twice; the first is used"
                )));
                continue;
            }
            dimensions.push(DimensionDef {
                id: did,
                name: as_text(d.get("name")).into(),
            });
        }
    }
    Some(MetricDef {
        id,
        name: as_text(obj.get("name")).into(),
        description: as_text(obj.get("description")),
        groups: as_text(obj.get("groups")),
        unit: as_text(obj.get("unit")),
        tags: as_text(obj.get("tags")),
        datatype,
        datatype_name,
        calctype,
        dimension_index: index_of(&dimensions),
        dimensions,
    })
}

fn parse_event(
    i: usize,
    obj: &Map<String, Value>,
    notes: &mut Vec<ConfigNote>,
) -> Option<EventDef> {
    let id = entry_id("events", i, obj, notes)?;
    let attributes = match obj.get("attributeDescriptions") {
        Some(Value::Array(attrs)) => attrs
            .iter()
            .map(|a| AttributeDef {
                name: as_text(a.get("name")),
                kind: as_text(a.get("type")),
                unit: as_text(a.get("unit")),
            })
            .collect(),
        _ => Vec::new(),
    };
    Some(EventDef {
        id,
        name: as_text(obj.get("name")),
        description: as_text(obj.get("description")),
        attributes,
    })
}

/// The effective configuration as compact JSON, written directly (no JSON tree of a possibly
/// huge configuration is built).
fn normalized_json(
    period_s: u32,
    max_runtime_ms: u32,
    metrics: &[MetricDef],
    events: &[EventDef],
) -> String {
    let mut out = String::with_capacity(128 + metrics.len() * 200 + events.len() * 100);
    out.push_str(&format!(
        r#"{{"period":{period_s},"maxruntime":{max_runtime_ms},"metrics":["#
    ));
    for (i, m) in metrics.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(r#"{{"id":{},"name":"#, m.id));
        push_json_str(&mut out, &m.name);
        for (key, value) in [
            ("description", m.description.as_str()),
            ("groups", &m.groups),
            ("unit", &m.unit),
            ("tags", &m.tags),
            ("datatype", m.datatype.name()),
            ("datatypeName", &m.datatype_name),
            ("calctype", m.calctype.name()),
        ] {
            out.push_str(&format!(r#","{key}":"#));
            push_json_str(&mut out, value);
        }
        out.push_str(r#","dimensions":["#);
        for (j, d) in m.dimensions.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str(&format!(r#"{{"id":{},"name":"#, d.id));
            push_json_str(&mut out, &d.name);
            out.push('}');
        }
        out.push_str("]}");
    }
    out.push_str(r#"],"events":["#);
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(r#"{{"id":{},"name":"#, e.id));
        push_json_str(&mut out, &e.name);
        out.push_str(r#","description":"#);
        push_json_str(&mut out, &e.description);
        out.push_str(r#","attributeDescriptions":["#);
        for (j, a) in e.attributes.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str(r#"{"name":"#);
            push_json_str(&mut out, &a.name);
            out.push_str(r#","type":"#);
            push_json_str(&mut out, &a.kind);
            out.push_str(r#","unit":"#);
            push_json_str(&mut out, &a.unit);
            out.push('}');
        }
        out.push_str("]}");
    }
    out.push_str("]}");
    out
}

/// Appends `s` as a JSON string literal.
fn push_json_str(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).expect("a string always serializes"));
}
