//! The generic script protocol: configuration JSON (`-c`), data lines (`-d`), and positions in
//! a JSON document (for notes that name a line and column).

pub mod config;
pub mod data;
mod document;
pub mod interpret;
mod positions;
pub mod samples;
