//! The browser face: `getTags`, `addTags`, `removeTags`, `clearTags`, `session`, `history`,
//! `change` and `undo` for JavaScript, calling the edge Worker with gloo-net. It never holds
//! the app's secret key: the Worker signs. What it decides without a browser (checks, errors,
//! how a batch is split into calls, what a write or an undo did, the history's queries, the
//! retry policy, reading answers) lives in [`crate::client`], [`crate::api::retry`] and
//! [`crate::api::answer`]; here each concern has its file: the TypeScript declarations
//! (`types`), the options (`options`), a get, a write and a read (`operations`), the history
//! and its undo (`history`), the calls of a batch (`batch`), one request (`http`), the
//! objects handed back (`objects`) and `TimError` (`error`).

mod batch;
mod error;
mod history;
mod http;
mod objects;
mod operations;
mod options;
mod types;

use std::pin::Pin;

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use crate::api::calls::{Operation, SESSION_PATH};
use crate::client::{ClientError, change_path, history_path, read_id};
pub use error::TimError;
pub use options::Options;

/// Reads the push tags of any number of accounts (see the TypeScript docs).
#[wasm_bindgen(js_name = getTags, skip_typescript)]
pub fn get_tags(accounts: JsValue, options: Option<Options>) -> Promise {
    promise(async move { operations::get(&accounts, options.as_ref()).await })
}

/// Adds tags to any number of accounts (see the TypeScript docs).
#[wasm_bindgen(js_name = addTags, skip_typescript)]
pub fn add_tags(user_tags: JsValue, options: Option<Options>) -> Promise {
    write_promise(Operation::Add, user_tags, options)
}

/// Removes tags from any number of accounts (see the TypeScript docs).
#[wasm_bindgen(js_name = removeTags, skip_typescript)]
pub fn remove_tags(user_tags: JsValue, options: Option<Options>) -> Promise {
    write_promise(Operation::Remove, user_tags, options)
}

/// Removes all the tags of any number of accounts (see the TypeScript docs).
#[wasm_bindgen(js_name = clearTags, skip_typescript)]
pub fn clear_tags(accounts: JsValue, options: Option<Options>) -> Promise {
    write_promise(Operation::Clear, accounts, options)
}

/// The promise of a read of one of the Worker's own routes: the options and the path checked
/// before anything is sent, then the answer when `is_answer` says it is one, or the refusal.
fn read(
    options: Option<Options>,
    path: Result<String, ClientError>,
    is_answer: fn(&JsValue) -> bool,
) -> Promise {
    promise(async move { operations::read(options.as_ref(), path, is_answer).await })
}

/// The promise of a write.
fn write_promise(operation: Operation, input: JsValue, options: Option<Options>) -> Promise {
    promise(async move { operations::write(operation, &input, options.as_ref()).await })
}

/// The promise an exported function returns. Every function's future is boxed into one type,
/// so that the package carries one future-to-promise bridge rather than one per function (an
/// `async` export carries its own): 0.7 KB gzipped less.
fn promise(future: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    let future: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>> = Box::pin(future);
    wasm_bindgen_futures::future_to_promise(future)
}

/// Who the caller is, what it may do, and the app's generation (see the TypeScript docs).
#[wasm_bindgen(skip_typescript)]
pub fn session(options: Option<Options>) -> Promise {
    read(options, Ok(SESSION_PATH.into()), operations::is_session)
}

/// A page of the changes the Worker keeps, newest first (see the TypeScript docs).
#[wasm_bindgen(skip_typescript)]
pub fn history(query: JsValue, options: Option<Options>) -> Promise {
    let given = Some(&query).filter(|query| !query.is_undefined() && !query.is_null());
    read(options, history_path(given), history::is_page)
}

/// One change with its accounts (see the TypeScript docs).
#[wasm_bindgen(skip_typescript)]
pub fn change(id: JsValue, options: Option<Options>) -> Promise {
    read(
        options,
        read_id(&id).map(|id| change_path(&id)),
        history::is_change,
    )
}

/// Undoes a change, or every change of a batch (see the TypeScript docs).
#[wasm_bindgen(skip_typescript)]
pub fn undo(target: JsValue, options: Option<Options>) -> Promise {
    promise(async move { history::undo(&target, options.as_ref()).await })
}
