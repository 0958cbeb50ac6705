//! A metric record's dimensions: views into the text of the run that printed them.
//!
//! A data run's records share one [`RunText`]: the run's output, with every dimension value
//! NUL-terminated in place, and the dimension names after it. A record holds a reference to it
//! and a range of its dimension table, so the records of a run cost allocations per run, not
//! per line, and a C host gets pointers into that buffer instead of copies.

use std::ffi::CStr;
use std::fmt;
use std::sync::Arc;

/// Where one dimension's name and value are in a [`RunText`] (each followed by a NUL). Offsets
/// are 32-bit, so a span is half the size: an offset with [`EXTRA`] set is in the text's extra
/// part (names, and values moved out of place), otherwise in its output, which is at most
/// [`MAX_TEXT`] bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DimSpan {
    pub id: i64,
    pub name_at: u32,
    pub name_len: u32,
    pub value_at: u32,
    pub value_len: u32,
}

/// The most bytes of output a run's text holds (2 GiB - 1).
pub(crate) const MAX_TEXT: usize = EXTRA as usize - 1;

/// Marks an offset into the extra part.
pub(crate) const EXTRA: u32 = 1 << 31;

/// The text behind the dimensions of one run's metric records.
pub(crate) struct RunText {
    /// The run's output; every span in it is UTF-8 followed by a NUL.
    bytes: Box<[u8]>,
    /// Names, and values that could not stay in place; the same holds.
    extra: Box<[u8]>,
    dims: Box<[DimSpan]>,
}

impl RunText {
    /// Every span of `dims` must be valid UTF-8 followed by a NUL, in `bytes` or (marked with
    /// [`EXTRA`]) in `extra`.
    pub(crate) fn new(bytes: Vec<u8>, extra: Vec<u8>, dims: Vec<DimSpan>) -> RunText {
        let text = RunText {
            bytes: bytes.into_boxed_slice(),
            extra: extra.into_boxed_slice(),
            dims: dims.into_boxed_slice(),
        };
        debug_assert!(text.bytes.len() <= MAX_TEXT);
        debug_assert!(text.dims.iter().all(|d| {
            let ok = |at, len| {
                let b = text.part(at, len);
                b.last() == Some(&0) && std::str::from_utf8(&b[..b.len() - 1]).is_ok()
            };
            ok(d.name_at, d.name_len) && ok(d.value_at, d.value_len)
        }));
        text
    }

    /// The span and its NUL.
    fn part(&self, at: u32, len: u32) -> &[u8] {
        let (buf, at) = if at & EXTRA != 0 {
            (&self.extra, at & !EXTRA)
        } else {
            (&self.bytes, at)
        };
        &buf[at as usize..=at as usize + len as usize]
    }

    fn str_at(&self, at: u32, len: u32) -> &str {
        let b = self.part(at, len);
        // SAFETY: RunText::new's contract: every span is valid UTF-8.
        unsafe { std::str::from_utf8_unchecked(&b[..b.len() - 1]) }
    }

    fn c_str_at(&self, at: u32, len: u32) -> &CStr {
        let b = self.part(at, len);
        // Only the extra part holds texts with NULs: spans in the output never scan.
        if at & EXTRA != 0 && b[..b.len() - 1].contains(&0) {
            // A text holding NULs (see `push_text`): its C form, with U+FFFD for them, follows.
            let start = (at & !EXTRA) as usize + len as usize + 1;
            let rest = if at & EXTRA != 0 {
                &self.extra[start..]
            } else {
                &self.bytes[start..]
            };
            return CStr::from_bytes_until_nul(rest).expect("a C form follows");
        }
        // SAFETY: the span holds no NUL and RunText::new's contract puts one after it.
        unsafe { CStr::from_bytes_with_nul_unchecked(b) }
    }
}

/// Appends `s` NUL-terminated to `buf`; returns its offset and length. A text holding a NUL is
/// kept as it is for Rust, and followed by its C form (U+FFFD for each NUL), NUL-terminated.
pub(crate) fn push_text(buf: &mut Vec<u8>, s: &str) -> (usize, usize) {
    let at = buf.len();
    buf.extend_from_slice(s.as_bytes());
    buf.push(0);
    if s.as_bytes().contains(&0) {
        buf.extend_from_slice(s.replace('\0', "\u{FFFD}").as_bytes());
        buf.push(0);
    }
    (at, s.len())
}

/// A share of a run's text for a batch of records. Records count their references here, not on
/// the run's text itself: a worker making records and a host dropping earlier ones then touch
/// different counters (one shared counter bounced between the CPUs on every record).
pub(crate) struct TextShare(Arc<RunText>);

impl TextShare {
    /// A new share of `text`.
    pub(crate) fn of(text: &Arc<RunText>) -> Arc<TextShare> {
        Arc::new(TextShare(Arc::clone(text)))
    }
}

/// The dimension values of one metric record, in the order the line gave them. Cloning one is
/// cheap: it shares its run's text.
#[derive(Clone)]
pub struct Dimensions {
    text: Arc<TextShare>,
    start: u32,
    len: u32,
}

/// One dimension value of a metric record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dimension<'a> {
    /// The dimension id as printed by the script.
    pub id: i64,
    /// The name the configuration declared for this id.
    pub name: &'a str,
    /// The value, exactly as printed (never unescaped).
    pub value: &'a str,
}

impl Dimensions {
    /// Dimensions of their own, not from a run's output (for hosts and tests that build
    /// records): `(id, name, value)` in order. A NUL in a name or value shows as U+FFFD in C.
    pub fn new<'a>(pairs: impl IntoIterator<Item = (i64, &'a str, &'a str)>) -> Dimensions {
        let mut bytes = Vec::new();
        let mut dims = Vec::new();
        let push = |bytes: &mut Vec<u8>, s: &str| {
            let (at, len) = push_text(bytes, s);
            assert!(bytes.len() <= MAX_TEXT, "dimensions of at most 2 GiB");
            // In the extra part, where texts holding a NUL may be.
            (at as u32 | EXTRA, len as u32)
        };
        for (id, name, value) in pairs {
            let (name_at, name_len) = push(&mut bytes, name);
            let (value_at, value_len) = push(&mut bytes, value);
            dims.push(DimSpan {
                id,
                name_at,
                name_len,
                value_at,
                value_len,
            });
        }
        let len = u32::try_from(dims.len()).expect("fewer than 2^32 dimensions");
        Dimensions {
            text: TextShare::of(&Arc::new(RunText::new(Vec::new(), bytes, dims))),
            start: 0,
            len,
        }
    }

    /// The dimensions `start..start + len` of a run's text, through a share of it.
    pub(crate) fn of_run(text: &Arc<TextShare>, start: u32, len: u32) -> Dimensions {
        debug_assert!((start + len) as usize <= text.0.dims.len());
        Dimensions {
            text: Arc::clone(text),
            start,
            len,
        }
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first, if any.
    pub fn first(&self) -> Option<Dimension<'_>> {
        self.get(0)
    }

    /// The `i`-th, in line order.
    pub fn get(&self, i: usize) -> Option<Dimension<'_>> {
        self.spans().get(i).map(|d| self.dimension(d))
    }

    /// All of them, in line order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            text: &self.text.0,
            spans: self.spans().iter(),
        }
    }

    /// The `i`-th name and value as C strings, pointing into the run's text (for the C ABI).
    pub fn c_strs(&self, i: usize) -> Option<(i64, &CStr, &CStr)> {
        let d = self.spans().get(i)?;
        Some((
            d.id,
            self.text.0.c_str_at(d.name_at, d.name_len),
            self.text.0.c_str_at(d.value_at, d.value_len),
        ))
    }

    fn spans(&self) -> &[DimSpan] {
        &self.text.0.dims[self.start as usize..(self.start + self.len) as usize]
    }

    fn dimension(&self, d: &DimSpan) -> Dimension<'_> {
        self.text.0.dimension(d)
    }
}

impl RunText {
    fn dimension(&self, d: &DimSpan) -> Dimension<'_> {
        Dimension {
            id: d.id,
            name: self.str_at(d.name_at, d.name_len),
            value: self.str_at(d.value_at, d.value_len),
        }
    }
}

/// An iterator over a record's [`Dimension`]s.
pub struct Iter<'a> {
    text: &'a RunText,
    spans: std::slice::Iter<'a, DimSpan>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Dimension<'a>;

    fn next(&mut self) -> Option<Dimension<'a>> {
        self.spans.next().map(|d| self.text.dimension(d))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.spans.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl PartialEq for Dimensions {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl fmt::Debug for Dimensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a Dimensions {
    type Item = Dimension<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_and_c_strings_agree() {
        let d = Dimensions::new([(1, "if", "eth0"), (2, "dir", "r\0x")]);
        assert_eq!(d.len(), 2);
        let v: Vec<_> = d.iter().collect();
        assert_eq!(
            v[0],
            Dimension {
                id: 1,
                name: "if",
                value: "eth0"
            }
        );
        assert_eq!(v[1].value, "r\0x");
        let (id, name, value) = d.c_strs(1).unwrap();
        assert_eq!((id, name.to_str().unwrap()), (2, "dir"));
        assert_eq!(value.to_str().unwrap(), "r\u{FFFD}x");
        assert!(d.c_strs(2).is_none() && d.get(2).is_none());
        assert!(Dimensions::new([]).is_empty());
    }
}
