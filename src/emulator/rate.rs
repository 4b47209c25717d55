//! The vendor's rate limit, held per path, and a report of how fast each path was called, so
//! that tests can see the rate an app really made rather than the one it meant to.
//!
//! Time is passed in, so that the window and the report can be tested with made-up instants.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::api::calls::Call;

/// How long the report keeps a second: long enough for a test that calls for minutes, short
/// enough that an emulator left running stays small.
pub const REPORT_SECONDS: u64 = 600;
/// The vendor's window: the limit holds in any one second.
const WINDOW: Duration = Duration::from_secs(1);

/// A call as it arrived: its path, and the second it arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    /// The call's path.
    pub call: Call,
    /// Whole seconds since the emulator started.
    second: u64,
}

/// One second at one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Whole seconds since the emulator started.
    pub second: u64,
    /// The calls that arrived in it.
    pub received: u64,
    /// Those of them the limit answered with 60007.
    pub refused: u64,
}

/// The rate report: each path that was called, with its seconds in ascending order.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct RateReport {
    /// The limit at each path.
    pub calls_per_second: usize,
    /// By path, its seconds within the last [`REPORT_SECONDS`].
    pub paths: BTreeMap<&'static str, Vec<Tally>>,
}

/// One path's window and seconds.
#[derive(Debug, Default)]
struct PathRate {
    /// When the calls admitted in the last second were admitted, oldest first.
    admitted: VecDeque<Instant>,
    /// Its seconds, oldest first.
    seconds: VecDeque<Tally>,
}

/// The limit at each of the eight paths, each with its own budget, and what each received.
#[derive(Debug)]
pub struct PathRates {
    limit: usize,
    start: Instant,
    paths: HashMap<Call, PathRate>,
}

impl PathRates {
    /// At most `limit` calls at each path in any one second; seconds count from `start`.
    pub fn new(limit: usize, start: Instant) -> Self {
        PathRates {
            limit,
            start,
            paths: HashMap::new(),
        }
    }

    /// Counts a call as received at `now`, whatever it is answered with.
    pub fn arrive(&mut self, call: Call, now: Instant) -> Arrival {
        let second = self.second(now);
        let seconds = &mut self.paths.entry(call).or_default().seconds;
        while seconds
            .front()
            .is_some_and(|tally| tally.second + REPORT_SECONDS <= second)
        {
            seconds.pop_front();
        }
        if let Some(tally) = seconds.back_mut().filter(|tally| tally.second == second) {
            tally.received += 1;
        } else {
            seconds.push_back(Tally {
                second,
                received: 1,
                refused: 0,
            });
        }
        Arrival { call, second }
    }

    /// Whether the call that arrived as `arrival` is within its path's limit at `now`; one
    /// that is not counts as refused in the second it arrived in.
    pub fn admit(&mut self, arrival: Arrival, now: Instant) -> bool {
        let path = self.paths.entry(arrival.call).or_default();
        while path
            .admitted
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            path.admitted.pop_front();
        }
        let admitted = path.admitted.len() < self.limit;
        if admitted {
            path.admitted.push_back(now);
        } else if let Some(tally) = path
            .seconds
            .iter_mut()
            .rev()
            .find(|tally| tally.second == arrival.second)
        {
            tally.refused += 1;
        }
        admitted
    }

    /// The seconds within the last [`REPORT_SECONDS`] before `now`, by path.
    pub fn report(&self, now: Instant) -> RateReport {
        let current = self.second(now);
        let recent = |tally: &&Tally| tally.second + REPORT_SECONDS > current;
        let paths = self
            .paths
            .iter()
            .map(|(call, rate)| (call.path(), rate.seconds.iter().filter(recent).copied()))
            .map(|(path, seconds)| (path, seconds.collect::<Vec<_>>()))
            .filter(|(_, seconds)| !seconds.is_empty())
            .collect();
        RateReport {
            calls_per_second: self.limit,
            paths,
        }
    }

    /// Forgets what each path received; the limit's windows go on, as the vendor's would.
    pub fn clear(&mut self) {
        for rate in self.paths.values_mut() {
            rate.seconds.clear();
        }
    }

    fn second(&self, now: Instant) -> u64 {
        now.duration_since(self.start).as_secs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::calls::TagApi;

    fn calls() -> (Call, Call) {
        let mut both = Call::all().filter(|call| call.api == TagApi::Timpush);
        (both.next().unwrap(), both.next().unwrap())
    }

    fn ms(start: Instant, ms: u64) -> Instant {
        start + Duration::from_millis(ms)
    }

    /// Arrives and asks for admission at the same instant.
    fn call(rates: &mut PathRates, call: Call, at: Instant) -> bool {
        let arrival = rates.arrive(call, at);
        rates.admit(arrival, at)
    }

    fn tally(second: u64, received: u64, refused: u64) -> Tally {
        Tally {
            second,
            received,
            refused,
        }
    }

    #[test]
    fn each_path_has_its_own_budget() {
        let start = Instant::now();
        let (one, other) = calls();
        let mut rates = PathRates::new(5, start);
        let admitted: Vec<bool> = (0..8)
            .map(|i| call(&mut rates, one, ms(start, i)))
            .collect();
        assert_eq!(
            admitted,
            [true, true, true, true, true, false, false, false]
        );
        assert!((0..5).all(|i| call(&mut rates, other, ms(start, 10 + i))));
        assert!(!call(&mut rates, other, ms(start, 20)));
    }

    #[test]
    fn the_window_slides_by_each_admitted_call() {
        let start = Instant::now();
        let (one, _) = calls();
        let mut rates = PathRates::new(2, start);
        assert!(call(&mut rates, one, ms(start, 0)));
        assert!(call(&mut rates, one, ms(start, 400)));
        assert!(!call(&mut rates, one, ms(start, 999)));
        assert!(
            call(&mut rates, one, ms(start, 1000)),
            "the first left the window"
        );
        assert!(!call(&mut rates, one, ms(start, 1399)));
        assert!(call(&mut rates, one, ms(start, 1400)), "the second left it");
    }

    #[test]
    fn a_refused_call_uses_no_budget() {
        let start = Instant::now();
        let mut rates = PathRates::new(1, start);
        let mut at = |elapsed_ms| call(&mut rates, calls().0, ms(start, elapsed_ms));
        assert_eq!([at(0), at(900), at(1000)], [true, false, true]);
    }

    #[test]
    fn the_report_gives_each_called_path_its_seconds_in_order() {
        let start = Instant::now();
        let (one, other) = calls();
        let mut rates = PathRates::new(2, start);
        for at in [0, 10, 20, 1500, 1600] {
            call(&mut rates, one, ms(start, at));
        }
        call(&mut rates, other, ms(start, 30));
        // Arrived in second 1, refused in second 2: it counts in the second it arrived in.
        let late = rates.arrive(one, ms(start, 1990));
        assert!(!rates.admit(late, ms(start, 2001)));
        call(&mut rates, one, ms(start, 3100));
        let report = rates.report(ms(start, 4000));
        assert_eq!(report.calls_per_second, 2);
        assert_eq!(report.paths.len(), 2);
        assert_eq!(
            report.paths[one.path()],
            [tally(0, 3, 1), tally(1, 3, 1), tally(3, 1, 0)]
        );
        assert_eq!(report.paths[other.path()], [tally(0, 1, 0)]);
    }

    #[test]
    fn the_report_keeps_only_the_last_ten_minutes() {
        let start = Instant::now();
        let (one, other) = calls();
        let mut rates = PathRates::new(100, start);
        call(&mut rates, one, start);
        call(&mut rates, other, start);
        call(&mut rates, one, ms(start, 300_000));
        call(&mut rates, one, ms(start, 600_000));
        let report = rates.report(ms(start, 600_000));
        assert_eq!(
            report.paths[one.path()],
            [tally(300, 1, 0), tally(600, 1, 0)]
        );
        assert!(!report.paths.contains_key(other.path()), "{report:?}");
        assert_eq!(
            rates.paths[&one].seconds.len(),
            2,
            "dropped, not only hidden"
        );
    }

    #[test]
    fn clearing_forgets_the_report_but_not_the_window() {
        let start = Instant::now();
        let (one, _) = calls();
        let mut rates = PathRates::new(1, start);
        assert!(call(&mut rates, one, start));
        rates.clear();
        assert!(rates.report(start).paths.is_empty());
        assert!(!call(&mut rates, one, ms(start, 500)));
        assert_eq!(rates.report(start).paths[one.path()], [tally(0, 1, 1)]);
    }
}
