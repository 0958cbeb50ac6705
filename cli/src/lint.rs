//! Advice for a script's author that the runtime has no reason to give: about the configuration
//! as a whole (nothing declared, two metrics with one name) and about what the data runs
//! delivered (metrics never reported, failure markers). The configuration's field rules are
//! the parser's (its notes, which `gsp check` reports); none is restated here.

use std::collections::{BTreeSet, HashMap};

use gsp::{Calctype, Record, ScriptConfig, Severity};

use crate::check::finding::Finding;

/// A value many probes print when they fail, instead of printing nothing.
const FAILURE_MARKER: f64 = -1.0;

/// Advice on the configuration as a whole.
pub fn configuration(config: &ScriptConfig) -> Vec<Finding> {
    let mut out = Vec::new();
    if config.metrics.is_empty() && config.events.is_empty() {
        out.push(Finding {
            config: true,
            ..Finding::new(
                Severity::Error,
                "nothing_declared",
                "the configuration declares no metrics and no events; add a `metrics` array".into(),
            )
        });
    }
    let mut first: HashMap<&str, i64> = HashMap::new();
    for m in &config.metrics {
        let name = m.name.trim();
        if name.is_empty() {
            continue;
        }
        match first.get(name) {
            Some(&earlier) => out.push(Finding {
                config: true,
                id: Some(m.id),
                ..Finding::new(
                    Severity::Warning,
                    "duplicate_name",
                    format!(
                        "metrics {earlier} and {} are both named `{name}`: agents show them as one metric (gsp's Prometheus and Influx output append the id); give each its own name, or one metric with a dimension",
                        m.id
                    ),
                )
            }),
            None => {
                first.insert(name, m.id);
            }
        }
    }
    out
}

/// Values of one data run that are a probe's failure marker, in a run that also wrote to
/// stderr: the probe most likely failed, and the marker is delivered as a real value.
pub fn failure_markers(config: &ScriptConfig, records: &[Record]) -> Vec<Finding> {
    let stderr = records
        .iter()
        .any(|r| matches!(r, Record::Diagnostic(d) if d.kind == gsp::DiagnosticKind::Stderr));
    if !stderr {
        return Vec::new();
    }
    let mut ids = BTreeSet::new();
    for r in records {
        if let Record::Metric(m) = r {
            let instant = config
                .metric(m.metric_id)
                .is_some_and(|d| d.calctype != Calctype::Difference);
            if instant && m.value == FAILURE_MARKER {
                ids.insert(m.metric_id);
            }
        }
    }
    ids.into_iter()
        .map(|id| Finding {
            id: Some(id),
            ..Finding::new(
                Severity::Warning,
                "failure_marker",
                format!(
                    "metric {id} was -1 in a run that wrote to stderr: many probes print -1 when they fail, and it is delivered as a real value; when the probe fails, print no line for the metric (or exit non-zero)"
                ),
            )
        })
        .collect()
}

/// What the data runs never delivered: declared metrics and events, or anything at all.
pub fn delivery(
    config: &ScriptConfig,
    metrics: &BTreeSet<i64>,
    events: &BTreeSet<i64>,
    runs: u32,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let plural = if runs == 1 { "run" } else { "runs" };
    for m in config.metrics.iter().filter(|m| !metrics.contains(&m.id)) {
        let finding = if m.calctype == Calctype::Difference && runs == 1 {
            Finding::new(
                Severity::Info,
                "not_checked",
                format!(
                    "metric {} ({}) uses Difference, which reports from the second run on; check with --runs 2",
                    m.id, m.name
                ),
            )
        } else {
            let why = if m.calctype == Calctype::Difference {
                " (Difference reports once a series has two values; a COUNTER that went down is a reset)"
            } else {
                ""
            };
            Finding::new(
                Severity::Warning,
                "never_reported",
                format!(
                    "metric {} ({}) is declared but no value of it was delivered in {runs} {plural}{why}; print `M{} <value>` or remove it from the configuration",
                    m.id, m.name, m.id
                ),
            )
        };
        out.push(Finding {
            id: Some(m.id),
            ..finding
        });
    }
    for e in config.events.iter().filter(|e| !events.contains(&e.id)) {
        out.push(Finding {
            id: Some(e.id),
            ..Finding::new(
                Severity::Info,
                "event_not_seen",
                format!(
                    "event {} ({}) did not occur in {runs} {plural} (fine if it is rare)",
                    e.id, e.name
                ),
            )
        });
    }
    // A script that declares metrics but delivers nothing at all fails the check, so the exit
    // status says whether it delivers data (Difference needs a second run first).
    let only_difference = config
        .metrics
        .iter()
        .all(|m| m.calctype == Calctype::Difference);
    if metrics.is_empty()
        && events.is_empty()
        && !config.metrics.is_empty()
        && !(only_difference && runs == 1)
    {
        out.push(Finding::new(
            Severity::Error,
            "no_data",
            format!(
                "no value and no event was delivered in {runs} data {plural}: the script declares {} metric(s) but reports none",
                config.metrics.len()
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use gsp::protocol::config::{parse_config, ConfigLimits};

    fn config(text: &str) -> ScriptConfig {
        parse_config(text.as_bytes(), ConfigLimits::default())
            .unwrap()
            .0
    }

    #[test]
    fn duplicate_names_and_nothing_declared() {
        let c = config(r#"{"metrics": [{"id": 1, "name": "Load"}, {"id": 2, "name": "Load "}]}"#);
        let f = configuration(&c);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].kind, f[0].id), ("duplicate_name", Some(2)));
        assert!(f[0]
            .message
            .contains("metrics 1 and 2 are both named `Load`"));
        assert_eq!(configuration(&config("{}"))[0].kind, "nothing_declared");
    }
}
