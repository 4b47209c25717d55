//! What a write did, account by account: done, failed with its reason, or not done.

use super::{Outcomes, PlannedCall};
use crate::api::answer::AccountError;

/// What a write did, account by account: each distinct account is in exactly one list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Changed: every call that carried the account succeeded for it.
    pub done: Vec<String>,
    /// Listed by the vendor as failed (`ErrorList`), or carried by a call refused as a whole,
    /// with its code and reason.
    pub failed: Vec<AccountError>,
    /// Not known to be changed: a call that carried it was never sent, or got no answer.
    pub not_done: Vec<String>,
}

/// Keeps count of a batch's answers, account by account, to say what was done.
#[derive(Debug)]
pub struct Tracker {
    /// Per account: its calls not answered yet.
    calls_left: Vec<usize>,
    /// Per account: the first failure the vendor listed for it.
    failed: Vec<Option<AccountError>>,
}

impl Tracker {
    /// Nothing answered yet for `accounts` accounts, to be carried by `plan`.
    pub fn new(accounts: usize, plan: &[PlannedCall]) -> Self {
        let mut calls_left = vec![0; accounts];
        for call in plan {
            for (account, _) in &call.parts {
                calls_left[*account] += 1;
            }
        }
        Self {
            calls_left,
            failed: vec![None; accounts],
        }
    }

    /// Notes the answer to `call`: the accounts its `ErrorList` named (of `accounts`, the
    /// batch's distinct accounts), or all of them when it was refused as a whole; returns how
    /// many accounts have now had all their calls answered.
    pub fn answered(
        &mut self,
        call: &PlannedCall,
        accounts: &[String],
        outcomes: &Outcomes,
    ) -> usize {
        for (account, _) in &call.parts {
            if let Some(error) = outcomes.failure_of(&accounts[*account]) {
                self.failed[*account].get_or_insert(error);
            }
        }
        call.parts
            .iter()
            .filter(|(account, _)| {
                self.calls_left[*account] -= 1;
                self.calls_left[*account] == 0
            })
            .count()
    }

    /// What was done so far: an account whose calls were all answered is done unless the
    /// vendor listed it as failed; any other is not done, unless listed as failed.
    pub fn report(&self, accounts: &[String]) -> WriteReport {
        let mut report = WriteReport::default();
        for (index, account) in accounts.iter().enumerate() {
            match (&self.failed[index], self.calls_left[index]) {
                (Some(error), _) => report.failed.push(error.clone()),
                (None, 0) => report.done.push(account.clone()),
                (None, _) => report.not_done.push(account.clone()),
            }
        }
        report
    }
}
