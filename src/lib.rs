//! gsp, the generic script plugin runtime.
//!
//! An embedding agent registers script command lines, calls [`Runtime::tick`] with its own clock
//! and drains [`Record`]s. gsp runs each script in configuration mode (`-c`) and then in data mode
//! (`-d`) every period, on its own threads, enforcing the protocol's timing and limits.
//!
//! Modules, by job: [`protocol`] parses what scripts print; [`schedule`] decides when runs are
//! due; [`contain`] spawns every run with its containment, [`exec`] prepares spawns, kills
//! process groups and reaps; [`cgroup`] gives runs cgroups; [`reactor`] watches running scripts;
//! [`difference`] computes `Difference` values; [`queue`] holds records for the host;
//! [`runtime`] ties them together; `ffi` is the C ABI over [`Runtime`].

pub mod abi;
pub mod cgroup;
pub mod cmdline;
pub mod contain;
pub mod diagnostic;
pub mod difference;
pub mod exec;
pub mod protocol;
pub mod queue;
pub mod reactor;
pub mod record;
pub mod runtime;
pub mod schedule;

pub use contain::ResourceLimits;
pub use exec::EnvMode;
pub use protocol::config::{
    AttributeDef, Calctype, Datatype, DimensionDef, EventDef, MetricDef, ScriptConfig,
};
pub use record::{
    ConfigRecord, Diagnostic, DiagnosticKind, Dimension, EventRecord, MetricRecord, Record, Scope,
    ScriptId, Severity,
};
pub use runtime::{Error, Options, RunCost, Runtime, ScriptState, Stats};

/// The library version (Cargo.toml's).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
