//! The report: a Markdown table of each workload's figures, their ratios and targets.

use std::io::Write;

use serde_json::Value;

/// Rows of workload, runner, figure (median), ratio, target.
#[derive(Default)]
pub struct Table(Vec<[String; 5]>);

impl Table {
    pub fn row(
        &mut self,
        workload: &str,
        runner: &str,
        figure: String,
        ratio: String,
        target: String,
    ) {
        self.0
            .push([workload.into(), runner.into(), figure, ratio, target]);
    }

    pub fn print(&self, out: &mut impl Write) {
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

/// A target's verdict.
pub fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// The value at fraction `p` (0..=1) of `sorted`, which is sorted ascending.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// The number `k` of a measurement's JSON.
pub fn field(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("no {k} in {v}"))
}
