//! The browser face: `getTags(accounts, options)` for JavaScript, calling the edge Worker
//! with gloo-net. It never holds the app's secret key: the Worker signs. What it decides
//! without a browser (checks, errors, the retry policy, reading answers) lives in
//! [`crate::client`], [`crate::retry`] and [`crate::answer`].

use std::cell::RefCell;

use futures_util::{StreamExt, stream};
use gloo_net::http::Request;
use gloo_timers::future::TimeoutFuture;
use js_sys::{Array, Function, JSON, Map, Object, Reflect, Set};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal};

use crate::answer::{Status, failed_accounts, user_tags};
use crate::api::{Call, Operation, TagApi};
use crate::client::{
    ACCOUNTS_PER_CALL, ClientError, DEFAULT_CALL_TIMEOUT_MS, DEFAULT_CALLS_PER_SECOND,
    MAX_IN_FLIGHT, read_account, read_api, read_positive,
};
use crate::codes::Coded;
use crate::retry::{Next, Retries, RetryPolicy};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** Which generation of the vendor's tag API the app has: see the Worker's /session. */
export type TagApi = 'all_member_push' | 'timpush';

/** One account and its push tags; an account the vendor could not serve has its code and reason. */
export interface UserTags {
  To_Account: string;
  Tags: string[];
  /** Present when the vendor listed the account as failed (70107: it does not exist). */
  ErrorCode?: number;
  ErrorInfo?: string;
}

/** How the functions call the edge Worker. */
export interface Options {
  /** The Worker's origin, such as "https://tags.example.workers.dev"; default: this page's origin. */
  endpoint?: string;
  /** A panel token: one of the Worker's PANEL_TOKENS or PANEL_WRITE_TOKENS. */
  token?: string;
  /** Which generation's paths to call (default 'all_member_push'). */
  api?: TagApi;
  /** Aborting it cancels the calls in flight and those not yet sent. */
  signal?: AbortSignal;
  /** How long each call of up to 100 accounts may take, in milliseconds (default 30000). */
  timeoutMs?: number;
  /** The most calls per second (default 100, the vendor's limit for the app). */
  maxCallsPerSecond?: number;
  /** Called with the number of accounts done and the number of distinct accounts. */
  onProgress?: (done: number, total: number) => void;
}

/** The options of getTags. */
export type GetTagsOptions = Options;

/** What the functions reject with: a real Error with the code of what went wrong. */
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
 * one entry per distinct account, in the order given; an account the vendor could not serve
 * comes back with no tags and its ErrorCode and ErrorInfo. Rejects with a TimError.
 */
export function getTags(accounts: string[], options?: Options): Promise<UserTags[]>;
"#;

/// The class of the errors the functions reject with; made a subclass of `Error` at start.
#[wasm_bindgen(skip_typescript)]
pub struct TimError {
    _sealed: (),
}

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
}

/// A failure, with the HTTP status of the answer that carried it, if any.
#[derive(Clone)]
struct Failure {
    error: ClientError,
    status: Option<u16>,
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Self {
        Self {
            error,
            status: None,
        }
    }
}

/// The options, checked.
struct Settings {
    origin: String,
    token: Option<String>,
    api: TagApi,
    signal: Option<AbortSignal>,
    timeout_ms: f64,
    interval_ms: f64,
    on_progress: Option<Function>,
}

/// Reads the push tags of any number of accounts through the edge Worker (see the TypeScript docs).
#[wasm_bindgen(js_name = getTags, skip_typescript)]
pub async fn get_tags(accounts: JsValue, options: Option<Options>) -> Result<JsValue, JsValue> {
    run(&accounts, options.as_ref())
        .await
        .map(JsValue::from)
        .map_err(|failure| tim_error(&failure))
}

/// The JSON goes through the runtime's own `JSON`, and the tags stay JavaScript values: no
/// JSON or serde code is in this build, which keeps the package small.
async fn run(accounts: &JsValue, options: Option<&Options>) -> Result<Array, Failure> {
    let settings = read_options(options)?;
    let accounts = distinct_accounts(settings.api, accounts)?;
    if settings.signal.as_ref().is_some_and(AbortSignal::aborted) {
        return Err(ClientError::Aborted.into());
    }
    let total = accounts.length() as usize;
    report(&settings, 0, total);
    if total == 0 {
        return Ok(Array::new());
    }
    let call = Call {
        operation: Operation::Get,
        api: settings.api,
    };
    let url = format!("{}{}", settings.origin, call.path());

    // One controller cancels everything: the caller's abort and the first failure both fire it.
    let controller =
        AbortController::new().map_err(|_| ClientError::Internal("no AbortController"))?;
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
        .step_by(ACCOUNTS_PER_CALL)
        .map(|from| accounts.slice(from as u32, (from + ACCOUNTS_PER_CALL).min(total) as u32));
    let mut calls = stream::iter(chunks.enumerate())
        .map(|(index, chunk)| {
            let (settings, controller, first_failure, url) =
                (&settings, &controller, &first_failure, &url);
            async move {
                sleep_until(start + index as f64 * settings.interval_ms).await;
                let outcome = call_with_retries(settings, controller, url, &chunk).await;
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

    // Each account's entry, as the answers give it.
    let found = Map::new();
    let mut done = 0;
    let mut outcome = Ok(());
    while let Some(result) = calls.next().await {
        match result {
            Ok((asked, entries)) => {
                done += asked;
                for (account, entry) in entries {
                    found.set(&account.into(), &entry);
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
                entry_of(&account, &Array::new(), None)
            } else {
                entry
            }
        })
        .collect())
}

/// `{ To_Account, Tags }`, with `ErrorCode` and `ErrorInfo` when the vendor failed the account.
fn entry_of(account: &JsValue, tags: &Array, failed: Option<(i64, &str)>) -> JsValue {
    let entry = Object::new();
    let _ = Reflect::set(&entry, &"To_Account".into(), account);
    let _ = Reflect::set(&entry, &"Tags".into(), tags);
    if let Some((code, info)) = failed {
        let _ = Reflect::set(&entry, &"ErrorCode".into(), &(code as f64).into());
        let _ = Reflect::set(&entry, &"ErrorInfo".into(), &info.into());
    }
    entry.into()
}

/// One call, tried again as the browser's retry policy says.
async fn call_with_retries(
    settings: &Settings,
    controller: &AbortController,
    url: &str,
    accounts: &Array,
) -> Result<(usize, Vec<(String, JsValue)>), Failure> {
    let mut retries = Retries::new(RetryPolicy::BROWSER);
    loop {
        let failure = match call(settings, controller, url, accounts).await {
            Ok(entries) => return Ok((accounts.length() as usize, entries)),
            Err(failure) => failure,
        };
        let Some(outcome) = failure.error.try_outcome() else {
            return Err(failure);
        };
        let random = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
        match retries.after(outcome, f64::INFINITY, random) {
            Next::Retry { after_ms, .. } if !controller.signal().aborted() => {
                sleep_until(js_sys::Date::now() + f64::from(after_ms)).await;
            }
            _ => return Err(failure),
        }
    }
}

/// One call of up to 100 accounts; each account's entry, from `UserTags` or `ErrorList`.
async fn call(
    settings: &Settings,
    controller: &AbortController,
    url: &str,
    accounts: &Array,
) -> Result<Vec<(String, JsValue)>, Failure> {
    if controller.signal().aborted() {
        return Err(ClientError::Aborted.into());
    }
    let timeout = AbortSignal::timeout_with_f64(settings.timeout_ms);
    let signal = AbortSignal::any(&Array::of2(&controller.signal(), &timeout));
    let failed = || -> Failure {
        if controller.signal().aborted() {
            ClientError::Aborted.into()
        } else if timeout.aborted() {
            ClientError::Timeout {
                timeout_ms: settings.timeout_ms as u64,
            }
            .into()
        } else {
            ClientError::Unreachable { url: url.into() }.into()
        }
    };
    let body = Object::new();
    let _ = Reflect::set(&body, &"To_Account".into(), accounts);
    let body =
        JSON::stringify(&body).map_err(|_| ClientError::Internal("cannot write the request"))?;
    let mut request = Request::post(url)
        .header("Content-Type", "application/json")
        .abort_signal(Some(&signal));
    if let Some(token) = &settings.token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let response = request
        .body(body)
        .map_err(|_| ClientError::Internal("cannot build the request"))?
        .send()
        .await
        .map_err(|_| failed())?;
    let status = response.status();
    let not_the_worker = || Failure {
        error: ClientError::NotTheWorker {
            url: url.into(),
            status,
        },
        status: Some(status),
    };
    let raw: web_sys::Response = response.into();
    let parsing = raw.json().map_err(|_| not_the_worker())?;
    let answer = match JsFuture::from(parsing).await {
        Ok(answer) => answer,
        Err(_) if signal.aborted() => return Err(failed()),
        Err(_) => return Err(not_the_worker()),
    };
    let answer_status = Status::read(&answer).ok_or_else(not_the_worker)?;
    if !answer_status.ok() {
        return Err(Failure {
            error: ClientError::Answered {
                code: answer_status.code,
                info: answer_status.info,
            },
            status: Some(status),
        });
    }
    let mut entries = user_tags(&answer).ok_or_else(not_the_worker)?;
    for failed in failed_accounts(&answer).ok_or_else(not_the_worker)? {
        let entry = entry_of(
            &failed.to_account.as_str().into(),
            &Array::new(),
            Some((failed.code, &failed.info)),
        );
        entries.push((failed.to_account, entry));
    }
    Ok(entries)
}

fn read_options(options: Option<&Options>) -> Result<Settings, Failure> {
    let bad = |what: &str| Failure::from(ClientError::InvalidOption(what.into()));
    let value = |read: fn(&Options) -> JsValue| {
        options
            .map(read)
            .filter(|v| !v.is_undefined() && !v.is_null())
    };
    let text = |read, what| match value(read) {
        None => Ok(None),
        Some(v) => v.as_string().map(Some).ok_or_else(|| bad(what)),
    };
    let endpoint: Option<String> = text(Options::endpoint, "endpoint must be a string")?;
    let token = text(Options::token, "token must be a string")?;
    let api = read_api(value(Options::api).as_ref())?;
    let signal = match value(Options::signal) {
        None => None,
        Some(v) => Some(
            v.dyn_into::<AbortSignal>()
                .map_err(|_| bad("signal must be an AbortSignal"))?,
        ),
    };
    let on_progress = match value(Options::on_progress) {
        None => None,
        Some(v) => Some(
            v.dyn_into::<Function>()
                .map_err(|_| bad("onProgress must be a function"))?,
        ),
    };
    let timeout_ms = read_positive(
        value(Options::timeout_ms).as_ref(),
        "timeoutMs",
        DEFAULT_CALL_TIMEOUT_MS,
    )?;
    let calls_per_second = read_positive(
        value(Options::max_calls_per_second).as_ref(),
        "maxCallsPerSecond",
        DEFAULT_CALLS_PER_SECOND,
    )?;
    Ok(Settings {
        origin: endpoint
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_owned(),
        token,
        api,
        signal,
        timeout_ms,
        interval_ms: 1000.0 / calls_per_second,
        on_progress,
    })
}

/// The distinct accounts, in the order given; every one checked before anything is sent.
fn distinct_accounts(api: TagApi, accounts: &JsValue) -> Result<Array, Failure> {
    let not_a_list = || ClientError::InvalidInput("accounts must be an array of strings".into());
    let list = accounts.dyn_ref::<Array>().ok_or_else(not_a_list)?;
    let seen = Set::new(&JsValue::UNDEFINED);
    let distinct = Array::new();
    for (index, item) in list.iter().enumerate() {
        read_account(api, &item, &format!("accounts[{index}]"))?;
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

/// A real `Error` whose class is `TimError`, carrying `code`, `info` and `status`.
fn tim_error(failure: &Failure) -> JsValue {
    let info = failure.error.to_string();
    let error = js_sys::Error::new(&info);
    error.set_name("TimError");
    TIM_ERROR_PROTOTYPE.with(|prototype| Object::set_prototype_of(&error, prototype));
    let set = |name: &str, value: JsValue| Reflect::set(&error, &name.into(), &value);
    let _ = set("code", (failure.error.code() as f64).into());
    let _ = set("info", info.into());
    if let Some(status) = failure.status {
        let _ = set("status", status.into());
    }
    error.into()
}
