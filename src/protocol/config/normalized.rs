//! The effective configuration as compact JSON ([`ScriptConfig::json`](super::ScriptConfig)),
//! written directly: no JSON tree of a possibly huge configuration is built.

use super::declarations::{EventDef, MetricDef};

/// The effective configuration as compact JSON, written directly (no JSON tree of a possibly
/// huge configuration is built).
pub(super) fn normalized_json(
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
