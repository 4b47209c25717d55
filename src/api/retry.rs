//! One retry policy, for the Worker calling the vendor and for the browser calling the
//! Worker: a few tries with exponential backoff and full jitter, inside the time left, only
//! after a passing failure; a new UserSig once after 70001, where the caller signs.

use crate::api::codes::Action;

/// How one try of a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryOutcome {
    /// An answer of the vendor's shape came back, with this `ErrorCode` (0 on success).
    Answered(i64),
    /// The other end could not be reached.
    Unreachable,
    /// Something answered, but not with an answer of the vendor's shape (a 5xx, a cut answer).
    NotAnAnswer,
    /// The time allowed ran out: what was sent may or may not have been applied.
    TimedOut,
}

/// What to do after a try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Pass on what the last try got.
    Stop,
    /// Try again after a pause.
    Retry {
        /// The pause, in milliseconds.
        after_ms: u32,
        /// Sign a new UserSig first (the vendor said the last one expired).
        sign_again: bool,
        /// Go to the backup origin (the main one could not be reached).
        use_backup: bool,
    },
}

/// The numbers of a retry policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries of one call, the first included.
    pub max_tries: u32,
    /// The longest pause before the first retry; it doubles with each try.
    pub backoff_ms: u32,
    /// The same after a rate-limit code, which asks for a longer pause.
    pub rate_limited_backoff_ms: u32,
    /// Whether this caller signs, and so may sign again after 70001.
    pub signs: bool,
}

impl RetryPolicy {
    /// The Worker calling the vendor, all within `UPSTREAM_TIMEOUT_MS`.
    pub const EDGE: RetryPolicy = RetryPolicy {
        max_tries: 3,
        backoff_ms: 100,
        rate_limited_backoff_ms: 500,
        signs: true,
    };

    /// The browser calling the Worker, which has already retried what it could: its 502,
    /// 504 and 429 and the vendor's passing codes are tried again, after longer pauses.
    pub const BROWSER: RetryPolicy = RetryPolicy {
        max_tries: 3,
        backoff_ms: 200,
        rate_limited_backoff_ms: 1000,
        signs: false,
    };
}

impl RetryPolicy {
    /// How long to wait after the app's rate refused a call (a 429, or a vendor rate-limit
    /// code): what `Retry-After` said, else the policy's rate-limited pause, plus up to a
    /// quarter of it at random so that calls refused together do not all come back at once.
    /// Such a wait is not a try: a call waits as often as it is told to.
    pub fn paced_wait_ms(self, retry_after_s: Option<u32>, random: u32) -> u32 {
        let told = retry_after_s.map_or(self.rate_limited_backoff_ms, |s| s.saturating_mul(1000));
        told.saturating_add(random % (told / 4 + 1))
    }
}

/// The tries of one call so far, under a policy.
#[derive(Debug)]
pub struct Retries {
    policy: RetryPolicy,
    tries: u32,
    signed_again: bool,
}

impl Retries {
    /// No try yet.
    pub fn new(policy: RetryPolicy) -> Self {
        Self {
            policy,
            tries: 0,
            signed_again: false,
        }
    }

    /// Decides after a try; `remaining_ms` is the time left, `random` any random value. A
    /// timeout, success, a configuration error or a refusal stops; so does running out of
    /// tries or of time.
    pub fn after(&mut self, outcome: TryOutcome, remaining_ms: f64, random: u32) -> Next {
        self.tries += 1;
        let policy = self.policy;
        let (base, sign_again, use_backup) = match outcome {
            TryOutcome::Answered(0) | TryOutcome::TimedOut => return Next::Stop,
            TryOutcome::Answered(code) => match Action::for_code(code) {
                Action::SignAgain if policy.signs && !self.signed_again => (0, true, false),
                Action::Retry => (policy.backoff_ms, false, false),
                Action::RateLimited => (policy.rate_limited_backoff_ms, false, false),
                Action::SignAgain | Action::Configuration | Action::GiveUp => return Next::Stop,
            },
            TryOutcome::Unreachable => (policy.backoff_ms, false, true),
            TryOutcome::NotAnAnswer => (policy.backoff_ms, false, false),
        };
        let ceiling = base.saturating_mul(1 << (self.tries - 1).min(16));
        let after_ms = random % (ceiling.saturating_add(1));
        if self.tries >= policy.max_tries || f64::from(after_ms) >= remaining_ms {
            return Next::Stop;
        }
        self.signed_again |= sign_again;
        Next::Retry {
            after_ms,
            sign_again,
            use_backup,
        }
    }

    /// The tries made so far.
    pub fn tries(&self) -> u32 {
        self.tries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The decisions after each outcome in turn, with plenty of time left.
    fn decide(outcomes: &[TryOutcome], random: u32) -> Vec<Next> {
        let mut retries = Retries::new(RetryPolicy::EDGE);
        outcomes
            .iter()
            .map(|&o| retries.after(o, 10_000.0, random))
            .collect()
    }

    fn again(after_ms: u32, sign_again: bool, use_backup: bool) -> Next {
        Next::Retry {
            after_ms,
            sign_again,
            use_backup,
        }
    }

    #[test]
    fn retries_follow_the_codes() {
        // Passing vendor errors: three tries in all.
        for code in [91000, 60008, 70169, 70202, 70500] {
            let answered = TryOutcome::Answered(code);
            assert_eq!(
                decide(&[answered; 3], 0),
                [again(0, false, false), again(0, false, false), Next::Stop]
            );
        }
        for code in [60007, 60011, 60018, 60019, 70050] {
            assert_eq!(
                decide(&[TryOutcome::Answered(code)], 0),
                [again(0, false, false)]
            );
        }
        // Configuration errors and refusals are never retried; success ends it.
        for code in [
            0, 70009, 70013, 70014, 70016, 70020, 60010, 70403, 90001, 90009, 90018,
        ] {
            assert_eq!(
                decide(&[TryOutcome::Answered(code)], 0),
                [Next::Stop],
                "{code}"
            );
        }
        // 70001: sign again once, at once.
        let expired = TryOutcome::Answered(70001);
        assert_eq!(
            decide(&[expired, expired], 7),
            [again(0, true, false), Next::Stop]
        );
        // The main origin unreachable: the backup; a timeout used up the time.
        assert_eq!(
            decide(&[TryOutcome::Unreachable], 0),
            [again(0, false, true)]
        );
        assert_eq!(
            decide(&[TryOutcome::NotAnAnswer], 0),
            [again(0, false, false)]
        );
        assert_eq!(decide(&[TryOutcome::TimedOut], 0), [Next::Stop]);
    }

    #[test]
    fn backoff_is_full_jitter_under_a_doubling_ceiling() {
        let pauses = |outcomes: &[TryOutcome], index: usize| -> Vec<u32> {
            (0..5_000u32)
                .map(|random| match decide(outcomes, random)[index] {
                    Next::Retry { after_ms, .. } => after_ms,
                    Next::Stop => panic!("stopped"),
                })
                .collect()
        };
        let busy = [TryOutcome::Answered(91000); 2];
        let limited = [TryOutcome::Answered(60007); 2];
        for (outcomes, index, ceiling) in [
            (&busy, 0, 100),
            (&busy, 1, 200),
            (&limited, 0, 500),
            (&limited, 1, 1000),
        ] {
            let pauses = pauses(outcomes, index);
            assert_eq!(pauses.iter().min(), Some(&0));
            assert_eq!(pauses.iter().max(), Some(&ceiling));
        }
    }

    #[test]
    fn retries_use_full_jitter_and_stay_inside_the_time_left() {
        let mut retries = Retries::new(RetryPolicy::EDGE);
        assert_eq!(
            retries.after(TryOutcome::Answered(91000), 10_000.0, 150),
            Next::Retry {
                after_ms: 150 % 101,
                sign_again: false,
                use_backup: false
            }
        );
        let mut retries = Retries::new(RetryPolicy::EDGE);
        assert_eq!(
            retries.after(TryOutcome::Answered(91000), 50.0, 80),
            Next::Stop
        );
    }

    #[test]
    fn the_browser_retries_passing_failures_but_never_signs() {
        let mut retries = Retries::new(RetryPolicy::BROWSER);
        for (code, ceiling) in [(80502, 200), (80429, 2000)] {
            match retries.after(TryOutcome::Answered(code), f64::INFINITY, u32::MAX) {
                Next::Retry {
                    after_ms,
                    sign_again: false,
                    ..
                } => assert!(after_ms <= ceiling),
                other => panic!("{code}: {other:?}"),
            }
        }
        assert_eq!(
            retries.after(TryOutcome::Answered(80504), f64::INFINITY, 0),
            Next::Stop
        );
        assert_eq!(retries.tries(), 3);
        let mut expired = Retries::new(RetryPolicy::BROWSER);
        assert_eq!(
            expired.after(TryOutcome::Answered(70001), f64::INFINITY, 0),
            Next::Stop
        );
        for code in [80401, 80403, 80413, 90001, 70107] {
            let mut refused = Retries::new(RetryPolicy::BROWSER);
            assert_eq!(
                refused.after(TryOutcome::Answered(code), f64::INFINITY, 0),
                Next::Stop,
                "{code}"
            );
        }
        let mut timed_out = Retries::new(RetryPolicy::BROWSER);
        assert_eq!(
            timed_out.after(TryOutcome::TimedOut, f64::INFINITY, 0),
            Next::Stop
        );
    }

    #[test]
    fn a_paced_wait_is_what_it_was_told_and_a_little_more() {
        let policy = RetryPolicy::BROWSER;
        assert_eq!(policy.paced_wait_ms(Some(2), 0), 2000);
        assert_eq!(policy.paced_wait_ms(Some(2), 500), 2000 + 500);
        assert!(policy.paced_wait_ms(Some(2), u32::MAX) <= 2500);
        assert_eq!(
            policy.paced_wait_ms(None, 0),
            policy.rate_limited_backoff_ms
        );
    }
}
