//! Names for metric systems that restrict them (Prometheus, Influx): scripts name metrics and
//! dimensions in free text ("Incoming traffic on interface"), these formats want `snake_case`.

use gsp::MetricDef;

/// Lowercase ASCII words joined by `_`: every run of other characters becomes one `_`, and a
/// lower-to-upper case change starts a new word (`bytesIn` -> `bytes_in`). May be empty.
pub fn snake(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    let mut prev_lower = false;
    for c in text.chars() {
        if !c.is_ascii_alphanumeric() {
            gap = true;
            prev_lower = false;
            continue;
        }
        if (gap || (prev_lower && c.is_ascii_uppercase())) && !out.is_empty() {
            out.push('_');
        }
        gap = false;
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Whether a reader may take `c` for a line break or choke on it: control characters (C0, DEL,
/// C1) and the Unicode line and paragraph separators. No output format gsp writes can escape
/// them all, so each writer replaces them.
pub fn is_breaking(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// FNV-1a, 32 bits: a stable short hash for names (the collectd plugin computes the same).
pub fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |h: u32, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// The Prometheus base-unit word for a script's `unit`, when the unit is a well-known one.
/// Values are never converted, so `ms` stays `milliseconds`.
pub fn unit_word(unit: &str) -> Option<&'static str> {
    Some(match unit.trim() {
        "%" | "percent" | "Percent" | "pct" => "percent",
        "B" | "byte" | "bytes" | "Bytes" | "octets" => "bytes",
        "b" | "bit" | "bits" => "bits",
        "s" | "sec" | "secs" | "second" | "seconds" => "seconds",
        "ms" | "msec" | "millisecond" | "milliseconds" => "milliseconds",
        "us" | "µs" | "microseconds" => "microseconds",
        "ns" | "nanoseconds" => "nanoseconds",
        "B/s" | "bytes/s" | "Bps" | "bytes/sec" => "bytes_per_second",
        "b/s" | "bps" | "bits/s" | "bit/s" => "bits_per_second",
        "Hz" | "hz" | "hertz" => "hertz",
        "°C" | "celsius" | "Celsius" => "celsius",
        "V" | "volt" | "volts" => "volts",
        "W" | "watt" | "watts" => "watts",
        "J" | "joule" | "joules" => "joules",
        "/s" | "per second" | "ops/s" | "req/s" => "per_second",
        _ => return None,
    })
}

/// Whether `words` (snake_case) already contains `part` (snake_case) as whole words.
pub fn contains_words(words: &str, part: &str) -> bool {
    let haystack = format!("_{words}_");
    haystack.contains(&format!("_{part}_"))
}

/// A metric or event id as a name part: `7`, or `n7` for -7 (names cannot contain `-`).
pub fn id_part(id: i64) -> String {
    if id < 0 {
        format!("n{}", id.unsigned_abs())
    } else {
        id.to_string()
    }
}

/// Label (Prometheus) or tag (Influx) names for a metric's declared dimensions, in declaration
/// order: the dimension name in snake_case; `dim_<id>` when that is empty; a `dim_` prefix when
/// it starts with a digit; `<name>_<id>` when it would repeat an earlier one or one of `reserved`.
pub fn dimension_labels(metric: &MetricDef, reserved: &[&str]) -> Vec<(i64, String)> {
    let mut out: Vec<(i64, String)> = Vec::with_capacity(metric.dimensions.len());
    for d in &metric.dimensions {
        let mut label = snake(&d.name);
        if label.is_empty() {
            label = format!("dim_{}", id_part(d.id));
        } else if label.starts_with(|c: char| c.is_ascii_digit()) {
            label = format!("dim_{label}");
        }
        while reserved.contains(&label.as_str()) || out.iter().any(|(_, l)| *l == label) {
            label = format!("{label}_{}", id_part(d.id));
        }
        out.push((d.id, label));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_of_free_text() {
        assert_eq!(
            snake("Incoming traffic on interface"),
            "incoming_traffic_on_interface"
        );
        assert_eq!(snake("bytesIn/s (eth0)"), "bytes_in_s_eth0");
        assert_eq!(snake("  CPU  %  "), "cpu");
        assert_eq!(snake("Température"), "temp_rature");
        assert_eq!(snake("HTTPStatus"), "httpstatus");
        assert_eq!(snake("Load average 1m"), "load_average_1m");
        assert_eq!(snake("%%"), "");
    }

    #[test]
    fn breaking_characters() {
        for c in [
            '\0', '\t', '\n', '\r', '\x0b', '\x0c', '\x1e', '\x7f', '\u{85}', '\u{2028}',
        ] {
            assert!(is_breaking(c), "{c:?}");
        }
        assert!(!is_breaking(' ') && !is_breaking('é') && !is_breaking('"'));
    }

    #[test]
    fn units_and_words() {
        assert_eq!(unit_word("%"), Some("percent"));
        assert_eq!(unit_word("B"), Some("bytes"));
        assert_eq!(unit_word("b/s"), Some("bits_per_second"));
        assert_eq!(unit_word("widgets"), None);
        assert!(contains_words("bytes_received", "bytes"));
        assert!(!contains_words("kbytes_received", "bytes"));
        assert!(contains_words("rx_bytes_per_second", "bytes_per_second"));
    }

    #[test]
    fn dimension_labels_are_valid_and_unique() {
        let doc = br#"{"metrics": [{"id": 1, "name": "m", "datatype": "GAUGE", "dimensions": [
            {"id": 1, "name": "Interface"}, {"id": 2, "name": "script"}, {"id": 3, "name": ""},
            {"id": 4, "name": "1st"}, {"id": 5, "name": "interface"}]}]}"#;
        let (config, _) =
            gsp::protocol::config::parse_config(doc, Default::default()).expect("valid");
        let metric = &config.metrics[0];
        let labels: Vec<String> = dimension_labels(metric, &["script"])
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        assert_eq!(
            labels,
            ["interface", "script_2", "dim_3", "dim_1st", "interface_5"]
        );
    }
}
