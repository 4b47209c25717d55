//! The Cloudflare Worker: carries requests and answers between the runtime and the decisions
//! of [`crate::edge`], which holds every rule that needs no runtime.
//!
//! Requests, answers and the upstream fetch use the runtime's own objects through web-sys and
//! two small JavaScript functions (a call with its whole answer, and an answer's `Response`),
//! and JSON is read with the runtime's `JSON.parse`: a request body's bytes cross into wasm once,
//! for the scan of its structure that comes before parsing ([`crate::api::json::Extent`]); its text
//! and parsed values stay in JavaScript and only the values checked cross. workers-rs provides
//! the entry point, the environment and timers.

mod access;
mod caller_limit;
mod history;
mod js;
mod pacer;
mod pacing;
mod reply;
mod request_body;
mod vendor;

use std::cell::OnceCell;
use std::pin::Pin;
use std::rc::Rc;
use std::thread::LocalKey;

use js_sys::Uint8Array;
use web_sys::Response;
use worker::{Context, Env, ScheduleContext, ScheduledEvent, event};

use crate::api::calls::{Call, Scope};
use crate::api::ratelimit;
use crate::api::region;
use crate::edge::history::{BATCH_HEADER, Change, HistoryRoute, batch_of, changed_accounts};
use crate::edge::routes::{origin_of, path_of};
use crate::edge::setting::SettingProblems;
use crate::edge::{
    Caller, Callers, EdgeError, RequestLog, Route, Session, UpstreamSettings, request_id, route,
};
use pacing::Pacing;
use reply::{Reply, ReplyBody, refusal, respond};

/// Settings read once per isolate: a Worker's environment does not change while it runs.
type PerIsolate<T> = OnceCell<Result<Rc<T>, SettingProblems>>;

fn per_isolate<T>(
    cell: &'static LocalKey<PerIsolate<T>>,
    read: impl FnOnce() -> Result<T, SettingProblems>,
) -> Result<Rc<T>, EdgeError> {
    cell.with(|cell| cell.get_or_init(|| read().map(Rc::new)).clone())
        .map_err(EdgeError::Misconfigured)
}

thread_local! {
    static CALLERS: PerIsolate<Callers> = const { OnceCell::new() };
    static UPSTREAM: PerIsolate<UpstreamSettings> = const { OnceCell::new() };
}

/// What a request turned into: an answer, or a refusal to be written in the vendor's shape.
type Handled = Result<Reply, EdgeError>;

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
    /// Milliseconds spent waiting for their slots of the app's vendor rate.
    waited_ms: Option<u64>,
    /// The app's rate on the call's path as its last slot was asked for: calls a second, what
    /// is left of them, and the seconds until the window resets.
    rate: Option<(u32, u32, u32)>,
}

/// One request as it came, and what the Worker reads beside it.
struct Incoming<'a> {
    request: &'a web_sys::Request,
    headers: web_sys::Headers,
    method: String,
    url: String,
    env: &'a Env,
    /// The request's id, in its answer and its log lines.
    id: String,
}

impl Incoming<'_> {
    fn path(&self) -> &str {
        path_of(&self.url)
    }

    fn header(&self, name: &str) -> Option<String> {
        header(&self.headers, name)
    }

    fn setting(&self, name: &str) -> Option<String> {
        setting(self.env, name)
    }
}

#[event(fetch)]
async fn fetch(request: web_sys::Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let started_ms = js_sys::Date::now();
    let headers = request.headers();
    let id = request_id(header(&headers, "cf-ray").as_deref(), || {
        region::random_u64().unwrap_or_default()
    });
    let incoming = Incoming {
        request: &request,
        headers,
        method: request.method(),
        url: request.url(),
        env: &env,
        id,
    };
    let mut trace = Trace::default();
    let (mut answer, info) = match apart(handle(&incoming, &mut trace)).await {
        Ok(answer) => (answer, None),
        Err(error) => (refusal(&error), Some(error.to_string())),
    };
    answer.rate = trace
        .rate
        .map(|(quota, remaining, reset_s)| ratelimit::fields(quota, remaining, reset_s));
    let line = RequestLog {
        event: "request",
        id: &incoming.id,
        method: &incoming.method,
        path: incoming.path(),
        status: answer.status,
        code: answer.code,
        caller: trace.caller.as_deref(),
        tries: trace.tries,
        upstream_ms: trace.upstream_ms,
        waited_ms: trace.waited_ms,
        ms: (js_sys::Date::now() - started_ms).max(0.0) as u64,
        info: info.as_deref(),
    };
    log(&line.to_json());
    respond(answer, trace.cors.as_deref(), &incoming.id)
        .map_err(|_| worker::Error::RustError("cannot build the answer".into()))
}

/// The checks in their order: method and path, origin, credentials, rate limit, scope,
/// configuration, body size, body shape; then the call. Every route is answered here, by name.
async fn handle(incoming: &Incoming<'_>, trace: &mut Trace) -> Handled {
    match route(&incoming.method, incoming.path())? {
        Route::Health => {
            // A Worker that would refuse every call is not healthy: say which setting is wrong
            // (by name; values of secrets are never quoted).
            per_isolate(&CALLERS, || {
                Callers::from_env(|name| incoming.setting(name))
            })?;
            upstream_settings(incoming)?;
            Ok(Reply::json(200, ReplyBody::Text(r#"{"ok":true}"#.into())))
        }
        Route::Preflight => {
            check_origin(incoming, trace)?;
            Ok(Reply::preflight())
        }
        Route::Session => {
            let caller = admit(incoming, trace).await?;
            let upstream = upstream_settings(incoming)?;
            let calls_per_second = upstream.pace().calls_per_second;
            let session = Session::new(&caller, upstream.api(), calls_per_second).to_json();
            Ok(Reply::json(200, ReplyBody::Text(session)))
        }
        Route::Call(call) => {
            let caller = admit(incoming, trace).await?;
            if !caller.may(call.row().scope) {
                return Err(EdgeError::ReadOnly {
                    caller: caller.name,
                    path: call.path(),
                });
            }
            let upstream = upstream_settings(incoming)?;
            apart(call_vendor(incoming, &caller, call, &upstream, trace)).await
        }
        Route::History(history) => {
            let caller = admit(incoming, trace).await?;
            match history {
                HistoryRoute::List => apart(history::list(incoming)).await,
                HistoryRoute::Change(id) => apart(history::one(incoming, id)).await,
                HistoryRoute::Undo(id) => {
                    if !caller.may(Scope::Write) {
                        return Err(EdgeError::ReadOnly {
                            caller: caller.name,
                            path: crate::edge::history::UNDO_PATH,
                        });
                    }
                    let batch = batch_of(incoming.header(BATCH_HEADER).as_deref())?;
                    let upstream = upstream_settings(incoming)?;
                    apart(history::undo(
                        incoming, &caller, id, &upstream, batch, trace,
                    ))
                    .await
                }
            }
        }
    }
}

/// The callers' settings, and the origin of a cross-origin call checked against them.
fn check_origin(incoming: &Incoming<'_>, trace: &mut Trace) -> Result<Rc<Callers>, EdgeError> {
    let callers = per_isolate(&CALLERS, || {
        Callers::from_env(|name| incoming.setting(name))
    })?;
    let origin = incoming.header("Origin");
    trace.cors = callers.check_origin(origin.as_deref(), origin_of(&incoming.url))?;
    Ok(callers)
}

/// Who is calling, once its origin, its credentials and its rate are checked.
async fn admit(incoming: &Incoming<'_>, trace: &mut Trace) -> Result<Caller, EdgeError> {
    let callers = check_origin(incoming, trace)?;
    let caller = apart(access::authenticate(&callers, &incoming.headers)).await?;
    trace.caller = Some(caller.name.clone());
    apart(caller_limit::limit_rate(
        incoming.env,
        &caller.rate_limit_key(),
    ))
    .await?;
    Ok(caller)
}

fn upstream_settings(incoming: &Incoming<'_>) -> Result<Rc<UpstreamSettings>, EdgeError> {
    per_isolate(&UPSTREAM, || {
        UpstreamSettings::from_env(|name| incoming.setting(name))
    })
}

/// Reads and checks the body, forwards it, and leaves an audit line for a write that reached
/// the vendor.
async fn call_vendor(
    incoming: &Incoming<'_>,
    caller: &Caller,
    call: Call,
    upstream: &UpstreamSettings,
    trace: &mut Trace,
) -> Handled {
    let batch = batch_of(incoming.header(BATCH_HEADER).as_deref())?;
    let limit = call.row().max_body_bytes;
    let body = apart(request_body::read_body(
        incoming.request,
        &incoming.headers,
        limit,
    ))
    .await?;
    // One copy into wasm, up to 1 MiB: the scan costs a pass over it, a parse far more.
    call.check_extent(&Uint8Array::new(&body).to_vec())?;
    let checked = call.check(&js::read_json(&body)?)?;
    let pacing = Pacing {
        env: incoming.env.as_ref(),
        app: upstream.sdkappid().to_string(),
        caller: &caller.name,
        pace: upstream.pace(),
    };
    let write = match call.row().scope {
        Scope::Read => false,
        Scope::Write => true,
    };
    // A write's accounts are read just before it, for the history's `before`; without a
    // HISTORY binding the Worker keeps no history.
    let kept = write && history::bound(incoming.env);
    let before = match kept {
        true => {
            apart(history::read_before(
                upstream, &pacing, call, &checked, trace,
            ))
            .await
        }
        false => None,
    };
    let forwarded = apart(vendor::forward(upstream, &pacing, call, &checked, trace)).await;
    // A write that reached the vendor, answered or not, is audited and kept.
    let end = match write && trace.tries > 0 {
        true => {
            let end = history::write_end(&forwarded);
            history::audit(incoming, caller, call, &checked, end);
            Some(end)
        }
        false => None,
    };
    let (Some(end), true) = (end, kept) else {
        let forwarded = forwarded?;
        return Ok(Reply::forwarded(forwarded.code, forwarded.body));
    };
    let change = Change {
        at_ms: js_sys::Date::now() as i64,
        caller: caller.name.clone(),
        op: call.row().name,
        api: call.api.name(),
        request_id: incoming.id.clone(),
        tags: checked.tags().into_iter().map(str::to_owned).collect(),
        replace: checked.replace(),
        code: end.code(),
        batch,
        undo_of: None,
        accounts: changed_accounts(call, &checked, before.as_deref(), end),
    };
    let mut reply = match &forwarded {
        Ok(_) => Reply::json(200, ReplyBody::Empty),
        Err(error) => reply::refusal(error),
    };
    let stored = apart(history::keep(incoming.env, &change, &mut reply)).await;
    match forwarded {
        Ok(answer) => {
            let mut forwarded = Reply::forwarded(answer.code, answer.body);
            forwarded.extra = reply.extra;
            Ok(forwarded)
        }
        // Kept, the refusal goes the usual way, with what it says in the request's log line.
        Err(error) if stored.is_some() => Err(error),
        Err(_) => Ok(reply),
    }
}

/// The cron trigger: the history's retention.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    history::retain(&env, event.schedule()).await;
}

/// A future whose code stays a function of its own rather than being inlined into its caller's.
/// Inlined, every path of a request made one wasm function of 74 KB, which cost a fresh Worker
/// 3 to 4 ms more on its first answer than the smaller functions a get reaches; a box per step
/// costs a call nothing measurable.
fn apart<'a, T>(future: impl Future<Output = T> + 'a) -> Pin<Box<dyn Future<Output = T> + 'a>> {
    Box::pin(future)
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
