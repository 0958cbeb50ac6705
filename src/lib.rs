//! gsp, the generic script plugin runtime.
//!
//! An embedding agent registers script command lines, calls [`Runtime::tick`] with its own clock
//! and drains [`Record`]s. gsp runs each script in configuration mode (`-c`) and then in data mode
//! (`-d`) every period, on its own threads, enforcing the protocol's timing and limits.
//!
//! The library has three layers, and a run flows through them one way: the runtime (`runtime`: the API,
//! options, schedule, worker pool, records, `Difference`, statistics) decides a run is due and
//! sends a request to the process layer (`process`: spawning with containment, cgroups, the I/O
//! thread that watches, kills and reaps), which hands back one result; the runtime turns it into
//! records with the [`protocol`] parsers (configuration JSON and data lines) and queues them for
//! the host. [`abi`] declares the enums whose values the C ABI (the `gsp-capi` crate) fixes.

#![warn(missing_docs)]

pub mod abi;
mod diagnostic;
mod dimensions;
mod process;
pub mod protocol;
mod record;
mod runtime;

pub use diagnostic::{printable, shortened, DiagnosticKind, Severity};
pub use dimensions::{Dimension, Dimensions};
pub use process::{panic_message, EnvMode, ResourceLimits};
pub use protocol::config::{
    AttributeDef, Calctype, Datatype, DimensionDef, EventDef, MetricDef, ScriptConfig,
};
pub use record::{
    ConfigRecord, Diagnostic, EventRecord, MetricRecord, Record, Scope, ScriptId, MAX_MESSAGE_BYTES,
};
/// The command-line parser and the splay, for gsp's own property and allocation tests: not part
/// of the API (hidden from the documentation, and may change without notice).
#[doc(hidden)]
pub use runtime::{splay_offset_ms, CommandLine, Mode};
pub use runtime::{
    Error, Options, RunCost, Runtime, ScriptState, Stats, MAX_CONFIG_NOTES_PER_RUN,
    MAX_LINE_DIAGNOSTICS_PER_RUN,
};

/// Every enum of the C ABI that the library declares, in the order gsp.h lists them.
pub const ABI_ENUMS: &[&abi::AbiEnum] = &[
    &Datatype::ABI,
    &Calctype::ABI,
    &Scope::ABI,
    &Severity::ABI,
    &DiagnosticKind::ABI,
];

/// The library version (Cargo.toml's).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
