//! The browser face: `getTags(accounts, options)` for JavaScript, calling the edge Worker
//! with gloo-net. It never holds the app's secret key: the Worker signs.

use std::cell::RefCell;

use futures_util::{StreamExt, stream};
use gloo_net::http::Request;
use gloo_timers::future::TimeoutFuture;
use js_sys::{Array, Function, JSON, Map, Object, Reflect, Set};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal};

use crate::json::{Json, NotText};
use crate::tags::{MAX_ACCOUNTS, validate_account};
use crate::upstream::GET_TAG_PATH;
use crate::{Action, Error};

/// The vendor's rate limit, and so the default pace.
const DEFAULT_CALLS_PER_SECOND: f64 = 100.0;
/// How long one call may take unless `timeoutMs` says otherwise.
const DEFAULT_TIMEOUT_MS: f64 = 30_000.0;
/// Calls in flight at once; browsers open about six connections per host.
const MAX_IN_FLIGHT: usize = 6;
/// Tries of one call when its error is passing (rate limit, vendor busy, edge failure).
const MAX_TRIES: u32 = 3;
/// The first backoff before a retry; it doubles each time.
const FIRST_BACKOFF_MS: f64 = 200.0;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** One account and its push tags. */
export interface UserTags {
  To_Account: string;
  Tags: string[];
}

/** How getTags calls the edge Worker. */
export interface GetTagsOptions {
  /** The Worker's origin, such as "https://tags.example.workers.dev"; default: this page's origin. */
  endpoint?: string;
  /** A panel token: one of the Worker's PANEL_TOKENS. */
  token?: string;
  /** Aborting it cancels the calls in flight and those not yet sent. */
  signal?: AbortSignal;
  /** How long each call of up to 100 accounts may take, in milliseconds (default 30000). */
  timeoutMs?: number;
  /** The most calls per second (default 100, the vendor's limit for the app). */
  maxCallsPerSecond?: number;
  /** Called with the number of accounts done and the number of distinct accounts. */
  onProgress?: (done: number, total: number) => void;
}

/** What getTags throws: a real Error with the code of what went wrong. */
export class TimError extends Error {
  private constructor();
  readonly name: "TimError";
  /**
   * The vendor's ErrorCode (such as 90001, 70001 or 91000), the Worker's own code (8 and the
   * HTTP status, such as 80401), or, for what happened in the browser: 80400 bad options,
   * 80408 a call timed out, 80499 aborted, 80502 the endpoint could not be reached or read.
   */
  readonly code: number;
  /** What went wrong, in words. */
  readonly info: string;
  /** The HTTP status of the answer, when there was one. */
  readonly status?: number;
}

/**
 * Reads the push tags of any number of accounts through the edge Worker. Duplicates are
 * dropped; the rest go in calls of up to 100 accounts, paced to maxCallsPerSecond. Resolves to
 * one entry per distinct account, in the order given; throws a TimError.
 */
export function getTags(accounts: string[], options?: GetTagsOptions): Promise<UserTags[]>;
"#;

/// The class of the errors `getTags` throws; made a subclass of `Error` at run time.
#[wasm_bindgen(skip_typescript)]
pub struct TimError {
    _sealed: (),
}

#[wasm_bindgen]
extern "C" {
    /// The options of `getTags`, read duck-typed from whatever object the caller passes.
    #[wasm_bindgen(typescript_type = "GetTagsOptions")]
    pub type GetTagsOptions;
    #[wasm_bindgen(method, getter, structural)]
    fn endpoint(this: &GetTagsOptions) -> JsValue;
    #[wasm_bindgen(method, getter, structural)]
    fn token(this: &GetTagsOptions) -> JsValue;
    #[wasm_bindgen(method, getter, structural)]
    fn signal(this: &GetTagsOptions) -> JsValue;
    #[wasm_bindgen(method, getter, structural, js_name = timeoutMs)]
    fn timeout_ms(this: &GetTagsOptions) -> JsValue;
    #[wasm_bindgen(method, getter, structural, js_name = maxCallsPerSecond)]
    fn max_calls_per_second(this: &GetTagsOptions) -> JsValue;
    #[wasm_bindgen(method, getter, structural, js_name = onProgress)]
    fn on_progress(this: &GetTagsOptions) -> JsValue;
}

/// A failure, with the HTTP status of the answer that carried it, if any.
#[derive(Clone)]
struct Failure {
    error: Error,
    status: Option<u16>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self {
            error,
            status: None,
        }
    }
}

/// The options, checked.
struct Settings {
    url: String,
    token: Option<String>,
    signal: Option<AbortSignal>,
    timeout_ms: f64,
    interval_ms: f64,
    on_progress: Option<Function>,
}

/// Reads the push tags of any number of accounts through the edge Worker (see the TypeScript docs).
#[wasm_bindgen(js_name = getTags, skip_typescript)]
pub async fn get_tags(
    accounts: JsValue,
    options: Option<GetTagsOptions>,
) -> Result<JsValue, JsValue> {
    run(&accounts, options.as_ref())
        .await
        .map(JsValue::from)
        .map_err(|failure| tim_error(&failure))
}

/// The JSON goes through the runtime's own `JSON`, and the tags stay JavaScript values: no
/// JSON or serde code is in this build, which keeps the package small.
async fn run(accounts: &JsValue, options: Option<&GetTagsOptions>) -> Result<Array, Failure> {
    let settings = settings(options)?;
    let accounts = distinct_accounts(accounts)?;
    if settings.signal.as_ref().is_some_and(AbortSignal::aborted) {
        return Err(Error::Aborted.into());
    }
    let total = accounts.length() as usize;
    report(&settings, 0, total);
    if total == 0 {
        return Ok(Array::new());
    }

    // One controller cancels everything: the caller's abort and the first failure both fire it.
    let controller = AbortController::new().map_err(|_| Error::Internal("no AbortController"))?;
    let on_abort = {
        let controller = controller.clone();
        Closure::<dyn Fn()>::new(move || {
            controller.abort_with_reason(&js_sys::Error::new("aborted"))
        })
    };
    if let Some(signal) = &settings.signal {
        let _ = signal.add_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
    }
    let first_failure: RefCell<Option<Failure>> = RefCell::default();
    let start = js_sys::Date::now();
    let chunks = (0..total)
        .step_by(MAX_ACCOUNTS)
        .map(|from| accounts.slice(from as u32, (from + MAX_ACCOUNTS).min(total) as u32));
    let mut calls = stream::iter(chunks.enumerate())
        .map(|(index, chunk)| {
            let (settings, controller, first_failure) = (&settings, &controller, &first_failure);
            async move {
                sleep_until(start + index as f64 * settings.interval_ms).await;
                let outcome = call_with_retries(settings, controller, &chunk).await;
                if let Err(failure) = &outcome {
                    if first_failure.borrow().is_none() && !controller.signal().aborted() {
                        *first_failure.borrow_mut() = Some(failure.clone());
                    }
                    controller.abort_with_reason(&js_sys::Error::new("cancelled"));
                }
                outcome
            }
        })
        .buffered(MAX_IN_FLIGHT);

    // Tags by account, as the answers give them.
    let found = Map::new();
    let mut done = 0;
    let mut outcome = Ok(());
    while let Some(result) = calls.next().await {
        match result {
            Ok((asked, tags)) => {
                done += asked;
                for entry in tags.iter() {
                    found.set(
                        &Reflect::get(&entry, &"To_Account".into()).unwrap_or_default(),
                        &entry,
                    );
                }
                report(&settings, done, total);
            }
            Err(failure) => {
                outcome = Err(first_failure.borrow_mut().take().unwrap_or(failure));
                break;
            }
        }
    }
    drop(calls);
    if let Some(signal) = &settings.signal {
        let _ =
            signal.remove_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
    }
    outcome?;
    Ok(accounts
        .iter()
        .map(|account| {
            let entry = found.get(&account);
            if entry.is_undefined() {
                user_tags(&account, &Array::new())
            } else {
                entry
            }
        })
        .collect())
}

/// `{ To_Account, Tags }`, as the vendor writes one account's tags.
fn user_tags(account: &JsValue, tags: &Array) -> JsValue {
    let entry = Object::new();
    let _ = Reflect::set(&entry, &"To_Account".into(), account);
    let _ = Reflect::set(&entry, &"Tags".into(), tags);
    entry.into()
}

/// One call, tried again with exponential backoff while its error is a passing one.
async fn call_with_retries(
    settings: &Settings,
    controller: &AbortController,
    accounts: &Array,
) -> Result<(usize, Array), Failure> {
    let mut tries = 1;
    loop {
        let failure = match call(settings, controller, accounts).await {
            Ok(tags) => return Ok((accounts.length() as usize, tags)),
            Err(failure) => failure,
        };
        let passing = matches!(failure.error.action(), Action::Retry | Action::RateLimited)
            && !matches!(failure.error, Error::Timeout { .. });
        if !passing || tries == MAX_TRIES || controller.signal().aborted() {
            return Err(failure);
        }
        let backoff = FIRST_BACKOFF_MS * 2f64.powi(tries as i32 - 1);
        sleep_until(js_sys::Date::now() + backoff * (0.5 + js_sys::Math::random() / 2.0)).await;
        tries += 1;
    }
}

/// One call of up to 100 accounts; the answer's `UserTags`, checked for shape.
async fn call(
    settings: &Settings,
    controller: &AbortController,
    accounts: &Array,
) -> Result<Array, Failure> {
    if controller.signal().aborted() {
        return Err(Error::Aborted.into());
    }
    let timeout = AbortSignal::timeout_with_f64(settings.timeout_ms);
    let signal = AbortSignal::any(&Array::of2(&controller.signal(), &timeout));
    let failed = || -> Failure {
        if controller.signal().aborted() {
            Error::Aborted.into()
        } else if timeout.aborted() {
            Error::Timeout {
                timeout_ms: settings.timeout_ms as u64,
            }
            .into()
        } else {
            Error::Endpoint(format!("{} could not be reached", settings.url)).into()
        }
    };
    let body = Object::new();
    let _ = Reflect::set(&body, &"To_Account".into(), accounts);
    let body = JSON::stringify(&body).map_err(|_| Error::Internal("cannot write the request"))?;
    let mut request = Request::post(&settings.url)
        .header("Content-Type", "application/json")
        .abort_signal(Some(&signal));
    if let Some(token) = &settings.token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let response = request
        .body(body)
        .map_err(|_| Error::Internal("cannot build the request"))?
        .send()
        .await
        .map_err(|_| failed())?;
    let status = response.status();
    let not_an_answer = || Failure {
        error: Error::Endpoint(format!(
            "the answer of {} is not a get-tags answer (HTTP {status})",
            settings.url
        )),
        status: Some(status),
    };
    let raw: web_sys::Response = response.into();
    let parsing = raw.json().map_err(|_| not_an_answer())?;
    let answer = match JsFuture::from(parsing).await {
        Ok(answer) => answer,
        Err(_) if signal.aborted() => return Err(failed()),
        Err(_) => return Err(not_an_answer()),
    };
    let field = |name: &str| Reflect::get(&answer, &name.into()).unwrap_or_default();
    let (Some(action), Some(code)) = (
        field("ActionStatus").as_string(),
        field("ErrorCode").as_f64(),
    ) else {
        return Err(not_an_answer());
    };
    if action != "OK" || code != 0.0 {
        let info = field("ErrorInfo").as_string().unwrap_or_default();
        return Err(Failure {
            error: Error::Vendor {
                code: code as i64,
                info,
            },
            status: Some(status),
        });
    }
    let tags: Array = field("UserTags").dyn_into().map_err(|_| not_an_answer())?;
    let well_formed = tags.iter().all(|entry| {
        let get = |name: &str| Reflect::get(&entry, &name.into()).unwrap_or_default();
        get("To_Account").is_string()
            && get("Tags")
                .dyn_into::<Array>()
                .is_ok_and(|list| list.iter().all(|t| t.is_string()))
    });
    if well_formed {
        Ok(tags)
    } else {
        Err(not_an_answer())
    }
}

fn settings(options: Option<&GetTagsOptions>) -> Result<Settings, Failure> {
    let bad = |what: &str| Failure::from(Error::InvalidOption(what.into()));
    let value = |read: fn(&GetTagsOptions) -> JsValue| {
        options
            .map(read)
            .filter(|v| !v.is_undefined() && !v.is_null())
    };
    let text = |read, what| match value(read) {
        None => Ok(None),
        Some(v) => v.as_string().map(Some).ok_or_else(|| bad(what)),
    };
    let positive = |read, what, default| match value(read) {
        None => Ok(default),
        Some(v) => v
            .as_f64()
            .filter(|n| n.is_finite() && *n > 0.0)
            .ok_or_else(|| bad(what)),
    };
    let endpoint: Option<String> = text(GetTagsOptions::endpoint, "endpoint must be a string")?;
    let token = text(GetTagsOptions::token, "token must be a string")?;
    let signal = match value(GetTagsOptions::signal) {
        None => None,
        Some(v) => Some(
            v.dyn_into::<AbortSignal>()
                .map_err(|_| bad("signal must be an AbortSignal"))?,
        ),
    };
    let on_progress = match value(GetTagsOptions::on_progress) {
        None => None,
        Some(v) => Some(
            v.dyn_into::<Function>()
                .map_err(|_| bad("onProgress must be a function"))?,
        ),
    };
    let timeout_ms = positive(
        GetTagsOptions::timeout_ms,
        "timeoutMs must be a positive number",
        DEFAULT_TIMEOUT_MS,
    )?;
    let calls_per_second = positive(
        GetTagsOptions::max_calls_per_second,
        "maxCallsPerSecond must be a positive number",
        DEFAULT_CALLS_PER_SECOND,
    )?;
    let origin = endpoint
        .as_deref()
        .unwrap_or_default()
        .trim_end_matches('/');
    Ok(Settings {
        url: format!("{origin}{GET_TAG_PATH}"),
        token,
        signal,
        timeout_ms,
        interval_ms: 1000.0 / calls_per_second,
        on_progress,
    })
}

/// The distinct accounts, in the order given; every one checked before anything is sent.
fn distinct_accounts(accounts: &JsValue) -> Result<Array, Failure> {
    let not_a_list = || Error::InvalidAccounts("accounts must be an array of strings".into());
    let list = accounts.dyn_ref::<Array>().ok_or_else(not_a_list)?;
    let seen = Set::new(&JsValue::UNDEFINED);
    let distinct = Array::new();
    for (index, item) in list.iter().enumerate() {
        let account = item.text().map_err(|not_text| {
            Error::InvalidAccounts(match not_text {
                NotText::NotAString => format!("accounts[{index}] is not a string"),
                NotText::IllFormed => format!(
                    "accounts[{index}] is not well-formed Unicode: it holds a lone surrogate"
                ),
            })
        })?;
        validate_account(index, &account)?;
        if !seen.has(&item) {
            seen.add(&item);
            distinct.push(&item);
        }
    }
    Ok(distinct)
}

fn report(settings: &Settings, done: usize, total: usize) {
    if let Some(on_progress) = &settings.on_progress {
        // A throwing callback must not break the lookup.
        let _ = on_progress.call2(&JsValue::UNDEFINED, &done.into(), &total.into());
    }
}

async fn sleep_until(when: f64) {
    let wait = when - js_sys::Date::now();
    if wait >= 1.0 {
        TimeoutFuture::new(wait as u32).await;
    }
}

/// Chains `TimError.prototype` to `Error.prototype` as the module starts, so that
/// `instanceof Error` holds for the class before anything has failed.
#[wasm_bindgen(start)]
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

/// A real `Error` whose class is `TimError`, carrying `code`, `info` and `status`.
fn tim_error(failure: &Failure) -> JsValue {
    let (code, info) = match &failure.error {
        Error::Vendor { code, info } => (*code, info.clone()),
        other => (other.code(), other.to_string()),
    };
    let error = js_sys::Error::new(&info);
    error.set_name("TimError");
    TIM_ERROR_PROTOTYPE.with(|prototype| Object::set_prototype_of(&error, prototype));
    let set = |name: &str, value: JsValue| Reflect::set(&error, &name.into(), &value);
    let _ = set("code", (code as f64).into());
    let _ = set("info", info.into());
    if let Some(status) = failure.status {
        let _ = set("status", status.into());
    }
    error.into()
}
