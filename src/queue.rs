//! The bounded record queue between gsp's threads and the host's drain.
//!
//! Overflow drops the newest records and counts them; once the host frees space, one
//! `RecordsDropped` diagnostic tells how many were lost, so nothing disappears silently.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::record::{Diagnostic, DiagnosticKind, Record, Severity};

struct Inner {
    records: VecDeque<Record>,
    dropped_unreported: u64,
    closed: bool,
    /// Bumped by [`RecordQueue::wake`]; a waiter returns when it changes.
    wakes: u64,
}

/// A bounded FIFO of records with a condition variable for waiting hosts.
pub struct RecordQueue {
    inner: Mutex<Inner>,
    ready: Condvar,
    capacity: usize,
    queued: AtomicU64,
    dropped: AtomicU64,
}

impl RecordQueue {
    /// A queue holding at most `capacity` records (at least 1).
    pub fn new(capacity: usize) -> Self {
        RecordQueue {
            inner: Mutex::new(Inner {
                records: VecDeque::new(),
                dropped_unreported: 0,
                closed: false,
                wakes: 0,
            }),
            ready: Condvar::new(),
            capacity: capacity.max(1),
            queued: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    /// Appends records in order; those that do not fit are dropped and counted.
    pub fn push_all(&self, records: impl IntoIterator<Item = Record>) {
        let mut inner = self.inner.lock();
        let (mut queued, mut dropped) = (0u64, 0u64);
        for r in records {
            if inner.records.len() < self.capacity {
                inner.records.push_back(r);
                queued += 1;
            } else {
                dropped += 1;
            }
        }
        inner.dropped_unreported += dropped;
        drop(inner);
        self.queued.fetch_add(queued, Ordering::Relaxed);
        self.dropped.fetch_add(dropped, Ordering::Relaxed);
        if queued > 0 {
            self.ready.notify_all();
        }
    }

    /// Appends one record.
    pub fn push(&self, record: Record) {
        self.push_all(std::iter::once(record));
    }

    /// Removes up to `max` records from the front. Reports earlier drops once there is room.
    pub fn pop_batch(&self, max: usize) -> Vec<Record> {
        let mut inner = self.inner.lock();
        let n = max.min(inner.records.len());
        let batch: Vec<Record> = inner.records.drain(..n).collect();
        if inner.dropped_unreported > 0 && inner.records.len() < self.capacity {
            let count = std::mem::take(&mut inner.dropped_unreported);
            inner.records.push_back(Record::Diagnostic(Diagnostic::new(
                0,
                Severity::Error,
                DiagnosticKind::RecordsDropped,
                format!(
                    "the record queue was full ({} records); {count} records were dropped (drain more often or raise the queue capacity)",
                    self.capacity
                ),
            )));
            self.queued.fetch_add(1, Ordering::Relaxed);
        }
        batch
    }

    /// Records waiting.
    pub fn len(&self) -> usize {
        self.inner.lock().records.len()
    }

    /// Whether no record is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Blocks until a record is waiting, the queue is closed, or `timeout` passes; returns the
    /// number waiting.
    pub fn wait(&self, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        let mut inner = self.inner.lock();
        let wakes = inner.wakes;
        while inner.records.is_empty() && !inner.closed && inner.wakes == wakes {
            if self.ready.wait_until(&mut inner, deadline).timed_out() {
                break;
            }
        }
        inner.records.len()
    }

    /// Wakes every current waiter once.
    pub fn wake(&self) {
        self.inner.lock().wakes += 1;
        self.ready.notify_all();
    }

    /// Wakes every waiter for good (the runtime is shutting down).
    pub fn close(&self) {
        self.inner.lock().closed = true;
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
    fn overflow_is_counted_and_reported_once_space_frees() {
        let q = RecordQueue::new(3);
        q.push_all((1..=5).map(diag));
        assert_eq!(q.len(), 3);
        assert_eq!(q.dropped_total(), 2);
        let first = q.pop_batch(1);
        assert_eq!(first[0].script_id(), 1);
        let rest = q.pop_batch(10);
        assert_eq!(rest.len(), 3);
        match &rest[2] {
            Record::Diagnostic(d) => {
                assert_eq!(d.kind, DiagnosticKind::RecordsDropped);
                assert!(
                    d.message.contains("2 records were dropped"),
                    "{}",
                    d.message
                );
            }
            other => panic!("expected the drop diagnostic, got {other:?}"),
        }
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
