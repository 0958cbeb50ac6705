//! Lends a [`Record`] to C: builds the C view and its strings, calls back, then frees them.
//!
//! Metric records, the bulk of the traffic, cost no allocation: their dimension names and values
//! are lent where they are (their run's text, NUL-terminated in place by the parser), their name
//! and dimension array from buffers of this thread's, reused record after record. The rarer
//! kinds own their strings.

use std::cell::Cell;
use std::ffi::{c_char, CString};
use std::ptr;

use super::types::*;
use gsp::Record;

/// Owns the C strings of one record while the callback runs. A CString's bytes live on the heap,
/// so pointers stay valid when the vector grows.
#[derive(Default)]
struct Strings(Vec<CString>);

impl Strings {
    fn add(&mut self, s: &str) -> *const c_char {
        let c = CString::new(s).unwrap_or_else(|_| {
            // Interior NULs cannot cross a C string; show them as U+FFFD rather than truncate.
            CString::new(s.replace('\0', "\u{FFFD}")).expect("NULs replaced")
        });
        self.0.push(c);
        self.0.last().expect("just pushed").as_ptr()
    }
}

/// The buffers a metric record is lent from, kept per thread between records.
#[derive(Default)]
struct MetricScratch {
    name: Vec<u8>,
    dims: Vec<gsp_dimension>,
}

thread_local! {
    /// Taken while in use: a callback that drains another runtime on this thread gets its own.
    static METRIC_SCRATCH: Cell<MetricScratch> = Cell::new(MetricScratch::default());
}

/// Lends a metric record: its dimensions point into its run's text, where gsp NUL-terminated
/// them; its name is copied into this thread's buffer (an interior NUL shows as U+FFFD, as in
/// every C string of the ABI).
fn lend_metric(m: &gsp::MetricRecord, f: impl FnOnce(&gsp_record)) {
    let mut scratch = METRIC_SCRATCH.take();
    let MetricScratch { name, dims } = &mut scratch;
    name.clear();
    if m.metric_name.as_bytes().contains(&0) {
        name.extend_from_slice(m.metric_name.replace('\0', "\u{FFFD}").as_bytes());
    } else {
        name.extend_from_slice(m.metric_name.as_bytes());
    }
    name.push(0);
    dims.clear();
    dims.extend((0..m.dimensions.len()).filter_map(|i| {
        let (id, name, value) = m.dimensions.c_strs(i)?;
        Some(gsp_dimension {
            id,
            name: name.as_ptr(),
            value: value.as_ptr(),
        })
    }));
    let metric = gsp_metric {
        metric_id: m.metric_id,
        time_ms: m.time_ms,
        value: m.value,
        name: name.as_ptr().cast::<c_char>(),
        dimensions: array(dims),
        dimension_count: dims.len(),
    };
    f(&gsp_record {
        metric: &metric,
        ..empty_record(gsp_record_kind::GSP_RECORD_METRIC, m.script_id)
    });
    METRIC_SCRATCH.set(scratch);
}

/// An array for C: NULL when empty. `Vec::as_ptr()` of an empty vector is a dangling, aligned
/// non-NULL value (e.g. `0x8`), which Go's stack copier rejects as a bad pointer.
fn array<T>(items: &[T]) -> *const T {
    if items.is_empty() {
        ptr::null()
    } else {
        items.as_ptr()
    }
}

fn empty_record(kind: gsp_record_kind, script_id: u64) -> gsp_record {
    gsp_record {
        kind,
        script_id,
        config: ptr::null(),
        metric: ptr::null(),
        event: ptr::null(),
        diagnostic: ptr::null(),
    }
}

/// Calls `f` with a C view of `record`; the view is freed when `f` returns.
pub(crate) fn lend(record: &Record, f: impl FnOnce(&gsp_record)) {
    let mut s = Strings::default();
    match record {
        Record::Config(c) => {
            let cfg = &c.config;
            let dims: Vec<Vec<gsp_dimension_def>> = cfg
                .metrics
                .iter()
                .map(|m| {
                    m.dimensions
                        .iter()
                        .map(|d| gsp_dimension_def {
                            id: d.id,
                            name: s.add(&d.name),
                        })
                        .collect()
                })
                .collect();
            let metrics: Vec<gsp_metric_def> = cfg
                .metrics
                .iter()
                .zip(&dims)
                .map(|(m, d)| gsp_metric_def {
                    id: m.id,
                    name: s.add(&m.name),
                    description: s.add(&m.description),
                    groups: s.add(&m.groups),
                    unit: s.add(&m.unit),
                    tags: s.add(&m.tags),
                    datatype: m.datatype,
                    calctype: m.calctype,
                    datatype_name: s.add(&m.datatype_name),
                    dimensions: array(d),
                    dimension_count: d.len(),
                })
                .collect();
            let attrs: Vec<Vec<gsp_attribute_def>> = cfg
                .events
                .iter()
                .map(|e| {
                    e.attributes
                        .iter()
                        .map(|a| gsp_attribute_def {
                            name: s.add(&a.name),
                            type_name: s.add(&a.kind),
                            unit: s.add(&a.unit),
                        })
                        .collect()
                })
                .collect();
            let events: Vec<gsp_event_def> = cfg
                .events
                .iter()
                .zip(&attrs)
                .map(|(e, a)| gsp_event_def {
                    id: e.id,
                    name: s.add(&e.name),
                    description: s.add(&e.description),
                    attributes: array(a),
                    attribute_count: a.len(),
                })
                .collect();
            let config = gsp_config {
                period_s: cfg.period_s,
                max_runtime_ms: cfg.max_runtime_ms,
                metrics: array(&metrics),
                metric_count: metrics.len(),
                events: array(&events),
                event_count: events.len(),
                json: s.add(&cfg.json),
            };
            f(&gsp_record {
                config: &config,
                ..empty_record(gsp_record_kind::GSP_RECORD_CONFIG, c.script_id)
            });
        }
        Record::Metric(m) => lend_metric(m, f),
        Record::Event(e) => {
            let event = gsp_event {
                event_id: e.event_id,
                start_s: e.start_s,
                end_s: e.end_s,
                name: s.add(&e.event_name),
                message: s.add(&e.message),
                attributes_json: s.add(&e.attributes_json),
                scope: e.scope,
            };
            f(&gsp_record {
                event: &event,
                ..empty_record(gsp_record_kind::GSP_RECORD_EVENT, e.script_id)
            });
        }
        Record::Diagnostic(d) => {
            let diagnostic = gsp_diagnostic {
                severity: d.severity,
                kind: d.kind,
                exit_code: d.exit_code.unwrap_or(-1),
                signal: d.signal.unwrap_or(0),
                line: d.line.unwrap_or(0),
                message: s.add(&d.message),
            };
            f(&gsp_record {
                diagnostic: &diagnostic,
                ..empty_record(gsp_record_kind::GSP_RECORD_DIAGNOSTIC, d.script_id)
            });
        }
    }
}
