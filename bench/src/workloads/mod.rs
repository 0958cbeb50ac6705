//! The workloads, one module each: `measure` runs in a child process (`gsp-bench inner`) and
//! prints one JSON object; `run` starts the children, gsp's and the peers', and adds the rows.

pub mod w1_sequential;
pub mod w2_fan_out;
pub mod w3_parsing;
pub mod w4_idle;
pub mod w5_kill;
pub mod w6_tick_latency;
pub mod w7_contained_spawn;
