//! The browser face: `getTags`, `addTags`, `removeTags`, `clearTags` and `session` for
//! JavaScript, calling the edge Worker with gloo-net. It never holds the app's secret key:
//! the Worker signs. What it decides without a browser (checks, errors, how a batch is split
//! into calls, what a write did, the retry policy, reading answers) lives in
//! [`crate::client`], [`crate::api::retry`] and [`crate::api::answer`].

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::ops::Range;
use std::pin::Pin;

use futures_util::future::select_all;
use gloo_net::http::{Method, RequestBuilder};
use gloo_timers::future::TimeoutFuture;
use js_sys::{Array, Function, Map, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal};

use crate::api::answer::{AccountError, Status, failed_accounts, user_tags};
use crate::api::calls::SESSION_PATH;
use crate::api::calls::{AnswerShape, Call, Operation, TagApi};
use crate::api::codes::Coded;
use crate::api::json::Json;
use crate::api::request::{Shape, UserTags, accounts_body, user_tags_body};
use crate::api::retry::{Next, Retries, RetryPolicy};
use crate::client::{
    ClientError, DEFAULT_CALL_TIMEOUT_MS, DEFAULT_CALLS_PER_SECOND, EntryIndex, MAX_IN_FLIGHT,
    OptionError, PlannedCall, Tracker, WriteReport, distinct_accounts, plan_accounts,
    plan_user_tags, read_api, read_changes, read_positive, read_replace, waves,
};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** Which generation of the vendor's tag API the app has: see session(). */
export type TagApi = 'all_member_push' | 'timpush';

/** One account and its push tags; an account the vendor could not serve has its code and reason. */
export interface UserTags {
  To_Account: string;
  Tags: string[];
  /** Present when the vendor listed the account as failed (70107: it does not exist). */
  ErrorCode?: number;
  ErrorInfo?: string;
}

/** An account the vendor listed as failed, and why. */
export interface AccountError {
  To_Account: string;
  ErrorCode: number;
  ErrorInfo: string;
}

/** What a write did: each distinct account is in exactly one of the three lists. */
export interface WriteReport {
  /** Changed: every call that carried the account succeeded for it. */
  done: string[];
  /** Listed by the vendor as failed, with its code and reason. */
  failed: AccountError[];
  /** Not known to be changed: never sent, or sent without an answer (sending again is safe). */
  notDone: string[];
}

/** One account and the tags to add or remove. */
export interface TagsOf {
  To_Account: string;
  Tags: string[];
}

/** Who the caller is, what it may do, and the app's generation, as the Worker says. */
export interface Session {
  caller: string;
  scopes: string[];
  api: TagApi;
}

/** How the functions call the edge Worker. */
export interface Options {
  /** The Worker's origin, such as "https://tags.example.workers.dev"; default: this page's origin. */
  endpoint?: string;
  /** A panel token (Authorization: Bearer); none with Cloudflare Access. */
  token?: string;
  /** Which generation's paths to call (default 'all_member_push'). */
  api?: TagApi;
  /** Aborting it cancels the calls in flight and those not yet sent. */
  signal?: AbortSignal;
  /** How long each call of up to 100 accounts may take, in milliseconds (default 30000). */
  timeoutMs?: number;
  /** The most calls per second (default 100, the vendor's limit for the app). */
  maxCallsPerSecond?: number;
  /** Called with the number of accounts finished and the number of distinct accounts. */
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
   * HTTP status, such as 80401 or 80403), or, for what happened in the browser: 80400 bad
   * options, 80408 a call timed out, 80499 aborted, 80502 the endpoint could not be reached
   * or read.
   */
  readonly code: number;
  /** What went wrong, in words. */
  readonly info: string;
  /**
   * What to do about it, decided from the code: 'retry' a passing fault, 'wait' for the app's
   * or the caller's rate and try again more slowly, 'sign-again' (the Worker does), fix the
   * 'configuration' (keys, tokens, scopes, origins), or 'give-up' on a request that is refused.
   */
  readonly action: 'retry' | 'wait' | 'sign-again' | 'configuration' | 'give-up';
  /** The HTTP status of the answer, when there was one. */
  readonly status?: number;
  /** For a write that stopped: what was done, what failed, what was not done. */
  readonly report?: WriteReport;
}

/**
 * Reads the push tags of any number of accounts. Duplicates are dropped (on 'timpush', a
 * RegistrationID in two cases is one account, under its first spelling); the rest go in calls
 * of up to 100 accounts. Resolves to one entry per distinct account, in the order given; an
 * account the vendor could not serve comes back with no tags and its ErrorCode and ErrorInfo.
 */
export function getTags(accounts: string[], options?: Options): Promise<UserTags[]>;

/**
 * Adds tags: an account named twice (a RegistrationID in another case too) has its tags joined
 * under its first spelling, and its tags go in calls of up to 10 (with replace, which sets
 * them exactly on 'timpush', up to 100 in one call).
 */
export function addTags(userTags: TagsOf[], options?: Options & { replace?: boolean }): Promise<WriteReport>;

/**
 * Removes tags: an account named twice (a RegistrationID in another case too) has its tags
 * joined under its first spelling; its tags go in calls of up to 100.
 */
export function removeTags(userTags: TagsOf[], options?: Options): Promise<WriteReport>;

/**
 * Removes all the tags of any number of accounts, 100 a call; duplicates are dropped as by
 * getTags.
 */
export function clearTags(accounts: string[], options?: Options): Promise<WriteReport>;

/** Who the caller is, what it may do (["read"] or ["read", "write"]), and the app's generation. */
export function session(options?: Options): Promise<Session>;
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
    #[wasm_bindgen(method, getter, structural)]
    fn replace(this: &Options) -> JsValue;
}

/// A failure, with the HTTP status of the answer that carried it, if any.
#[derive(Clone)]
struct Failure {
    error: ClientError,
    status: Option<u16>,
}

impl Failure {
    /// Something at `url` answered with `status`, but not as the Worker does.
    fn not_the_worker(url: &str, status: u16) -> Self {
        Self {
            error: ClientError::NotTheWorker {
                url: url.into(),
                status,
            },
            status: Some(status),
        }
    }
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

impl Settings {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    fn aborted(&self) -> bool {
        self.signal.as_ref().is_some_and(AbortSignal::aborted)
    }
}

/// Reads the push tags of any number of accounts (see the TypeScript docs).
#[wasm_bindgen(js_name = getTags, skip_typescript)]
pub fn get_tags(accounts: JsValue, options: Option<Options>) -> Promise {
    promise(async move {
        let run = async {
            let settings = read_options(options.as_ref())?;
            let accounts = distinct_accounts(settings.api, &accounts, &mut JsIndex(Map::new()))?;
            get(&settings, &accounts).await
        };
        run.await
            .map(JsValue::from)
            .map_err(|f| tim_error(&f, None))
    })
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

/// The promise of a write.
fn write_promise(operation: Operation, input: JsValue, options: Option<Options>) -> Promise {
    promise(async move { write(operation, &input, options.as_ref()).await })
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
    promise(ask_session(options))
}

async fn ask_session(options: Option<Options>) -> Result<JsValue, JsValue> {
    let run = async {
        let settings = read_options(options.as_ref())?;
        if settings.aborted() {
            return Err(ClientError::Aborted.into());
        }
        let controller =
            AbortController::new().map_err(|_| ClientError::Internal("no AbortController"))?;
        let _link = Link::new(&settings, &controller);
        let url = settings.url(SESSION_PATH);
        let (status, answer) = send(&settings, &controller, Method::GET, &url, None).await?;
        let not_the_worker = || Failure::not_the_worker(&url, status);
        if let Some(refused) = Status::read(&answer) {
            return Err(Failure {
                error: ClientError::Answered {
                    code: refused.code,
                    info: refused.info,
                },
                status: Some(status),
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

/// A get of `accounts`, each distinct; one entry per account, in order.
async fn get(settings: &Settings, accounts: &[String]) -> Result<Array, Failure> {
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
async fn write(
    operation: Operation,
    input: &JsValue,
    options: Option<&Options>,
) -> Result<JsValue, JsValue> {
    let read = || -> Result<(Settings, Vec<UserTags>, Option<bool>), Failure> {
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
            Shape::Accounts { .. } => {
                distinct_accounts(settings.api, input, &mut JsIndex(Map::new()))?
                    .into_iter()
                    .map(|to_account| UserTags {
                        to_account,
                        tags: Vec::new(),
                    })
                    .collect()
            }
            Shape::UserTags { .. } => {
                let replace_max = (replace == Some(true))
                    .then(|| call.row().max_tags(true))
                    .flatten();
                read_changes(call, input, replace_max, &mut JsIndex(Map::new()))?
            }
        };
        Ok((settings, entries, replace))
    };
    let (settings, entries, replace) = read().map_err(|f| tim_error(&f, None))?;
    let call = Call {
        operation,
        api: settings.api,
    };
    let shape = call.row().body;
    let plan = match shape {
        Shape::Accounts { .. } => plan_accounts(entries.len()),
        Shape::UserTags { .. } => plan_user_tags(
            &entries,
            call.row().max_tags(replace == Some(true)).unwrap_or(1),
        ),
    };
    let accounts: Vec<String> = entries.iter().map(|e| e.to_account.clone()).collect();
    let tracker = RefCell::new(Tracker::new(entries.len(), &plan));
    let body_of = |index: usize| match shape {
        Shape::Accounts { .. } => accounts_of(&accounts, &plan[index]),
        Shape::UserTags { .. } => changes_of(&entries, &plan[index], replace),
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

/// Each account's entry, in the runtime's own `Map`.
struct JsIndex(Map);

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

/// What one call's answer gave: a get's entries, and the accounts the vendor listed as failed.
struct Answered {
    entries: Vec<(String, JsValue)>,
    failed: Vec<AccountError>,
}

/// Sends the calls of `waves` to `call`'s path, each body written by `body_of` as its turn
/// comes, paced and at most six in flight, each tried again as the retry policy says; a wave
/// goes once every call of the one before is answered. `on_answer(index, answered)` hears each
/// answer as it arrives, in whatever order, and says how many accounts it finished. After a
/// failure no new call is sent, the calls in flight finish and are heard, and the first
/// failure comes back; an abort cancels the calls in flight too.
async fn run_calls(
    settings: &Settings,
    call: Call,
    total: usize,
    waves: &[Range<usize>],
    body_of: &dyn Fn(usize) -> String,
    on_answer: &mut dyn FnMut(usize, Answered) -> usize,
) -> Result<(), Failure> {
    if settings.aborted() {
        return Err(ClientError::Aborted.into());
    }
    report(settings, 0, total);
    let controller =
        AbortController::new().map_err(|_| ClientError::Internal("no AbortController"))?;
    let _link = Link::new(settings, &controller);
    let batch = Batch {
        settings,
        controller: &controller,
        call,
        url: settings.url(call.path()),
        body_of,
        start: js_sys::Date::now(),
        stopped: Cell::new(false),
        in_flight: Cell::new(0),
    };
    let mut first_failure: Option<Failure> = None;
    let mut done = 0;
    for wave in waves {
        let mut hear = |index, result| match result {
            Ok(answered) => {
                done += on_answer(index, answered);
                report(settings, done, total);
            }
            Err(failure) => {
                first_failure.get_or_insert(failure);
            }
        };
        batch.run_wave(wave.clone(), &mut hear).await;
        if batch.stopping() {
            break;
        }
    }
    match first_failure {
        Some(failure) => Err(failure),
        None if settings.aborted() => Err(ClientError::Aborted.into()),
        None => Ok(()),
    }
}

/// The calls of one batch under way, and what they share.
struct Batch<'a> {
    settings: &'a Settings,
    controller: &'a AbortController,
    call: Call,
    url: String,
    body_of: &'a dyn Fn(usize) -> String,
    /// When the batch started: call `index` goes `index` intervals after it, not sooner.
    start: f64,
    /// Set by the first failure: no call is sent after it.
    stopped: Cell<bool>,
    /// Calls sent and not answered yet.
    in_flight: Cell<usize>,
}

impl Batch<'_> {
    /// Whether no new call may go: one failed, or the caller aborted.
    fn stopping(&self) -> bool {
        self.stopped.get() || self.controller.signal().aborted()
    }

    /// Runs the calls of `wave`, at most [`MAX_IN_FLIGHT`] at once, and hands `hear` the
    /// result of each call sent as soon as it arrives, whatever the order: an answer queued
    /// behind a slower call would be lost if the batch stopped meanwhile. Returns once every
    /// call of the wave has gone and been heard, or once the batch is stopping and every call
    /// sent has been heard.
    async fn run_wave(
        &self,
        wave: Range<usize>,
        hear: &mut dyn FnMut(usize, Result<Answered, Failure>),
    ) {
        let mut waiting = wave;
        let mut running = Vec::with_capacity(MAX_IN_FLIGHT);
        loop {
            while running.len() < MAX_IN_FLIGHT
                && let Some(index) = waiting.next()
            {
                running.push(Box::pin(
                    async move { (index, self.send_in_turn(index).await) },
                ));
            }
            if running.is_empty() {
                break;
            }
            // The first call to finish, whichever it is; the others go on.
            let ((index, result), _, others) = select_all(running).await;
            running = others;
            if let Some(result) = result {
                hear(index, result);
            }
            // Stopping, the calls left would only wait for their turn to skip it. Nothing in
            // flight means every result has been heard: a call leaves the count in the poll
            // that completes it, and its result is heard right after that poll.
            if self.stopping() && self.in_flight.get() == 0 {
                break;
            }
        }
    }

    /// Call `index`, sent when its turn comes unless the batch is stopping by then (`None`);
    /// its failure stops the batch at once, before any other call can take its turn.
    async fn send_in_turn(&self, index: usize) -> Option<Result<Answered, Failure>> {
        sleep_until(self.start + index as f64 * self.settings.interval_ms).await;
        if self.stopping() {
            return None;
        }
        let body = (self.body_of)(index);
        self.in_flight.set(self.in_flight.get() + 1);
        let result =
            call_with_retries(self.settings, self.controller, self.call, &self.url, &body).await;
        self.in_flight.set(self.in_flight.get() - 1);
        if result.is_err() {
            self.stopped.set(true);
        }
        Some(result)
    }
}

/// Aborts `controller` when the caller's signal aborts, for as long as it lives.
struct Link<'a> {
    signal: Option<&'a AbortSignal>,
    on_abort: Closure<dyn Fn()>,
}

impl<'a> Link<'a> {
    fn new(settings: &'a Settings, controller: &AbortController) -> Self {
        let on_abort = {
            let controller = controller.clone();
            Closure::<dyn Fn()>::new(move || {
                controller.abort_with_reason(&js_sys::Error::new("aborted"))
            })
        };
        if let Some(signal) = &settings.signal {
            let _ =
                signal.add_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
        }
        Self {
            signal: settings.signal.as_ref(),
            on_abort,
        }
    }
}

impl Drop for Link<'_> {
    fn drop(&mut self) {
        if let Some(signal) = self.signal {
            let _ = signal.remove_event_listener_with_callback(
                "abort",
                self.on_abort.as_ref().unchecked_ref(),
            );
        }
    }
}

/// One call, tried again as the browser's retry policy says.
async fn call_with_retries(
    settings: &Settings,
    controller: &AbortController,
    call: Call,
    url: &str,
    body: &str,
) -> Result<Answered, Failure> {
    let mut retries = Retries::new(RetryPolicy::BROWSER);
    loop {
        let failure = match one_call(settings, controller, call, url, body).await {
            Ok(answered) => return Ok(answered),
            Err(failure) => failure,
        };
        let Some(outcome) = failure.error.try_outcome() else {
            return Err(failure);
        };
        let random = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
        match retries.after(outcome, f64::INFINITY, random) {
            Next::Retry { .. } if controller.signal().aborted() => return Err(failure),
            Next::Retry { after_ms, .. } => {
                sleep_until(js_sys::Date::now() + f64::from(after_ms)).await;
            }
            Next::Stop => return Err(failure),
        }
    }
}

/// One call: its answer, read as the vendor's (a get's tags, and `ErrorList`).
async fn one_call(
    settings: &Settings,
    controller: &AbortController,
    call: Call,
    url: &str,
    body: &str,
) -> Result<Answered, Failure> {
    let (status, answer) = send(settings, controller, Method::POST, url, Some(body)).await?;
    let not_the_worker = || Failure::not_the_worker(url, status);
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
    // The call table says what the answer holds besides its status.
    let entries = match call.row().answer {
        AnswerShape::UserTags => user_tags(&answer).ok_or_else(not_the_worker)?,
        AnswerShape::Status => Vec::new(),
    };
    let failed = failed_accounts(&answer).ok_or_else(not_the_worker)?;
    Ok(Answered { entries, failed })
}

/// Sends one request to the Worker, within `timeoutMs`; its status and its JSON answer.
async fn send(
    settings: &Settings,
    controller: &AbortController,
    method: Method,
    url: &str,
    body: Option<&str>,
) -> Result<(u16, JsValue), Failure> {
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
    let mut request = RequestBuilder::new(url)
        .method(method)
        .abort_signal(Some(&signal));
    if let Some(token) = &settings.token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let request = match body {
        Some(body) => request
            .header("Content-Type", "application/json")
            .body(body),
        None => request.build(),
    };
    let response = request
        .map_err(|_| ClientError::Internal("cannot build the request"))?
        .send()
        .await
        .map_err(|_| failed())?;
    let status = response.status();
    let not_the_worker = || Failure::not_the_worker(url, status);
    let raw: web_sys::Response = response.into();
    let parsing = raw.json().map_err(|_| not_the_worker())?;
    match JsFuture::from(parsing).await {
        Ok(answer) => Ok((status, answer)),
        Err(_) if signal.aborted() => Err(failed()),
        Err(_) => Err(not_the_worker()),
    }
}

/// The body of a get or a clear for the accounts of a planned call.
fn accounts_of(accounts: &[String], planned: &PlannedCall) -> String {
    accounts_body(planned.parts.iter().map(|(a, _)| accounts[*a].as_str()))
}

/// The body of an add or a remove for the accounts and tags of a planned call.
fn changes_of(entries: &[UserTags], planned: &PlannedCall, replace: Option<bool>) -> String {
    let parts = planned.parts.iter().map(|(index, tags)| {
        let entry = &entries[*index];
        (entry.to_account.as_str(), &entry.tags[tags.clone()])
    });
    user_tags_body(parts, replace)
}

/// `{ To_Account, Tags: [] }`, with `ErrorCode` and `ErrorInfo` for an account the vendor failed.
fn entry_of(account: &str, failed: Option<&AccountError>) -> JsValue {
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
fn account_error(failed: &AccountError) -> Object {
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

/// A report as JavaScript sees it: `{ done, failed, notDone }`.
fn report_of(report: &WriteReport) -> Object {
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
    object
}

fn read_options(options: Option<&Options>) -> Result<Settings, Failure> {
    let bad = |why: OptionError| Failure::from(ClientError::InvalidOption(why));
    let value = |read: fn(&Options) -> JsValue| {
        options
            .map(read)
            .filter(|v| !v.is_undefined() && !v.is_null())
    };
    let text = |read, what| match value(read) {
        None => Ok(None),
        Some(v) => v.as_string().map(Some).ok_or_else(|| bad(what)),
    };
    let endpoint: Option<String> = text(Options::endpoint, OptionError::NotAString("endpoint"))?;
    let token = text(Options::token, OptionError::NotAString("token"))?;
    let api = read_api(value(Options::api).as_ref())?;
    let signal = match value(Options::signal) {
        None => None,
        Some(v) => Some(
            v.dyn_into::<AbortSignal>()
                .map_err(|_| bad(OptionError::NotASignal))?,
        ),
    };
    let on_progress = match value(Options::on_progress) {
        None => None,
        Some(v) => Some(
            v.dyn_into::<Function>()
                .map_err(|_| bad(OptionError::NotAFunction))?,
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

fn report(settings: &Settings, done: usize, total: usize) {
    if let Some(on_progress) = &settings.on_progress {
        // A throwing callback must not break the batch.
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

/// A real `Error` whose class is `TimError`, carrying `code`, `info`, `status` and, for a
/// write that stopped, its `report`.
fn tim_error(failure: &Failure, write_report: Option<&WriteReport>) -> JsValue {
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
    if let Some(write_report) = write_report {
        let _ = set("report", report_of(write_report).into());
    }
    error.into()
}
