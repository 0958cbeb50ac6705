//! Positions in a JSON document: one pass over text that is already known to be valid JSON,
//! naming each member and element by its path (`metrics[2].datatype`) with its line and column,
//! without building a tree (the document may be large).

use std::sync::atomic::{AtomicBool, Ordering};

/// One member (`key` is set) or array element, as the walk meets it.
#[derive(Debug)]
pub(crate) struct Place<'a> {
    /// The JSON path: `maxruntime`, `metrics[2]`, `metrics[2].dimensions[0].id`.
    pub path: &'a str,
    /// The path of the object or array that holds it (empty: the document).
    pub parent: &'a str,
    /// The member's key as written (escapes not decoded); `None` for an array element.
    pub key: Option<&'a str>,
    /// 1-based line and column (in characters) of the key, or of the element's first character.
    pub line: u64,
    /// See `line`.
    pub column: u64,
    /// For a repeated key: the line of the first member of the same object with this key.
    pub repeats_line: Option<u64>,
}

/// Calls `visit` for every member and element down to `max_depth` levels (1: the top level's
/// members), in document order. Returns the position of the document's first character.
/// `text` must be valid JSON (parse it first); anything else gives meaningless places. The walk
/// stops early, between elements, once `cancel` is set.
pub(crate) fn walk(
    text: &str,
    max_depth: usize,
    cancel: &AtomicBool,
    visit: &mut dyn FnMut(&Place),
) -> (u64, u64) {
    let mut w = Walker {
        cancel,
        text,
        pos: 0,
        line: 1,
        line_start: 0,
        path: String::new(),
        max_depth,
        visit,
    };
    w.blank();
    let start = w.here();
    w.value(0);
    start
}

struct Walker<'t, 'v> {
    cancel: &'v AtomicBool,
    text: &'t str,
    pos: usize,
    line: u64,
    line_start: usize,
    path: String,
    max_depth: usize,
    visit: &'v mut dyn FnMut(&Place),
}

impl<'t> Walker<'t, '_> {
    fn byte(&self) -> u8 {
        self.text.as_bytes().get(self.pos).copied().unwrap_or(b'}')
    }

    /// Skips whitespace, counting lines (valid JSON has newlines nowhere else).
    fn blank(&mut self) {
        while let Some(&b) = self.text.as_bytes().get(self.pos) {
            match b {
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    self.line_start = self.pos;
                }
                b' ' | b'\t' | b'\r' => self.pos += 1,
                _ => break,
            }
        }
    }

    fn here(&self) -> (u64, u64) {
        let column = self
            .text
            .get(self.line_start..self.pos)
            .map_or(0, |s| s.chars().count());
        (self.line, column as u64 + 1)
    }

    /// Skips a string at `pos` (its opening quote); returns its contents as written.
    fn string(&mut self) -> &'t str {
        let bytes = self.text.as_bytes();
        let start = self.pos + 1;
        let mut i = start;
        while i < bytes.len() && bytes[i] != b'"' {
            i += if bytes[i] == b'\\' { 2 } else { 1 };
        }
        self.pos = (i + 1).min(bytes.len());
        self.text.get(start..i.min(bytes.len())).unwrap_or("")
    }

    fn value(&mut self, depth: usize) {
        self.blank();
        match self.byte() {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => {
                self.string();
            }
            _ => {
                let bytes = self.text.as_bytes();
                while self.pos < bytes.len()
                    && !matches!(
                        bytes[self.pos],
                        b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n'
                    )
                {
                    self.pos += 1;
                }
            }
        }
    }

    fn object(&mut self, depth: usize) {
        self.pos += 1;
        let visiting = depth < self.max_depth;
        // Objects have a few keys: a list is cheaper than a map per object.
        let mut first_lines: Vec<(&'t str, u64)> = Vec::new();
        loop {
            self.blank();
            match self.byte() {
                b'}' => {
                    self.pos += 1;
                    return;
                }
                b',' => {
                    self.pos += 1;
                    continue;
                }
                _ => {}
            }
            let (line, column) = self.here();
            let key = self.string();
            self.blank();
            self.pos += 1; // the colon
            let parent_len = self.path.len();
            if visiting {
                let repeats_line = match first_lines.iter().find(|(k, _)| *k == key) {
                    Some(&(_, l)) => Some(l),
                    None => {
                        if first_lines.len() < 64 {
                            first_lines.push((key, line));
                        }
                        None
                    }
                };
                if parent_len > 0 {
                    self.path.push('.');
                }
                self.path.push_str(key);
                let place = Place {
                    path: &self.path,
                    parent: &self.path[..parent_len],
                    key: Some(key),
                    line,
                    column,
                    repeats_line,
                };
                (self.visit)(&place);
            }
            self.value(depth + 1);
            self.path.truncate(parent_len);
        }
    }

    fn array(&mut self, depth: usize) {
        self.pos += 1;
        let visiting = depth < self.max_depth;
        let mut index = 0usize;
        loop {
            self.blank();
            match self.byte() {
                b']' => {
                    self.pos += 1;
                    return;
                }
                b',' => {
                    self.pos += 1;
                    if depth < 2 && self.cancel.load(Ordering::Relaxed) {
                        self.pos = self.text.len();
                        return;
                    }
                    continue;
                }
                _ => {}
            }
            let parent_len = self.path.len();
            if visiting {
                let (line, column) = self.here();
                use std::fmt::Write as _;
                let _ = write!(self.path, "[{index}]");
                let place = Place {
                    path: &self.path,
                    parent: &self.path[..parent_len],
                    key: None,
                    line,
                    column,
                    repeats_line: None,
                };
                (self.visit)(&place);
            }
            self.value(depth + 1);
            self.path.truncate(parent_len);
            index += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_lines_and_repeats() {
        let text = "{\n  \"a\": 1,\n  \"m\": [ {\"id\": \"x,}\\\"\", \"id\": 2},\n 7 ],\n  \"a\": {\"b\": [1]}\n}";
        let mut seen = Vec::new();
        let start = walk(text, 3, &AtomicBool::new(false), &mut |p| {
            seen.push((
                p.path.to_string(),
                p.parent.to_string(),
                p.line,
                p.column,
                p.repeats_line,
            ))
        });
        assert_eq!(start, (1, 1));
        let expect = [
            ("a", "", 2, 3, None),
            ("m", "", 3, 3, None),
            ("m[0]", "m", 3, 10, None),
            ("m[0].id", "m[0]", 3, 11, None),
            ("m[0].id", "m[0]", 3, 26, Some(3)),
            ("m[1]", "m", 4, 2, None),
            ("a", "", 5, 3, Some(2)),
            ("a.b", "a", 5, 9, None),
            ("a.b[0]", "a.b", 5, 15, None),
        ];
        let got: Vec<_> = seen
            .iter()
            .map(|(p, q, l, c, r)| (p.as_str(), q.as_str(), *l, *c, *r))
            .collect();
        assert_eq!(got, expect);
    }
}
