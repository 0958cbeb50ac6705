//! `Difference` calctype: per-series baselines for one script.

use std::collections::HashMap;

use crate::protocol::config::Datatype;
use crate::record::Dimension;

/// Series not seen for this many data runs are forgotten, so memory stays bounded.
pub const FORGET_AFTER_RUNS: u64 = 10;

/// Default cap on the series one script's baselines remember (see [`DifferenceState::new`]).
pub const DEFAULT_MAX_SERIES: usize = 20_000;

/// A series: metric id and its dimension values (ids and values, in line order).
type SeriesKey = (i64, Vec<(i64, String)>);

/// Baselines of one script's `Difference` series.
#[derive(Debug)]
pub struct DifferenceState {
    series: HashMap<SeriesKey, (f64, u64)>,
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
            series: HashMap::new(),
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
        dims: &[Dimension],
        value: f64,
    ) -> Option<f64> {
        let key = (
            metric_id,
            dims.iter().map(|d| (d.id, d.value.clone())).collect(),
        );
        let run = self.run;
        match self.series.insert(key, (value, run)) {
            None => None,
            Some((prev, _)) if datatype == Datatype::Counter && value < prev => None,
            Some((prev, _)) => Some(value - prev),
        }
    }

    /// Forgets series unseen for [`FORGET_AFTER_RUNS`] runs, then, beyond the cap, the series
    /// unseen longest. Returns how many were forgotten because of the cap.
    pub fn end_run(&mut self) -> usize {
        let run = self.run;
        self.series
            .retain(|_, (_, seen)| run - *seen < FORGET_AFTER_RUNS);
        let excess = self.series.len().saturating_sub(self.max_series);
        if excess > 0 {
            // The run in which the `excess`-th oldest series was last seen: forget everything
            // older, then as many of that run's series as still exceed the cap.
            let mut seen: Vec<u64> = self.series.values().map(|&(_, s)| s).collect();
            let (_, &mut cutoff, _) = seen.select_nth_unstable(excess - 1);
            let mut older = self.series.values().filter(|&&(_, s)| s < cutoff).count();
            let mut at_cutoff = excess - older;
            self.series.retain(|_, &mut (_, s)| {
                if s < cutoff {
                    older -= 1;
                    false
                } else if s == cutoff && at_cutoff > 0 {
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

    /// Forgets every baseline (the configuration changed).
    pub fn clear(&mut self) {
        self.series.clear();
    }

    /// How many series have a baseline.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.series.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dim(v: &str) -> Vec<Dimension> {
        vec![Dimension {
            id: 1,
            name: "if".into(),
            value: v.into(),
        }]
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
        d.apply(1, Datatype::Counter, &[], 100.0);
        d.begin_run();
        assert_eq!(d.apply(1, Datatype::Counter, &[], 5.0), None);
        d.begin_run();
        assert_eq!(d.apply(1, Datatype::Counter, &[], 8.0), Some(3.0));
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
