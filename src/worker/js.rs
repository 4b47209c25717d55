//! The runtime's own objects, bound directly: a `TextDecoder` that refuses bad UTF-8, its
//! `JSON.parse`, and two small JavaScript functions (a call with its whole answer, and an
//! answer's `Response` built in one crossing).

use js_sys::{JsString, Object, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, Response};

use crate::api::invalid::BodyError;

#[wasm_bindgen]
extern "C" {
    /// The runtime's `TextDecoder`, bound to hand back a string that stays in JavaScript.
    type TextDecoder;
    #[wasm_bindgen(constructor)]
    fn new(label: &str, options: &Object) -> TextDecoder;
    #[wasm_bindgen(method, catch)]
    fn decode(this: &TextDecoder, bytes: &Object) -> Result<JsString, JsValue>;

    /// `JSON.parse` on a string that stays in JavaScript.
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn parse_json(text: &JsString) -> Result<JsValue, JsValue>;
}

// A call and its whole answer as one promise, so that Rust awaits once rather than twice (each
// await from wasm costs two closures and a turn of the task queue), and an answer built in one
// crossing rather than one per header.
#[wasm_bindgen(inline_js = "export function exchange(url, init) {
  return fetch(url, init).then((answer) => answer.status === 200
    ? answer.arrayBuffer().then((body) => ({ status: 200, body }), () => ({ status: 200, body: null }))
    : { status: answer.status, body: null });
}
export function askPacer(env, app, call, caller) {
  const pacers = env.PACER;
  if (!pacers) return null;
  const headers = { 'X-Pacer-Call': call, 'X-Pacer-Caller': encodeURIComponent(caller) };
  // Whatever the binding throws becomes a rejection, which the Worker turns into pacing alone.
  return Promise.resolve().then(() => pacers.get(pacers.idFromName(app)).fetch('https://pacer/slot', { headers }))
    .then((answer) => answer.ok ? answer.text() : Promise.reject(new Error(`the pacer answered ${answer.status}`)))
    .then((text) => text.split(' ').map((word) => word === 'go' ? 1 : word === 'refused' ? 0 : Number(word)));
}
export function runStatements(env, statements) {
  const db = env.HISTORY;
  return Promise.resolve().then(() => db.batch(JSON.parse(statements).map(([sql, values]) => db.prepare(sql).bind(...values))))
    .then((results) => {
      for (const { results: rows } of results) if (rows && rows.length) return Object.values(rows[0])[0];
      return null;
    });
}
export function respond(status, body, headers, id, extraName, extraValue, origin, policy, rate) {
  const all = { ...headers, 'X-Request-Id': id };
  if (extraName) all[extraName] = extraValue;
  if (origin) all['Access-Control-Allow-Origin'] = origin;
  if (policy) {
    all['RateLimit-Policy'] = policy;
    all['RateLimit'] = rate;
  }
  return new Response(body, { status, headers: all });
}")]
extern "C" {
    /// An answer: its HTTP status and, for a 200, its whole body.
    pub(super) type Exchanged;
    #[wasm_bindgen(method, getter)]
    pub(super) fn status(this: &Exchanged) -> u16;
    /// The body as an `ArrayBuffer`; none when the status is not 200 or the body was cut short.
    #[wasm_bindgen(method, getter)]
    pub(super) fn body(this: &Exchanged) -> Option<Object>;
    /// `fetch(url, init)` and, for a 200, the whole body; rejects only when no answer came.
    fn exchange(url: &str, init: &RequestInit) -> js_sys::Promise;

    /// A slot of `call`'s path for `caller` from the app's pacer (`env.PACER`, the object named
    /// `app`), its words as numbers; `null` when there is no such binding.
    #[wasm_bindgen(js_name = askPacer)]
    pub(super) fn ask_pacer(env: &JsValue, app: &str, call: &str, caller: &str) -> JsValue;

    /// Runs `statements` (a JSON array of `[sql, [values]]`) on `env.HISTORY` in one
    /// transaction; resolves to the first column of the first row any of them gives, or null.
    #[wasm_bindgen(js_name = runStatements)]
    pub(super) fn run_statements(env: &JsValue, statements: &str) -> js_sys::Promise;

    /// A `Response` with `headers` and this answer's own, made in one crossing.
    #[wasm_bindgen(catch, js_name = respond)]
    pub(super) fn build_response(
        status: u16,
        body: &JsValue,
        headers: &Object,
        id: &str,
        extra_name: Option<&str>,
        extra_value: Option<&str>,
        origin: Option<&str>,
        rate_policy: Option<&str>,
        rate: Option<&str>,
    ) -> Result<Response, JsValue>;
}

thread_local! {
    /// A decoder that refuses bytes that are not UTF-8, rather than replacing them.
    static UTF8: TextDecoder = {
        let options = Object::new();
        let _ = Reflect::set(&options, &"fatal".into(), &true.into());
        TextDecoder::new("utf-8", &options)
    };
}

/// `fetch(url, init)` with the runtime's own objects, and the whole body of a 200.
pub(super) async fn send_request(url: &str, init: &RequestInit) -> Result<Exchanged, JsValue> {
    Ok(JsFuture::from(exchange(url, init)).await?.unchecked_into())
}

/// Parses JSON with the runtime's parser; the bytes and the text stay in JavaScript.
pub(super) fn read_json(bytes: &Object) -> Result<JsValue, BodyError> {
    let text = UTF8
        .with(|decoder| decoder.decode(bytes))
        .map_err(|_| BodyError::NotUtf8)?;
    parse_json(&text).map_err(|error| BodyError::not_json(&message_of(&error)))
}

/// Parses JSON text that Rust holds, such as a row the history gave.
pub(super) fn parse_text(text: &str) -> Option<JsValue> {
    parse_json(&JsString::from(text)).ok()
}

pub(super) fn message_of(error: &JsValue) -> String {
    match error.dyn_ref::<js_sys::Error>() {
        Some(error) => error.message().into(),
        None => "unknown error".into(),
    }
}
