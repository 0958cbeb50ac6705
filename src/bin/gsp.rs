//! The `gsp` command: runs generic scripts with the gsp runtime and prints their records.

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Parser, Subcommand};
use gsp::{Options, Runtime};

#[derive(Parser)]
#[command(
    name = "gsp",
    version,
    about = "Run generic monitoring scripts (the generic script plugin protocol)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run scripts on their schedule and print every record as a JSON line on stdout.
    #[command(
        after_help = "Examples:\n  gsp run examples/scripts/load.sh\n  gsp run --once 'python3 examples/scripts/netdev.py' examples/scripts/disk.sh"
    )]
    Run {
        /// Run each script's configuration and one data run, print the records, and exit.
        #[arg(long)]
        once: bool,
        /// Script command lines (quote those with arguments).
        #[arg(required = true, value_name = "SCRIPT")]
        scripts: Vec<String>,
    },
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { once, scripts } => run(once, &scripts),
    }
}

fn run(once: bool, scripts: &[String]) -> ExitCode {
    // The command (not the library) handles SIGINT/SIGTERM, so scripts' process groups are killed
    // on the way out instead of being orphaned.
    // SAFETY: the handler only stores to an atomic.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
    let rt = match Runtime::new(Options::default()) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("gsp: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut ids = Vec::new();
    for s in scripts {
        match rt.add_script(s) {
            Ok(id) => ids.push(id),
            Err(e) => {
                eprintln!("gsp: script `{s}`: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let stdout = std::io::stdout();
    while !STOP.load(Ordering::SeqCst) {
        rt.tick(now_ms());
        rt.wait(Duration::from_millis(250));
        let mut out = stdout.lock();
        let mut write_failed = false;
        let _ = rt.drain(usize::MAX, |r| {
            write_failed |= writeln!(out, "{}", r.to_json()).is_err();
        });
        if write_failed || out.flush().is_err() {
            return ExitCode::SUCCESS; // stdout closed (e.g. piped into head)
        }
        if once && ids.iter().all(|&id| done_once(&rt, id)) {
            break;
        }
    }
    ExitCode::SUCCESS
}

/// A script is done for `--once` after one data run, or after a failed configuration run.
fn done_once(rt: &Runtime, id: u64) -> bool {
    rt.script_state(id).map_or(true, |s| {
        s.data_runs_done > 0 || (s.config_runs_done > 0 && s.config.is_none() && !s.running)
    })
}
