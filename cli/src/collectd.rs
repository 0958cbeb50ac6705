//! collectd's exec plugin protocol for `gsp run --format collectd`: one `PUTVAL` line per value
//! and one `PUTNOTIF` line per event, read by collectd's `exec` plugin from gsp's stdout.
//!
//! Mapping (the same as the native plugin's, `integrations/collectd`): host `COLLECTD_HOSTNAME`
//! (else the machine's name); plugin `gsp`; plugin instance the script's name (see
//! [`instance_of`]); type `derive` for a COUNTER delivered as printed, else `gauge`; type
//! instance the metric name in snake_case, then `-` and each dimension value of the line. Every
//! part is at most 127 bytes (collectd's limit is 128 with the NUL): a longer one keeps its
//! first 118 bytes plus `~` and 8 hex digits of a hash of the whole, so series stay apart.
//! `/`, `\`, `"` and characters that could break a line become `_`. Events become notifications
//! (severity warning, type `gsp_event`, type instance the event name, message + attributes).
//! Diagnostics go to stderr, which the exec plugin logs.

use std::collections::HashMap;
use std::fmt::Write as _;

use gsp::{Calctype, Datatype, EventRecord, MetricRecord, Options, Record, ScriptConfig};

use crate::names::{fnv1a, is_breaking, snake};

/// collectd's DATA_MAX_NAME_LEN (128) less the terminating NUL.
pub const MAX_PART: usize = 127;

/// collectd's NOTIF_MAX_MSG_LEN (256) less the terminating NUL.
const MAX_MESSAGE: usize = 255;

/// Interpreters skipped when naming a script after its command line.
const INTERPRETERS: &[&str] = &[
    "sh", "bash", "dash", "ksh", "zsh", "env", "python", "python2", "python3", "perl", "ruby",
    "php", "node", "nodejs", "lua",
];

/// One part of a value identifier: forbidden characters replaced, at most [`MAX_PART`] bytes.
pub fn part(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| match c {
            '/' | '\\' | '"' => '_',
            c if is_breaking(c) => '_',
            c => c,
        })
        .collect();
    if clean.len() <= MAX_PART {
        return clean;
    }
    let mut cut = MAX_PART - 9;
    while !clean.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}~{:08x}", &clean[..cut], fnv1a(clean.as_bytes()))
}

/// The plugin instance for a command line: the base name, without extension, of its first word
/// that is neither an interpreter nor an option (`python3 /opt/netdev.py -v` -> `netdev`).
pub fn instance_of(command: &str) -> String {
    let words = shell_words::split(command).unwrap_or_else(|_| vec![command.to_string()]);
    let base = |w: &str| w.rsplit('/').next().unwrap_or(w).to_string();
    let pick = words
        .iter()
        .map(|w| base(w))
        .find(|b| !b.is_empty() && !b.starts_with('-') && !INTERPRETERS.contains(&b.as_str()))
        .or_else(|| words.first().map(|w| base(w)))
        .unwrap_or_default();
    let stem = match pick.rfind('.') {
        Some(i) if i > 0 => &pick[..i],
        _ => &pick,
    };
    let name = part(stem);
    if name.is_empty() {
        "script".into()
    } else {
        name
    }
}

/// Instances for every script: [`instance_of`], with `_<position>` when two would be equal.
pub fn instances(commands: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(commands.len());
    for (i, c) in commands.iter().enumerate() {
        let mut name = instance_of(c);
        if out.contains(&name) {
            name = part(&format!("{name}_{}", i + 1));
        }
        out.push(name);
    }
    out
}

/// The collectd type of a metric: `derive` for a running total delivered as printed.
pub fn type_of(datatype: Datatype, calctype: Calctype) -> &'static str {
    if datatype == Datatype::Counter && calctype != Calctype::Difference {
        "derive"
    } else {
        "gauge"
    }
}

/// A metric's (or event's) name in snake_case, or `<fallback>_<id>` when that is empty.
pub fn stem(name: &str, fallback: &str, id: i64) -> String {
    let s = snake(name);
    if s.is_empty() {
        format!("{fallback}_{id}")
    } else {
        s
    }
}

/// The type instance of one value: the metric stem, then `-<value>` per non-empty dimension.
pub fn type_instance(stem: &str, values: &[&str]) -> String {
    let mut out = stem.to_string();
    for v in values.iter().filter(|v| !v.is_empty()) {
        out.push('-');
        out.push_str(v);
    }
    part(&out)
}

/// The period collectd's exec plugin asks for: `COLLECTD_INTERVAL`, in seconds.
fn collectd_interval() -> Option<f64> {
    std::env::var("COLLECTD_INTERVAL")
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
}

/// Honours `COLLECTD_INTERVAL` (without `--period-override`): scripts run no more often than
/// collectd's interval, so a plugin `Interval` above the scripts' periods slows them down.
pub fn adjust_options(options: &mut Options, period_override: Option<u32>) {
    raise_min_period(options, period_override, collectd_interval());
}

fn raise_min_period(options: &mut Options, period_override: Option<u32>, interval: Option<f64>) {
    if period_override.is_some() {
        return;
    }
    if let Some(interval) = interval {
        let interval = interval.ceil().min(f64::from(u32::MAX)) as u32;
        options.min_period_s = options.min_period_s.max(interval);
    }
}

/// The host name collectd's exec plugin passes (`COLLECTD_HOSTNAME`), else the machine's.
fn host_name() -> String {
    if let Ok(h) = std::env::var("COLLECTD_HOSTNAME") {
        if !h.trim().is_empty() {
            return h.trim().to_string();
        }
    }
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into a buffer we own.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    match std::str::from_utf8(&buf[..end]) {
        Ok(h) if ok && !h.is_empty() => h.to_string(),
        _ => "localhost".into(),
    }
}

/// Per-script naming: metric id -> (type, stem, period).
#[derive(Default)]
struct ScriptNames {
    metrics: HashMap<i64, (&'static str, String)>,
    period_s: u32,
}

/// Writes PUTVAL/PUTNOTIF lines for every script of one `gsp run`.
pub struct Writer {
    host: String,
    instances: Vec<String>,
    period_override: Option<u32>,
    scripts: Vec<ScriptNames>,
    /// Values collectd cannot take (a non-integral running total's overflow, ...), counted.
    unwritable: u64,
}

impl Writer {
    /// A writer for `commands` (in command-line order).
    pub fn new(commands: &[String], period_override: Option<u32>) -> Writer {
        Writer {
            host: part(&host_name()),
            instances: instances(commands),
            period_override,
            scripts: commands.iter().map(|_| ScriptNames::default()).collect(),
            unwritable: 0,
        }
    }

    /// Appends the lines for record `r` of script `i` (0-based) to `out`.
    pub fn record(&mut self, i: usize, r: &Record, out: &mut String) {
        match r {
            Record::Config(c) => self.configure(i, &c.config),
            Record::Metric(m) => self.putval(i, m, out),
            Record::Event(e) => self.putnotif(i, e, out),
            Record::Diagnostic(_) => {}
        }
    }

    fn configure(&mut self, i: usize, config: &ScriptConfig) {
        let s = &mut self.scripts[i];
        s.period_s = self.period_override.unwrap_or(config.period_s);
        s.metrics = config
            .metrics
            .iter()
            .map(|m| {
                let ty = type_of(m.datatype, m.calctype);
                (m.id, (ty, stem(&m.name, "metric", m.id)))
            })
            .collect();
    }

    fn putval(&mut self, i: usize, m: &MetricRecord, out: &mut String) {
        let s = &self.scripts[i];
        let Some((ty, stem)) = s.metrics.get(&m.metric_id) else {
            return;
        };
        let value = match *ty {
            "derive" => {
                let v = m.value.round();
                if !v.is_finite() || v.abs() >= 9.2e18 {
                    self.unwritable += 1;
                    eprintln!(
                        "gsp: warning: script {} metric {}: {} is not a collectd derive value; dropped ({} so far)",
                        i + 1,
                        m.metric_id,
                        m.value,
                        self.unwritable
                    );
                    return;
                }
                format!("{}", v as i64)
            }
            _ if m.value.is_nan() => "U".into(),
            _ => format!("{}", m.value),
        };
        let values: Vec<&str> = m.dimensions.iter().map(|d| d.value).collect();
        let _ = writeln!(
            out,
            "PUTVAL \"{}/gsp-{}/{ty}-{}\" interval={} {}.{:03}:{value}",
            self.host,
            self.instances[i],
            type_instance(stem, &values),
            s.period_s.max(1),
            m.time_ms.div_euclid(1000),
            m.time_ms.rem_euclid(1000),
        );
    }

    fn putnotif(&self, i: usize, e: &EventRecord, out: &mut String) {
        let mut message = e.message.clone();
        if e.attributes_json != "{}" {
            message.push(' ');
            message.push_str(&e.attributes_json);
        }
        let _ = writeln!(
            out,
            "PUTNOTIF severity=warning time={} host={} plugin=gsp plugin_instance={} type=gsp_event type_instance={} message={}",
            e.start_s,
            quote(&self.host),
            quote(&self.instances[i]),
            quote(&part(&stem(&e.event_name, "event", e.event_id))),
            quote(&truncate(&message, MAX_MESSAGE)),
        );
    }
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn truncate(text: &str, max: usize) -> String {
    let mut cut = text.len().min(max);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text[..cut].to_string()
}

/// A quoted option value for collectd's command parser: `\` and `"` escaped; breaking characters
/// become spaces, so a value cannot end the line.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' | '"' => {
                out.push('\\');
                out.push(c);
            }
            c if is_breaking(c) => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_name_the_script() {
        assert_eq!(instance_of("/opt/gsp/disk.sh"), "disk");
        assert_eq!(
            instance_of("python3 /opt/gsp/netdev.py --verbose"),
            "netdev"
        );
        assert_eq!(instance_of("/usr/bin/env -S python3 check"), "check");
        assert_eq!(instance_of("sh"), "sh");
        assert_eq!(
            instances(&["a/x.sh".into(), "b/x.sh".into(), "y".into()]),
            ["x", "x_2", "y"]
        );
    }

    #[test]
    fn parts_fit_collectd_limits() {
        assert_eq!(
            type_instance("disk_used", &["/var/log"]),
            "disk_used-_var_log"
        );
        assert_eq!(type_instance("m", &["a\rb\"c\\d", ""]), "m-a_b_c_d");
        let long = "é".repeat(100);
        let p = part(&long);
        assert!(p.len() <= MAX_PART, "{}", p.len());
        assert!(p.starts_with("éé") && p.contains('~'));
        assert_ne!(part(&format!("{long}a")), part(&format!("{long}b")));
        assert_eq!(part(&"x".repeat(127)), "x".repeat(127));
        assert_eq!(stem("%%", "metric", 7), "metric_7");
    }

    #[test]
    fn types_and_quoting() {
        assert_eq!(type_of(Datatype::Counter, Calctype::Instant), "derive");
        assert_eq!(type_of(Datatype::Counter, Calctype::Difference), "gauge");
        assert_eq!(type_of(Datatype::Gauge, Calctype::Instant), "gauge");
        assert_eq!(quote("a \"b\"\\\nPUTVAL x"), "\"a \\\"b\\\"\\\\ PUTVAL x\"");
        assert_eq!(truncate("aé", 2), "a");
    }

    #[test]
    fn the_interval_slows_scripts_down_only() {
        let raised = |period_override, interval| {
            let mut o = Options::default();
            raise_min_period(&mut o, period_override, interval);
            o.min_period_s
        };
        assert_eq!(raised(None, Some(299.5)), 300);
        assert_eq!(raised(None, Some(10.0)), 60);
        assert_eq!(raised(None, None), 60);
        assert_eq!(raised(Some(5), Some(300.0)), 60);
    }
}
