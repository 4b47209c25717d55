//! The app-wide vendor rate: each path's calls booked into slots a fixed interval apart, and
//! the slots shared fairly between callers. Pure: time comes in as milliseconds. The Durable
//! Object (`src/worker/pacer.rs`) holds one [`Schedule`] for the whole app; an isolate that
//! cannot reach it holds one of its own.
//!
//! A caller's next slot is at least K slots after its last one, K being the callers with a
//! slot booked ahead: while K callers each ask for more than the rate, each is given one slot
//! in K, and a caller asking now and then finds a free slot among them at once. Each caller
//! holds at most its share of half a second's slots ahead (eight at least), so that whatever
//! the others ask, a newcomer's first slot is at most about half a second away (with ten
//! callers at once, eight tenths); a caller asking for more is refused and told when its own
//! slots have passed.

use crate::api::calls::Call;
use crate::edge::setting::{SettingProblem, SettingProblems};

/// Calls per second each vendor path takes, unless `TIM_CALLS_PER_SECOND` says otherwise.
pub const DEFAULT_CALLS_PER_SECOND: u32 = 100;
/// The longest a request waits for its slot, unless `PACE_MAX_WAIT_MS` says otherwise.
pub const DEFAULT_MAX_WAIT_MS: u32 = 2_000;
/// How long a caller with no slot booked is still counted among the callers sharing a path:
/// the time between two calls of one batch is far shorter.
const CALLER_IDLE_MS: f64 = 1_000.0;
/// The share of a second's slots all callers together may hold ahead: a newcomer waits at
/// most about this long, and it is far more than a batch needs to keep the rate busy.
const AHEAD_SECONDS: f64 = 0.5;
/// The slots ahead any caller may hold however many share the path: more than a browser's
/// six calls in flight, so that a batch never waits on a refusal of its own.
const AHEAD_AT_LEAST: usize = 8;

/// The rate and the longest wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    /// Calls each path takes per second.
    pub calls_per_second: u32,
    /// The longest a call waits for its slot before it is refused.
    pub max_wait_ms: u32,
}

impl Default for Pace {
    fn default() -> Self {
        Self {
            calls_per_second: DEFAULT_CALLS_PER_SECOND,
            max_wait_ms: DEFAULT_MAX_WAIT_MS,
        }
    }
}

impl Pace {
    /// Reads `TIM_CALLS_PER_SECOND` (1 to 10,000) and `PACE_MAX_WAIT_MS` (0 to 60,000),
    /// naming each that is wrong.
    pub fn from_env(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, SettingProblems> {
        let mut problems = Vec::new();
        let mut read = |name: &'static str, default: u32, (min, max): (u32, u32)| match lookup(name)
            .map(|value| value.trim().parse::<u32>())
        {
            None => default,
            Some(Ok(value)) if (min..=max).contains(&value) => value,
            Some(_) => {
                problems.push(SettingProblem::OutOfRange { name, min, max });
                default
            }
        };
        let pace = Pace {
            calls_per_second: read(
                "TIM_CALLS_PER_SECOND",
                DEFAULT_CALLS_PER_SECOND,
                (1, 10_000),
            ),
            max_wait_ms: read("PACE_MAX_WAIT_MS", DEFAULT_MAX_WAIT_MS, (0, 60_000)),
        };
        match problems.is_empty() {
            true => Ok(pace),
            false => Err(SettingProblems(problems)),
        }
    }

    /// The time between two slots. A few slots a second are kept free (3 in 100, at least
    /// one), so that calls which reach the vendor some milliseconds late or early, as timers
    /// and networks make them, are never more than the rate in any one second.
    pub fn interval_ms(self) -> f64 {
        1000.0 / f64::from(self.slots_per_second())
    }

    /// The slots of one second.
    fn slots_per_second(self) -> u32 {
        let kept_free = (self.calls_per_second * 3 / 100).max(1);
        self.calls_per_second.saturating_sub(kept_free).max(1)
    }
}

/// What a request for a slot gets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Slot {
    /// Send after waiting `wait_ms`; `remaining` slots of the path are free in the next second.
    Go {
        /// How long to wait before sending.
        wait_ms: u32,
        /// Slots of the path still free in the coming second.
        remaining: u32,
    },
    /// No slot within the longest wait: come back after `retry_after_s`, by which time every
    /// slot booked now has passed.
    Refused {
        /// Whole seconds, at least 1.
        retry_after_s: u32,
    },
}

impl Slot {
    /// The slot as the pacer writes it to the Worker: `go <wait_ms> <remaining>` or
    /// `refused <retry_after_s>`.
    pub fn to_text(self) -> String {
        match self {
            Slot::Go { wait_ms, remaining } => format!("go {wait_ms} {remaining}"),
            Slot::Refused { retry_after_s } => format!("refused {retry_after_s}"),
        }
    }

    /// A slot as the pacer wrote it, its words read as numbers (`go` as 1, `refused` as 0, as
    /// the Worker's JavaScript reads them); `None` for anything else.
    pub fn from_numbers(numbers: &[f64]) -> Option<Slot> {
        let whole = |n: f64| {
            (n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n)).then_some(n as u32)
        };
        match numbers {
            [go, wait_ms, remaining] if *go == 1.0 => Some(Slot::Go {
                wait_ms: whole(*wait_ms)?,
                remaining: whole(*remaining)?,
            }),
            [refused, retry_after_s] if *refused == 0.0 => Some(Slot::Refused {
                retry_after_s: whole(*retry_after_s)?,
            }),
            _ => None,
        }
    }
}

/// The slots booked on every path, and who booked them.
#[derive(Debug, Default)]
pub struct Schedule {
    paths: Vec<(Call, PathBook)>,
}

/// One path's booked slots, as slot numbers (`time / interval`), ascending, and its callers.
#[derive(Debug, Default)]
struct PathBook {
    booked: Vec<u64>,
    callers: Vec<CallerBook>,
}

/// A caller's slots ahead on a path (ascending), and when it last asked.
#[derive(Debug)]
struct CallerBook {
    name: String,
    ahead: Vec<u64>,
    asked_ms: f64,
}

impl Schedule {
    /// A slot for `caller`'s call of `call`, asked at `now_ms`.
    pub fn reserve(&mut self, pace: Pace, call: Call, caller: &str, now_ms: f64) -> Slot {
        let at = match self.paths.iter().position(|(known, _)| *known == call) {
            Some(at) => at,
            None => {
                self.paths.push((call, PathBook::default()));
                self.paths.len() - 1
            }
        };
        self.paths[at].1.reserve(pace, caller, now_ms)
    }
}

impl PathBook {
    fn reserve(&mut self, pace: Pace, caller: &str, now_ms: f64) -> Slot {
        let interval = pace.interval_ms();
        // The next slot to begin: a call never starts late in a slot of its own, which would
        // bring it closer than one interval to the next.
        let now_slot = (now_ms / interval).ceil().max(0.0) as u64;
        self.forget_before(now_slot, now_ms);
        if let Some(last_slot) = self.over_share(pace, caller) {
            return refused(last_slot as f64 * interval - now_ms);
        }
        let slot = self.first_free(self.earliest(caller, now_slot));
        let wait_ms = (slot as f64 * interval - now_ms).max(0.0);
        // The longest wait counts from the next slot's beginning: with none at all, a call on
        // an idle path still goes.
        if wait_ms > f64::from(pace.max_wait_ms) + interval {
            return refused(wait_ms);
        }
        self.book(slot, caller, now_ms);
        let per_second = pace.slots_per_second();
        let second_ahead = now_slot + u64::from(per_second);
        let taken = self.booked.iter().filter(|s| **s < second_ahead).count();
        Slot::Go {
            wait_ms: wait_ms.ceil() as u32,
            remaining: per_second.saturating_sub(taken as u32),
        }
    }

    /// Drops the slots that have passed, and the callers that have neither a slot ahead nor
    /// asked lately.
    fn forget_before(&mut self, now_slot: u64, now_ms: f64) {
        let passed = self.booked.partition_point(|slot| *slot < now_slot);
        self.booked.drain(..passed);
        for caller in &mut self.callers {
            let passed = caller.ahead.partition_point(|slot| *slot < now_slot);
            caller.ahead.drain(..passed);
        }
        self.callers
            .retain(|c| !c.ahead.is_empty() || now_ms - c.asked_ms < CALLER_IDLE_MS);
    }

    /// The last slot of `caller` when it already holds its share of the slots ahead.
    fn over_share(&self, pace: Pace, caller: &str) -> Option<u64> {
        let own = self.callers.iter().find(|c| c.name == caller)?;
        let sharing = self
            .callers
            .iter()
            .filter(|c| !c.ahead.is_empty())
            .count()
            .max(1);
        let ahead_slots = f64::from(pace.calls_per_second) * AHEAD_SECONDS;
        let share = ((ahead_slots / sharing as f64) as usize).max(AHEAD_AT_LEAST);
        own.ahead
            .last()
            .copied()
            .filter(|_| own.ahead.len() >= share)
    }

    /// The first slot `caller` may take: now, or K slots after its last one while it has one
    /// ahead, K being itself and the others asking for more than one slot at a time. A caller
    /// asking now and then takes a free slot among theirs and widens nobody's spacing, so
    /// that no slot goes unused for it.
    fn earliest(&self, caller: &str, now_slot: u64) -> u64 {
        let busy_others = self
            .callers
            .iter()
            .filter(|c| c.name != caller && c.ahead.len() > 1)
            .count();
        match self
            .callers
            .iter()
            .find(|c| c.name == caller)
            .and_then(|own| own.ahead.last())
        {
            Some(last_slot) => now_slot.max(last_slot + 1 + busy_others as u64),
            None => now_slot,
        }
    }

    /// The first slot from `from` on that nobody has booked.
    fn first_free(&self, from: u64) -> u64 {
        let mut slot = from;
        for booked in &self.booked[self.booked.partition_point(|s| *s < from)..] {
            if *booked != slot {
                break;
            }
            slot += 1;
        }
        slot
    }

    fn book(&mut self, slot: u64, caller: &str, now_ms: f64) {
        let at = self.booked.partition_point(|s| *s < slot);
        self.booked.insert(at, slot);
        match self.callers.iter_mut().find(|c| c.name == caller) {
            Some(own) => {
                let at = own.ahead.partition_point(|s| *s < slot);
                own.ahead.insert(at, slot);
                own.asked_ms = now_ms;
            }
            None => self.callers.push(CallerBook {
                name: caller.to_owned(),
                ahead: vec![slot],
                asked_ms: now_ms,
            }),
        }
    }
}

/// Refused, told to come back once `wait_ms` has passed: every slot that stood in the way
/// has passed by then.
fn refused(wait_ms: f64) -> Slot {
    Slot::Refused {
        retry_after_s: ((wait_ms / 1000.0).ceil() as u32).max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::calls::{Operation, TagApi};

    const GET: Call = Call::new(Operation::Get, TagApi::AllMemberPush);
    const ADD: Call = Call::new(Operation::Add, TagApi::AllMemberPush);

    fn pace() -> Pace {
        Pace::default()
    }

    /// The time a call asked at `now_ms` was given, or `None` when it was refused.
    fn start(schedule: &mut Schedule, call: Call, caller: &str, now_ms: f64) -> Option<f64> {
        match schedule.reserve(pace(), call, caller, now_ms) {
            Slot::Go { wait_ms, .. } => Some(now_ms + f64::from(wait_ms)),
            Slot::Refused { .. } => None,
        }
    }

    /// Callers that each keep `in_flight` calls going, each call ending `latency_ms` after its
    /// slot, plus callers asking for one call every `every_ms`; run for `run_ms`. Returns the
    /// slots each caller got, and the waits of the occasional callers.
    fn simulate(
        saturating: usize,
        in_flight: usize,
        occasional: usize,
        every_ms: f64,
        run_ms: f64,
    ) -> (Vec<usize>, Vec<f64>) {
        const LATENCY_MS: f64 = 15.0;
        let mut schedule = Schedule::default();
        let names: Vec<String> = (0..saturating + occasional)
            .map(|i| format!("c{i}"))
            .collect();
        // (when the caller asks, who)
        let mut asks: Vec<(f64, usize)> = Vec::new();
        for caller in 0..saturating {
            asks.extend((0..in_flight).map(|n| (n as f64 * 0.1, caller)));
        }
        for caller in saturating..saturating + occasional {
            asks.push((caller as f64, caller));
        }
        let (mut got, mut waits) = (vec![0; names.len()], Vec::new());
        while let Some(next) = asks
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.0.total_cmp(&b.1.0))
            .map(|(i, _)| i)
        {
            let (now, caller) = asks.swap_remove(next);
            if now > run_ms {
                break;
            }
            let Some(at) = start(&mut schedule, GET, &names[caller], now) else {
                asks.push((now + 1000.0, caller));
                continue;
            };
            if at < run_ms {
                got[caller] += 1;
            }
            if caller < saturating {
                asks.push((at + LATENCY_MS, caller));
            } else {
                waits.push(at - now);
                asks.push((now + every_ms, caller));
            }
        }
        (got, waits)
    }

    #[test]
    fn a_lone_caller_gets_the_rate_and_no_second_holds_more_than_it() {
        let (got, _) = simulate(1, 6, 0, 0.0, 10_000.0);
        // 97 slots a second: three are kept free for calls that arrive late or early.
        assert!((955..=971).contains(&got[0]), "{got:?}");
        let mut schedule = Schedule::default();
        let starts: Vec<f64> = (0..300)
            .filter_map(|_| start(&mut schedule, GET, "a", 0.0))
            .collect();
        for (i, first) in starts.iter().enumerate() {
            let within = starts[i..].iter().filter(|s| **s - first < 1000.0).count();
            assert!(
                within <= 99,
                "{within} calls start within a second of {first}"
            );
        }
    }

    #[test]
    fn saturating_callers_share_the_rate_evenly_and_use_it_all() {
        for callers in [2, 3, 10] {
            let (got, _) = simulate(callers, 6, 0, 0.0, 10_000.0);
            let total: usize = got.iter().sum();
            assert!(total >= 950, "{callers} callers used {total} of 990 slots");
            let fair = total as f64 / callers as f64;
            for share in &got {
                let ratio = *share as f64 / fair;
                assert!((0.8..=1.2).contains(&ratio), "{callers} callers: {got:?}");
            }
        }
    }

    #[test]
    fn one_call_at_a_time_is_answered_within_a_second_while_others_saturate() {
        let (got, waits) = simulate(3, 6, 1, 250.0, 10_000.0);
        // And the slots it takes leave none of the others' unused.
        assert!(got.iter().sum::<usize>() >= 950, "{got:?}");
        assert!(waits.len() > 30, "{waits:?}");
        let mut sorted = waits.clone();
        sorted.sort_by(f64::total_cmp);
        let p95 = sorted[sorted.len() * 95 / 100];
        assert!(p95 <= 1000.0, "p95 wait {p95} ms: {waits:?}");
        // A flood of many calls at once from another caller does not hold it back either.
        let mut schedule = Schedule::default();
        for _ in 0..500 {
            start(&mut schedule, GET, "flood", 0.0);
        }
        let lookup = start(&mut schedule, GET, "one", 5.0).expect("refused");
        assert!(lookup - 5.0 <= 1000.0, "waited {} ms", lookup - 5.0);
    }

    #[test]
    fn past_the_longest_wait_a_call_is_refused_and_told_when_a_slot_is_free() {
        let mut schedule = Schedule::default();
        let mut refused = None;
        for _ in 0..400 {
            if let Slot::Refused { retry_after_s } = schedule.reserve(pace(), ADD, "a", 0.0) {
                refused = Some(retry_after_s);
                break;
            }
        }
        let retry_after_s = refused.expect("never refused");
        assert!((1..=3).contains(&retry_after_s), "{retry_after_s}");
        let back = f64::from(retry_after_s) * 1000.0;
        assert!(matches!(
            schedule.reserve(pace(), ADD, "a", back),
            Slot::Go { wait_ms, .. } if f64::from(wait_ms) <= pace().interval_ms()
        ));
    }

    #[test]
    fn paths_are_paced_apart() {
        let mut schedule = Schedule::default();
        for _ in 0..150 {
            start(&mut schedule, GET, "a", 0.0);
        }
        assert_eq!(start(&mut schedule, ADD, "a", 0.0), Some(0.0));
        let timpush = Call {
            api: TagApi::Timpush,
            ..GET
        };
        assert_eq!(start(&mut schedule, timpush, "a", 0.0), Some(0.0));
    }

    #[test]
    fn what_is_left_of_the_second_is_counted() {
        let mut schedule = Schedule::default();
        let remaining = |slot| match slot {
            Slot::Go { remaining, .. } => remaining,
            Slot::Refused { .. } => panic!("refused"),
        };
        assert_eq!(remaining(schedule.reserve(pace(), GET, "a", 0.0)), 96);
        for caller in 0..95 {
            schedule.reserve(pace(), GET, &format!("b{caller}"), 0.0);
        }
        assert_eq!(remaining(schedule.reserve(pace(), GET, "c", 0.0)), 0);
    }

    #[test]
    fn an_evicted_schedule_forgets_only_its_bookings() {
        let mut schedule = Schedule::default();
        for _ in 0..150 {
            start(&mut schedule, GET, "a", 0.0);
        }
        // An evicted or restarted object is made anew, with an empty schedule.
        schedule = Schedule::default();
        assert_eq!(start(&mut schedule, GET, "a", 0.0), Some(0.0));
        assert_eq!(
            start(&mut schedule, GET, "a", 0.0),
            Some(pace().interval_ms().ceil())
        );
    }

    /// What the Worker's JavaScript makes of the pacer's words: `go` 1, `refused` 0, numbers
    /// as numbers.
    fn read_as_javascript(text: &str) -> Vec<f64> {
        text.split(' ')
            .map(|word| match word {
                "go" => 1.0,
                "refused" => 0.0,
                number => number.parse().unwrap_or(f64::NAN),
            })
            .collect()
    }

    #[test]
    fn a_slot_crosses_to_the_worker_as_text_and_back() {
        for slot in [
            Slot::Go {
                wait_ms: 12,
                remaining: 40,
            },
            Slot::Refused { retry_after_s: 2 },
        ] {
            let read = read_as_javascript(&slot.to_text());
            assert_eq!(Slot::from_numbers(&read), Some(slot));
        }
        for wrong in [
            "",
            "go",
            "go 1",
            "go 1 2 3",
            "refused x",
            "wait 1",
            "go -1 2",
            "go 1.5 2",
        ] {
            assert_eq!(
                Slot::from_numbers(&read_as_javascript(wrong)),
                None,
                "{wrong}"
            );
        }
    }

    #[test]
    fn the_pace_is_read_from_its_settings() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            }
        };
        assert_eq!(Pace::from_env(&env(&[])), Ok(Pace::default()));
        assert_eq!(
            Pace::from_env(&env(&[
                ("TIM_CALLS_PER_SECOND", "50"),
                ("PACE_MAX_WAIT_MS", "0")
            ])),
            Ok(Pace {
                calls_per_second: 50,
                max_wait_ms: 0
            })
        );
        let wrong = Pace::from_env(&env(&[
            ("TIM_CALLS_PER_SECOND", "0"),
            ("PACE_MAX_WAIT_MS", "x"),
        ]))
        .unwrap_err()
        .to_string();
        assert_eq!(
            wrong,
            "TIM_CALLS_PER_SECOND must be a whole number from 1 to 10000; \
             PACE_MAX_WAIT_MS must be a whole number from 0 to 60000"
        );
    }
}
