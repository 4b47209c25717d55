//! The package's history decisions, natively: batch ids, paths and queries, answers read, and
//! what an undo did, account by account.

use std::collections::HashMap;
use std::ops::Range;

use serde_json::{Value, json};

use super::*;
use crate::api::answer::AccountError;
use crate::api::codes::Coded;

fn option_error(option: &'static str, problem: OptionProblem) -> ClientError {
    ClientError::InvalidOption(OptionError::new(option, problem))
}

#[test]
fn a_batch_id_is_16_hex_digits_from_16_draws() {
    let mut draws = [0.0, 0.999_999, 0.5, 0.0625].into_iter().cycle();
    let id = batch_id(&mut || draws.next().unwrap_or(0.0));
    assert_eq!(id, "0f810f810f810f81");
    let mut random = {
        let mut state = 7u32;
        move || {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            f64::from(state >> 8) / f64::from(1u32 << 24)
        }
    };
    let (a, b) = (batch_id(&mut random), batch_id(&mut random));
    assert_ne!(a, b);
    for id in [a, b] {
        assert_eq!(id.len(), 16);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }
}

#[test]
fn values_are_percent_encoded_but_for_unreserved_bytes() {
    let mut out = String::new();
    push_encoded(&mut out, "aZ09-._~ /?&=%+#é");
    assert_eq!(out, "aZ09-._~%20%2f%3f%26%3d%25%2b%23%c3%a9");
}

#[test]
fn a_history_query_becomes_the_route_parameters_in_order() {
    assert_eq!(history_path::<Value>(None), Ok("/history".into()));
    assert_eq!(history_path(Some(&json!({}))), Ok("/history".into()));
    let query = json!({
        "cursor": "c/1", "limit": 200, "until": "2026-12-04T18:03:11.512Z",
        "since": "2026-12-01T00:00:00Z", "batch": "b_1", "outcome": "partial", "op": "add",
        "caller": "ops.alice", "tag": "vip & co", "account": "alice",
    });
    assert_eq!(
        history_path(Some(&query)).unwrap(),
        "/history?account=alice&batch=b_1&caller=ops.alice&cursor=c%2f1&limit=200&op=add\
         &outcome=partial&since=2026-12-01T00%3a00%3a00Z&tag=vip%20%26%20co\
         &until=2026-12-04T18%3a03%3a11.512Z"
    );
    // Fields that are null are left out, as the options' are.
    assert_eq!(
        history_path(Some(&json!({ "account": null, "tag": "x" }))),
        Ok("/history?tag=x".into())
    );
}

#[test]
fn a_bad_history_query_is_refused_naming_what_is_wrong() {
    let refused = |query: Value| history_path(Some(&query)).unwrap_err();
    let unknown = refused(json!({ "account": "a", "acount": "b" }));
    assert_eq!(unknown, ClientError::NotAFilter("\"acount\"".into()));
    assert_eq!(unknown.code(), 80400);
    assert_eq!(
        unknown.to_string(),
        "invalid option: query has \"acount\", which is not a filter of history"
    );
    let mut hostile = serde_json::Map::new();
    hostile.insert("x".repeat(10_000), json!(1));
    let long = refused(Value::Object(hostile));
    assert!(long.to_string().len() < 120, "{long}");
    assert_eq!(
        refused(json!("account=alice")),
        option_error("query", OptionProblem::NotAnObject)
    );
    assert_eq!(
        refused(json!(["account"])),
        option_error("query", OptionProblem::NotAnObject)
    );
    for limit in [json!(0), json!(1.5), json!("50"), json!(-1), json!(true)] {
        assert_eq!(
            refused(json!({ "limit": limit })),
            option_error("limit", OptionProblem::NotACount)
        );
    }
    assert_eq!(
        refused(json!({ "op": 1 })),
        option_error("op", OptionProblem::NotAString)
    );
    assert_eq!(
        option_error("op", OptionProblem::NotAString).to_string(),
        "invalid option: op must be a string"
    );
}

#[test]
fn a_change_is_found_under_its_encoded_id() {
    assert_eq!(read_id(&json!("123")), Ok("123".into()));
    assert_eq!(change_path("123"), "/history/123");
    assert_eq!(change_path("a/b?c"), "/history/a%2fb%3fc");
    for id in [json!(""), json!(123), json!(null), json!({ "id": "1" })] {
        assert_eq!(
            read_id(&id),
            Err(option_error("id", OptionProblem::NotAnId))
        );
    }
}

#[test]
fn an_undo_takes_a_change_id_or_a_batch() {
    assert_eq!(
        UndoTarget::read(&json!("42")),
        Ok(UndoTarget::Change("42".into()))
    );
    assert_eq!(
        UndoTarget::read(&json!({ "batch": "0123abcd" })),
        Ok(UndoTarget::Batch("0123abcd".into()))
    );
    for target in [
        json!(""),
        json!(42),
        json!(null),
        json!({}),
        json!({ "batch": "" }),
        json!({ "batch": 7 }),
        json!({ "change": "42" }),
    ] {
        let refused = UndoTarget::read(&target).unwrap_err();
        assert_eq!(refused, option_error("target", OptionProblem::NotATarget));
        assert_eq!(refused.code(), 80400);
    }
}

#[test]
fn an_undo_lists_its_batch_by_pages_and_posts_to_the_change() {
    assert_eq!(
        batch_page_path("b 1", None),
        "/history?batch=b%201&limit=200"
    );
    assert_eq!(
        batch_page_path("b", Some("x+y")),
        "/history?batch=b&limit=200&cursor=x%2by"
    );
    let (path, body) = undo_request("7/", ["alice", "say \"hi\""].into_iter());
    assert_eq!(path, "/history/7%2f/undo");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({ "accounts": ["alice", "say \"hi\""] })
    );
}

#[test]
fn a_page_is_read_as_the_worker_sends_it() {
    let page = json!({ "changes": [{ "id": "9" }, { "id": "8" }], "next": "c1" });
    assert_eq!(
        read_page(&page),
        Some((vec!["9".into(), "8".into()], Some("c1".into())))
    );
    assert_eq!(
        read_page(&json!({ "changes": [], "next": null })),
        Some((vec![], None))
    );
    for not_a_page in [
        json!({ "changes": [] }),
        json!({ "changes": {}, "next": null }),
        json!({ "changes": [{ "id": 9 }], "next": null }),
        json!({ "changes": [], "next": 3 }),
        json!({ "ActionStatus": "FAIL", "ErrorCode": 90001 }),
    ] {
        assert_eq!(read_page(&not_a_page), None, "{not_a_page}");
    }
}

#[test]
fn a_change_is_read_with_its_accounts_in_order() {
    let answer = json!({
        "change": { "id": "9" },
        "accounts": [
            { "account": "bob", "outcome": "done", "code": 0, "before": [], "after": ["x"] },
            { "account": "alice", "outcome": "unknown", "code": 80408, "before": null, "after": null },
        ],
    });
    let (id, accounts) = read_change(&answer).unwrap();
    assert_eq!(id, "9");
    let accounts: Vec<String> = accounts
        .into_iter()
        .map(|(value, text)| {
            assert_eq!(value, json!(text));
            text
        })
        .collect();
    assert_eq!(accounts, ["bob", "alice"]);
    for not_a_change in [
        json!({ "accounts": [] }),
        json!({ "change": "9", "accounts": [] }),
        json!({ "change": {}, "accounts": [] }),
        json!({ "change": { "id": "9" }, "accounts": [{ "account": 1 }] }),
        json!({ "change": { "id": "9" }, "accounts": {} }),
    ] {
        assert_eq!(read_change(&not_a_change), None, "{not_a_change}");
    }
}

#[test]
fn an_undo_answer_is_read_list_by_list() {
    let answer = json!({
        "change": "10",
        "done": ["alice"],
        "failed": [{ "To_Account": "bob", "ErrorCode": 70107, "ErrorInfo": "why" }],
        "skipped": [{ "To_Account": "carol", "reason": "changed since" }],
    });
    assert_eq!(
        Outcomes::read_undo(&answer),
        Some(Outcomes {
            done: vec!["alice".into()],
            failed: vec![failure("bob", 70107)],
            skipped: vec![Skipped {
                to_account: "carol".into(),
                reason: "changed since".into()
            }],
            refused: None,
        })
    );
    for not_an_undo in [
        json!({ "change": null, "done": [], "failed": [] }),
        json!({ "done": [1], "failed": [], "skipped": [] }),
        json!({ "done": [], "failed": [{ "To_Account": "a" }], "skipped": [] }),
        json!({ "done": [], "failed": [], "skipped": [{ "To_Account": "a" }] }),
        json!({ "ActionStatus": "FAIL", "ErrorCode": 80403, "ErrorInfo": "read only" }),
    ] {
        assert_eq!(Outcomes::read_undo(&not_an_undo), None, "{not_an_undo}");
    }
}

fn failure(account: &str, code: i64) -> AccountError {
    AccountError {
        to_account: account.into(),
        code,
        info: "why".into(),
    }
}

/// An undo of `changes` (newest first), each `(id, accounts)`.
fn undo_of(changes: &[(&str, Vec<String>)]) -> (Undo, Vec<UndoCall>, Vec<Range<usize>>) {
    let mut undo = Undo::new(UndoTarget::Batch("b".into()));
    let mut index: HashMap<String, usize> = HashMap::new();
    for (id, accounts) in changes {
        let accounts: Vec<(Value, String)> =
            accounts.iter().map(|a| (json!(a), a.clone())).collect();
        undo.add_change(id, &accounts, &mut index);
    }
    let (calls, waves) = undo.plan();
    (undo, calls, waves)
}

fn named(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{prefix}{i}")).collect()
}

fn outcomes(done: &[&str], failed: &[&str], skipped: &[&str]) -> Outcomes {
    Outcomes {
        done: done.iter().map(|a| a.to_string()).collect(),
        failed: failed.iter().map(|a| failure(a, 70107)).collect(),
        skipped: skipped
            .iter()
            .map(|a| Skipped {
                to_account: a.to_string(),
                reason: "changed since".into(),
            })
            .collect(),
        refused: None,
    }
}

#[test]
fn a_change_of_250_accounts_is_undone_in_three_calls_at_once() {
    let accounts = named("u", 250);
    let (mut undo, calls, waves) = undo_of(&[("5", accounts.clone())]);
    assert_eq!(waves, vec![0..3]);
    let sizes: Vec<usize> = calls.iter().map(|c| c.accounts.len()).collect();
    assert_eq!(sizes, [100, 100, 50]);
    assert!(calls.iter().all(|c| c.change == "5"));
    let names = |call: &UndoCall| -> Vec<String> {
        call.accounts
            .iter()
            .map(|a| undo.accounts[*a].clone())
            .collect()
    };
    let first = names(&calls[0]);
    let done: Vec<&str> = first.iter().map(String::as_str).collect();
    assert_eq!(undo.answered(&calls[0], &outcomes(&done, &[], &[])), 100);
    // Stopped here: the calls not answered leave their accounts not done.
    let report = undo.report();
    assert_eq!(report.report.done, first);
    assert_eq!(report.report.not_done, accounts[100..]);
    assert!(report.report.failed.is_empty() && report.skipped.is_empty());
}

#[test]
fn changes_sharing_accounts_go_in_waves_newest_first() {
    let (_, calls, waves) = undo_of(&[
        ("3", vec!["a".into(), "b".into()]),
        ("2", vec!["c".into()]),
        ("1", vec!["b".into(), "d".into()]),
        ("0", vec!["a".into(), "d".into(), "a".into()]),
    ]);
    let order: Vec<&str> = calls.iter().map(|c| c.change.as_str()).collect();
    assert_eq!(order, ["3", "2", "1", "0"]);
    assert_eq!(waves, vec![0..2, 2..3, 3..4]);
    // An account named twice in one change is carried once.
    assert_eq!(calls[3].accounts.len(), 2);
}

#[test]
fn an_account_in_several_changes_ends_in_exactly_one_list() {
    // Two changes of the same five accounts; each answer says something else of each.
    let accounts = named("x", 5);
    let (mut undo, calls, waves) = undo_of(&[("2", accounts.clone()), ("1", accounts.clone())]);
    assert_eq!(waves, vec![0..1, 1..2]);
    // x0 done then done; x1 done then skipped; x2 skipped then failed; x3 not named then
    // done; x4 done, then its second call never answered.
    assert_eq!(
        undo.answered(&calls[0], &outcomes(&["x0", "x1", "x4"], &[], &["x2"])),
        0
    );
    let report = undo.report();
    assert_eq!(report.report.not_done, accounts);
    let second = outcomes(&["x0", "x3"], &["x2"], &["x1"]);
    let mut only_x0_to_x3 = calls[1].clone();
    only_x0_to_x3.accounts.truncate(4);
    assert_eq!(undo.answered(&only_x0_to_x3, &second), 4);
    let report = undo.report();
    assert_eq!(report.report.done, ["x0"]);
    assert_eq!(report.report.failed, vec![failure("x2", 70107)]);
    assert_eq!(report.report.not_done, ["x3", "x4"]);
    assert_eq!(
        report.skipped,
        vec![Skipped {
            to_account: "x1".into(),
            reason: "changed since".into()
        }]
    );
}

#[test]
fn every_account_of_a_batch_is_reported_once() {
    // Ten changes of 100 accounts, each sharing half its accounts with the one before.
    let changes: Vec<(String, Vec<String>)> = (0..10)
        .map(|c| {
            (
                c.to_string(),
                (c * 50..c * 50 + 100).map(|a| format!("a{a}")).collect(),
            )
        })
        .collect();
    let borrowed: Vec<(&str, Vec<String>)> = changes
        .iter()
        .map(|(id, accounts)| (id.as_str(), accounts.clone()))
        .collect();
    let (mut undo, calls, waves) = undo_of(&borrowed);
    assert_eq!(undo.accounts.len(), 550);
    assert_eq!(waves.len(), 10);
    let mut finished = 0;
    // Every third account is skipped, every seventh failed, the last call never answered.
    for call in &calls[..9] {
        let names: Vec<String> = call
            .accounts
            .iter()
            .map(|a| undo.accounts[*a].clone())
            .collect();
        let pick = |every: usize| -> Vec<&str> {
            names
                .iter()
                .enumerate()
                .filter(|(i, _)| i % every == 0)
                .map(|(_, a)| a.as_str())
                .collect()
        };
        let (failed, skipped) = (pick(7), pick(3));
        let done: Vec<&str> = names.iter().map(String::as_str).collect();
        finished += undo.answered(call, &outcomes(&done, &failed, &skipped));
    }
    // The accounts of the last change alone were never answered.
    assert_eq!(finished, 450);
    let UndoReport { report, skipped } = undo.report();
    let mut all: Vec<String> = report.done.clone();
    all.extend(report.failed.iter().map(|f| f.to_account.clone()));
    all.extend(report.not_done.iter().cloned());
    all.extend(skipped.iter().map(|s| s.to_account.clone()));
    all.sort();
    let mut expected = undo.accounts.clone();
    expected.sort();
    assert_eq!(all, expected);
    // Those of the last change, less the seven its change before failed.
    assert_eq!(report.not_done.len(), 93);
}

/// A change as `GET /history/{id}` answers it.
fn change_answer(id: &str, accounts: &[&str]) -> Value {
    let accounts: Vec<Value> = accounts
        .iter()
        .map(
            |a| json!({ "account": a, "outcome": "done", "code": 0, "before": [], "after": ["t"] }),
        )
        .collect();
    json!({ "change": { "id": id, "op": "add" }, "accounts": accounts })
}

#[test]
fn a_batch_is_gathered_page_by_page_newest_first() {
    let mut undo = Undo::new(UndoTarget::Batch("b/1".into()));
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut read = |undo: &mut Undo, answer: Value| undo.take(&answer, &mut index);
    assert_eq!(
        undo.next_read().as_deref(),
        Some("/history?batch=b%2f1&limit=200")
    );
    let page = json!({ "changes": [{ "id": "9" }, { "id": "8" }], "next": "c 2" });
    assert_eq!(read(&mut undo, page), Some(()));
    // The page's changes are read before the next page, so that they are met newest first.
    assert_eq!(undo.next_read().as_deref(), Some("/history/9"));
    assert_eq!(read(&mut undo, change_answer("9", &["a", "b"])), Some(()));
    assert_eq!(undo.next_read().as_deref(), Some("/history/8"));
    assert_eq!(read(&mut undo, change_answer("8", &["b", "c"])), Some(()));
    assert_eq!(
        undo.next_read().as_deref(),
        Some("/history?batch=b%2f1&limit=200&cursor=c%202")
    );
    let last = json!({ "changes": [{ "id": "7" }], "next": null });
    assert_eq!(read(&mut undo, last), Some(()));
    assert_eq!(undo.next_read().as_deref(), Some("/history/7"));
    assert_eq!(read(&mut undo, change_answer("7", &["d"])), Some(()));
    assert_eq!(undo.next_read(), None);
    assert_eq!(read(&mut undo, json!({ "ok": true })), None);
    // A change listed again, or a page naming itself as the next, is not read again.
    let again = json!({ "changes": [{ "id": "8" }], "next": "c 2" });
    assert_eq!(read(&mut undo, again), Some(()));
    assert_eq!(undo.next_read(), None);
    assert_eq!(undo.accounts, ["a", "b", "c", "d"]);
    let (calls, waves) = undo.plan();
    let order: Vec<&str> = calls.iter().map(|c| c.change.as_str()).collect();
    // 8 shares b with 9, so it waits for it; 7 goes alongside 9.
    assert_eq!(order, ["9", "7", "8"]);
    assert_eq!(waves, vec![0..2, 2..3]);
}

#[test]
fn a_change_is_gathered_alone_even_if_its_page_says_more() {
    let mut undo = Undo::new(UndoTarget::Change("42".into()));
    let mut index: HashMap<String, usize> = HashMap::new();
    assert_eq!(undo.next_read().as_deref(), Some("/history/42"));
    assert_eq!(
        undo.take(&change_answer("42", &["a"]), &mut index),
        Some(())
    );
    assert_eq!(undo.next_read(), None);
    // A page's cursor only leads on for a batch.
    let mut undo = Undo::new(UndoTarget::Change("42".into()));
    let page = json!({ "changes": [], "next": "more" });
    assert_eq!(undo.take(&page, &mut index), Some(()));
    undo.next_read();
    assert_eq!(undo.next_read(), None);
}
