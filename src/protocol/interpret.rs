//! A data run's output checked against the script's configuration: the samples, events and
//! rejected lines of one run.
//!
//! The output becomes the samples' text (`RunText`): dimension values are NUL-terminated where
//! they stand and the declared names are added once, so a run's samples cost allocations per
//! run, not per line. A large output is parsed in pieces on several threads.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;
use std::sync::Arc;

use super::config::{excerpt, MetricDef, ScriptConfig};
use super::data::{parse_into, LineError, Parsed};
use super::samples::Row;
pub use super::samples::{Sample, Samples};
use crate::dimensions::{push_text, DimSpan, RunText, EXTRA, MAX_TEXT};
use crate::record::{DiagnosticKind, Scope};

/// Output from this size on is parsed in pieces of at least this size, one per CPU (up to
/// [`MAX_PIECES`]); the default `max_stdout_bytes` (4 MiB) never is.
const PIECE_BYTES: usize = 4 << 20;
const MAX_PIECES: usize = 4;

/// A line the run could not deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct LineProblem {
    /// 1-based line number in the run's stdout.
    pub line: u64,
    /// `LineInvalid`, `UnknownMetric`, `UnknownEvent` or `UnknownDimension`.
    pub kind: DiagnosticKind,
    /// ``line N: <reason>: `<excerpt>` ``.
    pub message: String,
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
    pub samples: Samples,
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
pub fn interpret(
    output: impl Into<Vec<u8>>,
    config: &ScriptConfig,
    run_time_ms: i64,
    max_problems: usize,
) -> RunData {
    let mut output = output.into();
    let mut truncated = None;
    let beyond = output.len().saturating_sub(MAX_TEXT);
    if beyond > 0 {
        // Offsets are 32-bit; no sane run prints 2 GiB.
        let keep = output[..MAX_TEXT]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        output.truncate(keep);
        truncated = Some(LineProblem {
            line: 0,
            kind: DiagnosticKind::OutputTruncated,
            message: format!(
                "the output beyond its first {keep} bytes (2 GiB) was not parsed ({beyond} bytes more)"
            ),
        });
    }
    let job = Job {
        output: &output,
        // One check of the whole output is much cheaper than one per line.
        all_utf8: std::str::from_utf8(&output).is_ok(),
        config,
        run_s: run_time_ms.div_euclid(1000),
        max_problems,
    };
    let pieces = job.pieces();
    let parts: Vec<Part> = if pieces.len() == 1 {
        vec![job.parse(pieces[0].0.clone(), pieces[0].1, true)]
    } else {
        std::thread::scope(|scope| {
            let last = pieces.len() - 1;
            let helpers: Vec<_> = pieces[1..]
                .iter()
                .enumerate()
                .map(|(k, (range, line))| {
                    let (line, job, is_last) = (*line, &job, k + 1 == last);
                    let mine = range.clone();
                    std::thread::Builder::new()
                        .name("gsp-parse".into())
                        .spawn_scoped(scope, move || job.parse(mine, line, is_last))
                        .map_err(|_| (range.clone(), line, is_last))
                })
                .collect();
            let mut parts = vec![job.parse(pieces[0].0.clone(), pieces[0].1, false)];
            for h in helpers {
                parts.push(match h {
                    // A panic in a helper is re-raised here, on the worker that catches it.
                    Ok(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
                    // No thread to be had: parse it here.
                    Err((range, line, is_last)) => job.parse(range, line, is_last),
                });
            }
            parts
        })
    };
    let mut data = merge(parts, max_problems);
    let first_undeclared = data
        .run
        .problems
        .iter()
        .position(|p| p.kind == DiagnosticKind::UnknownMetric);
    if let Some(i) = first_undeclared {
        let printed: Vec<i64> = data.pending.0.iter().map(|r| r.metric_id).collect();
        if let Some(shift) = shifted_ids(config, &data.undeclared, &printed) {
            data.run.problems[i].message.push_str(&shift);
        }
    }
    if let Some(p) = truncated {
        data.run.problems.insert(0, p);
    }
    let (rows, spans, extra) = std::mem::take(&mut data.pending);
    // Every value in the output is followed by its delimiter (`,` or the closing quote), which
    // no other span uses: it becomes the value's NUL.
    for d in spans.iter().filter(|d| d.value_at & EXTRA == 0) {
        output[(d.value_at + d.value_len) as usize] = 0;
    }
    data.run.samples = Samples {
        rows,
        text: Arc::new(RunText::new(output, extra, spans)),
    };
    data.run
}

/// Names ids shifted by one (declared 0..2, printed M1..M3), a common off-by-one: every
/// undeclared id is a declared id plus (or minus) one, and the declared id at the far end was
/// never printed.
fn shifted_ids(config: &ScriptConfig, undeclared: &[i64], printed: &[i64]) -> Option<String> {
    let declared = config.metrics.iter().map(|m| m.id);
    let (low, high) = (declared.clone().min()?, declared.max()?);
    let all_declared = |by: i64| {
        !undeclared.is_empty()
            && undeclared
                .iter()
                .all(|&u| config.metric(u.saturating_add(by)).is_some())
    };
    let up = if all_declared(-1) && !printed.contains(&low) {
        true
    } else if all_declared(1) && !printed.contains(&high) {
        false
    } else {
        return None;
    };
    let ids = printed.iter().chain(undeclared).copied();
    let (p_low, p_high) = (ids.clone().min()?, ids.max()?);
    let (fix, declare) = if up {
        ("one less", "one more")
    } else {
        ("one more", "one less")
    };
    Some(format!(
        "; the metric ids look shifted by one: this run printed M{p_low}..M{p_high}, the configuration declares ids {low}..{high}, so other lines were delivered as the wrong metric; print each id {fix}, or declare each {declare}"
    ))
}

/// What every piece of one run's parse shares.
struct Job<'a> {
    output: &'a [u8],
    all_utf8: bool,
    config: &'a ScriptConfig,
    run_s: i64,
    max_problems: usize,
}

/// One piece's results, with offsets into the whole output and into its own extra part.
#[derive(Default)]
struct Part {
    rows: Vec<Row>,
    spans: Vec<DimSpan>,
    extra: Vec<u8>,
    run: RunData,
    /// Undeclared metric ids printed (a few suffice to tell ids shifted by one).
    undeclared: Vec<i64>,
}

/// The merged run, before the text is made.
struct Merged {
    run: RunData,
    pending: (Vec<Row>, Vec<DimSpan>, Vec<u8>),
    undeclared: Vec<i64>,
}

impl Job<'_> {
    /// The pieces to parse, with the 1-based number of each one's first line: one piece unless
    /// the output is large and there are CPUs to spare; pieces end after a newline.
    fn pieces(&self) -> Vec<(Range<usize>, u64)> {
        let len = self.output.len();
        let n = match len / PIECE_BYTES {
            0 | 1 => 1,
            // Asked only here: it reads the cgroup's CPU quota from /proc and /sys, ~12 system
            // calls that would double the cost of a small run.
            most => most
                .min(std::thread::available_parallelism().map_or(1, |n| n.get()))
                .clamp(1, MAX_PIECES),
        };
        let mut pieces = Vec::with_capacity(n);
        let (mut start, mut line) = (0, 1u64);
        for k in 1..=n {
            let end = if k == n {
                len
            } else {
                let target = (len * k / n).max(start);
                match self.output[target..].iter().position(|&b| b == b'\n') {
                    Some(i) => target + i + 1,
                    None => len,
                }
            };
            if end <= start {
                continue;
            }
            pieces.push((start..end, line));
            line += self.output[start..end]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            start = end;
            if start == len {
                break;
            }
        }
        if pieces.is_empty() {
            pieces.push((0..0, 1));
        }
        pieces
    }

    /// Parses the lines of `range` (the first is line `first_line`). A piece that is not the
    /// output's last ends with a newline, which starts no line of its own.
    fn parse(&self, range: Range<usize>, first_line: u64, is_last: bool) -> Part {
        let mut part = Part::default();
        let data = &mut part.run;
        let base = self.output.as_ptr() as usize;
        let piece = &self.output[range.clone()];
        let piece = match piece.strip_suffix(b"\n") {
            Some(p) if !is_last && range.end != self.output.len() => p,
            _ => piece,
        };
        let mut names: HashMap<*const u8, (u32, u32), BuildHasherDefault<AddressHasher>> =
            HashMap::default();
        let mut pairs: Vec<(i64, &str)> = Vec::new();
        // The metric of the previous line, and where its dimensions' names are: runs print
        // the same metric many times in a row.
        let mut last: Option<(i64, &MetricDef)> = None;
        let mut dim_names: Vec<(i64, (u32, u32))> = Vec::new();
        part.rows.reserve(piece.len() / 32);
        part.spans.reserve(piece.len() / 16);
        for (i, raw) in piece.split(|&b| b == b'\n').enumerate() {
            let line_no = first_line + i as u64;
            let mut reject = |kind: DiagnosticKind, reason: String, text: &str| {
                data.lines_rejected += 1;
                if data.problems.len() < self.max_problems {
                    data.problems.push(LineProblem {
                        line: line_no,
                        kind,
                        message: format!("line {line_no}: {reason}: {}", excerpt(text)),
                    });
                } else {
                    data.problems_omitted += 1;
                }
            };
            let checked = if self.all_utf8 {
                // SAFETY: the whole output is UTF-8 and lines end at ASCII newlines.
                Ok(unsafe { std::str::from_utf8_unchecked(raw) })
            } else {
                std::str::from_utf8(raw)
            };
            let text = match checked {
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
                    let def = match last {
                        Some((last_id, def)) if last_id == id => def,
                        _ => {
                            let Some(def) = self.config.metric(id) else {
                                if part.undeclared.len() < 64 && !part.undeclared.contains(&id) {
                                    part.undeclared.push(id);
                                }
                                reject(
                                    DiagnosticKind::UnknownMetric,
                                    format!("metric id {id} is not declared by the configuration"),
                                    text,
                                );
                                continue;
                            };
                            last = Some((id, def));
                            dim_names.clear();
                            def
                        }
                    };
                    let first = part.spans.len();
                    let unknown = pairs.iter().find_map(|&(did, v)| {
                        let cached = dim_names.iter().find(|(d, _)| *d == did).map(|p| p.1);
                        let (name_at, name_len) = match cached {
                            Some(name) => name,
                            None => {
                                let Some(d) = def.dimension(did) else {
                                    return Some(did);
                                };
                                let name = *names
                                    .entry(d.name.as_ptr())
                                    .or_insert_with(|| append(&mut part.extra, &d.name));
                                dim_names.push((did, name));
                                name
                            }
                        };
                        let (value_at, value_len) = if v.as_bytes().contains(&0) {
                            append(&mut part.extra, v)
                        } else {
                            ((v.as_ptr() as usize - base) as u32, v.len() as u32)
                        };
                        part.spans.push(DimSpan {
                            id: did,
                            name_at,
                            name_len,
                            value_at,
                            value_len,
                        });
                        None
                    });
                    if let Some(did) = unknown {
                        part.spans.truncate(first);
                        reject(
                            DiagnosticKind::UnknownDimension,
                            format!("dimension id {did} is not declared for metric {id}"),
                            text,
                        );
                        continue;
                    }
                    data.lines_parsed += 1;
                    part.rows.push(Row {
                        metric_id: id,
                        value,
                        first: first as u32,
                        len: (part.spans.len() - first) as u32,
                    });
                }
                Ok(Parsed::Event(e)) => {
                    if self.config.event(e.id).is_none() {
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
                        start_s: resolve_time(e.start, self.run_s),
                        end_s: resolve_time(e.end, self.run_s),
                        message: e.message.to_string(),
                        attributes_json: e.attributes_json,
                        scope: e.scope,
                    });
                }
            }
        }
        part
    }
}

/// Joins the pieces in output order: offsets into the pieces' extra parts and spans move by
/// what comes before them; the first `max_problems` problems stay described.
fn merge(parts: Vec<Part>, max_problems: usize) -> Merged {
    let mut parts = parts.into_iter();
    let first = parts.next().unwrap_or_default();
    let (mut rows, mut spans, mut extra, mut run) =
        (first.rows, first.spans, first.extra, first.run);
    let mut undeclared = first.undeclared;
    for part in parts {
        for id in part.undeclared {
            if !undeclared.contains(&id) {
                undeclared.push(id);
            }
        }
        let (span_base, extra_base) = (spans.len() as u32, extra.len() as u32);
        rows.extend(part.rows.into_iter().map(|r| Row {
            first: r.first + span_base,
            ..r
        }));
        spans.extend(part.spans.into_iter().map(|mut d| {
            d.name_at += extra_base;
            if d.value_at & EXTRA != 0 {
                d.value_at += extra_base;
            }
            d
        }));
        extra.extend_from_slice(&part.extra);
        let p = part.run;
        run.events.extend(p.events);
        let room = max_problems.saturating_sub(run.problems.len());
        run.problems_omitted += p.problems_omitted + p.problems.len().saturating_sub(room) as u64;
        run.problems.extend(p.problems.into_iter().take(room));
        run.lines_parsed += p.lines_parsed;
        run.lines_rejected += p.lines_rejected;
    }
    assert!(extra.len() <= MAX_TEXT, "dimension names of at most 2 GiB");
    Merged {
        run,
        pending: (rows, spans, extra),
        undeclared,
    }
}

/// Appends `s` to a piece's extra part (see `push_text`); returns
/// its marked offset and its length.
fn append(extra: &mut Vec<u8>, s: &str) -> (u32, u32) {
    let (at, len) = push_text(extra, s);
    assert!(extra.len() <= MAX_TEXT, "dimension names of at most 2 GiB");
    (at as u32 | EXTRA, len as u32)
}

/// Hashes a name's address: a piece looks each dimension name up once.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::config::{parse_config, ConfigLimits};

    fn config(text: &str) -> ScriptConfig {
        parse_config(text.as_bytes(), ConfigLimits::default())
            .unwrap()
            .0
    }

    #[test]
    fn ids_shifted_by_one_are_named_once() {
        let c = config(r#"{"metrics": [{"id": 0}, {"id": 1}, {"id": 2}]}"#);
        let run = interpret(&b"M1 5\nM2 6\nM3 7\n"[..], &c, 0, 20);
        assert_eq!(run.problems.len(), 1);
        assert!(
            run.problems[0].message.contains(
                "shifted by one: this run printed M1..M3, the configuration declares ids 0..2"
            ),
            "{}",
            run.problems[0].message
        );
        let down = config(r#"{"metrics": [{"id": 1}, {"id": 2}]}"#);
        let run = interpret(&b"M0 5\nM1 6\n"[..], &down, 0, 20);
        assert!(run.problems[0].message.contains("print each id one more"));
        // An undeclared id that is no neighbour is not a shift.
        let run = interpret(&b"M0 1\nM1 5\nM9 6\n"[..], &c, 0, 20);
        assert!(!run.problems[0].message.contains("shifted"));
    }
}
