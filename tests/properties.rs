//! Property tests of everything that parses untrusted text: data lines, configuration documents
//! and command lines. They never panic and accept every valid line they generate with the
//! values they put in. (tests/allocations.rs checks, by counting, that they stay linear in the
//! input size; fuzz/ holds the cargo-fuzz targets for the same functions, for machines with a
//! nightly toolchain.)

use gsp::protocol::config::{parse_config, ConfigLimits};
use gsp::protocol::data::{parse_line, Line};
use gsp::protocol::interpret::interpret;
use gsp::CommandLine;
use proptest::prelude::*;

/// Text made of the protocol's own tokens, so generated inputs reach deep into the parsers.
fn protocol_soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("M".to_string()),
        Just("E".to_string()),
        Just("\"".to_string()),
        Just(",".to_string()),
        Just(":".to_string()),
        Just(" ".to_string()),
        Just("\t".to_string()),
        Just("\r".to_string()),
        Just("\n".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("\\".to_string()),
        Just("-".to_string()),
        Just("S".to_string()),
        Just("A".to_string()),
        Just("e".to_string()),
        Just(".".to_string()),
        "[0-9]{1,20}",
        "\\PC{0,4}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(token, 0..60).prop_map(|t| t.concat())
}

fn dim_value() -> impl Strategy<Value = String> {
    // Real dimension values: anything but quotes, newlines and the `,<digits>:` pair separator.
    "[a-zA-Z0-9@./_ -]{1,12}(:[a-z0-9]{1,5})?"
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn lines_never_panic(s in protocol_soup()) {
        let _ = parse_line(&s);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let config = parse_config(br#"{"maxruntime":1,"metrics":[{"id":1,"dimensions":[{"id":1}]}],"events":[{"id":1}]}"#, ConfigLimits::default()).unwrap().0;
        let d = interpret(bytes.as_slice(), &config, 0, 20);
        prop_assert!(d.problems.len() <= 20);
        let _ = parse_config(&bytes, ConfigLimits::default());
        let _ = CommandLine::parse(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn configs_from_soup_never_panic(s in protocol_soup()) {
        let _ = parse_config(s.as_bytes(), ConfigLimits::default());
        let _ = parse_config(format!("{{\"metrics\":[{s}]}}").as_bytes(), ConfigLimits::default());
    }

    #[test]
    fn valid_metric_lines_parse_exactly(
        id in 0i64..1_000_000,
        dims in prop::collection::vec((1i64..100, dim_value()), 0..5),
        value in -1e12f64..1e12,
        sep in "[ \t]{1,3}",
        crlf in any::<bool>(),
    ) {
        let mut seen = std::collections::HashSet::new();
        let dims: Vec<(i64, String)> = dims.into_iter().filter(|(d, _)| seen.insert(*d)).collect();
        let list = dims.iter().map(|(d, v)| format!("{d}:{v}")).collect::<Vec<_>>().join(",");
        let line = format!("M{id}{sep}\"{list}\"{sep}{value}{}", if crlf { "\r" } else { "" });
        match parse_line(&line) {
            Ok(Some(Line::Metric(m))) => {
                prop_assert_eq!(m.id, id);
                prop_assert_eq!(m.value, value);
                let got: Vec<(i64, String)> = m.dimensions.iter().map(|(d, v)| (*d, v.to_string())).collect();
                prop_assert_eq!(got, dims);
            }
            other => prop_assert!(false, "{:?} gave {:?}", line, other),
        }
    }

    #[test]
    fn valid_event_lines_parse_exactly(
        id in 0i64..1000,
        start in -100_000i64..2_000_000_000,
        message in "[a-zA-Z0-9 .,:!()-]{0,40}",
        key in "[a-zA-Z ]{1,10}",
        n in any::<i32>(),
        scope in prop::option::of(prop_oneof![Just("S"), Just("A")]),
    ) {
        let attrs = serde_json::json!({ key.clone(): n }).to_string();
        let line = format!("E{id} {start} 0 \"{message}\" \"{attrs}\"{}", scope.map(|s| format!(" {s}")).unwrap_or_default());
        match parse_line(&line) {
            Ok(Some(Line::Event(e))) => {
                prop_assert_eq!(e.id, id);
                prop_assert_eq!(e.start, start);
                prop_assert_eq!(e.message, message.as_str());
                prop_assert_eq!(e.attributes_json, attrs);
            }
            other => prop_assert!(false, "{:?} gave {:?}", line, other),
        }
    }

    #[test]
    fn quoted_command_lines_round_trip(words in prop::collection::vec("[^\0]{1,12}", 1..5)) {
        let quoted: Vec<String> = words.iter().map(|w| shell_quote(w)).collect();
        let c = CommandLine::parse(&quoted.join(" ")).unwrap();
        let argv: Vec<String> = c.argv(gsp::Mode::Data).iter().map(|a| a.to_str().unwrap().to_string()).collect();
        prop_assert_eq!(&argv[..words.len()], &words[..]);
        prop_assert_eq!(argv.last().unwrap(), "-d");
    }
}

fn shell_quote(w: &str) -> String {
    format!("'{}'", w.replace('\'', r"'\''"))
}
