//! The per-caller rate limit, through the runtime's rate-limiting binding.

use js_sys::{Object, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use worker::{Env, console_error};

use crate::edge::EdgeError;

/// The rate-limit binding of `wrangler.toml`; without it, callers are not limited.
const RATE_LIMIT_BINDING: &str = "CALLER_LIMIT";

/// Applies the per-caller rate limit, when the binding is configured.
pub(super) async fn limit_rate(env: &Env, caller: &str) -> Result<(), EdgeError> {
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
