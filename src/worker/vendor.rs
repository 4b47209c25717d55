//! Forwarding a checked call to the vendor: the admin UserSig, cached per isolate, the signed
//! URL, the retries [`Retries`] allows within the upstream timeout, and the answer read once it
//! is the vendor's.

use std::cell::RefCell;
use std::time::Duration;

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;
use web_sys::{AbortSignal, RequestInit};
use worker::Delay;

use super::js::{read_json, send_request};
use super::pacing::Pacing;
use super::{Trace, apart};
use crate::api::answer::{AccountError, Status, failed_accounts};
use crate::api::calls::{Call, Scope};
use crate::api::region;
use crate::api::request::TagRequest;
use crate::api::retry::{Next, Retries, RetryPolicy, TryOutcome};
use crate::edge::pace::Slot;
use crate::edge::{EdgeError, NotAnAnswer, UpstreamSettings, UserSigCache};

thread_local! {
    /// One admin UserSig per isolate, shared by its requests.
    static USERSIG: RefCell<UserSigCache> = RefCell::default();
    /// The headers of every call to the vendor.
    static UPSTREAM_HEADERS: Object = {
        let headers = Object::new();
        let _ = Reflect::set(&headers, &"Content-Type".into(), &"application/json".into());
        headers
    };
}

/// What the vendor's last answer to a forwarded call said, and the answer as it came.
pub(super) struct Forwarded {
    pub(super) code: i64,
    /// The accounts its `ErrorList` names (read for writes only).
    pub(super) failed: Vec<AccountError>,
    pub(super) body: Object,
}

/// Signs and sends the checked body to the vendor, each try in a slot of the app's rate,
/// trying again as [`Retries`] says within the upstream timeout, and passes the last answer
/// through once it reads as the vendor's. With no slot for the first try within the longest
/// wait, nothing is sent; with none for a retry, the last answer stands.
pub(super) async fn forward(
    upstream: &UpstreamSettings,
    pacing: &Pacing<'_>,
    call: Call,
    checked: &TagRequest,
    trace: &mut Trace,
) -> Result<Forwarded, EdgeError> {
    let body = checked.to_json();
    let mut retries = Retries::new(RetryPolicy::EDGE);
    let (mut sign_again, mut use_backup) = (false, false);
    let mut last: Option<Result<Forwarded, EdgeError>> = None;
    // From the first try on: when it went, and when the upstream timeout runs out.
    let mut window: Option<(f64, f64)> = None;
    loop {
        if let Err(no_slot) = wait_for_slot(pacing, call, trace).await {
            return last.unwrap_or(Err(no_slot));
        }
        let mut now_ms = js_sys::Date::now();
        let (started_ms, deadline) =
            *window.get_or_insert((now_ms, now_ms + f64::from(upstream.timeout_ms())));
        // A retry whose slot came past the upstream timeout is not sent: the last answer stands.
        if let Some(answer) = last.take_if(|_| now_ms >= deadline) {
            return answer;
        }
        let signed = USERSIG.with(|cache| {
            let mut cache = cache.borrow_mut();
            if sign_again {
                cache.clear();
            }
            cache.get(upstream, (now_ms / 1000.0) as u64)
        });
        // One draw per try: the request's nonce, and the pause before the next try if any.
        let random = region::random().map_err(|_| EdgeError::Internal("no random source"))?;
        let url = upstream.url(call, &signed, random, use_backup);
        let remaining_ms = deadline - now_ms;
        let result = apart(try_once(
            call,
            &url,
            &body,
            remaining_ms,
            upstream.timeout_ms(),
        ))
        .await;
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
                sign_again = again;
                use_backup |= backup;
                last = Some(result);
            }
        }
    }
}

/// Waits for a slot of the app's rate for one try of `call`, and notes the wait and what is
/// left of the second; refused when none is free within the longest wait.
async fn wait_for_slot(
    pacing: &Pacing<'_>,
    call: Call,
    trace: &mut Trace,
) -> Result<(), EdgeError> {
    let quota = pacing.pace.calls_per_second;
    match pacing.slot(call).await {
        Slot::Go { wait_ms, remaining } => {
            trace.rate = Some((quota, remaining, 1));
            *trace.waited_ms.get_or_insert(0) += u64::from(wait_ms);
            if wait_ms > 0 {
                Delay::from(Duration::from_millis(wait_ms.into())).await;
            }
            Ok(())
        }
        Slot::Refused { retry_after_s } => {
            trace.rate = Some((quota, 0, retry_after_s));
            Err(EdgeError::NoSlot { retry_after_s })
        }
    }
}

/// One try: the vendor's answer, once it reads as one of the vendor's shape.
async fn try_once(
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
        return Err(EdgeError::UpstreamNotAnAnswer(NotAnAnswer::Status(status)));
    }
    let bytes = answer.body().ok_or_else(|| match no_answer() {
        EdgeError::UpstreamUnreachable => EdgeError::UpstreamNotAnAnswer(NotAnAnswer::CutShort),
        other => other,
    })?;
    let not_an_answer = || EdgeError::UpstreamNotAnAnswer(NotAnAnswer::NotFor(call));
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
