use super::*;

#[test]
fn rfc3339_times_read_as_milliseconds_and_impossible_ones_do_not() {
    assert_eq!(rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(
        rfc3339_ms("2026-12-04T18:03:11.512Z"),
        Some(1_796_407_391_512)
    );
    assert_eq!(
        rfc3339_ms("2026-12-04T20:03:11.512+02:00"),
        rfc3339_ms("2026-12-04T18:03:11.512Z")
    );
    assert_eq!(
        rfc3339_ms("2024-02-29T00:00:00.1z"),
        Some(1_709_164_800_100)
    );
    for bad in [
        "",
        "2026-12-04",
        "2026-12-04 18:03:11Z",
        "2026-02-29T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-12-04T24:00:00Z",
        "2026-12-04T18:03:11.Z",
        "2026-12-04T18:03:11+2:00",
        "2026-12-04T18:03:11",
        "'; DROP TABLE changes; --",
    ] {
        assert_eq!(rfc3339_ms(bad), None, "{bad}");
    }
}

fn tags(list: &[&str]) -> Vec<String> {
    list.iter().map(|t| t.to_string()).collect()
}

#[test]
fn history_paths_name_the_list_a_change_or_its_undo() {
    assert_eq!(HistoryRoute::at("/history"), Some(HistoryRoute::List));
    assert_eq!(
        HistoryRoute::at("/history/42"),
        Some(HistoryRoute::Change(42))
    );
    assert_eq!(
        HistoryRoute::at("/history/42/undo"),
        Some(HistoryRoute::Undo(42))
    );
    for other in [
        "/historyx",
        "/history/",
        "/history/x",
        "/history/-1",
        "/history/1/redo",
        "/history/1234567890123456",
    ] {
        assert_eq!(HistoryRoute::at(other), None, "{other}");
    }
}

#[test]
fn a_batch_id_is_short_and_plain() {
    assert_eq!(batch_of(None), Ok(None));
    assert_eq!(batch_of(Some("a-Z_9")), Ok(Some("a-Z_9".into())));
    for bad in ["", "a b", "ü", "a'b", &"x".repeat(65)] {
        assert!(
            matches!(batch_of(Some(bad)), Err(HistoryProblem::Batch(_))),
            "{bad}"
        );
    }
}

#[test]
fn a_query_binds_every_value_and_joins_only_fixed_conditions() {
    let pairs = [
        ("account", "o'brien"),
        ("tag", "%_"),
        ("op", "add"),
        ("since", "2026-12-04T00:00:00Z"),
        ("limit", "10"),
        ("cursor", "99"),
        ("caller", ""),
    ];
    let query = ListQuery::read(pairs.into_iter()).unwrap();
    let Statement(sql, params) = query.statement();
    assert!(!sql.contains("o'brien") && !sql.contains("%_"), "{sql}");
    assert_eq!(sql.matches('?').count(), params.len());
    assert_eq!(
        params,
        [
            Param::Text("o'brien".into()),
            Param::Text("%_".into()),
            Param::Text("add".into()),
            Param::Number(1_796_342_400_000),
            Param::Number(99),
            Param::Number(11),
            Param::Number(10),
            Param::Number(10),
        ]
    );
    for (pairs, problem) in [
        (vec![("who", "x")], "who"),
        (vec![("op", "drop")], "op"),
        (vec![("limit", "201")], "limit"),
        (vec![("tag", "a"), ("tag", "b")], "tag"),
        (vec![("until", "soon")], "until"),
    ] {
        let error = ListQuery::read(pairs.into_iter()).unwrap_err();
        assert!(error.to_string().contains(problem), "{error}");
    }
    let long = "x".repeat(10_000);
    let error = ListQuery::read([("account", long.as_str())].into_iter()).unwrap_err();
    assert!(error.to_string().len() < 200, "{error}");
}

#[test]
fn each_account_of_a_write_is_recorded_with_its_tags_before_and_after() {
    let call = Call {
        operation: Operation::Add,
        api: crate::api::calls::TagApi::Timpush,
    };
    let request = TagRequest::Entries {
        entries: vec![
            crate::api::request::UserTags {
                to_account: "u1".into(),
                tags: tags(&["v"]),
            },
            crate::api::request::UserTags {
                to_account: "u2".into(),
                tags: tags(&["v"]),
            },
            crate::api::request::UserTags {
                to_account: "u3".into(),
                tags: tags(&["v"]),
            },
        ],
        replace: None,
    };
    let before = [
        ("u1".to_string(), tags(&["a", "v"])),
        ("u2".to_string(), tags(&["b"])),
    ];
    let refused = [AccountError {
        to_account: "u2".into(),
        code: 70107,
        info: String::new(),
    }];
    let accounts = changed_accounts(
        call,
        &request,
        Some(&before),
        WriteEnd::Answered {
            code: 0,
            failed: &refused,
        },
    );
    assert_eq!(
        accounts[0].after,
        Some(tags(&["a", "v"])),
        "a tag held already is not added twice"
    );
    assert_eq!(
        (
            accounts[1].outcome,
            accounts[1].code,
            accounts[1].after.clone()
        ),
        (AccountOutcome::Failed, 70107, Some(tags(&["b"])))
    );
    assert_eq!(
        (accounts[2].before.clone(), accounts[2].after.clone()),
        (None, None),
        "not read, not known"
    );
    let lost = changed_accounts(call, &request, Some(&before), WriteEnd::NoAnswer(80504));
    assert!(
        lost.iter()
            .all(|a| a.outcome == AccountOutcome::Unknown && a.after.is_none())
    );
    let change = Change {
        at_ms: 1,
        caller: "ops".into(),
        op: "add",
        api: "timpush",
        request_id: "r".into(),
        tags: tags(&["v"]),
        replace: false,
        code: 0,
        batch: None,
        undo_of: None,
        accounts,
    };
    let (json, statements) = change.statements();
    assert_eq!(json, change.to_json());
    let line: serde_json::Value = serde_json::from_str(&Change::lost_line(&json)).unwrap();
    assert_eq!(line["change"]["accounts"][1]["outcome"], "failed");
    assert_eq!(line["ok"], false);
    assert!(
        statements
            .iter()
            .all(|Statement(sql, params)| sql.matches('?').count() == params.len())
    );
}

#[test]
fn applied_tags_follow_each_operation() {
    let held = tags(&["a", "b"]);
    assert_eq!(
        applied(Operation::Add, false, &tags(&["b", "c"]), Some(&held)),
        Some(tags(&["a", "b", "c"]))
    );
    assert_eq!(
        applied(Operation::Add, true, &tags(&["c"]), None),
        Some(tags(&["c"]))
    );
    assert_eq!(
        applied(Operation::Remove, false, &tags(&["a", "z"]), Some(&held)),
        Some(tags(&["b"]))
    );
    assert_eq!(
        applied(Operation::Clear, false, &[], None),
        Some(Vec::new())
    );
    assert_eq!(applied(Operation::Remove, false, &tags(&["a"]), None), None);
}

#[test]
fn retention_reads_its_days_and_deletes_a_chunk_of_what_is_older() {
    assert_eq!(retention_days(None), Some(90));
    assert_eq!(retention_days(Some("30")), Some(30));
    for bad in ["0", "-1", "x", "36501"] {
        assert_eq!(retention_days(Some(bad)), None, "{bad}");
    }
    let Statement(_, params) = retention_select(10 * DAY_MS, 3);
    assert_eq!(params, [Param::Number(7 * DAY_MS), Param::Number(500)]);
    assert_eq!(retention_delete("[1,2]").len(), 3);
}

#[test]
fn a_change_binds_its_json_once_with_its_outcome_counts_and_touched_tags_decided_beside_it() {
    let account =
        |name: &str, outcome, before: Option<&[&str]>, after: Option<&[&str]>| ChangedAccount {
            account: name.into(),
            outcome,
            code: 0,
            before: before.map(tags),
            after: after.map(tags),
        };
    let mut change = Change {
        at_ms: 5,
        caller: "ops".into(),
        op: "add",
        api: "timpush",
        request_id: "req-1".into(),
        tags: tags(&["v", "v"]),
        replace: true,
        code: 0,
        batch: Some("b1".into()),
        undo_of: None,
        accounts: vec![
            // Lost x and y, gained g (not named: a replace sets exactly).
            account(
                "a",
                AccountOutcome::Done,
                Some(&["x", "y"]),
                Some(&["g", "v"]),
            ),
            account("b", AccountOutcome::Failed, Some(&["z"]), Some(&["z"])),
            // Before unknown, or after unknown: what it gained or lost is not known.
            account("c", AccountOutcome::Done, None, Some(&["n"])),
            account("d", AccountOutcome::Unknown, Some(&["k"]), None),
        ],
    };
    let (json, statements) = change.statements();
    assert_eq!(
        statements[0].1,
        [
            Param::Number(5),
            Param::Text("ops".into()),
            Param::Text("add".into()),
            Param::Text("timpush".into()),
            Param::Text("req-1".into()),
            Param::Text(r#"["v","v"]"#.into()),
            Param::Number(1),
            Param::Text("partial".into()),
            Param::Number(0),
            Param::Number(4),
            Param::Number(2),
            Param::Number(1),
            Param::Text("b1".into()),
            Param::Null,
        ]
    );
    assert_eq!(
        statements[1].1,
        [Param::Text(r#"["v","x","y","g"]"#.into())]
    );
    let bound_json = statements
        .iter()
        .flat_map(|s| &s.1)
        .filter(|p| **p == Param::Text(json.clone()));
    assert_eq!(
        bound_json.count(),
        1,
        "the change's JSON is bound more than once"
    );
    // A failed clear of an undo: named no tag, failed as a whole, no batch.
    change.op = "clear";
    change.replace = false;
    change.code = 80504;
    change.tags = Vec::new();
    change.batch = None;
    change.undo_of = Some(12);
    let (_, statements) = change.statements();
    assert_eq!(
        statements[0].1[6..9],
        [
            Param::Number(0),
            Param::Text("failed".into()),
            Param::Number(80504)
        ]
    );
    assert_eq!(statements[0].1[12..], [Param::Null, Param::Number(12)]);
    assert_eq!(
        statements[1].1,
        [Param::Text(r#"["x","y","g","v"]"#.into())]
    );
}

#[test]
fn the_tags_a_replace_of_100_accounts_touches_are_each_found_once() {
    let many = |from: usize| {
        (from..from + 100)
            .map(|n| format!("t{n}"))
            .collect::<Vec<_>>()
    };
    let accounts = (0..100)
        .map(|n| ChangedAccount {
            account: format!("a{n}"),
            outcome: AccountOutcome::Done,
            code: 0,
            before: Some(many(n * 100)),
            after: Some(many(n * 100 + 50)),
        })
        .collect();
    let change = Change {
        at_ms: 0,
        caller: "ops".into(),
        op: "add",
        api: "timpush",
        request_id: "r".into(),
        tags: many(0),
        replace: true,
        code: 0,
        batch: None,
        undo_of: None,
        accounts,
    };
    let (_, statements) = change.statements();
    let Param::Text(touched) = &statements[1].1[0] else {
        panic!("the touched tags are not text")
    };
    // Account n loses t(100n)..t(100n+49) and gains t(100n+100)..t(100n+149), which the next
    // account loses: 5,000 lost, 50 more gained by the last, and t50..t99 named.
    assert_eq!(touched.matches(',').count() + 1, 5_100);
}
