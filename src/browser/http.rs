//! One request to the Worker, within `timeoutMs`: its status and its JSON answer, or why
//! there is none; and a read of one of the Worker's own routes.

use gloo_net::http::{Method, Request, RequestBuilder};
use js_sys::Array;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal};

use super::batch::Link;
use super::error::Failure;
use super::options::Settings;
use crate::api::answer::Status;
use crate::api::ratelimit;
use crate::client::ClientError;

/// An answer of the Worker: its status, its JSON, and what it said of the app's rate.
pub(super) struct Sent {
    pub(super) status: u16,
    pub(super) answer: JsValue,
    pub(super) pace: PaceNews,
}

/// What an answer said of the app's rate, in its `RateLimit-Policy`, `RateLimit` and
/// `Retry-After` fields.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct PaceNews {
    /// Calls a second on the call's path.
    pub(super) quota: Option<u32>,
    /// What is left of them in the coming second.
    pub(super) remaining: Option<u32>,
    /// When to come back, for a call refused for the rate.
    pub(super) retry_after_s: Option<u32>,
}

impl PaceNews {
    fn read(headers: &gloo_net::http::Headers) -> Self {
        Self {
            quota: headers
                .get("RateLimit-Policy")
                .as_deref()
                .and_then(ratelimit::quota),
            remaining: headers
                .get("RateLimit")
                .as_deref()
                .and_then(ratelimit::remaining),
            retry_after_s: headers
                .get("Retry-After")
                .as_deref()
                .and_then(ratelimit::seconds),
        }
    }
}

/// Sends one request to the Worker, within `timeoutMs`; its status, its JSON answer and what
/// it said of the app's rate.
pub(super) async fn send(
    settings: &Settings,
    controller: &AbortController,
    method: Method,
    url: &str,
    body: Option<&str>,
) -> Result<Sent, Failure> {
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
            ClientError::Unreachable {
                url: url.into(),
                page_origin: page_origin()
                    .filter(|page| !settings.origin.is_empty() && *page != settings.origin),
            }
            .into()
        }
    };
    let response = request(settings, method, url, body, &signal)?
        .send()
        .await
        .map_err(|_| failed())?;
    let status = response.status();
    let pace = PaceNews::read(&response.headers());
    let not_the_worker = || Failure::not_the_worker(url, status);
    let raw: web_sys::Response = response.into();
    let parsing = raw.json().map_err(|_| not_the_worker())?;
    match JsFuture::from(parsing).await {
        Ok(answer) => Ok(Sent {
            status,
            answer,
            pace,
        }),
        Err(_) if signal.aborted() => Err(failed()),
        Err(_) => Err(not_the_worker()),
    }
}

/// A read of one of the Worker's own routes at `path` (not the vendor's), cancelled by the
/// caller's signal: its answer when `is_answer` says it is one, or the Worker's refusal.
pub(super) async fn get_json(
    settings: &Settings,
    path: &str,
    is_answer: fn(&JsValue) -> bool,
) -> Result<JsValue, Failure> {
    if settings.aborted() {
        return Err(ClientError::Aborted.into());
    }
    let controller =
        AbortController::new().map_err(|_| ClientError::Internal("no AbortController"))?;
    let _link = Link::new(settings, &controller);
    let url = settings.url(path);
    let Sent { status, answer, .. } = send(settings, &controller, Method::GET, &url, None).await?;
    if let Some(refused) = Status::read(&answer) {
        return Err(Failure {
            error: ClientError::Answered {
                code: refused.code,
                info: refused.info,
            },
            status: Some(status),
            retry_after_s: None,
        });
    }
    if is_answer(&answer) {
        Ok(answer)
    } else {
        Err(Failure::not_the_worker(&url, status))
    }
}

/// The request: its method, the caller's token, a write's batch id, its body, and the signal
/// that ends it.
fn request(
    settings: &Settings,
    method: Method,
    url: &str,
    body: Option<&str>,
    signal: &AbortSignal,
) -> Result<Request, ClientError> {
    let mut request = RequestBuilder::new(url)
        .method(method)
        .abort_signal(Some(signal));
    if let Some(token) = &settings.token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    if let Some(batch) = &settings.batch {
        request = request.header("X-Tim-Batch", batch);
    }
    match body {
        Some(body) => request
            .header("Content-Type", "application/json")
            .body(body),
        None => request.build(),
    }
    .map_err(|_| ClientError::Internal("cannot build the request"))
}

/// The origin of the page the package runs in, if it runs in one.
fn page_origin() -> Option<String> {
    let location = js_sys::Reflect::get(&js_sys::global(), &"location".into()).ok()?;
    js_sys::Reflect::get(&location, &"origin".into())
        .ok()?
        .as_string()
        .filter(|origin| origin != "null")
}
