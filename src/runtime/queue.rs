//! The bounded record queue between gsp's threads and the host's drain.
//!
//! Overflow drops the newest records and counts them per script; once the host frees space, a
//! `RecordsDropped` diagnostic per script tells how many were lost, so nothing disappears
//! silently. Configuration records and drop reports are never dropped: a host must not get
//! metrics for a configuration it never saw, nor lose the news that it lost records (or that
//! gsp itself failed). They may
//! take the queue past its capacity, by at most one record per configuration run.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::record::{Diagnostic, DiagnosticKind, Record, ScriptId, Severity};

/// What the queue's lock guards.
struct Held {
    /// Records in order, in the chunks they were pushed in: a push moves its vector in (no copy
    /// of the queue under the lock, however long it grows) and a drain takes from the front.
    chunks: VecDeque<std::vec::IntoIter<Record>>,
    /// Records in `chunks`.
    len: usize,
    /// Records dropped and not yet reported, per script.
    dropped_unreported: BTreeMap<ScriptId, u64>,
    closed: bool,
    /// Bumped by [`RecordQueue::wake`]; a waiter returns when it changes.
    wakes: u64,
}

/// A bounded FIFO of records with a condition variable for waiting hosts.
pub struct RecordQueue {
    held: Mutex<Held>,
    ready: Condvar,
    capacity: usize,
    queued: AtomicU64,
    dropped: AtomicU64,
}

impl RecordQueue {
    /// A queue holding at most `capacity` records (at least 1).
    pub fn new(capacity: usize) -> Self {
        RecordQueue {
            held: Mutex::new(Held {
                chunks: VecDeque::new(),
                len: 0,
                dropped_unreported: BTreeMap::new(),
                closed: false,
                wakes: 0,
            }),
            ready: Condvar::new(),
            capacity: capacity.max(1),
            queued: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    /// Appends records in order; those that do not fit are dropped and counted (except
    /// configuration records and drop reports, which always fit).
    pub fn push_all(&self, records: impl IntoIterator<Item = Record>) {
        if self.push_all_quietly(records) {
            self.ready.notify_all();
        }
    }

    /// [`Self::push_all`] without waking waiters: the caller calls [`Self::notify`] once it
    /// has released what a woken host would take next (the state lock). Returns whether
    /// anything was queued.
    pub fn push_all_quietly(&self, records: impl IntoIterator<Item = Record>) -> bool {
        // Collected before the lock is taken (a Vec's own iterator is reused in place).
        let mut records: Vec<Record> = records.into_iter().collect();
        if records.is_empty() {
            return false;
        }
        let mut inner = self.held.lock();
        let room = self.capacity.saturating_sub(inner.len);
        let mut dropped = 0u64;
        if records.len() > room {
            let mut others = 0;
            let inner = &mut *inner;
            records.retain(|r| {
                let keep = always_delivered(r) || {
                    others += 1;
                    others <= room
                };
                if !keep {
                    *inner.dropped_unreported.entry(r.script_id()).or_default() += 1;
                    dropped += 1;
                }
                keep
            });
        }
        let queued = records.len() as u64;
        if queued > 0 {
            inner.len += records.len();
            inner.chunks.push_back(records.into_iter());
        }
        drop(inner);
        self.queued.fetch_add(queued, Ordering::Relaxed);
        self.dropped.fetch_add(dropped, Ordering::Relaxed);
        queued > 0
    }

    /// Wakes the waiters after [`Self::push_all_quietly`].
    pub fn notify(&self) {
        self.ready.notify_all();
    }

    /// Appends one record.
    pub fn push(&self, record: Record) {
        self.push_all(std::iter::once(record));
    }

    /// Removes up to `max` records from the front. Reports earlier drops, one diagnostic per
    /// script that lost records, once there is room.
    pub fn pop_batch(&self, max: usize) -> Vec<Record> {
        let mut inner = self.held.lock();
        let n = max.min(inner.len);
        let mut batch: Vec<Record> = Vec::with_capacity(n);
        while batch.len() < n {
            let Some(front) = inner.chunks.front_mut() else {
                break;
            };
            batch.extend(front.by_ref().take(n - batch.len()));
            if front.len() == 0 {
                inner.chunks.pop_front();
            }
        }
        inner.len -= batch.len();
        if !inner.dropped_unreported.is_empty() && inner.len < self.capacity {
            let reports = std::mem::take(&mut inner.dropped_unreported);
            let n = reports.len() as u64;
            let mut chunk = Vec::with_capacity(reports.len());
            for (script_id, count) in reports {
                let whose = if script_id == 0 {
                    "runtime-wide records".to_string()
                } else {
                    format!("records of script {script_id}")
                };
                chunk.push(Record::Diagnostic(Diagnostic::new(
                    script_id,
                    Severity::Error,
                    DiagnosticKind::RecordsDropped,
                    format!(
                        "the record queue was full ({} records); {count} {whose} were dropped (drain more often or raise the queue capacity)",
                        self.capacity
                    ),
                )));
            }
            inner.len += chunk.len();
            inner.chunks.push_back(chunk.into_iter());
            self.queued.fetch_add(n, Ordering::Relaxed);
        }
        batch
    }

    /// Records waiting.
    pub fn len(&self) -> usize {
        self.held.lock().len
    }

    /// Blocks until a record is waiting, the queue is closed, or `timeout` passes; returns the
    /// number waiting.
    pub fn wait(&self, timeout: Duration) -> usize {
        // A timeout too large for the clock (e.g. Duration::MAX) waits without a deadline.
        let deadline = Instant::now().checked_add(timeout);
        let mut inner = self.held.lock();
        let wakes = inner.wakes;
        while inner.len == 0 && !inner.closed && inner.wakes == wakes {
            match deadline {
                Some(d) => {
                    if self.ready.wait_until(&mut inner, d).timed_out() {
                        break;
                    }
                }
                None => self.ready.wait(&mut inner),
            }
        }
        inner.len
    }

    /// Wakes every current waiter once.
    pub fn wake(&self) {
        self.held.lock().wakes += 1;
        self.ready.notify_all();
    }

    /// Wakes every waiter for good (the runtime is shutting down).
    pub fn close(&self) {
        self.held.lock().closed = true;
        self.ready.notify_all();
    }

    /// Records ever queued (including drop diagnostics).
    pub fn queued_total(&self) -> u64 {
        self.queued.load(Ordering::Relaxed)
    }

    /// Records ever dropped.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// Records that are queued even when the queue is full.
fn always_delivered(r: &Record) -> bool {
    match r {
        Record::Config(_) => true,
        Record::Diagnostic(d) => {
            matches!(
                d.kind,
                DiagnosticKind::RecordsDropped | DiagnosticKind::Internal
            )
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diag(n: u64) -> Record {
        Record::Diagnostic(Diagnostic::new(
            n,
            Severity::Info,
            DiagnosticKind::Stderr,
            "x",
        ))
    }

    #[test]
    fn overflow_is_counted_and_reported_per_script_once_space_frees() {
        let q = RecordQueue::new(3);
        q.push_all([1, 1, 1, 4, 4, 5].map(diag));
        assert_eq!(q.len(), 3);
        assert_eq!(q.dropped_total(), 3);
        let first = q.pop_batch(1);
        assert_eq!(first[0].script_id(), 1);
        let rest = q.pop_batch(10);
        assert_eq!(rest.len(), 4);
        let reports: Vec<(u64, &str)> = rest[2..]
            .iter()
            .map(|r| match r {
                Record::Diagnostic(d) if d.kind == DiagnosticKind::RecordsDropped => {
                    (d.script_id, d.message.as_str())
                }
                other => panic!("expected drop reports, got {other:?}"),
            })
            .collect();
        assert_eq!(reports[0].0, 4);
        assert!(
            reports[0].1.contains("2 records of script 4 were dropped"),
            "{}",
            reports[0].1
        );
        assert_eq!(reports[1].0, 5);
        assert!(
            reports[1].1.contains("1 records of script 5 were dropped"),
            "{}",
            reports[1].1
        );
        assert!(q.pop_batch(10).is_empty());
    }

    #[test]
    fn wait_returns_on_push_and_on_timeout() {
        let q = std::sync::Arc::new(RecordQueue::new(10));
        assert_eq!(q.wait(Duration::from_millis(10)), 0);
        let q2 = q.clone();
        let t = std::thread::spawn(move || q2.wait(Duration::from_secs(30)));
        std::thread::sleep(Duration::from_millis(20));
        q.push(diag(1));
        assert_eq!(t.join().unwrap(), 1);
    }
}
