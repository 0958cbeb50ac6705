//! When each script runs, by the host's clock: configuration first (retried with backoff), then
//! data runs every period, never doubled, never bursting after a clock jump.

/// First configuration retry delay after a failure.
pub const CONFIG_RETRY_MIN_MS: i64 = 60_000;
/// Longest configuration retry delay.
pub const CONFIG_RETRY_MAX_MS: i64 = 3_600_000;

/// Which mode a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `-c`.
    Config,
    /// `-d`.
    Data,
}

impl Mode {
    /// The flag appended to the command line.
    pub fn flag(self) -> &'static str {
        match self {
            Mode::Config => "-c",
            Mode::Data => "-d",
        }
    }
}

/// What a tick decided for one script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Nothing is due.
    Idle,
    /// Start a run in this mode (the schedule now counts it as running).
    Start(Mode),
    /// A data run was due while the previous run is still going; it is skipped.
    Overrun,
}

/// The schedule of one script.
#[derive(Debug, Clone)]
pub struct Schedule {
    configured_period_ms: Option<i64>,
    next_config_ms: Option<i64>,
    config_failures: u32,
    next_data_ms: Option<i64>,
    running: Option<Mode>,
    generation: u64,
}

impl Default for Schedule {
    fn default() -> Self {
        Self::new()
    }
}

impl Schedule {
    /// A new script: configuration runs at the first tick.
    pub fn new() -> Self {
        Schedule {
            configured_period_ms: None,
            next_config_ms: None,
            config_failures: 0,
            next_data_ms: None,
            running: None,
            generation: 0,
        }
    }

    /// The run in flight, if any.
    pub fn running(&self) -> Option<Mode> {
        self.running
    }

    /// Bumped by [`Self::reconfigure`]; a configuration run started under an older generation
    /// is stale.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The earliest host time at which [`Self::poll`] can return something other than `Idle`
    /// (`i64::MIN`: now; `None`: not before a run finishes). Valid until the next state change.
    pub fn next_due(&self) -> Option<i64> {
        match (self.running, self.configured_period_ms) {
            (Some(Mode::Data), Some(_)) => self.next_data_ms,
            (Some(_), _) => None,
            (None, None) => Some(self.next_config_ms.unwrap_or(i64::MIN)),
            (None, Some(_)) => Some(self.next_data_ms.unwrap_or(i64::MIN)),
        }
    }

    /// Decides what to do at host time `now_ms`.
    pub fn poll(&mut self, now_ms: i64) -> Decision {
        match (self.running, self.configured_period_ms) {
            (Some(Mode::Data), Some(period)) => {
                if self.next_data_ms.is_some_and(|due| now_ms >= due) {
                    self.next_data_ms = Some(advance(self.next_data_ms, now_ms, period));
                    return Decision::Overrun;
                }
                Decision::Idle
            }
            (Some(_), _) => Decision::Idle,
            (None, None) => {
                // A clock that went back by more than the longest backoff must not stall retries.
                let due = match self.next_config_ms {
                    None => true,
                    Some(t) => now_ms >= t || t.saturating_sub(now_ms) > CONFIG_RETRY_MAX_MS,
                };
                if due {
                    self.running = Some(Mode::Config);
                    Decision::Start(Mode::Config)
                } else {
                    Decision::Idle
                }
            }
            (None, Some(period)) => match self.next_data_ms {
                Some(due) if now_ms < due => {
                    if due.saturating_sub(now_ms) > period {
                        // The clock jumped backwards: due within one period of the new time.
                        self.next_data_ms = Some(now_ms.saturating_add(period));
                    }
                    Decision::Idle
                }
                _ => {
                    self.next_data_ms = Some(advance(self.next_data_ms, now_ms, period));
                    self.running = Some(Mode::Data);
                    Decision::Start(Mode::Data)
                }
            },
        }
    }

    /// A configuration run under `generation` succeeded with this period. The first data run is
    /// due at `first_due_ms` (`None`: the next tick). Returns false (and changes nothing but the
    /// running state) when the run was stale.
    pub fn config_succeeded(
        &mut self,
        generation: u64,
        period_s: u32,
        first_due_ms: Option<i64>,
    ) -> bool {
        self.running = None;
        if generation != self.generation {
            return false;
        }
        self.configured_period_ms = Some(i64::from(period_s) * 1000);
        self.config_failures = 0;
        self.next_data_ms = first_due_ms;
        true
    }

    /// A configuration run started at `started_ms` failed: retry with backoff (at least a minute,
    /// at most an hour).
    pub fn config_failed(&mut self, generation: u64, started_ms: i64) {
        self.running = None;
        if generation != self.generation {
            return;
        }
        self.config_failures += 1;
        self.next_config_ms =
            Some(started_ms.saturating_add(config_retry_delay_ms(self.config_failures)));
    }

    /// A data run ended, however it ended.
    pub fn data_finished(&mut self) {
        self.running = None;
    }

    /// Makes the next data run due now (the period restarts from it). False when the script has
    /// no configuration yet or a run is in flight.
    pub fn run_now(&mut self) -> bool {
        if self.running.is_some() || self.configured_period_ms.is_none() {
            return false;
        }
        self.next_data_ms = None;
        true
    }

    /// A run ended without a result (cancelled); nothing counts as success or failure.
    pub fn run_abandoned(&mut self) {
        self.running = None;
    }

    /// Runs configuration mode again at the next tick; data runs stop until it succeeds.
    pub fn reconfigure(&mut self) {
        self.generation += 1;
        self.configured_period_ms = None;
        self.next_config_ms = None;
        self.config_failures = 0;
        self.next_data_ms = None;
    }
}

/// The delay before configuration attempt `failures + 1`.
pub fn config_retry_delay_ms(failures: u32) -> i64 {
    let doublings = failures.saturating_sub(1).min(16);
    (CONFIG_RETRY_MIN_MS << doublings).min(CONFIG_RETRY_MAX_MS)
}

/// The next due time after a run due at `due` starts at `now`: keeps the phase, but after a
/// forward jump (more than a period behind) restarts from now instead of catching up.
///
/// Host times are arbitrary: the sums saturate, so `tick(i64::MAX)` cannot wrap a due time into
/// the past (which would start a run at every later tick).
fn advance(due: Option<i64>, now: i64, period: i64) -> i64 {
    let next = due.unwrap_or(now).saturating_add(period);
    if next <= now {
        now.saturating_add(period)
    } else {
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configured(period_s: u32) -> Schedule {
        let mut s = Schedule::new();
        assert_eq!(s.poll(0), Decision::Start(Mode::Config));
        assert!(s.config_succeeded(0, period_s, None));
        s
    }

    #[test]
    fn extreme_host_times_neither_wrap_nor_burst() {
        let mut s = configured(60);
        assert_eq!(s.poll(i64::MAX), Decision::Start(Mode::Data));
        s.data_finished();
        assert_eq!(s.next_due(), Some(i64::MAX));
        // Back to a normal clock: one run within a period, not one per tick.
        let mut started = 0;
        for t in (0..600_000).step_by(1000) {
            if s.poll(t) == Decision::Start(Mode::Data) {
                started += 1;
                s.data_finished();
            }
        }
        assert_eq!(started, 9); // at 60 s, 120 s, ... 540 s
        let mut s = configured(60);
        assert_eq!(s.poll(i64::MIN), Decision::Start(Mode::Data));
        s.data_finished();
        assert_eq!(s.poll(i64::MIN + 1), Decision::Idle);
        let mut c = Schedule::new();
        assert_eq!(c.poll(i64::MAX), Decision::Start(Mode::Config));
        c.config_failed(0, i64::MAX);
        assert_eq!(c.poll(0), Decision::Start(Mode::Config)); // far future: a clock jump
        c.config_failed(0, i64::MIN);
        assert_eq!(c.poll(i64::MIN), Decision::Idle);
    }

    #[test]
    fn config_then_data_every_period() {
        let mut s = configured(60);
        assert_eq!(s.poll(1_000), Decision::Start(Mode::Data));
        s.data_finished();
        assert_eq!(s.poll(60_000), Decision::Idle);
        assert_eq!(s.poll(61_000), Decision::Start(Mode::Data));
        s.data_finished();
        // Phase is kept: a late tick does not push later runs back.
        assert_eq!(s.poll(121_500), Decision::Start(Mode::Data));
        s.data_finished();
        assert_eq!(s.poll(181_000), Decision::Start(Mode::Data));
    }

    #[test]
    fn a_splayed_first_run_waits_for_its_offset_then_keeps_the_period() {
        let mut s = Schedule::new();
        assert_eq!(s.poll(0), Decision::Start(Mode::Config));
        assert!(s.config_succeeded(0, 60, Some(25_000)));
        assert_eq!(s.poll(1_000), Decision::Idle);
        assert_eq!(s.poll(24_999), Decision::Idle);
        assert_eq!(s.poll(25_000), Decision::Start(Mode::Data));
        s.data_finished();
        assert_eq!(s.poll(84_999), Decision::Idle);
        assert_eq!(s.poll(85_000), Decision::Start(Mode::Data));
    }

    /// next_due never promises later than poll would act: polling just before it is Idle, and
    /// at it is not (checked over every transition the other tests use).
    #[test]
    fn next_due_is_when_poll_acts() {
        let check = |s: &Schedule, now: i64| {
            if let Some(t) = s.next_due() {
                if t > now {
                    assert_eq!(s.clone().poll(t - 1), Decision::Idle);
                }
                assert_ne!(s.clone().poll(t.max(now)), Decision::Idle);
            }
        };
        let mut s = Schedule::new();
        check(&s, 0);
        assert_eq!(s.poll(0), Decision::Start(Mode::Config));
        assert_eq!(s.next_due(), None);
        s.config_failed(0, 0);
        check(&s, 0);
        assert_eq!(s.poll(60_000), Decision::Start(Mode::Config));
        assert!(s.config_succeeded(0, 60, Some(70_000)));
        check(&s, 60_000);
        assert_eq!(s.poll(70_000), Decision::Start(Mode::Data));
        check(&s, 70_000);
        assert_eq!(s.poll(130_000), Decision::Overrun);
        s.data_finished();
        check(&s, 130_000);
        s.reconfigure();
        assert_eq!(s.next_due(), Some(i64::MIN));
    }

    #[test]
    fn run_now_makes_the_next_data_run_due() {
        let mut s = Schedule::new();
        assert!(!s.run_now(), "no configuration yet");
        assert_eq!(s.poll(0), Decision::Start(Mode::Config));
        assert!(!s.run_now(), "configuration running");
        assert!(s.config_succeeded(0, 60, None));
        assert_eq!(s.poll(0), Decision::Start(Mode::Data));
        assert!(!s.run_now(), "data run in flight");
        s.data_finished();
        assert_eq!(s.poll(10_000), Decision::Idle);
        assert!(s.run_now());
        assert_eq!(s.next_due(), Some(i64::MIN));
        assert_eq!(s.poll(10_000), Decision::Start(Mode::Data));
        s.data_finished();
        assert_eq!(s.poll(69_999), Decision::Idle);
        assert_eq!(s.poll(70_000), Decision::Start(Mode::Data));
    }

    #[test]
    fn overrun_skips_the_due_run() {
        let mut s = configured(60);
        assert_eq!(s.poll(0), Decision::Start(Mode::Data));
        assert_eq!(s.poll(30_000), Decision::Idle);
        assert_eq!(s.poll(60_000), Decision::Overrun);
        assert_eq!(s.poll(61_000), Decision::Idle);
        s.data_finished();
        assert_eq!(s.poll(62_000), Decision::Idle);
        assert_eq!(s.poll(120_000), Decision::Start(Mode::Data));
    }

    #[test]
    fn forward_jump_runs_once_without_burst() {
        let mut s = configured(60);
        assert_eq!(s.poll(0), Decision::Start(Mode::Data));
        s.data_finished();
        assert_eq!(s.poll(10_000_000), Decision::Start(Mode::Data));
        s.data_finished();
        assert_eq!(s.poll(10_000_001), Decision::Idle);
        assert_eq!(s.poll(10_059_999), Decision::Idle);
        assert_eq!(s.poll(10_060_000), Decision::Start(Mode::Data));
    }

    #[test]
    fn backward_jump_does_not_stall() {
        let mut s = configured(60);
        assert_eq!(s.poll(10_000_000), Decision::Start(Mode::Data));
        s.data_finished();
        assert_eq!(s.poll(1_000), Decision::Idle);
        assert_eq!(s.poll(61_000), Decision::Start(Mode::Data));
    }

    #[test]
    fn config_failures_back_off_to_an_hour() {
        let mut s = Schedule::new();
        let mut now = 0;
        let mut delays = Vec::new();
        for _ in 0..10 {
            assert_eq!(s.poll(now), Decision::Start(Mode::Config));
            s.config_failed(0, now);
            let mut t = now + 1;
            while s.poll(t) == Decision::Idle {
                t += 1_000;
            }
            // poll started a run; account for it as the next attempt.
            s.running = None;
            delays.push(t - now);
            now = t;
        }
        assert!(delays[0] >= 60_000 && delays[0] < 61_001, "{delays:?}");
        assert!(delays[1] >= 120_000 && delays[1] < 121_001, "{delays:?}");
        assert!(delays.iter().all(|d| *d <= 3_601_000), "{delays:?}");
        assert!(delays[9] >= 3_600_000, "{delays:?}");
    }

    #[test]
    fn reconfigure_makes_results_of_older_runs_stale() {
        let mut s = configured(60);
        assert_eq!(s.poll(0), Decision::Start(Mode::Data));
        s.data_finished();
        s.reconfigure();
        assert_eq!(s.poll(1), Decision::Start(Mode::Config));
        s.reconfigure();
        assert!(!s.config_succeeded(1, 60, None));
        assert_eq!(s.poll(2), Decision::Start(Mode::Config));
        assert!(s.config_succeeded(2, 120, None));
        assert_eq!(s.poll(3), Decision::Start(Mode::Data));
    }
}
