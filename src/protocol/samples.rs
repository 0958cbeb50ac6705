//! A run's samples: compact rows over the run's text, handed out as [`Sample`] views.

use std::sync::Arc;

use crate::dimensions::{Dimensions, RunText, TextShare};

/// A metric value before calctype.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The metric id.
    pub metric_id: i64,
    /// With declared names; views into the run's output.
    pub dimensions: Dimensions,
    /// As printed.
    pub value: f64,
}

/// A run's samples: compact rows over the run's text, made into [`Sample`]s on the way out.
#[derive(Clone)]
pub struct Samples {
    pub(super) rows: Vec<Row>,
    pub(super) text: Arc<RunText>,
}

/// One sample before it is handed out: its dimensions are `text`'s `first..first + len`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Row {
    pub metric_id: i64,
    pub value: f64,
    pub first: u32,
    pub len: u32,
}

impl Samples {
    /// How many.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The `i`-th, in output order.
    pub fn get(&self, i: usize) -> Option<Sample> {
        self.rows
            .get(i)
            .map(|r| r.sample(&TextShare::of(&self.text)))
    }

    /// All of them, in output order.
    pub fn iter(&self) -> SampleIter<'_> {
        SampleIter {
            samples: self,
            rows: self.rows.iter(),
            share: None,
            left: 0,
        }
    }
}

/// Samples in output order. Each batch of them holds its run's text through a share of its
/// own, so their reference counts are not all on one counter.
pub struct SampleIter<'a> {
    samples: &'a Samples,
    rows: std::slice::Iter<'a, Row>,
    share: Option<Arc<TextShare>>,
    left: usize,
}

/// Samples per share of the run's text.
const SHARE_BATCH: usize = 1024;

impl Iterator for SampleIter<'_> {
    type Item = Sample;

    fn next(&mut self) -> Option<Sample> {
        let row = self.rows.next()?;
        if self.left == 0 {
            self.share = Some(TextShare::of(&self.samples.text));
            self.left = SHARE_BATCH;
        }
        self.left -= 1;
        Some(row.sample(self.share.as_ref().expect("set above")))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.rows.size_hint()
    }
}

impl ExactSizeIterator for SampleIter<'_> {}

impl Row {
    fn sample(&self, share: &Arc<TextShare>) -> Sample {
        Sample {
            metric_id: self.metric_id,
            value: self.value,
            dimensions: Dimensions::of_run(share, self.first, self.len),
        }
    }
}

impl Default for Samples {
    fn default() -> Self {
        Samples {
            rows: Vec::new(),
            text: Arc::new(RunText::new(Vec::new(), Vec::new(), Vec::new())),
        }
    }
}

impl PartialEq for Samples {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl std::fmt::Debug for Samples {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}
