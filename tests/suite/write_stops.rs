//! A write that stops (a call refused, a call timing out, the caller aborting) while its
//! other calls are answered before and after what stops it, whatever their order among the
//! calls: every answer counts in the report, no call goes after the stop, and the report
//! agrees with what the emulator did.

use super::package::add_tags;
use js_sys::Date;
use serde_json::{Value, json};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::AbortController;

use tim_tags::Operation;

use super::stack::{
    Expect, Report, calls, field, inject, path_of, read_report, sleep, stack, tags_of, tim_error,
    user_tags, writer,
};
use Fate::{Answered, NotSent, Refused, Unheard};

/// Calls go this far apart (`maxCallsPerSecond` 2.5), so that each reaches the emulator, and
/// takes its fault, in turn; every moment of a scenario is at least 200 ms from the next.
const GAP_MS: u32 = 400;
/// The calls of a batch, of 100 accounts each.
const CALLS: usize = 4;
const TAG: &str = "stops";
const LEGACY: &str = "all_member_push";
const TIMPUSH: &str = "timpush";
/// An account holding as many tags as the vendor allows: a call adding one more to it is
/// refused as a whole (on the legacy generation).
const FULL: &str = "suite_full";

/// How one call of a batch fares; each call that goes is answered after the delay given.
#[derive(Debug, Clone, Copy)]
enum Fate {
    /// Carried out and answered.
    Answered(u32),
    /// Refused as a whole (90001): it carries [`FULL`].
    Refused(u32),
    /// Carried out, but answered past the batch's timeout or abort.
    Unheard(u32),
    /// Never sent: the batch stopped before its turn.
    NotSent,
}

/// What stops a batch.
#[derive(Debug, Clone, Copy)]
enum Stop {
    /// A call refused as a whole.
    Refusal,
    /// A call not answered within `timeoutMs`.
    Timeout { after_ms: u32 },
    /// The caller aborting, this long after the batch starts.
    Abort { at_ms: u32 },
}

impl Stop {
    /// The code of the TimError the batch rejects with.
    fn code(self) -> i64 {
        match self {
            Stop::Refusal => 90001,
            Stop::Timeout { .. } => 80408,
            Stop::Abort { .. } => 80499,
        }
    }
}

/// A batch of [`CALLS`] calls of an `addTags`, its accounts named `suite_{name}_{i}`.
struct Scenario {
    name: &'static str,
    api: &'static str,
    fates: [Fate; CALLS],
    stop: Stop,
}

impl Scenario {
    fn accounts(&self) -> Vec<String> {
        let mut accounts: Vec<String> = (0..CALLS * 100)
            .map(|i| format!("suite_{}_{i}", self.name))
            .collect();
        for (call, fate) in self.fates.iter().enumerate() {
            if let Refused(_) = fate {
                accounts[call * 100] = FULL.into();
            }
        }
        accounts
    }

    fn path(&self) -> &'static str {
        path_of(Operation::Add, self.api)
    }

    /// Each call that goes is answered after its delay.
    fn faults(&self) -> Value {
        let delays: Vec<Value> = self
            .fates
            .iter()
            .filter_map(|fate| match fate {
                Answered(ms) | Refused(ms) | Unheard(ms) => {
                    Some(json!({ "kind": "delay", "ms": ms, "path": self.path() }))
                }
                NotSent => None,
            })
            .collect();
        delays.into()
    }

    /// When the emulator is done with every call it got, counted from the batch's start.
    fn settled_ms(&self) -> u32 {
        let ends = self
            .fates
            .iter()
            .enumerate()
            .map(|(call, fate)| match fate {
                Answered(ms) | Refused(ms) | Unheard(ms) => call as u32 * GAP_MS + ms,
                NotSent => 0,
            });
        ends.max().unwrap_or(0) + 200
    }

    /// The report it must give: the accounts of every call answered done (or, on timpush,
    /// where the emulator knows none of them, failed with 70107); those of a call refused as a
    /// whole failed with its code; all others not done.
    fn report(&self, accounts: &[String]) -> Report {
        let mut report = Report::default();
        for (call, fate) in self.fates.iter().enumerate() {
            let carried = accounts[call * 100..(call + 1) * 100].iter().cloned();
            match (fate, self.api) {
                (Answered(_), LEGACY) => report.0.extend(carried),
                (Answered(_), _) => report.1.extend(carried.map(|a| (a, 70107))),
                (Refused(_), _) => report.1.extend(carried.map(|a| (a, Stop::Refusal.code()))),
                (Unheard(_) | NotSent, _) => report.2.extend(carried),
            }
        }
        report
    }
}

/// Runs `scenario` and checks its error, its report, the calls the emulator got and, on the
/// legacy generation, whose tags they changed.
async fn run(scenario: &Scenario) {
    let name = scenario.name;
    let accounts = scenario.accounts();
    inject(scenario.faults()).await;
    let before = calls().await.len();
    let started = Date::now();
    let thrown = add_until_stopped(scenario, &accounts).await;
    assert_eq!(tim_error(&thrown).0, scenario.stop.code(), "{name}");
    check_report(scenario, &read_report(&field(&thrown, "report")), &accounts);
    let settled = started + f64::from(scenario.settled_ms());
    sleep((settled - Date::now()).max(0.0) as u32).await;
    check_calls(scenario, &settled_calls(scenario, before).await, &accounts);
    if scenario.api == LEGACY {
        check_tags(scenario, &accounts).await;
    }
}

/// The calls the emulator got after the first `before`, once it has answered each of those at
/// the scenario's path, or after 3 s more: each write first reads its accounts' tags for the
/// history, so a call reaches the emulator a little later than the scenario's moments.
async fn settled_calls(scenario: &Scenario, before: usize) -> Vec<Value> {
    for _ in 0..30 {
        let received = calls().await.split_off(before);
        let out = |call: &Value| call["path"] == scenario.path() && call["error_code"].is_null();
        if !received.iter().any(out) {
            return received;
        }
        sleep(100).await;
    }
    calls().await.split_off(before)
}

/// The report is the one the scenario must give; a difference is told call by call.
fn check_report(scenario: &Scenario, report: &Report, accounts: &[String]) {
    let name = scenario.name;
    let expected = scenario.report(accounts);
    let call_of = |account: &String| accounts.iter().position(|a| a == account).map(|i| i / 100);
    let by_call = |report: &Report| {
        (
            runs(report.0.iter().map(call_of)),
            runs(
                report
                    .1
                    .iter()
                    .map(|(account, code)| (call_of(account), *code)),
            ),
            runs(report.2.iter().map(call_of)),
        )
    };
    assert_eq!(
        by_call(report),
        by_call(&expected),
        "{name}: the report's lists, as runs of (call, accounts of it)"
    );
    assert!(
        *report == expected,
        "{name}: the report lists the accounts out of order"
    );
}

/// Consecutive equal items counted: `[a, a, b]` is `[(a, 2), (b, 1)]`.
fn runs<T: PartialEq>(items: impl Iterator<Item = T>) -> Vec<(T, usize)> {
    let mut runs: Vec<(T, usize)> = Vec::new();
    for item in items {
        match runs.last_mut() {
            Some((last, count)) if *last == item => *count += 1,
            _ => runs.push((item, 1)),
        }
    }
    runs
}

/// Runs the batch, aborting it when the scenario says; what it rejected with.
async fn add_until_stopped(scenario: &Scenario, accounts: &[String]) -> JsValue {
    let controller = AbortController::new().or_fail("no AbortController");
    let mut extra = vec![
        (
            "maxCallsPerSecond",
            JsValue::from(1000.0 / f64::from(GAP_MS)),
        ),
        ("signal", controller.signal().into()),
    ];
    if let Stop::Timeout { after_ms } = scenario.stop {
        extra.push(("timeoutMs", after_ms.into()));
    }
    let entries: Vec<(&str, &[&str])> = accounts.iter().map(|a| (a.as_str(), &[TAG][..])).collect();
    let adding = add_tags(
        user_tags(&entries),
        Some(writer(scenario.api, &extra).unchecked_into()),
    );
    let abort = async {
        if let Stop::Abort { at_ms } = scenario.stop {
            sleep(at_ms).await;
            controller.abort();
        }
    };
    let (result, ()) = futures_util::join!(adding, abort);
    result.err().or_fail(&format!(
        "{}: the batch resolved, but it stopped",
        scenario.name
    ))
}

/// The emulator got each call sent, in turn, and carried it out or refused it; no other.
fn check_calls(scenario: &Scenario, received: &[Value], accounts: &[String]) {
    let name = scenario.name;
    let received: Vec<&Value> = received
        .iter()
        .filter(|got| got["path"] == scenario.path())
        .collect();
    let sent = scenario
        .fates
        .iter()
        .filter(|fate| !matches!(fate, NotSent));
    assert_eq!(
        received.len(),
        sent.clone().count(),
        "{name}: the calls sent"
    );
    for (call, (got, fate)) in received.iter().zip(sent).enumerate() {
        let code = match fate {
            Answered(_) | Unheard(_) => 0,
            Refused(_) => 90001,
            NotSent => unreachable!("only the calls sent are compared"),
        };
        assert_eq!(got["error_code"], json!(code), "{name}: call {call}");
        if code == 0 {
            let carried = &accounts[call * 100..(call + 1) * 100];
            assert_eq!(got["accounts"], json!(carried), "{name}: call {call}");
        }
    }
}

/// Every call the emulator carried out added the tag to each of its accounts; no other
/// account has it.
async fn check_tags(scenario: &Scenario, accounts: &[String]) {
    let list: Vec<&str> = accounts.iter().map(String::as_str).collect();
    let tags = tags_of(scenario.api, &list).await;
    for (call, fate) in scenario.fates.iter().enumerate() {
        let carried_out = matches!(fate, Answered(_) | Unheard(_));
        for entry in &tags[call * 100..(call + 1) * 100] {
            assert_eq!(
                entry.tags.contains(&TAG.to_owned()),
                carried_out,
                "{}: {} after call {call} ({fate:?})",
                scenario.name,
                entry.to_account
            );
        }
    }
}

/// Gives [`FULL`] as many tags as the vendor allows (again, if an earlier test did).
async fn fill_to_the_limit() {
    let tags: Vec<String> = (0..100).map(|i| format!("full{i}")).collect();
    let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
    let report = add_tags(
        user_tags(&[(FULL, &tags)]),
        Some(writer(LEGACY, &[]).unchecked_into()),
    )
    .await
    .or_fail("addTags rejected");
    assert_eq!(read_report(&report).0, [FULL]);
}

// In each scenario, the call that stops the batch is the first: it was sent before any other
// was answered, and the old reading in order held those answers back behind it.

#[wasm_bindgen_test]
async fn answers_before_and_after_a_refused_call_count_and_nothing_goes_after_it() {
    stack().await;
    fill_to_the_limit().await;
    // Call 0 is refused at 1000 ms; call 2's answer comes before (800 ms), call 1's after
    // (1200 ms); call 3, due at 1200 ms, is never sent.
    run(&Scenario {
        name: "refused",
        api: LEGACY,
        fates: [Refused(1000), Answered(800), Answered(0), NotSent],
        stop: Stop::Refusal,
    })
    .await;
}

#[wasm_bindgen_test]
async fn answers_before_and_after_a_timeout_count_and_the_vendor_s_failures_with_them() {
    stack().await;
    // Call 0 times out at 1000 ms; the emulator still carries it out, at 1300 ms. Call 2's
    // answer comes before (800 ms), call 1's after (1200 ms); call 3 is never sent. On
    // timpush, the answers list every account as failed (the emulator knows none of them).
    let timeout = |name, api| Scenario {
        name,
        api,
        fates: [Unheard(1300), Answered(800), Answered(0), NotSent],
        stop: Stop::Timeout { after_ms: 1000 },
    };
    let (legacy, timpush) = (timeout("late", LEGACY), timeout("late_t", TIMPUSH));
    futures_util::join!(run(&legacy), run(&timpush));
}

#[wasm_bindgen_test]
async fn answers_before_an_abort_count_while_an_earlier_call_is_still_out() {
    stack().await;
    // Call 1 is answered at 400 ms while call 0 is out; the caller aborts at 600 ms; the
    // emulator still carries out call 0, at 1300 ms; call 2, due at 800 ms, is never sent.
    run(&Scenario {
        name: "aborted",
        api: LEGACY,
        fates: [Unheard(1300), Answered(0), NotSent, NotSent],
        stop: Stop::Abort { at_ms: 600 },
    })
    .await;
}
