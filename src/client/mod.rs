//! What the browser package decides without a browser: its errors and their codes, the
//! checks of what a caller hands it, how a batch is split into calls, and what a write did,
//! account by account. `src/browser.rs` carries these to and from JavaScript.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use crate::api::answer::AccountError;
use crate::api::calls::{Operation, TagApi};
use crate::api::codes::{
    ABORTED, BAD_GATEWAY, Coded, EDGE_INTERNAL, INVALID_BODY, INVALID_OPTION, TIMEOUT,
};
use crate::api::json::{Json, quoted};
use crate::api::request::{self, Place, Within, same_account_key, tag_count_problem};
use crate::api::retry::TryOutcome;

/// Calls of up to this many accounts.
pub use crate::api::request::MAX_ACCOUNTS as ACCOUNTS_PER_CALL;
/// Calls in flight at once; browsers open about six connections per host.
pub const MAX_IN_FLIGHT: usize = 6;
/// The vendor's rate limit, and so the default pace.
pub const DEFAULT_CALLS_PER_SECOND: f64 = 100.0;
/// How long one call may take unless `timeoutMs` says otherwise.
pub const DEFAULT_CALL_TIMEOUT_MS: f64 = 30_000.0;

/// What the browser functions reject with, as `TimError`'s `code` and `info`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// What the caller handed over is not valid input (90001, as the vendor would say).
    #[error("{0}")]
    InvalidInput(String),
    /// An option has the wrong type or value (80400).
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// A call got no answer within `timeoutMs` (80408).
    #[error("no answer within {timeout_ms} ms")]
    Timeout {
        /// The time allowed, in milliseconds.
        timeout_ms: u64,
    },
    /// The caller aborted (80499).
    #[error("aborted")]
    Aborted,
    /// The Worker could not be reached (80502).
    #[error("{url} could not be reached")]
    Unreachable {
        /// Where the call went.
        url: String,
    },
    /// Something answered, but not as the Worker does (80502).
    #[error("the answer of {url} is not an answer of the Worker (HTTP {status})")]
    NotTheWorker {
        /// Where the call went.
        url: String,
        /// The HTTP status of what answered.
        status: u16,
    },
    /// The Worker or the vendor answered with a failure: its code and text, as they are.
    #[error("{info}")]
    Answered {
        /// `ErrorCode`.
        code: i64,
        /// `ErrorInfo`.
        info: String,
    },
    /// The browser could not do what it needed to (80500).
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl ClientError {
    /// How a try of a call ended, when it ended in this error; `None` when there is nothing
    /// to try again (an abort, bad input, the browser itself failing).
    pub fn try_outcome(&self) -> Option<TryOutcome> {
        match self {
            ClientError::Answered { code, .. } => Some(TryOutcome::Answered(*code)),
            ClientError::Unreachable { .. } => Some(TryOutcome::Unreachable),
            ClientError::NotTheWorker { .. } => Some(TryOutcome::NotAnAnswer),
            ClientError::Timeout { .. } => Some(TryOutcome::TimedOut),
            ClientError::InvalidInput(_)
            | ClientError::InvalidOption(_)
            | ClientError::Aborted
            | ClientError::Internal(_) => None,
        }
    }
}

impl Coded for ClientError {
    fn code(&self) -> i64 {
        match self {
            ClientError::InvalidInput(_) => INVALID_BODY,
            ClientError::InvalidOption(_) => INVALID_OPTION,
            ClientError::Timeout { .. } => TIMEOUT,
            ClientError::Aborted => ABORTED,
            ClientError::Unreachable { .. } | ClientError::NotTheWorker { .. } => BAD_GATEWAY,
            ClientError::Answered { code, .. } => *code,
            ClientError::Internal(_) => EDGE_INTERNAL,
        }
    }
}

/// Where each account's entry is, as a batch is read: the entry an account already has, or
/// `None` after noting that it now has the entry at `next`. Accounts are told apart by
/// [`same_account_key`], so that a RegistrationID named in two cases is one account. The
/// caller keeps the map, so that the browser can use the runtime's own, keyed by the value as
/// it was handed over wherever that value is the key.
pub trait EntryIndex<J> {
    /// The entry of the account `value` holds, whose key is `key`, or `None` once `next` is
    /// noted as its entry. `key` is borrowed only when it is the account just as `value`
    /// holds it; an owned key may be another spelling.
    fn entry_of(&mut self, value: &J, key: Cow<'_, str>, next: usize) -> Option<usize>;
}

impl<J> EntryIndex<J> for HashMap<String, usize> {
    fn entry_of(&mut self, _: &J, key: Cow<'_, str>, next: usize) -> Option<usize> {
        match self.get(key.as_ref()) {
            Some(&at) => Some(at),
            None => {
                self.insert(key.into_owned(), next);
                None
            }
        }
    }
}

/// Reads the `api` option (absent: the legacy generation).
pub fn read_api(option: Option<&impl Json>) -> Result<TagApi, ClientError> {
    match option {
        None => Ok(TagApi::AllMemberPush),
        Some(value) => value
            .string()
            .and_then(|name| name.parse().ok())
            .ok_or_else(|| {
                ClientError::InvalidOption("api must be 'all_member_push' or 'timpush'".into())
            }),
    }
}

/// Reads the `replace` option of `operation` on `api`: `None` when absent; only `addTags`
/// takes it, only on the current generation, and only as a boolean.
pub fn read_replace(
    option: Option<&impl Json>,
    operation: Operation,
    api: TagApi,
) -> Result<Option<bool>, ClientError> {
    let Some(value) = option else {
        return Ok(None);
    };
    let refuse = |why: &str| Err(ClientError::InvalidOption(why.into()));
    match (operation, api, value.boolean()) {
        (Operation::Add, TagApi::Timpush, Some(replace)) => Ok(Some(replace)),
        (Operation::Add, TagApi::Timpush, None) => refuse("replace must be a boolean"),
        (Operation::Add, TagApi::AllMemberPush, _) => {
            refuse("replace is taken by the timpush API only")
        }
        _ => refuse("replace is taken by addTags only"),
    }
}

/// Reads an option that must be a positive, finite number (absent: `default`).
pub fn read_positive(
    option: Option<&impl Json>,
    name: &str,
    default: f64,
) -> Result<f64, ClientError> {
    match option {
        None => Ok(default),
        Some(value) => value
            .number()
            .filter(|n| n.is_finite() && *n > 0.0)
            .ok_or_else(|| ClientError::InvalidOption(format!("{name} must be a positive number"))),
    }
}

/// One account handed over at `place`, checked for `api`.
pub fn read_account(api: TagApi, value: &impl Json, place: &Place) -> Result<String, ClientError> {
    request::read_account(api, value, place).map_err(ClientError::InvalidInput)
}

/// The distinct accounts of a get or a clear, `[account, ...]`, in the order given, every one
/// checked for `api` before anything is sent. An account named again (a RegistrationID in
/// another case too) is dropped: the vendor takes a clear's accounts once each.
pub fn distinct_accounts<J: Json>(
    api: TagApi,
    input: &J,
    index: &mut dyn EntryIndex<J>,
) -> Result<Vec<String>, ClientError> {
    let not_a_list = || ClientError::InvalidInput("accounts must be an array of strings".into());
    let items = input.items().ok_or_else(not_a_list)?;
    let mut distinct = Vec::new();
    for (position, item) in items.iter().enumerate() {
        let account = read_account(api, item, &Place::item("accounts", position))?;
        let key = same_account_key(api, &account);
        if index.entry_of(item, key, distinct.len()).is_none() {
            distinct.push(account);
        }
    }
    Ok(distinct)
}

/// One account of a write and its tags, merged from every entry that named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteEntry {
    /// The account.
    pub account: String,
    /// Its tags, each once, in the order given.
    pub tags: Vec<String>,
}

/// Reads what `addTags` and `removeTags` take, `[{To_Account, Tags}, ...]`: every account and
/// tag checked for `api`, named by its place (`userTags[3].Tags[1]`) when wrong; an account
/// named twice (a RegistrationID in another case too) has its tags joined, under the spelling
/// it was first given. With `replace`, an account may have at most `replace_max_tags` tags in
/// all, since they go in one call.
pub fn read_user_tags<J: Json>(
    api: TagApi,
    input: &J,
    replace_max_tags: Option<usize>,
    index: &mut dyn EntryIndex<J>,
) -> Result<Vec<WriteEntry>, ClientError> {
    let not_a_list = || {
        ClientError::InvalidInput(
            "userTags must be an array of { To_Account, Tags } objects".into(),
        )
    };
    let items = input.items().ok_or_else(not_a_list)?;
    let mut entries: Vec<WriteEntry> = Vec::new();
    // Where each entry's account was first named, to say where a replace breaks the limit.
    let mut places: Vec<usize> = Vec::new();
    for (position, item) in items.iter().enumerate() {
        let (value, account, tags) = read_item(api, item, Place::item("userTags", position))?;
        let at = match index.entry_of(&value, same_account_key(api, &account), entries.len()) {
            Some(at) => at,
            None => {
                entries.push(WriteEntry {
                    account,
                    tags: Vec::new(),
                });
                places.push(position);
                entries.len() - 1
            }
        };
        for tag in tags {
            if !entries[at].tags.contains(&tag) {
                entries[at].tags.push(tag);
            }
        }
    }
    match replace_max_tags {
        Some(max) => each_fits_one_call(&entries, &places, max).map(|()| entries),
        None => Ok(entries),
    }
}

/// One item of `userTags` at `place`: the value that holds its account, the account, and its
/// tags, each checked.
fn read_item<J: Json>(
    api: TagApi,
    item: &J,
    place: Place,
) -> Result<(J, String, Vec<String>), ClientError> {
    let invalid = |what: String| Err(ClientError::InvalidInput(what));
    let (value, account) = match item.field("To_Account") {
        Some(value) => {
            let account = read_account(api, &value, &place.within(Within::Account))?;
            (value, account)
        }
        // Whether it is an object is asked only now: most items are.
        None if !item.is_object() => {
            return invalid(format!("{place} must be an object {{ To_Account, Tags }}"));
        }
        None => return invalid(format!("{place}.To_Account is missing")),
    };
    let Some(tags) = item.field("Tags").and_then(|tags| tags.items()) else {
        return invalid(format!("{place}.Tags must be an array of tags"));
    };
    if tags.is_empty() {
        return invalid(format!("{place}.Tags is empty: give at least one tag"));
    }
    let tags = tags
        .iter()
        .enumerate()
        .map(|(i, tag)| {
            request::read_tag(tag, &place.within(Within::Tag(i))).map_err(ClientError::InvalidInput)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((value, account, tags))
}

/// Refuses an account with more than `max` tags in all, named where it was first given
/// (`places`): with replace, all of an account's tags go in one call.
fn each_fits_one_call(
    entries: &[WriteEntry],
    places: &[usize],
    max: usize,
) -> Result<(), ClientError> {
    for (entry, position) in entries.iter().zip(places) {
        if let Some(problem) = tag_count_problem(entry.tags.len(), max) {
            let place = Place::item("userTags", *position).within(Within::Tags);
            return Err(ClientError::InvalidInput(format!(
                "{place} ({}) {problem}: with replace, all of an account's tags go in one call",
                quoted(&entry.account)
            )));
        }
    }
    Ok(())
}

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
pub fn plan_user_tags(entries: &[WriteEntry], tags_per_call: usize) -> Vec<PlannedCall> {
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

/// What a write did, account by account: each distinct account is in exactly one list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Changed: every call that carried the account succeeded for it.
    pub done: Vec<String>,
    /// Listed by the vendor as failed (`ErrorList`), with its code and reason.
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

    /// Notes the answer to `call`, whose `ErrorList` named `failed` (of `accounts`, the
    /// batch's distinct accounts); returns how many accounts have now had all their calls
    /// answered.
    pub fn answered(
        &mut self,
        call: &PlannedCall,
        accounts: &[String],
        failed: Vec<AccountError>,
    ) -> usize {
        for error in failed {
            let listed = call
                .parts
                .iter()
                .find(|(account, _)| accounts[*account] == error.to_account);
            if let Some((account, _)) = listed {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_error_has_its_code() {
        let cases = [
            (ClientError::InvalidInput("x".into()), 90001),
            (ClientError::InvalidOption("x".into()), 80400),
            (ClientError::Timeout { timeout_ms: 1 }, 80408),
            (ClientError::Aborted, 80499),
            (ClientError::Unreachable { url: "u".into() }, 80502),
            (
                ClientError::NotTheWorker {
                    url: "u".into(),
                    status: 404,
                },
                80502,
            ),
            (
                ClientError::Answered {
                    code: 70009,
                    info: "x".into(),
                },
                70009,
            ),
            (ClientError::Internal("x"), 80500),
        ];
        for (error, code) in cases {
            assert_eq!(error.code(), code, "{error}");
        }
        let answered = ClientError::Answered {
            code: 80401,
            info: "missing or invalid credentials".into(),
        };
        assert_eq!(answered.to_string(), "missing or invalid credentials");
    }

    #[test]
    fn what_went_wrong_is_an_outcome_for_the_retry_policy() {
        let outcome = |error: ClientError| error.try_outcome();
        assert_eq!(
            outcome(ClientError::Answered {
                code: 80502,
                info: String::new()
            }),
            Some(TryOutcome::Answered(80502))
        );
        assert_eq!(
            outcome(ClientError::Unreachable { url: String::new() }),
            Some(TryOutcome::Unreachable)
        );
        assert_eq!(
            outcome(ClientError::NotTheWorker {
                url: String::new(),
                status: 500
            }),
            Some(TryOutcome::NotAnAnswer)
        );
        assert_eq!(
            outcome(ClientError::Timeout { timeout_ms: 1 }),
            Some(TryOutcome::TimedOut)
        );
        assert_eq!(outcome(ClientError::Aborted), None);
    }

    #[test]
    fn options_are_read_strictly() {
        let none: Option<&serde_json::Value> = None;
        assert_eq!(read_api(none), Ok(TagApi::AllMemberPush));
        assert_eq!(read_api(Some(&json!("timpush"))), Ok(TagApi::Timpush));
        for wrong in [json!("v4"), json!(1)] {
            assert_eq!(read_api(Some(&wrong)).unwrap_err().code(), 80400);
        }
        assert_eq!(read_positive(none, "timeoutMs", 5.0), Ok(5.0));
        assert_eq!(read_positive(Some(&json!(2.5)), "timeoutMs", 5.0), Ok(2.5));
        for wrong in [json!("5"), json!(0), json!(-1), json!(null)] {
            assert_eq!(
                read_positive(Some(&wrong), "timeoutMs", 5.0),
                Err(ClientError::InvalidOption(
                    "timeoutMs must be a positive number".into()
                ))
            );
        }
    }

    #[test]
    fn replace_is_for_add_tags_on_the_current_generation_only() {
        let none: Option<&serde_json::Value> = None;
        assert_eq!(
            read_replace(none, Operation::Remove, TagApi::AllMemberPush),
            Ok(None)
        );
        let yes = json!(true);
        assert_eq!(
            read_replace(Some(&yes), Operation::Add, TagApi::Timpush),
            Ok(Some(true))
        );
        let refused = |value: serde_json::Value, operation, api| {
            read_replace(Some(&value), operation, api)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            refused(json!(1), Operation::Add, TagApi::Timpush),
            "invalid option: replace must be a boolean"
        );
        assert_eq!(
            refused(json!(true), Operation::Add, TagApi::AllMemberPush),
            "invalid option: replace is taken by the timpush API only"
        );
        assert_eq!(
            refused(json!(false), Operation::Remove, TagApi::Timpush),
            "invalid option: replace is taken by addTags only"
        );
    }

    #[test]
    fn accounts_are_named_by_their_place_in_the_input() {
        let device = "379C2F0D-290D-47AE-94D1-919058C39C77";
        assert_eq!(
            read_account(TagApi::Timpush, &json!(device), &Place::item("accounts", 0)),
            Ok(device.into())
        );
        let legacy = read_account(
            TagApi::AllMemberPush,
            &json!(device),
            &Place::item("accounts", 4),
        )
        .unwrap_err();
        assert!(
            legacy.to_string().starts_with("accounts[4] (\"379C"),
            "{legacy}"
        );
        assert!(
            legacy.to_string().contains("only the timpush calls take"),
            "{legacy}"
        );
        assert_eq!(
            read_account(
                TagApi::AllMemberPush,
                &json!(7),
                &Place::item("accounts", 1)
            ),
            Err(ClientError::InvalidInput(
                "accounts[1] is not a string".into()
            ))
        );
        assert_eq!(
            read_account(
                TagApi::AllMemberPush,
                &json!(""),
                &Place::item("accounts", 2)
            ),
            Err(ClientError::InvalidInput("accounts[2] is empty".into()))
        );
    }

    fn entries(list: &[(&str, usize)]) -> Vec<WriteEntry> {
        list.iter()
            .map(|(account, tags)| WriteEntry {
                account: (*account).into(),
                tags: (0..*tags).map(|i| format!("t{i}")).collect(),
            })
            .collect()
    }

    #[test]
    fn write_input_is_merged_per_account_and_checked_by_place() {
        let input = json!([
            { "To_Account": "alice", "Tags": ["vip", "cn"] },
            { "To_Account": "bob", "Tags": ["x"] },
            { "To_Account": "alice", "Tags": ["cn", "new"] },
        ]);
        let read =
            read_user_tags(TagApi::AllMemberPush, &input, None, &mut HashMap::new()).unwrap();
        assert_eq!(
            read,
            [
                WriteEntry {
                    account: "alice".into(),
                    tags: vec!["vip".into(), "cn".into(), "new".into()]
                },
                WriteEntry {
                    account: "bob".into(),
                    tags: vec!["x".into()]
                },
            ]
        );
        let refused = |input: serde_json::Value| {
            read_user_tags(TagApi::AllMemberPush, &input, None, &mut HashMap::new())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            refused(json!("alice")),
            "userTags must be an array of { To_Account, Tags } objects"
        );
        assert_eq!(
            refused(json!([{ "To_Account": "a", "Tags": [] }])),
            "userTags[0].Tags is empty: give at least one tag"
        );
        assert_eq!(
            refused(json!([{ "To_Account": "a" }])),
            "userTags[0].Tags must be an array of tags"
        );
        assert_eq!(
            refused(json!([{ "Tags": ["x"] }])),
            "userTags[0].To_Account is missing"
        );
        assert_eq!(
            refused(
                json!([{ "To_Account": "a", "Tags": ["ok"] }, { "To_Account": "", "Tags": ["x"] }])
            ),
            "userTags[1].To_Account is empty"
        );
        assert_eq!(
            refused(json!([{ "To_Account": "a", "Tags": ["ok", "t".repeat(51)] }])),
            format!(
                "userTags[0].Tags[1] (\"{}…\") is 51 bytes long; a tag is at most 50 bytes",
                "t".repeat(40)
            )
        );
        assert_eq!(
            refused(json!([{ "To_Account": "a", "Tags": [7] }])),
            "userTags[0].Tags[0] is not a string"
        );
    }

    #[test]
    fn a_registration_id_in_two_cases_is_one_write_entry_under_its_first_spelling() {
        let upper = "379C2F0D-290D-47AE-94D1-919058C39C77";
        let lower = upper.to_lowercase();
        let input = json!([
            { "To_Account": upper, "Tags": ["a"] },
            { "To_Account": "Alice", "Tags": ["x"] },
            { "To_Account": lower, "Tags": ["a", "b"] },
            { "To_Account": "alice", "Tags": ["y"] },
        ]);
        let read = read_user_tags(TagApi::Timpush, &input, None, &mut HashMap::new()).unwrap();
        let accounts: Vec<&str> = read.iter().map(|e| e.account.as_str()).collect();
        // UserIDs keep their case: Alice and alice are two accounts.
        assert_eq!(accounts, [upper, "Alice", "alice"]);
        assert_eq!(read[0].tags, ["a", "b"]);
        // With replace, the merged entry is counted as one, named where first given.
        let many = |suffix: &str| (0..60).map(|i| format!("t{i}{suffix}")).collect::<Vec<_>>();
        let input = json!([
            { "To_Account": lower, "Tags": many("") },
            { "To_Account": upper, "Tags": many("x") },
        ]);
        let error =
            read_user_tags(TagApi::Timpush, &input, Some(100), &mut HashMap::new()).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with(&format!("userTags[0].Tags (\"{lower}\") has 120 tags")),
            "{error}"
        );
    }

    #[test]
    fn a_get_or_a_clear_names_each_account_once_and_a_registration_id_in_any_case() {
        let upper = "379C2F0D-290D-47AE-94D1-919058C39C77";
        let mixed = "379c2f0d-290D-47ae-94d1-919058C39C77";
        let input = json!(["bob", mixed, "Bob", upper, "bob"]);
        assert_eq!(
            distinct_accounts(TagApi::Timpush, &input, &mut HashMap::new()),
            Ok(vec!["bob".into(), mixed.into(), "Bob".into()])
        );
        assert_eq!(
            distinct_accounts(
                TagApi::AllMemberPush,
                &json!(["bob", "Bob", "bob"]),
                &mut HashMap::new()
            ),
            Ok(vec!["bob".into(), "Bob".into()])
        );
        let refused = |input: serde_json::Value| {
            distinct_accounts(TagApi::Timpush, &input, &mut HashMap::new())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            refused(json!("bob")),
            "accounts must be an array of strings"
        );
        assert_eq!(refused(json!(["bob", 7])), "accounts[1] is not a string");
        // Every account is checked, a repeated one too.
        assert_eq!(refused(json!(["bob", "bob", ""])), "accounts[2] is empty");
    }

    #[test]
    fn with_replace_all_of_an_account_s_tags_fit_one_call() {
        let tags: Vec<String> = (0..60).map(|i| format!("t{i}")).collect();
        let input = json!([{ "To_Account": "a", "Tags": tags }, { "To_Account": "a", "Tags": tags.iter().map(|t| format!("{t}x")).collect::<Vec<_>>() }]);
        assert!(read_user_tags(TagApi::Timpush, &input, None, &mut HashMap::new()).is_ok());
        let error =
            read_user_tags(TagApi::Timpush, &input, Some(100), &mut HashMap::new()).unwrap_err();
        assert_eq!(error.code(), 90001);
        assert!(
            error
                .to_string()
                .starts_with("userTags[0].Tags (\"a\") has 120 tags; at most 100"),
            "{error}"
        );
    }

    #[test]
    fn accounts_go_100_a_call() {
        let plan = plan_accounts(250);
        assert_eq!(
            plan.iter().map(|c| c.parts.len()).collect::<Vec<_>>(),
            [100, 100, 50]
        );
        assert_eq!(plan[2].parts[0], (200, 0..0));
        assert!(plan_accounts(0).is_empty());
    }

    #[test]
    fn tags_are_split_into_runs_and_each_run_goes_100_accounts_a_call() {
        let mut list: Vec<(String, usize)> = (0..250).map(|i| (format!("u{i}"), 3)).collect();
        list[7].1 = 25;
        let names: Vec<(&str, usize)> = list.iter().map(|(a, n)| (a.as_str(), *n)).collect();
        let entries = entries(&names);
        let plan = plan_user_tags(&entries, 10);
        // The first runs of all 250 accounts, then u7's second and third runs.
        assert_eq!(
            plan.iter().map(|c| c.parts.len()).collect::<Vec<_>>(),
            [100, 100, 50, 1, 1]
        );
        assert_eq!(plan[0].parts[7], (7, 0..10));
        assert_eq!(plan[0].parts[8], (8, 0..3));
        assert_eq!(plan[3].parts, [(7, 10..20)]);
        assert_eq!(plan[4].parts, [(7, 20..25)]);
        // Every tag of every account is carried exactly once.
        let carried: usize = plan
            .iter()
            .flat_map(|c| &c.parts)
            .map(|(_, r)| r.len())
            .sum();
        assert_eq!(carried, 249 * 3 + 25);
        assert_eq!(plan_user_tags(&entries, 100).len(), 3);
        // u7's runs go one after the other, each once the one before is answered.
        assert_eq!(waves(&plan), [0..3, 3..4, 4..5]);
        assert_eq!(waves(&plan_accounts(250)), vec![Range { start: 0, end: 3 }]);
        assert!(waves(&[]).is_empty());
    }

    #[test]
    fn every_account_is_done_failed_or_not_done_exactly_once() {
        let entries = entries(&[("a", 15), ("b", 3), ("mary", 3), ("c", 3)]);
        let accounts: Vec<String> = entries.iter().map(|e| e.account.clone()).collect();
        let plan = plan_user_tags(&entries, 10);
        assert_eq!(plan.len(), 2);
        let mut tracker = Tracker::new(accounts.len(), &plan);
        let mary = AccountError {
            to_account: "mary".into(),
            code: 70107,
            info: "account does not exist".into(),
        };
        // The first call is answered, mary failing; a's second call never is.
        assert_eq!(tracker.answered(&plan[0], &accounts, vec![mary.clone()]), 3);
        let report = tracker.report(&accounts);
        assert_eq!(
            report,
            WriteReport {
                done: vec!["b".into(), "c".into()],
                failed: vec![mary.clone()],
                not_done: vec!["a".into()]
            }
        );
        assert_eq!(tracker.answered(&plan[1], &accounts, vec![]), 1);
        let report = tracker.report(&accounts);
        assert_eq!(report.done, ["a", "b", "c"]);
        assert!(report.not_done.is_empty());
        // An ErrorList entry for an account the call did not carry is ignored.
        let mut other = Tracker::new(accounts.len(), &plan);
        other.answered(&plan[1], &accounts, vec![mary]);
        assert_eq!(other.report(&accounts).not_done, ["a", "b", "mary", "c"]);
    }
}
