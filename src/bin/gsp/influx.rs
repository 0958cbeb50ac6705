//! InfluxDB line protocol for `gsp run --format influx` and `--execd` (Telegraf's `influx`
//! data format).
//!
//! Rule (also in `gsp run --help`): one line per metric value, measurement `gsp_` + the metric
//! name in snake_case (plus `_<id>` when two metrics of the script share it), tags `script` (the
//! command line) and the declared dimensions (names in snake_case), one float field `value`, and
//! the run's time in nanoseconds. Events go to measurement `gsp_event` with tags `script`,
//! `event`, `event_id`, `scope` and fields `message`, `attributes` (JSON) and `end` (Unix
//! seconds, integer), timestamped with their start.

use std::collections::HashMap;
use std::fmt::Write as _;

use gsp::{EventRecord, MetricRecord, Scope, ScriptConfig};

use crate::names::{dimension_labels, id_part, snake};
use crate::prom::format_value;

/// The tag naming the script (its command line).
pub const SCRIPT_TAG: &str = "script";

/// Measurement and tag names for one script's metrics.
#[derive(Debug, Clone, Default)]
pub struct Measurements {
    by_id: HashMap<i64, (String, Vec<(i64, String)>)>,
}

impl Measurements {
    /// Names every metric of `config`.
    pub fn new(config: &ScriptConfig) -> Measurements {
        let stem = |name: &str, id: i64| {
            let s = snake(name);
            if s.is_empty() {
                format!("gsp_metric_{}", id_part(id))
            } else {
                format!("gsp_{s}")
            }
        };
        let plain: Vec<String> = config.metrics.iter().map(|m| stem(&m.name, m.id)).collect();
        let by_id = config
            .metrics
            .iter()
            .zip(&plain)
            .map(|(m, p)| {
                let mut name = p.clone();
                if plain.iter().filter(|q| *q == p).count() > 1 {
                    let _ = write!(name, "_{}", id_part(m.id));
                }
                (m.id, (name, dimension_labels(m, &[SCRIPT_TAG])))
            })
            .collect();
        Measurements { by_id }
    }
}

/// Escapes a measurement name: comma and space.
fn escape_measurement(s: &str) -> String {
    s.replace(',', "\\,").replace(' ', "\\ ")
}

/// Escapes a tag key or value: comma, equals sign and space get a backslash. Line protocol has
/// no escape for the backslash itself, so one that would precede those characters (or end the
/// value, where the parser would read it as escaping the separator) becomes `/`; newlines, which
/// no tag may contain, become spaces.
pub fn escape_tag(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        match c {
            ',' | '=' | ' ' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push_str("\\ "),
            '\\' if matches!(chars.get(i + 1), None | Some(',' | '=' | ' ' | '\n' | '\r')) => {
                out.push('/')
            }
            c => out.push(c),
        }
    }
    out
}

/// A string field value in double quotes: backslash and double quote escaped; newlines (not
/// allowed in line protocol) as `\n`.
pub fn string_field(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Appends ",k=v" for each tag with a non-empty value (line protocol forbids empty tag values),
/// sorted by key as InfluxDB recommends.
fn push_tags(out: &mut String, mut tags: Vec<(&str, &str)>) {
    tags.retain(|(_, v)| !v.is_empty());
    tags.sort_by(|a, b| a.0.cmp(b.0));
    for (k, v) in tags {
        let _ = write!(out, ",{}={}", escape_tag(k), escape_tag(v));
    }
}

/// Appends the line for a metric value (nothing for a metric the configuration lacks).
pub fn metric_line(out: &mut String, names: &Measurements, script: &str, m: &MetricRecord) {
    let Some((measurement, labels)) = names.by_id.get(&m.metric_id) else {
        return;
    };
    if !m.value.is_finite() {
        return; // line protocol has no NaN or infinity
    }
    out.push_str(&escape_measurement(measurement));
    let mut tags: Vec<(&str, &str)> = vec![(SCRIPT_TAG, script)];
    for (dim_id, label) in labels {
        if let Some(d) = m.dimensions.iter().find(|d| d.id == *dim_id) {
            tags.push((label, &d.value));
        }
    }
    push_tags(out, tags);
    let _ = writeln!(
        out,
        " value={} {}",
        format_value(m.value),
        i128::from(m.time_ms) * 1_000_000
    );
}

/// Appends the `gsp_event` line for an event.
pub fn event_line(out: &mut String, script: &str, e: &EventRecord) {
    out.push_str("gsp_event");
    let id = e.event_id.to_string();
    let scope = match e.scope {
        Scope::Server => "S",
        Scope::Application => "A",
    };
    push_tags(
        out,
        vec![
            (SCRIPT_TAG, script),
            ("event", &e.event_name),
            ("event_id", &id),
            ("scope", scope),
        ],
    );
    let _ = writeln!(
        out,
        " message={},attributes={},end={}i {}",
        string_field(&e.message),
        string_field(&e.attributes_json),
        e.end_s,
        i128::from(e.start_s) * 1_000_000_000
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_tag("a b,c=d"), "a\\ b\\,c\\=d");
        assert_eq!(escape_tag("C:\\"), "C:/");
        assert_eq!(escape_tag("a\\b"), "a\\b");
        assert_eq!(escape_tag("a\\ b"), "a/\\ b");
        assert_eq!(string_field("say \"hi\" \\o/"), "\"say \\\"hi\\\" \\\\o/\"");
    }
}
