//! A get and a write: the accounts or changes read and checked, the plan of calls, the calls
//! run, and what comes back (the tags found, or the report of every account).

use std::borrow::Cow;
use std::cell::RefCell;

use js_sys::{Array, Map};
use wasm_bindgen::prelude::*;

use gloo_net::http::Method;
use web_sys::AbortController;

use super::batch::{Link, run_calls};
use super::error::{Failure, tim_error};
use super::http::{Sent, send};
use super::objects::{entry_of, report_of};
use super::options::{Options, Settings, read_options};
use crate::api::answer::Status;
use crate::api::calls::Shape;
use crate::api::calls::{Call, Operation, SESSION_PATH};
use crate::api::json::Json;
use crate::api::request::{UserTags, accounts_body, entries_body};
use crate::client::{
    ClientError, EntryIndex, PlannedCall, Tracker, distinct_accounts, plan_accounts, plan_entries,
    read_changes, read_replace, waves,
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
        call,
        accounts.len(),
        &waves(&plan),
        &|index| accounts_of(accounts, &plan[index]),
        &mut |index, answered| {
            for (account, entry) in answered.entries {
                found.set(&account.as_str().into(), &entry);
            }
            for failed in &answered.failed {
                found.set(
                    &failed.to_account.as_str().into(),
                    &entry_of(&failed.to_account, Some(failed)),
                );
            }
            tracker.answered(&plan[index], accounts, Vec::new())
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

/// An add, a remove or a clear; resolves to its report, or rejects with one.
pub(super) async fn write(
    operation: Operation,
    input: &JsValue,
    options: Option<&Options>,
) -> Result<JsValue, JsValue> {
    let (settings, entries, replace) =
        read_write(operation, input, options).map_err(|f| tim_error(&f, None))?;
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
    let body_of = |index: usize| match shape {
        Shape::Accounts { .. } => accounts_of(&accounts, &plan[index]),
        Shape::Entries { .. } => changes_of(&entries, &plan[index], replace),
    };
    let ran = run_calls(
        &settings,
        call,
        entries.len(),
        &waves(&plan),
        &body_of,
        &mut |index, answered| {
            tracker
                .borrow_mut()
                .answered(&plan[index], &accounts, answered.failed)
        },
    )
    .await;
    let report = tracker.borrow().report(&accounts);
    match ran {
        Ok(()) => Ok(report_of(&report).into()),
        Err(failure) => Err(tim_error(&failure, Some(&report))),
    }
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
pub(super) struct JsIndex(Map);

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

/// `session`: who the caller is, what it may do and the app's generation, as the Worker says.
pub(super) async fn session(options: Option<&Options>) -> Result<JsValue, JsValue> {
    let run = async {
        let settings = read_options(options)?;
        if settings.aborted() {
            return Err(ClientError::Aborted.into());
        }
        let controller =
            AbortController::new().map_err(|_| ClientError::Internal("no AbortController"))?;
        let _link = Link::new(&settings, &controller);
        let url = settings.url(SESSION_PATH);
        let Sent { status, answer, .. } =
            send(&settings, &controller, Method::GET, &url, None).await?;
        let not_the_worker = || Failure::not_the_worker(&url, status);
        if let Some(refused) = Status::read(&answer) {
            return Err(Failure {
                error: ClientError::Answered {
                    code: refused.code,
                    info: refused.info,
                },
                status: Some(status),
                retry_after_s: None,
            });
        }
        let caller = answer.field("caller").and_then(|c| c.string());
        let scopes = answer.field("scopes").and_then(|s| s.items());
        let api = answer.field("api").and_then(|a| a.string());
        match (caller, scopes, api) {
            (Some(_), Some(scopes), Some(_)) if scopes.iter().all(|s| s.string().is_some()) => {
                Ok(answer)
            }
            _ => Err(not_the_worker()),
        }
    };
    run.await.map_err(|f| tim_error(&f, None))
}
