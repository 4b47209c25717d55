//! The options every function takes, read duck-typed from whatever object the caller passes,
//! and checked before anything is sent.

use js_sys::Function;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::batch::Progress;
use super::error::Failure;
use crate::api::calls::TagApi;
use crate::client::{
    ClientError, DEFAULT_CALL_TIMEOUT_MS, DEFAULT_CALLS_PER_SECOND, OptionError, OptionProblem,
    known_options, read_api, read_positive,
};

#[wasm_bindgen]
extern "C" {
    /// The options, read duck-typed from whatever object the caller passes.
    #[wasm_bindgen(typescript_type = "Options")]
    pub type Options;
    #[wasm_bindgen(method, getter, structural)]
    fn endpoint(this: &Options) -> JsValue;
    #[wasm_bindgen(method, getter, structural)]
    fn token(this: &Options) -> JsValue;
    #[wasm_bindgen(method, getter, structural)]
    fn api(this: &Options) -> JsValue;
    #[wasm_bindgen(method, getter, structural)]
    fn signal(this: &Options) -> JsValue;
    #[wasm_bindgen(method, getter, structural, js_name = timeoutMs)]
    fn timeout_ms(this: &Options) -> JsValue;
    #[wasm_bindgen(method, getter, structural, js_name = maxCallsPerSecond)]
    fn max_calls_per_second(this: &Options) -> JsValue;
    #[wasm_bindgen(method, getter, structural, js_name = onProgress)]
    fn on_progress(this: &Options) -> JsValue;
    #[wasm_bindgen(method, getter, structural)]
    pub(super) fn replace(this: &Options) -> JsValue;
}

/// The options, checked.
pub(super) struct Settings {
    pub(super) origin: String,
    pub(super) token: Option<String>,
    pub(super) api: TagApi,
    pub(super) signal: Option<AbortSignal>,
    pub(super) timeout_ms: f64,
    /// The caller's own ceiling (`maxCallsPerSecond`); none when not given.
    pub(super) max_calls_per_second: f64,
    pub(super) on_progress: Option<Function>,
    /// A write's batch id, sent as `X-Tim-Batch` with each of its calls; none for a read.
    pub(super) batch: Option<String>,
}

impl Settings {
    pub(super) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    pub(super) fn aborted(&self) -> bool {
        self.signal.as_ref().is_some_and(AbortSignal::aborted)
    }

    /// The time between two calls: at the app's rate as the Worker said it (`quota` calls a
    /// second; the vendor's usual rate until it has said), or slower when the caller's own
    /// ceiling says so.
    pub(super) fn interval_ms(&self, quota: Option<u32>) -> f64 {
        let app = quota.map_or(DEFAULT_CALLS_PER_SECOND, f64::from);
        1000.0 / app.min(self.max_calls_per_second)
    }
}

/// The options, each checked: a wrong one is refused with 80400, naming it.
pub(super) fn read_options(options: Option<&Options>) -> Result<Settings, Failure> {
    if let Some(options) = options {
        known_options::<JsValue>(options.as_ref())?;
    }
    let value = |read: fn(&Options) -> JsValue| {
        options
            .map(read)
            .filter(|v| !v.is_undefined() && !v.is_null())
    };
    let text = |read, name| match value(read) {
        None => Ok(None),
        Some(v) => v
            .as_string()
            .map(Some)
            .ok_or(ClientError::InvalidOption(OptionError::new(
                name,
                OptionProblem::NotAString,
            ))),
    };
    let endpoint: Option<String> = text(Options::endpoint, "endpoint")?;
    // An empty token is none: no `Authorization` goes (behind Access, none is needed).
    let token = text(Options::token, "token")?.filter(|token| !token.is_empty());
    let api = read_api(value(Options::api).as_ref())?;
    let signal = object::<AbortSignal>(
        value(Options::signal),
        OptionError::new("signal", OptionProblem::NotASignal),
    )?;
    let on_progress = object::<Function>(
        value(Options::on_progress),
        OptionError::new("onProgress", OptionProblem::NotAFunction),
    )?;
    let timeout_ms = read_positive(
        value(Options::timeout_ms).as_ref(),
        "timeoutMs",
        DEFAULT_CALL_TIMEOUT_MS,
    )?;
    let max_calls_per_second = read_positive(
        value(Options::max_calls_per_second).as_ref(),
        "maxCallsPerSecond",
        f64::INFINITY,
    )?;
    Ok(Settings {
        origin: without_trailing_slashes(endpoint.unwrap_or_default()),
        token,
        api,
        signal,
        timeout_ms,
        max_calls_per_second,
        on_progress,
        batch: None,
    })
}

/// `https://tags.example.com/` as `https://tags.example.com`, byte by byte: a path is added.
fn without_trailing_slashes(mut endpoint: String) -> String {
    let end = endpoint
        .bytes()
        .rposition(|byte| byte != b'/')
        .map_or(0, |at| at + 1);
    endpoint.truncate(end);
    endpoint
}

/// An option that must be an object of class `T`, when given.
fn object<T: JsCast>(value: Option<JsValue>, why: OptionError) -> Result<Option<T>, ClientError> {
    value
        .map(|value| value.dyn_into::<T>())
        .transpose()
        .map_err(|_| ClientError::InvalidOption(why))
}

/// Tells the caller's `onProgress`, if any, how many accounts are done of how many, and
/// whether the batch is waiting for the app's rate.
pub(super) fn tell_progress(settings: &Settings, progress: Progress) {
    if let Some(on_progress) = &settings.on_progress {
        // A throwing callback must not break the batch.
        let _ = on_progress.call3(
            &JsValue::UNDEFINED,
            &progress.done.into(),
            &progress.total.into(),
            &progress.waiting.into(),
        );
    }
}
