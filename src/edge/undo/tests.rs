use super::*;
use serde_json::json;

fn tags(list: &[&str]) -> Vec<String> {
    list.iter().map(|t| t.to_string()).collect()
}

fn entries(request: &TagRequest) -> Vec<(String, Vec<String>)> {
    match request {
        TagRequest::Entries { entries, .. } => entries
            .iter()
            .map(|e| (e.to_account.clone(), e.tags.clone()))
            .collect(),
        TagRequest::Accounts(_) => panic!("an undo writes entries"),
    }
}

#[test]
fn an_undo_takes_away_what_was_gained_then_gives_back_what_was_lost_within_each_call_s_limit() {
    let lost: Vec<String> = (0..12).map(|n| format!("l{n}")).collect();
    let before: Vec<String> = tags(&["a", "b"]).into_iter().chain(lost.clone()).collect();
    let now = tags(&["b", "x"]);
    let calls = writes(
        TagApi::Timpush,
        &[("u1", &before, &now), ("u2", &now, &now)],
    );
    let ops: Vec<Operation> = calls.iter().map(|(call, _)| call.operation).collect();
    assert_eq!(ops, [Operation::Remove, Operation::Add, Operation::Add]);
    assert_eq!(entries(&calls[0].1), [("u1".into(), tags(&["x"]))]);
    let first: Vec<String> = tags(&["a"]).into_iter().chain(lost[..9].to_vec()).collect();
    assert_eq!(entries(&calls[1].1), [("u1".into(), first)]);
    assert_eq!(entries(&calls[2].1), [("u1".into(), lost[9..].to_vec())]);
    assert!(calls.iter().all(|(call, _)| call.api == TagApi::Timpush));
    assert!(writes(TagApi::Timpush, &[("u1", &before, &before)]).is_empty());
}

fn stored() -> StoredChange {
    StoredChange::read(&json!({
        "change": {"api": "timpush", "id": "7"},
        "accounts": [
            {"account": "done", "outcome": "done", "code": 0, "before": ["a"], "after": ["a", "v"]},
            {"account": "blind", "outcome": "done", "code": 0, "before": null, "after": null},
            {"account": "refused", "outcome": "failed", "code": 70107, "before": null, "after": null},
            {"account": "379c2f0d-290d-47ae-94d1-919058c39c77", "outcome": "unknown", "code": 80504, "before": [], "after": null}
        ]
    }))
    .expect("a stored change reads")
}

#[test]
fn a_plan_puts_back_done_accounts_and_says_why_it_leaves_the_others() {
    let change = stored();
    let asked = tags(&[
        "done",
        "blind",
        "refused",
        "379C2F0D-290D-47AE-94D1-919058C39C77",
    ]);
    let sorted = plan(&change, 7, &asked).unwrap();
    assert_eq!(sorted.targets, [&change.accounts[0]]);
    assert_eq!(
        sorted.skipped,
        [
            ("blind".to_string(), Skip::BeforeUnknown),
            ("refused".to_string(), Skip::NotDone),
            (
                "379c2f0d-290d-47ae-94d1-919058c39c77".to_string(),
                Skip::NotDone
            ),
        ]
    );
    assert_eq!(
        plan(&change, 7, &tags(&["stranger"])),
        Err(HistoryProblem::NotInChange {
            account: "stranger".into(),
            change: 7
        })
    );
}

#[test]
fn targets_changed_since_are_skipped_and_those_unread_fail() {
    let change = stored();
    let targets = [&change.accounts[0]];
    let mut answer = UndoAnswer::default();
    let undoing = answer.sort_targets(
        TagApi::Timpush,
        &targets,
        &[("done".into(), tags(&["v", "a"]))],
        &[],
    );
    assert_eq!(
        undoing.len(),
        1,
        "the same tags in another order are unchanged"
    );
    let mut answer = UndoAnswer::default();
    let undoing = answer.sort_targets(
        TagApi::Timpush,
        &targets,
        &[("done".into(), tags(&["a", "z"]))],
        &[],
    );
    assert!(undoing.is_empty());
    assert_eq!(answer.skipped[0].reason, "changed since");
    // Already as before the change (an undo sent again, say): its tags are not what the change
    // left, so it is left alone as changed since, as the contract says.
    let mut answer = UndoAnswer::default();
    let undoing = answer.sort_targets(
        TagApi::Timpush,
        &targets,
        &[("done".into(), tags(&["a"]))],
        &[],
    );
    assert!(undoing.is_empty());
    assert_eq!(answer.skipped[0].reason, "changed since");
    let mut answer = UndoAnswer::default();
    answer.sort_targets(TagApi::Timpush, &targets, &[], &[]);
    assert_eq!(answer.failed[0].code, BAD_GATEWAY);
    assert_eq!(answer.failed[0].to_account, "done");
}

#[test]
fn two_spellings_of_a_registration_id_are_put_back_once() {
    let change = stored();
    let device = "379C2F0D-290D-47AE-94D1-919058C39C77";
    let asked = tags(&[device, &device.to_lowercase()]);
    let sorted = plan(&change, 7, &asked).unwrap();
    assert_eq!(sorted.skipped.len(), 1, "{:?}", sorted.skipped);
}

#[test]
fn an_account_whose_write_failed_is_sent_no_more_writes() {
    let before = tags(&["a", "b"]);
    let now = tags(&["x"]);
    let mut alice = Undoing::new("alice", &before, &now);
    let bob = Undoing::new("bob", &before, &now);
    let calls = writes(TagApi::Timpush, &[alice.target(), bob.target()]);
    assert_eq!(calls.len(), 2, "a remove, then an add");
    alice.heard(calls[0].0, &calls[0].1, WriteEnd::NoAnswer(80504));
    let undoing = [alice, bob];
    let left = still_to_send(&calls[1].1, &undoing, TagApi::Timpush).expect("bob is still to send");
    assert_eq!(entries(&left), [("bob".into(), tags(&["a", "b"]))]);
    let mut bob = undoing[1].clone();
    bob.heard(
        calls[0].0,
        &calls[0].1,
        WriteEnd::Answered {
            code: 91000,
            failed: &[],
        },
    );
    let both_stopped = [undoing[0].clone(), bob];
    assert_eq!(
        still_to_send(&calls[1].1, &both_stopped, TagApi::Timpush),
        None
    );
    assert!(same_tags(&tags(&["a", "a", "b"]), &tags(&["b", "a"])));
    assert!(!same_tags(&tags(&["a", "a"]), &tags(&["a", "b"])));
}

#[test]
fn each_account_ends_done_or_failed_with_the_tags_its_writes_left() {
    let before = tags(&["a", "b"]);
    let now = tags(&["b", "x"]);
    let mut account = Undoing::new("u1", &before, &now);
    let calls = writes(TagApi::Timpush, &[account.target()]);
    account.heard(
        calls[0].0,
        &calls[0].1,
        WriteEnd::Answered {
            code: 0,
            failed: &[],
        },
    );
    let refused = [AccountError {
        to_account: "u1".into(),
        code: 70107,
        info: "no such account".into(),
    }];
    account.heard(
        calls[1].0,
        &calls[1].1,
        WriteEnd::Answered {
            code: 0,
            failed: &refused,
        },
    );
    assert_eq!(account.result(), Err(refused[0].clone()));
    let changed = account.changed();
    assert_eq!(
        (changed.outcome, changed.before, changed.after),
        (
            AccountOutcome::Failed,
            Some(now.clone()),
            Some(tags(&["b"]))
        )
    );
    let mut whole = Undoing::new("u1", &before, &now);
    for (call, request) in &calls {
        whole.heard(
            *call,
            request,
            WriteEnd::Answered {
                code: 0,
                failed: &[],
            },
        );
    }
    assert_eq!(whole.result(), Ok("u1"));
    let mut timed_out = Undoing::new("u1", &before, &now);
    timed_out.heard(calls[0].0, &calls[0].1, WriteEnd::NoAnswer(80504));
    let changed = timed_out.changed();
    assert_eq!(
        (changed.outcome, changed.after),
        (AccountOutcome::Unknown, None)
    );
}

#[test]
fn an_undo_body_is_one_to_a_hundred_accounts_and_nothing_else() {
    assert_eq!(
        undo_accounts(&json!({"accounts": ["a", "b", "a"]})),
        Ok(tags(&["a", "b"]))
    );
    let many: Vec<String> = (0..101).map(|n| n.to_string()).collect();
    for bad in [
        json!({}),
        json!([]),
        json!({"accounts": []}),
        json!({"accounts": [1]}),
        json!({"accounts": ["a"], "also": 1}),
        json!({"accounts": many}),
    ] {
        assert_eq!(undo_accounts(&bad), Err(HistoryProblem::UndoBody), "{bad}");
    }
}
