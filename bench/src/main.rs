//! `gsp-bench`: gsp against the spawn floor and the naive peers, side by side on one machine.
//!
//! Run: `cargo run --release -p gsp-bench` (add `--quick` for a smaller run). Each measurement
//! runs in a fresh child process (`gsp-bench inner ...`, see child.rs), so every figure is that
//! process's own CPU time (children excluded) and nothing leaks between workloads.
//!
//! The workloads are in workloads/, one module each; peers.rs holds the peers measured in Rust,
//! agent.rs the loops that drive a gsp runtime, report.rs the table.

mod agent;
mod child;
mod fixtures;
mod peers;
mod probe;
mod report;
mod workloads;

use workloads::{
    w1_sequential, w2_fan_out, w3_parsing, w4_idle, w5_kill, w6_tick_latency, w7_contained_spawn,
};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("inner") {
        return inner(&args[1..]);
    }
    let bench = fixtures::Bench::new(args.iter().any(|a| a == "--quick"));
    let mut table = report::Table::default();
    w1_sequential::run(&bench, &mut table);
    w2_fan_out::run(&bench, &mut table);
    w3_parsing::run(&bench, &mut table);
    w4_idle::run(&bench, &mut table);
    w5_kill::run(&bench, &mut table);
    w6_tick_latency::run(&bench, &mut table);
    w7_contained_spawn::run(&bench, &mut table);
    table.print(&mut std::io::stdout());
}

/// One measurement, in the child process: prints its JSON object.
fn inner(args: &[String]) {
    let arg = |i: usize| args[i].clone();
    let num = |i: usize| args[i].parse::<u64>().unwrap();
    let out = match args[0].as_str() {
        "gsp-w1" => w1_sequential::measure(num(1), &arg(2)),
        "rust-w1" => peers::command_output(num(1), &arg(2)),
        "gsp-w2" => w2_fan_out::measure(num(1) as usize, &arg(2)),
        "gsp-w3" => w3_parsing::measure(&arg(1), &arg(2)),
        "bare-w3" => peers::bare_reader(&arg(1)),
        "interpret-w3" => w3_parsing::measure_interpret(&arg(1)),
        "gsp-w4" => w4_idle::measure(num(1) as usize, &arg(2), num(3), num(4)),
        "gsp-w5" => w5_kill::measure(num(1) as usize, &arg(2), &arg(3)),
        "gsp-w6" => w6_tick_latency::measure(&arg(1), &arg(2), num(3)),
        "gsp-w7" => w7_contained_spawn::measure(&arg(1), num(2) as usize, num(3)),
        other => panic!("unknown inner measurement {other}"),
    };
    println!("{out}");
}
