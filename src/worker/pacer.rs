//! The app's pacer, a Durable Object: one per app (named by its SDKAppID), through which every
//! vendor call the Worker makes books its slot ([`Schedule`]). It only books time: the Worker
//! waits for its slot and calls the vendor itself. What it holds is bookings, in memory, so an
//! object that is evicted or restarted forgets only those.
//!
//! The class is bound by hand rather than by workers-rs's `#[durable_object]`: a booking is
//! synchronous, so `fetch` answers at once with the runtime's own `Response`, and the Worker
//! carries no request conversion or promise for it (about 12 KB less wasm).

use std::cell::RefCell;

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use web_sys::{Request, Response, ResponseInit};

use crate::api::calls::Call;
use crate::edge::pace::{Pace, Schedule, Slot};

/// The pacer's class, as `wrangler.toml` names it (`class_name = "Pacer"`).
#[wasm_bindgen]
pub struct Pacer {
    schedule: RefCell<Schedule>,
    pace: Pace,
}

#[wasm_bindgen]
impl Pacer {
    /// Made by the runtime with the object's state (unused: it keeps nothing) and the
    /// Worker's environment, which says the rate.
    #[wasm_bindgen(constructor)]
    pub fn new(_state: JsValue, env: JsValue) -> Pacer {
        let setting = |name: &str| Reflect::get(&env, &name.into()).ok()?.as_string();
        // The Worker refuses every call while the pace is misconfigured, so none reaches here.
        Pacer {
            schedule: RefCell::default(),
            pace: Pace::from_env(&setting).unwrap_or_default(),
        }
    }

    /// Books a slot for the call at the path `X-Pacer-Call` by the caller `X-Pacer-Caller`
    /// (its name as the Worker encodes it, which is all the pacer needs to tell callers
    /// apart), answered with the slot in words ([`Slot::to_text`]).
    pub fn fetch(&self, request: Request) -> Result<Response, JsValue> {
        let headers = request.headers();
        let header = |name: &str| headers.get(name).ok().flatten();
        let call = header("X-Pacer-Call").and_then(|path| Call::at(&path));
        let (Some(call), Some(caller)) = (call, header("X-Pacer-Caller")) else {
            let init = ResponseInit::new();
            init.set_status(400);
            return Response::new_with_opt_str_and_init(
                Some("expected the headers X-Pacer-Call and X-Pacer-Caller"),
                &init,
            );
        };
        let now_ms = js_sys::Date::now();
        let slot: Slot = self
            .schedule
            .borrow_mut()
            .reserve(self.pace, call, &caller, now_ms);
        Response::new_with_opt_str(Some(&slot.to_text()))
    }
}
