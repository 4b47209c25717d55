//! `addTags`, `removeTags`, `clearTags` and `session` against the local Worker and emulator,
//! on both generations: success, checks before any call, `ErrorList` accounts, `replace`,
//! tags split over calls, a RegistrationID named in two cases, and the report after a batch
//! stopped.

use super::package::{add_tags, clear_tags, remove_tags, session};
use js_sys::{Array, Object};
use serde_json::json;
use tim_tags::Operation;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::AbortController;

use super::stack::{
    Expect, accounts, calls, calls_received, field, inject, names, options, path_of, read_report,
    sleep, stack, tags_of, tim_error, user_tags, writer, writes,
};

/// A device the demo seed knows, which the tests of getTags leave alone.
const DEVICE: &str = "8a1d3c52-6f0e-4b7a-9c2d-5e4f3a2b1c0d";

#[wasm_bindgen_test]
async fn each_write_succeeds_on_both_generations_and_a_get_shows_it() {
    stack().await;
    for (api, account) in [
        ("all_member_push", "suite_write_legacy"),
        ("timpush", "suite_w1"),
    ] {
        let report = add_tags(
            user_tags(&[(account, &["w1", "w2"])]),
            Some(writer(api, &[]).unchecked_into()),
        )
        .await
        .or_fail("addTags rejected");
        assert_eq!(read_report(&report), (names(&[account]), vec![], vec![]));
        assert!(
            tags_of(api, &[account]).await[0]
                .tags
                .ends_with(&names(&["w1", "w2"]))
        );
        let report = remove_tags(
            user_tags(&[(account, &["w1"])]),
            Some(writer(api, &[]).unchecked_into()),
        )
        .await
        .or_fail("removeTags rejected");
        assert_eq!(read_report(&report).0, names(&[account]));
        let tags = &tags_of(api, &[account]).await[0].tags;
        assert!(
            tags.contains(&"w2".to_owned()) && !tags.contains(&"w1".to_owned()),
            "{tags:?}"
        );
        let report = clear_tags(
            accounts(&names(&[account, account])),
            Some(writer(api, &[]).unchecked_into()),
        )
        .await
        .or_fail("clearTags rejected");
        assert_eq!(read_report(&report), (names(&[account]), vec![], vec![]));
        assert!(tags_of(api, &[account]).await[0].tags.is_empty());
    }
}

#[wasm_bindgen_test]
async fn more_than_ten_tags_are_split_over_calls_and_replace_sets_them_in_one() {
    stack().await;
    let tags: Vec<String> = (0..25).map(|i| format!("split{i}")).collect();
    let tag_refs: Vec<&str> = tags.iter().map(String::as_str).collect();
    let before = calls_received().await;
    let report = add_tags(
        user_tags(&[("suite_w2", &tag_refs)]),
        Some(writer("timpush", &[]).unchecked_into()),
    )
    .await
    .or_fail("addTags rejected");
    assert_eq!(read_report(&report).0, names(&["suite_w2"]));
    let received = calls().await;
    let adds: Vec<usize> = received[before..]
        .iter()
        .filter(|c| c["path"] == path_of(Operation::Add, "timpush"))
        .map(|c| c["tags"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(adds, [10, 10, 5]);
    assert!(
        tags_of("timpush", &["suite_w2"]).await[0]
            .tags
            .ends_with(&tags)
    );
    let report = add_tags(
        user_tags(&[("suite_w2", &["only", "these"])]),
        Some(writer("timpush", &[("replace", true.into())]).unchecked_into()),
    )
    .await
    .or_fail("addTags with replace rejected");
    assert_eq!(read_report(&report).0, names(&["suite_w2"]));
    assert_eq!(
        tags_of("timpush", &["suite_w2"]).await[0].tags,
        ["only", "these"]
    );
}

#[wasm_bindgen_test]
async fn accounts_the_vendor_failed_are_reported_with_their_reason() {
    stack().await;
    let report = add_tags(
        user_tags(&[
            ("suite_w3", &["x"]),
            ("nobody_known", &["x"]),
            (DEVICE, &["x"]),
        ]),
        Some(writer("timpush", &[]).unchecked_into()),
    )
    .await
    .or_fail("addTags rejected");
    assert_eq!(
        read_report(&report),
        (
            names(&["suite_w3", DEVICE]),
            vec![("nobody_known".to_owned(), 70107)],
            vec![]
        )
    );
}

#[wasm_bindgen_test]
async fn bad_input_and_options_are_refused_before_any_call() {
    stack().await;
    let before = calls_received().await;
    let refused = |input: JsValue, options: Object| async move {
        let thrown = add_tags(input, Some(options.unchecked_into())).await;
        tim_error(
            &thrown
                .err()
                .or_fail("addTags resolved, but should have rejected"),
        )
    };
    let cases = [
        (
            user_tags(&[("a", &[])]),
            writer("all_member_push", &[]),
            90001,
            "userTags[0].Tags is empty: give at least one tag",
        ),
        (
            user_tags(&[("a", &["ok"]), ("", &["x"])]),
            writer("all_member_push", &[]),
            90001,
            "userTags[1].To_Account is empty",
        ),
        (
            user_tags(&[(DEVICE, &["x"])]),
            writer("all_member_push", &[]),
            90001,
            "only the timpush calls take",
        ),
        (
            JsValue::from("alice"),
            writer("all_member_push", &[]),
            90001,
            "userTags must be an array",
        ),
        (
            user_tags(&[("a", &["x"])]),
            writer("all_member_push", &[("replace", true.into())]),
            80400,
            "replace is taken by the timpush API only",
        ),
        (
            user_tags(&[("a", &["x"])]),
            writer("timpush", &[("replace", 1.into())]),
            80400,
            "replace must be a boolean",
        ),
        (
            user_tags(&[("a", &["x"])]),
            writer("all_member_push", &[("tokn", "x".into())]),
            80400,
            "\"tokn\" is not an option",
        ),
    ];
    for (input, options, code, info) in cases {
        let (got_code, got_info, status) = refused(input, options).await;
        assert_eq!((got_code, status), (code, None), "{got_info}");
        assert!(got_info.contains(info), "{got_info}");
    }
    // A write refused before anything is sent still reports: every account it names, not done.
    let thrown = add_tags(
        user_tags(&[("a", &["ok"]), ("b", &[]), ("a", &["again"])]),
        Some(writer("all_member_push", &[]).unchecked_into()),
    )
    .await
    .err()
    .or_fail("addTags took an entry with no tags");
    assert_eq!(
        read_report(&field(&thrown, "report")),
        (vec![], vec![], names(&["a", "b"]))
    );
    let many: Vec<String> = (0..101).map(|i| format!("r{i}")).collect();
    let many_refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let (code, info, _) = refused(
        user_tags(&[("a", &many_refs)]),
        writer("timpush", &[("replace", true.into())]),
    )
    .await;
    assert_eq!(code, 90001);
    assert!(info.contains("has 101 tags; at most 100"), "{info}");
    let thrown = remove_tags(
        user_tags(&[("a", &["x"])]),
        Some(writer("timpush", &[("replace", true.into())]).unchecked_into()),
    )
    .await;
    assert_eq!(
        tim_error(&thrown.err().or_fail("removeTags took replace")).0,
        80400
    );
    assert_eq!(calls_received().await, before, "something was sent");
}

#[wasm_bindgen_test]
async fn a_reader_is_refused_and_nothing_changes() {
    stack().await;
    let thrown = clear_tags(
        accounts(&names(&["suite_w4"])),
        Some(options(&[]).unchecked_into()),
    )
    .await;
    let thrown = thrown.err().or_fail("a reader cleared tags");
    let (code, info, status) = tim_error(&thrown);
    assert_eq!((code, status), (80403, Some(403)));
    assert!(info.contains("may only read"), "{info}");
    // Refused as a whole, the call changed nothing: its account failed with the refusal.
    assert_eq!(
        read_report(&field(&thrown, "report")),
        (vec![], vec![("suite_w4".into(), 80403)], vec![])
    );
}

/// `count` accounts named from `prefix`, once the calls of `operation` on the legacy
/// generation are set to meet `faults`, one call each, in turn.
async fn batch_with_faults(
    prefix: &str,
    count: usize,
    operation: Operation,
    mut faults: serde_json::Value,
) -> Vec<String> {
    stack().await;
    let path = path_of(operation, "all_member_push");
    for fault in faults.as_array_mut().or_fail("faults are a list") {
        fault["path"] = path.into();
    }
    inject(faults).await;
    (0..count).map(|i| format!("{prefix}_{i}")).collect()
}

#[wasm_bindgen_test]
async fn a_whole_call_failing_mid_batch_stops_it_and_the_report_says_what_was_done() {
    // The first call is answered; the second fails as a whole; the third is never sent.
    let faults = json!([{ "kind": "delay", "ms": 0 }, { "kind": "error", "code": 90009 }]);
    let list = batch_with_faults("suite_stop", 250, Operation::Add, faults).await;
    let entries: Vec<(&str, &[&str])> = list.iter().map(|a| (a.as_str(), &["stop"][..])).collect();
    let before = writes().await.len();
    let thrown = add_tags(
        user_tags(&entries),
        Some(writer("all_member_push", &[("maxCallsPerSecond", 4.into())]).unchecked_into()),
    )
    .await
    .err()
    .or_fail("the batch resolved, but a call failed");
    let (code, _, status) = tim_error(&thrown);
    assert_eq!((code, status), (90009, Some(200)));
    let (done, failed, not_done) = read_report(&field(&thrown, "report"));
    assert_eq!(done, list[..100]);
    // The refused call was answered: its accounts are failed with its code, not "not done".
    let refused: Vec<(String, i64)> = list[100..200].iter().map(|a| (a.clone(), 90009)).collect();
    assert_eq!(failed, refused);
    assert_eq!(not_done, list[200..]);
    assert_eq!(
        writes().await.len() - before,
        2,
        "a call was sent after the failure"
    );
}

#[wasm_bindgen_test]
async fn an_abort_mid_batch_cancels_and_the_report_says_what_was_done() {
    // The second call is slow: the abort catches it in flight.
    let faults = json!([{ "kind": "delay", "ms": 0 }, { "kind": "delay", "ms": 1500 }]);
    let list = batch_with_faults("suite_abort", 300, Operation::Clear, faults).await;
    let controller = AbortController::new().or_fail("no AbortController");
    let progress = Array::new();
    let record =
        js_sys::Function::new_with_args("done, total", "this.push([done, total])").bind0(&progress);
    let extra = [
        ("signal", JsValue::from(controller.signal())),
        ("maxCallsPerSecond", 2.into()),
        ("onProgress", record.into()),
    ];
    let clearing = clear_tags(
        accounts(&list),
        Some(writer("all_member_push", &extra).unchecked_into()),
    );
    let abort = async {
        sleep(800).await;
        controller.abort();
    };
    let (result, ()) = futures_util::join!(clearing, abort);
    let thrown = result.err().or_fail("the batch resolved, but was aborted");
    assert_eq!(tim_error(&thrown).0, 80499);
    let (done, failed, not_done) = read_report(&field(&thrown, "report"));
    assert_eq!(done, list[..100]);
    assert!(failed.is_empty());
    assert_eq!(not_done, list[100..]);
    let progress: Vec<(u32, u32)> =
        serde_wasm_bindgen::from_value(progress.into()).or_fail("progress");
    assert_eq!(progress, [(0, 300), (100, 300)]);
    sleep(1200).await; // the emulator finishes the slow call
}

#[wasm_bindgen_test]
async fn session_says_who_the_caller_is() {
    stack().await;
    let read = |value: JsValue| -> serde_json::Value {
        serde_wasm_bindgen::from_value(value).or_fail("session is not JSON")
    };
    let reader = session(Some(options(&[]).unchecked_into()))
        .await
        .or_fail("session rejected");
    assert_eq!(
        read(reader),
        json!({ "caller": "token-1", "scopes": ["read"], "api": "all_member_push", "calls_per_second": 100, "admitted_by": "token" })
    );
    let writer = session(Some(writer("timpush", &[]).unchecked_into()))
        .await
        .or_fail("session rejected");
    assert_eq!(
        read(writer),
        json!({ "caller": "ops", "scopes": ["read", "write"], "api": "all_member_push", "calls_per_second": 100, "admitted_by": "token" })
    );
    let nobody = session(Some(
        options(&[("token", "wrong-token-0123456789".into())]).unchecked_into(),
    ))
    .await;
    assert_eq!(
        tim_error(&nobody.err().or_fail("a wrong token was admitted")).0,
        80401
    );
}

#[wasm_bindgen_test]
async fn a_registration_id_in_two_cases_is_one_account_under_its_first_spelling() {
    stack().await;
    let upper = DEVICE.to_uppercase();
    let timpush = || Some(writer("timpush", &[]).unchecked_into());
    let before = writes().await.len();
    let report = add_tags(
        user_tags(&[
            (DEVICE, &["case_a"]),
            (upper.as_str(), &["case_a", "case_b"]),
        ]),
        timpush(),
    )
    .await
    .or_fail("addTags rejected");
    assert_eq!(read_report(&report), (names(&[DEVICE]), vec![], vec![]));
    let sent = writes().await;
    assert_eq!(sent.len() - before, 1, "one call, for one account");
    assert_eq!(sent[before]["accounts"], json!([DEVICE]));
    assert_eq!(sent[before]["tags"], json!(["case_a", "case_b"]));
    let tags = tags_of("timpush", &[DEVICE, upper.as_str()]).await;
    assert_eq!(tags.len(), 1, "a get names the device once: {tags:?}");
    assert!(tags[0].tags.ends_with(&names(&["case_a", "case_b"])));
    let report = remove_tags(
        user_tags(&[(DEVICE, &["case_a"]), (upper.as_str(), &["case_b"])]),
        timpush(),
    )
    .await
    .or_fail("removeTags rejected");
    assert_eq!(read_report(&report), (names(&[DEVICE]), vec![], vec![]));
    let tags = &tags_of("timpush", &[DEVICE]).await[0].tags;
    assert!(
        !tags.contains(&"case_a".to_owned()) && !tags.contains(&"case_b".to_owned()),
        "{tags:?}"
    );
}
