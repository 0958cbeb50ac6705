//! Parser tests: every line shape and quirk in PROTOCOL-NOTES.md, and every bad-line kind.

use gsp::protocol::config::{parse_config, Calctype, ConfigLimits, Datatype, ScriptConfig};
use gsp::protocol::data::{parse_line, EventLine, Line, MetricLine};
use gsp::protocol::interpret::{interpret, resolve_time};
use gsp::{DiagnosticKind, Scope, Severity};

fn config(text: &str) -> ScriptConfig {
    parse_config(text.as_bytes(), ConfigLimits::default())
        .unwrap_or_else(|e| panic!("config rejected: {e}"))
        .0
}

/// Warnings (not info notes such as a missing datatype).
fn notes(text: &str) -> Vec<String> {
    parse_config(text.as_bytes(), ConfigLimits::default())
        .unwrap()
        .1
        .into_iter()
        .filter(|n| n.severity >= Severity::Warning)
        .map(|n| n.message)
        .collect()
}

fn config_error(text: &[u8]) -> String {
    parse_config(text, ConfigLimits::default())
        .unwrap_err()
        .message
}

const SPEC_EXAMPLE: &str = r#"{
    "maxruntime": 5000,
    "period": 60,
    "metrics": [{
        "id": 1,
        "name": "Incoming traffic on interface",
        "description": "Incoming traffic in bytes on network interface",
        "groups": "Networking/Traffic",
        "unit": "b/s",
        "tags": "NETWORK",
        "datatype": "GUAGE",
        "calctype": "Instant",
        "dimensions": [
            {"id": 1, "name":"interface"}
        ]
    }, {
        "id": 2,
        "name": "Second metric",
        "description": "Description for second metric",
        "groups": "MyMetrics/Category2",
        "unit": "",
        "tags": "MYTAG1,MYTAG2",
        "datatype": "DOUBLE",
        "calctype": "Difference",
        "dimensions": [
            {"id": 2, "name":"dimension2"},
            {"id": 3, "name":"dimension3"}
        ]
    }],
    "events": [{
        "id": 1,
        "name": "My custom event",
        "description": "Description for my custom event",
        "attributeDescriptions": [
            {"name":"Exit code", "type":"integer", "unit":""}
        ]
    }]
}"#;

#[test]
fn config_spec_example_parses_completely() {
    let c = config(SPEC_EXAMPLE);
    assert_eq!((c.period_s, c.max_runtime_ms), (60, 5000));
    assert_eq!(c.metrics.len(), 2);
    let m1 = c.metric(1).unwrap();
    assert_eq!(&*m1.name, "Incoming traffic on interface");
    assert_eq!(m1.groups, "Networking/Traffic");
    assert_eq!(m1.unit, "b/s");
    assert_eq!(m1.tags, "NETWORK");
    assert_eq!(
        m1.datatype,
        Datatype::Gauge,
        "GUAGE is the vendor's typo for GAUGE"
    );
    assert_eq!(m1.datatype_name, "GUAGE");
    assert_eq!(&*m1.dimensions[0].name, "interface");
    let m2 = c.metric(2).unwrap();
    assert_eq!(m2.calctype, Calctype::Difference);
    assert_eq!(&*m2.dimension(3).unwrap().name, "dimension3");
    let e = c.event(1).unwrap();
    assert_eq!(&*e.attributes[0].name, "Exit code");
    assert_eq!(e.attributes[0].kind, "integer");
    assert!(c.json.contains("\"Incoming traffic on interface\""));
    assert!(notes(SPEC_EXAMPLE).is_empty());
}

#[test]
fn config_whitespace_crlf_tabs_key_order_and_bom() {
    let text = "\u{feff}{\r\n\t\"metrics\" : [ {\"calctype\":\"Instant\",\t\"datatype\":\"DOUBLE\",  \"name\":\"x\", \"id\":0} ]   ,\r\n  \"period\": 120, \"maxruntime\": 100 }  \r\n\r\n";
    let c = config(text);
    assert_eq!((c.period_s, c.max_runtime_ms), (120, 100));
    assert_eq!(c.metrics[0].id, 0, "ids may start at 0");
    let single_line = r#"{"maxruntime":1000,"period":60,"metrics":[{"id":1,"name":"a","datatype":"DOUBLE","calctype":"Instant"}]}"#;
    assert_eq!(config(single_line).metrics.len(), 1);
}

#[test]
fn config_optional_parts() {
    // Only events; attributeDescriptions empty; an attribute without unit; no tags/unit/description.
    let c = config(
        r#"{"maxruntime": 1000, "events": [
            {"id": 1, "name": "a", "attributeDescriptions": []},
            {"id": 2, "name": "b", "attributeDescriptions": [{"name": "n", "type": "string"}]}]}"#,
    );
    assert!(c.metrics.is_empty());
    assert_eq!(c.period_s, 60, "missing period means every minute");
    assert!(c.event(1).unwrap().attributes.is_empty());
    assert_eq!(c.event(2).unwrap().attributes[0].unit, "");
    let c = config(r#"{"maxruntime": 1000, "metrics": [{"id": "3", "name": "no extras"}]}"#);
    let m = c.metric(3).expect("numeric-string ids are accepted");
    assert_eq!(
        (m.unit.as_str(), m.tags.as_str(), m.calctype),
        ("", "", Calctype::Instant)
    );
    assert_eq!(config("{}").metrics.len(), 0);
}

#[test]
fn config_datatypes_and_calctypes() {
    for (name, want) in [
        ("DOUBLE", Datatype::Double),
        ("GUAGE", Datatype::Gauge),
        ("GAUGE", Datatype::Gauge),
        ("COUNT", Datatype::Count),
        ("COUNTER", Datatype::Counter),
        ("LONG", Datatype::Long),
        ("HISTOGRAM", Datatype::Histogram),
        ("BINARY", Datatype::Binary),
        ("double", Datatype::Double),
    ] {
        let c = config(&format!(
            r#"{{"maxruntime":1,"metrics":[{{"id":1,"datatype":"{name}"}}]}}"#
        ));
        assert_eq!(c.metrics[0].datatype, want, "{name}");
        assert_eq!(
            c.metrics[0].datatype_name, name,
            "the original string is kept"
        );
    }
    let text = r#"{"maxruntime":1,"metrics":[{"id":1,"datatype":"FLOAT"}]}"#;
    assert_eq!(config(text).metrics[0].datatype, Datatype::Unknown);
    assert!(notes(text)[0].contains("`FLOAT`"));
    for (name, want) in [
        ("Instant", Calctype::Instant),
        ("Difference", Calctype::Difference),
        ("Average", Calctype::Average),
    ] {
        let c = config(&format!(
            r#"{{"maxruntime":1,"metrics":[{{"id":1,"calctype":"{name}"}}]}}"#
        ));
        assert_eq!(c.metrics[0].calctype, want);
    }
    let text = r#"{"maxruntime":1,"metrics":[{"id":1,"calctype":"Rate"}]}"#;
    assert_eq!(config(text).metrics[0].calctype, Calctype::Instant);
    assert!(notes(text)[0].contains("`Rate`"));
}

#[test]
fn config_ids_per_metric_and_shared_names() {
    let c = config(
        r#"{"maxruntime":1,"metrics":[
            {"id":1,"name":"same","dimensions":[{"id":1,"name":"a"}]},
            {"id":2,"name":"same","dimensions":[{"id":1,"name":"b"}]}]}"#,
    );
    assert_eq!(&*c.metric(1).unwrap().dimension(1).unwrap().name, "a");
    assert_eq!(&*c.metric(2).unwrap().dimension(1).unwrap().name, "b");
}

#[test]
fn config_clamps_are_reported() {
    let parsed = parse_config(
        br#"{"maxruntime": 99999, "period": 10}"#,
        ConfigLimits::default(),
    )
    .unwrap();
    assert_eq!((parsed.0.period_s, parsed.0.max_runtime_ms), (60, 50_000));
    assert_eq!(parsed.1.len(), 2);
    assert!(parsed
        .1
        .iter()
        .all(|n| n.kind == DiagnosticKind::ValueClamped));
    assert!(parsed.1[0].message.contains("99999"));
    assert!(parsed.1[1].message.contains("raised to 60"));

    let missing = parse_config(b"{}", ConfigLimits::default()).unwrap();
    assert_eq!(missing.0.max_runtime_ms, 50_000);
    assert_eq!(missing.1[0].severity, Severity::Info);
    assert!(missing.1[0].message.contains("maxruntime is missing"));

    let bad = notes(r#"{"maxruntime": -5, "period": "soon"}"#);
    assert_eq!(bad.len(), 2, "{bad:?}");

    let limits = ConfigLimits {
        max_runtime_ms: 2000,
        min_period_s: 1,
    };
    let (c, _) = parse_config(br#"{"maxruntime": 3000, "period": 5}"#, limits).unwrap();
    assert_eq!((c.period_s, c.max_runtime_ms), (5, 2000));
}

#[test]
fn config_bad_entries_are_skipped_with_notes() {
    let text = r#"{"maxruntime":1,"metrics":[{"name":"no id"}, 7, {"id":1}, {"id":1,"name":"dup"},
        {"id":2,"dimensions":[{"name":"no id"},{"id":1,"name":"a"},{"id":1,"name":"a again"}]}]}"#;
    let c = config(text);
    assert_eq!(c.metrics.len(), 2);
    assert_eq!(
        &*c.metric(1).unwrap().name,
        "",
        "the first declaration wins"
    );
    assert_eq!(c.metric(2).unwrap().dimensions.len(), 1);
    let n = notes(text);
    assert_eq!(n.len(), 5, "{n:?}");
}

#[test]
fn config_errors_name_the_position() {
    let e = config_error(b"{\n  \"period\": 60,\n  \"metrics\": [ { \"id\": 1, } ]\n}");
    assert!(e.contains("line 3"), "{e}");
    assert!(e.contains("\"metrics\""), "the excerpt shows the line: {e}");
    assert!(config_error(b"").contains("empty"));
    assert!(config_error(b"  \n ").contains("empty"));
    assert!(
        config_error(b"M1 5\nM2 6\n").contains("not valid JSON"),
        "data lines in config mode"
    );
    assert!(config_error(b"[1,2]").contains("must be a JSON object"));
    assert!(config_error(br#"{"metrics": 5}"#).contains("`metrics` must be an array"));
    assert!(config_error(b"{} {}").contains("not valid JSON"));
    let deep = "[".repeat(100_000);
    assert!(config_error(deep.as_bytes()).contains("not valid JSON"));
    assert!(config_error(b"{\"a\": \"\xff\"}").contains("not valid JSON"));
}

fn metric(line: &str) -> MetricLine<'_> {
    match parse_line(line) {
        Ok(Some(Line::Metric(m))) => m,
        other => panic!("{line:?} gave {other:?}"),
    }
}

fn bad(line: &str) -> String {
    match parse_line(line) {
        Err(e) => e.0,
        other => panic!("{line:?} should be rejected, gave {other:?}"),
    }
}

#[test]
fn metric_line_shapes() {
    let m = metric("M1 8.5");
    assert_eq!((m.id, m.value, m.dimensions.len()), (1, 8.5, 0));
    let m = metric(r#"M1 "1:eth0,2:rx" 8.5"#);
    assert_eq!(m.dimensions, vec![(1, "eth0"), (2, "rx")]);
    let m = metric(r#"M1 "" 8.5"#);
    assert!(m.dimensions.is_empty());
    assert_eq!(metric("M0 1").id, 0);
}

#[test]
fn metric_dimension_values_are_never_unescaped() {
    let m = metric(r#"M3 "1:user@host.example/a-b_c d,2:12:30:00" 1"#);
    assert_eq!(
        m.dimensions,
        vec![(1, "user@host.example/a-b_c d"), (2, "12:30:00")]
    );
    let m = metric(r#"M3 "1:C:\Program Files" 1"#);
    assert_eq!(m.dimensions, vec![(1, r"C:\Program Files")]);
    let m = metric(r#"M3 "1:a,b,2:c" 1"#);
    assert_eq!(
        m.dimensions,
        vec![(1, "a,b"), (2, "c")],
        "a comma not followed by <id>: stays in the value"
    );
}

#[test]
fn metric_values() {
    for (text, want) in [
        ("05", 5.0),
        ("-1", -1.0),
        ("5e-7", 5e-7),
        ("0.333333333333333314829616256247", 0.333_333_333_333_333_3),
        ("+2", 2.0),
        ("1E3", 1000.0),
        ("12345678901234567890", 12_345_678_901_234_567_890.0),
    ] {
        assert_eq!(metric(&format!("M1 {text}")).value, want, "{text}");
    }
}

#[test]
fn metric_separators_and_line_endings() {
    let m = metric("M2 \t \"1:a\"\t\t 3\r");
    assert_eq!((m.id, m.value), (2, 3.0));
    assert_eq!(metric("  M1   7  ").value, 7.0);
}

#[test]
fn bad_metric_lines() {
    assert!(
        bad("M1 ").contains("value is missing"),
        "an empty value is not zero"
    );
    assert!(bad("M1").contains("value is missing"));
    assert!(bad(r#"M1 "1:eth0""#).contains("value is missing"));
    assert!(bad("M1 nan").contains("not finite"));
    assert!(bad("M1 inf").contains("not finite"));
    assert!(bad("M1 -infinity").contains("not finite"));
    assert!(bad("M1 abc").contains("not a number"));
    assert!(bad("M1 8.5%").contains("not a number"));
    assert!(bad("M1 eth0 5").contains("double quotes"));
    assert!(bad("M1 \"1:a 5").contains("closing quote"));
    assert!(bad(r#"M1 "eth0" 5"#).contains("<id>:<value>"));
    assert!(bad(r#"M1 "1:a,1:b" 5"#).contains("appears twice"));
    assert!(bad("Mx 5").contains("not a metric or event id"));
    assert!(bad("M-1 5").contains("not a metric or event id"));
    assert!(bad("X1 5").contains("not a metric"));
    assert!(bad("ümlaut 5").contains("not a metric"));
    assert!(bad("Traceback (most recent call last):").contains("not a metric"));
}

fn event(line: &str) -> EventLine<'_> {
    match parse_line(line) {
        Ok(Some(Line::Event(e))) => e,
        other => panic!("{line:?}: {other:?}"),
    }
}

#[test]
fn event_lines() {
    let e = match parse_line(r#"E1 -300 0 "The event triggered" "{"Exit code":137}" S"#) {
        Ok(Some(Line::Event(e))) => e,
        other => panic!("{other:?}"),
    };
    assert_eq!((e.id, e.start, e.end), (1, -300, 0));
    assert_eq!(e.message, "The event triggered");
    assert_eq!(e.attributes_json, r#"{"Exit code":137}"#);
    assert_eq!(e.scope, Scope::Server);

    assert_eq!(event(r#"E2 0 0 "m" "{ }" A"#).scope, Scope::Application);
    assert_eq!(event(r#"E2 0 0 "m" "{ }" A"#).attributes_json, "{}");
    let escaped = event(
        r#"E1 1458345600 1458345660 "Disk \"full\"" "{\"Exit code\":137,\"path\":\"/a b\"}" S"#,
    );
    assert_eq!(
        escaped.attributes_json,
        r#"{"Exit code":137,"path":"/a b"}"#
    );
    assert_eq!(escaped.start, 1_458_345_600);
    let old = event(r#"E1 0 0 "no scope" "{"a":"b c"}""#);
    assert_eq!(
        (old.scope, old.attributes_json.as_str()),
        (Scope::Server, r#"{"a":"b c"}"#)
    );
    let msg_only = event(r#"E1 0 0 "just a message""#);
    assert_eq!(
        (msg_only.message, msg_only.attributes_json.as_str()),
        ("just a message", "{}")
    );
    let spaced = event("E1\t0   0  \"a  b\"   \"{\"k\": [1, 2]}\"   S\r");
    assert_eq!(
        (spaced.message, spaced.attributes_json.as_str()),
        ("a  b", r#"{"k":[1,2]}"#)
    );
    assert_eq!(event(r#"E1 0 0 "" "" S"#).attributes_json, "{}");
}

#[test]
fn bad_event_lines() {
    assert!(bad("E1").contains("start time"));
    assert!(bad("E1 0").contains("start time"));
    assert!(bad(r#"E1 now 0 "m" "{}""#).contains("start time `now`"));
    assert!(bad("E1 0 0 message").contains("double quotes"));
    assert!(bad(r#"E1 0 0 "unterminated"#).contains("closing quote"));
    assert!(bad(r#"E1 0 0 "m" "{not json}" S"#).contains("not a JSON object"));
    assert!(bad(r#"E1 0 0 "m" "[1,2]" S"#).contains("not a JSON object"));
}

#[test]
fn event_times_resolve_against_the_run() {
    assert_eq!(resolve_time(0, 1_000_000), 1_000_000);
    assert_eq!(resolve_time(-300, 1_000_000), 999_700);
    assert_eq!(resolve_time(1_458_345_600, 1_000_000), 1_458_345_600);
}

#[test]
fn blank_lines_are_ignored() {
    assert_eq!(parse_line(""), Ok(None));
    assert_eq!(parse_line(" \t\r"), Ok(None));
}

#[test]
fn interpret_checks_ids_and_keeps_good_lines() {
    let c = config(SPEC_EXAMPLE);
    let out = b"M1 \"1:eth0\" 8.5\r\n\nM9 1\nM1 \"7:x\" 2\nE1 -300 0 \"m\" \"{\"Exit code\":1}\" S\nE5 0 0 \"m\"\ngarbage here\nM2 \"2:a,3:b\" 4\nM1 \xff\xfe\nM1\n";
    let d = interpret(out, &c, 1_000_000_000, 20);
    assert_eq!(d.samples.len(), 2);
    assert_eq!(
        d.samples.get(0).unwrap().dimensions.first().unwrap().name,
        "interface"
    );
    assert_eq!(
        d.samples.get(0).unwrap().dimensions.first().unwrap().value,
        "eth0"
    );
    assert_eq!(
        d.samples.get(1).unwrap().dimensions.get(1).unwrap().name,
        "dimension3"
    );
    assert_eq!(d.events.len(), 1);
    assert_eq!(d.events[0].start_s, 1_000_000 - 300);
    assert_eq!(d.events[0].end_s, 1_000_000);
    assert_eq!((d.lines_parsed, d.lines_rejected), (3, 6));
    let kinds: Vec<(u64, DiagnosticKind)> = d.problems.iter().map(|p| (p.line, p.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            (3, DiagnosticKind::UnknownMetric),
            (4, DiagnosticKind::UnknownDimension),
            (6, DiagnosticKind::UnknownEvent),
            (7, DiagnosticKind::LineInvalid),
            (9, DiagnosticKind::LineInvalid),
            (10, DiagnosticKind::LineInvalid),
        ]
    );
    assert!(
        d.problems[0].message.starts_with("line 3: metric id 9"),
        "{}",
        d.problems[0].message
    );
    assert!(d.problems[0].message.contains("`M9 1`"));
    assert!(d.problems[4].message.contains("UTF-8"));
}

#[test]
fn interpret_limits_described_problems() {
    let c = config(SPEC_EXAMPLE);
    let out = "junk\n".repeat(1000);
    let d = interpret(out.as_bytes(), &c, 0, 20);
    assert_eq!(d.problems.len(), 20);
    assert_eq!(d.problems_omitted, 980);
    assert_eq!(d.lines_rejected, 1000);
}

#[test]
fn interpret_survives_binary_output() {
    let c = config(SPEC_EXAMPLE);
    let mut out = Vec::new();
    let mut x: u32 = 12345;
    for _ in 0..100_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        out.push((x >> 16) as u8);
    }
    let d = interpret(out.as_slice(), &c, 0, 20);
    assert!(d.problems.len() <= 20);
    assert!(d.lines_parsed + d.lines_rejected > 0);
}

/// A large output is parsed in pieces (on several threads where there are CPUs): the result is
/// the one a single pass gives: samples in order with their dimensions, problems with the right
/// line numbers in order, the description limit counted across pieces.
#[test]
fn a_large_output_parses_as_one_pass_would() {
    let c = parse_config(
        br#"{"maxruntime":1,"metrics":[{"id":1,"dimensions":[{"id":1,"name":"if"},{"id":2,"name":"dir"}]}]}"#,
        ConfigLimits::default(),
    )
    .unwrap()
    .0;
    let lines = 600_000; // about 17 MB: several pieces
    let bad = |i: usize| i % 100_000 == 99_999;
    let mut out = String::new();
    for i in 0..lines {
        if bad(i) {
            out.push_str("M9 1\n");
        } else {
            out.push_str(&format!("M1 \"1:eth{},2:r\0x\" {i}\n", i % 7));
        }
    }
    let d = interpret(out.into_bytes(), &c, 0, 4);
    let bad_lines: Vec<u64> = (0..lines)
        .filter(|&i| bad(i))
        .map(|i| i as u64 + 1)
        .collect();
    assert_eq!(d.lines_rejected, bad_lines.len() as u64);
    assert_eq!(d.samples.len(), lines - bad_lines.len());
    assert_eq!(
        d.problems.iter().map(|p| p.line).collect::<Vec<_>>(),
        bad_lines[..4]
    );
    assert!(d.problems[3]
        .message
        .starts_with(&format!("line {}:", bad_lines[3])));
    assert_eq!(d.problems_omitted, bad_lines.len() as u64 - 4);
    for (k, s) in d.samples.iter().enumerate().step_by(9_973) {
        // The k-th sample is line k plus the bad lines before it.
        let i = k + bad_lines.iter().filter(|&&b| b as usize <= k + 1).count();
        let i = if bad(i) { i + 1 } else { i };
        assert_eq!(s.value, i as f64, "sample {k}");
        let dims: Vec<_> = s
            .dimensions
            .iter()
            .map(|d| (d.id, d.name, d.value))
            .collect();
        let eth = format!("eth{}", i % 7);
        assert_eq!(dims, [(1, "if", eth.as_str()), (2, "dir", "r\0x")]);
        let (_, _, value) = s.dimensions.c_strs(1).unwrap();
        assert_eq!(value.to_str().unwrap(), "r\u{FFFD}x");
    }
}
