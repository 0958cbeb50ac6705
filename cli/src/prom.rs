//! The Prometheus text exposition format (version 0.0.4) for `gsp run --format prometheus` and
//! `--textfile` (node_exporter's textfile collector reads the same format from `*.prom` files).
//!
//! Naming rule (also in `gsp run --help`): `gsp_` + the metric name in snake_case, then the unit
//! word when the unit is a known one the name lacks (`%` -> `_percent`, `B` -> `_bytes`, ...),
//! then `_total` for a COUNTER delivered as printed. When two metrics of one script get the same
//! name, each gets its id after the snake_case name (`gsp_requests_2_total`); when a metric of a
//! later script gets the name of an earlier script's metric with another HELP or TYPE, it gets
//! `_s<N>` (its position on the command line), because node_exporter rejects a family whose HELP
//! differs between files. Identical metrics of several scripts share one family and differ by the
//! `script` label.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use gsp::{Calctype, Datatype, EventRecord, MetricDef, MetricRecord, Scope, ScriptConfig};

use crate::names::{contains_words, dimension_labels, id_part, is_breaking, snake, unit_word};

/// The label naming the script (its command line) on every series.
pub const SCRIPT_LABEL: &str = "script";

/// A Prometheus metric type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `gauge`.
    Gauge,
    /// `counter`: the family name ends in `_total`.
    Counter,
    /// `untyped`: datatype missing, unknown, HISTOGRAM or BINARY.
    Untyped,
}

impl Kind {
    /// The TYPE keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
            Kind::Untyped => "untyped",
        }
    }
}

/// One metric family: name, HELP and TYPE.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// The metric name.
    pub name: String,
    /// The HELP text (unescaped).
    pub help: String,
    /// The TYPE.
    pub kind: Kind,
    /// Scripts (0-based positions) whose metrics use it; empty for gsp's own families.
    scripts: Vec<usize>,
}

/// Where one declared metric goes: its family and its dimensions' label names.
#[derive(Debug, Clone)]
pub struct MetricNaming {
    /// Index into [`Names::families`].
    pub family: usize,
    /// `(dimension id, label name)` in declaration order.
    pub labels: Vec<(i64, String)>,
}

/// Families for every configured script of one `gsp run`, assigned together so that names are
/// unique and HELP/TYPE agree across all the files written.
#[derive(Debug, Clone)]
pub struct Names {
    /// gsp's own families first, then script metrics' in claim order.
    pub families: Vec<Family>,
    /// Per script (0-based position): metric id -> naming.
    pub metrics: Vec<HashMap<i64, MetricNaming>>,
}

const SUCCESS: usize = 0;
const DURATION: usize = 1;
const EVENTS: usize = 2;
const OWN_FAMILIES: usize = 3;

fn own_families() -> Vec<Family> {
    let own = |name: &str, help: &str| Family {
        name: name.into(),
        help: help.into(),
        kind: Kind::Gauge,
        scripts: Vec::new(),
    };
    vec![
        own(
            "gsp_script_success",
            "1 if the script's last run (a data run, or a failed configuration run) had no error, else 0",
        ),
        own(
            "gsp_script_duration_seconds",
            "Wall time of the script's last data run",
        ),
        own(
            "gsp_event_timestamp_seconds",
            "Events of the script's last data run: start time in Unix seconds; labels carry the event name and id, message, attributes (JSON) and scope (S server, A application)",
        ),
    ]
}

/// The Prometheus type of a metric: COUNTER is a counter unless `Difference` made it a
/// per-period delta.
pub fn kind_of(m: &MetricDef) -> Kind {
    match m.datatype {
        Datatype::Gauge | Datatype::Double | Datatype::Long | Datatype::Count => Kind::Gauge,
        Datatype::Counter if m.calctype == Calctype::Difference => Kind::Gauge,
        Datatype::Counter => Kind::Counter,
        Datatype::Unknown | Datatype::Histogram | Datatype::Binary => Kind::Untyped,
    }
}

/// HELP: `<name>: <description> [<unit>]`, the parts that are present.
pub fn help_of(m: &MetricDef) -> String {
    let mut help = m.name.trim().to_string();
    let description = m.description.trim();
    if !description.is_empty() {
        if !help.is_empty() {
            help.push_str(": ");
        }
        help.push_str(description);
    }
    if !m.unit.trim().is_empty() {
        let _ = write!(help, " [{}]", m.unit.trim());
    }
    if help.is_empty() {
        help = format!("metric {}", m.id);
    }
    help
}

/// The family name from its parts: `gsp_<stem>[_<extra>...][_<unit>][_total]`.
fn compose(stem: &str, extra: &[String], unit: Option<&str>, counter: bool) -> String {
    let mut name = format!("gsp_{stem}");
    for e in extra {
        name.push('_');
        name.push_str(e);
    }
    if let Some(u) = unit.filter(|u| !contains_words(stem, u)) {
        name.push('_');
        name.push_str(u);
    }
    if counter {
        name.push_str("_total");
    }
    name
}

fn stem_of(m: &MetricDef, counter: bool) -> String {
    let mut stem = snake(&m.name);
    if counter {
        // `_total` is added back at the end, after the unit.
        while let Some(s) = stem.strip_suffix("_total") {
            stem = s.to_string();
        }
        if stem == "total" {
            stem.clear();
        }
    }
    if stem.is_empty() {
        stem = format!("metric_{}", id_part(m.id));
    }
    stem
}

impl Names {
    /// Assigns families to every metric of `configs` (one entry per script, in command-line
    /// order; `None` for scripts not configured yet).
    pub fn assign(configs: &[Option<&ScriptConfig>]) -> Names {
        let mut families = own_families();
        let mut by_name: HashMap<String, usize> = families
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.clone(), i))
            .collect();
        let mut metrics = Vec::with_capacity(configs.len());
        for (s, config) in configs.iter().enumerate() {
            let mut map = HashMap::new();
            let Some(config) = config else {
                metrics.push(map);
                continue;
            };
            // Names are compared without `_total`: a counter `x_total` is family `x` to
            // Prometheus parsers, so it clashes with a gauge `x`.
            let plain: Vec<String> = config
                .metrics
                .iter()
                .map(|m| {
                    let counter = kind_of(m) == Kind::Counter;
                    compose(&stem_of(m, counter), &[], unit_word(&m.unit), false)
                })
                .collect();
            for (m, plain_base) in config.metrics.iter().zip(&plain) {
                let kind = kind_of(m);
                let help = help_of(m);
                let counter = kind == Kind::Counter;
                let stem = stem_of(m, counter);
                let unit = unit_word(&m.unit);
                let mut extra = Vec::new();
                if plain.iter().filter(|p| *p == plain_base).count() > 1 {
                    extra.push(id_part(m.id));
                }
                let family = loop {
                    let base = compose(&stem, &extra, unit, false);
                    let name = compose(&stem, &extra, unit, counter);
                    let taken: Vec<usize> = [&base, &name]
                        .iter()
                        .filter_map(|k| by_name.get(*k).copied())
                        .collect();
                    match taken.first() {
                        None => {
                            families.push(Family {
                                name: name.clone(),
                                help: help.clone(),
                                kind,
                                scripts: vec![s],
                            });
                            by_name.insert(base, families.len() - 1);
                            by_name.insert(name, families.len() - 1);
                            break families.len() - 1;
                        }
                        Some(&f)
                            if taken.iter().all(|&t| t == f)
                                && families[f].name == name
                                && f >= OWN_FAMILIES
                                && !families[f].scripts.contains(&s)
                                && families[f].help == help
                                && families[f].kind == kind =>
                        {
                            families[f].scripts.push(s);
                            break f;
                        }
                        Some(_) => {
                            let script_part = format!("s{}", s + 1);
                            if extra.contains(&script_part) {
                                extra.push(id_part(m.id));
                            } else {
                                extra.push(script_part);
                            }
                        }
                    }
                };
                map.insert(
                    m.id,
                    MetricNaming {
                        family,
                        labels: dimension_labels(m, &[SCRIPT_LABEL]),
                    },
                );
            }
            metrics.push(map);
        }
        Names { families, metrics }
    }
}

/// What one script's last run left to expose.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Metric values (after calctype).
    pub metrics: Vec<MetricRecord>,
    /// Events.
    pub events: Vec<EventRecord>,
    /// No error diagnostic during the run.
    pub success: bool,
    /// Wall time of the data run (none for a failed configuration run).
    pub duration: Option<Duration>,
}

/// One script as rendered: its 0-based position, `script` label value and last run.
pub struct ScriptView<'a> {
    /// Position on the command line (0-based), as in [`Names::metrics`].
    pub position: usize,
    /// The `script` label value (the command line).
    pub label: &'a str,
    /// The last run.
    pub snapshot: &'a Snapshot,
}

/// Escapes a label value: backslash, double quote and newline, the only escapes the format has.
/// Other characters a reader could take for a line break (CR, VT, FF, NUL, ...; see
/// [`is_breaking`]) become spaces, so no value can start a line of its own.
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if is_breaking(c) => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Escapes HELP text: backslash and newline; other breaking characters become spaces.
fn escape_help(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if is_breaking(c) => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A sample value as the format spells it.
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else if v == 0.0 || (1e-4..1e15).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// Samples of one family, deduplicated by label set (the last value wins: a series may appear
/// only once per exposition).
#[derive(Default)]
struct Samples {
    lines: Vec<(String, String)>,
    index: HashMap<String, usize>,
}

impl Samples {
    fn put(&mut self, labels: String, value: String) {
        match self.index.get(&labels) {
            Some(&i) => self.lines[i].1 = value,
            None => {
                self.index.insert(labels.clone(), self.lines.len());
                self.lines.push((labels, value));
            }
        }
    }
}

fn label_set(pairs: &[(&str, &str)]) -> String {
    let mut out = String::from("{");
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        if out.len() > 1 {
            out.push(',');
        }
        let _ = write!(out, "{k}=\"{}\"", escape_label(v));
    }
    out.push('}');
    out
}

/// Renders one exposition document for `scripts` (one file's worth, or everything on stdout).
/// Families without samples are left out.
pub fn render(names: &Names, scripts: &[ScriptView<'_>]) -> String {
    let mut samples: Vec<Samples> = names.families.iter().map(|_| Samples::default()).collect();
    for view in scripts {
        let Some(naming) = names.metrics.get(view.position) else {
            continue;
        };
        for m in &view.snapshot.metrics {
            // Records from an older configuration have no naming; they are skipped.
            let Some(n) = naming.get(&m.metric_id) else {
                continue;
            };
            let mut pairs: Vec<(&str, &str)> = vec![(SCRIPT_LABEL, view.label)];
            for (dim_id, label) in &n.labels {
                if let Some(d) = m.dimensions.iter().find(|d| d.id == *dim_id) {
                    pairs.push((label, d.value));
                }
            }
            samples[n.family].put(label_set(&pairs), format_value(m.value));
        }
        for e in &view.snapshot.events {
            let id = e.event_id.to_string();
            let scope = match e.scope {
                Scope::Server => "S",
                Scope::Application => "A",
            };
            let pairs = [
                (SCRIPT_LABEL, view.label),
                ("event", e.event_name.as_str()),
                ("event_id", id.as_str()),
                ("message", e.message.as_str()),
                ("attributes", e.attributes_json.as_str()),
                ("scope", scope),
            ];
            samples[EVENTS].put(label_set(&pairs), e.start_s.to_string());
        }
        let script = label_set(&[(SCRIPT_LABEL, view.label)]);
        samples[SUCCESS].put(script.clone(), u8::from(view.snapshot.success).to_string());
        if let Some(d) = view.snapshot.duration {
            samples[DURATION].put(script, format_value(d.as_secs_f64()));
        }
    }
    let mut out = String::new();
    // Script metrics first, gsp's own families last.
    let order = (OWN_FAMILIES..names.families.len()).chain(0..OWN_FAMILIES);
    for f in order {
        let family = &names.families[f];
        if samples[f].lines.is_empty() {
            continue;
        }
        let _ = writeln!(out, "# HELP {} {}", family.name, escape_help(&family.help));
        let _ = writeln!(out, "# TYPE {} {}", family.name, family.kind.as_str());
        for (labels, value) in &samples[f].lines {
            let labels = if labels == "{}" { "" } else { labels };
            let _ = writeln!(out, "{}{labels} {value}", family.name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A configuration with these metrics: `(id, name, datatype, calctype, unit, description)`.
    fn config(metrics: &[(i64, &str, &str, &str, &str, &str)]) -> ScriptConfig {
        let metrics: Vec<serde_json::Value> = metrics
            .iter()
            .map(|(id, name, datatype, calctype, unit, description)| {
                serde_json::json!({"id": id, "name": name, "datatype": datatype,
                    "calctype": calctype, "unit": unit, "description": description,
                    "dimensions": [{"id": 1, "name": "Interface"}]})
            })
            .collect();
        let doc = serde_json::json!({ "metrics": metrics }).to_string();
        gsp::protocol::config::parse_config(doc.as_bytes(), Default::default())
            .expect("valid")
            .0
    }

    fn family_names(names: &Names, script: usize) -> Vec<(i64, String, &'static str)> {
        let mut v: Vec<_> = names.metrics[script]
            .iter()
            .map(|(id, n)| {
                let f = &names.families[n.family];
                (*id, f.name.clone(), f.kind.as_str())
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn names_types_units_and_collisions() {
        let a = config(&[
            (1, "Disk used", "GAUGE", "Instant", "%", "d"),
            (2, "Bytes received", "COUNTER", "Difference", "B", "d"),
            (3, "Requests total", "COUNTER", "Instant", "", "d"),
            (4, "Requests", "COUNTER", "Instant", "", "d"),
            (5, "Mystery", "", "Instant", "", "d"),
            (6, "script success", "GAUGE", "Instant", "", "d"),
        ]);
        let names = Names::assign(&[Some(&a)]);
        assert_eq!(
            family_names(&names, 0),
            [
                (1, "gsp_disk_used_percent".into(), "gauge"),
                (2, "gsp_bytes_received".into(), "gauge"),
                (3, "gsp_requests_3_total".into(), "counter"),
                (4, "gsp_requests_4_total".into(), "counter"),
                (5, "gsp_mystery".into(), "untyped"),
                (6, "gsp_script_success_s1".into(), "gauge"),
            ]
        );
        assert_eq!(
            names.families[names.metrics[0][&1].family].help,
            "Disk used: d [%]"
        );
    }

    #[test]
    fn scripts_share_identical_families_and_split_different_ones() {
        let a = config(&[(1, "Latency", "GAUGE", "Instant", "ms", "d")]);
        let same = config(&[(7, "Latency", "GAUGE", "Instant", "ms", "d")]);
        let different = config(&[(1, "Latency", "GAUGE", "Instant", "ms", "other")]);
        let names = Names::assign(&[Some(&a), None, Some(&same), Some(&different)]);
        let n = |s: usize, id: i64| names.families[names.metrics[s][&id].family].name.clone();
        assert_eq!(n(0, 1), "gsp_latency_milliseconds");
        assert_eq!(n(2, 7), "gsp_latency_milliseconds");
        assert_eq!(n(3, 1), "gsp_latency_s4_milliseconds");
        assert!(names.metrics[1].is_empty());
    }

    #[test]
    fn a_counter_and_a_gauge_of_one_base_name_clash() {
        // `gsp_hits_total` (counter) is family `gsp_hits` to a parser.
        let counter = config(&[(1, "Hits", "COUNTER", "Instant", "", "d")]);
        let gauge = config(&[(1, "Hits", "GAUGE", "Instant", "", "d")]);
        let names = Names::assign(&[Some(&counter), Some(&gauge)]);
        let n = |s: usize| names.families[names.metrics[s][&1].family].name.clone();
        assert_eq!(
            (n(0), n(1)),
            ("gsp_hits_total".into(), "gsp_hits_s2".into())
        );
        let names = Names::assign(&[Some(&gauge), Some(&counter)]);
        let n = |s: usize| names.families[names.metrics[s][&1].family].name.clone();
        assert_eq!(
            (n(0), n(1)),
            ("gsp_hits".into(), "gsp_hits_s2_total".into())
        );
    }

    #[test]
    fn values_and_escaping() {
        assert_eq!(format_value(8.5), "8.5");
        assert_eq!(format_value(12.0), "12");
        assert_eq!(format_value(5e-7), "5e-7");
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        // Nothing a reader could split a line at, universal newlines included (issue 11, 18).
        assert_eq!(
            escape_label("a\rb\x0bc\x0cd\0e\u{2028}f\tg"),
            "a b c d e f g"
        );
        assert_eq!(escape_help("x\r\n# TYPE y\\"), "x \\n# TYPE y\\\\");
    }
}
