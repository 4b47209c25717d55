//! How a batch is split into calls: 100 accounts a call, and an account's tags in runs that
//! reach the vendor in the order given.

use std::ops::Range;

use super::ACCOUNTS_PER_CALL;
use crate::api::request::UserTags;

/// What one call of a batch carries: for each of its accounts (by its place among the
/// batch's distinct accounts), which of that account's tags (none for a get or a clear).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedCall {
    /// `(account, tags)`: the account's index, and the range of its tags this call carries.
    pub parts: Vec<(usize, Range<usize>)>,
    /// Which of its accounts' runs of tags it carries: 0 for the first.
    pub run: usize,
}

/// The plan's calls, run by run: a run's calls go only once the run before is answered, so
/// that an account's tags reach the vendor in the order given, one call at a time.
pub fn waves(plan: &[PlannedCall]) -> Vec<Range<usize>> {
    let mut waves: Vec<Range<usize>> = Vec::new();
    for (index, call) in plan.iter().enumerate() {
        match waves.last_mut() {
            Some(wave) if plan[wave.start].run == call.run => wave.end = index + 1,
            _ => waves.push(index..index + 1),
        }
    }
    waves
}

/// The calls of a get or a clear of `count` distinct accounts: in order, 100 a call.
pub fn plan_accounts(count: usize) -> Vec<PlannedCall> {
    (0..count)
        .step_by(ACCOUNTS_PER_CALL)
        .map(|from| PlannedCall {
            parts: (from..count.min(from + ACCOUNTS_PER_CALL))
                .map(|account| (account, 0..0))
                .collect(),
            run: 0,
        })
        .collect()
}

/// The calls of an add or a remove: each account's tags split into runs of at most
/// `tags_per_call`; the first run of every account goes first, 100 accounts a call, then the
/// second runs, and so on.
pub fn plan_entries(entries: &[UserTags], tags_per_call: usize) -> Vec<PlannedCall> {
    let runs = entries
        .iter()
        .map(|entry| entry.tags.len().div_ceil(tags_per_call))
        .max()
        .unwrap_or(0);
    let mut calls = Vec::new();
    for run in 0..runs {
        let parts: Vec<(usize, Range<usize>)> = entries
            .iter()
            .enumerate()
            .filter_map(|(index, entry)| {
                let from = run * tags_per_call;
                (from < entry.tags.len())
                    .then(|| (index, from..entry.tags.len().min(from + tags_per_call)))
            })
            .collect();
        for chunk in parts.chunks(ACCOUNTS_PER_CALL) {
            calls.push(PlannedCall {
                parts: chunk.to_vec(),
                run,
            });
        }
    }
    calls
}
