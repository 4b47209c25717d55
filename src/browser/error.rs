//! `TimError`: what every function rejects with, a real `Error` whose code says what to do.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::api::codes::Coded;
use crate::client::ClientError;

/// The class of the errors the functions reject with; made a subclass of `Error` at start.
#[wasm_bindgen(skip_typescript)]
pub struct TimError {
    _sealed: (),
}

/// A failure, with the HTTP status of the answer that carried it, if any, and when that
/// answer said to come back.
#[derive(Clone)]
pub(super) struct Failure {
    pub(super) error: ClientError,
    pub(super) status: Option<u16>,
    pub(super) retry_after_s: Option<u32>,
}

impl Failure {
    /// The code and reason of a call refused as a whole by the vendor, or by the Worker before
    /// it reached the vendor: nothing of it was applied. A 502 or 504 from the Worker is not
    /// one (the vendor's answer was lost, and the call may have been applied).
    pub(super) fn refusal(&self) -> Option<(i64, &str)> {
        match (&self.error, self.status) {
            (_, Some(502 | 504)) => None,
            (ClientError::Answered { code, info }, Some(_)) => Some((*code, info)),
            _ => None,
        }
    }

    /// Something at `url` answered with `status`, but not as the Worker does.
    pub(super) fn not_the_worker(url: &str, status: u16) -> Self {
        Self {
            error: ClientError::NotTheWorker {
                url: url.into(),
                status,
            },
            status: Some(status),
            retry_after_s: None,
        }
    }
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Self {
        Self {
            error,
            status: None,
            retry_after_s: None,
        }
    }
}

/// Chains `TimError.prototype` to `Error.prototype` as the module starts, so that
/// `instanceof Error` holds for the class before anything has failed. (wasm-bindgen exports a
/// start function too; its name and the missing declaration say it is not for callers.)
#[wasm_bindgen(start, js_name = __start, skip_typescript)]
fn start() {
    TIM_ERROR_PROTOTYPE.with(|_| ());
}

thread_local! {
    /// `TimError.prototype`, chained to `Error.prototype` once.
    static TIM_ERROR_PROTOTYPE: Object = {
        let prototype = Object::get_prototype_of(&JsValue::from(TimError { _sealed: () }));
        Object::set_prototype_of(&prototype, &Object::get_prototype_of(&js_sys::Error::new("")));
        prototype
    };
}

/// A real `Error` whose class is `TimError`, carrying `code`, `info`, `status` and, for a
/// write or an undo that stopped, its `report`.
pub(super) fn tim_error(failure: &Failure, report: Option<&Object>) -> JsValue {
    let info = failure.error.to_string();
    let error = js_sys::Error::new(&info);
    error.set_name("TimError");
    TIM_ERROR_PROTOTYPE.with(|prototype| Object::set_prototype_of(&error, prototype));
    let set = |name: &str, value: JsValue| Reflect::set(&error, &name.into(), &value);
    let _ = set("code", (failure.error.code() as f64).into());
    let _ = set("info", info.into());
    let _ = set("action", failure.error.action().name().into());
    if let Some(status) = failure.status {
        let _ = set("status", status.into());
    }
    if let Some(report) = report {
        let _ = set("report", report.into());
    }
    error.into()
}
