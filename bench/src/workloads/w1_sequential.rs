//! W1: sequential data runs of a script printing 10 lines: the host's CPU per run and the runs
//! per second, for the C floor (also spawned by a second thread), Python, Rust's
//! `Command::output` and gsp.

use std::process::Command;
use std::time::Instant;

use gsp::{Options, Runtime};
use serde_json::{json, Value};

use crate::agent::{sequential_runs, until_data_runs, T0};
use crate::child::{inner, run_json};
use crate::fixtures::Bench;
use crate::probe::cpu_self;
use crate::report::{field, median, verdict, Table};

/// `n` sequential data runs of `script` through gsp, after its configuration and a first run.
pub fn measure(n: u64, script: &str) -> Value {
    let rt = Runtime::new(Options::default()).unwrap();
    let id = rt.add_script(script).unwrap();
    let mut drained = 0;
    until_data_runs(&rt, id, T0, 1, &mut drained);
    let (c0, t0) = (cpu_self(), Instant::now());
    sequential_runs(&rt, n, 10, &mut drained);
    let wall = t0.elapsed().as_secs_f64();
    let s = rt.stats();
    assert_eq!(
        s.runs_failed + s.runs_timed_out + s.lines_rejected,
        0,
        "{s:?}"
    );
    json!({"runs": n, "wall_s": wall, "cpu_s": (cpu_self() - c0).as_secs_f64(), "records": drained})
}

pub fn run(b: &Bench, table: &mut Table) {
    let reps = b.reps;
    let runs = if b.quick { 300u64 } else { 2000 }.to_string();
    eprintln!("W1: {runs} sequential data runs of a script printing 10 lines ({reps}x each)");
    let (mut fl, mut ho, mut py, mut ru, mut gs) = (vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..reps {
        fl.push(run_json(Command::new(&b.floor).arg(&runs).arg(&b.ten)));
        ho.push(run_json(
            Command::new(&b.handoff_floor).arg(&runs).arg(&b.ten),
        ));
        py.push(run_json(
            Command::new("python3")
                .arg(b.bench_dir.join("naive_agent.py"))
                .arg(&runs)
                .arg(&b.ten),
        ));
        ru.push(run_json(inner().args(["rust-w1", &runs, &b.ten])));
        gs.push(run_json(inner().args(["gsp-w1", &runs, &b.ten])));
    }
    let cpu = |v: &[Value]| {
        median(
            v.iter()
                .map(|v| field(v, "cpu_s") * 1e6 / field(v, "runs"))
                .collect(),
        )
    };
    let tput = |v: &[Value]| {
        median(
            v.iter()
                .map(|v| field(v, "runs") / field(v, "wall_s"))
                .collect(),
        )
    };
    let (fc, hc, pc, rc, gc) = (cpu(&fl), cpu(&ho), cpu(&py), cpu(&ru), cpu(&gs));
    let (ft, ht, pt, rt, gt) = (tput(&fl), tput(&ho), tput(&py), tput(&ru), tput(&gs));
    let cpu_target = format!(
        "≤ 1.3× floor and ≤ 0.5× Python: {}",
        verdict(gc <= 1.3 * fc && gc <= 0.5 * pc)
    );
    let cpu_rows = [
        ("C floor (posix_spawn, read, waitpid)", fc, String::new()),
        ("C floor, spawned by a second thread", hc, String::new()),
        ("Python subprocess.run", pc, String::new()),
        ("Rust Command::output", rc, String::new()),
        ("gsp", gc, cpu_target),
    ];
    for (runner, c, target) in cpu_rows {
        table.row(
            "W1 host CPU/run",
            runner,
            format!("{c:.1} µs"),
            format!("{:.2}", c / fc),
            target,
        );
    }
    let tput_target = format!("≥ 0.9× floor: {}", verdict(gt >= 0.9 * ft));
    let tput_rows = [
        ("C floor", ft, String::new()),
        ("C floor, spawned by a second thread", ht, String::new()),
        ("Python subprocess.run", pt, String::new()),
        ("Rust Command::output", rt, String::new()),
        ("gsp", gt, tput_target),
    ];
    for (runner, t, target) in tput_rows {
        table.row(
            "W1 throughput",
            runner,
            format!("{t:.0} runs/s"),
            format!("{:.2}", t / ft),
            target,
        );
    }
}
