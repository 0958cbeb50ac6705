//! `Difference` calctype: per-series baselines for one script.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};

use crate::dimensions::Dimensions;
use crate::protocol::config::Datatype;

/// Series not seen for this many data runs are forgotten, so memory stays bounded.
pub const FORGET_AFTER_RUNS: u64 = 10;

/// Default cap on the series one script's baselines remember (see [`DifferenceState::new`]).
pub const DEFAULT_MAX_SERIES: usize = 20_000;

/// One series: a metric id and its dimension values (ids and values, in line order), with its
/// baseline and the run that last saw it.
#[derive(Debug)]
struct Series {
    metric_id: i64,
    dims: Box<[(i64, Box<str>)]>,
    last: f64,
    seen: u64,
}

impl Series {
    fn is(&self, metric_id: i64, dims: &Dimensions) -> bool {
        self.metric_id == metric_id
            && self.dims.len() == dims.len()
            && self
                .dims
                .iter()
                .zip(dims.iter())
                .all(|((id, v), d)| *id == d.id && **v == *d.value)
    }
}

/// Baselines of one script's `Difference` series. Looking a series up allocates nothing; only
/// a new series stores its own copy of its dimension values.
#[derive(Debug)]
pub struct DifferenceState {
    /// Series by the hash of their key (randomly keyed per script: a script cannot aim its
    /// values at one bucket).
    series: HashMap<u64, Vec<Series>, BuildHasherDefault<Prehashed>>,
    count: usize,
    hasher: RandomState,
    run: u64,
    max_series: usize,
}

impl Default for DifferenceState {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_SERIES)
    }
}

impl DifferenceState {
    /// Baselines for at most `max_series` series (at least 1): a script that prints new
    /// dimension values every run cannot grow the host's memory without bound.
    pub fn new(max_series: usize) -> Self {
        DifferenceState {
            series: HashMap::default(),
            count: 0,
            hasher: RandomState::new(),
            run: 0,
            max_series: max_series.max(1),
        }
    }

    /// Starts a data run; call [`Self::end_run`] after its samples.
    pub fn begin_run(&mut self) {
        self.run += 1;
    }

    /// The value to emit for a sample, or `None` for the first value of a series and for a
    /// `COUNTER` that decreased (a reset: the new value becomes the baseline).
    pub fn apply(
        &mut self,
        metric_id: i64,
        datatype: Datatype,
        dims: &Dimensions,
        value: f64,
    ) -> Option<f64> {
        let mut h = self.hasher.build_hasher();
        metric_id.hash(&mut h);
        for d in dims {
            (d.id, d.value).hash(&mut h);
        }
        let run = self.run;
        let bucket = self.series.entry(h.finish()).or_default();
        let Some(s) = bucket.iter_mut().find(|s| s.is(metric_id, dims)) else {
            bucket.push(Series {
                metric_id,
                dims: dims.iter().map(|d| (d.id, d.value.into())).collect(),
                last: value,
                seen: run,
            });
            self.count += 1;
            return None;
        };
        let prev = std::mem::replace(&mut s.last, value);
        s.seen = run;
        if datatype == Datatype::Counter && value < prev {
            None
        } else {
            Some(value - prev)
        }
    }

    /// Forgets series unseen for [`FORGET_AFTER_RUNS`] runs, then, beyond the cap, the series
    /// unseen longest. Returns how many were forgotten because of the cap.
    pub fn end_run(&mut self) -> usize {
        let run = self.run;
        self.retain(|s| run - s.seen < FORGET_AFTER_RUNS);
        let excess = self.count.saturating_sub(self.max_series);
        if excess > 0 {
            // The run in which the `excess`-th oldest series was last seen: forget everything
            // older, then as many of that run's series as still exceed the cap.
            let mut seen: Vec<u64> = self.series.values().flatten().map(|s| s.seen).collect();
            let (_, &mut cutoff, _) = seen.select_nth_unstable(excess - 1);
            let mut older = seen.iter().filter(|&&s| s < cutoff).count();
            let mut at_cutoff = excess - older;
            self.retain(|s| {
                if s.seen < cutoff {
                    older -= 1;
                    false
                } else if s.seen == cutoff && at_cutoff > 0 {
                    at_cutoff -= 1;
                    false
                } else {
                    true
                }
            });
            debug_assert_eq!(older, 0);
        }
        excess
    }

    /// Keeps the series `keep` says to, counting them.
    fn retain(&mut self, mut keep: impl FnMut(&Series) -> bool) {
        let mut count = 0;
        self.series.retain(|_, bucket| {
            bucket.retain(|s| keep(s));
            count += bucket.len();
            !bucket.is_empty()
        });
        self.count = count;
    }

    /// Forgets every baseline (the configuration changed).
    pub fn clear(&mut self) {
        self.series.clear();
        self.count = 0;
    }

    /// How many series have a baseline.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.count
    }
}

/// The map's keys are hashes already.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 keys")
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dim(v: &str) -> Dimensions {
        Dimensions::new([(1, "if", v)])
    }

    #[test]
    fn first_value_emits_nothing_then_differences() {
        let mut d = DifferenceState::default();
        d.begin_run();
        assert_eq!(d.apply(1, Datatype::Double, &dim("a"), 10.0), None);
        d.begin_run();
        assert_eq!(d.apply(1, Datatype::Double, &dim("a"), 15.0), Some(5.0));
        assert_eq!(d.apply(1, Datatype::Double, &dim("b"), 1.0), None);
        d.begin_run();
        assert_eq!(d.apply(1, Datatype::Double, &dim("a"), 12.0), Some(-3.0));
    }

    #[test]
    fn counter_decrease_is_a_reset() {
        let mut d = DifferenceState::default();
        d.begin_run();
        d.apply(1, Datatype::Counter, &Dimensions::new([]), 100.0);
        d.begin_run();
        assert_eq!(
            d.apply(1, Datatype::Counter, &Dimensions::new([]), 5.0),
            None
        );
        d.begin_run();
        assert_eq!(
            d.apply(1, Datatype::Counter, &Dimensions::new([]), 8.0),
            Some(3.0)
        );
    }

    #[test]
    fn the_cap_forgets_the_series_unseen_longest() {
        let mut d = DifferenceState::new(3);
        d.begin_run();
        d.apply(1, Datatype::Double, &dim("old"), 1.0);
        assert_eq!(d.end_run(), 0);
        d.begin_run();
        for v in ["a", "b", "c"] {
            d.apply(1, Datatype::Double, &dim(v), 1.0);
        }
        assert_eq!(d.end_run(), 1);
        assert_eq!(d.len(), 3);
        d.begin_run();
        assert_eq!(d.apply(1, Datatype::Double, &dim("a"), 3.0), Some(2.0));
        assert_eq!(d.apply(1, Datatype::Double, &dim("old"), 3.0), None);
        // Four series in one run against a cap of three: one of them goes.
        d.apply(1, Datatype::Double, &dim("b"), 3.0);
        d.apply(1, Datatype::Double, &dim("c"), 3.0);
        assert_eq!(d.end_run(), 1);
        assert_eq!(d.len(), 3);
        // New series every run: memory stays at the cap.
        for run in 0..100 {
            d.begin_run();
            for i in 0..10 {
                d.apply(1, Datatype::Double, &dim(&format!("{run}-{i}")), 1.0);
            }
            assert_eq!(d.end_run(), 10);
            assert_eq!(d.len(), 3);
        }
    }

    #[test]
    fn unseen_series_are_forgotten() {
        let mut d = DifferenceState::default();
        d.begin_run();
        d.apply(1, Datatype::Double, &dim("gone"), 1.0);
        d.end_run();
        for _ in 0..FORGET_AFTER_RUNS - 1 {
            d.begin_run();
            d.apply(1, Datatype::Double, &dim("kept"), 1.0);
            d.end_run();
        }
        assert_eq!(d.len(), 2);
        d.begin_run();
        d.apply(1, Datatype::Double, &dim("kept"), 1.0);
        d.end_run();
        assert_eq!(d.len(), 1);
        d.begin_run();
        assert_eq!(d.apply(1, Datatype::Double, &dim("gone"), 4.0), None);
    }
}
