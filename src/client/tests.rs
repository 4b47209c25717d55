//! The package's decisions, natively.

use std::collections::HashMap;
use std::ops::Range;

use serde_json::json;

use super::*;
use crate::api::answer::AccountError;
use crate::api::calls::{Call, Operation, TagApi};
use crate::api::codes::Coded;
use crate::api::invalid::{Invalid, Place};
use crate::api::request::{UserTags, read_account};
use crate::api::retry::TryOutcome;

const ADD: Call = Call::new(Operation::Add, TagApi::AllMemberPush);
const ADD_CURRENT: Call = Call::new(Operation::Add, TagApi::Timpush);

#[test]
fn each_error_has_its_code() {
    let cases = [
        (ClientError::InvalidInput(Invalid::NoAccounts("x")), 90001),
        (
            ClientError::InvalidOption(OptionError::new("api", OptionProblem::NotAGeneration)),
            80400,
        ),
        (ClientError::Timeout { timeout_ms: 1 }, 80408),
        (ClientError::Aborted, 80499),
        (
            ClientError::Unreachable {
                url: "u".into(),
                page_origin: None,
            },
            80502,
        ),
        (
            ClientError::NotTheWorker {
                url: "u".into(),
                status: 404,
            },
            80502,
        ),
        (
            ClientError::Answered {
                code: 70009,
                info: "x".into(),
            },
            70009,
        ),
        (ClientError::Internal("x"), 80500),
    ];
    for (error, code) in cases {
        assert_eq!(error.code(), code, "{error}");
    }
    let answered = ClientError::Answered {
        code: 80401,
        info: "missing or invalid credentials".into(),
    };
    assert_eq!(answered.to_string(), "missing or invalid credentials");
}

#[test]
fn what_went_wrong_is_an_outcome_for_the_retry_policy() {
    let outcome = |error: ClientError| error.try_outcome();
    assert_eq!(
        outcome(ClientError::Answered {
            code: 80502,
            info: String::new()
        }),
        Some(TryOutcome::Answered(80502))
    );
    assert_eq!(
        outcome(ClientError::Unreachable {
            url: String::new(),
            page_origin: None,
        }),
        Some(TryOutcome::Unreachable)
    );
    assert_eq!(
        outcome(ClientError::NotTheWorker {
            url: String::new(),
            status: 500
        }),
        Some(TryOutcome::NotAnAnswer)
    );
    assert_eq!(
        outcome(ClientError::Timeout { timeout_ms: 1 }),
        Some(TryOutcome::TimedOut)
    );
    assert_eq!(outcome(ClientError::Aborted), None);
}

#[test]
fn options_are_read_strictly() {
    let none: Option<&serde_json::Value> = None;
    assert_eq!(read_api(none), Ok(TagApi::AllMemberPush));
    assert_eq!(read_api(Some(&json!("timpush"))), Ok(TagApi::Timpush));
    for wrong in [json!("v4"), json!(1)] {
        assert_eq!(read_api(Some(&wrong)).unwrap_err().code(), 80400);
    }
    assert_eq!(read_positive(none, "timeoutMs", 5.0), Ok(5.0));
    assert_eq!(read_positive(Some(&json!(2.5)), "timeoutMs", 5.0), Ok(2.5));
    for wrong in [json!("5"), json!(0), json!(-1), json!(null)] {
        assert_eq!(
            read_positive(Some(&wrong), "timeoutMs", 5.0),
            Err(ClientError::InvalidOption(OptionError::new(
                "timeoutMs",
                OptionProblem::NotPositive
            )))
        );
    }
}

#[test]
fn replace_is_for_add_tags_on_the_current_generation_only() {
    let none: Option<&serde_json::Value> = None;
    assert_eq!(
        read_replace(none, Operation::Remove, TagApi::AllMemberPush),
        Ok(None)
    );
    let yes = json!(true);
    assert_eq!(
        read_replace(Some(&yes), Operation::Add, TagApi::Timpush),
        Ok(Some(true))
    );
    let refused = |value: serde_json::Value, operation, api| {
        read_replace(Some(&value), operation, api)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        refused(json!(1), Operation::Add, TagApi::Timpush),
        "invalid option: replace must be a boolean"
    );
    assert_eq!(
        refused(json!(true), Operation::Add, TagApi::AllMemberPush),
        "invalid option: replace is taken by the timpush API only"
    );
    assert_eq!(
        refused(json!(false), Operation::Remove, TagApi::Timpush),
        "invalid option: replace is taken by addTags only"
    );
}

#[test]
fn accounts_are_named_by_their_place_in_the_input() {
    let device = "379C2F0D-290D-47AE-94D1-919058C39C77";
    assert_eq!(
        read_account(TagApi::Timpush, &json!(device), Place::item("accounts", 0)),
        Ok(device.into())
    );
    let legacy = read_account(
        TagApi::AllMemberPush,
        &json!(device),
        Place::item("accounts", 4),
    )
    .unwrap_err();
    assert!(
        legacy.to_string().starts_with("accounts[4] (\"379C"),
        "{legacy}"
    );
    assert!(
        legacy.to_string().contains("only the timpush calls take"),
        "{legacy}"
    );
    assert_eq!(
        read_account(TagApi::AllMemberPush, &json!(7), Place::item("accounts", 1)),
        Err(Invalid::NotAString(Place::item("accounts", 1)))
    );
    assert_eq!(
        read_account(
            TagApi::AllMemberPush,
            &json!(""),
            Place::item("accounts", 2)
        ),
        Err(Invalid::Account {
            place: Place::item("accounts", 2),
            account: String::new(),
            problem: crate::api::account::AccountProblem::Empty,
        })
    );
}

fn entries(list: &[(&str, usize)]) -> Vec<UserTags> {
    list.iter()
        .map(|(account, tags)| UserTags {
            to_account: (*account).into(),
            tags: (0..*tags).map(|i| format!("t{i}")).collect(),
        })
        .collect()
}

#[test]
fn write_input_is_merged_per_account_and_checked_by_place() {
    let input = json!([
        { "To_Account": "alice", "Tags": ["vip", "cn"] },
        { "To_Account": "bob", "Tags": ["x"] },
        { "To_Account": "alice", "Tags": ["cn", "new"] },
    ]);
    let read = read_changes(ADD, &input, None, &mut HashMap::new()).unwrap();
    assert_eq!(
        read,
        [
            UserTags {
                to_account: "alice".into(),
                tags: vec!["vip".into(), "cn".into(), "new".into()]
            },
            UserTags {
                to_account: "bob".into(),
                tags: vec!["x".into()]
            },
        ]
    );
    let refused = |input: serde_json::Value| {
        read_changes(ADD, &input, None, &mut HashMap::new())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        refused(json!("alice")),
        "userTags must be an array of {To_Account, Tags} objects"
    );
    assert_eq!(
        refused(json!([{ "To_Account": "a", "Tags": [] }])),
        "userTags[0].Tags is empty: give at least one tag"
    );
    assert_eq!(
        refused(json!([{ "To_Account": "a" }])),
        "userTags[0].Tags must be an array of tags"
    );
    assert_eq!(
        refused(json!([{ "Tags": ["x"] }])),
        "userTags[0].To_Account is missing"
    );
    assert_eq!(
        refused(
            json!([{ "To_Account": "a", "Tags": ["ok"] }, { "To_Account": "", "Tags": ["x"] }])
        ),
        "userTags[1].To_Account is empty"
    );
    assert_eq!(
        refused(json!([{ "To_Account": "a", "Tags": ["ok", "t".repeat(51)] }])),
        format!(
            "userTags[0].Tags[1] (\"{}…\") is 51 bytes long; a tag is at most 50 bytes",
            "t".repeat(40)
        )
    );
    assert_eq!(
        refused(json!([{ "To_Account": "a", "Tags": [7] }])),
        "userTags[0].Tags[0] is not a string"
    );
}

#[test]
fn a_registration_id_in_two_cases_is_one_write_entry_under_its_first_spelling() {
    let upper = "379C2F0D-290D-47AE-94D1-919058C39C77";
    let lower = upper.to_lowercase();
    let input = json!([
        { "To_Account": upper, "Tags": ["a"] },
        { "To_Account": "Alice", "Tags": ["x"] },
        { "To_Account": lower, "Tags": ["a", "b"] },
        { "To_Account": "alice", "Tags": ["y"] },
    ]);
    let read = read_changes(ADD_CURRENT, &input, None, &mut HashMap::new()).unwrap();
    let accounts: Vec<&str> = read.iter().map(|e| e.to_account.as_str()).collect();
    // UserIDs keep their case: Alice and alice are two accounts.
    assert_eq!(accounts, [upper, "Alice", "alice"]);
    assert_eq!(read[0].tags, ["a", "b"]);
    // With replace, the merged entry is counted as one, named where first given.
    let many = |suffix: &str| (0..60).map(|i| format!("t{i}{suffix}")).collect::<Vec<_>>();
    let input = json!([
        { "To_Account": lower, "Tags": many("") },
        { "To_Account": upper, "Tags": many("x") },
    ]);
    let error = read_changes(ADD_CURRENT, &input, Some(100), &mut HashMap::new()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with(&format!("userTags[0].Tags (\"{lower}\") has 120 tags")),
        "{error}"
    );
}

#[test]
fn a_get_or_a_clear_names_each_account_once_and_a_registration_id_in_any_case() {
    let upper = "379C2F0D-290D-47AE-94D1-919058C39C77";
    let mixed = "379c2f0d-290D-47ae-94d1-919058C39C77";
    let input = json!(["bob", mixed, "Bob", upper, "bob"]);
    assert_eq!(
        distinct_accounts(TagApi::Timpush, &input, &mut HashMap::new()),
        Ok(vec!["bob".into(), mixed.into(), "Bob".into()])
    );
    assert_eq!(
        distinct_accounts(
            TagApi::AllMemberPush,
            &json!(["bob", "Bob", "bob"]),
            &mut HashMap::new()
        ),
        Ok(vec!["bob".into(), "Bob".into()])
    );
    let refused = |input: serde_json::Value| {
        distinct_accounts(TagApi::Timpush, &input, &mut HashMap::new())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        refused(json!("bob")),
        "accounts must be an array of accounts (strings)"
    );
    assert_eq!(refused(json!(["bob", 7])), "accounts[1] is not a string");
    // Every account is checked, a repeated one too.
    assert_eq!(refused(json!(["bob", "bob", ""])), "accounts[2] is empty");
}

#[test]
fn with_replace_all_of_an_account_s_tags_fit_one_call() {
    let tags: Vec<String> = (0..60).map(|i| format!("t{i}")).collect();
    let input = json!([{ "To_Account": "a", "Tags": tags }, { "To_Account": "a", "Tags": tags.iter().map(|t| format!("{t}x")).collect::<Vec<_>>() }]);
    assert!(read_changes(ADD_CURRENT, &input, None, &mut HashMap::new()).is_ok());
    let error = read_changes(ADD_CURRENT, &input, Some(100), &mut HashMap::new()).unwrap_err();
    assert_eq!(error.code(), 90001);
    assert!(
        error
            .to_string()
            .starts_with("userTags[0].Tags (\"a\") has 120 tags; at most 100"),
        "{error}"
    );
}

#[test]
fn accounts_go_100_a_call() {
    let plan = plan_accounts(250);
    assert_eq!(
        plan.iter().map(|c| c.parts.len()).collect::<Vec<_>>(),
        [100, 100, 50]
    );
    assert_eq!(plan[2].parts[0], (200, 0..0));
    assert!(plan_accounts(0).is_empty());
}

#[test]
fn tags_are_split_into_runs_and_each_run_goes_100_accounts_a_call() {
    let mut list: Vec<(String, usize)> = (0..250).map(|i| (format!("u{i}"), 3)).collect();
    list[7].1 = 25;
    let names: Vec<(&str, usize)> = list.iter().map(|(a, n)| (a.as_str(), *n)).collect();
    let entries = entries(&names);
    let plan = plan_entries(&entries, 10);
    // The first runs of all 250 accounts, then u7's second and third runs.
    assert_eq!(
        plan.iter().map(|c| c.parts.len()).collect::<Vec<_>>(),
        [100, 100, 50, 1, 1]
    );
    assert_eq!(plan[0].parts[7], (7, 0..10));
    assert_eq!(plan[0].parts[8], (8, 0..3));
    assert_eq!(plan[3].parts, [(7, 10..20)]);
    assert_eq!(plan[4].parts, [(7, 20..25)]);
    // Every tag of every account is carried exactly once.
    let carried: usize = plan
        .iter()
        .flat_map(|c| &c.parts)
        .map(|(_, r)| r.len())
        .sum();
    assert_eq!(carried, 249 * 3 + 25);
    assert_eq!(plan_entries(&entries, 100).len(), 3);
    // u7's runs go one after the other, each once the one before is answered.
    assert_eq!(waves(&plan), [0..3, 3..4, 4..5]);
    assert_eq!(waves(&plan_accounts(250)), vec![Range { start: 0, end: 3 }]);
    assert!(waves(&[]).is_empty());
}

#[test]
fn every_account_is_done_failed_or_not_done_exactly_once() {
    let entries = entries(&[("a", 15), ("b", 3), ("mary", 3), ("c", 3)]);
    let accounts: Vec<String> = entries.iter().map(|e| e.to_account.clone()).collect();
    let plan = plan_entries(&entries, 10);
    assert_eq!(plan.len(), 2);
    let mut tracker = Tracker::new(accounts.len(), &plan);
    let mary = AccountError {
        to_account: "mary".into(),
        code: 70107,
        info: "account does not exist".into(),
    };
    // The first call is answered, mary failing; a's second call never is.
    let listing = |failed: Vec<AccountError>| Outcomes {
        failed,
        ..Outcomes::default()
    };
    assert_eq!(
        tracker.answered(&plan[0], &accounts, &listing(vec![mary.clone()])),
        3
    );
    let report = tracker.report(&accounts);
    assert_eq!(
        report,
        WriteReport {
            done: vec!["b".into(), "c".into()],
            failed: vec![mary.clone()],
            not_done: vec!["a".into()]
        }
    );
    assert_eq!(tracker.answered(&plan[1], &accounts, &listing(vec![])), 1);
    let report = tracker.report(&accounts);
    assert_eq!(report.done, ["a", "b", "c"]);
    assert!(report.not_done.is_empty());
    // An ErrorList entry for an account the call did not carry is ignored.
    let mut other = Tracker::new(accounts.len(), &plan);
    other.answered(&plan[1], &accounts, &listing(vec![mary]));
    assert_eq!(other.report(&accounts).not_done, ["a", "b", "mary", "c"]);
}

#[test]
fn a_call_refused_as_a_whole_fails_its_accounts_with_its_reason_rather_than_leaving_them_not_done()
{
    let entries = entries(&[("a", 15), ("b", 3)]);
    let accounts: Vec<String> = entries.iter().map(|e| e.to_account.clone()).collect();
    let plan = plan_entries(&entries, 10);
    let mut tracker = Tracker::new(accounts.len(), &plan);
    tracker.answered(
        &plan[0],
        &accounts,
        &Outcomes::refused(90009, "not an admin"),
    );
    let report = tracker.report(&accounts);
    let refused = |account: &str| AccountError {
        to_account: account.into(),
        code: 90009,
        info: "not an admin".into(),
    };
    assert_eq!(report.failed, [refused("a"), refused("b")]);
    assert!(report.done.is_empty() && report.not_done.is_empty());
}

#[test]
fn an_option_no_function_takes_is_refused_by_name() {
    assert_eq!(
        known_options(&json!({"token": "t", "replace": true, "onProgress": null})),
        Ok(())
    );
    let refused = known_options(&json!({"endpoint": "x", "tokn": "t"})).unwrap_err();
    assert_eq!(refused, ClientError::UnknownOption("\"tokn\"".into()));
    assert_eq!(refused.code(), 80400);
    assert!(
        refused.to_string().contains("\"tokn\" is not an option"),
        "{refused}"
    );
}

#[test]
fn a_write_refused_before_sending_names_its_accounts_once_each() {
    let input =
        json!([{"To_Account": "a", "Tags": []}, "b", {"To_Account": "a"}, 7, {"Tags": ["x"]}]);
    assert_eq!(named_accounts(&input), ["a", "b"]);
    assert!(named_accounts(&json!("alice")).is_empty());
}

#[test]
fn an_unreachable_worker_on_another_origin_says_where_to_allow_the_page() {
    let same = ClientError::Unreachable {
        url: "https://tags.example.com/session".into(),
        page_origin: None,
    };
    assert_eq!(
        same.to_string(),
        "https://tags.example.com/session could not be reached"
    );
    let other = ClientError::Unreachable {
        url: "https://tags.example.com/session".into(),
        page_origin: Some("https://admin.example.com".into()),
    };
    assert!(
        other
            .to_string()
            .ends_with("add https://admin.example.com to its ALLOWED_ORIGINS"),
        "{other}"
    );
}
