//! Data mode (`-d`): metric and event lines.
//!
//! [`parse_line`] knows only the syntax (every shape in PROTOCOL-NOTES.md);
//! [`super::interpret`] checks a whole run's output against the script's configuration.

use serde_json::Value;

use crate::record::Scope;

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
pub(crate) enum Parsed<'a> {
    Blank,
    Metric { id: i64, value: f64 },
    Event(EventLine<'a>),
}

/// [`parse_line`], with a metric line's `(dimension id, value)` pairs written into `dims`
/// (cleared first), so a run's lines share one vector.
pub(crate) fn parse_into<'a>(
    line: &'a str,
    dims: &mut Vec<(i64, &'a str)>,
) -> Result<Parsed<'a>, LineError> {
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
