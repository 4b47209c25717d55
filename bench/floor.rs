//! The least a workers-rs Worker can do for this endpoint, built only for `make bench`
//! (feature `bench-floor`): each body goes to the vendor as it came, with a UserSig signed once
//! per isolate, and the answer streams back. No checks, timeout or retries, so what it costs is
//! the cost of workers-rs and wasm-bindgen themselves: the floor under any Rust Worker.

use std::cell::RefCell;

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, Response, WorkerGlobalScope};
use worker::{Context, Env, event};

use crate::api::calls::Call;
use crate::api::region;
use crate::edge::routes::path_of;
use crate::edge::{UpstreamSettings, UserSigCache};

thread_local! {
    /// The settings and the UserSig, read and signed once per isolate.
    static STATE: RefCell<Option<(UpstreamSettings, UserSigCache)>> = const { RefCell::new(None) };
}

#[event(fetch)]
async fn fetch(request: web_sys::Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let Some(call) = Call::at(path_of(&request.url())) else {
        return Err(worker::Error::RustError(
            "not one of the eight calls".into(),
        ));
    };
    let url = STATE.with(|state| {
        let mut state = state.borrow_mut();
        let (upstream, usersigs) = match state.take() {
            Some(ready) => state.insert(ready),
            None => {
                let lookup = |name: &str| env.var(name).ok().map(|v| v.to_string());
                let settings = UpstreamSettings::from_env(lookup).map_err(|e| e.to_string())?;
                state.insert((settings, UserSigCache::default()))
            }
        };
        let usersig = usersigs.get(upstream, (js_sys::Date::now() / 1000.0) as u64);
        let random = region::random().map_err(|e| e.to_string())?;
        Ok::<_, String>(upstream.url(call, &usersig, random, false))
    });
    let url = url.map_err(worker::Error::RustError)?;
    let init = RequestInit::new();
    init.set_method("POST");
    if let Some(body) = request.body() {
        init.set_body(&body);
    }
    let scope: WorkerGlobalScope = js_sys::global().unchecked_into();
    let answer = JsFuture::from(scope.fetch_with_str_and_init(&url, &init)).await?;
    Ok(answer.unchecked_into())
}
