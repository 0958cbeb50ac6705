//! The `gsp` command: runs generic scripts with the gsp runtime (`gsp run`) and checks one script
//! against the protocol (`gsp check`).

mod check;
mod collectd;
mod influx;
mod lint;
mod names;
mod prom;
mod run;
mod slot;
mod textfile;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args, Parser, Subcommand, ValueEnum};
use gsp::Options;

use crate::slot::Pacing;

const MAIN_EXAMPLES: &str = "\
Examples:
  gsp run --once examples/scripts/load.sh 'python3 examples/scripts/netdev.py'
  gsp run --textfile /var/lib/node_exporter/textfile examples/scripts/disk.sh
  gsp run --execd examples/scripts/load.sh           (under Telegraf's [[inputs.execd]])
  gsp check -- examples/scripts/disk.sh
  gsp check --json -- python3 examples/scripts/netdev.py";

const RUN_EXAMPLES: &str = "\
Examples:
  gsp run examples/scripts/load.sh
  gsp run --once 'python3 examples/scripts/netdev.py' examples/scripts/disk.sh
  gsp run --once --format prometheus examples/scripts/disk.sh
  gsp run --format influx --period-override 10 --allow-short-period examples/scripts/load.sh
  gsp run --textfile /var/lib/node_exporter/textfile examples/scripts/disk.sh
  gsp run --execd examples/scripts/load.sh 'python3 examples/scripts/netdev.py'";

const RUN_FORMATS: &str = "\
Formats:
  jsonl       One JSON object per record, as it arrives: {\"type\":\"config\"|\"metric\"|\"event\"|
              \"diagnostic\", \"script\": N, ...}. Events and diagnostics are records like any other.
  prometheus  The Prometheus text exposition format (0.0.4). With --once, one document after every
              script's run; otherwise a complete document of every script's last run after each
              data run, documents separated by a blank line. Diagnostics go to stderr.
  influx      InfluxDB line protocol, one line per value as runs finish. Diagnostics go to stderr.
  collectd    collectd's exec plugin protocol: PUTVAL per value, PUTNOTIF per event, as runs
              finish. Diagnostics go to stderr (the exec plugin logs them).

Prometheus names (--format prometheus and --textfile):
  Metric: gsp_ + the metric name in snake_case (lowercase ASCII words joined by _), then the unit
  word when the unit is a known one the name lacks (% -> _percent, B -> _bytes, s -> _seconds,
  ms -> _milliseconds, b/s -> _bits_per_second, ...; values are never converted), then _total
  for a COUNTER delivered as printed. HELP is \"<name>: <description> [<unit>]\". TYPE: GAUGE,
  DOUBLE, LONG and COUNT are gauges; COUNTER is a counter, or a gauge when calctype Difference
  turned it into a per-period delta; anything else is untyped. Names are compared without _total
  (parsers read counter x_total as family x). Two metrics of one script with the same name get
  their id after the name (gsp_requests_2_total, gsp_requests_3); a metric whose name an earlier
  script already uses with another HELP or TYPE gets _s<N>, N its position on the command line.
  Labels: script=\"<command line>\", and each declared dimension, named after it in snake_case
  (dim_<id> when empty; _<id> appended on a clash). Series of one run with the same labels are
  merged (the last value wins). No timestamps (node_exporter refuses them).
  Events of the last run: gsp_event_timestamp_seconds{script,event,event_id,message,attributes,
  scope} = the event's start (Unix seconds). Per script: gsp_script_success (1 when the last run
  had no error diagnostic, else 0; also written for a failed configuration) and
  gsp_script_duration_seconds (the last data run's wall time).

Influx (--format influx and --execd):
  <measurement>,script=<command line>,<dimension>=<value>... value=<float> <run time in ns>
  The measurement is gsp_ + the metric name in snake_case (_<id> appended when two metrics of the
  script share it); tags are the dimensions named as for Prometheus, empty ones left out. Line
  protocol cannot escape a backslash, so one before a space, comma, = or at the end of a tag value
  becomes /. Events: gsp_event,event=<name>,event_id=<id>,scope=S|A,script=<command line>
  message=\"...\",attributes=\"<JSON>\",end=<Unix seconds>i <start in ns>.

--textfile DIR writes DIR/gsp_<command line with other characters than letters, digits, . and -
as _>.prom after every run of that script (a temporary file renamed into place), for
node_exporter --collector.textfile.directory=DIR. Files stay when gsp stops: alert on
node_textfile_mtime_seconds for staleness. With --textfile, stdout stays empty unless --format
is given.

collectd (--format collectd, for <Plugin exec> Exec \"user\" \"/usr/local/bin/gsp\" \"run\"
\"--format\" \"collectd\" ...): PUTVAL \"<host>/gsp-<script>/<type>-<metric>[-<dimension value>...]\"
interval=<period> <time>:<value>. host is COLLECTD_HOSTNAME (else the machine's name); <script>
is the base name without extension of the command line's first word that is not an
interpreter or option; type is derive for a COUNTER delivered as printed, else gauge; the
metric is its name in snake_case. Parts longer than 127 bytes keep 118 and get ~<hash>;
/, \\ and \" become _. Scripts run no more often than COLLECTD_INTERVAL (unless
--period-override). Events: PUTNOTIF severity=warning time=<start> plugin=gsp
plugin_instance=<script> type=gsp_event type_instance=<event name> message=\"<message>
<attributes JSON>\".

Exit status (like telegraf --test): 0; 1 when stdout or a textfile could not be written (a full
disk, a closed pipe: reported on stderr), or, with --once, when a script delivered no data: its
configuration failed or its data run reported an error (spawn failure, non-zero exit, timeout);
2 on usage errors. A run that succeeded but printed no value (a Difference metric's first run)
counts as delivered. --textfile logs where it writes, and each script's first write, on stderr.

--execd is for Telegraf's [[inputs.execd]] with signal = \"STDIN\" and data_format = \"influx\":
configuration runs at start; each line read from stdin runs every configured script's data mode
once (Telegraf's interval replaces the scripts' period) and prints their values and events; gsp
exits at EOF or on SIGTERM. Diagnostics go to stderr with Telegraf's E!/W!/I! level prefixes;
a W! warning says when gathers come more often than a script's period.";

const CHECK_EXAMPLES: &str = "\
Examples:
  gsp check -- ./myscript.sh
  gsp check --runs 3 -- python3 /srv/scripts/check.py --verbose
  gsp check --json -- 'python3 /srv/scripts/check.py --verbose' > report.json

The command line is split like a shell would when it is one argument, and taken word by word
when it is several. `gsp check` runs configuration mode once and data mode --runs times (2 by
default, so Difference metrics report values), back to back: the period is not waited for.
Scripts run through the same runtime and options as with `gsp run`, and findings have the
severity `gsp run` gives them. It reports everything that stops a script file from starting,
exit status and stderr, JSON errors, the parser's notes on the configuration (missing,
unknown, repeated, misspelled and out-of-range fields, skipped entries, duplicate ids) with
line, column and JSON path, metrics sharing a name, every rejected data line, ids shifted by
one, failure markers (-1) next to stderr output, metrics never reported, and runs close to
maxruntime. Exit status: 0 when there is no error (warnings allowed unless --strict), 1 when
there are errors (among them a script that delivers no value and no event at all), 2 on
usage errors, like promtool check.";

#[derive(Parser)]
#[command(
    name = "gsp",
    version,
    about = "Run generic monitoring scripts (the generic script plugin protocol)",
    after_help = MAIN_EXAMPLES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run scripts on their schedule and print their records (JSON lines by default).
    #[command(after_help = RUN_EXAMPLES, after_long_help = format!("{RUN_FORMATS}\n\n{RUN_EXAMPLES}"))]
    Run(RunArgs),
    /// Check one script against the protocol and report every problem found.
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
}

/// Output formats of `gsp run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object per record.
    Jsonl,
    /// Prometheus text exposition format.
    Prometheus,
    /// InfluxDB line protocol.
    Influx,
    /// collectd's exec plugin protocol (PUTVAL/PUTNOTIF).
    Collectd,
}

#[derive(Args)]
struct RunArgs {
    /// Run each script's configuration and one data run, print the records, and exit.
    #[arg(long, conflicts_with = "execd")]
    once: bool,
    /// Output format on stdout (see --help) [default: jsonl, nothing with --textfile]
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Option<Format>,
    /// Run data mode every SECONDS instead of each script's period (below 60 needs
    /// --allow-short-period).
    #[arg(long, value_name = "SECONDS", conflicts_with = "execd",
          value_parser = clap::value_parser!(u32).range(1..))]
    period_override: Option<u32>,
    /// Allow --period-override below 60 s, the protocol's minimum.
    #[arg(long, requires = "period_override")]
    allow_short_period: bool,
    /// After every run, write DIR/<script>.prom for node_exporter's textfile collector.
    #[arg(long, value_name = "DIR", conflicts_with = "execd")]
    textfile: Option<PathBuf>,
    /// Telegraf execd mode: each line on stdin runs every script once; Influx line protocol out.
    #[arg(long)]
    execd: bool,
    /// Script command lines (quote those with arguments).
    #[arg(required = true, value_name = "SCRIPT")]
    scripts: Vec<String>,
}

#[derive(Args)]
struct CheckArgs {
    /// Data runs to make (2 lets Difference metrics report values).
    #[arg(long, default_value_t = 2, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=100))]
    runs: u32,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
    /// Warnings fail the check too (exit status 1), e.g. as a gate in CI.
    #[arg(long)]
    strict: bool,
    /// The script's command line: one argument split like a shell would, or several words.
    /// Options of gsp check come first: an unknown one is a usage error, not part of the
    /// command line; words after the first (or after --) belong to the script.
    #[arg(required = true, trailing_var_arg = true, value_name = "COMMAND_LINE")]
    command: Vec<String>,
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// Whether SIGINT or SIGTERM arrived.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// The wall clock in Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The command (not the library) handles SIGINT/SIGTERM, so scripts' process groups are killed
    // on the way out (the runtimes are dropped) instead of being orphaned.
    // SAFETY: the handler only stores to an atomic.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
    match cli.command {
        Command::Run(args) => run_command(args),
        Command::Check(args) => {
            let settings = check::Settings {
                runs: args.runs,
                json: args.json,
                strict: args.strict,
            };
            check::check(&args.command, settings, options())
        }
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("gsp run: {message}");
    ExitCode::from(2)
}

/// The runtime options `gsp run` and `gsp check` share (a runtime per script: one worker is
/// plenty for a single script), so a check runs scripts the way `gsp run` does.
fn options() -> Options {
    Options {
        worker_threads: 1,
        ..Options::default()
    }
}

fn run_command(args: RunArgs) -> ExitCode {
    let mut options = options();
    if let Some(p) = args.period_override {
        if p < options.min_period_s {
            if !args.allow_short_period {
                return usage_error(&format!(
                    "--period-override {p} is below the protocol's minimum period of {} s; add --allow-short-period to run scripts that often anyway",
                    options.min_period_s
                ));
            }
            // Scripts that declare such a period then get it without a clamp diagnostic.
            options.min_period_s = p;
        }
    }
    if args.execd && args.format.is_some_and(|f| f != Format::Influx) {
        return usage_error(
            "--execd prints Influx line protocol (Telegraf's data_format = \"influx\"); drop --format or use --format influx",
        );
    }
    let stdout = match (args.format, args.execd, &args.textfile) {
        (_, true, _) => Some(Format::Influx),
        (Some(f), _, _) => Some(f),
        (None, _, Some(_)) => None,
        (None, _, None) => Some(Format::Jsonl),
    };
    let settings = run::Settings {
        once: args.once,
        stdout,
        textfile: args.textfile,
        execd: args.execd,
        pacing: Pacing::Every(args.period_override),
    };
    if stdout == Some(Format::Collectd) {
        collectd::adjust_options(&mut options, args.period_override);
    }
    run::run(settings, &args.scripts, options)
}
