//! `history`, `change` and `undo` against the local Worker and emulator, and the batch id every
//! write sends: read back through the history, undone change by change or batch by batch,
//! every account accounted for, and bad queries and targets refused before anything is sent.

use js_sys::{Array, Function};
use serde_json::{Value, json};
use tim_tags::Operation;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

use super::package::{add_tags, change, clear_tags, history, undo};
use super::stack::{
    Expect, accounts, clear_faults, field, inject, names, options, path_of, stack, tags_of,
    tim_error, user_tags, writer,
};

/// The legacy generation takes any account, so that each test writes accounts of its own.
const LEGACY: &str = "all_member_push";
const TIMPUSH: &str = "timpush";
/// An account the current generation knows, which the other tests only read.
const KNOWN: &str = "suite_w4";

/// A JSON value as JavaScript holds it.
fn js(value: &Value) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).or_fail("cannot write the JSON")
}

/// A JavaScript value as JSON.
fn json_of(value: &JsValue) -> Value {
    let text: String = js_sys::JSON::stringify(value)
        .or_fail("cannot stringify")
        .into();
    serde_json::from_str(&text).or_fail("not JSON")
}

/// `count` accounts of a test's own, `suite_{prefix}_{i}`.
fn named(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("suite_{prefix}_{i}")).collect()
}

/// Adds `tag` to each of `list` on `api` as the writer; the report.
async fn add(api: &str, list: &[String], tag: &str) -> Value {
    let tags = [tag];
    let entries: Vec<(&str, &[&str])> = list.iter().map(|a| (a.as_str(), &tags[..])).collect();
    let report = add_tags(user_tags(&entries), Some(writer(api, &[]).unchecked_into()))
        .await
        .or_fail("addTags rejected");
    json_of(&report)
}

/// The page `history` resolves to for `query`, as a reader asks.
async fn page(query: Value) -> Value {
    let page = history(js(&query), Some(options(&[]).unchecked_into()))
        .await
        .or_fail("history rejected");
    json_of(&page)
}

/// The changes of a batch, newest first (every one of them: a batch here has few).
async fn changes_of(batch: &str) -> Vec<Value> {
    let page = page(json!({ "batch": batch, "limit": 200 })).await;
    assert_eq!(
        page["next"],
        Value::Null,
        "a batch of more than 200 changes"
    );
    page["changes"]
        .as_array()
        .or_fail("the page has no changes")
        .clone()
}

/// A report's batch id, after checking that it is 16 lowercase hex digits.
fn batch_of(report: &Value) -> String {
    let batch = report["batch"].as_str().or_fail("the report has no batch");
    let hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    assert!(batch.len() == 16 && batch.bytes().all(hex), "{batch}");
    batch.to_owned()
}

/// A report's lists of accounts, each sorted: done, failed, not done and skipped.
fn lists(report: &Value) -> [Vec<String>; 4] {
    let sorted = |name: &str, key: Option<&str>| -> Vec<String> {
        let list = report[name].as_array().or_fail("a list is missing");
        let mut names: Vec<String> = list
            .iter()
            .map(|item| key.map_or(item, |key| &item[key]))
            .map(|name| name.as_str().or_fail("not an account").to_owned())
            .collect();
        names.sort();
        names
    };
    [
        sorted("done", None),
        sorted("failed", Some("To_Account")),
        sorted("notDone", None),
        sorted("skipped", Some("To_Account")),
    ]
}

fn sorted(list: &[String]) -> Vec<String> {
    let mut list = list.to_vec();
    list.sort();
    list
}

#[wasm_bindgen_test]
async fn every_call_of_a_write_carries_its_one_batch_id() {
    stack().await;
    let list = named("hist_batch", 250);
    let report = add(LEGACY, &list, "hb").await;
    let batch = batch_of(&report);
    // Three calls, of 100, 100 and 50 accounts, each stored with the write's batch id.
    let changes = changes_of(&batch).await;
    let mut sizes: Vec<u64> = changes
        .iter()
        .map(|c| c["accounts"].as_u64().unwrap_or(0))
        .collect();
    sizes.sort();
    assert_eq!(sizes, [50, 100, 100]);
    for change in &changes {
        assert_eq!(
            (&change["batch"], &change["op"], &change["caller"]),
            (&json!(batch), &json!("add"), &json!("ops"))
        );
        assert_eq!(change["tags"], json!(["hb"]));
    }
    // Each write draws an id of its own; a clear's report says its id too.
    let cleared = clear_tags(
        accounts(&list[..2]),
        Some(writer(LEGACY, &[]).unchecked_into()),
    )
    .await
    .or_fail("clearTags rejected");
    let cleared = batch_of(&json_of(&cleared));
    assert_ne!(cleared, batch);
    assert_eq!(changes_of(&cleared).await[0]["op"], "clear");
    // A write that is refused still says its batch id.
    let thrown = clear_tags(accounts(&list[..1]), Some(options(&[]).unchecked_into()))
        .await
        .err()
        .or_fail("a reader cleared tags");
    assert_eq!(tim_error(&thrown).0, 80403);
    batch_of(&json_of(&field(&thrown, "report")));
}

#[wasm_bindgen_test]
async fn a_change_is_listed_by_pages_and_opened_with_its_accounts() {
    stack().await;
    let list = named("hist_open", 2);
    add(LEGACY, &list, "first").await;
    let batch = batch_of(&add(LEGACY, &list, "second").await);
    // The account's changes, newest first, one a page.
    let one = page(json!({ "account": list[0], "limit": 1 })).await;
    let id = one["changes"][0]["id"].as_str().or_fail("no id").to_owned();
    assert_eq!(one["changes"][0]["batch"], json!(batch));
    let next = one["next"].as_str().or_fail("no next page");
    let two = page(json!({ "account": list[0], "limit": 1, "cursor": next })).await;
    assert_eq!(two["changes"][0]["tags"], json!(["first"]));
    // Filters narrow it: no clear of this account, no change by the reader.
    for filter in [json!({ "op": "clear" }), json!({ "caller": "token-1" })] {
        let mut query = filter;
        query["account"] = json!(list[0]);
        let none = page(query).await;
        assert_eq!(
            (&none["changes"], &none["next"]),
            (&json!([]), &Value::Null)
        );
    }
    let opened = change(id.as_str().into(), Some(options(&[]).unchecked_into()))
        .await
        .or_fail("change rejected");
    let opened = json_of(&opened);
    assert_eq!(opened["change"]["id"], json!(id));
    let account = |name: &str| {
        json!({ "account": name, "outcome": "done", "code": 0,
                "before": ["first"], "after": ["first", "second"] })
    };
    assert_eq!(
        opened["accounts"],
        json!([account(&list[0]), account(&list[1])])
    );
    let unknown = change("999999999".into(), Some(options(&[]).unchecked_into())).await;
    let (code, _, status) = tim_error(&unknown.err().or_fail("an unknown change was found"));
    assert_eq!((code, status), (80404, Some(404)));
}

#[wasm_bindgen_test]
async fn an_undo_of_a_change_puts_its_accounts_back_and_is_a_change_itself() {
    stack().await;
    let list = named("hist_undo", 3);
    add(LEGACY, &list, "keep").await;
    let batch = batch_of(&add(LEGACY, &list, "drop").await);
    let id = changes_of(&batch).await[0]["id"]
        .as_str()
        .or_fail("no id")
        .to_owned();
    let undone = undo(
        id.as_str().into(),
        Some(writer(LEGACY, &[]).unchecked_into()),
    )
    .await
    .or_fail("undo rejected");
    let undone = json_of(&undone);
    assert_eq!(lists(&undone), [sorted(&list), vec![], vec![], vec![]]);
    let refs: Vec<&str> = list.iter().map(String::as_str).collect();
    for account in tags_of(LEGACY, &refs).await {
        assert_eq!(account.tags, ["keep"], "{}", account.to_account);
    }
    let own = changes_of(&batch_of(&undone)).await;
    assert_eq!(own.len(), 1);
    assert_eq!(
        (&own[0]["op"], &own[0]["undo_of"]),
        (&json!("undo"), &json!(id))
    );
}

#[wasm_bindgen_test]
async fn an_undo_of_a_batch_of_250_accounts_undoes_each_of_its_changes() {
    stack().await;
    let list = named("hist_undo250", 250);
    let batch = batch_of(&add(LEGACY, &list, "u250").await);
    let progress = Array::new();
    let record =
        Function::new_with_args("done, total", "this.push([done, total])").bind0(&progress);
    let undone = undo(
        js(&json!({ "batch": batch })),
        Some(writer(LEGACY, &[("onProgress", record.into())]).unchecked_into()),
    )
    .await
    .or_fail("undo rejected");
    let undone = json_of(&undone);
    assert_eq!(lists(&undone), [sorted(&list), vec![], vec![], vec![]]);
    let refs: Vec<&str> = list.iter().map(String::as_str).collect();
    assert!(
        tags_of(LEGACY, &refs)
            .await
            .iter()
            .all(|a| a.tags.is_empty())
    );
    // One undo change for each change of the batch, under the undo's own batch id.
    let own = changes_of(&batch_of(&undone)).await;
    let undone_ids: Vec<&Value> = own.iter().map(|c| &c["undo_of"]).collect();
    let batch_ids: Vec<Value> = changes_of(&batch)
        .await
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(own.len(), 3);
    assert!(
        batch_ids.iter().all(|id| undone_ids.contains(&id)),
        "{own:?}"
    );
    let progress: Vec<(u32, u32)> =
        serde_wasm_bindgen::from_value(progress.into()).or_fail("progress");
    assert_eq!(progress.first(), Some(&(0, 250)));
    assert_eq!(progress.last(), Some(&(250, 250)));
}

#[wasm_bindgen_test]
async fn an_undo_accounts_for_every_account_once_with_those_it_skipped() {
    stack().await;
    // Changed since: the second add changed one account after the batch being undone.
    let list = named("hist_since", 4);
    let batch = batch_of(&add(LEGACY, &list, "c1").await);
    add(LEGACY, &list[..1], "c2").await;
    let undone = undo(
        js(&json!({ "batch": batch })),
        Some(writer(LEGACY, &[]).unchecked_into()),
    )
    .await
    .or_fail("undo rejected");
    let undone = json_of(&undone);
    assert_eq!(
        lists(&undone),
        [list[1..].to_vec(), vec![], vec![], list[..1].to_vec()]
    );
    assert_eq!(undone["skipped"][0]["reason"], "changed since");
    // Not done: an account the vendor failed in the change is left alone.
    let report = add(TIMPUSH, &names(&[KNOWN, "suite_hist_nobody"]), "c3").await;
    assert_eq!(report["failed"][0]["ErrorCode"], 70107);
    let undone = undo(
        js(&json!({ "batch": batch_of(&report) })),
        Some(writer(TIMPUSH, &[]).unchecked_into()),
    )
    .await
    .or_fail("undo rejected");
    let undone = json_of(&undone);
    assert_eq!(
        lists(&undone),
        [
            names(&[KNOWN]),
            vec![],
            vec![],
            names(&["suite_hist_nobody"])
        ]
    );
    let reason = &undone["skipped"][0]["reason"];
    assert!(
        reason == "not done" || reason == "before unknown",
        "{reason}"
    );
    assert!(
        !tags_of(TIMPUSH, &[KNOWN]).await[0]
            .tags
            .contains(&"c3".to_owned())
    );
}

#[wasm_bindgen_test]
async fn a_readers_undo_is_refused_and_its_accounts_failed_with_the_refusal() {
    stack().await;
    let list = named("hist_reader", 2);
    let batch = batch_of(&add(LEGACY, &list, "stays").await);
    let thrown = undo(
        js(&json!({ "batch": batch })),
        Some(options(&[]).unchecked_into()),
    )
    .await
    .err()
    .or_fail("a reader undid a change");
    let (code, _, status) = tim_error(&thrown);
    assert_eq!((code, status), (80403, Some(403)));
    let report = json_of(&field(&thrown, "report"));
    assert_eq!(lists(&report), [vec![], sorted(&list), vec![], vec![]]);
    batch_of(&report);
    let refs: Vec<&str> = list.iter().map(String::as_str).collect();
    assert!(
        tags_of(LEGACY, &refs)
            .await
            .iter()
            .all(|a| a.tags == ["stays"])
    );
}

#[wasm_bindgen_test]
async fn an_undo_that_stops_fails_the_refused_call_s_accounts_and_leaves_the_rest_not_done() {
    stack().await;
    let list = named("hist_stop", 150);
    let batch = batch_of(&add(LEGACY, &list, "s").await);
    // The undo's first call (the newer change, of 50 accounts) reads the accounts' tags and is
    // refused as a whole; the second is never sent.
    let get = path_of(Operation::Get, LEGACY);
    inject(json!([{ "kind": "error", "code": 90009, "path": get }])).await;
    let thrown = undo(
        js(&json!({ "batch": batch })),
        Some(writer(LEGACY, &[("maxCallsPerSecond", 2.into())]).unchecked_into()),
    )
    .await;
    // Whatever the undo did, no fault is left for another test.
    clear_faults().await;
    let thrown = thrown.err().or_fail("the undo resolved, but a call failed");
    assert_eq!(tim_error(&thrown).0, 90009);
    let report = json_of(&field(&thrown, "report"));
    assert_eq!(
        lists(&report),
        [vec![], sorted(&list[100..]), sorted(&list[..100]), vec![]]
    );
}

#[wasm_bindgen_test]
async fn bad_queries_and_targets_are_refused_before_anything_is_sent() {
    stack().await;
    // Nothing answers at this endpoint: whatever was sent would reject with 80502.
    let nowhere = || Some(options(&[("endpoint", "http://127.0.0.1:9".into())]).unchecked_into());
    let refused = |thrown: Result<JsValue, JsValue>, name: &str| {
        let (code, info, status) = tim_error(&thrown.err().or_fail("it resolved"));
        assert_eq!((code, status), (80400, None), "{info}");
        assert!(info.contains(name), "{info} does not name {name}");
    };
    for (query, name) in [
        (json!({ "account": "a", "acount": "b" }), "\"acount\""),
        (json!({ "limit": 0 }), "limit"),
        (json!({ "limit": "50" }), "limit"),
        (json!({ "op": 1 }), "op"),
        (json!("account=a"), "query"),
    ] {
        refused(history(js(&query), nowhere()).await, name);
    }
    for id in [JsValue::from(""), JsValue::from(5)] {
        refused(change(id, nowhere()).await, "id");
    }
    for target in [
        json!(""),
        json!(5),
        json!({ "batch": "" }),
        json!({ "change": "1" }),
    ] {
        refused(undo(js(&target), nowhere()).await, "target");
    }
    let sent = history(JsValue::UNDEFINED, nowhere()).await;
    assert_eq!(tim_error(&sent.err().or_fail("nowhere answered")).0, 80502);
}
