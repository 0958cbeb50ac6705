//! `gsp-bench`: gsp against the spawn floor and the naive peers, side by side on one machine.
//!
//! Run: `cargo run --release -p gsp-bench` (add `--quick` for a smaller run). Each measurement
//! runs in a fresh child process (`gsp-bench inner ...`), so every figure is that process's own
//! CPU time (children excluded) and nothing leaks between workloads.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gsp::{Options, Record, Runtime};
use serde_json::{json, Value};

const T0: i64 = 1_700_000_000_000;

fn cpu_self() -> Duration {
    // SAFETY: rusage is plain data written by the kernel.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: writes ts.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// This thread's (voluntary, involuntary) context switches so far.
fn switches() -> (i64, i64) {
    // SAFETY: rusage is plain data written by the kernel.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) };
    (ru.ru_nvcsw, ru.ru_nivcsw)
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(str::to_string)
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

fn realtime_ns() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i128
}

/// Ticks (without moving the clock) until the script finished `n` data runs, draining as it goes.
fn until_data_runs(rt: &Runtime, id: u64, now: i64, n: u64, drained: &mut u64) {
    let start = Instant::now();
    while rt.script_state(id).unwrap().data_runs_done < n {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "script {id} stalled"
        );
        rt.tick(now);
        rt.wait(Duration::from_millis(100));
        rt.drain(usize::MAX, |_| *drained += 1).unwrap();
    }
}

/// `n` data runs one after another, like an agent: tick one period on, then block until the
/// run's `per_run` records arrive and drain them.
fn sequential_runs(rt: &Runtime, n: u64, per_run: u64, drained: &mut u64) {
    let mut now = T0;
    for i in 0..n {
        now += 60_000;
        rt.tick(now);
        let want = *drained + per_run;
        let start = Instant::now();
        while *drained < want {
            assert!(start.elapsed() < Duration::from_secs(30), "run {i} stalled");
            rt.wait(Duration::from_millis(100));
            rt.drain(usize::MAX, |_| *drained += 1).unwrap();
        }
    }
}

// ---- inner measurements (each in its own process) ----

fn inner_gsp_w1(n: u64, script: &str) -> Value {
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

fn inner_rust_w1(n: u64, script: &str) -> Value {
    let (c0, t0) = (cpu_self(), Instant::now());
    let mut values = 0u64;
    for _ in 0..n {
        let out = Command::new(script).arg("-d").output().unwrap();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            values += u64::from(
                line.split_whitespace()
                    .last()
                    .and_then(|v| v.parse::<f64>().ok())
                    .is_some(),
            );
        }
    }
    json!({"runs": n, "wall_s": t0.elapsed().as_secs_f64(), "cpu_s": (cpu_self() - c0).as_secs_f64(), "values": values})
}

fn inner_gsp_w2(n: usize, script: &str) -> Value {
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let (stop, peak) = (stop.clone(), peak.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(threads(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(10));
    let before = threads();
    let rt = Runtime::new(Options {
        max_concurrent_runs: n,
        ..Options::default()
    })
    .unwrap();
    let ids: Vec<u64> = (0..n).map(|_| rt.add_script(script).unwrap()).collect();
    rt.tick(T0);
    let start = Instant::now();
    let mut configs = 0;
    while configs < n {
        assert!(start.elapsed() < Duration::from_secs(60));
        rt.wait(Duration::from_millis(100));
        rt.drain(usize::MAX, |r| {
            configs += usize::from(matches!(r, Record::Config(_)))
        })
        .unwrap();
    }
    peak.store(0, Ordering::Relaxed);
    let t0 = Instant::now();
    rt.tick(T0 + 1);
    let mut metrics = 0;
    while metrics < n {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "only {metrics} of {n} drained"
        );
        rt.wait(Duration::from_millis(50));
        rt.drain(usize::MAX, |r| {
            metrics += usize::from(matches!(r, Record::Metric(_)))
        })
        .unwrap();
    }
    let wall = t0.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    drop(ids);
    json!({"scripts": n, "wall_s": wall, "gsp_threads": peak.load(Ordering::Relaxed).saturating_sub(before)})
}

fn inner_gsp_w3(file: &str, script: &str) -> Value {
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
    let mut metrics = 0usize;
    while metrics < lines {
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "{metrics} of {lines}"
        );
        rt.wait(Duration::from_millis(20));
        rt.drain(usize::MAX, |r| {
            metrics += usize::from(matches!(r, Record::Metric(_)))
        })
        .unwrap();
    }
    let wall = t0.elapsed().as_secs_f64();
    json!({"bytes": bytes, "lines": lines, "wall_s": wall, "mb_per_s": bytes as f64 / 1e6 / wall})
}

/// The floor for W3: read the same pipe and parse every line, without a runtime.
fn inner_bare_w3(file: &str) -> Value {
    let t0 = Instant::now();
    let mut child = Command::new("cat")
        .arg(file)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    child.wait().unwrap();
    let (mut parsed, mut sum) = (0usize, 0f64);
    for line in out.split(|&b| b == b'\n') {
        let Ok(line) = std::str::from_utf8(line) else {
            continue;
        };
        let Some(rest) = line.strip_prefix('M') else {
            continue;
        };
        let (id, rest) = rest.split_once(' ').unwrap_or((rest, ""));
        let _id: i64 = id.parse().unwrap_or(0);
        let (dims, value) = match rest.strip_prefix('"').and_then(|r| r.rsplit_once('"')) {
            Some((dims, value)) => (dims, value.trim()),
            None => ("", rest.trim()),
        };
        let n_dims = dims.split(',').filter_map(|p| p.split_once(':')).count();
        sum += value.parse::<f64>().unwrap_or(0.0) + n_dims as f64;
        parsed += 1;
    }
    let wall = t0.elapsed().as_secs_f64();
    let bytes = out.len();
    json!({"bytes": bytes, "lines": parsed, "wall_s": wall, "mb_per_s": bytes as f64 / 1e6 / wall, "sum": sum})
}

fn inner_gsp_w4(n: usize, script: &str, ticks: u64, pace_ms: u64) -> Value {
    let rt = Runtime::new(Options {
        splay: true,
        ..Options::default()
    })
    .unwrap();
    // Distinct command lines, so splay spreads them over the period.
    for i in 0..n {
        rt.add_script(&format!("{script} {i}")).unwrap();
    }
    let mut tick_cpu = Duration::ZERO;
    let mut now = T0;
    let (c0, t0) = (cpu_self(), Instant::now());
    let mut drained = 0u64;
    for _ in 0..ticks {
        let before = thread_cpu();
        rt.tick(now);
        tick_cpu += thread_cpu() - before;
        rt.drain(usize::MAX, |_| drained += 1).unwrap();
        now += 1000;
        std::thread::sleep(Duration::from_millis(pace_ms));
    }
    let s = rt.stats();
    json!({
        "scripts": n, "ticks": ticks, "tick_cpu_us": tick_cpu.as_secs_f64() * 1e6 / ticks as f64,
        "process_cpu_s": (cpu_self() - c0).as_secs_f64(), "wall_s": t0.elapsed().as_secs_f64(),
        "runs": s.runs_started, "rss_kib": rss_kib(), "records": drained,
    })
}

fn inner_gsp_w5(n: usize, script: &str, dir: &str) -> Value {
    let rt = Runtime::new(Options::default()).unwrap();
    for _ in 0..n {
        rt.add_script(&format!("{script} {dir}")).unwrap();
    }
    rt.tick(T0);
    let mut configs = 0;
    while configs < n {
        rt.wait(Duration::from_millis(100));
        rt.drain(usize::MAX, |r| {
            configs += usize::from(matches!(r, Record::Config(_)))
        })
        .unwrap();
    }
    rt.tick(T0 + 1);
    // Each run writes "<pid> <start ns>" to dir/<pid>; watch until every group is gone.
    let mut pending: Vec<(i32, i128)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut latencies_ms = Vec::new();
    let start = Instant::now();
    while latencies_ms.len() < n {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{} of {n} gone",
            latencies_ms.len()
        );
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if seen.contains(&name) {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(e.path()) {
                let parts: Vec<&str> = text.split_whitespace().collect();
                if parts.len() == 2 && text.ends_with('\n') {
                    pending.push((parts[0].parse().unwrap(), parts[1].parse().unwrap()));
                    seen.insert(name);
                }
            }
        }
        let now = realtime_ns();
        pending.retain(|&(pid, started)| {
            // SAFETY: signal 0 only checks for existence.
            let gone = unsafe { libc::kill(-pid, 0) } != 0;
            if gone {
                latencies_ms.push((now - (started + 1_000_000_000)) as f64 / 1e6);
            }
            !gone
        });
        rt.drain(usize::MAX, |_| {}).unwrap();
        std::thread::sleep(Duration::from_micros(500));
    }
    latencies_ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |p: f64| latencies_ms[((latencies_ms.len() - 1) as f64 * p).round() as usize];
    json!({"scripts": n, "p50_ms": pct(0.5), "p99_ms": pct(0.99), "max_ms": pct(1.0)})
}

/// W6: how long `tick` takes while large Difference runs are turned into records: one thread
/// ticks every millisecond (with a host clock that makes the runs due back to back) while the
/// host drains on another.
fn inner_gsp_w6(file: &str, script: &str, runs: u64) -> Value {
    let rt = Arc::new(
        Runtime::new(Options {
            max_stdout_bytes: 256 << 20,
            queue_capacity: 8 << 20,
            ..Options::default()
        })
        .unwrap(),
    );
    let id = rt.add_script(&format!("{script} {file}")).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let drainer = {
        let (rt, stop) = (rt.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                rt.wait(Duration::from_millis(20));
                rt.drain(usize::MAX, |_| n += 1).unwrap();
            }
            n
        })
    };
    let mut latencies_us = Vec::new();
    let mut cpu_us = Vec::new();
    // Ticks over 1 ms: (µs, voluntary switches: waited for a lock, involuntary: preempted).
    let mut slow = Vec::new();
    let mut now = T0;
    let start = Instant::now();
    while rt.script_state(id).unwrap().data_runs_done < runs {
        assert!(start.elapsed() < Duration::from_secs(300), "W6 stalled");
        let (t, c, sw) = (Instant::now(), thread_cpu(), switches());
        rt.tick(now);
        let wall = t.elapsed().as_secs_f64() * 1e6;
        let (v, i) = switches();
        if wall > 1000.0 {
            slow.push((wall as u64, v - sw.0, i - sw.1));
        }
        latencies_us.push(wall);
        cpu_us.push((thread_cpu() - c).as_secs_f64() * 1e6);
        now += 60_000;
        std::thread::sleep(Duration::from_millis(1));
    }
    stop.store(true, Ordering::Relaxed);
    let records = drainer.join().unwrap();
    latencies_us.sort_by(f64::total_cmp);
    cpu_us.sort_by(f64::total_cmp);
    let pct = |v: &[f64], p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    json!({"ticks": latencies_us.len(), "runs": runs, "records": records,
           "p50_us": pct(&latencies_us, 0.5), "p99_us": pct(&latencies_us, 0.99),
           "max_us": pct(&latencies_us, 1.0), "cpu_p99_us": pct(&cpu_us, 0.99),
           "cpu_max_us": pct(&cpu_us, 1.0),
           "slow_waited": slow.iter().filter(|s| s.1 > 0).count(),
           "slow_preempted": slow.iter().filter(|s| s.1 == 0 && s.2 > 0).count(),
           "slow": slow.len()})
}

/// W7: sequential contained runs (an rlimit set, so gsp must run code before exec) from a host
/// that first allocates and touches `host_mb` MB: wall time per run.
fn inner_gsp_w7(script: &str, host_mb: usize, runs: u64) -> Value {
    let ballast: Vec<u8> = vec![1u8; host_mb << 20];
    let touched: u64 = ballast.iter().step_by(4096).map(|&b| u64::from(b)).sum();
    let rt = Runtime::new(Options {
        limits: gsp::ResourceLimits {
            open_files: Some(256),
            ..Default::default()
        },
        ..Options::default()
    })
    .unwrap();
    let id = rt.add_script(script).unwrap();
    let mut drained = 0;
    until_data_runs(&rt, id, T0, 1, &mut drained);
    let t0 = Instant::now();
    sequential_runs(&rt, runs, 10, &mut drained);
    let wall = t0.elapsed().as_secs_f64();
    assert_eq!(rt.stats().runs_failed, 0);
    json!({"host_mb": host_mb, "touched_pages": touched, "runs": runs, "wall_s": wall,
           "ms_per_run": wall * 1e3 / runs as f64})
}

fn inner(args: &[String]) {
    let arg = |i: usize| args[i].clone();
    let num = |i: usize| args[i].parse::<u64>().unwrap();
    let out = match args[0].as_str() {
        "gsp-w1" => inner_gsp_w1(num(1), &arg(2)),
        "rust-w1" => inner_rust_w1(num(1), &arg(2)),
        "gsp-w2" => inner_gsp_w2(num(1) as usize, &arg(2)),
        "gsp-w3" => inner_gsp_w3(&arg(1), &arg(2)),
        "bare-w3" => inner_bare_w3(&arg(1)),
        "interpret-w3" => {
            let bytes = std::fs::read(arg(1)).unwrap();
            let config = gsp::protocol::config::parse_config(
                br#"{"maxruntime":1,"metrics":[{"id":1,"dimensions":[{"id":1,"name":"if"},{"id":2,"name":"dir"}]}]}"#,
                Default::default(),
            )
            .unwrap()
            .0;
            let t0 = Instant::now();
            let d = gsp::protocol::data::interpret(&bytes, &config, 0, 20);
            let parse = t0.elapsed().as_secs_f64();
            let t1 = Instant::now();
            drop(d);
            json!({"parse_s": parse, "drop_s": t1.elapsed().as_secs_f64(), "mb_per_s": bytes.len() as f64 / 1e6 / parse})
        }
        "gsp-w4" => inner_gsp_w4(num(1) as usize, &arg(2), num(3), num(4)),
        "gsp-w5" => inner_gsp_w5(num(1) as usize, &arg(2), &arg(3)),
        "gsp-w6" => inner_gsp_w6(&arg(1), &arg(2), num(3)),
        "gsp-w7" => inner_gsp_w7(&arg(1), num(2) as usize, num(3)),
        other => panic!("unknown inner measurement {other}"),
    };
    println!("{out}");
}

// ---- the driver ----

fn write_script(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path.to_str().unwrap().to_string()
}

fn run_json(cmd: &mut Command) -> Value {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .expect("benchmark process");
    assert!(out.status.success(), "{cmd:?} failed");
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}: {text}"))
}

fn me() -> Command {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.arg("inner");
    c
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("no {k} in {v}"))
}

struct Table(Vec<[String; 5]>);

impl Table {
    fn row(&mut self, workload: &str, runner: &str, figure: String, ratio: String, target: String) {
        self.0
            .push([workload.into(), runner.into(), figure, ratio, target]);
    }

    fn print(&self, out: &mut impl Write) {
        let head = ["workload", "runner", "figure (median)", "ratio", "target"];
        writeln!(out, "| {} |", head.join(" | ")).unwrap();
        writeln!(
            out,
            "|{}|",
            head.iter().map(|_| "---").collect::<Vec<_>>().join("|")
        )
        .unwrap();
        for r in &self.0 {
            writeln!(out, "| {} |", r.join(" | ")).unwrap();
        }
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("inner") {
        return inner(&args[1..]);
    }
    let quick = args.iter().any(|a| a == "--quick");
    let reps = if quick { 1 } else { 3 };
    let w1_runs: u64 = if quick { 300 } else { 2000 };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("gsp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    // The floor, compiled here from bench/floor.c.
    let floor = dir.join("floor");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
        .args(["-O2", "-o"])
        .arg(&floor)
        .arg(root.join("bench/floor.c"))
        .status()
        .expect("a C compiler");
    assert!(status.success(), "cannot compile bench/floor.c");

    let ten = write_script(
        &dir,
        "ten.sh",
        "#!/bin/sh\nif [ \"$1\" = -c ]; then\n  echo '{\"maxruntime\": 5000, \"metrics\": [{\"id\":1},{\"id\":2},{\"id\":3},{\"id\":4},{\"id\":5},{\"id\":6},{\"id\":7},{\"id\":8},{\"id\":9},{\"id\":10}]}'\n  exit 0\nfi\nprintf 'M1 1.5\\nM2 2.5\\nM3 3.5\\nM4 4.5\\nM5 5.5\\nM6 6.5\\nM7 7.5\\nM8 8.5\\nM9 9.5\\nM10 10.5\\n'\n",
    );
    let sleep2 = write_script(
        &dir,
        "sleep2.sh",
        "#!/bin/sh\nif [ \"$1\" = -c ]; then echo '{\"maxruntime\": 10000, \"metrics\": [{\"id\":1}]}'; exit 0; fi\nsleep 2\necho 'M1 1'\n",
    );
    let cat = write_script(
        &dir,
        "cat.sh",
        "#!/bin/sh\nif [ \"$2\" = -c ]; then echo '{\"maxruntime\": 50000, \"metrics\": [{\"id\":1,\"dimensions\":[{\"id\":1,\"name\":\"if\"},{\"id\":2,\"name\":\"dir\"}]}]}'; exit 0; fi\nexec cat \"$1\"\n",
    );
    let tiny = write_script(
        &dir,
        "tiny.sh",
        "#!/bin/sh\nif [ \"$2\" = -c ]; then echo '{\"maxruntime\": 5000, \"period\": 60, \"metrics\": [{\"id\":1}]}'; exit 0; fi\necho 'M1 1'\n",
    );
    let hang = write_script(
        &dir,
        "hang.sh",
        "#!/bin/sh\nif [ \"$2\" = -c ]; then echo '{\"maxruntime\": 1000, \"metrics\": [{\"id\":1}]}'; exit 0; fi\necho \"$$ $(date +%s%N)\" > \"$1/$$.tmp\" && mv \"$1/$$.tmp\" \"$1/$$\"\nexec sleep 30\n",
    );
    let data = dir.join("w3.txt");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&data).unwrap());
        let target = if quick { 10_000_000 } else { 50_000_000 };
        let mut written = 0;
        let mut i = 0u64;
        while written < target {
            let line = format!(
                "M1 \"1:eth{},2:rx\" {}.{}\n",
                i % 16,
                1_000_000 + i,
                i % 1000
            );
            written += line.len();
            w.write_all(line.as_bytes()).unwrap();
            i += 1;
        }
    }

    let mut table = Table(Vec::new());
    let per_run_us = |v: &Value| f(v, "cpu_s") * 1e6 / f(v, "runs");
    let rate = |v: &Value| f(v, "runs") / f(v, "wall_s");

    eprintln!("W1: {w1_runs} sequential data runs of a script printing 10 lines ({reps}x each)");
    let (mut fl, mut py, mut ru, mut gs) = (vec![], vec![], vec![], vec![]);
    for _ in 0..reps {
        fl.push(run_json(
            Command::new(&floor).arg(w1_runs.to_string()).arg(&ten),
        ));
        py.push(run_json(
            Command::new("python3")
                .arg(root.join("bench/naive_agent.py"))
                .arg(w1_runs.to_string())
                .arg(&ten),
        ));
        ru.push(run_json(me().args(["rust-w1", &w1_runs.to_string(), &ten])));
        gs.push(run_json(me().args(["gsp-w1", &w1_runs.to_string(), &ten])));
    }
    let cpu = |v: &[Value]| median(v.iter().map(per_run_us).collect());
    let tput = |v: &[Value]| median(v.iter().map(rate).collect());
    let (fc, pc, rc, gc) = (cpu(&fl), cpu(&py), cpu(&ru), cpu(&gs));
    let (ft, pt, rt, gt) = (tput(&fl), tput(&py), tput(&ru), tput(&gs));
    table.row(
        "W1 host CPU/run",
        "C floor (posix_spawn, read, waitpid)",
        format!("{fc:.1} µs"),
        "1.00".into(),
        String::new(),
    );
    table.row(
        "W1 host CPU/run",
        "Python subprocess.run",
        format!("{pc:.1} µs"),
        format!("{:.2}", pc / fc),
        String::new(),
    );
    table.row(
        "W1 host CPU/run",
        "Rust Command::output",
        format!("{rc:.1} µs"),
        format!("{:.2}", rc / fc),
        String::new(),
    );
    table.row(
        "W1 host CPU/run",
        "gsp",
        format!("{gc:.1} µs"),
        format!("{:.2}", gc / fc),
        format!(
            "≤ 1.3× floor and ≤ 0.5× Python: {}",
            verdict(gc <= 1.3 * fc && gc <= 0.5 * pc)
        ),
    );
    table.row(
        "W1 throughput",
        "C floor",
        format!("{ft:.0} runs/s"),
        "1.00".into(),
        String::new(),
    );
    table.row(
        "W1 throughput",
        "Python subprocess.run",
        format!("{pt:.0} runs/s"),
        format!("{:.2}", pt / ft),
        String::new(),
    );
    table.row(
        "W1 throughput",
        "Rust Command::output",
        format!("{rt:.0} runs/s"),
        format!("{:.2}", rt / ft),
        String::new(),
    );
    table.row(
        "W1 throughput",
        "gsp",
        format!("{gt:.0} runs/s"),
        format!("{:.2}", gt / ft),
        format!("≥ 0.9× floor: {}", verdict(gt >= 0.9 * ft)),
    );

    eprintln!("W2: 500 scripts sleeping 2 s, all due at once");
    let w2 = run_json(me().args(["gsp-w2", "500", &sleep2]));
    table.row(
        "W2 500 × sleep 2 s",
        "gsp",
        format!("{:.2} s, {} threads", f(&w2, "wall_s"), w2["gsp_threads"]),
        format!("{:.2} of ideal 2 s", f(&w2, "wall_s") / 2.0),
        format!(
            "≤ 2.5 s, ≤ 8 threads: {}",
            verdict(f(&w2, "wall_s") <= 2.5 && f(&w2, "gsp_threads") <= 8.0)
        ),
    );

    eprintln!(
        "W3: parse {} MB of metric lines with dimensions",
        if quick { 10 } else { 50 }
    );
    let data_s = data.to_str().unwrap().to_string();
    let (mut bare, mut g3) = (vec![], vec![]);
    for _ in 0..reps {
        bare.push(f(&run_json(me().args(["bare-w3", &data_s])), "mb_per_s"));
        g3.push(f(
            &run_json(me().args(["gsp-w3", &data_s, &cat])),
            "mb_per_s",
        ));
    }
    let (b3, gs3) = (median(bare), median(g3));
    table.row(
        "W3 parsing",
        "bare Rust reader",
        format!("{b3:.0} MB/s"),
        "1.00".into(),
        String::new(),
    );
    table.row(
        "W3 parsing",
        "gsp",
        format!("{gs3:.0} MB/s"),
        format!("{:.2}", gs3 / b3),
        format!(
            "≥ 300 MB/s and ≥ 0.5× bare: {}",
            verdict(gs3 >= 300.0 && gs3 >= 0.5 * b3)
        ),
    );

    let (ticks, pace) = if quick { (600, 5) } else { (3600, 10) };
    eprintln!("W4: 1,000 scripts, period 60 s, {ticks} ticks of 1 s host time");
    let w4 = run_json(me().args([
        "gsp-w4",
        "1000",
        &tiny,
        &ticks.to_string(),
        &pace.to_string(),
    ]));
    table.row(
        "W4 idle cost",
        "gsp",
        format!(
            "{:.1} µs/tick, {:.1} MB RSS",
            f(&w4, "tick_cpu_us"),
            f(&w4, "rss_kib") / 1024.0
        ),
        format!("{} runs", w4["runs"]),
        format!(
            "< 50 µs/tick, < 20 MB: {}",
            verdict(f(&w4, "tick_cpu_us") < 50.0 && f(&w4, "rss_kib") < 20.0 * 1024.0)
        ),
    );

    eprintln!("W5: 200 scripts hanging past a 1 s maxruntime");
    let hang_dir = dir.join("w5");
    std::fs::create_dir_all(&hang_dir).unwrap();
    let w5 = run_json(me().args(["gsp-w5", "200", &hang, hang_dir.to_str().unwrap()]));
    table.row(
        "W5 kill latency",
        "gsp",
        format!(
            "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            f(&w5, "p50_ms"),
            f(&w5, "p99_ms"),
            f(&w5, "max_ms")
        ),
        String::new(),
        format!("p99 < 50 ms: {}", verdict(f(&w5, "p99_ms") < 50.0)),
    );

    let w6_runs = if quick { 3 } else { 10 };
    eprintln!(
        "W6: tick latency while {w6_runs} Difference runs of {} MB each are applied",
        if quick { 10 } else { 50 }
    );
    let diff = write_script(
        &dir,
        "diff.sh",
        "#!/bin/sh\nif [ \"$2\" = -c ]; then echo '{\"maxruntime\": 50000, \"metrics\": [{\"id\":1,\"calctype\":\"Difference\",\"dimensions\":[{\"id\":1,\"name\":\"if\"},{\"id\":2,\"name\":\"dir\"}]}]}'; exit 0; fi\nexec cat \"$1\"\n",
    );
    let w6 = run_json(me().args(["gsp-w6", &data_s, &diff, &w6_runs.to_string()]));
    table.row(
        "W6 tick latency",
        "gsp",
        format!(
            "p50 {:.0} µs, p99 {:.0} µs, max {:.1} ms",
            f(&w6, "p50_us"),
            f(&w6, "p99_us"),
            f(&w6, "max_us") / 1e3
        ),
        format!("{} ticks", w6["ticks"]),
        format!(
            "p99 < 1 ms, max < 10 ms: {}",
            verdict(f(&w6, "p99_us") < 1000.0 && f(&w6, "max_us") < 10_000.0)
        ),
    );

    let w7_runs = if quick { "100" } else { "300" };
    eprintln!("W7: {w7_runs} contained runs from a 16 MB host and from a 2 GB host");
    let (mut small, mut large) = (vec![], vec![]);
    for _ in 0..reps {
        small.push(f(
            &run_json(me().args(["gsp-w7", &ten, "16", w7_runs])),
            "ms_per_run",
        ));
        large.push(f(
            &run_json(me().args(["gsp-w7", &ten, "2048", w7_runs])),
            "ms_per_run",
        ));
    }
    let (s7, l7) = (median(small), median(large));
    table.row(
        "W7 contained spawn",
        "gsp, 16 MB host",
        format!("{s7:.2} ms/run"),
        "1.00".into(),
        String::new(),
    );
    table.row(
        "W7 contained spawn",
        "gsp, 2 GB host",
        format!("{l7:.2} ms/run"),
        format!("{:.2}", l7 / s7),
        format!("≤ 1.2× the small host: {}", verdict(l7 <= 1.2 * s7)),
    );

    let mut stdout = std::io::stdout();
    table.print(&mut stdout);
    let _ = std::fs::remove_dir_all(&dir);
}
