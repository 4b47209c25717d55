//! One request to the Worker, within `timeoutMs`: its status and its JSON answer, or why
//! there is none.

use gloo_net::http::{Method, Request, RequestBuilder};
use js_sys::Array;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal};

use super::error::Failure;
use super::options::Settings;
use crate::client::ClientError;

/// Sends one request to the Worker, within `timeoutMs`; its status and its JSON answer.
pub(super) async fn send(
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
    let response = request(settings, method, url, body, &signal)?
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

/// The request: its method, the caller's token, its body, and the signal that ends it.
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
    match body {
        Some(body) => request
            .header("Content-Type", "application/json")
            .body(body),
        None => request.build(),
    }
    .map_err(|_| ClientError::Internal("cannot build the request"))
}
