//! The Cloudflare Worker: carries requests and answers between the runtime and the decisions
//! of [`crate::edge`], which holds every rule that needs no runtime.
//!
//! Requests, answers and the upstream fetch use the runtime's own objects through web-sys and
//! two small JavaScript functions (a call with its whole answer, and an answer's `Response`),
//! and JSON is read with the runtime's `JSON.parse`: a request body's bytes cross into wasm once,
//! for the scan of its structure that comes before parsing ([`crate::json::Extent`]); its text
//! and parsed values stay in JavaScript and only the values checked cross. workers-rs provides
//! the entry point, the environment and timers.

use std::cell::{OnceCell, RefCell};
use std::pin::Pin;
use std::rc::Rc;
use std::thread::LocalKey;
use std::time::Duration;

use js_sys::{Array, JsString, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortSignal, CryptoKey, ReadableStreamDefaultReader, RequestInit, Response, WorkerGlobalScope,
};
use worker::{Context, Delay, Env, console_error, event};

use crate::access_jwt::{AccessConfig, AccessToken, Identity, KeySet, PublicKey};
use crate::answer::{AccountError, Answer, Status, VendorError, failed_accounts};
use crate::api::{Call, Scope};
use crate::body::{BodyError, TagRequest};
use crate::codes::Coded;
use crate::edge::routes::{
    BodyPart, COMMON_HEADERS, JSON_HEADERS, PREFLIGHT_HEADERS, body_part, declared_length,
    origin_of, path_of, refusal_header,
};
use crate::edge::{
    AuditLog, Caller, Callers, EdgeError, RequestLog, Route, Session, UpstreamSettings,
    UserSigCache, request_id, route,
};
use crate::retry::{Next, Retries, RetryPolicy, TryOutcome};
use crate::upstream;

#[wasm_bindgen]
extern "C" {
    /// The runtime's `TextDecoder`, bound to hand back a string that stays in JavaScript.
    type TextDecoder;
    #[wasm_bindgen(constructor)]
    fn new(label: &str, options: &Object) -> TextDecoder;
    #[wasm_bindgen(method, catch)]
    fn decode(this: &TextDecoder, bytes: &Object) -> Result<JsString, JsValue>;

    /// `JSON.parse` on a string that stays in JavaScript.
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn parse_json(text: &JsString) -> Result<JsValue, JsValue>;
}

// A call and its whole answer as one promise, so that Rust awaits once rather than twice (each
// await from wasm costs two closures and a turn of the task queue), and an answer built in one
// crossing rather than one per header.
#[wasm_bindgen(inline_js = "export function exchange(url, init) {
  return fetch(url, init).then((answer) => answer.status === 200
    ? answer.arrayBuffer().then((body) => ({ status: 200, body }), () => ({ status: 200, body: null }))
    : { status: answer.status, body: null });
}
export function respond(status, body, headers, id, extraName, extraValue, origin) {
  const all = { ...headers, 'X-Request-Id': id };
  if (extraName) all[extraName] = extraValue;
  if (origin) all['Access-Control-Allow-Origin'] = origin;
  return new Response(body, { status, headers: all });
}")]
extern "C" {
    /// An answer: its HTTP status and, for a 200, its whole body.
    type Exchanged;
    #[wasm_bindgen(method, getter)]
    fn status(this: &Exchanged) -> u16;
    /// The body as an `ArrayBuffer`; none when the status is not 200 or the body was cut short.
    #[wasm_bindgen(method, getter)]
    fn body(this: &Exchanged) -> Option<Object>;
    /// `fetch(url, init)` and, for a 200, the whole body; rejects only when no answer came.
    fn exchange(url: &str, init: &RequestInit) -> js_sys::Promise;

    /// A `Response` with `headers` and this answer's own, made in one crossing.
    #[wasm_bindgen(catch, js_name = respond)]
    fn build_response(
        status: u16,
        body: &JsValue,
        headers: &Object,
        id: &str,
        extra_name: Option<&str>,
        extra_value: Option<&str>,
        origin: Option<&str>,
    ) -> Result<Response, JsValue>;
}

/// The rate-limit binding of `wrangler.toml`; without it, callers are not limited.
const RATE_LIMIT_BINDING: &str = "CALLER_LIMIT";
/// How long the Access key set may take to fetch.
const KEY_SET_TIMEOUT_MS: u32 = 5_000;

/// Settings read once per isolate: a Worker's environment does not change while it runs.
type PerIsolate<T> = OnceCell<Result<Rc<T>, EdgeError>>;

fn per_isolate<T>(
    cell: &'static LocalKey<PerIsolate<T>>,
    read: impl FnOnce() -> Result<T, EdgeError>,
) -> Result<Rc<T>, EdgeError> {
    cell.with(|cell| cell.get_or_init(|| read().map(Rc::new)).clone())
}

thread_local! {
    static CALLERS: PerIsolate<Callers> = const { OnceCell::new() };
    static UPSTREAM: PerIsolate<UpstreamSettings> = const { OnceCell::new() };
    /// One admin UserSig per isolate, shared by its requests.
    static USERSIG: RefCell<UserSigCache> = RefCell::default();
    /// The Access team's keys, per isolate.
    static ACCESS_KEYS: RefCell<KeySet> = RefCell::default();
    /// A decoder that refuses bytes that are not UTF-8, rather than replacing them.
    static UTF8: TextDecoder = {
        let options = Object::new();
        let _ = Reflect::set(&options, &"fatal".into(), &true.into());
        TextDecoder::new("utf-8", &options)
    };
}

/// What a request turned into: an answer, or a refusal to be written in the vendor's shape.
type Outcome = Result<Reply, EdgeError>;

/// An answer before it becomes the runtime's `Response`, which is built once, in [`respond`].
struct Reply {
    status: u16,
    body: Body,
    kind: Kind,
    /// A header that only this answer carries.
    extra: Option<(&'static str, &'static str)>,
    /// The `ErrorCode` it carries: the vendor's for a forwarded call, for the log.
    code: i64,
}

/// An answer's body: text written here, or bytes that stay in JavaScript.
enum Body {
    Empty,
    Text(String),
    /// An `ArrayBuffer`, or a view of one.
    Bytes(Object),
}

/// Which set of headers an answer starts from.
#[derive(Clone, Copy)]
enum Kind {
    Json,
    Preflight,
}

impl Reply {
    fn json(status: u16, body: Body) -> Self {
        Self {
            status,
            body,
            kind: Kind::Json,
            extra: None,
            code: 0,
        }
    }
}

/// What a request's log line tells beside its answer, gathered while it is handled.
#[derive(Default)]
struct Trace {
    /// The allowed origin to echo, for a cross-origin call.
    cors: Option<String>,
    /// Who called, once admitted.
    caller: Option<String>,
    /// Calls made to the vendor.
    tries: u32,
    /// Milliseconds spent on them, from the first call to the last answer.
    upstream_ms: Option<u64>,
}

#[event(fetch)]
async fn fetch(request: web_sys::Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let started_ms = js_sys::Date::now();
    let method = request.method();
    let url = request.url();
    let path = path_of(&url);
    let headers = request.headers();
    let id = request_id(header(&headers, "cf-ray").as_deref(), || {
        upstream::random_u64().unwrap_or_default()
    });
    let mut trace = Trace::default();
    let outcome = apart(handle(
        &request, &headers, &method, path, &url, &env, &id, &mut trace,
    ))
    .await;
    let (answer, info) = match outcome {
        Ok(answer) => (answer, None),
        Err(error) => (refusal(&error), Some(error.to_string())),
    };
    let line = RequestLog {
        event: "request",
        id: &id,
        method: &method,
        path,
        status: answer.status,
        code: answer.code,
        caller: trace.caller.as_deref(),
        tries: trace.tries,
        upstream_ms: trace.upstream_ms,
        ms: (js_sys::Date::now() - started_ms).max(0.0) as u64,
        info: info.as_deref(),
    };
    log(&line.to_json());
    respond(answer, trace.cors.as_deref(), &id)
        .map_err(|_| worker::Error::RustError("cannot build the answer".into()))
}

/// The checks in their order: method and path, origin, credentials, rate limit, scope,
/// configuration, body size, body shape; then the call.
#[allow(clippy::too_many_arguments)]
async fn handle(
    request: &web_sys::Request,
    headers: &web_sys::Headers,
    method: &str,
    path: &str,
    url: &str,
    env: &Env,
    id: &str,
    trace: &mut Trace,
) -> Outcome {
    let lookup = |name: &str| setting(env, name);
    let route = route(method, path)?;
    if route == Route::Health {
        return Ok(Reply::json(200, Body::Text(r#"{"ok":true}"#.into())));
    }
    let callers = per_isolate(&CALLERS, || Callers::from_env(lookup))?;
    trace.cors = callers.check_origin(header(headers, "Origin").as_deref(), origin_of(url))?;
    if route == Route::Preflight {
        return Ok(Reply {
            status: 204,
            body: Body::Empty,
            kind: Kind::Preflight,
            extra: None,
            code: 0,
        });
    }
    let caller = apart(authenticate(&callers, headers)).await?;
    trace.caller = Some(caller.name.clone());
    apart(limit_rate(env, &caller.rate_limit_key())).await?;
    if let Route::Call(call) = route
        && !caller.may(call.row().scope)
    {
        return Err(EdgeError::ReadOnly {
            caller: caller.name,
            path: call.path(),
        });
    }
    let upstream = per_isolate(&UPSTREAM, || UpstreamSettings::from_env(lookup))?;
    let Route::Call(call) = route else {
        // What is left after the health check and the preflight: the session.
        let session = Session::new(&caller, upstream.api()).to_json();
        return Ok(Reply::json(200, Body::Text(session)));
    };
    let body = apart(read_body(request, headers, call.row().max_body_bytes)).await?;
    // One copy into wasm, up to 1 MiB: the scan costs a pass over it, a parse far more.
    call.check_extent(&Uint8Array::new(&body).to_vec())?;
    let checked = call.check(&read_json(&body)?)?;
    let forwarded = apart(forward(&upstream, call, &checked, trace)).await;
    if call.row().scope == Scope::Write && trace.tries > 0 {
        let (code, failed) = match &forwarded {
            Ok(answer) => (answer.code, answer.failed.as_slice()),
            Err(error) => (error.code(), &[][..]),
        };
        let audit = AuditLog::new(id, &caller, call, &checked, code, failed);
        log(&audit.to_json());
    }
    let forwarded = forwarded?;
    Ok(Reply {
        code: forwarded.code,
        ..Reply::json(200, Body::Bytes(forwarded.body))
    })
}

/// A future whose code stays a function of its own rather than being inlined into its caller's.
/// Inlined, every path of a request made one wasm function of 74 KB, which cost a fresh Worker
/// 3 to 4 ms more on its first answer than the smaller functions a get reaches; a box per step
/// costs a call nothing measurable.
fn apart<'a, T>(future: impl Future<Output = T> + 'a) -> Pin<Box<dyn Future<Output = T> + 'a>> {
    Box::pin(future)
}

/// Admits a caller by panel token or, when configured, by Cloudflare Access.
async fn authenticate(callers: &Callers, headers: &web_sys::Headers) -> Result<Caller, EdgeError> {
    let refusal = match callers.by_token(header(headers, "Authorization").as_deref()) {
        Ok(caller) => return Ok(caller),
        Err(refusal) => refusal,
    };
    match (callers.access(), header(headers, "Cf-Access-Jwt-Assertion")) {
        (Some(config), Some(assertion)) => {
            let identity = apart(check_access_token(config, &assertion)).await?;
            Ok(callers.by_access(&identity))
        }
        _ => Err(refusal),
    }
}

/// Checks a Cloudflare Access token: its claims, then its RS256 signature with the team's key.
async fn check_access_token(config: &AccessConfig, assertion: &str) -> Result<Identity, EdgeError> {
    let token = AccessToken::parse::<JsValue>(assertion)?;
    let now_ms = js_sys::Date::now();
    token.check_claims(config, now_ms / 1000.0)?;
    if ACCESS_KEYS.with(|keys| keys.borrow().needs_fetch(&token.kid, now_ms)) {
        let fetched = fetch_key_set(&config.certs_url).await;
        ACCESS_KEYS.with(|keys| {
            let mut keys = keys.borrow_mut();
            match fetched {
                Ok(document) => keys.update(&document, now_ms),
                Err(error) => {
                    keys.fetch_failed(now_ms);
                    Err(error)
                }
            }
        })?;
    }
    let key = ACCESS_KEYS.with(|keys| keys.borrow().find(&token.kid).cloned());
    let key = key.ok_or(EdgeError::Unauthorized)?;
    match verify_rs256(&key, &token.signed, &token.signature).await {
        Ok(true) => Ok(token.identity()),
        Ok(false) => Err(EdgeError::Unauthorized),
        Err(_) => Err(EdgeError::Internal("cannot check an Access token")),
    }
}

async fn fetch_key_set(url: &str) -> Result<JsValue, EdgeError> {
    let unreadable = || EdgeError::Internal("the Access key set could not be fetched");
    let init = RequestInit::new();
    init.set_signal(Some(&AbortSignal::timeout_with_u32(KEY_SET_TIMEOUT_MS)));
    let answer = send_request(url, &init).await.map_err(|_| unreadable())?;
    // A body comes only with a 200.
    read_json(&answer.body().ok_or_else(unreadable)?).map_err(|_| unreadable())
}

/// `fetch(url, init)` with the runtime's own objects, and the whole body of a 200.
async fn send_request(url: &str, init: &RequestInit) -> Result<Exchanged, JsValue> {
    Ok(JsFuture::from(exchange(url, init)).await?.unchecked_into())
}

/// Parses JSON with the runtime's parser; the bytes and the text stay in JavaScript.
fn read_json(bytes: &Object) -> Result<JsValue, BodyError> {
    let text = UTF8
        .with(|decoder| decoder.decode(bytes))
        .map_err(|_| BodyError::NotUtf8)?;
    parse_json(&text).map_err(|error| BodyError::not_json(&message_of(&error)))
}

fn message_of(error: &JsValue) -> String {
    match error.dyn_ref::<js_sys::Error>() {
        Some(error) => error.message().into(),
        None => "unknown error".into(),
    }
}

/// RSASSA-PKCS1-v1_5 with SHA-256, by the runtime's WebCrypto.
async fn verify_rs256(key: &PublicKey, signed: &str, signature: &[u8]) -> Result<bool, JsValue> {
    let subtle = js_sys::global()
        .unchecked_into::<WorkerGlobalScope>()
        .crypto()?
        .subtle();
    let object = |pairs: &[(&str, JsValue)]| {
        let object = Object::new();
        for (name, value) in pairs {
            Reflect::set(&object, &(*name).into(), value)?;
        }
        Ok::<_, JsValue>(object)
    };
    let jwk = object(&[
        ("kty", "RSA".into()),
        ("n", key.n.as_str().into()),
        ("e", key.e.as_str().into()),
        ("alg", "RS256".into()),
    ])?;
    let hash = object(&[("name", "SHA-256".into())])?;
    let algorithm = object(&[("name", "RSASSA-PKCS1-v1_5".into()), ("hash", hash.into())])?;
    let usages = Array::of1(&"verify".into());
    let imported = subtle.import_key_with_object("jwk", &jwk, &algorithm, false, &usages)?;
    let key: CryptoKey = JsFuture::from(imported).await?.unchecked_into();
    let verified = subtle.verify_with_object_and_u8_array_and_u8_array(
        &algorithm,
        &key,
        signature,
        signed.as_bytes(),
    )?;
    Ok(JsFuture::from(verified).await?.as_bool() == Some(true))
}

/// Applies the per-caller rate limit, when the binding is configured.
async fn limit_rate(env: &Env, caller: &str) -> Result<(), EdgeError> {
    let limiter = Reflect::get(env, &RATE_LIMIT_BINDING.into()).unwrap_or_default();
    if limiter.is_undefined() {
        return Ok(());
    }
    let limiter: worker::worker_sys::RateLimiter = limiter.unchecked_into();
    let outcome = async {
        let options = Object::new();
        Reflect::set(&options, &"key".into(), &caller.into())?;
        let outcome = JsFuture::from(limiter.limit(options)?).await?;
        Reflect::get(&outcome, &"success".into())
    };
    match outcome.await.map(|success| success.as_bool()) {
        Ok(Some(true)) => Ok(()),
        Ok(_) => Err(EdgeError::RateLimited),
        Err(_) => {
            // The limiter is a safeguard, not a gate: its failure lets the call through.
            let caller = serde_json::to_string(caller).unwrap_or_default();
            console_error!(r#"{{"event":"rate_limiter_failed","caller":{caller}}}"#);
            Ok(())
        }
    }
}

/// Reads the body into a JavaScript buffer, and refuses it when it is over `limit`.
async fn read_body(
    request: &web_sys::Request,
    headers: &web_sys::Headers,
    limit: usize,
) -> Result<Object, EdgeError> {
    let too_large = EdgeError::BodyTooLarge { limit };
    let unreadable = |_| BodyError::Invalid("the body could not be read".into());
    let declared = declared_length(header(headers, "Content-Length").as_deref());
    if declared.is_some_and(|length| length > limit) {
        return Err(too_large);
    }
    if declared.is_some() {
        // The runtime enforces a declared length, so the body can be taken whole.
        let buffer = JsFuture::from(request.array_buffer().map_err(unreadable)?).await;
        return Ok(buffer.map_err(unreadable)?.unchecked_into());
    }
    let Some(stream) = request.body() else {
        return Ok(Uint8Array::new_with_length(0).into());
    };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut body = Vec::new();
    let mut received = 0;
    loop {
        let read = JsFuture::from(reader.read()).await.map_err(unreadable)?;
        if Reflect::get(&read, &"done".into()).is_ok_and(|done| done.is_truthy()) {
            return match body_part(received, limit) {
                BodyPart::Keep => Ok(Uint8Array::from(body.as_slice()).into()),
                BodyPart::Drop | BodyPart::Refuse => Err(too_large),
            };
        }
        let chunk: Uint8Array = Reflect::get(&read, &"value".into())
            .map_err(unreadable)?
            .dyn_into()
            .map_err(unreadable)?;
        received += chunk.length() as usize;
        match body_part(received, limit) {
            BodyPart::Keep => {
                let start = body.len();
                body.resize(received, 0);
                chunk.copy_to(&mut body[start..]);
            }
            BodyPart::Drop => {}
            BodyPart::Refuse => return Err(too_large),
        }
    }
}

/// What the vendor's last answer to a forwarded call said, and the answer as it came.
struct Forwarded {
    code: i64,
    /// The accounts its `ErrorList` names (read for writes only).
    failed: Vec<AccountError>,
    body: Object,
}

/// Signs and sends the checked body to the vendor, trying again as [`Retries`] says within
/// the upstream timeout, and passes the last answer through once it reads as the vendor's.
async fn forward(
    upstream: &UpstreamSettings,
    call: Call,
    checked: &TagRequest,
    trace: &mut Trace,
) -> Result<Forwarded, EdgeError> {
    let body = checked.to_json();
    let mut now_ms = js_sys::Date::now();
    let started_ms = now_ms;
    let deadline = now_ms + f64::from(upstream.timeout_ms());
    let mut retries = Retries::new(RetryPolicy::EDGE);
    let (mut sign_again, mut use_backup) = (false, false);
    loop {
        let signed = USERSIG.with(|cache| {
            let mut cache = cache.borrow_mut();
            if sign_again {
                cache.clear();
            }
            cache.get(upstream, (now_ms / 1000.0) as u64)
        });
        // One draw per try: the request's nonce, and the pause before the next try if any.
        let random = upstream::random().map_err(|_| EdgeError::Internal("no random source"))?;
        let url = upstream.url(call, &signed, random, use_backup);
        let remaining_ms = deadline - now_ms;
        let result = apart(send(call, &url, &body, remaining_ms, upstream.timeout_ms())).await;
        trace.tries = retries.tries() + 1;
        let outcome = match &result {
            Ok(answer) => TryOutcome::Answered(answer.code),
            Err(error) => error.try_outcome(),
        };
        now_ms = js_sys::Date::now();
        trace.upstream_ms = Some((now_ms - started_ms).max(0.0) as u64);
        match retries.after(outcome, deadline - now_ms, random) {
            Next::Stop => return result,
            Next::Retry {
                after_ms,
                sign_again: again,
                use_backup: backup,
            } => {
                Delay::from(Duration::from_millis(after_ms.into())).await;
                now_ms = js_sys::Date::now();
                sign_again = again;
                use_backup |= backup;
            }
        }
    }
}

/// One try: the vendor's answer, once it reads as one of the vendor's shape.
async fn send(
    call: Call,
    url: &str,
    body: &str,
    remaining_ms: f64,
    timeout_ms: u32,
) -> Result<Forwarded, EdgeError> {
    let signal = AbortSignal::timeout_with_f64(remaining_ms.max(1.0));
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(body));
    UPSTREAM_HEADERS.with(|headers| init.set_headers(headers));
    init.set_signal(Some(&signal));
    // No answer, or only part of one: the timeout when it fired, else the network.
    let no_answer = || {
        if signal.aborted() {
            EdgeError::UpstreamTimeout { timeout_ms }
        } else {
            EdgeError::UpstreamUnreachable
        }
    };
    let answer = send_request(url, &init).await.map_err(|_| no_answer())?;
    let status = answer.status();
    if status != 200 {
        return Err(EdgeError::UpstreamNotAnAnswer(format!("HTTP {status}")));
    }
    let bytes = answer.body().ok_or_else(|| match no_answer() {
        EdgeError::UpstreamUnreachable => {
            EdgeError::UpstreamNotAnAnswer("the answer was cut short".into())
        }
        other => other,
    })?;
    let not_an_answer = || EdgeError::UpstreamNotAnAnswer(format!("not an answer to {call}"));
    let json = read_json(&bytes).map_err(|_| not_an_answer())?;
    let code = Status::read(&json).ok_or_else(not_an_answer)?.code;
    let failed = match call.row().scope {
        Scope::Write => failed_accounts(&json).ok_or_else(not_an_answer)?,
        Scope::Read => Vec::new(),
    };
    Ok(Forwarded {
        code,
        failed,
        body: bytes,
    })
}

/// A vendor-shaped answer for a refusal, with the status that says why.
fn refusal(error: &EdgeError) -> Reply {
    let body = Answer::failure(&VendorError::from_error(error)).to_json();
    Reply {
        extra: refusal_header(error),
        code: error.code(),
        ..Reply::json(error.http_status(), Body::Text(body))
    }
}

thread_local! {
    /// The headers of every call to the vendor.
    static UPSTREAM_HEADERS: Object = {
        let headers = Object::new();
        let _ = Reflect::set(&headers, &"Content-Type".into(), &"application/json".into());
        headers
    };
    /// The headers of each kind of answer, built once per isolate as plain objects that the
    /// runtime reads when it builds a `Response`.
    static JSON_TEMPLATE: Object = headers(&JSON_HEADERS);
    static PREFLIGHT_TEMPLATE: Object = headers(&PREFLIGHT_HEADERS);
}

/// The headers every answer carries, and those of its kind.
fn headers(of_kind: &[(&str, &str)]) -> Object {
    let headers = Object::new();
    for (name, value) in COMMON_HEADERS.iter().chain(of_kind) {
        let _ = Reflect::set(&headers, &(*name).into(), &(*value).into());
    }
    headers
}

/// Builds the runtime's `Response`: the headers of its kind, and those of this answer alone.
fn respond(answer: Reply, cors: Option<&str>, id: &str) -> Result<Response, JsValue> {
    let template = match answer.kind {
        Kind::Json => &JSON_TEMPLATE,
        Kind::Preflight => &PREFLIGHT_TEMPLATE,
    };
    let body = match answer.body {
        Body::Empty => JsValue::NULL,
        Body::Text(text) => JsValue::from_str(&text),
        Body::Bytes(bytes) => bytes.into(),
    };
    let (extra_name, extra_value) = answer.extra.unzip();
    template.with(|headers| {
        build_response(
            answer.status,
            &body,
            headers,
            id,
            extra_name,
            extra_value,
            cors,
        )
    })
}

/// Writes one log line. (`make bench` also builds a Worker with the feature `bench-quiet`,
/// which writes none, to measure what the lines cost; no deployed build has it.)
fn log(line: &str) {
    #[cfg(not(feature = "bench-quiet"))]
    worker::console_log!("{line}");
    #[cfg(feature = "bench-quiet")]
    let _ = line;
}

fn header(headers: &web_sys::Headers, name: &str) -> Option<String> {
    headers.get(name).ok().flatten()
}

/// A var or secret, trimmed; unset and empty are the same.
fn setting(env: &Env, name: &str) -> Option<String> {
    let value = env.var(name).map(|v| v.to_string()).ok()?;
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}
