//! `getTags` against the local Worker and emulator (started by `tests/worker/serve.mjs`).

use std::collections::HashMap;

use gloo_net::http::Request;
use js_sys::{Array, Function, Object, Reflect};
use serde_json::Value;
use tim_tags::UserTags;
use tim_tags::browser::get_tags;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::AbortController;

const WORKER: &str = "http://127.0.0.1:8788";
const EMULATOR: &str = "http://127.0.0.1:9788";
const TOKEN: &str = "test-panel-token-0123456789abcdef";
/// The header the emulator's control endpoints ask for.
const CONTROL: (&str, &str) = ("X-Tim-Emulator", "control");
const SEED: &str = include_str!("../../src/emulator/demo-tags.json");

fn seed() -> HashMap<String, Vec<String>> {
    serde_json::from_str(SEED).unwrap()
}

fn accounts(names: &[String]) -> JsValue {
    names.iter().map(JsValue::from).collect::<Array>().into()
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Options with the Worker's endpoint and token, plus `extra`.
fn options(extra: &[(&str, JsValue)]) -> Object {
    let options = Object::new();
    let set = |name: &str, value: &JsValue| Reflect::set(&options, &name.into(), value).unwrap();
    set("endpoint", &WORKER.into());
    set("token", &TOKEN.into());
    for (name, value) in extra {
        set(name, value);
    }
    options
}

async fn lookup(list: &[String], options: Object) -> Result<Vec<UserTags>, JsValue> {
    let tags = get_tags(accounts(list), Some(options.unchecked_into())).await?;
    Ok(serde_wasm_bindgen::from_value(tags).unwrap())
}

/// The code, info and status of a thrown TimError, after checking that it is one.
fn tim_error(thrown: JsValue) -> (i64, String, Option<u16>) {
    let error: &js_sys::Error = thrown.dyn_ref().expect("a real Error");
    assert_eq!(error.name(), "TimError");
    let get = |name: &str| Reflect::get(&thrown, &name.into()).unwrap();
    let info = get("info").as_string().unwrap();
    assert_eq!(error.message(), info);
    let status = get("status").as_f64().map(|s| s as u16);
    (get("code").as_f64().unwrap() as i64, info, status)
}

async fn inject(faults: Value) {
    let response = Request::post(&format!("{EMULATOR}/_emulator/faults"))
        .header(CONTROL.0, CONTROL.1)
        .body(faults.to_string())
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
}

async fn calls_received() -> usize {
    let response = Request::get(&format!("{EMULATOR}/_emulator/calls"))
        .header(CONTROL.0, CONTROL.1)
        .send()
        .await
        .unwrap();
    let calls: Vec<Value> = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    calls.len()
}

async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

#[wasm_bindgen_test]
async fn tags_come_back_once_per_account_in_the_order_given() {
    let asked = names(&[
        "user_0002",
        "xiaojun",
        "user_0002",
        "nobody_here",
        "xiaojun",
    ]);
    let tags = lookup(&asked, options(&[])).await.unwrap();
    let seed = seed();
    let got: Vec<(&str, &[String])> = tags.iter().map(|t| (&*t.to_account, &*t.tags)).collect();
    assert_eq!(
        got,
        [
            ("user_0002", &seed["user_0002"][..]),
            ("xiaojun", &seed["xiaojun"][..]),
            ("nobody_here", &[][..]),
        ]
    );
}

#[wasm_bindgen_test]
async fn more_than_100_accounts_go_in_calls_of_100_with_progress() {
    let asked: Vec<String> = (1..=250).map(|i| format!("user_{i:04}")).collect();
    let progress = Array::new();
    let record =
        Function::new_with_args("done, total", "this.push([done, total])").bind0(&progress);
    let before = calls_received().await;
    let tags = lookup(&asked, options(&[("onProgress", record.into())]))
        .await
        .unwrap();
    assert_eq!(calls_received().await - before, 3);
    let seed = seed();
    assert_eq!(tags.len(), 250);
    for (tag, name) in tags.iter().zip(&asked) {
        assert_eq!((&tag.to_account, &tag.tags), (name, &seed[name]));
    }
    let progress: Vec<(u32, u32)> = serde_wasm_bindgen::from_value(progress.into()).unwrap();
    assert_eq!(progress, [(0, 250), (100, 250), (200, 250), (250, 250)]);
}

#[wasm_bindgen_test]
async fn no_accounts_need_no_call() {
    let before = calls_received().await;
    assert!(lookup(&[], options(&[])).await.unwrap().is_empty());
    assert_eq!(calls_received().await, before);
}

#[wasm_bindgen_test]
async fn invalid_input_is_refused_before_any_call() {
    let before = calls_received().await;
    let refused = |input: JsValue| async move {
        tim_error(
            get_tags(input, Some(options(&[]).unchecked_into()))
                .await
                .unwrap_err(),
        )
    };
    let (code, info, status) = refused("xiaojun".into()).await;
    assert_eq!(
        (code, info.as_str(), status),
        (90001, "accounts must be an array of strings", None)
    );
    let (_, info, _) = refused(Array::of2(&"a".into(), &7.into()).into()).await;
    assert_eq!(info, "accounts[1] is not a string");
    let (code, info, _) = refused(accounts(&names(&["ok", ""]))).await;
    assert_eq!((code, info.as_str()), (90001, "accounts[1] is empty"));
    // "a", a lone low surrogate, "b": not text; sent, it would name another account.
    let lone = js_sys::JsString::from_char_code(&[0x61, 0xdfff, 0x62]);
    let (code, info, _) = refused(Array::of2(&"ok".into(), &lone).into()).await;
    assert_eq!(
        (code, info.as_str()),
        (
            90001,
            "accounts[1] is not well-formed Unicode: it holds a lone surrogate"
        )
    );
    let (code, info, _) = refused(accounts(&["x".repeat(33)])).await;
    assert_eq!(code, 90001);
    assert!(info.contains("is 33 bytes long; at most 32"), "{info}");
    let bad_option = lookup(&names(&["a"]), options(&[("timeoutMs", (-1).into())])).await;
    let (code, info, _) = tim_error(bad_option.unwrap_err());
    assert_eq!(
        (code, info.as_str()),
        (80400, "invalid option: timeoutMs must be a positive number")
    );
    assert_eq!(calls_received().await, before);
}

#[wasm_bindgen_test]
async fn a_wrong_token_is_a_401() {
    let thrown = lookup(
        &names(&["a"]),
        options(&[("token", "wrong-token-0123456789".into())]),
    )
    .await;
    let (code, info, status) = tim_error(thrown.unwrap_err());
    assert_eq!((code, status), (80401, Some(401)));
    assert!(info.contains("credentials"), "{info}");
}

#[wasm_bindgen_test]
async fn a_vendor_error_carries_its_code() {
    inject(serde_json::json!([{ "kind": "error", "code": 70009 }])).await;
    let (code, info, status) = tim_error(lookup(&names(&["a"]), options(&[])).await.unwrap_err());
    assert_eq!((code, status), (70009, Some(200)));
    assert_eq!(info, "injected error 70009");
}

#[wasm_bindgen_test]
async fn a_passing_error_the_worker_gave_up_on_is_tried_again() {
    // The Worker tries three times, then answers 91000; getTags tries once more.
    inject(serde_json::json!([{ "kind": "error", "code": 91000, "times": 3 }])).await;
    let before = calls_received().await;
    let tags = lookup(&names(&["xiaojun"]), options(&[])).await.unwrap();
    assert_eq!(tags[0].tags, seed()["xiaojun"]);
    assert_eq!(calls_received().await - before, 4);
}

#[wasm_bindgen_test]
async fn the_worker_failing_upstream_is_a_502() {
    // Three tries of getTags, each of three tries of the Worker.
    inject(serde_json::json!([{ "kind": "drop", "times": 9 }])).await;
    let (code, _, status) = tim_error(lookup(&names(&["a"]), options(&[])).await.unwrap_err());
    assert_eq!((code, status), (80502, Some(502)));
}

#[wasm_bindgen_test]
async fn an_unreachable_endpoint_is_a_502_without_status() {
    let thrown = lookup(
        &names(&["a"]),
        options(&[("endpoint", "http://127.0.0.1:9".into())]),
    )
    .await;
    let (code, info, status) = tim_error(thrown.unwrap_err());
    assert_eq!((code, status), (80502, None));
    assert!(info.contains("could not be reached"), "{info}");
}

#[wasm_bindgen_test]
async fn a_slow_call_times_out() {
    inject(serde_json::json!([{ "kind": "delay", "ms": 1500 }])).await;
    let thrown = lookup(&names(&["a"]), options(&[("timeoutMs", 300.into())])).await;
    let (code, info, status) = tim_error(thrown.unwrap_err());
    assert_eq!(
        (code, info.as_str(), status),
        (80408, "no answer within 300 ms", None)
    );
    sleep(1300).await; // Let the emulator finish the slow call before the next test.
}

#[wasm_bindgen_test]
async fn an_aborted_signal_sends_nothing() {
    let controller = AbortController::new().unwrap();
    controller.abort();
    let before = calls_received().await;
    let thrown = lookup(
        &names(&["a"]),
        options(&[("signal", controller.signal().into())]),
    )
    .await;
    assert_eq!(tim_error(thrown.unwrap_err()).0, 80499);
    assert_eq!(calls_received().await, before);
}

#[wasm_bindgen_test]
async fn aborting_cancels_the_call_in_flight_and_those_not_sent() {
    inject(serde_json::json!([{ "kind": "delay", "ms": 1000 }])).await;
    let controller = AbortController::new().unwrap();
    let asked: Vec<String> = (1..=300).map(|i| format!("user_{i:04}")).collect();
    let extra = [
        ("signal", controller.signal().into()),
        ("maxCallsPerSecond", 2.into()),
    ];
    let before = calls_received().await;
    let started = js_sys::Date::now();
    let lookup = lookup(&asked, options(&extra));
    let abort = async {
        sleep(200).await;
        controller.abort_with_reason(&"stop".into());
    };
    let (result, ()) = futures_util::join!(lookup, abort);
    assert_eq!(tim_error(result.unwrap_err()).0, 80499);
    assert!(
        js_sys::Date::now() - started < 900.0,
        "the abort did not cut the call short"
    );
    sleep(1500).await; // Calls 2 and 3 were due at 500 and 1000 ms.
    assert!(
        calls_received().await - before <= 1,
        "calls were sent after the abort"
    );
}

#[wasm_bindgen_test]
async fn an_endpoint_that_is_not_the_worker_is_a_502_with_its_status() {
    let elsewhere = format!("{EMULATOR}/elsewhere");
    let thrown = lookup(&names(&["a"]), options(&[("endpoint", elsewhere.into())])).await;
    let (code, info, status) = tim_error(thrown.unwrap_err());
    assert_eq!((code, status), (80502, Some(404)));
    assert!(
        info.contains("is not an answer of the Worker (HTTP 404)"),
        "{info}"
    );
}

#[wasm_bindgen_test]
async fn on_timpush_a_failed_account_comes_back_with_its_reason_never_as_no_tags() {
    let device = "379C2F0D-290D-47AE-94D1-919058C39C77";
    let asked = names(&["xiaojun", "nobody_known", device]);
    let tags = get_tags(
        accounts(&asked),
        Some(options(&[("api", "timpush".into())]).unchecked_into()),
    )
    .await
    .unwrap();
    let entries: Vec<JsValue> = tags.unchecked_into::<Array>().iter().collect();
    let field = |entry: &JsValue, name: &str| Reflect::get(entry, &name.into()).unwrap();
    let seed = seed();
    assert_eq!(entries.len(), 3);
    let read: Vec<UserTags> = entries
        .iter()
        .map(|e| serde_wasm_bindgen::from_value(e.clone()).unwrap())
        .collect();
    assert_eq!(read[0].tags, seed["xiaojun"]);
    assert_eq!(read[2].tags, seed[device]);
    assert!(field(&entries[0], "ErrorCode").is_undefined());
    assert_eq!(read[1].to_account, "nobody_known");
    assert!(read[1].tags.is_empty());
    assert_eq!(field(&entries[1], "ErrorCode").as_f64(), Some(70107.0));
    assert_eq!(
        field(&entries[1], "ErrorInfo").as_string().as_deref(),
        Some("account does not exist")
    );
}

#[wasm_bindgen_test]
async fn a_registration_id_is_refused_on_the_legacy_api_before_any_call() {
    let before = calls_received().await;
    let device = names(&["379C2F0D-290D-47AE-94D1-919058C39C77"]);
    let (code, info, _) = tim_error(lookup(&device, options(&[])).await.unwrap_err());
    assert_eq!(code, 90001);
    assert!(info.contains("only the timpush calls take"), "{info}");
    let bad_api = lookup(&device, options(&[("api", "v5".into())])).await;
    assert_eq!(tim_error(bad_api.unwrap_err()).0, 80400);
    assert_eq!(calls_received().await, before);
}
