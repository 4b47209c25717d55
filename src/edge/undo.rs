//! Undoing a change: which of the accounts asked for may be put back, the vendor writes that
//! put them back (tags taken away first, then tags given back, within each call's limits), and
//! what came of each account, for the undo's own change.

use serde::Serialize;

use crate::api::account::same_account_key;
use crate::api::answer::AccountError;
use crate::api::calls::{Call, Operation, TagApi};
use crate::api::codes::BAD_GATEWAY;
use crate::api::json::Json;
use crate::api::named::Named;
use crate::api::request::{TagRequest, UserTags};
use crate::edge::history::{AccountOutcome, ChangedAccount, HistoryProblem, WriteEnd, applied};

/// The most accounts one undo request names: one call's worth.
pub const MAX_UNDO_ACCOUNTS: usize = 100;

/// One account of a stored change, as `GET /history/{id}` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAccount {
    /// The account.
    pub account: String,
    /// Whether the vendor changed it.
    pub done: bool,
    /// Its tags before the change, when known.
    pub before: Option<Vec<String>>,
    /// Its tags after the change, when known.
    pub after: Option<Vec<String>>,
}

/// A stored change, as much of it as an undo needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChange {
    /// The generation it was made in: its undo is made in the same one.
    pub api: TagApi,
    /// Its accounts.
    pub accounts: Vec<StoredAccount>,
}

impl StoredChange {
    /// Reads `{"change": {"api": ...}, "accounts": [{account, outcome, before, after}]}`.
    pub fn read(json: &impl Json) -> Option<Self> {
        let api = TagApi::named(&json.field("change")?.field("api")?.string()?).ok()?;
        let mut accounts = Vec::new();
        for entry in json.field("accounts")?.items()? {
            accounts.push(StoredAccount {
                account: entry.field("account")?.string()?,
                done: entry.field("outcome")?.string()? == "done",
                before: tag_list(entry.field("before")),
                after: tag_list(entry.field("after")),
            });
        }
        Some(StoredChange { api, accounts })
    }
}

/// The tags of a JSON array of strings; `None` when it is missing or holds anything else.
pub fn tag_list(value: Option<impl Json>) -> Option<Vec<String>> {
    let mut tags = Vec::new();
    for tag in value?.items()? {
        tags.push(tag.string()?);
    }
    Some(tags)
}

/// The accounts an undo names: `{"accounts": [1 to 100 strings]}`, each once.
pub fn undo_accounts(body: &impl Json) -> Result<Vec<String>, HistoryProblem> {
    let only_accounts = body.is_object() && body.keys().iter().all(|key| key == "accounts");
    let list = only_accounts
        .then(|| body.field("accounts")?.items())
        .flatten()
        .filter(|list| (1..=MAX_UNDO_ACCOUNTS).contains(&list.len()))
        .ok_or(HistoryProblem::UndoBody)?;
    let mut accounts: Vec<String> = Vec::new();
    for item in list {
        let account = item.string().ok_or(HistoryProblem::UndoBody)?;
        if !accounts.contains(&account) {
            accounts.push(account);
        }
    }
    Ok(accounts)
}

/// Why an undo leaves an account alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Its tags are no longer what the change left.
    ChangedSince,
    /// Its tags before the change were not read, so there is nothing known to put back.
    BeforeUnknown,
    /// The change did not change it (the vendor refused it, or may not have had it).
    NotDone,
}

impl Skip {
    /// The reason an undo's answer gives.
    pub fn reason(self) -> &'static str {
        match self {
            Skip::ChangedSince => "changed since",
            Skip::BeforeUnknown => "before unknown",
            Skip::NotDone => "not done",
        }
    }
}

/// The accounts asked for that an undo may put back, once their tags are read again, and
/// those it leaves alone already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoPlan<'a> {
    /// Done, with tags known before and after.
    pub targets: Vec<&'a StoredAccount>,
    /// Left alone, and why.
    pub skipped: Vec<(String, Skip)>,
}

/// Sorts the accounts asked for (`asked`) of change `id`; an account the change does not have
/// refuses the whole undo.
pub fn plan<'a>(
    change: &'a StoredChange,
    id: i64,
    asked: &[String],
) -> Result<UndoPlan<'a>, HistoryProblem> {
    let key = |account: &str| same_account_key(change.api, account).into_owned();
    let mut plan = UndoPlan {
        targets: Vec::new(),
        skipped: Vec::new(),
    };
    let mut seen: Vec<String> = Vec::new();
    for account in asked {
        // A RegistrationID in two cases is one account: it is put back once.
        let account_key = key(account);
        if seen.contains(&account_key) {
            continue;
        }
        seen.push(account_key);
        let stored = change
            .accounts
            .iter()
            .find(|stored| key(&stored.account) == key(account))
            .ok_or_else(|| HistoryProblem::NotInChange {
                account: account.clone(),
                change: id,
            })?;
        match (stored.done, &stored.before, &stored.after) {
            (false, ..) => plan.skipped.push((stored.account.clone(), Skip::NotDone)),
            (true, Some(_), Some(_)) => plan.targets.push(stored),
            (true, ..) => plan
                .skipped
                .push((stored.account.clone(), Skip::BeforeUnknown)),
        }
    }
    Ok(plan)
}

/// Whether two lists hold the same tags, in any order and however often each is named: tags
/// read now against those a change left, or against those it found.
pub fn same_tags(now: &[String], then: &[String]) -> bool {
    now.iter().all(|tag| then.contains(tag)) && then.iter().all(|tag| now.contains(tag))
}

/// The vendor writes that take each account from `now` back to `before`: one remove of the
/// tags it gained (at most as many per account as a remove takes), then adds of the tags it
/// lost, as many per account as an add takes, in as many calls as that needs.
pub fn writes(api: TagApi, accounts: &[(&str, &[String], &[String])]) -> Vec<(Call, TagRequest)> {
    let mut calls = Vec::new();
    for operation in [Operation::Remove, Operation::Add] {
        let call = Call { operation, api };
        let per_call = call.row().max_tags(false).unwrap_or(1).max(1);
        let mut round = 0;
        loop {
            let mut entries = Vec::new();
            for (account, before, now) in accounts {
                let (from, to) = match operation {
                    Operation::Remove => (now, before),
                    Operation::Add | Operation::Get | Operation::Clear => (before, now),
                };
                let tags: Vec<String> = from
                    .iter()
                    .filter(|tag| !to.contains(tag))
                    .skip(round * per_call)
                    .take(per_call)
                    .cloned()
                    .collect();
                if !tags.is_empty() {
                    entries.push(UserTags {
                        to_account: (*account).to_owned(),
                        tags,
                    });
                }
            }
            if entries.is_empty() {
                break;
            }
            calls.push((
                call,
                TagRequest::Entries {
                    entries,
                    replace: None,
                },
            ));
            round += 1;
        }
    }
    calls
}

/// One account being put back: its tags as read before the undo, as they are after each of
/// its writes so far, and how the first of them that did not go through ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undoing {
    account: String,
    /// What the undo puts back: its tags before the change.
    before: Vec<String>,
    now: Vec<String>,
    after: Vec<String>,
    failure: Option<(AccountOutcome, i64, String)>,
}

impl Undoing {
    /// An account whose tags read now are `now`, to be put back to `before`.
    pub fn new(account: &str, before: &[String], now: &[String]) -> Self {
        Undoing {
            account: account.to_owned(),
            before: before.to_vec(),
            now: now.to_vec(),
            after: now.to_vec(),
            failure: None,
        }
    }

    /// Whether one of its writes did not go through: it is sent no more of them, so that it is
    /// never left with a later write applied over an earlier one that failed.
    pub fn stopped(&self) -> bool {
        self.failure.is_some()
    }

    /// The account, its tags to put back, and its tags now: what [`writes`] takes.
    pub fn target(&self) -> (&str, &[String], &[String]) {
        (&self.account, &self.before, &self.now)
    }

    /// Takes in how one write of the undo ended, for this account if the write named it.
    pub fn heard(&mut self, call: Call, request: &TagRequest, end: WriteEnd<'_>) {
        let TagRequest::Entries { entries, .. } = request else {
            return;
        };
        let key = |account: &str| same_account_key(call.api, account).into_owned();
        let Some(entry) = entries
            .iter()
            .find(|e| key(&e.to_account) == key(&self.account))
        else {
            return;
        };
        match end.of_account(call.api, &self.account) {
            None => {
                self.after = applied(call.operation, false, &entry.tags, Some(&self.after))
                    .unwrap_or_default();
            }
            Some((outcome, code, info)) => {
                self.failure.get_or_insert((outcome, code, info.to_owned()));
            }
        }
    }

    /// The account's line in the undo's answer: done, or why not.
    pub fn result(&self) -> Result<&str, AccountError> {
        match &self.failure {
            None => Ok(&self.account),
            Some((_, code, info)) => Err(AccountError {
                to_account: self.account.clone(),
                code: *code,
                info: info.clone(),
            }),
        }
    }

    /// The account as the undo's change records it.
    pub fn changed(self) -> ChangedAccount {
        let (outcome, code) = match &self.failure {
            None => (AccountOutcome::Done, 0),
            Some((outcome, code, _)) => (*outcome, *code),
        };
        let after = match outcome {
            AccountOutcome::Unknown => None,
            AccountOutcome::Done | AccountOutcome::Failed => Some(self.after),
        };
        ChangedAccount {
            account: self.account,
            outcome,
            code,
            before: Some(self.now),
            after,
        }
    }
}

/// `request` without the accounts that are to be sent no more writes; `None` when none is
/// left to send.
pub fn still_to_send(request: &TagRequest, undoing: &[Undoing], api: TagApi) -> Option<TagRequest> {
    let TagRequest::Entries { entries, replace } = request else {
        return None;
    };
    let key = |account: &str| same_account_key(api, account).into_owned();
    let stopped = |account: &str| {
        undoing
            .iter()
            .any(|u| u.stopped() && key(&u.account) == key(account))
    };
    let left: Vec<UserTags> = entries
        .iter()
        .filter(|entry| !stopped(&entry.to_account))
        .cloned()
        .collect();
    (!left.is_empty()).then_some(TagRequest::Entries {
        entries: left,
        replace: *replace,
    })
}

/// An account an undo left alone, as its answer names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The account.
    #[serde(rename = "To_Account")]
    pub to_account: String,
    /// Why.
    pub reason: &'static str,
}

/// What an undo answers: the change it made (none when it wrote nothing), and every account
/// asked for, once: done, failed or skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UndoAnswer {
    /// The undo's own change, once stored.
    pub change: Option<String>,
    /// The accounts put back.
    pub done: Vec<String>,
    /// The accounts the vendor did not put back, with its reason.
    pub failed: Vec<AccountError>,
    /// The accounts left alone, with why.
    pub skipped: Vec<Skipped>,
}

impl UndoAnswer {
    /// Leaves `account` alone, for `skip`.
    pub fn skip(&mut self, account: &str, skip: Skip) {
        self.skipped.push(Skipped {
            to_account: account.to_owned(),
            reason: skip.reason(),
        });
    }

    /// Sorts the targets by their tags read now (`now`, and `failed`: the accounts the read
    /// could not serve): those still as the change left them are to be put back; the others
    /// are skipped as changed since, or failed when they could not be read.
    pub fn sort_targets(
        &mut self,
        api: TagApi,
        targets: &[&StoredAccount],
        now: &[(String, Vec<String>)],
        failed: &[AccountError],
    ) -> Vec<Undoing> {
        let key = |account: &str| same_account_key(api, account).into_owned();
        let mut undoing = Vec::new();
        for target in targets {
            let (Some(before), Some(after)) = (&target.before, &target.after) else {
                continue;
            };
            let read = now.iter().find(|(a, _)| key(a) == key(&target.account));
            match read {
                Some((_, tags)) if same_tags(tags, after) => {
                    undoing.push(Undoing::new(&target.account, before, tags));
                }
                Some(_) => self.skip(&target.account, Skip::ChangedSince),
                None => {
                    let listed = failed
                        .iter()
                        .find(|f| key(&f.to_account) == key(&target.account));
                    let (code, info) = listed.map_or_else(
                        || (BAD_GATEWAY, "its tags could not be read".into()),
                        |f| (f.code, f.info.clone()),
                    );
                    // Under the change's spelling, which the caller asked with.
                    let to_account = target.account.clone();
                    self.failed.push(AccountError {
                        to_account,
                        code,
                        info,
                    });
                }
            }
        }
        undoing
    }

    /// Takes in what came of an account put back.
    pub fn heard(&mut self, account: &Undoing) {
        match account.result() {
            Ok(done) => self.done.push(done.to_owned()),
            Err(failed) => self.failed.push(failed),
        }
    }

    /// The answer, as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("text and numbers always serialize")
    }
}

#[cfg(test)]
mod tests;
