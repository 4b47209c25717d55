//! The least a workers-rs Worker can do for this endpoint, built only for `make bench`
//! (feature `bench-floor`): each body goes to the vendor as it came, with a UserSig signed once
//! per isolate, and the answer streams back. No checks, timeout or retries, so what it costs is
//! the cost of workers-rs and wasm-bindgen themselves: the floor under any Rust Worker.

use std::cell::RefCell;

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, Response, WorkerGlobalScope};
use worker::{Context, Env, event};

use crate::edge::{Upstream, UserSigCache};
use crate::upstream;

thread_local! {
    /// The settings and the UserSig, read and signed once per isolate.
    static STATE: RefCell<Option<(Upstream, UserSigCache)>> = const { RefCell::new(None) };
}

#[event(fetch)]
async fn fetch(request: web_sys::Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let url = STATE.with(|state| {
        let mut state = state.borrow_mut();
        let (upstream, usersigs) = match state.take() {
            Some(ready) => state.insert(ready),
            None => {
                let lookup = |name: &str| env.var(name).ok().map(|v| v.to_string());
                state.insert((Upstream::from_env(lookup)?, UserSigCache::default()))
            }
        };
        let usersig = usersigs.get(upstream, (js_sys::Date::now() / 1000.0) as u64);
        Ok::<_, crate::Error>(upstream.url(&usersig, upstream::random()?, false))
    });
    let url = url.map_err(|error| worker::Error::RustError(error.to_string()))?;
    let init = RequestInit::new();
    init.set_method("POST");
    if let Some(body) = request.body() {
        init.set_body(&body);
    }
    let scope: WorkerGlobalScope = js_sys::global().unchecked_into();
    let answer = JsFuture::from(scope.fetch_with_str_and_init(&url, &init)).await?;
    Ok(answer.unchecked_into())
}
