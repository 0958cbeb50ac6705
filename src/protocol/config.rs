//! Configuration mode (`-c`): the whole stdout is one JSON document describing metrics and events.
//!
//! Parsing is lenient in the ways real scripts need (PROTOCOL-NOTES.md): any key order, optional
//! fields, ids as numbers or numeric strings, known datatype typos. Every default applied, value
//! clamped or entry skipped becomes a [`ConfigNote`] so nothing changes silently.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::record::{DiagnosticKind, Severity};

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

/// A metric's declared data type. Values are fixed: they are part of the C ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Datatype {
    /// Missing or not a known name; the original string is kept beside it.
    Unknown = 0,
    /// `DOUBLE`.
    Double = 1,
    /// `GAUGE`, and the vendor's own typo `GUAGE`.
    Gauge = 2,
    /// `COUNT`.
    Count = 3,
    /// `COUNTER`: a decrease is a reset for `Difference`.
    Counter = 4,
    /// `LONG`.
    Long = 5,
    /// `HISTOGRAM`.
    Histogram = 6,
    /// `BINARY`.
    Binary = 7,
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

/// The calculation applied to a metric's values. Values are fixed: they are part of the C ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Calctype {
    /// The value as printed (also the default).
    Instant = 0,
    /// Current minus previous value of the same series.
    Difference = 1,
    /// From older protocol pages; one value per run, so delivered as printed.
    Average = 2,
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
    let text = output.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(output);
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err(ConfigError {
            message: "configuration output is empty; `-c` must print one JSON document".into(),
        });
    }
    let doc: Value = serde_json::from_slice(text).map_err(|e| json_error(text, &e))?;
    let Value::Object(top) = doc else {
        return Err(ConfigError {
            message: format!(
                "configuration must be a JSON object, got {}",
                type_name(&doc)
            ),
        });
    };
    let mut notes = Vec::new();
    let max_runtime_ms = effective_max_runtime(top.get("maxruntime"), limits, &mut notes);
    let period_s = effective_period(top.get("period"), limits, &mut notes);
    let metrics = parse_entries(&top, "metrics", &mut notes, parse_metric)?;
    let events = parse_entries(&top, "events", &mut notes, parse_event)?;
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

/// Parses an optional array of entries; a malformed entry is skipped with a note.
fn parse_entries<T>(
    top: &Map<String, Value>,
    key: &str,
    notes: &mut Vec<ConfigNote>,
    parse: EntryParser<T>,
) -> Result<Vec<T>, ConfigError>
where
    T: HasId,
{
    let items = match top.get(key) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(ConfigError {
                message: format!("`{key}` must be an array, got {}", type_name(other)),
            })
        }
    };
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    let mut seen = HashSet::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Value::Object(obj) = item else {
            notes.push(skip_note(format!(
                "{key}[{i}] is {}, not an object; skipped",
                type_name(item)
            )));
            continue;
        };
        let Some(entry) = parse(i, obj, notes) else {
            continue;
        };
        if !seen.insert(entry.id()) {
            notes.push(skip_note(format!(
                "{key}[{i}] repeats id {}; the first declaration is used",
                entry.id()
            )));
            continue;
        }
        out.push(entry);
    }
    Ok(out)
}

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

fn normalized_json(
    period_s: u32,
    max_runtime_ms: u32,
    metrics: &[MetricDef],
    events: &[EventDef],
) -> String {
    let metrics: Vec<Value> = metrics
        .iter()
        .map(|m| {
            json!({
                "id": m.id,
                "name": &*m.name,
                "description": m.description,
                "groups": m.groups,
                "unit": m.unit,
                "tags": m.tags,
                "datatype": m.datatype.name(),
                "datatypeName": m.datatype_name,
                "calctype": m.calctype.name(),
                "dimensions": m.dimensions.iter().map(|d| json!({"id": d.id, "name": &*d.name})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let events: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({
                "id": e.id,
                "name": e.name,
                "description": e.description,
                "attributeDescriptions": e.attributes.iter().map(|a| json!({"name": a.name, "type": a.kind, "unit": a.unit})).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({"period": period_s, "maxruntime": max_runtime_ms, "metrics": metrics, "events": events})
        .to_string()
}
