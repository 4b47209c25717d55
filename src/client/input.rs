//! What a caller hands the package: its options, and its accounts or changes, every value
//! checked by the one validator of [`crate::api::request`] before anything is sent.

use std::borrow::Cow;
use std::collections::HashMap;

use super::{ClientError, OptionError, OptionProblem};
use crate::api::account::{same_account_key, tag_count_problem};
use crate::api::calls::{Call, Operation, TagApi};
use crate::api::invalid::{Holds, Invalid, Place, Within};
use crate::api::json::{Json, quoted_within};
use crate::api::named::Named;
use crate::api::request::{UserTags, read_account, read_entry};

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
            .and_then(|name| TagApi::named(&name).ok())
            .ok_or(ClientError::InvalidOption(OptionError::new(
                "api",
                OptionProblem::NotAGeneration,
            ))),
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
    let refuse = |problem| {
        Err(ClientError::InvalidOption(OptionError::new(
            "replace", problem,
        )))
    };
    match (operation, api, value.boolean()) {
        (Operation::Add, TagApi::Timpush, Some(replace)) => Ok(Some(replace)),
        (Operation::Add, TagApi::Timpush, None) => refuse(OptionProblem::NotABoolean),
        (Operation::Add, TagApi::AllMemberPush, _) => refuse(OptionProblem::OnLegacy),
        (Operation::Get | Operation::Remove | Operation::Clear, _, _) => {
            refuse(OptionProblem::NotTaken)
        }
    }
}

/// Reads an option that must be a positive, finite number (absent: `default`).
pub fn read_positive(
    option: Option<&impl Json>,
    name: &'static str,
    default: f64,
) -> Result<f64, ClientError> {
    match option {
        None => Ok(default),
        Some(value) => {
            value
                .number()
                .filter(|n| n.is_finite() && *n > 0.0)
                .ok_or(ClientError::InvalidOption(OptionError::new(
                    name,
                    OptionProblem::NotPositive,
                )))
        }
    }
}

/// The options the functions take (`replace`: `addTags` only, which is checked apart).
const OPTION_NAMES: [&str; 8] = [
    "endpoint",
    "token",
    "api",
    "signal",
    "timeoutMs",
    "maxCallsPerSecond",
    "onProgress",
    "replace",
];

/// Refuses an option that no function takes, so that a misspelt one (`tokn`) is not
/// silently left out.
pub fn known_options<J: Json>(options: &J) -> Result<(), ClientError> {
    for key in options.keys() {
        if !OPTION_NAMES.contains(&key.as_str()) {
            return Err(ClientError::UnknownOption(quoted_within(&key, 40, 160)));
        }
    }
    Ok(())
}

/// The accounts a write's input names, each once as spelt, whatever else is wrong with it:
/// what a write refused before anything was sent reports as not done.
pub fn named_accounts<J: Json>(input: &J) -> Vec<String> {
    let mut named: Vec<String> = Vec::new();
    for item in input.items().unwrap_or_default() {
        let account = item
            .string()
            .or_else(|| item.field("To_Account").and_then(|a| a.string()));
        if let Some(account) = account.filter(|a| !named.contains(a)) {
            named.push(account);
        }
    }
    named
}

/// The distinct accounts of a get or a clear, `[account, ...]`, in the order given, every one
/// checked for `api` before anything is sent. An account named again (a RegistrationID in
/// another case too) is dropped: the vendor takes a clear's accounts once each.
pub fn distinct_accounts<J: Json>(
    api: TagApi,
    input: &J,
    index: &mut dyn EntryIndex<J>,
) -> Result<Vec<String>, ClientError> {
    let items = items_of(input, "accounts", Holds::Accounts)?;
    let mut distinct = Vec::new();
    for (position, item) in items.iter().enumerate() {
        let account = read_account(api, item, Place::item("accounts", position))?;
        let key = same_account_key(api, &account);
        if index.entry_of(item, key, distinct.len()).is_none() {
            distinct.push(account);
        }
    }
    Ok(distinct)
}

/// Reads what `addTags` and `removeTags` take, `[{To_Account, Tags}, ...]`: each entry checked
/// as a body's entry is for `call`, named by its place (`userTags[3].Tags[1]`) when wrong; an
/// account named twice (a RegistrationID in another case too) has its tags joined, under the
/// spelling it was first given. With `replace`, an account may have at most
/// `replace_max_tags` tags in all, since they go in one call.
pub fn read_changes<J: Json>(
    call: Call,
    input: &J,
    replace_max_tags: Option<usize>,
    index: &mut dyn EntryIndex<J>,
) -> Result<Vec<UserTags>, ClientError> {
    let items = items_of(input, "userTags", Holds::Entries)?;
    let mut entries: Vec<UserTags> = Vec::new();
    // Where each entry's account was first named, to say where a replace breaks the limit.
    let mut places: Vec<usize> = Vec::new();
    for (position, item) in items.iter().enumerate() {
        let (value, entry) = read_entry(call, item, Place::item("userTags", position), None)?;
        let key = same_account_key(call.api, &entry.to_account);
        match index.entry_of(&value, key, entries.len()) {
            Some(at) => join_tags(&mut entries[at], entry.tags),
            None => {
                let UserTags { to_account, tags } = entry;
                let mut merged = UserTags {
                    to_account,
                    tags: Vec::new(),
                };
                join_tags(&mut merged, tags);
                entries.push(merged);
                places.push(position);
            }
        }
    }
    match replace_max_tags {
        Some(max) => Ok(each_fits_one_call(&entries, &places, max).map(|()| entries)?),
        None => Ok(entries),
    }
}

/// The items of the list a caller handed over as `list`.
fn items_of<J: Json>(input: &J, list: &'static str, holds: Holds) -> Result<Vec<J>, Invalid> {
    input.items().ok_or(Invalid::NotAList { list, holds })
}

/// Adds the tags an entry does not hold yet, in the order given.
fn join_tags(entry: &mut UserTags, tags: Vec<String>) {
    for tag in tags {
        if !entry.tags.contains(&tag) {
            entry.tags.push(tag);
        }
    }
}

/// Refuses an account with more than `max` tags in all, named where it was first given
/// (`places`): with replace, all of an account's tags go in one call.
fn each_fits_one_call(entries: &[UserTags], places: &[usize], max: usize) -> Result<(), Invalid> {
    for (entry, position) in entries.iter().zip(places) {
        if let Some(problem) = tag_count_problem(entry.tags.len(), max) {
            return Err(Invalid::TooManyToReplace {
                place: Place::item("userTags", *position).within(Within::Tags),
                account: entry.to_account.clone(),
                problem,
            });
        }
    }
    Ok(())
}
