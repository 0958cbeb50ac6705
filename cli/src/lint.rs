//! Field-level checks of a configuration document for `gsp check`, with line numbers: unknown
//! and repeated keys, missing fields, misspelled datatypes and calctypes, out-of-range values and
//! duplicate ids. The runtime's parser is lenient and reports some of these as notes without a
//! position; each finding here names the note it replaces in `covers`.

use std::collections::HashMap;

use gsp::protocol::config::{as_int, ConfigLimits};
use gsp::Severity;
use serde_json::Value;

use crate::check::Finding;
use crate::jsonpos::{Kind, Member, Node};

const TOP_KEYS: &[&str] = &["maxruntime", "period", "metrics", "events"];
const METRIC_KEYS: &[&str] = &[
    "id",
    "name",
    "description",
    "groups",
    "unit",
    "tags",
    "datatype",
    "calctype",
    "dimensions",
];
const DIMENSION_KEYS: &[&str] = &["id", "name"];
const EVENT_KEYS: &[&str] = &["id", "name", "description", "attributeDescriptions"];
const ATTRIBUTE_KEYS: &[&str] = &["name", "type", "unit"];
const DATATYPES: &[&str] = &[
    "GAUGE",
    "COUNT",
    "COUNTER",
    "DOUBLE",
    "LONG",
    "HISTOGRAM",
    "BINARY",
];
const CALCTYPES: &[&str] = &["Instant", "Difference", "Average"];

/// Checks `doc` (the parsed `-c` output, `text` its source) against the protocol.
pub fn lint(doc: &Node, text: &str, limits: ConfigLimits) -> Vec<Finding> {
    let mut l = Linter {
        lines: text.lines().collect(),
        out: Vec::new(),
    };
    if doc.members().is_some() {
        l.top(doc, limits);
    }
    l.out
}

struct Linter<'a> {
    lines: Vec<&'a str>,
    out: Vec<Finding>,
}

fn scalar(node: &Node) -> Option<&Value> {
    match &node.kind {
        Kind::Scalar(v) => Some(v),
        _ => None,
    }
}

/// The member's value when it is present and not null.
fn present<'n>(node: &'n Node, key: &str) -> Option<&'n Member> {
    node.get(key)
        .filter(|m| !matches!(m.value.kind, Kind::Scalar(Value::Null)))
}

fn text_of(node: &Node) -> Option<&str> {
    match &node.kind {
        Kind::Scalar(Value::String(s)) => Some(s),
        _ => None,
    }
}

fn type_name(node: &Node) -> &'static str {
    match &node.kind {
        Kind::Object(_) | Kind::Scalar(Value::Object(_)) => "an object",
        Kind::Array(_) | Kind::Scalar(Value::Array(_)) => "an array",
        Kind::Scalar(Value::String(_)) => "a string",
        Kind::Scalar(Value::Number(_)) => "a number",
        Kind::Scalar(Value::Bool(_)) => "a boolean",
        Kind::Scalar(Value::Null) => "null",
    }
}

fn compact(node: &Node) -> String {
    let mut s = node.to_value().to_string();
    if s.chars().count() > 40 {
        s = s.chars().take(40).collect::<String>() + "…";
    }
    s
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

/// The known word `word` most likely meant, if any is close.
pub fn suggest<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let w = norm(word);
    if w.is_empty() {
        return None;
    }
    known
        .iter()
        .map(|k| (distance(&w, &norm(k)), *k))
        .filter(|&(d, k)| d == 0 || (d <= 2 && w.len() >= 4 && d < norm(k).len() / 2 + 1))
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k)
}

fn did_you_mean(word: &str, known: &[&str]) -> String {
    suggest(word, known)
        .map(|k| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default()
}

impl Linter<'_> {
    fn push(
        &mut self,
        severity: Severity,
        kind: &'static str,
        line: usize,
        covers: Option<String>,
        message: String,
    ) {
        let excerpt = self.lines.get(line.wrapping_sub(1)).map(|l| {
            let l = l.trim();
            match l.char_indices().nth(100) {
                Some((cut, _)) => format!("{}…", &l[..cut]),
                None => l.to_string(),
            }
        });
        self.out.push(Finding {
            covers,
            excerpt,
            line: Some(line as u64),
            ..Finding::new(severity, kind, message)
        });
    }

    /// Unknown and repeated keys of an object.
    fn keys(&mut self, node: &Node, known: &[&str], what: &str) {
        let Some(members) = node.members() else {
            return;
        };
        for (i, m) in members.iter().enumerate() {
            if let Some(first) = members[..i].iter().find(|p| p.key == m.key) {
                self.push(
                    Severity::Warning,
                    "duplicate_key",
                    m.line,
                    None,
                    format!(
                        "{what} repeats key `{}` (first on line {}); only this last one counts",
                        m.key, first.line
                    ),
                );
            }
            if !known.contains(&m.key.as_str()) {
                let hint = match suggest(&m.key, known) {
                    Some(k) => format!("did you mean `{k}`? As written it is ignored"),
                    None => format!("it is ignored (known keys: {})", known.join(", ")),
                };
                self.push(
                    Severity::Warning,
                    "unknown_key",
                    m.line,
                    None,
                    format!("{what} has an unknown key `{}`: {hint}", m.key),
                );
            }
        }
    }

    fn top(&mut self, doc: &Node, limits: ConfigLimits) {
        self.keys(doc, TOP_KEYS, "the configuration");
        let cap = limits.max_runtime_ms;
        let covers = || Some("maxruntime".to_string());
        match present(doc, "maxruntime") {
            None => self.push(
                Severity::Warning,
                "missing_field",
                doc.line,
                covers(),
                format!(
                    "`maxruntime` is missing, so a data run may take up to {cap} ms before it is killed; declare the milliseconds a run needs (at most {cap})"
                ),
            ),
            Some(m) => match scalar(&m.value).and_then(as_int) {
                None => self.push(
                    Severity::Warning,
                    "value_clamped",
                    m.line,
                    covers(),
                    format!(
                        "`maxruntime` {} is not an integer number of milliseconds; {cap} ms is used",
                        compact(&m.value)
                    ),
                ),
                Some(ms) if ms <= 0 => self.push(
                    Severity::Warning,
                    "value_clamped",
                    m.line,
                    covers(),
                    format!("`maxruntime` {ms} is not positive; {cap} ms is used"),
                ),
                Some(ms) if ms > i64::from(cap) => self.push(
                    Severity::Warning,
                    "value_clamped",
                    m.line,
                    covers(),
                    format!(
                        "`maxruntime` {ms} ms is above the maximum of {cap} ms; it is lowered to {cap} ms"
                    ),
                ),
                Some(_) => {}
            },
        }
        let min = limits.min_period_s;
        let covers = || Some("period".to_string());
        match present(doc, "period") {
            None => self.push(
                Severity::Info,
                "missing_field",
                doc.line,
                covers(),
                "`period` is missing; data runs are every 60 s".into(),
            ),
            Some(m) => match scalar(&m.value).and_then(as_int) {
                None => self.push(
                    Severity::Warning,
                    "value_clamped",
                    m.line,
                    covers(),
                    format!(
                        "`period` {} is not an integer number of seconds; 60 s is used",
                        compact(&m.value)
                    ),
                ),
                Some(s) if s < i64::from(min) => self.push(
                    Severity::Warning,
                    "value_clamped",
                    m.line,
                    covers(),
                    format!(
                        "`period` {s} s is below the minimum of {min} s; it is raised to {min} s"
                    ),
                ),
                Some(_) => {}
            },
        }
        let metrics = present(doc, "metrics");
        let events = present(doc, "events");
        let count = |m: Option<&Member>| match m.map(|m| &m.value.kind) {
            Some(Kind::Array(items)) => items.len(),
            _ => 0,
        };
        if count(metrics) == 0 && count(events) == 0 {
            self.push(
                Severity::Error,
                "nothing_declared",
                doc.line,
                None,
                "the configuration declares no metrics and no events; add a `metrics` array".into(),
            );
        }
        if let Some(Kind::Array(items)) = metrics.map(|m| &m.value.kind) {
            let mut ids: HashMap<i64, usize> = HashMap::new();
            for (i, item) in items.iter().enumerate() {
                if let Some(id) = self.entry_id(item, "metrics", i, &mut ids) {
                    self.metric(item, id);
                }
            }
        }
        if let Some(Kind::Array(items)) = events.map(|m| &m.value.kind) {
            let mut ids: HashMap<i64, usize> = HashMap::new();
            for (i, item) in items.iter().enumerate() {
                if let Some(id) = self.entry_id(item, "events", i, &mut ids) {
                    self.event(item, id);
                }
            }
        }
    }

    /// The id of `key[i]`, reporting a non-object, a missing id or a repeated id. Returns the
    /// id whenever the entry's fields are worth checking (also for a repeated id: the runtime
    /// still reads them).
    fn entry_id(
        &mut self,
        item: &Node,
        key: &str,
        i: usize,
        ids: &mut HashMap<i64, usize>,
    ) -> Option<i64> {
        let subject = format!("{key}[{i}]");
        let what = if key == "metrics" { "metric" } else { "event" };
        if item.members().is_none() {
            self.push(
                Severity::Error,
                "entry_skipped",
                item.line,
                Some(subject.clone()),
                format!(
                    "{subject} is {}, not an object; it is ignored",
                    type_name(item)
                ),
            );
            return None;
        }
        let id_member = present(item, "id");
        let Some(id) = id_member.and_then(|m| scalar(&m.value)).and_then(as_int) else {
            let (line, found) = match id_member {
                Some(m) => (m.line, format!(" (`id` is {})", compact(&m.value))),
                None => (item.line, String::new()),
            };
            self.push(
                Severity::Error,
                "entry_skipped",
                line,
                Some(subject.clone()),
                format!("{subject} has no integer `id`{found}; the {what} is ignored"),
            );
            return None;
        };
        let line = id_member.map_or(item.line, |m| m.line);
        if let Some(first) = ids.get(&id) {
            self.push(
                Severity::Error,
                "duplicate_id",
                line,
                Some(subject),
                format!(
                    "{what} id {id} is declared again (first on line {first}); this declaration is ignored"
                ),
            );
        } else {
            ids.insert(id, line);
        }
        Some(id)
    }

    /// `name` and `description` of a metric or event.
    fn name_and_description(&mut self, item: &Node, who: &str) {
        match present(item, "name") {
            None => self.push(
                Severity::Error,
                "missing_field",
                item.line,
                None,
                format!("{who} has no `name`; add one (it is what the agent shows)"),
            ),
            Some(m) => match text_of(&m.value) {
                Some(s) if s.trim().is_empty() => self.push(
                    Severity::Error,
                    "missing_field",
                    m.line,
                    None,
                    format!("{who} has an empty `name`"),
                ),
                Some(_) => {}
                None => self.push(
                    Severity::Warning,
                    "wrong_type",
                    m.line,
                    None,
                    format!("{who}: `name` is {}, not a string", type_name(&m.value)),
                ),
            },
        }
        if present(item, "description")
            .and_then(|m| text_of(&m.value))
            .is_none_or(|s| s.trim().is_empty())
        {
            let line = item.get("description").map_or(item.line, |m| m.line);
            self.push(
                Severity::Warning,
                "missing_field",
                line,
                None,
                format!(
                    "{who} has no `description`; add one (the agent shows it; gsp uses it as Prometheus HELP)"
                ),
            );
        }
    }

    fn metric(&mut self, item: &Node, id: i64) {
        let who = format!("metric {id}");
        self.keys(item, METRIC_KEYS, &who);
        self.name_and_description(item, &who);
        let covers = Some(format!("metric {id}: datatype"));
        match present(item, "datatype") {
            None => self.push(
                Severity::Error,
                "missing_field",
                item.line,
                covers,
                format!("{who} has no `datatype`; add one of GAUGE, COUNT, COUNTER (or DOUBLE)"),
            ),
            Some(m) => match text_of(&m.value).map(str::trim) {
                None => self.push(
                    Severity::Error,
                    "wrong_type",
                    m.line,
                    covers,
                    format!(
                        "{who}: `datatype` is {}, not a string like \"GAUGE\"",
                        type_name(&m.value)
                    ),
                ),
                Some("") => self.push(
                    Severity::Error,
                    "missing_field",
                    m.line,
                    covers,
                    format!("{who} has an empty `datatype`; use one of GAUGE, COUNT, COUNTER (or DOUBLE)"),
                ),
                Some(s) if s.eq_ignore_ascii_case("GUAGE") => self.push(
                    Severity::Warning,
                    "misspelled_value",
                    m.line,
                    None,
                    format!(
                        "{who}: datatype `{s}` is the misspelling from the vendor's example; gsp reads it as GAUGE, other agents may not: write GAUGE"
                    ),
                ),
                Some(s) if DATATYPES.contains(&s.to_ascii_uppercase().as_str()) => {}
                Some(s) => self.push(
                    Severity::Error,
                    "invalid_value",
                    m.line,
                    covers,
                    format!(
                        "{who}: datatype `{s}` is not a datatype{}; use one of GAUGE, COUNT, COUNTER, DOUBLE, LONG (it is kept as UNKNOWN)",
                        did_you_mean(s, DATATYPES)
                    ),
                ),
            },
        }
        let covers = Some(format!("metric {id}: calctype"));
        match present(item, "calctype") {
            None => self.push(
                Severity::Warning,
                "missing_field",
                item.line,
                covers,
                format!("{who} has no `calctype`; Instant is assumed: add \"calctype\": \"Instant\" (or \"Difference\")"),
            ),
            Some(m) => match text_of(&m.value).map(str::trim) {
                Some("") => self.push(
                    Severity::Warning,
                    "missing_field",
                    m.line,
                    covers,
                    format!("{who} has an empty `calctype`; Instant is assumed"),
                ),
                Some(s) if s.eq_ignore_ascii_case("Average") => self.push(
                    Severity::Info,
                    "legacy_value",
                    m.line,
                    covers,
                    format!("{who}: calctype Average comes from older protocol pages; values are delivered as printed"),
                ),
                Some(s) if CALCTYPES.iter().any(|c| c.eq_ignore_ascii_case(s)) => {}
                found => self.push(
                    Severity::Error,
                    "invalid_value",
                    m.line,
                    covers,
                    format!(
                        "{who}: calctype {} is not Instant, Difference or Average{}; Instant is used",
                        found.map_or_else(|| compact(&m.value), |s| format!("`{s}`")),
                        found.map(|s| did_you_mean(s, CALCTYPES)).unwrap_or_default()
                    ),
                ),
            },
        }
        if let Some(m) = present(item, "dimensions") {
            match &m.value.kind {
                Kind::Array(dims) => self.dimensions(dims, id),
                _ => self.push(
                    Severity::Warning,
                    "wrong_type",
                    m.line,
                    None,
                    format!(
                        "{who}: `dimensions` is {}, not an array; it is ignored",
                        type_name(&m.value)
                    ),
                ),
            }
        }
    }

    fn dimensions(&mut self, dims: &[Node], metric: i64) {
        let mut ids: HashMap<i64, usize> = HashMap::new();
        for (j, d) in dims.iter().enumerate() {
            let subject = format!("metric {metric}: dimensions[{j}]");
            let id_member = present(d, "id");
            let Some(did) = id_member.and_then(|m| scalar(&m.value)).and_then(as_int) else {
                let line = id_member.map_or(d.line, |m| m.line);
                self.push(
                    Severity::Error,
                    "entry_skipped",
                    line,
                    Some(subject.clone()),
                    format!("{subject} has no integer `id`; the dimension is ignored"),
                );
                continue;
            };
            let who = format!("metric {metric}: dimension {did}");
            self.keys(d, DIMENSION_KEYS, &who);
            let line = id_member.map_or(d.line, |m| m.line);
            if let Some(first) = ids.get(&did) {
                self.push(
                    Severity::Error,
                    "duplicate_id",
                    line,
                    Some(format!("metric {metric}: dimension id {did}")),
                    format!(
                        "metric {metric}: dimension id {did} is declared again (first on line {first}); this one is ignored"
                    ),
                );
                continue;
            }
            ids.insert(did, line);
            if present(d, "name")
                .and_then(|m| text_of(&m.value))
                .is_none_or(|s| s.trim().is_empty())
            {
                self.push(
                    Severity::Warning,
                    "missing_field",
                    d.line,
                    None,
                    format!("{who} has no `name`"),
                );
            }
        }
    }

    fn event(&mut self, item: &Node, id: i64) {
        let who = format!("event {id}");
        self.keys(item, EVENT_KEYS, &who);
        self.name_and_description(item, &who);
        let Some(m) = present(item, "attributeDescriptions") else {
            return;
        };
        let Kind::Array(attrs) = &m.value.kind else {
            self.push(
                Severity::Warning,
                "wrong_type",
                m.line,
                None,
                format!(
                    "{who}: `attributeDescriptions` is {}, not an array; it is ignored",
                    type_name(&m.value)
                ),
            );
            return;
        };
        for (k, a) in attrs.iter().enumerate() {
            let what = format!("{who}: attributeDescriptions[{k}]");
            if a.members().is_none() {
                self.push(
                    Severity::Warning,
                    "wrong_type",
                    a.line,
                    None,
                    format!("{what} is {}, not an object", type_name(a)),
                );
                continue;
            }
            self.keys(a, ATTRIBUTE_KEYS, &what);
            for field in ["name", "type"] {
                if present(a, field)
                    .and_then(|m| text_of(&m.value))
                    .is_none_or(|s| s.trim().is_empty())
                {
                    self.push(
                        Severity::Warning,
                        "missing_field",
                        a.line,
                        None,
                        format!("{what} has no `{field}`"),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonpos;

    fn findings(text: &str) -> Vec<(Severity, &'static str, u64, String)> {
        let doc = jsonpos::parse(text).expect("valid JSON");
        lint(&doc, text, ConfigLimits::default())
            .into_iter()
            .map(|f| (f.severity, f.kind, f.line.unwrap(), f.message))
            .collect()
    }

    #[test]
    fn clean_configuration_has_no_findings() {
        let text = r#"{"maxruntime": 5000, "period": 60, "metrics": [
            {"id": 1, "name": "Load", "description": "Load average", "datatype": "DOUBLE",
             "calctype": "Instant", "unit": "", "groups": "", "tags": "",
             "dimensions": [{"id": 1, "name": "cpu"}]}],
          "events": [{"id": 1, "name": "Restart", "description": "Service restarted",
             "attributeDescriptions": [{"name": "Exit code", "type": "integer", "unit": ""}]}]}"#;
        assert_eq!(findings(text), []);
    }

    #[test]
    fn every_field_problem_with_its_line() {
        let text = r#"{
  "maxRuntime": 5000,
  "period": 10,
  "metrics": [
    {"id": 1, "datatype": "GAUGEE", "calctype": "Instnt", "description": "d"},
    {"id": 1, "name": "Twice", "datatype": "GUAGE", "calctype": "Instant", "description": "d"},
    {"name": "No id"},
    {"id": 3, "name": "Dims", "datatype": "COUNTER", "description": "d", "calctype": "Difference",
     "dimensions": [{"id": 1, "name": "a"}, {"id": 1, "name": "b"}, {"name": "c"}]}
  ]
}"#;
        let f = findings(text);
        let has = |kind: &str, line: u64, needle: &str| {
            assert!(
                f.iter()
                    .any(|(_, k, l, m)| *k == kind && *l == line && m.contains(needle)),
                "no {kind} on line {line} containing {needle:?} in {f:#?}"
            )
        };
        has("unknown_key", 2, "did you mean `maxruntime`?");
        has("missing_field", 1, "`maxruntime` is missing");
        has("value_clamped", 3, "raised to 60 s");
        has("missing_field", 5, "metric 1 has no `name`");
        has(
            "invalid_value",
            5,
            "`GAUGEE` is not a datatype (did you mean `GAUGE`?)",
        );
        has(
            "invalid_value",
            5,
            "`Instnt` is not Instant, Difference or Average (did you mean `Instant`?)",
        );
        has(
            "duplicate_id",
            6,
            "metric id 1 is declared again (first on line 5)",
        );
        has("misspelled_value", 6, "write GAUGE");
        has("entry_skipped", 7, "metrics[2] has no integer `id`");
        has("duplicate_id", 9, "dimension id 1 is declared again");
        has(
            "entry_skipped",
            9,
            "metric 3: dimensions[2] has no integer `id`",
        );
        let errors = f.iter().filter(|x| x.0 == Severity::Error).count();
        assert_eq!(errors, 7, "{f:#?}");
    }

    #[test]
    fn nothing_declared_is_an_error() {
        let f = findings(r#"{"maxruntime": 100, "period": 60}"#);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].1, "nothing_declared");
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("dimension", METRIC_KEYS), Some("dimensions"));
        assert_eq!(suggest("max_runtime", TOP_KEYS), Some("maxruntime"));
        assert_eq!(suggest("attributes", EVENT_KEYS), None);
        assert_eq!(suggest("gauge", DATATYPES), Some("GAUGE"));
        assert_eq!(suggest("xyz", DATATYPES), None);
    }
}
