//! A JSON reader that remembers the line of every key and value, so `gsp check` can point at
//! the line of a configuration problem (serde_json keeps no positions). Used only on documents
//! serde_json already accepted, so it reports no syntax errors of its own.

use serde_json::Value;

/// A JSON value and the 1-based line where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Line of the value's first character.
    pub line: usize,
    /// The value.
    pub kind: Kind,
}

/// What a [`Node`] holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Members in document order; repeated keys are all kept.
    Object(Vec<Member>),
    /// Elements.
    Array(Vec<Node>),
    /// A string, number, boolean or null.
    Scalar(Value),
}

/// An object member.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The key, unescaped.
    pub key: String,
    /// Line of the key.
    pub line: usize,
    /// The value.
    pub value: Node,
}

impl Node {
    /// The members when this is an object.
    pub fn members(&self) -> Option<&[Member]> {
        match &self.kind {
            Kind::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The last member with `key` (serde_json keeps the last of repeated keys too).
    pub fn get(&self, key: &str) -> Option<&Member> {
        self.members()?.iter().rev().find(|m| m.key == key)
    }

    /// The value as serde_json sees it.
    pub fn to_value(&self) -> Value {
        match &self.kind {
            Kind::Scalar(v) => v.clone(),
            Kind::Array(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            Kind::Object(members) => {
                let mut map = serde_json::Map::new();
                for m in members {
                    map.insert(m.key.clone(), m.value.to_value());
                }
                Value::Object(map)
            }
        }
    }
}

/// Parses `text`; `None` when it is not one valid JSON value.
pub fn parse(text: &str) -> Option<Node> {
    let mut p = Reader {
        s: text.as_bytes(),
        text,
        pos: 0,
        line: 1,
    };
    let node = p.value(0)?;
    p.skip_ws();
    (p.pos == p.s.len()).then_some(node)
}

/// serde_json's nesting limit: deeper documents never reach this reader.
const MAX_DEPTH: usize = 128;

struct Reader<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    line: usize,
}

impl Reader<'_> {
    fn skip_ws(&mut self) {
        while let Some(&b) = self.s.get(self.pos) {
            match b {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => break,
            }
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_ws();
        let line = self.line;
        let kind = match *self.s.get(self.pos)? {
            b'{' => Kind::Object(self.object(depth)?),
            b'[' => Kind::Array(self.array(depth)?),
            b'"' => Kind::Scalar(Value::String(self.string()?)),
            _ => Kind::Scalar(self.literal()?),
        };
        Some(Node { line, kind })
    }

    fn object(&mut self, depth: usize) -> Option<Vec<Member>> {
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_ws();
        if self.s.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Some(members);
        }
        loop {
            self.skip_ws();
            let line = self.line;
            let key = self.string()?;
            self.skip_ws();
            if self.s.get(self.pos) != Some(&b':') {
                return None;
            }
            self.pos += 1;
            let value = self.value(depth + 1)?;
            members.push(Member { key, line, value });
            self.skip_ws();
            match self.s.get(self.pos)? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(members);
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<Vec<Node>> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.s.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Some(items);
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.s.get(self.pos)? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(items);
                }
                _ => return None,
            }
        }
    }

    /// A string token, unescaped by serde_json.
    fn string(&mut self) -> Option<String> {
        if self.s.get(self.pos) != Some(&b'"') {
            return None;
        }
        let start = self.pos;
        self.pos += 1;
        loop {
            match *self.s.get(self.pos)? {
                b'\\' => self.pos += 2,
                b'"' => break,
                _ => self.pos += 1,
            }
        }
        self.pos += 1;
        serde_json::from_str(self.text.get(start..self.pos)?).ok()
    }

    /// A number, `true`, `false` or `null`.
    fn literal(&mut self) -> Option<Value> {
        let start = self.pos;
        while let Some(&b) = self.s.get(self.pos) {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.') {
                self.pos += 1;
            } else {
                break;
            }
        }
        serde_json::from_str(self.text.get(start..self.pos)?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_keys_and_values() {
        let text = "{\n  \"a\": 1,\n  \"b\": [\n    {\"c\": \"x\\\"y\"},\n    true\n  ],\n  \"a\": null\n}";
        let doc = parse(text).unwrap();
        let m = doc.members().unwrap();
        assert_eq!(
            m.iter()
                .map(|m| (m.key.as_str(), m.line))
                .collect::<Vec<_>>(),
            [("a", 2), ("b", 3), ("a", 7)]
        );
        assert_eq!(doc.get("a").unwrap().value.kind, Kind::Scalar(Value::Null));
        let Kind::Array(items) = &m[1].value.kind else {
            panic!("array expected")
        };
        assert_eq!(items[0].line, 4);
        assert_eq!(items[0].get("c").unwrap().value.to_value(), "x\"y");
        assert_eq!(items[1].line, 5);
        let reparsed: Value = serde_json::from_str(text).unwrap();
        assert_eq!(doc.to_value(), reparsed);
    }

    #[test]
    fn rejects_what_is_not_one_value() {
        assert!(parse("{\"a\": 1} x").is_none());
        assert!(parse("{\"a\" 1}").is_none());
        assert!(parse("[1, 2").is_none());
        assert_eq!(
            parse(" -1.5e3 ").unwrap().to_value(),
            serde_json::json!(-1500.0)
        );
    }
}
