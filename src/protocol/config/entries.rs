//! The rules for each part of a configuration: `maxruntime` and `period` against the limits, and
//! each entry of `metrics` and `events`. Every default applied, value replaced or entry skipped
//! becomes a [`ConfigNote`] naming its JSON path; advice that changes nothing is marked as such.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::declarations::{
    index_of, AttributeDef, Calctype, Datatype, DimensionDef, EventDef, MetricDef,
};
use super::{ConfigLimits, ConfigNote, DEFAULT_PERIOD_S};
use crate::diagnostic::{DiagnosticKind, Severity};

/// Datatype names, for suggestions.
const DATATYPES: &[&str] = &[
    "GAUGE",
    "COUNT",
    "COUNTER",
    "DOUBLE",
    "LONG",
    "HISTOGRAM",
    "BINARY",
];
/// Calctype names, for suggestions.
const CALCTYPES: &[&str] = &["Instant", "Difference", "Average"];

pub(super) fn type_name(v: &Value) -> &'static str {
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
/// string (scripts print both).
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

/// Edit distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The known word `word` most likely meant, if one is close (case and punctuation aside).
pub(super) fn suggest<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let w = norm(word);
    if w.is_empty() || w.len() > 64 {
        return None;
    }
    known
        .iter()
        .map(|k| (distance(&w, &norm(k)), *k))
        .filter(|&(d, k)| d == 0 || (d <= 2 && w.len() >= 4 && d < norm(k).len() / 2 + 1))
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k)
}

/// ` (did you mean `X`?)`, or nothing.
fn did_you_mean(word: &str, known: &[&str]) -> String {
    suggest(word, known)
        .map(|k| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default()
}

fn clamp_note(rule: &'static str, path: &str, message: String) -> ConfigNote {
    ConfigNote::new(
        Severity::Warning,
        DiagnosticKind::ValueClamped,
        rule,
        path,
        message,
    )
}

pub(super) fn skip_note(rule: &'static str, path: String, message: String) -> ConfigNote {
    ConfigNote::new(
        Severity::Warning,
        DiagnosticKind::ConfigInvalid,
        rule,
        &path,
        message,
    )
}

/// Advice: nothing was changed, so the runtime does not report it.
fn advice(severity: Severity, rule: &'static str, path: String, message: String) -> ConfigNote {
    ConfigNote {
        advice: true,
        ..ConfigNote::new(severity, DiagnosticKind::ValueClamped, rule, &path, message)
    }
}

pub(super) fn effective_max_runtime(
    v: Option<&Value>,
    limits: ConfigLimits,
    notes: &mut Vec<ConfigNote>,
) -> u32 {
    let cap = limits.max_runtime_ms;
    let path = "maxruntime";
    match v.filter(|v| !v.is_null()).map(|v| (v, as_int(v))) {
        None => {
            notes.push(ConfigNote::new(
                Severity::Info,
                DiagnosticKind::ValueClamped,
                "missing_field",
                "",
                format!("maxruntime is missing; using {cap} ms"),
            ));
            cap
        }
        Some((raw, None)) => {
            notes.push(clamp_note(
                "invalid_value",
                path,
                format!(
                    "maxruntime {raw} is not an integer number of milliseconds; using {cap} ms"
                ),
            ));
            cap
        }
        Some((_, Some(ms))) if ms <= 0 => {
            notes.push(clamp_note(
                "value_clamped",
                path,
                format!("maxruntime {ms} ms is not positive; using {cap} ms"),
            ));
            cap
        }
        Some((_, Some(ms))) if ms > i64::from(cap) => {
            notes.push(clamp_note(
                "value_clamped",
                path,
                format!("maxruntime {ms} ms is above the maximum; lowered to {cap} ms"),
            ));
            cap
        }
        Some((_, Some(ms))) => ms as u32,
    }
}

pub(super) fn effective_period(
    v: Option<&Value>,
    limits: ConfigLimits,
    notes: &mut Vec<ConfigNote>,
) -> u32 {
    let min = limits.min_period_s.max(1);
    let default = DEFAULT_PERIOD_S.max(min);
    let path = "period";
    match v.filter(|v| !v.is_null()).map(|v| (v, as_int(v))) {
        None => {
            notes.push(advice(
                Severity::Info,
                "missing_field",
                String::new(),
                format!("period is missing; data runs are every {default} s"),
            ));
            default
        }
        Some((raw, None)) => {
            notes.push(clamp_note(
                "invalid_value",
                path,
                format!("period {raw} is not an integer number of seconds; using {default} s"),
            ));
            default
        }
        Some((_, Some(s))) if s < i64::from(min) => {
            notes.push(clamp_note(
                "value_clamped",
                path,
                format!("period {s} s is below the minimum; raised to {min} s"),
            ));
            min
        }
        Some((_, Some(s))) => s.min(i64::from(u32::MAX)) as u32,
    }
}

/// The id of entry `i` of `key`, or a note that it is skipped.
fn entry_id(
    key: &str,
    i: usize,
    obj: &Map<String, Value>,
    notes: &mut Vec<ConfigNote>,
) -> Option<i64> {
    let id = obj.get("id").and_then(as_int);
    if id.is_none() {
        let (path, found) = match obj.get("id") {
            Some(v) => (format!("{key}[{i}].id"), format!(" (it is {v})")),
            None => (format!("{key}[{i}]"), String::new()),
        };
        notes.push(skip_note(
            "entry_skipped",
            path,
            format!("{key}[{i}] has no integer `id`{found}; skipped"),
        ));
    }
    id
}

/// Advice on `name` and `description`: a missing or empty name, and a missing description (an
/// empty one is a choice, not an omission).
fn name_and_description(
    at: &str,
    who: &str,
    obj: &Map<String, Value>,
    notes: &mut Vec<ConfigNote>,
) {
    match obj.get("name") {
        None | Some(Value::Null) => notes.push(advice(
            Severity::Warning,
            "missing_field",
            at.to_string(),
            format!("{who} has no `name`; add one (it is what the agent shows)"),
        )),
        Some(Value::String(s)) if s.trim().is_empty() => notes.push(advice(
            Severity::Warning,
            "missing_field",
            format!("{at}.name"),
            format!("{who} has an empty `name`"),
        )),
        Some(_) => {}
    }
    if obj.get("description").is_none() {
        notes.push(advice(
            Severity::Info,
            "missing_field",
            at.to_string(),
            format!(
                "{who} has no `description` (the agent shows it; gsp uses it as Prometheus HELP)"
            ),
        ));
    }
}

fn datatype(at: &str, id: i64, obj: &Map<String, Value>, notes: &mut Vec<ConfigNote>) -> Datatype {
    let name = as_text(obj.get("datatype"));
    let path = format!("{at}.datatype");
    match Datatype::from_name(&name) {
        Some(d) if name.trim().eq_ignore_ascii_case("GUAGE") => {
            notes.push(advice(
                Severity::Warning,
                "misspelled_value",
                path,
                format!(
                    "metric {id}: datatype `{}` is the misspelling from the vendor's example; gsp reads it as GAUGE, other agents may not: write GAUGE",
                    name.trim()
                ),
            ));
            d
        }
        Some(d) => d,
        None if name.trim().is_empty() => {
            let path = if obj.contains_key("datatype") {
                path
            } else {
                at.to_string()
            };
            notes.push(ConfigNote::new(
                Severity::Info,
                DiagnosticKind::ValueClamped,
                "missing_field",
                &path,
                format!("metric {id}: datatype is missing; kept as UNKNOWN (declare GAUGE, COUNT, COUNTER or DOUBLE)"),
            ));
            Datatype::Unknown
        }
        None => {
            notes.push(clamp_note(
                "invalid_value",
                &path,
                format!(
                    "metric {id}: datatype `{name}` is not one of DOUBLE, GAUGE, COUNT, COUNTER, LONG, HISTOGRAM, BINARY{}; kept as UNKNOWN",
                    did_you_mean(&name, DATATYPES)
                ),
            ));
            Datatype::Unknown
        }
    }
}

fn calctype(at: &str, id: i64, obj: &Map<String, Value>, notes: &mut Vec<ConfigNote>) -> Calctype {
    let name = as_text(obj.get("calctype"));
    let path = format!("{at}.calctype");
    if name.trim().is_empty() {
        notes.push(advice(
            Severity::Info,
            "missing_field",
            if obj.contains_key("calctype") {
                path
            } else {
                at.to_string()
            },
            format!("metric {id} has no `calctype`; Instant is assumed"),
        ));
        return Calctype::Instant;
    }
    match Calctype::from_name(&name) {
        Some(Calctype::Average) => {
            notes.push(advice(
                Severity::Info,
                "legacy_value",
                path,
                format!("metric {id}: calctype Average comes from older protocol pages; values are delivered as printed"),
            ));
            Calctype::Average
        }
        Some(c) => c,
        None => {
            notes.push(clamp_note(
                "invalid_value",
                &path,
                format!(
                    "metric {id}: calctype `{name}` is not Instant, Difference or Average{}; using Instant",
                    did_you_mean(&name, CALCTYPES)
                ),
            ));
            Calctype::Instant
        }
    }
}

fn dimensions(
    at: &str,
    id: i64,
    obj: &Map<String, Value>,
    notes: &mut Vec<ConfigNote>,
) -> Vec<DimensionDef> {
    let mut dimensions: Vec<DimensionDef> = Vec::new();
    let mut seen = HashSet::new();
    let Some(Value::Array(dims)) = obj.get("dimensions") else {
        return dimensions;
    };
    for (j, d) in dims.iter().enumerate() {
        let path = format!("{at}.dimensions[{j}]");
        let Some(did) = d.get("id").and_then(as_int) else {
            notes.push(skip_note(
                "entry_skipped",
                path,
                format!("metric {id}: dimensions[{j}] has no integer `id`; skipped"),
            ));
            continue;
        };
        if !seen.insert(did) {
            notes.push(skip_note(
                "duplicate_id",
                path,
                format!("metric {id}: dimension id {did} is declared twice; the first is used"),
            ));
            continue;
        }
        dimensions.push(DimensionDef {
            id: did,
            name: as_text(d.get("name")).into(),
        });
    }
    dimensions
}

/// Entry `i` of `metrics`, or `None` (with a note) when it has no usable id.
pub(super) fn parse_metric(
    i: usize,
    obj: &Map<String, Value>,
    notes: &mut Vec<ConfigNote>,
) -> Option<MetricDef> {
    let id = entry_id("metrics", i, obj, notes)?;
    let at = format!("metrics[{i}]");
    name_and_description(&at, &format!("metric {id}"), obj, notes);
    let datatype_name = as_text(obj.get("datatype"));
    let datatype = datatype(&at, id, obj, notes);
    let calctype = calctype(&at, id, obj, notes);
    let dimensions = dimensions(&at, id, obj, notes);
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

/// Entry `i` of `events`, or `None` (with a note) when it has no usable id.
pub(super) fn parse_event(
    i: usize,
    obj: &Map<String, Value>,
    notes: &mut Vec<ConfigNote>,
) -> Option<EventDef> {
    let id = entry_id("events", i, obj, notes)?;
    name_and_description(&format!("events[{i}]"), &format!("event {id}"), obj, notes);
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
