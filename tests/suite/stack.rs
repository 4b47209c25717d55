//! What the suite's tests of the package share: the Worker and the emulator that
//! `tests/worker/serve.mjs` starts, and helpers that say what went wrong when something does.

use std::collections::HashMap;

use super::package::get_tags;
use gloo_net::http::Request;
use js_sys::{Array, Object, Reflect};
use serde_json::{Value, json};
use tim_tags::api::named::Named;
use tim_tags::{Call, Operation, TagApi, UserTags};
use wasm_bindgen::{JsCast, JsValue};

pub const WORKER: &str = "http://127.0.0.1:8788";
pub const EMULATOR: &str = "http://127.0.0.1:9788";
/// A token that may read, and one that may also write (`tests/worker/harness.mjs`).
pub const TOKEN: &str = "test-panel-token-0123456789abcdef";
pub const WRITE_TOKEN: &str = "test-write-token-0123456789abcdef";
/// The header the emulator's control endpoints ask for.
const CONTROL: (&str, &str) = ("X-Tim-Emulator", "control");
const SEED: &str = include_str!("../../src/emulator/demo-tags.json");
/// How to run the suite with what it needs.
const HOW: &str = "start the Worker and the emulator with the suite: `make test-wasm`, or \
    `node tests/worker/serve.mjs -- wasm-pack test --node -- --features browser` \
    (`--headless --chrome` for Chromium)";

/// Panics with `what` and the error, instead of a bare `unwrap`.
pub trait Expect<T> {
    /// The value, or a panic that says what went wrong.
    fn or_fail(self, what: &str) -> T;
}

impl<T, E: std::fmt::Debug> Expect<T> for Result<T, E> {
    fn or_fail(self, what: &str) -> T {
        self.unwrap_or_else(|error| panic!("{what}: {error:?}"))
    }
}

impl<T> Expect<T> for Option<T> {
    fn or_fail(self, what: &str) -> T {
        self.unwrap_or_else(|| panic!("{what}"))
    }
}

/// Checks that the Worker answers, before a test relies on it; says how to start it if not.
pub async fn stack() {
    // A call without a token: the Worker refuses it with 401, readable from the test page's
    // origin, which the Worker allows.
    let answer = Request::get(&format!("{WORKER}/session")).send().await;
    if !answer.is_ok_and(|a| a.status() == 401) {
        panic!("the Worker does not answer at {WORKER}: {HOW}");
    }
}

pub fn seed() -> HashMap<String, Vec<String>> {
    serde_json::from_str(SEED).or_fail("the demo seed is not JSON")
}

pub fn accounts(names: &[String]) -> JsValue {
    names.iter().map(JsValue::from).collect::<Array>().into()
}

pub fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Options with the Worker's endpoint and the read token, plus `extra`.
pub fn options(extra: &[(&str, JsValue)]) -> Object {
    let options = Object::new();
    let set = |name: &str, value: &JsValue| {
        Reflect::set(&options, &name.into(), value).or_fail("cannot set an option");
    };
    set("endpoint", &WORKER.into());
    set("token", &TOKEN.into());
    for (name, value) in extra {
        set(name, value);
    }
    options
}

/// Options with the write token and the generation, plus `extra`.
pub fn writer(api: &str, extra: &[(&str, JsValue)]) -> Object {
    let mut all = vec![("token", JsValue::from(WRITE_TOKEN)), ("api", api.into())];
    all.extend(extra.iter().cloned());
    options(&all)
}

/// `[{ To_Account, Tags }, ...]`.
pub fn user_tags(list: &[(&str, &[&str])]) -> JsValue {
    let value = serde_json::Value::Array(
        list.iter()
            .map(|(account, tags)| json!({ "To_Account": account, "Tags": tags }))
            .collect(),
    );
    js_sys::JSON::parse(&value.to_string()).or_fail("cannot write the input")
}

/// A report's lists: done, failed (account and code), not done.
pub type Report = (Vec<String>, Vec<(String, i64)>, Vec<String>);

/// A report's lists, after checking that each entry of `failed` has its code and reason.
pub fn read_report(report: &JsValue) -> Report {
    let strings = |name: &str| -> Vec<String> {
        serde_wasm_bindgen::from_value(field(report, name))
            .or_fail(&format!("report.{name} is not a list of accounts"))
    };
    let failed: Array = field(report, "failed")
        .dyn_into()
        .or_fail("report.failed is not an array");
    let failed = failed
        .iter()
        .map(|entry| {
            let account = field(&entry, "To_Account")
                .as_string()
                .or_fail("a failed entry has no To_Account");
            let code = field(&entry, "ErrorCode")
                .as_f64()
                .or_fail("a failed entry has no ErrorCode");
            assert!(
                field(&entry, "ErrorInfo").is_string(),
                "a failed entry has no ErrorInfo"
            );
            (account, code as i64)
        })
        .collect();
    (strings("done"), failed, strings("notDone"))
}

/// The tags of `list`, read back through getTags.
pub async fn tags_of(api: &str, list: &[&str]) -> Vec<UserTags> {
    let tags = get_tags(
        accounts(&names(list)),
        Some(options(&[("api", api.into())]).unchecked_into()),
    )
    .await
    .or_fail("getTags rejected");
    serde_wasm_bindgen::from_value(tags).or_fail("getTags resolved to something else")
}

/// A field of a JavaScript object.
pub fn field(object: &JsValue, name: &str) -> JsValue {
    Reflect::get(object, &name.into()).or_fail(&format!("cannot read {name}"))
}

/// The path of `operation` on the generation named `api`, from the crate's call table.
pub fn path_of(operation: Operation, api: &str) -> &'static str {
    let api = TagApi::named(api).or_fail("not a generation");
    Call { operation, api }.path()
}

/// The code, info and status of a thrown TimError, after checking that it is one.
pub fn tim_error(thrown: &JsValue) -> (i64, String, Option<u16>) {
    let error: &js_sys::Error = thrown.dyn_ref().or_fail("what was thrown is not an Error");
    assert_eq!(error.name(), "TimError");
    let info = field(thrown, "info")
        .as_string()
        .or_fail("TimError.info is not a string");
    assert_eq!(error.message(), info);
    let status = field(thrown, "status").as_f64().map(|s| s as u16);
    let code = field(thrown, "code")
        .as_f64()
        .or_fail("TimError.code is not a number");
    (code as i64, info, status)
}

/// Asks the emulator to answer coming calls with these faults.
pub async fn inject(faults: Value) {
    let response = Request::post(&format!("{EMULATOR}/_emulator/faults"))
        .header(CONTROL.0, CONTROL.1)
        .body(faults.to_string())
        .or_fail("cannot build the fault request")
        .send()
        .await
        .or_fail(&format!(
            "the emulator does not answer at {EMULATOR}: {HOW}"
        ));
    assert_eq!(response.status(), 204, "the emulator refused the faults");
}

/// Drops the faults the emulator has not applied yet, so that none is left for another test.
pub async fn clear_faults() {
    let response = Request::delete(&format!("{EMULATOR}/_emulator/faults"))
        .header(CONTROL.0, CONTROL.1)
        .send()
        .await
        .or_fail(&format!(
            "the emulator does not answer at {EMULATOR}: {HOW}"
        ));
    assert!(response.ok(), "the emulator kept its faults");
}

/// The calls the emulator received, as it lists them.
pub async fn calls() -> Vec<Value> {
    let response = Request::get(&format!("{EMULATOR}/_emulator/calls"))
        .header(CONTROL.0, CONTROL.1)
        .send()
        .await
        .or_fail(&format!(
            "the emulator does not answer at {EMULATOR}: {HOW}"
        ));
    let text = response
        .text()
        .await
        .or_fail("cannot read the emulator's calls");
    serde_json::from_str(&text).or_fail("the emulator's calls are not JSON")
}

pub async fn calls_received() -> usize {
    calls().await.len()
}

/// The writes among the emulator's calls, in order: the Worker reads a write's accounts just
/// before it, for the history, and those gets are left out.
pub async fn writes() -> Vec<Value> {
    let mut writes = calls().await;
    writes.retain(|call| {
        !call["path"]
            .as_str()
            .unwrap_or_default()
            .ends_with("get_tag")
    });
    writes
}

pub async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}
