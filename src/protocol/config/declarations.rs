//! What a configuration declares: metrics with their dimensions, events with their attributes,
//! the datatype and calctype names, and the id indexes data lines are looked up in.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use crate::abi::abi_enum;

abi_enum! {
    /// A metric's declared data type; the original string is kept beside it (`datatype_name`).
    #[c_name = "gsp_datatype"]
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Datatype {
        /// Missing or not a known name.
        Unknown = 0 => "GSP_DATATYPE_UNKNOWN",
        /// `DOUBLE`.
        Double = 1 => "GSP_DATATYPE_DOUBLE",
        /// `GAUGE`, and the vendor's own typo `GUAGE`.
        Gauge = 2 => "GSP_DATATYPE_GAUGE",
        /// `COUNT`.
        Count = 3 => "GSP_DATATYPE_COUNT",
        /// `COUNTER`: a decrease is a reset for `Difference`.
        Counter = 4 => "GSP_DATATYPE_COUNTER",
        /// `LONG`.
        Long = 5 => "GSP_DATATYPE_LONG",
        /// `HISTOGRAM`.
        Histogram = 6 => "GSP_DATATYPE_HISTOGRAM",
        /// `BINARY`.
        Binary = 7 => "GSP_DATATYPE_BINARY",
    }
}

impl Datatype {
    pub(super) fn from_name(name: &str) -> Option<Datatype> {
        Some(match name.trim().to_ascii_uppercase().as_str() {
            "DOUBLE" => Datatype::Double,
            "GAUGE" | "GUAGE" => Datatype::Gauge,
            "COUNT" => Datatype::Count,
            "COUNTER" => Datatype::Counter,
            "LONG" => Datatype::Long,
            "HISTOGRAM" => Datatype::Histogram,
            "BINARY" => Datatype::Binary,
            _ => return None,
        })
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Datatype::Unknown => "UNKNOWN",
            Datatype::Double => "DOUBLE",
            Datatype::Gauge => "GAUGE",
            Datatype::Count => "COUNT",
            Datatype::Counter => "COUNTER",
            Datatype::Long => "LONG",
            Datatype::Histogram => "HISTOGRAM",
            Datatype::Binary => "BINARY",
        }
    }
}

abi_enum! {
    /// The calculation applied to a metric's values.
    #[c_name = "gsp_calctype"]
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Calctype {
        /// The value as printed (also the default).
        Instant = 0 => "GSP_CALCTYPE_INSTANT",
        /// Current minus previous value of the same series; the first value gives none.
        Difference = 1 => "GSP_CALCTYPE_DIFFERENCE",
        /// From older protocol pages; one value per run, so delivered as printed.
        Average = 2 => "GSP_CALCTYPE_AVERAGE",
    }
}

impl Calctype {
    pub(super) fn from_name(name: &str) -> Option<Calctype> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "instant" => Calctype::Instant,
            "difference" => Calctype::Difference,
            "average" => Calctype::Average,
            _ => return None,
        })
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Calctype::Instant => "Instant",
            Calctype::Difference => "Difference",
            Calctype::Average => "Average",
        }
    }
}

/// A declared dimension of a metric (ids are per metric).
#[derive(Debug, Clone, PartialEq)]
pub struct DimensionDef {
    /// Id used in data lines (`"<id>:<value>"`).
    pub id: i64,
    /// Declared name (shared by every record that carries it).
    pub name: Arc<str>,
}

/// A declared metric.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricDef {
    /// Id used in data lines (`M<id>`).
    pub id: i64,
    /// Name (shared by every record that carries it).
    pub name: Arc<str>,
    /// Description.
    pub description: String,
    /// Comma-separated groups, nested with `/`.
    pub groups: String,
    /// Unit.
    pub unit: String,
    /// Tags.
    pub tags: String,
    /// Data type.
    pub datatype: Datatype,
    /// The datatype string as the script printed it (empty when missing).
    pub datatype_name: String,
    /// Calculation.
    pub calctype: Calctype,
    /// Declared dimensions.
    pub dimensions: Vec<DimensionDef>,
    /// Position of each dimension id, so checking a data line is linear in its length.
    pub(super) dimension_index: IdMap,
}

impl MetricDef {
    /// The declared dimension with this id.
    pub fn dimension(&self, id: i64) -> Option<&DimensionDef> {
        self.dimension_index.get(&id).map(|&i| &self.dimensions[i])
    }
}

/// A declared event attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeDef {
    /// Name (the key in the event's attribute JSON).
    pub name: String,
    /// Type, as declared (`integer`, `string`, ...).
    pub kind: String,
    /// Unit (empty when missing).
    pub unit: String,
}

/// A declared event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDef {
    /// Id used in data lines (`E<id>`).
    pub id: i64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Attribute descriptions.
    pub attributes: Vec<AttributeDef>,
}

pub(super) trait HasId {
    fn id(&self) -> i64;
}

/// Ids to positions, hashed with a multiply-shift hash: ids are small integers chosen by script
/// authors, and the map is looked up once per data line, where SipHash showed in profiles.
pub(super) type IdMap = HashMap<i64, usize, BuildHasherDefault<IdHasher>>;

/// Multiply-shift hashing of an `i64` id.
#[derive(Default)]
pub(super) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_i64(&mut self, id: i64) {
        self.0 = (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Position of each id (ids are unique: duplicates were skipped while parsing).
pub(super) fn index_of<T: HasId>(items: &[T]) -> IdMap {
    items.iter().enumerate().map(|(i, x)| (x.id(), i)).collect()
}

impl HasId for DimensionDef {
    fn id(&self) -> i64 {
        self.id
    }
}

impl HasId for MetricDef {
    fn id(&self) -> i64 {
        self.id
    }
}

impl HasId for EventDef {
    fn id(&self) -> i64 {
        self.id
    }
}
