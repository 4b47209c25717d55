//! `getTags` against the local Worker and emulator (started by `tests/worker/serve.mjs`).

use super::package::get_tags;
use js_sys::{Array, Function};
use tim_tags::UserTags;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::AbortController;

use super::stack::{
    EMULATOR, Expect, accounts, calls_received, field, inject, names, options, seed, sleep, stack,
    tim_error,
};

/// The code, info and status of the TimError a call rejected with.
fn rejected<T>(result: Result<T, JsValue>) -> (i64, String, Option<u16>) {
    tim_error(
        &result
            .err()
            .or_fail("it resolved, but should have rejected"),
    )
}

/// The code, info and status of the TimError a lookup of one account with one option
/// rejected with.
async fn rejected_with(option: (&str, JsValue)) -> (i64, String, Option<u16>) {
    rejected(lookup(&names(&["a"]), options(&[option])).await)
}

async fn lookup(list: &[String], options: js_sys::Object) -> Result<Vec<UserTags>, JsValue> {
    stack().await;
    let tags = get_tags(accounts(list), Some(options.unchecked_into())).await?;
    Ok(serde_wasm_bindgen::from_value(tags)
        .or_fail("getTags resolved to something else than UserTags[]"))
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
    let tags = lookup(&asked, options(&[]))
        .await
        .or_fail("getTags rejected");
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
        .or_fail("getTags rejected");
    assert_eq!(calls_received().await - before, 3);
    let seed = seed();
    assert_eq!(tags.len(), 250);
    for (tag, name) in tags.iter().zip(&asked) {
        assert_eq!((&tag.to_account, &tag.tags), (name, &seed[name]));
    }
    let progress: Vec<(u32, u32)> = serde_wasm_bindgen::from_value(progress.into())
        .or_fail("the progress calls are not pairs of numbers");
    assert_eq!(progress, [(0, 250), (100, 250), (200, 250), (250, 250)]);
}

#[wasm_bindgen_test]
async fn no_accounts_need_no_call() {
    let before = calls_received().await;
    assert!(
        lookup(&[], options(&[]))
            .await
            .or_fail("getTags rejected")
            .is_empty()
    );
    assert_eq!(calls_received().await, before);
}

#[wasm_bindgen_test]
async fn invalid_input_is_refused_before_any_call() {
    let before = calls_received().await;
    let refused = |input: JsValue| async move {
        rejected(get_tags(input, Some(options(&[]).unchecked_into())).await)
    };
    let (code, info, status) = refused("xiaojun".into()).await;
    assert_eq!(
        (code, info.as_str(), status),
        (
            90001,
            "accounts must be an array of accounts (strings)",
            None
        )
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
    let (code, info, _) = rejected(bad_option);
    assert_eq!(
        (code, info.as_str()),
        (80400, "invalid option: timeoutMs must be a positive number")
    );
    assert_eq!(calls_received().await, before);
}

#[wasm_bindgen_test]
async fn a_wrong_token_is_a_401() {
    let (code, info, status) = rejected_with(("token", "wrong-token-0123456789".into())).await;
    assert_eq!((code, status), (80401, Some(401)));
    assert!(info.contains("credentials"), "{info}");
}

#[wasm_bindgen_test]
async fn a_vendor_error_carries_its_code() {
    inject(serde_json::json!([{ "kind": "error", "code": 70009 }])).await;
    let (code, info, status) = rejected(lookup(&names(&["a"]), options(&[])).await);
    assert_eq!((code, status), (70009, Some(200)));
    assert_eq!(info, "injected error 70009");
}

/// Looks up one account while the vendor fails `times` calls with `code`: the lookup comes
/// back right, and the vendor heard this many calls.
async fn calls_through_failures(code: i64, times: u32) -> usize {
    inject(serde_json::json!([{ "kind": "error", "code": code, "times": times }])).await;
    let before = calls_received().await;
    let tags = lookup(&names(&["xiaojun"]), options(&[]))
        .await
        .or_fail("getTags rejected");
    assert_eq!(tags[0].tags, seed()["xiaojun"]);
    calls_received().await - before
}

#[wasm_bindgen_test]
async fn a_passing_error_the_worker_gave_up_on_is_tried_again() {
    // The Worker tries three times, then answers 91000; getTags tries once more.
    assert_eq!(calls_through_failures(91000, 3).await, 4);
}

#[wasm_bindgen_test]
async fn the_app_s_rate_never_fails_a_batch_its_waits_are_not_tries() {
    // The Worker tries three times and answers 60007 twice; getTags waits each time as the
    // rate asks and sends the call again, past the three tries a passing error would get.
    assert_eq!(calls_through_failures(60007, 7).await, 8);
}

#[wasm_bindgen_test]
async fn the_worker_failing_upstream_is_a_502() {
    // Three tries of getTags, each of three tries of the Worker.
    inject(serde_json::json!([{ "kind": "drop", "times": 9 }])).await;
    let (code, _, status) = rejected(lookup(&names(&["a"]), options(&[])).await);
    assert_eq!((code, status), (80502, Some(502)));
}

#[wasm_bindgen_test]
async fn an_unreachable_endpoint_is_a_502_without_status() {
    let (code, info, status) = rejected_with(("endpoint", "http://127.0.0.1:9".into())).await;
    assert_eq!((code, status), (80502, None));
    assert!(info.contains("could not be reached"), "{info}");
}

#[wasm_bindgen_test]
async fn a_slow_call_times_out() {
    inject(serde_json::json!([{ "kind": "delay", "ms": 1500 }])).await;
    let (code, info, status) = rejected_with(("timeoutMs", 300.into())).await;
    assert_eq!(
        (code, info.as_str(), status),
        (80408, "no answer within 300 ms", None)
    );
    sleep(1300).await; // Let the emulator finish the slow call before the next test.
}

#[wasm_bindgen_test]
async fn an_aborted_signal_sends_nothing() {
    let controller = AbortController::new().or_fail("no AbortController");
    controller.abort();
    let before = calls_received().await;
    let thrown = lookup(
        &names(&["a"]),
        options(&[("signal", controller.signal().into())]),
    )
    .await;
    assert_eq!(rejected(thrown).0, 80499);
    assert_eq!(calls_received().await, before);
}

#[wasm_bindgen_test]
async fn aborting_cancels_the_call_in_flight_and_those_not_sent() {
    inject(serde_json::json!([{ "kind": "delay", "ms": 1000 }])).await;
    let controller = AbortController::new().or_fail("no AbortController");
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
    assert_eq!(rejected(result).0, 80499);
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
    let (code, info, status) = rejected_with(("endpoint", elsewhere.into())).await;
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
    .or_fail("getTags rejected");
    let entries: Vec<JsValue> = tags.unchecked_into::<Array>().iter().collect();
    let seed = seed();
    assert_eq!(entries.len(), 3);
    let read: Vec<UserTags> = entries
        .iter()
        .map(|e| serde_wasm_bindgen::from_value(e.clone()).or_fail("an entry is not UserTags"))
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
    let (code, info, _) = rejected(lookup(&device, options(&[])).await);
    assert_eq!(code, 90001);
    assert!(info.contains("only the timpush calls take"), "{info}");
    let bad_api = lookup(&device, options(&[("api", "v5".into())])).await;
    assert_eq!(rejected(bad_api).0, 80400);
    assert_eq!(calls_received().await, before);
}
