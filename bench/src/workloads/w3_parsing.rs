//! W3: parsing throughput of metric lines with dimensions: gsp end to end, gsp's parser alone,
//! and the bare reader (peers.rs).

use std::time::{Duration, Instant};

use gsp::{Options, Runtime};
use serde_json::{json, Value};

use crate::agent::{until_metrics, T0};
use crate::child::{inner, run_json};
use crate::fixtures::Bench;
use crate::report::{field, median, verdict, Table};

/// One data run of `script file` (which prints the file): MB/s from tick to the last record.
pub fn measure(file: &str, script: &str) -> Value {
    let lines = std::fs::read(file)
        .unwrap()
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    let bytes = std::fs::metadata(file).unwrap().len();
    let rt = Runtime::new(Options {
        max_stdout_bytes: 256 << 20,
        queue_capacity: 8 << 20,
        max_runtime_ms: 50_000,
        ..Options::default()
    })
    .unwrap();
    let id = rt.add_script(&format!("{script} {file}")).unwrap();
    rt.tick(T0);
    let mut drained = 0u64;
    while rt.script_state(id).unwrap().config.is_none() {
        rt.wait(Duration::from_millis(50));
        rt.drain(usize::MAX, |_| drained += 1).unwrap();
    }
    let t0 = Instant::now();
    rt.tick(T0 + 1);
    until_metrics(
        &rt,
        lines,
        Duration::from_millis(20),
        Duration::from_secs(120),
    );
    let wall = t0.elapsed().as_secs_f64();
    json!({"bytes": bytes, "lines": lines, "wall_s": wall, "mb_per_s": bytes as f64 / 1e6 / wall})
}

/// gsp's data-line parser alone on the file's bytes, in this process: parse and drop times.
pub fn measure_interpret(file: &str) -> Value {
    let bytes = std::fs::read(file).unwrap();
    let config = gsp::protocol::config::parse_config(
        br#"{"maxruntime":1,"metrics":[{"id":1,"dimensions":[{"id":1,"name":"if"},{"id":2,"name":"dir"}]}]}"#,
        Default::default(),
    )
    .unwrap()
    .0;
    let t0 = Instant::now();
    let d = gsp::protocol::interpret::interpret(bytes.as_slice(), &config, 0, 20);
    let parse = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    drop(d);
    json!({"parse_s": parse, "drop_s": t1.elapsed().as_secs_f64(), "mb_per_s": bytes.len() as f64 / 1e6 / parse})
}

pub fn run(b: &Bench, table: &mut Table) {
    eprintln!(
        "W3: parse {} MB of metric lines with dimensions",
        b.data_mb()
    );
    let lines = std::fs::read(&b.data)
        .unwrap()
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        .to_string();
    let (mut bare_c, mut c_host, mut bare_rust, mut rust_host) = (vec![], vec![], vec![], vec![]);
    for _ in 0..b.reps {
        let mb = |cmd: &mut std::process::Command| field(&run_json(cmd), "mb_per_s");
        bare_c.push(mb(std::process::Command::new(&b.bare_reader).arg(&b.data)));
        c_host.push(mb(
            std::process::Command::new(&b.c_host).args([&b.data, &b.cat, &lines])
        ));
        bare_rust.push(mb(inner().args(["bare-w3", &b.data])));
        rust_host.push(mb(inner().args(["gsp-w3", &b.data, &b.cat])));
    }
    let floor = median(bare_c);
    let row = |table: &mut Table, who: &str, v: f64, target: String| {
        table.row(
            "W3 parsing",
            who,
            format!("{v:.0} MB/s"),
            format!("{:.2}", v / floor),
            target,
        )
    };
    row(table, "bare C reader (floor)", floor, String::new());
    let c = median(c_host);
    row(
        table,
        "gsp, drained by a C host",
        c,
        format!("≥ 0.5× floor: {}", verdict(c >= 0.5 * floor)),
    );
    row(
        table,
        "gsp, drained in Rust",
        median(rust_host),
        String::new(),
    );
    row(table, "bare Rust reader", median(bare_rust), String::new());
}
