//! Slots of the app's vendor rate for the calls the Worker makes: from the app's pacer (the
//! `PACER` Durable Object), or, when it cannot be reached, from this isolate's own schedule,
//! so that the pacer failing never fails a call. That is said in a log line, at most once a
//! minute per isolate.

use std::cell::{Cell, RefCell};

use worker::Env;

use super::log;
use super::pacer::SLOT_PATH;
use crate::api::calls::Call;
use crate::edge::pace::{Pace, Schedule, Slot};

/// The pacer's binding in `wrangler.toml`.
const PACER_BINDING: &str = "PACER";
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

impl From<worker::Error> for Unreachable {
    fn from(error: worker::Error) -> Self {
        Unreachable::Failed(error.to_string())
    }
}

/// Who asks for slots, for which app, at what pace.
pub(super) struct Pacing<'a> {
    pub(super) env: &'a Env,
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
        let pacers = self
            .env
            .durable_object(PACER_BINDING)
            .map_err(|_| Unreachable::NoBinding)?;
        let pacer = pacers.id_from_name(&self.app)?.get_stub()?;
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("call", call.path())
            .append_pair("caller", self.caller)
            .finish();
        let mut answer = pacer
            .fetch_with_str(&format!("https://pacer{SLOT_PATH}?{query}"))
            .await?;
        match answer.status_code() {
            200 => Slot::from_text(&answer.text().await?).ok_or(Unreachable::Unreadable),
            _ => Err(Unreachable::Unreadable),
        }
    }
}

fn say_once_a_minute(unreachable: &Unreachable, now_ms: f64) {
    if now_ms - LOGGED_MS.get() < UNREACHABLE_LOG_EVERY_MS {
        return;
    }
    LOGGED_MS.set(now_ms);
    let error = serde_json::to_string(&unreachable.to_string()).unwrap_or_default();
    log(&format!(
        r#"{{"event":"pacer","ok":false,"error":{error}}}"#
    ));
}
