//! A local stand-in for the vendor's tag API, both generations: it checks every query
//! parameter and the UserSig as the vendor does, enforces the vendor's limits, keeps tags in
//! a [`Store`] seeded at start, and injects faults on request so that clients can be tested
//! against them.
//!
//! Besides the eight calls it serves, for tests, control endpoints.
//! Each control request must carry the header `X-Tim-Emulator: control`, which no web page
//! can send to another origin without a CORS preflight; the emulator grants CORS only to the
//! one origin it is told to (`allow_origin`), so no other page can drive it or read it.
//! - `POST /_emulator/faults` with a JSON array of faults, each applied to one coming call in
//!   order (`{"kind":"error","code":91000}`, `{"kind":"delay","ms":3000}`,
//!   `{"kind":"status","status":502}`, `{"kind":"malformed"}`, `{"kind":"truncated"}`,
//!   `{"kind":"drop"}`; `"times": N` repeats one; `"path": "/v4/timpush/add_tag"` keeps it for
//!   calls at that path); `DELETE` clears them.
//! - `GET /_emulator/calls`: the calls received, with a SHA-256 of each UserSig (never the
//!   UserSig itself); `DELETE` clears them.
//! - `GET /_emulator/rate`: how fast each path was called, for the seconds of the last ten
//!   minutes: `{"calls_per_second":100,"paths":{"/v4/timpush/get_tag":[{"second":3,
//!   "received":104,"refused":4},...]}}`, each path that was called with its seconds (whole
//!   seconds since the emulator started) in ascending order; `received` counts every call that
//!   arrived, `refused` those the limit answered with 60007 (not injected faults). `DELETE`
//!   clears it; the limit's windows go on.
//!
//! The limit holds per path, as the vendor's does: at most `calls_per_second` calls at each of
//! the eight paths in any one second, each path with its own budget.

mod rate;
mod store;

pub use rate::{Arrival, PathRates, REPORT_SECONDS, RateReport, Tally};
pub use store::{Applied, MAX_TAGS_PER_APP, MAX_TAGS_PER_USER, Store};

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;

use crate::api::account::account_problem;
use crate::api::answer::{Answer, VendorError};
use crate::api::calls::{Call, TagApi};
use crate::api::codes::{KEY_OR_APP_NOT_FOUND, NOT_ADMIN, RATE_LIMITED};
use crate::api::request::{TagRequest, UserTags};
use crate::{SecretKey, Signer};

/// The demo data set: a few hundred accounts (two of them devices' RegistrationIDs) and their tags.
pub const DEMO_TAGS: &str = include_str!("demo-tags.json");
/// The vendor's rate limit for this API, at each path.
pub const CALLS_PER_SECOND: usize = 100;
/// The largest body the emulator reads: more than any call's largest valid body.
const MAX_READ_BYTES: usize = 2 * 1024 * 1024;
/// The vendor's code for a request URL it cannot parse.
const BAD_URL: i64 = 60002;
/// The emulator's code for a call of the generation the app does not have switched on (the
/// vendor documents none).
pub const GENERATION_OFF: i64 = 90010;
/// The header every control request carries, and its value.
pub const CONTROL_HEADER: (&str, &str) = ("x-tim-emulator", "control");

/// Who the emulated app is, and what it knows.
pub struct Config {
    /// The app's SDKAppID.
    pub sdkappid: u64,
    /// The app's secret key, to verify UserSigs.
    pub key: SecretKey,
    /// The app's administrator account.
    pub admin: String,
    /// The app's tags at start: each account's, and with them the accounts that exist in the
    /// current generation.
    pub store: Store,
    /// The one generation the app has switched on; both, when `None`.
    pub api: Option<TagApi>,
    /// Calls allowed at each path in any one second.
    pub calls_per_second: usize,
    /// The one web origin whose pages may call the emulator (a browser test suite's), which
    /// lets them drive the control endpoints; none by default.
    pub allow_origin: Option<HeaderValue>,
}

/// A fault to inject into one call.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer with this vendor error code.
    Error {
        /// The `ErrorCode`.
        code: i64,
    },
    /// Wait, then answer normally.
    Delay {
        /// How long, in milliseconds.
        ms: u64,
    },
    /// Answer with this HTTP status and a non-JSON body, as a failing proxy does.
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// Answer 200 with a body that is not JSON.
    Malformed,
    /// Announce a full answer, send half of it, then close the connection.
    Truncated,
    /// Close the connection without answering.
    Drop,
}

#[derive(Deserialize)]
struct FaultEntry {
    #[serde(flatten)]
    fault: Fault,
    #[serde(default = "one")]
    times: usize,
    /// Only calls at this path take it; any call, when absent.
    #[serde(default)]
    path: Option<String>,
}

fn one() -> usize {
    1
}

/// One call as the emulator received it.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    /// The path called.
    pub path: String,
    /// The `identifier` query parameter.
    pub identifier: Option<String>,
    /// The `sdkappid` query parameter.
    pub sdkappid: Option<String>,
    /// The `random` query parameter.
    pub random: Option<String>,
    /// SHA-256 (hex) of the `usersig` query parameter.
    pub usersig_sha256: Option<String>,
    /// The accounts named, when the body was valid.
    pub accounts: Vec<String>,
    /// The tags named by a write, when the body was valid.
    pub tags: Vec<String>,
    /// `Replace`, as given.
    pub replace: Option<bool>,
    /// The `ErrorCode` answered (0 on success); none while the call is under way, or when a
    /// fault answered it with something else than a vendor error.
    pub error_code: Option<i64>,
    /// When it arrived: milliseconds since the emulator started, so that tests can see the
    /// rate the vendor was called at.
    pub at_ms: u64,
}

struct State {
    config: Config,
    started: Instant,
    store: Mutex<Store>,
    faults: Mutex<VecDeque<(Fault, Option<String>)>>,
    calls: Mutex<Vec<Received>>,
    rates: Mutex<PathRates>,
}

/// What a call is answered with.
enum Reply {
    /// An answer as the vendor writes it, and what the call asked for when it was carried out.
    Vendor {
        /// The answer's JSON.
        answer: String,
        /// What the call asked for, when it was carried out.
        request: Option<TagRequest>,
    },
    /// An answer no vendor gives, from an injected fault.
    Broken(Response<Body>),
}

/// The connection is closed without an answer.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

type Body = BoxBody<Bytes, std::io::Error>;

/// Parses a seed file: a JSON object from account to its tags; every account must be a
/// UserID or a RegistrationID.
pub fn parse_tags(json: &str) -> Result<HashMap<String, Vec<String>>, String> {
    let tags: HashMap<String, Vec<String>> =
        serde_json::from_str(json).map_err(|e| e.to_string())?;
    match tags
        .keys()
        .find_map(|a| account_problem(TagApi::Timpush, a).map(|p| format!("account {a:?} {p}")))
    {
        Some(problem) => Err(problem),
        None => Ok(tags),
    }
}

/// The call table as JSON, each generation's paths by operation name, in the table's order:
/// `{"all_member_push":{"get":"/v4/all_member_push/im_get_tag",...},"timpush":{...}}`.
pub fn calls_json() -> String {
    serde_json::to_string(&CallTable).expect("strings always serialize")
}

/// The call table, written in its own order.
struct CallTable;

impl Serialize for CallTable {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(TagApi::ALL.map(|api| (api.name(), Generation(api))))
    }
}

/// One generation's paths by operation name.
struct Generation(TagApi);

impl Serialize for Generation {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let calls = Call::all().filter(|call| call.api == self.0);
        serializer.collect_map(calls.map(|call| (call.row().name, call.path())))
    }
}

/// Serves until the process ends; `on_ready` is called with the bound address.
pub async fn serve(
    mut config: Config,
    listen: SocketAddr,
    on_ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let listener = TcpListener::bind(listen).await.map_err(|error| {
        std::io::Error::new(error.kind(), format!("cannot listen on {listen}: {error}"))
    })?;
    on_ready(listener.local_addr()?);
    let store = std::mem::take(&mut config.store);
    let started = Instant::now();
    let rates = PathRates::new(config.calls_per_second, started);
    let state = Arc::new(State {
        config,
        started,
        store: Mutex::new(store),
        faults: Mutex::default(),
        calls: Mutex::default(),
        rates: Mutex::new(rates),
    });
    loop {
        let (stream, _) = listener.accept().await?;
        let state = state.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let state = state.clone();
                async move { state.answer(request).await }
            });
            // A connection ends with an error when a fault drops it; that is the point.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

impl State {
    async fn answer(&self, request: Request<Incoming>) -> Result<Response<Body>, Dropped> {
        let origin = request.headers().get(header::ORIGIN);
        let allowed = origin.filter(|o| self.config.allow_origin.as_ref() == Some(*o));
        let allowed = allowed.cloned();
        let path = request.uri().path().to_owned();
        let mut response = if request.method() == Method::OPTIONS {
            preflight(allowed.is_some())
        } else if path.starts_with("/_emulator/") {
            self.control(request, &path).await
        } else {
            match (Call::at(&path), request.method()) {
                (Some(call), &Method::POST) => self.tag_call(call, request).await?,
                (Some(_), _) => plain(StatusCode::METHOD_NOT_ALLOWED, "use POST"),
                (None, _) => plain(StatusCode::NOT_FOUND, "no such endpoint"),
            }
        };
        if let Some(origin) = allowed {
            let headers = response.headers_mut();
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(header::VARY, HeaderValue::from_static("Origin"));
        }
        Ok(response)
    }

    /// The control endpoints, for requests that carry the control header only.
    async fn control(&self, request: Request<Incoming>, path: &str) -> Response<Body> {
        let marked = request.headers().get(CONTROL_HEADER.0);
        if marked.and_then(|v| v.to_str().ok()) != Some(CONTROL_HEADER.1) {
            return plain(
                StatusCode::FORBIDDEN,
                "control requests must carry the header X-Tim-Emulator: control",
            );
        }
        match (request.method(), path) {
            (&Method::POST, "/_emulator/faults") => self.add_faults(request).await,
            (&Method::DELETE, "/_emulator/faults") => {
                lock(&self.faults).clear();
                plain(StatusCode::NO_CONTENT, "")
            }
            (&Method::GET, "/_emulator/calls") => {
                let calls = serde_json::to_vec(&*lock(&self.calls)).unwrap_or_default();
                json(StatusCode::OK, calls)
            }
            (&Method::DELETE, "/_emulator/calls") => {
                lock(&self.calls).clear();
                plain(StatusCode::NO_CONTENT, "")
            }
            (&Method::GET, "/_emulator/rate") => {
                let report = lock(&self.rates).report(Instant::now());
                json(
                    StatusCode::OK,
                    serde_json::to_vec(&report).unwrap_or_default(),
                )
            }
            (&Method::DELETE, "/_emulator/rate") => {
                lock(&self.rates).clear();
                plain(StatusCode::NO_CONTENT, "")
            }
            _ => plain(StatusCode::NOT_FOUND, "no such endpoint"),
        }
    }

    async fn add_faults(&self, request: Request<Incoming>) -> Response<Body> {
        let entries = request_bytes(request)
            .await
            .and_then(|body| serde_json::from_slice::<Vec<FaultEntry>>(&body).ok());
        let Some(entries) = entries else {
            return plain(StatusCode::BAD_REQUEST, "expected a JSON array of faults");
        };
        let mut faults = lock(&self.faults);
        for entry in entries {
            faults.extend(std::iter::repeat_n((entry.fault, entry.path), entry.times));
        }
        plain(StatusCode::NO_CONTENT, "")
    }

    /// The first fault waiting for a call at `path`.
    fn take_fault(&self, path: &str) -> Option<Fault> {
        let mut faults = lock(&self.faults);
        let index = faults
            .iter()
            .position(|(_, only)| only.as_deref().is_none_or(|only| only == path))?;
        faults.remove(index).map(|(fault, _)| fault)
    }

    async fn tag_call(
        &self,
        call: Call,
        request: Request<Incoming>,
    ) -> Result<Response<Body>, Dropped> {
        let query: HashMap<String, String> = request
            .uri()
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        // A call is logged and counted as it arrives, so that one its caller gave up on still
        // shows.
        let index = self.log_arrival(call, &query);
        let arrival = lock(&self.rates).arrive(call, Instant::now());
        let body = request_bytes(request).await;
        let reply = match self.take_fault(call.path()) {
            None => self.reply(arrival, &query, body.as_deref()),
            Some(fault) => {
                self.reply_with(fault, arrival, &query, body.as_deref())
                    .await?
            }
        };
        match reply {
            Reply::Vendor { answer, request } => {
                self.log_answer(index, &answer, request.as_ref());
                Ok(json(StatusCode::OK, answer.into_bytes()))
            }
            Reply::Broken(response) => Ok(response),
        }
    }

    /// Logs a call as it arrives; returns its place in the log.
    fn log_arrival(&self, call: Call, query: &HashMap<String, String>) -> usize {
        let mut calls = lock(&self.calls);
        calls.push(Received {
            path: call.path().into(),
            identifier: query.get("identifier").cloned(),
            sdkappid: query.get("sdkappid").cloned(),
            random: query.get("random").cloned(),
            usersig_sha256: query
                .get("usersig")
                .map(|sig| format!("{:x}", Sha256::digest(sig.as_bytes()))),
            accounts: Vec::new(),
            tags: Vec::new(),
            replace: None,
            error_code: None,
            at_ms: self.started.elapsed().as_millis() as u64,
        });
        calls.len() - 1
    }

    /// Completes a logged call with the code answered and, when one was carried out, what it
    /// asked for.
    fn log_answer(&self, index: usize, answer: &str, request: Option<&TagRequest>) {
        let mut calls = lock(&self.calls);
        // Calls can be cleared while this one was under way.
        let Some(logged) = calls.get_mut(index) else {
            return;
        };
        logged.error_code = serde_json::from_str::<serde_json::Value>(answer)
            .ok()
            .and_then(|a| a["ErrorCode"].as_i64());
        if let Some(request) = request {
            logged.accounts = request.accounts().into_iter().map(String::from).collect();
            logged.tags = request.tags().into_iter().map(String::from).collect();
            logged.replace = match request {
                TagRequest::Entries { replace, .. } => *replace,
                TagRequest::Accounts(_) => None,
            };
        }
    }

    /// The vendor's answer to a call.
    fn reply(
        &self,
        arrival: Arrival,
        query: &HashMap<String, String>,
        body: Option<&[u8]>,
    ) -> Reply {
        match self.carry_out(arrival, query, body) {
            Ok((request, outcome)) => Reply::Vendor {
                answer: Answer::ok(outcome.user_tags.as_deref(), &outcome.failed).to_json(),
                request: Some(request),
            },
            Err(error) => Reply::Vendor {
                answer: Answer::failure(&error).to_json(),
                request: None,
            },
        }
    }

    /// The answer to a call that an injected fault takes.
    async fn reply_with(
        &self,
        fault: Fault,
        arrival: Arrival,
        query: &HashMap<String, String>,
        body: Option<&[u8]>,
    ) -> Result<Reply, Dropped> {
        match fault {
            Fault::Delay { ms } => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok(self.reply(arrival, query, body))
            }
            Fault::Error { code } => {
                let error = vendor_error(code, &format!("injected error {code}"));
                Ok(Reply::Vendor {
                    answer: Answer::failure(&error).to_json(),
                    request: None,
                })
            }
            Fault::Status { status } => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
                let page = "<html><body>upstream failure</body></html>";
                Ok(Reply::Broken(plain(status, page)))
            }
            Fault::Malformed => Ok(Reply::Broken(plain(
                StatusCode::OK,
                "<html>this is not JSON",
            ))),
            Fault::Truncated => {
                let tags = [UserTags {
                    to_account: "user_0001".into(),
                    tags: vec!["trial".into()],
                }];
                let answer = Answer::ok(Some(&tags), &[]).to_json();
                Ok(Reply::Broken(truncated(answer)))
            }
            Fault::Drop => Err(Dropped),
        }
    }

    /// The vendor's checks, in its order (URL, signature, admin rights, generation, rate,
    /// body), then the call itself.
    fn carry_out(
        &self,
        arrival: Arrival,
        query: &HashMap<String, String>,
        body: Option<&[u8]>,
    ) -> Result<(TagRequest, Applied), VendorError> {
        let call = arrival.call;
        let identifier = self.check_url(query)?;
        let usersig = query.get("usersig").map_or("", String::as_str);
        self.check_caller(identifier, usersig)?;
        if let Some(api) = self.config.api.filter(|api| *api != call.api) {
            return Err(vendor_error(
                GENERATION_OFF,
                &format!(
                    "this app has the {api} tag API switched on, not {}",
                    call.api
                ),
            ));
        }
        if !lock(&self.rates).admit(arrival, Instant::now()) {
            return Err(vendor_error(
                RATE_LIMITED,
                "REST API call rate over the limit",
            ));
        }
        let body = body.ok_or_else(|| vendor_error(90001, "the body could not be read"))?;
        let request = call
            .parse(body)
            .map_err(|error| VendorError::from_error(&error))?;
        let outcome = lock(&self.store).apply(call, &request)?;
        Ok((request, outcome))
    }

    /// Checks the query parameters other than the UserSig; gives back the `identifier`.
    fn check_url<'q>(&self, query: &'q HashMap<String, String>) -> Result<&'q str, VendorError> {
        let param = |name: &str| query.get(name).map(String::as_str);
        if param("contenttype") != Some("json") {
            return Err(vendor_error(BAD_URL, "contenttype must be json"));
        }
        if param("random")
            .and_then(|r| r.parse::<u32>().ok())
            .is_none()
        {
            return Err(vendor_error(
                BAD_URL,
                "random must be an unsigned 32-bit integer",
            ));
        }
        let Some(identifier) = param("identifier").filter(|i| !i.is_empty()) else {
            return Err(vendor_error(BAD_URL, "identifier is missing"));
        };
        match param("sdkappid").map(str::parse::<u64>) {
            Some(Ok(id)) if id == self.config.sdkappid => Ok(identifier),
            Some(Ok(id)) => Err(vendor_error(
                KEY_OR_APP_NOT_FOUND,
                &format!("SDKAppID {id} is not found in this region"),
            )),
            _ => Err(vendor_error(BAD_URL, "sdkappid is missing or not a number")),
        }
    }

    /// Checks that the UserSig is the caller's, valid now, and that the caller is the admin.
    fn check_caller(&self, identifier: &str, usersig: &str) -> Result<(), VendorError> {
        let config = &self.config;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Signer::new(config.sdkappid, config.key.clone())
            .verify(identifier, usersig, now)
            .map_err(|error| VendorError::from_error(&error))?;
        if identifier != config.admin {
            return Err(vendor_error(
                NOT_ADMIN,
                "this API needs the app administrator",
            ));
        }
        Ok(())
    }
}

/// The lock's data even if a thread panicked while holding it: every update here leaves it whole.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn vendor_error(code: i64, info: &str) -> VendorError {
    VendorError {
        code,
        info: info.into(),
    }
}

async fn request_bytes(request: Request<Incoming>) -> Option<Vec<u8>> {
    let body = Limited::new(request.into_body(), MAX_READ_BYTES)
        .collect()
        .await
        .ok()?;
    Some(body.to_bytes().to_vec())
}

fn json(status: StatusCode, body: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A CORS preflight's answer: a grant for the allowed origin, nothing for any other.
fn preflight(allowed: bool) -> Response<Body> {
    let mut response = plain(StatusCode::NO_CONTENT, "");
    if allowed {
        let headers = response.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, DELETE"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, content-type, x-tim-emulator"),
        );
    }
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut response = Response::new(full(text.as_bytes().to_vec()));
    *response.status_mut() = status;
    response
}

fn full(bytes: Vec<u8>) -> Body {
    Full::new(Bytes::from(bytes))
        .map_err(|never: Infallible| match never {})
        .boxed()
}

/// A response that announces `body` in full, sends its first half, then fails the connection.
fn truncated(body: String) -> Response<Body> {
    let half = Bytes::from(body.as_bytes()[..body.len() / 2].to_vec());
    let frames = futures_util::stream::iter([
        Ok(Frame::data(half)),
        Err(std::io::Error::other("truncated by an injected fault")),
    ]);
    let mut response = Response::new(StreamBody::new(frames).boxed());
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CONTENT_LENGTH, body.len().into());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_data_set_parses_and_is_a_few_hundred_accounts_and_two_devices() {
        let tags = parse_tags(DEMO_TAGS).unwrap();
        assert!(tags.len() >= 300, "{}", tags.len());
        assert_eq!(tags["xiaojun"], ["cn", "trial"]);
        let devices = tags
            .keys()
            .filter(|a| crate::api::account::is_registration_id(a))
            .count();
        assert_eq!(devices, 2);
        assert!(
            parse_tags(r#"{"":["x"]}"#)
                .unwrap_err()
                .contains("is empty")
        );
    }

    #[test]
    fn faults_parse_with_a_repeat_count_and_a_path() {
        let entries: Vec<FaultEntry> = serde_json::from_str(
            r#"[{"kind":"error","code":91000,"times":3},{"kind":"delay","ms":5,"path":"/v4/timpush/add_tag"},{"kind":"drop"}]"#,
        )
        .unwrap();
        assert_eq!(entries[0].times, 3);
        assert!(matches!(entries[0].fault, Fault::Error { code: 91000 }));
        assert!(matches!(entries[1].fault, Fault::Delay { ms: 5 }));
        assert_eq!(entries[1].path.as_deref(), Some("/v4/timpush/add_tag"));
        assert_eq!(entries[2].times, 1);
    }
}
