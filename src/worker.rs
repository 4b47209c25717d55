//! The Cloudflare Worker: translates between workers-rs and the decisions in [`crate::edge`].

use std::cell::{OnceCell, RefCell};
use std::rc::Rc;
use std::thread::LocalKey;
use std::time::Duration;

use futures_util::StreamExt;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, WorkerGlobalScope};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::{
    AbortSignal, Context, Delay, Env, Fetch, Method, Request, Response, console_error, console_log,
    event,
};

use crate::access_jwt::{AccessConfig, AccessToken, KeySet, PublicKey};
use crate::edge::{
    Access, MAX_BODY_BYTES, Next, Retries, Route, TryOutcome, Upstream, UserSigCache, route,
};
use crate::{Error, GetTagsRequest, GetTagsResponse, UserSig, upstream};

/// The rate-limit binding of `wrangler.toml`; without it, callers are not limited.
const RATE_LIMIT_BINDING: &str = "CALLER_LIMIT";
/// How long the Access key set may take to fetch.
const KEY_SET_TIMEOUT_MS: u32 = 5_000;

/// Settings read once per isolate: a Worker's environment does not change while it runs.
type Cached<T> = OnceCell<std::result::Result<Rc<T>, Error>>;

fn settings<T>(
    cell: &'static LocalKey<Cached<T>>,
    read: impl FnOnce() -> std::result::Result<T, Error>,
) -> std::result::Result<Rc<T>, Error> {
    cell.with(|cell| cell.get_or_init(|| read().map(Rc::new)).clone())
}

thread_local! {
    static ACCESS: Cached<Access> = const { OnceCell::new() };
    static UPSTREAM: Cached<Upstream> = const { OnceCell::new() };
    /// One admin UserSig per isolate, shared by its requests.
    static USERSIG: RefCell<UserSigCache> = RefCell::default();
    /// The Access team's keys, per isolate.
    static ACCESS_KEYS: RefCell<KeySet> = RefCell::default();
}

/// What a request turned into: an answer, or a refusal to be written in the vendor's shape.
type Outcome = std::result::Result<Response, Error>;

#[event(fetch)]
async fn fetch(request: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let method = request.method().to_string();
    let path = request.path();
    let mut cors = None;
    let outcome = handle(request, &method, &path, &env, &mut cors).await;
    let response = outcome.unwrap_or_else(|error| {
        console_log!("{method} {path}: {} {}", error.http_status(), error);
        refusal(&error)
    });
    Ok(finish(response, cors.as_deref()))
}

async fn handle(
    mut request: Request,
    method: &str,
    path: &str,
    env: &Env,
    cors: &mut Option<String>,
) -> Outcome {
    let lookup = |name: &str| setting(env, name);
    let route = route(method, path)?;
    if route == Route::Health {
        return json(200, br#"{"ok":true}"#.to_vec());
    }
    let access = settings(&ACCESS, || Access::from_env(lookup))?;
    let url = request.inner().url();
    *cors = access.check_origin(header(&request, "Origin").as_deref(), origin_of(&url))?;
    if route == Route::Preflight {
        return preflight();
    }
    let caller = authenticate(&access, &request).await?;
    limit_rate(env, caller).await?;
    let upstream = settings(&UPSTREAM, || Upstream::from_env(lookup))?;
    let body = read_body(&mut request).await?;
    let tags_request = GetTagsRequest::from_json(&body)?;
    forward(&upstream, &tags_request).await
}

/// Admits a caller by panel token or, when configured, by Cloudflare Access; returns who it is.
async fn authenticate(access: &Access, request: &Request) -> std::result::Result<String, Error> {
    let by_token = access.check_credentials(header(request, "Authorization").as_deref());
    match (
        by_token,
        access.jwt(),
        header(request, "Cf-Access-Jwt-Assertion"),
    ) {
        (Ok(caller), _, _) => Ok(caller),
        (Err(_), Some(config), Some(assertion)) => check_access_token(config, &assertion).await,
        (Err(refusal), _, _) => Err(refusal),
    }
}

/// Checks a Cloudflare Access token: its claims, then its RS256 signature with the team's key.
async fn check_access_token(
    config: &AccessConfig,
    assertion: &str,
) -> std::result::Result<String, Error> {
    let token = AccessToken::parse(assertion)?;
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
    let key = key.ok_or(Error::Unauthorized)?;
    match verify_rs256(&key, &token.signed, &token.signature).await {
        Ok(true) => Ok(token.identity()),
        Ok(false) => Err(Error::Unauthorized),
        Err(_) => Err(Error::Internal("cannot check an Access token")),
    }
}

async fn fetch_key_set(url: &str) -> std::result::Result<Vec<u8>, Error> {
    let unreadable = || Error::Internal("the Access key set could not be fetched");
    let request = Request::new(url, Method::Get).map_err(|_| unreadable())?;
    let signal: AbortSignal =
        worker::web_sys::AbortSignal::timeout_with_u32(KEY_SET_TIMEOUT_MS).into();
    let mut response = Fetch::Request(request)
        .send_with_signal(&signal)
        .await
        .map_err(|_| unreadable())?;
    if response.status_code() != 200 {
        return Err(unreadable());
    }
    response.bytes().await.map_err(|_| unreadable())
}

/// RSASSA-PKCS1-v1_5 with SHA-256, by the runtime's WebCrypto.
async fn verify_rs256(
    key: &PublicKey,
    signed: &str,
    signature: &[u8],
) -> std::result::Result<bool, JsValue> {
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
async fn limit_rate(env: &Env, caller: String) -> std::result::Result<(), Error> {
    let Ok(limiter) = env.rate_limiter(RATE_LIMIT_BINDING) else {
        return Ok(());
    };
    match limiter.limit(caller).await {
        Ok(outcome) if outcome.success => Ok(()),
        Ok(_) => Err(Error::RateLimited),
        Err(_) => {
            // The limiter is a safeguard, not a gate: its failure lets the call through.
            console_error!("rate limiter failed; call let through");
            Ok(())
        }
    }
}

/// Reads the body, refusing it as soon as it grows past the limit.
async fn read_body(request: &mut Request) -> std::result::Result<Vec<u8>, Error> {
    let too_large = Error::BodyTooLarge {
        limit: MAX_BODY_BYTES,
    };
    let declared = header(request, "Content-Length").and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
        return Err(too_large);
    }
    if declared.is_some() {
        // The runtime enforces a declared length, so the body can be taken whole.
        return request
            .bytes()
            .await
            .map_err(|_| Error::InvalidBody("the body could not be read".into()));
    }
    let mut body = Vec::new();
    let Ok(mut stream) = request.stream() else {
        return Ok(body); // No body at all.
    };
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| Error::InvalidBody("the body could not be read".into()))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Signs and sends the request to the vendor, trying again as [`Retries`] says within the
/// upstream timeout, and passes the last answer through once it reads as one.
async fn forward(upstream: &Upstream, tags_request: &GetTagsRequest) -> Outcome {
    let body = tags_request.to_json();
    let deadline = js_sys::Date::now() + f64::from(upstream.timeout_ms());
    let mut retries = Retries::default();
    let (mut sign_again, mut use_backup) = (false, false);
    loop {
        let usersig = USERSIG.with(|cache| {
            let mut cache = cache.borrow_mut();
            if sign_again {
                cache.clear();
            }
            cache.get(upstream, (js_sys::Date::now() / 1000.0) as u64)
        });
        let url = upstream.url(&usersig, upstream::random()?, use_backup);
        let remaining_ms = deadline - js_sys::Date::now();
        let result = send(&url, &body, remaining_ms, upstream.timeout_ms(), &usersig).await;
        let outcome = match &result {
            Ok((code, _)) => TryOutcome::Answered(*code),
            Err(Error::UpstreamTimeout { .. }) => TryOutcome::TimedOut,
            Err(Error::UpstreamUnreachable) => TryOutcome::Unreachable,
            Err(_) => TryOutcome::Unreadable,
        };
        let remaining_ms = deadline - js_sys::Date::now();
        match retries.after(outcome, remaining_ms, upstream::random()?) {
            Next::Stop => return result.and_then(|(_, answer)| json(200, answer)),
            Next::Retry {
                after_ms,
                sign_again: again,
                use_backup: backup,
            } => {
                console_log!("upstream: {outcome:?}; trying again in {after_ms} ms");
                Delay::from(Duration::from_millis(after_ms.into())).await;
                sign_again = again;
                use_backup |= backup;
            }
        }
    }
}

/// One try: the vendor's `ErrorCode` and its answer as sent, once it reads as a get-tags answer.
async fn send(
    url: &str,
    body: &str,
    remaining_ms: f64,
    timeout_ms: u32,
    usersig: &UserSig,
) -> std::result::Result<(i64, Vec<u8>), Error> {
    // Built on web-sys directly: workers-rs' RequestInit serializes its `cf` options on every call.
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(body));
    let headers = Object::new();
    let _ = Reflect::set(&headers, &"Content-Type".into(), &"application/json".into());
    init.set_headers(&headers);
    let outbound: Request = web_sys::Request::new_with_str_and_init(url, &init)
        .map_err(|_| Error::Internal("cannot build the upstream request"))?
        .into();
    let signal: AbortSignal =
        worker::web_sys::AbortSignal::timeout_with_f64(remaining_ms.max(1.0)).into();
    let failed = |error: worker::Error| {
        if signal.aborted() {
            Error::UpstreamTimeout { timeout_ms }
        } else {
            console_error!("upstream: {}", redact(&error.to_string(), usersig));
            Error::UpstreamUnreachable
        }
    };
    let mut answer = Fetch::Request(outbound)
        .send_with_signal(&signal)
        .await
        .map_err(failed)?;
    if answer.status_code() != 200 {
        return Err(Error::UpstreamUnreadable(format!(
            "HTTP {}",
            answer.status_code()
        )));
    }
    let body = answer.bytes().await.map_err(|error| match failed(error) {
        Error::UpstreamUnreachable => Error::UpstreamUnreadable("the answer was cut short".into()),
        other => other,
    })?;
    match serde_json::from_slice::<AnswerStatus>(&body) {
        Ok(status) => Ok((status.error_code, body)),
        Err(_) => Err(Error::UpstreamUnreadable("not a get-tags answer".into())),
    }
}

/// What the edge reads of a vendor answer it passes through: that it is a JSON object of the
/// vendor's shape, and its code. The rest is checked as JSON but not kept.
#[derive(serde::Deserialize)]
struct AnswerStatus {
    #[serde(rename = "ActionStatus")]
    _action_status: String,
    #[serde(rename = "ErrorCode", default)]
    error_code: i64,
}

/// A vendor-shaped answer for a refusal, with the status that says why.
fn refusal(error: &Error) -> Response {
    let body = GetTagsResponse::failure(error).to_json().into_bytes();
    let response = json(error.http_status(), body).unwrap_or_else(|_| Response::empty().unwrap());
    match error {
        Error::MethodNotAllowed { allow, .. } => set(response, "Allow", allow),
        Error::Unauthorized => set(response, "WWW-Authenticate", "Bearer"),
        _ => response,
    }
}

fn json(status: u16, body: Vec<u8>) -> Outcome {
    let response = Response::from_bytes(body)
        .map_err(|_| Error::Internal("cannot build the answer"))?
        .with_status(status);
    Ok(set(
        response,
        "Content-Type",
        "application/json; charset=utf-8",
    ))
}

fn preflight() -> Outcome {
    let response = Response::empty()
        .map_err(|_| Error::Internal("cannot build the answer"))?
        .with_status(204);
    let response = set(response, "Access-Control-Allow-Methods", "POST, OPTIONS");
    let response = set(
        response,
        "Access-Control-Allow-Headers",
        "Authorization, Content-Type",
    );
    Ok(set(response, "Access-Control-Max-Age", "600"))
}

/// Headers every answer carries.
fn finish(response: Response, cors: Option<&str>) -> Response {
    let response = set(response, "Cache-Control", "no-store");
    let response = set(response, "X-Content-Type-Options", "nosniff");
    let response = set(response, "Vary", "Origin");
    match cors {
        Some(origin) => set(response, "Access-Control-Allow-Origin", origin),
        None => response,
    }
}

fn set(mut response: Response, name: &str, value: &str) -> Response {
    // Setting a valid header on a response we built cannot fail.
    let _ = response.headers_mut().set(name, value);
    response
}

/// The scheme and host of a serialized URL, as the runtime hands it over already parsed.
fn origin_of(url: &str) -> &str {
    let host = url.find("://").map_or(0, |i| i + 3);
    &url[..url[host..].find('/').map_or(url.len(), |i| host + i)]
}

fn header(request: &Request, name: &str) -> Option<String> {
    request.headers().get(name).ok().flatten()
}

/// A var or secret, trimmed; unset and empty are the same.
fn setting(env: &Env, name: &str) -> Option<String> {
    let value = env.var(name).map(|v| v.to_string()).ok()?;
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// Removes the UserSig from a runtime error message before it is logged.
fn redact(message: &str, usersig: &UserSig) -> String {
    message.replace(usersig.expose(), "[UserSig]")
}
