//! Reads a configuration document entry by entry, so parsing costs memory proportional to the
//! document: the top level is streamed, and only one entry of `metrics` or `events` exists as a
//! JSON tree at a time. The reading can be cancelled between entries (the runtime is shutting
//! down), which bounds how long a huge document can hold a worker.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// What the reader hands over: the top-level scalars the rules need, and each entry of the two
/// arrays as it is read.
pub(crate) trait Sink {
    /// `maxruntime` or `period` (other top-level keys are skipped unread).
    fn scalar(&mut self, key: &str, value: Value);
    /// Entry `index` of `metrics` (`events` is false) or `events`.
    fn entry(&mut self, events: bool, index: usize, value: Value);
    /// `metrics` or `events` began again (a repeated key: the last one counts, as in JSON
    /// parsers that build a map).
    fn restart(&mut self, events: bool);
}

/// Why a document could not be read.
pub(crate) enum ReadError {
    /// Not JSON (with serde_json's line and column).
    Syntax(serde_json::Error),
    /// The top level is not an object; the JSON type it is instead.
    NotAnObject(&'static str),
    /// `metrics` or `events` is not an array; the key and the JSON type it is instead.
    NotAnArray(&'static str, &'static str),
    /// The reading was cancelled.
    Cancelled,
}

/// Reads `text` into `sink`, checking `cancel` between entries.
pub(crate) fn read(text: &[u8], sink: &mut dyn Sink, cancel: &AtomicBool) -> Result<(), ReadError> {
    let mut problem = None;
    let mut de = serde_json::Deserializer::from_slice(text);
    let top = Top {
        sink,
        cancel,
        problem: &mut problem,
    };
    let result = top.deserialize(&mut de).and_then(|()| de.end());
    match (problem, result) {
        (Some(p), _) => Err(p),
        (None, Err(e)) => Err(ReadError::Syntax(e)),
        (None, Ok(())) => Ok(()),
    }
}

/// The error a visitor raises to stop reading once `problem` holds the reason.
fn stop<E: de::Error>() -> E {
    E::custom("stopped")
}

struct Top<'a> {
    sink: &'a mut dyn Sink,
    cancel: &'a AtomicBool,
    problem: &'a mut Option<ReadError>,
}

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

/// Visits a JSON value that should be of one type: anything else is consumed and named.
macro_rules! other_types {
    ($on_other:ident) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
            self.$on_other("a boolean")
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
            self.$on_other("a number")
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
            self.$on_other("a number")
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
            self.$on_other("a number")
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
            self.$on_other("a string")
        }
    };
}

impl Top<'_> {
    fn not_an_object<E: de::Error>(self, what: &'static str) -> Result<(), E> {
        *self.problem = Some(ReadError::NotAnObject(what));
        Err(stop())
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    other_types!(not_an_object);

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.not_an_object("null")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // Read it first: a broken array is a syntax error before it is the wrong type.
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.not_an_object("an array")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "metrics" | "events" => {
                    let events = key == "events";
                    self.sink.restart(events);
                    map.next_value_seed(Entries {
                        key: if events { "events" } else { "metrics" },
                        events,
                        sink: &mut *self.sink,
                        cancel: self.cancel,
                        problem: &mut *self.problem,
                    })?;
                }
                "maxruntime" | "period" => {
                    let value: Value = map.next_value()?;
                    self.sink.scalar(&key, value);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct Entries<'a> {
    key: &'static str,
    events: bool,
    sink: &'a mut dyn Sink,
    cancel: &'a AtomicBool,
    problem: &'a mut Option<ReadError>,
}

impl<'de> DeserializeSeed<'de> for Entries<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Entries<'_> {
    fn not_an_array<E: de::Error>(self, what: &'static str) -> Result<(), E> {
        *self.problem = Some(ReadError::NotAnArray(self.key, what));
        Err(stop())
    }
}

impl<'de> Visitor<'de> for Entries<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` as an array", self.key)
    }

    other_types!(not_an_array);

    /// `null` is an absent array.
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.not_an_array("an object")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while let Some(value) = seq.next_element::<Value>()? {
            if self.cancel.load(Ordering::Relaxed) {
                *self.problem = Some(ReadError::Cancelled);
                return Err(stop());
            }
            self.sink.entry(self.events, index, value);
            index += 1;
        }
        Ok(())
    }
}
