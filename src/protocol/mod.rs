//! The generic script protocol: configuration JSON (`-c`) and data lines (`-d`).

pub mod config;
pub mod data;
mod document;
pub mod interpret;
