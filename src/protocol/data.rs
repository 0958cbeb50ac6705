//! Data mode (`-d`): metric and event lines.
//!
//! [`parse_line`] knows only the syntax (every shape in PROTOCOL-NOTES.md); [`interpret`] checks a
//! whole run's output against the script's configuration and resolves event times.

use serde_json::Value;

use crate::protocol::config::{excerpt, ScriptConfig};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use crate::dimensions::{DimSpan, Dimensions, RunText};
use crate::record::{DiagnosticKind, Scope};

/// A metric line: `M<id> ["<dim>:<value>,..."] <value>`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricLine<'a> {
    /// The metric id.
    pub id: i64,
    /// `(dimension id, value)` pairs in line order.
    pub dimensions: Vec<(i64, &'a str)>,
    /// The value (finite).
    pub value: f64,
}

/// An event line: `E<id> <start> <end> "<message>" "<attributes>" [S|A]`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventLine<'a> {
    /// The event id.
    pub id: i64,
    /// Start as printed: 0 now, negative seconds ago, positive Unix seconds.
    pub start: i64,
    /// End, same format.
    pub end: i64,
    /// The message between its quotes.
    pub message: &'a str,
    /// The attributes as a compact JSON object (`{}` when absent or empty).
    pub attributes_json: String,
    /// `S` (or absent) or `A`.
    pub scope: Scope,
}

/// One parsed data line.
#[derive(Debug, Clone, PartialEq)]
pub enum Line<'a> {
    /// A metric value.
    Metric(MetricLine<'a>),
    /// An event.
    Event(EventLine<'a>),
}

/// Why a line does not parse; the message names what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, LineError> {
    Err(LineError(msg.into()))
}

/// Parses one line (without its newline; a trailing `\r` is accepted). Blank lines give `Ok(None)`.
pub fn parse_line(line: &str) -> Result<Option<Line<'_>>, LineError> {
    let mut dimensions = Vec::new();
    Ok(match parse_into(line, &mut dimensions)? {
        Parsed::Blank => None,
        Parsed::Metric { id, value } => Some(Line::Metric(MetricLine {
            id,
            dimensions,
            value,
        })),
        Parsed::Event(e) => Some(Line::Event(e)),
    })
}

/// A parsed line whose metric dimensions went into the caller's vector.
enum Parsed<'a> {
    Blank,
    Metric { id: i64, value: f64 },
    Event(EventLine<'a>),
}

/// [`parse_line`], with a metric line's `(dimension id, value)` pairs written into `dims`
/// (cleared first), so a run's lines share one vector.
fn parse_into<'a>(line: &'a str, dims: &mut Vec<(i64, &'a str)>) -> Result<Parsed<'a>, LineError> {
    dims.clear();
    let line = trim_blanks(line, true);
    if line.is_empty() {
        return Ok(Parsed::Blank);
    }
    let (head, rest) = split_token(line);
    let kind = head.as_bytes()[0];
    if kind != b'M' && kind != b'E' {
        return err("not a metric (`M<id>`) or event (`E<id>`) line");
    }
    // `kind` is ASCII, so slicing after it is on a char boundary.
    let digits = &head[1..];
    let id = match digits.parse::<i64>() {
        Ok(id) if digits.bytes().all(|b| b.is_ascii_digit()) => id,
        _ => {
            return err(format!(
                "`{head}` is not a metric or event id (`M` or `E` followed by digits)"
            ))
        }
    };
    if kind == b'M' {
        parse_metric(rest, dims).map(|value| Parsed::Metric { id, value })
    } else {
        parse_event(id, rest).map(Parsed::Event)
    }
}

/// The first whitespace-separated token and the rest (with leading whitespace removed).
fn split_token(s: &str) -> (&str, &str) {
    let end = s.bytes().position(is_blank).unwrap_or(s.len());
    (&s[..end], trim_blanks(&s[end..], false))
}

/// Field separators: spaces and tabs (byte tests: the str pattern API was a hot spot).
fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Strips blanks at the start and, with `both`, blanks and `\r` at the end. ASCII bytes only,
/// so the slicing stays on char boundaries.
fn trim_blanks(s: &str, both: bool) -> &str {
    let b = s.as_bytes();
    let start = b
        .iter()
        .position(|&c| !(is_blank(c) || both && c == b'\r'))
        .unwrap_or(b.len());
    let end = if both {
        b.iter()
            .rposition(|&c| !is_blank(c) && c != b'\r')
            .map_or(start, |i| i + 1)
    } else {
        b.len()
    };
    &s[start..end.max(start)]
}

/// A metric line after its id: the dimensions go into `dims`; returns the value.
fn parse_metric<'a>(rest: &'a str, dims: &mut Vec<(i64, &'a str)>) -> Result<f64, LineError> {
    let value = if let Some(quoted) = rest.strip_prefix('"') {
        let Some(close) = quoted.rfind('"') else {
            return err("the dimension list has no closing quote");
        };
        parse_dimensions(&quoted[..close], dims)?;
        trim_blanks(&quoted[close + 1..], false)
    } else {
        rest
    };
    if value.is_empty() {
        return err("the value is missing");
    }
    if value.bytes().any(is_blank) {
        return err(
            "more than one field after the metric id (a dimension list must be in double quotes)",
        );
    }
    let Ok(v) = value.parse::<f64>() else {
        return err(format!("value `{value}` is not a number"));
    };
    if !v.is_finite() {
        return err(format!("value `{value}` is not finite"));
    }
    Ok(v)
}

/// `1:eth0,2:rx`. Values are never escaped and may contain `:` (split on the first) and even `,`:
/// a segment that does not start with `<digits>:` continues the previous value.
fn parse_dimensions<'a>(s: &'a str, out: &mut Vec<(i64, &'a str)>) -> Result<(), LineError> {
    if s.trim().is_empty() {
        return Ok(());
    }
    // Byte scanning: `,` and `:` are ASCII, so every slice stays on a char boundary (the str
    // pattern API was a hot spot).
    let bytes = s.as_bytes();
    let mut start = 0; // byte offset of the current pair's value
    let mut pair_id: Option<i64> = None;
    let mut seg_start = 0;
    while seg_start <= bytes.len() {
        let seg_end = bytes[seg_start..]
            .iter()
            .position(|&b| b == b',')
            .map_or(bytes.len(), |i| seg_start + i);
        let segment = &s[seg_start..seg_end];
        let colon = segment.bytes().position(|b| b == b':');
        let pair = colon.and_then(|c| {
            let k = segment[..c].trim();
            (!k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
                .then(|| k.parse::<i64>().ok())
                .flatten()
        });
        let this_start = seg_start;
        seg_start = seg_end + 1;
        match (pair, pair_id) {
            (Some(did), prev) => {
                if let Some(prev) = prev {
                    out.push((prev, &s[start..this_start - 1]));
                }
                pair_id = Some(did);
                start = this_start + colon.map_or(0, |c| c + 1);
            }
            (None, Some(_)) => {} // a comma inside the previous value
            (None, None) => return err(format!("dimension `{segment}` is not `<id>:<value>`")),
        }
    }
    if let Some(did) = pair_id {
        out.push((did, &s[start..]));
    }
    // Lines carry a few dimensions: compare pairwise; hash only long lists (linear time).
    let duplicate = if out.len() <= 16 {
        out.iter()
            .enumerate()
            .find(|(i, (d, _))| out[..*i].iter().any(|(e, _)| e == d))
            .map(|(_, p)| p.0)
    } else {
        let mut seen = std::collections::HashSet::with_capacity(out.len());
        out.iter().find(|(d, _)| !seen.insert(*d)).map(|p| p.0)
    };
    if let Some(did) = duplicate {
        return err(format!("dimension id {did} appears twice"));
    }
    Ok(())
}

fn parse_time(token: &str, what: &str) -> Result<i64, LineError> {
    token.parse::<i64>().or_else(|_| {
        err(format!(
            "{what} `{token}` is not an integer number of seconds"
        ))
    })
}

fn parse_event(id: i64, rest: &str) -> Result<EventLine<'_>, LineError> {
    let (start, rest) = split_token(rest);
    let (end, rest) = split_token(rest);
    if start.is_empty() || end.is_empty() {
        return err("an event needs a start time, an end time and a quoted message");
    }
    let start = parse_time(start, "start time")?;
    let end = parse_time(end, "end time")?;
    // A trailing S or A token is the scope; older scripts omit it.
    let (rest, scope) = match rest.rsplit_once([' ', '\t']) {
        Some((before, "S")) => (before.trim_end(), Scope::Server),
        Some((before, "A")) => (before.trim_end(), Scope::Application),
        _ => (rest, Scope::Server),
    };
    let Some(body) = rest.strip_prefix('"') else {
        return err("the event message must be in double quotes");
    };
    if !body.ends_with('"') || body.is_empty() {
        return err("the event message has no closing quote");
    }
    // The attributes keep their own unescaped quotes, so find the boundary `" "` before them.
    let (message, attributes) = match find_attribute_boundary(body) {
        Some((m_end, a_start)) => (&body[..m_end], &body[a_start..body.len() - 1]),
        None => (&body[..body.len() - 1], ""),
    };
    Ok(EventLine {
        id,
        start,
        end,
        message,
        attributes_json: attributes_json(attributes)?,
        scope,
    })
}

/// In `msg" "{...}"`, the end of the message and the start of the attributes' inner text.
fn find_attribute_boundary(body: &str) -> Option<(usize, usize)> {
    let bytes = body.as_bytes();
    let mut candidate = None;
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'"' || i + 1 >= bytes.len() {
            continue;
        }
        let after = &body[i + 1..];
        let trimmed = after.trim_start_matches([' ', '\t']);
        if trimmed.len() == after.len() || !trimmed.starts_with('"') {
            continue;
        }
        let a_start = body.len() - trimmed.len() + 1;
        if a_start > body.len() - 1 {
            continue;
        }
        // Prefer the boundary that opens a JSON object; keep the first plain one as a fallback.
        if trimmed[1..].trim_start().starts_with('{') {
            return Some((i, a_start));
        }
        candidate.get_or_insert((i, a_start));
    }
    candidate
}

fn attributes_json(raw: &str) -> Result<String, LineError> {
    if raw.trim().is_empty() {
        return Ok("{}".into());
    }
    let parsed = serde_json::from_str::<Value>(raw).or_else(|_| {
        // Properly escaped JSON inside the quotes: `"{\"Exit code\":137}"`.
        serde_json::from_str::<Value>(&raw.replace("\\\"", "\"").replace("\\\\", "\\"))
    });
    match parsed {
        Ok(v @ Value::Object(_)) => Ok(v.to_string()),
        _ => err(format!(
            "event attributes `{}` are not a JSON object",
            raw.chars().take(60).collect::<String>()
        )),
    }
}

/// A line the run could not deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct LineProblem {
    /// 1-based line number in the run's stdout.
    pub line: u64,
    /// `LineInvalid`, `UnknownMetric`, `UnknownEvent` or `UnknownDimension`.
    pub kind: DiagnosticKind,
    /// `line N: <reason>: `<excerpt>``.
    pub message: String,
}

/// A metric value before calctype.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The metric id.
    pub metric_id: i64,
    /// With declared names; views into the run's output.
    pub dimensions: Dimensions,
    /// As printed.
    pub value: f64,
}

/// An event with absolute times.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedEvent {
    /// The event id.
    pub event_id: i64,
    /// Unix seconds.
    pub start_s: i64,
    /// Unix seconds.
    pub end_s: i64,
    /// The message.
    pub message: String,
    /// Compact JSON object.
    pub attributes_json: String,
    /// Server or application.
    pub scope: Scope,
}

/// Everything one data run printed, checked against the configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunData {
    /// Valid metric lines in output order.
    pub samples: Vec<Sample>,
    /// Valid event lines in output order.
    pub events: Vec<ResolvedEvent>,
    /// The first rejected lines (up to the limit given to [`interpret`]).
    pub problems: Vec<LineProblem>,
    /// Rejected lines beyond that limit (counted, not described).
    pub problems_omitted: u64,
    /// Lines delivered.
    pub lines_parsed: u64,
    /// Lines rejected.
    pub lines_rejected: u64,
}

/// Event time: 0 is the run's time, negative is seconds before it, positive is absolute.
pub fn resolve_time(t: i64, run_s: i64) -> i64 {
    match t {
        0 => run_s,
        t if t < 0 => run_s.saturating_add(t),
        t => t,
    }
}

/// Checks a data run's stdout against `config`. `run_time_ms` is the host time of the run;
/// at most `max_problems` rejected lines are described, the rest counted.
///
/// The output becomes the samples' text: dimension values are NUL-terminated where they stand
/// and the declared names are appended once, so a run's samples cost allocations per run, not
/// per line.
pub fn interpret(
    output: impl Into<Vec<u8>>,
    config: &ScriptConfig,
    run_time_ms: i64,
    max_problems: usize,
) -> RunData {
    let mut output = output.into();
    let mut data = RunData::default();
    let mut rows: Vec<(i64, f64, usize)> = Vec::with_capacity(output.len() / 24);
    let mut spans: Vec<DimSpan> = Vec::with_capacity(output.len() / 12);
    // Names (and values holding a NUL) go after the output: their offsets are from its end.
    let mut appended: Vec<u8> = Vec::new();
    let mut names: HashMap<*const u8, (usize, usize), BuildHasherDefault<AddressHasher>> =
        HashMap::default();
    let run_s = run_time_ms.div_euclid(1000);
    {
        let base = output.as_ptr() as usize;
        let mut pairs: Vec<(i64, &str)> = Vec::new();
        for (i, raw) in output.split(|&b| b == b'\n').enumerate() {
            let line_no = i as u64 + 1;
            let mut reject = |kind: DiagnosticKind, reason: String, text: &str| {
                data.lines_rejected += 1;
                if data.problems.len() < max_problems {
                    data.problems.push(LineProblem {
                        line: line_no,
                        kind,
                        message: format!("line {line_no}: {reason}: {}", excerpt(text)),
                    });
                } else {
                    data.problems_omitted += 1;
                }
            };
            let text = match std::str::from_utf8(raw) {
                Ok(t) => t,
                Err(_) => {
                    if !raw.iter().all(u8::is_ascii_whitespace) {
                        reject(
                            DiagnosticKind::LineInvalid,
                            "not valid UTF-8".into(),
                            &String::from_utf8_lossy(raw),
                        );
                    }
                    continue;
                }
            };
            match parse_into(text, &mut pairs) {
                Ok(Parsed::Blank) => {}
                Err(LineError(reason)) => reject(DiagnosticKind::LineInvalid, reason, text),
                Ok(Parsed::Metric { id, value }) => {
                    let Some(def) = config.metric(id) else {
                        reject(
                            DiagnosticKind::UnknownMetric,
                            format!("metric id {id} is not declared by the configuration"),
                            text,
                        );
                        continue;
                    };
                    let first = spans.len();
                    let unknown = pairs.iter().find_map(|&(did, v)| {
                        let Some(d) = def.dimension(did) else {
                            return Some(did);
                        };
                        let (name_at, name_len) = *names
                            .entry(d.name.as_ptr())
                            .or_insert_with(|| append(&mut appended, &d.name));
                        let (value_at, value_len) = if v.as_bytes().contains(&0) {
                            append(&mut appended, v)
                        } else {
                            (v.as_ptr() as usize - base, v.len())
                        };
                        spans.push(DimSpan {
                            id: did,
                            name_at,
                            name_len,
                            value_at,
                            value_len,
                        });
                        None
                    });
                    if let Some(did) = unknown {
                        spans.truncate(first);
                        reject(
                            DiagnosticKind::UnknownDimension,
                            format!("dimension id {did} is not declared for metric {id}"),
                            text,
                        );
                        continue;
                    }
                    data.lines_parsed += 1;
                    rows.push((id, value, first));
                }
                Ok(Parsed::Event(e)) => {
                    if config.event(e.id).is_none() {
                        reject(
                            DiagnosticKind::UnknownEvent,
                            format!("event id {} is not declared by the configuration", e.id),
                            text,
                        );
                        continue;
                    }
                    data.lines_parsed += 1;
                    data.events.push(ResolvedEvent {
                        event_id: e.id,
                        start_s: resolve_time(e.start, run_s),
                        end_s: resolve_time(e.end, run_s),
                        message: e.message.to_string(),
                        attributes_json: e.attributes_json,
                        scope: e.scope,
                    });
                }
            }
        }
    }
    // Every value in the output is followed by its delimiter (`,` or the closing quote), which
    // no other span uses: it becomes the value's NUL.
    let own = output.len();
    for d in &mut spans {
        if d.value_at >= APPENDED {
            d.value_at = d.value_at - APPENDED + own;
        } else {
            output[d.value_at + d.value_len] = 0;
        }
        d.name_at = d.name_at - APPENDED + own;
    }
    output.extend_from_slice(&appended);
    let text = Arc::new(RunText::new(output, spans));
    let ends = rows.iter().skip(1).map(|r| r.2).chain([text.dim_count()]);
    data.samples = rows
        .iter()
        .zip(ends)
        .map(|(&(metric_id, value, first), end)| Sample {
            metric_id,
            value,
            dimensions: Dimensions::of_run(&text, first, end - first),
        })
        .collect();
    data
}

/// Hashes a name's address: a run looks its dimension names up once per value.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Offsets at or above this are in the appended part (no output is this large).
const APPENDED: usize = usize::MAX / 2;

/// Appends `s` NUL-terminated (a NUL in it shows as U+FFFD); returns its marked offset and length.
fn append(appended: &mut Vec<u8>, s: &str) -> (usize, usize) {
    let at = appended.len();
    appended.extend_from_slice(s.replace('\0', "\u{FFFD}").as_bytes());
    let len = appended.len() - at;
    appended.push(0);
    (APPENDED + at, len)
}
