//! A get and a write: the accounts or changes read and checked, the plan of calls, the calls
//! run, and what comes back (the tags found, or the report of every account); and a read of
//! one of the Worker's own routes (`session`, `history`, `change`).

use std::borrow::Cow;
use std::cell::RefCell;

use js_sys::{Array, Map};
use wasm_bindgen::prelude::*;

use super::batch::{Answers, run_calls};
use super::error::{Failure, tim_error};
use super::http::get_json;
use super::objects::{entry_of, report_of};
use super::options::{Options, Settings, read_options};
use crate::api::calls::Shape;
use crate::api::calls::{Call, Operation};
use crate::api::json::Json;
use crate::api::request::{UserTags, accounts_body, entries_body};
use crate::client::{
    ClientError, EntryIndex, Outcomes, PlannedCall, Tracker, WriteReport, batch_id,
    distinct_accounts, named_accounts, plan_accounts, plan_entries, read_changes, read_replace,
    waves,
};

/// `getTags`: the accounts read and checked, then got, each distinct account once; one entry
/// per account, in order.
pub(super) async fn get(accounts: &JsValue, options: Option<&Options>) -> Result<JsValue, JsValue> {
    let run = async {
        let settings = read_options(options)?;
        let accounts = distinct_accounts(settings.api, accounts, &mut JsIndex(Map::new()))?;
        get_distinct(&settings, &accounts).await
    };
    run.await
        .map(JsValue::from)
        .map_err(|f| tim_error(&f, None))
}

/// A get of `accounts`, each distinct; one entry per account, in order.
async fn get_distinct(settings: &Settings, accounts: &[String]) -> Result<Array, Failure> {
    let call = Call {
        operation: Operation::Get,
        api: settings.api,
    };
    let plan = plan_accounts(accounts.len());
    let found = Map::new();
    let mut tracker = Tracker::new(accounts.len(), &plan);
    run_calls(
        settings,
        Answers::Vendor(call.row().answer),
        accounts.len(),
        &waves(&plan),
        &|index| (call.path().into(), accounts_of(accounts, &plan[index])),
        &mut |index, answered| {
            for (account, entry) in answered.entries {
                found.set(&account.as_str().into(), &entry);
            }
            for failed in &answered.outcomes.failed {
                found.set(
                    &failed.to_account.as_str().into(),
                    &entry_of(&failed.to_account, Some(failed)),
                );
            }
            tracker.answered(&plan[index], accounts, &Outcomes::default())
        },
    )
    .await?;
    Ok(accounts
        .iter()
        .map(|account| {
            let entry = found.get(&account.as_str().into());
            if entry.is_undefined() {
                entry_of(account, None)
            } else {
                entry
            }
        })
        .collect())
}

/// An add, a remove or a clear, every call carrying one batch id; resolves to its report, or
/// rejects with one.
pub(super) async fn write(
    operation: Operation,
    input: &JsValue,
    options: Option<&Options>,
) -> Result<JsValue, JsValue> {
    let batch = new_batch_id();
    // Refused before anything is sent: every account the input names is not done.
    let (mut settings, entries, replace) = read_write(operation, input, options).map_err(|f| {
        let untouched = WriteReport {
            not_done: named_accounts(input),
            ..WriteReport::default()
        };
        tim_error(&f, Some(&report_of(&untouched, &batch)))
    })?;
    settings.batch = Some(batch.clone());
    let call = Call {
        operation,
        api: settings.api,
    };
    let shape = call.row().body;
    let plan = match shape {
        Shape::Accounts { .. } => plan_accounts(entries.len()),
        Shape::Entries { .. } => plan_entries(
            &entries,
            call.row().max_tags(replace == Some(true)).unwrap_or(1),
        ),
    };
    let accounts: Vec<String> = entries.iter().map(|e| e.to_account.clone()).collect();
    let tracker = RefCell::new(Tracker::new(entries.len(), &plan));
    let request_of = |index: usize| {
        let body = match shape {
            Shape::Accounts { .. } => accounts_of(&accounts, &plan[index]),
            Shape::Entries { .. } => changes_of(&entries, &plan[index], replace),
        };
        (call.path().into(), body)
    };
    let ran = run_calls(
        &settings,
        Answers::Vendor(call.row().answer),
        entries.len(),
        &waves(&plan),
        &request_of,
        &mut |index, answered| {
            tracker
                .borrow_mut()
                .answered(&plan[index], &accounts, &answered.outcomes)
        },
    )
    .await;
    let report = report_of(&tracker.borrow().report(&accounts), &batch);
    match ran {
        Ok(()) => Ok(report.into()),
        Err(failure) => Err(tim_error(&failure, Some(&report))),
    }
}

/// A write's batch id, drawn from the runtime's `Math.random`: it needs to be unique among
/// the app's batches, not secret, and the package carries no other random source.
pub(super) fn new_batch_id() -> String {
    batch_id(&mut js_sys::Math::random)
}

/// A write's options and input, checked: its settings, each distinct account with the tags
/// it is to get or lose (none for a clear), and `replace`.
fn read_write(
    operation: Operation,
    input: &JsValue,
    options: Option<&Options>,
) -> Result<(Settings, Vec<UserTags>, Option<bool>), Failure> {
    let settings = read_options(options)?;
    let option = options
        .map(Options::replace)
        .filter(|v| !v.is_undefined() && !v.is_null());
    let replace = read_replace(option.as_ref(), operation, settings.api)?;
    let call = Call {
        operation,
        api: settings.api,
    };
    // The call table's body shape decides what the write takes: accounts, or their tags.
    let entries = match call.row().body {
        Shape::Accounts { .. } => distinct_accounts(settings.api, input, &mut JsIndex(Map::new()))?
            .into_iter()
            .map(|to_account| UserTags {
                to_account,
                tags: Vec::new(),
            })
            .collect(),
        Shape::Entries { .. } => {
            let replace_max = (replace == Some(true))
                .then(|| call.row().max_tags(true))
                .flatten();
            read_changes(call, input, replace_max, &mut JsIndex(Map::new()))?
        }
    };
    Ok((settings, entries, replace))
}

/// Each account's entry, in the runtime's own `Map`.
pub(super) struct JsIndex(pub(super) Map);

impl EntryIndex<JsValue> for JsIndex {
    fn entry_of(&mut self, value: &JsValue, key: Cow<'_, str>, next: usize) -> Option<usize> {
        // A key borrowed from the account is the string `value` already is: no new one is made.
        let owned;
        let key = match key {
            Cow::Borrowed(_) => value,
            Cow::Owned(spelling) => {
                owned = JsValue::from(spelling);
                &owned
            }
        };
        match self.0.get(key).as_f64() {
            Some(at) => Some(at as usize),
            None => {
                self.0.set(key, &(next as f64).into());
                None
            }
        }
    }
}

/// The body of a get or a clear for the accounts of a planned call.
pub(super) fn accounts_of(accounts: &[String], planned: &PlannedCall) -> String {
    accounts_body(planned.parts.iter().map(|(a, _)| accounts[*a].as_str()))
}

/// The body of an add or a remove for the accounts and tags of a planned call.
pub(super) fn changes_of(
    entries: &[UserTags],
    planned: &PlannedCall,
    replace: Option<bool>,
) -> String {
    let parts = planned.parts.iter().map(|(index, tags)| {
        let entry = &entries[*index];
        (entry.to_account.as_str(), &entry.tags[tags.clone()])
    });
    entries_body(parts, replace)
}

/// A read of one of the Worker's own routes, `session`, `history` or `change`: the options and
/// the path checked, then its answer when `is_answer` says it is one, or the refusal.
pub(super) async fn read(
    options: Option<&Options>,
    path: Result<String, ClientError>,
    is_answer: fn(&JsValue) -> bool,
) -> Result<JsValue, JsValue> {
    let run = async {
        let settings = read_options(options)?;
        get_json(&settings, &path?, is_answer).await
    };
    run.await.map_err(|f| tim_error(&f, None))
}

/// Whether an answer is who the caller is, what it may do and the app's generation.
pub(super) fn is_session(answer: &JsValue) -> bool {
    let caller = answer.field("caller").and_then(|c| c.string());
    let scopes = answer.field("scopes").and_then(|s| s.items());
    let api = answer.field("api").and_then(|a| a.string());
    match (caller, scopes, api) {
        (Some(_), Some(scopes), Some(_)) => scopes.iter().all(|s| s.string().is_some()),
        _ => false,
    }
}
