//! The app's pacer, a Durable Object: one per app (named by its SDKAppID), through which every
//! vendor call the Worker makes books its slot ([`Schedule`]). It only books time: the Worker
//! waits for its slot and calls the vendor itself. What it holds is bookings, in memory, so an
//! object that is evicted or restarted forgets only those.

use std::cell::RefCell;

use worker::{DurableObject, Env, Request, Response, Result, State, durable_object};

use crate::api::calls::Call;
use crate::edge::pace::{Pace, Schedule};

/// A booking's request: `GET /slot?call=<path>&caller=<name>`.
pub(super) const SLOT_PATH: &str = "/slot";

#[durable_object(fetch)]
pub struct Pacer {
    schedule: RefCell<Schedule>,
    pace: Pace,
}

impl DurableObject for Pacer {
    fn new(_state: State, env: Env) -> Self {
        // The Worker refuses every call while the pace is misconfigured, so none reaches here.
        let pace = Pace::from_env(|name| env.var(name).ok().map(|value| value.to_string()));
        Self {
            schedule: RefCell::default(),
            pace: pace.unwrap_or_default(),
        }
    }

    async fn fetch(&self, request: Request) -> Result<Response> {
        let url = request.url()?;
        let (mut call, mut caller) = (None, None);
        for (name, value) in url.query_pairs() {
            match &*name {
                "call" => call = Call::at(&value),
                "caller" => caller = Some(value.into_owned()),
                _ => {}
            }
        }
        let (Some(call), Some(caller), SLOT_PATH) = (call, caller, url.path()) else {
            return Response::error("expected GET /slot?call=<path>&caller=<name>", 400);
        };
        let now_ms = js_sys::Date::now();
        let slot = self
            .schedule
            .borrow_mut()
            .reserve(self.pace, call, &caller, now_ms);
        Response::ok(slot.to_text())
    }
}
