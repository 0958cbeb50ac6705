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

use crate::names::{dimension_labels, id_part, is_breaking, snake};
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
/// value, where the parser would read it as escaping the separator) becomes `/`. Characters no
/// tag may hold (newlines, tab, NUL and the other [`is_breaking`] ones) become escaped spaces.
pub fn escape_tag(s: &str) -> String {
    let chars: Vec<char> = s
        .chars()
        .map(|c| if is_breaking(c) { ' ' } else { c })
        .collect();
    let mut out = String::with_capacity(s.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        match c {
            ',' | '=' | ' ' => {
                out.push('\\');
                out.push(c);
            }
            '\\' if matches!(chars.get(i + 1), None | Some(',' | '=' | ' ')) => out.push('/'),
            c => out.push(c),
        }
    }
    out
}

/// A string field value in double quotes: backslash and double quote escaped; a newline as the
/// two characters `\n`; other [`is_breaking`] characters (tab, CR, NUL, ...) as spaces.
pub fn string_field(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\\\n"),
            c if is_breaking(c) => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Nanoseconds since the epoch, when they fit line protocol's signed 64-bit timestamp.
fn nanos(value: i64, per_unit: i64) -> Option<i64> {
    value.checked_mul(per_unit)
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
            tags.push((label, d.value));
        }
    }
    push_tags(out, tags);
    let _ = write!(out, " value={}", format_value(m.value));
    // A host clock past 2262 cannot be a timestamp: the receiver stamps the line instead.
    if let Some(ns) = nanos(m.time_ms, 1_000_000) {
        let _ = write!(out, " {ns}");
    }
    out.push('\n');
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
    let _ = write!(
        out,
        " message={},attributes={},end={}i",
        string_field(&e.message),
        string_field(&e.attributes_json),
        e.end_s
    );
    // A start outside the nanosecond range (a script may print any start) is kept as a field,
    // and the receiver stamps the line.
    match nanos(e.start_s, 1_000_000_000) {
        Some(ns) => {
            let _ = writeln!(out, " {ns}");
        }
        None => {
            let _ = writeln!(out, ",start={}i", e.start_s);
        }
    }
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
        // Tab, VT, NUL and CR can neither end a tag nor hide in a field (issue 11, item 18).
        assert_eq!(escape_tag("a\tb\x0bc\0d\re\\\t"), "a\\ b\\ c\\ d\\ e/\\ ");
        assert_eq!(string_field("a\tb\0c\rd\ne"), "\"a b c d\\\\ne\"");
    }

    #[test]
    fn timestamps_outside_the_nanosecond_range() {
        let event = EventRecord {
            script_id: 1,
            event_id: 2,
            event_name: "E".into(),
            start_s: i64::MAX / 1000,
            end_s: i64::MAX / 1000,
            message: "m".into(),
            attributes_json: "{}".into(),
            scope: Scope::Server,
        };
        let mut out = String::new();
        event_line(&mut out, "s", &event);
        assert_eq!(
            out,
            format!(
                "gsp_event,event=E,event_id=2,scope=S,script=s message=\"m\",attributes=\"{{}}\",end={0}i,start={0}i\n",
                i64::MAX / 1000
            )
        );
        out.clear();
        event_line(
            &mut out,
            "s",
            &EventRecord {
                start_s: 1_700_000_000,
                ..event
            },
        );
        assert!(
            out.ends_with("end=9223372036854775i 1700000000000000000\n"),
            "{out}"
        );
    }
}
