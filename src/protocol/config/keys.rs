//! The walk over the whole document: the line and column of every note's path, and advice about
//! keys the reader skips unread (unknown keys) or overrides (a repeated key: the last counts).

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;

use super::entries::suggest;
use super::ConfigNote;
use crate::diagnostic::{DiagnosticKind, Severity};
use crate::protocol::positions::{walk, Place};

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

/// Deep enough for the members of a metric's dimensions (`metrics[0].dimensions[1].id`).
const DEPTH: usize = 5;

/// The keys the protocol knows in the object at `parent`, or `None` where it defines none.
fn known_keys(parent: &str) -> Option<&'static [&'static str]> {
    if parent.is_empty() {
        return Some(TOP_KEYS);
    }
    let (head, rest) = parent.split_once('[')?;
    let (_, rest) = rest.split_once(']')?;
    let nested = |name: &str| {
        rest.strip_prefix(name)
            .and_then(|r| r.strip_prefix('['))
            .is_some_and(|r| r.ends_with(']') && !r.contains('.'))
    };
    match head {
        "metrics" if rest.is_empty() => Some(METRIC_KEYS),
        "events" if rest.is_empty() => Some(EVENT_KEYS),
        "metrics" if nested(".dimensions") => Some(DIMENSION_KEYS),
        "events" if nested(".attributeDescriptions") => Some(ATTRIBUTE_KEYS),
        _ => None,
    }
}

fn describe(parent: &str) -> String {
    if parent.is_empty() {
        "the configuration".into()
    } else {
        format!("`{parent}`")
    }
}

/// Advice about one member's key, if it is unknown or repeated.
fn key_advice(p: &Place, notes: &mut Vec<ConfigNote>) {
    let (Some(key), Some(known)) = (p.key, known_keys(p.parent)) else {
        return;
    };
    let advice = |severity, rule, message| ConfigNote {
        advice: true,
        line: Some(p.line),
        column: Some(p.column),
        ..ConfigNote::new(
            severity,
            DiagnosticKind::ConfigInvalid,
            rule,
            p.path,
            message,
        )
    };
    if let Some(first) = p.repeats_line {
        notes.push(advice(
            Severity::Warning,
            "duplicate_key",
            format!(
                "{} repeats key `{key}` (first on line {first}); only this last one counts",
                describe(p.parent)
            ),
        ));
    }
    if !known.contains(&key) {
        let (severity, hint) = match suggest(key, known) {
            Some(k) => (
                Severity::Warning,
                format!("did you mean `{k}`? As written it is ignored"),
            ),
            None => (
                Severity::Info,
                format!("it is ignored (known keys: {})", known.join(", ")),
            ),
        };
        notes.push(advice(
            severity,
            "unknown_key",
            format!("{} has an unknown key `{key}`: {hint}", describe(p.parent)),
        ));
    }
}

/// Gives every note the position of its path in `text` (a valid document; the last of repeated
/// places, since the last one counts) and adds advice about unknown and repeated keys. Stops
/// early once `cancel` is set.
pub(super) fn place_notes(text: &str, notes: &mut Vec<ConfigNote>, cancel: &AtomicBool) {
    let mut wanted: HashMap<String, Option<(u64, u64)>> = notes
        .iter()
        .filter(|n| !n.path.is_empty())
        .map(|n| (n.path.clone(), None))
        .collect();
    let mut key_notes = Vec::new();
    let start = walk(text, DEPTH, cancel, &mut |p| {
        // Usually no note names a path: then nothing is looked up.
        if !wanted.is_empty() {
            if let Some(slot) = wanted.get_mut(p.path) {
                *slot = Some((p.line, p.column));
            }
        }
        key_advice(p, &mut key_notes);
    });
    for n in notes.iter_mut() {
        let at = match wanted.get(&n.path) {
            _ if n.path.is_empty() => Some(start),
            Some(&found) => found,
            None => None,
        };
        if let Some((line, column)) = at {
            n.line = Some(line);
            n.column = Some(column);
        }
    }
    notes.append(&mut key_notes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_with_known_keys() {
        assert_eq!(known_keys(""), Some(TOP_KEYS));
        assert_eq!(known_keys("metrics[3]"), Some(METRIC_KEYS));
        assert_eq!(known_keys("metrics[3].dimensions[0]"), Some(DIMENSION_KEYS));
        assert_eq!(
            known_keys("events[0].attributeDescriptions[2]"),
            Some(ATTRIBUTE_KEYS)
        );
        assert_eq!(known_keys("metrics[3].dimensions"), None);
        assert_eq!(known_keys("metrics[3].groups[0]"), None);
        assert_eq!(known_keys("other[0]"), None);
    }
}
