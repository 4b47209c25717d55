//! Slots of the app's vendor rate for the calls the Worker makes: from the app's pacer (the
//! `PACER` Durable Object), or, when it cannot be reached, from this isolate's own schedule,
//! so that the pacer failing never fails a call. That is said in a log line, at most once a
//! minute per isolate.

use std::cell::{Cell, RefCell};

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use super::js::{ask_pacer, message_of};
use super::log;
use crate::api::calls::Call;
use crate::api::json::quoted;
use crate::edge::pace::{Pace, Schedule, Slot};

/// How often an isolate says that it paces alone.
const UNREACHABLE_LOG_EVERY_MS: f64 = 60_000.0;

thread_local! {
    /// This isolate's own schedule, for when the pacer cannot be reached.
    static OWN_SCHEDULE: RefCell<Schedule> = RefCell::default();
    /// When this isolate last said it paces alone.
    static LOGGED_MS: Cell<f64> = const { Cell::new(f64::NEG_INFINITY) };
}

/// Why a slot came from this isolate rather than from the pacer.
#[derive(Debug, thiserror::Error)]
enum Unreachable {
    #[error("no PACER binding")]
    NoBinding,
    #[error("the pacer failed: {0}")]
    Failed(String),
    #[error("the pacer's answer could not be read")]
    Unreadable,
}

/// Who asks for slots, for which app, at what pace.
pub(super) struct Pacing<'a> {
    pub(super) env: &'a JsValue,
    /// The app's SDKAppID, which names its pacer.
    pub(super) app: String,
    pub(super) caller: &'a str,
    pub(super) pace: Pace,
}

impl Pacing<'_> {
    /// The slot of the next call of `call`.
    pub(super) async fn slot(&self, call: Call) -> Slot {
        match self.ask_pacer(call).await {
            Ok(slot) => slot,
            Err(unreachable) => {
                let now_ms = js_sys::Date::now();
                say_once_a_minute(&unreachable, now_ms);
                OWN_SCHEDULE.with(|schedule| {
                    schedule
                        .borrow_mut()
                        .reserve(self.pace, call, self.caller, now_ms)
                })
            }
        }
    }

    async fn ask_pacer(&self, call: Call) -> Result<Slot, Unreachable> {
        let asked = ask_pacer(self.env, &self.app, call.path(), self.caller);
        if asked.is_null() {
            return Err(Unreachable::NoBinding);
        }
        let words = JsFuture::from(js_sys::Promise::from(asked))
            .await
            .map_err(|error| Unreachable::Failed(message_of(&error)))?;
        let numbers: Vec<f64> = js_sys::Array::from(&words)
            .iter()
            .map(|word| word.as_f64().unwrap_or(f64::NAN))
            .collect();
        Slot::from_numbers(&numbers).ok_or(Unreachable::Unreadable)
    }
}

fn say_once_a_minute(unreachable: &Unreachable, now_ms: f64) {
    if now_ms - LOGGED_MS.get() < UNREACHABLE_LOG_EVERY_MS {
        return;
    }
    LOGGED_MS.set(now_ms);
    let error = quoted(&unreachable.to_string());
    log(&format!(
        r#"{{"event":"pacer","ok":false,"error":{error}}}"#
    ));
}
