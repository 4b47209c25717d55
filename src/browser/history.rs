//! `history`, `change` and `undo`: the changes the Worker keeps, read, and undone as a batch
//! of their own.

use std::cell::RefCell;

use js_sys::Map;
use wasm_bindgen::prelude::*;

use super::batch::{Answers, CallAnswer, run_calls};
use super::error::{Failure, tim_error};
use super::http::get_json;
use super::objects::{add_skipped, report_of};
use super::operations::{JsIndex, new_batch_id};
use super::options::{Options, Settings, read_options};
use crate::client::{Undo, UndoTarget, WriteReport, read_change, read_page, undo_request};

/// Whether an answer is a page of the history.
pub(super) fn is_page(answer: &JsValue) -> bool {
    read_page(answer).is_some()
}

/// Whether an answer is one change with its accounts.
pub(super) fn is_change(answer: &JsValue) -> bool {
    read_change(answer).is_some()
}

/// `undo`: the target's changes gathered, then undone, every call carrying one batch id;
/// resolves to the report with `skipped`, or rejects with it.
pub(super) async fn undo(target: &JsValue, options: Option<&Options>) -> Result<JsValue, JsValue> {
    let batch = new_batch_id();
    let read = || -> Result<_, Failure> { Ok((read_options(options)?, UndoTarget::read(target)?)) };
    // Refused before anything is sent: nothing is known of its accounts yet, and none changed.
    let (mut settings, target) = read().map_err(|f| {
        let empty = report_of(&WriteReport::default(), &batch);
        add_skipped(&empty, &[]);
        tim_error(&f, Some(&empty))
    })?;
    let undo = RefCell::new(Undo::new(target));
    let ran = run_undo(&mut settings, &batch, &undo).await;
    settle(&undo.borrow(), &batch, ran)
}

/// What an undo comes to: its report with `skipped`, resolved, or in the `TimError`.
fn settle(undo: &Undo, batch: &str, ran: Result<(), Failure>) -> Result<JsValue, JsValue> {
    let undone = undo.report();
    let report = report_of(&undone.report, batch);
    add_skipped(&report, &undone.skipped);
    match ran {
        Ok(()) => Ok(report.into()),
        Err(failure) => Err(tim_error(&failure, Some(&report))),
    }
}

/// Gathers the undo's changes, newest first, each with its accounts, one read at a time; then
/// undoes them in calls of up to 100 accounts, each carrying `batch`.
async fn run_undo(
    settings: &mut Settings,
    batch: &str,
    undo: &RefCell<Undo>,
) -> Result<(), Failure> {
    let mut index = JsIndex(Map::new());
    loop {
        let Some(path) = undo.borrow_mut().next_read() else {
            break;
        };
        // `is_either` has checked that the answer is one that `take` takes.
        let answer = get_json(settings, &path, is_either).await?;
        undo.borrow_mut().take(&answer, &mut index);
    }
    let (calls, waves) = undo.borrow_mut().plan();
    let total = undo.borrow().accounts.len();
    settings.batch = Some(batch.into());
    let request_of = |at: usize| {
        let undo = undo.borrow();
        let accounts = calls[at].accounts.iter();
        undo_request(
            &calls[at].change,
            accounts.map(|a| undo.accounts[*a].as_str()),
        )
    };
    let on_answer = &mut |at: usize, answered: CallAnswer| {
        undo.borrow_mut().answered(&calls[at], &answered.outcomes)
    };
    run_calls(
        settings,
        Answers::Undo,
        total,
        &waves,
        &request_of,
        on_answer,
    )
    .await
}

/// Whether an answer is a page of the history or one change with its accounts.
fn is_either(answer: &JsValue) -> bool {
    is_page(answer) || is_change(answer)
}
