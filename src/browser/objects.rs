//! The plain JavaScript objects the functions hand back: an account's entry, a failed
//! account, a write's report, an undo's skipped accounts.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::api::answer::AccountError;
use crate::client::{Skipped, WriteReport};

/// `{ To_Account, Tags: [] }`, with `ErrorCode` and `ErrorInfo` for an account the vendor failed.
pub(super) fn entry_of(account: &str, failed: Option<&AccountError>) -> JsValue {
    let entry = match failed {
        Some(failed) => account_error(failed),
        None => {
            let entry = Object::new();
            let _ = Reflect::set(&entry, &"To_Account".into(), &account.into());
            entry
        }
    };
    let _ = Reflect::set(&entry, &"Tags".into(), &Array::new());
    entry.into()
}

/// `{ To_Account, ErrorCode, ErrorInfo }`.
pub(super) fn account_error(failed: &AccountError) -> Object {
    let entry = Object::new();
    let _ = Reflect::set(
        &entry,
        &"To_Account".into(),
        &failed.to_account.as_str().into(),
    );
    let _ = Reflect::set(&entry, &"ErrorCode".into(), &(failed.code as f64).into());
    let _ = Reflect::set(&entry, &"ErrorInfo".into(), &failed.info.as_str().into());
    entry
}

/// A report as JavaScript sees it: `{ done, failed, notDone, batch }`.
pub(super) fn report_of(report: &WriteReport, batch: &str) -> Object {
    let names =
        |list: &[String]| -> Array { list.iter().map(|a| JsValue::from(a.as_str())).collect() };
    let failed: Array = report
        .failed
        .iter()
        .map(|f| JsValue::from(account_error(f)))
        .collect();
    let object = Object::new();
    let _ = Reflect::set(&object, &"done".into(), &names(&report.done));
    let _ = Reflect::set(&object, &"failed".into(), &failed);
    let _ = Reflect::set(&object, &"notDone".into(), &names(&report.not_done));
    let _ = Reflect::set(&object, &"batch".into(), &batch.into());
    object
}

/// An undo's `skipped`, `[{ To_Account, reason }]`, added to its report.
pub(super) fn add_skipped(report: &Object, skipped: &[Skipped]) {
    let list = Array::new();
    for skip in skipped {
        let entry = Object::new();
        let _ = Reflect::set(
            &entry,
            &"To_Account".into(),
            &skip.to_account.as_str().into(),
        );
        let _ = Reflect::set(&entry, &"reason".into(), &skip.reason.as_str().into());
        list.push(&entry);
    }
    let _ = Reflect::set(report, &"skipped".into(), &list);
}
