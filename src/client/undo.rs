//! An undo, of one change or of every change of a batch, run as a batch of its own: its
//! distinct accounts, its calls in waves, and what each account came to.

use std::borrow::Cow;
use std::ops::Range;

use super::{
    ACCOUNTS_PER_CALL, EntryIndex, UndoTarget, WriteReport, batch_page_path, change_path,
    read_change, read_page,
};
use crate::api::answer::{AccountError, account_errors};
use crate::api::json::Json;

/// An account an undo left alone, and why, as the Worker says it: "changed since",
/// "before unknown" or "not done".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The account.
    pub to_account: String,
    /// Why it was left alone.
    pub reason: String,
}

/// What a call's answer says of its accounts. The vendor's answers list only those that
/// failed (the others are done); an undo's lists each account as done, failed or skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcomes {
    /// Put back as they were before the change.
    pub done: Vec<String>,
    /// Not put back: the vendor failed them, with its code and reason.
    pub failed: Vec<AccountError>,
    /// Left alone, with the reason.
    pub skipped: Vec<Skipped>,
    /// The call was refused as a whole, with this code and reason (`to_account` empty): none
    /// of its accounts was changed, and each is failed with that reason.
    pub refused: Option<AccountError>,
}

impl Outcomes {
    /// A call refused as a whole: its accounts failed, each with the refusal's code and reason.
    pub fn refused(code: i64, info: &str) -> Self {
        Self {
            refused: Some(AccountError {
                to_account: String::new(),
                code,
                info: info.into(),
            }),
            ..Self::default()
        }
    }

    /// The failure an account of this call came to, if any: as listed, or the whole call's.
    pub fn failure_of(&self, account: &str) -> Option<AccountError> {
        let listed = self.failed.iter().find(|e| e.to_account == account);
        let refused = self.refused.as_ref().map(|refusal| AccountError {
            to_account: account.into(),
            ..refusal.clone()
        });
        listed.cloned().or(refused)
    }
}

impl Outcomes {
    /// Reads an undo's answer, `{change, done, failed, skipped}`; `None` when it is not one.
    pub fn read_undo(answer: &impl Json) -> Option<Self> {
        let items = answer.field("done")?.items()?;
        let mut done = Vec::with_capacity(items.len());
        for item in &items {
            done.push(item.string()?);
        }
        let failed = account_errors(&answer.field("failed")?)?;
        let items = answer.field("skipped")?.items()?;
        let mut skipped = Vec::with_capacity(items.len());
        for item in &items {
            skipped.push(Skipped {
                to_account: item.field("To_Account")?.string()?,
                reason: item.field("reason")?.string()?,
            });
        }
        Some(Self {
            done,
            failed,
            skipped,
            refused: None,
        })
    }
}

/// One call of an undo: a change, and which of its accounts the call carries (by their place
/// among the undo's distinct accounts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoCall {
    /// The change's id.
    pub change: String,
    /// Up to 100 of its accounts.
    pub accounts: Vec<usize>,
}

/// Where one account of an undo stands.
#[derive(Debug, Clone, Default)]
struct Standing {
    /// Its calls not answered yet.
    calls_left: usize,
    /// An answer named it neither done, failed nor skipped.
    not_done: bool,
    /// The first failure an answer listed for it.
    failed: Option<AccountError>,
    /// The first reason an answer gave for leaving it alone.
    skipped: Option<String>,
    /// The first wave after every wave that undoes it so far.
    next_wave: usize,
}

/// What an undo did: each distinct account in exactly one of the report's lists or `skipped`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UndoReport {
    /// Done, failed and not done.
    pub report: WriteReport,
    /// Left alone, with the reason.
    pub skipped: Vec<Skipped>,
}

/// An undo under way: the reads that gather its changes, its distinct accounts, its calls,
/// and where each account stands.
#[derive(Debug)]
pub struct Undo {
    /// The batch whose changes are undone, if it is a batch.
    batch: Option<String>,
    /// The paths to read, in order, and how many were read.
    reads: Vec<String>,
    read: usize,
    /// The distinct accounts of its changes, in the order first met.
    pub accounts: Vec<String>,
    standings: Vec<Standing>,
    waves: Vec<Vec<UndoCall>>,
}

impl Undo {
    /// An undo of `target`, with nothing read yet.
    pub fn new(target: UndoTarget) -> Self {
        let (batch, first) = match target {
            UndoTarget::Change(id) => (None, change_path(&id)),
            UndoTarget::Batch(batch) => {
                let first = batch_page_path(&batch, None);
                (Some(batch), first)
            }
        };
        Self {
            batch,
            reads: vec![first],
            read: 0,
            accounts: Vec::new(),
            standings: Vec::new(),
            waves: Vec::new(),
        }
    }

    /// The next path to read while the changes are gathered, in order, one at a time.
    pub fn next_read(&mut self) -> Option<String> {
        let path = self.reads.get(self.read).cloned();
        self.read += 1;
        path
    }

    /// Takes what a read answered: a page of the batch's changes adds each of them to read,
    /// then the next page, so that the changes are met newest first; a change adds its
    /// accounts ([`Undo::add_change`]). `None` when the answer is neither. A path already
    /// read or to be read is not added again: a change listed twice is undone once, and a
    /// page that names itself as the next ends the gathering.
    pub fn take<J: Json>(&mut self, answer: &J, index: &mut dyn EntryIndex<J>) -> Option<()> {
        if let Some((ids, next)) = read_page(answer) {
            let reads = &mut self.reads;
            let mut push = |path: String| {
                if !reads.contains(&path) {
                    reads.push(path);
                }
            };
            for id in &ids {
                push(change_path(id));
            }
            if let (Some(next), Some(batch)) = (next, &self.batch) {
                push(batch_page_path(batch, Some(&next)));
            }
            return Some(());
        }
        let (id, accounts) = read_change(answer)?;
        self.add_change(&id, &accounts, index);
        Some(())
    }

    /// Adds the change `id` with its accounts ([`super::read_change`]); changes are added
    /// newest first. Its calls of up to 100 accounts go in the first wave after every wave
    /// that undoes one of its accounts, so that each account's changes are undone newest first,
    /// one at a time (an undo puts back only what still holds the change's `after`), while
    /// changes of other accounts go alongside.
    pub fn add_change<J: Json>(
        &mut self,
        id: &str,
        accounts: &[(J, String)],
        index: &mut dyn EntryIndex<J>,
    ) {
        let mut places: Vec<usize> = Vec::with_capacity(accounts.len());
        let mut wave = 0;
        for (value, account) in accounts {
            let at = match index.entry_of(value, Cow::Borrowed(account), self.accounts.len()) {
                Some(at) => at,
                None => {
                    self.accounts.push(account.clone());
                    self.standings.push(Standing::default());
                    self.accounts.len() - 1
                }
            };
            if !places.contains(&at) {
                wave = wave.max(self.standings[at].next_wave);
                places.push(at);
            }
        }
        for &at in &places {
            self.standings[at].next_wave = wave + 1;
            self.standings[at].calls_left += 1;
        }
        if self.waves.len() <= wave {
            self.waves.resize_with(wave + 1, Vec::new);
        }
        for chunk in places.chunks(ACCOUNTS_PER_CALL) {
            self.waves[wave].push(UndoCall {
                change: id.into(),
                accounts: chunk.to_vec(),
            });
        }
    }

    /// The calls, wave after wave, and the range of each wave among them.
    pub fn plan(&mut self) -> (Vec<UndoCall>, Vec<Range<usize>>) {
        let mut calls = Vec::new();
        let mut waves = Vec::new();
        for wave in std::mem::take(&mut self.waves) {
            let start = calls.len();
            calls.extend(wave);
            waves.push(start..calls.len());
        }
        (calls, waves)
    }

    /// Notes the answer to `call`: each of its accounts done, failed, skipped or, when the
    /// answer names it nowhere, not done; returns how many accounts have now had all their
    /// calls answered.
    pub fn answered(&mut self, call: &UndoCall, outcomes: &Outcomes) -> usize {
        let mut finished = 0;
        for &at in &call.accounts {
            let account = &self.accounts[at];
            let standing = &mut self.standings[at];
            let listed = |name: &String| name == account;
            if let Some(error) = outcomes.failure_of(account) {
                standing.failed.get_or_insert(error);
            } else if let Some(skip) = outcomes.skipped.iter().find(|s| listed(&s.to_account)) {
                standing.skipped.get_or_insert_with(|| skip.reason.clone());
            } else if !outcomes.done.iter().any(listed) {
                standing.not_done = true;
            }
            standing.calls_left = standing.calls_left.saturating_sub(1);
            finished += usize::from(standing.calls_left == 0);
        }
        finished
    }

    /// What the undo did so far. An account in several changes is failed if any of its undos
    /// failed; else not done if any was not done (never sent, unanswered, or named nowhere in
    /// its answer); else skipped, with the first reason given, if any was skipped; else done.
    pub fn report(&self) -> UndoReport {
        let mut undone = UndoReport::default();
        for (account, standing) in self.accounts.iter().zip(&self.standings) {
            match standing {
                Standing {
                    failed: Some(error),
                    ..
                } => undone.report.failed.push(error.clone()),
                Standing {
                    calls_left: 1.., ..
                }
                | Standing { not_done: true, .. } => undone.report.not_done.push(account.clone()),
                Standing {
                    skipped: Some(reason),
                    ..
                } => undone.skipped.push(Skipped {
                    to_account: account.clone(),
                    reason: reason.clone(),
                }),
                Standing { .. } => undone.report.done.push(account.clone()),
            }
        }
        undone
    }
}
