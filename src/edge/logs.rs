//! The Worker's log lines, one JSON object each: a `request` line for every request it
//! answers, an `audit` line for every change that reached the vendor; and `/session`'s answer.

use serde::Serialize;

use crate::api::answer::AccountError;
use crate::api::calls::{Call, TagApi};
use crate::api::request::TagRequest;
use crate::edge::Caller;

/// The longest `cf-ray` taken as a request id.
const MAX_REQUEST_ID_CHARS: usize = 64;

/// The id a request is logged and answered under (`X-Request-Id`): the runtime's `cf-ray`
/// when it is one (letters, digits and dashes), so that the platform's records and ours
/// meet; otherwise `random`, in hex.
pub fn request_id(cf_ray: Option<&str>, random: impl FnOnce() -> u64) -> String {
    match cf_ray.map(str::trim) {
        Some(ray)
            if (1..=MAX_REQUEST_ID_CHARS).contains(&ray.len())
                && ray.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            ray.to_owned()
        }
        _ => format!("{:016x}", random()),
    }
}

/// One line of the request log: one JSON object per request the Worker answers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RequestLog<'a> {
    /// Always `"request"`.
    pub event: &'static str,
    /// The request id, as in `X-Request-Id`.
    pub id: &'a str,
    /// The HTTP method.
    pub method: &'a str,
    /// The path, without the query: callers may put anything there.
    pub path: &'a str,
    /// The HTTP status answered.
    pub status: u16,
    /// The `ErrorCode` answered: the vendor's for a forwarded call, the Worker's for a refusal.
    pub code: i64,
    /// Who called, once known; never a token.
    pub caller: Option<&'a str>,
    /// Calls made to the vendor (0 when none was).
    pub tries: u32,
    /// Milliseconds from the first call to the vendor to the last answer, when one was made.
    pub upstream_ms: Option<u64>,
    /// Milliseconds the request waited for its calls' slots of the app's vendor rate, when it
    /// asked for one.
    pub waited_ms: Option<u64>,
    /// Milliseconds from the request to its answer.
    pub ms: u64,
    /// What the Worker said when it refused or failed; never a secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info: Option<&'a str>,
}

impl RequestLog<'_> {
    /// The line, as one JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("strings and numbers always serialize")
    }
}

/// One line of the audit log: a change that reached the vendor, whatever came of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditLog<'a> {
    /// Always `"audit"`.
    pub event: &'static str,
    /// The request id, as in `X-Request-Id` and the request line.
    pub id: &'a str,
    /// Who asked for the change; never a token.
    pub caller: &'a str,
    /// `add`, `remove` or `clear`.
    pub op: &'static str,
    /// The generation called.
    pub api: &'static str,
    /// Every account the call named.
    pub accounts: Vec<&'a str>,
    /// Every tag it named, once each (none for a clear).
    pub tags: Vec<&'a str>,
    /// Whether it set the tags exactly.
    pub replace: bool,
    /// `ok`, `partial` (some accounts failed) or `failed`: a vendor error, or no usable answer,
    /// after which the change may or may not have been applied.
    pub outcome: &'static str,
    /// The vendor's `ErrorCode`, or the Worker's own (80502, 80504) when there was no usable answer.
    pub code: i64,
    /// The accounts the vendor listed as failed.
    pub failed: Vec<&'a str>,
}

impl<'a> AuditLog<'a> {
    /// The line for `call` with this checked body, ending with `code` and the failed accounts.
    pub fn new(
        id: &'a str,
        caller: &'a Caller,
        call: Call,
        request: &'a TagRequest,
        code: i64,
        failed: &'a [AccountError],
    ) -> Self {
        let outcome = match (code, failed.is_empty()) {
            (0, true) => "ok",
            (0, false) => "partial",
            _ => "failed",
        };
        Self {
            event: "audit",
            id,
            caller: &caller.name,
            op: call.row().name,
            api: call.api.name(),
            accounts: request.accounts(),
            tags: request.tags(),
            replace: request.replace(),
            outcome,
            code,
            failed: failed.iter().map(|f| f.to_account.as_str()).collect(),
        }
    }

    /// The line, as one JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("strings and numbers always serialize")
    }
}

/// `/session`'s answer: who the caller is, what it may do, and the generation the app uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session<'a> {
    /// The caller's name.
    pub caller: &'a str,
    /// `["read"]` or `["read", "write"]`.
    pub scopes: &'static [&'static str],
    /// `TIM_TAG_API`.
    pub api: &'static str,
    /// The calls per second the app may make on each vendor path (`TIM_CALLS_PER_SECOND`).
    pub calls_per_second: u32,
    /// `"token"` or `"access"`: how the caller was admitted. Behind Access, a panel token that
    /// admits no one is passed over for the Access identity; this says which one answered.
    pub admitted_by: &'static str,
}

impl<'a> Session<'a> {
    /// The session of `caller` on an app with this generation and rate.
    pub fn new(caller: &'a Caller, api: TagApi, calls_per_second: u32) -> Self {
        Self {
            caller: &caller.name,
            scopes: caller.scope.names(),
            api: api.name(),
            calls_per_second,
            admitted_by: if caller.by_access { "access" } else { "token" },
        }
    }

    /// The answer, as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("strings always serialize")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::calls::{Operation, Scope};

    #[test]
    fn a_request_id_is_the_ray_when_there_is_one_else_random() {
        assert_eq!(
            request_id(Some("8f1c2a3b4c5d6e7f-SIN"), || unreachable!(
                "a ray needs no random id"
            )),
            "8f1c2a3b4c5d6e7f-SIN"
        );
        assert_eq!(request_id(None, || 0xabc), "0000000000000abc");
        for odd in ["", "a b", "x\"y", "ray\n{", &"r".repeat(65)] {
            assert_eq!(
                request_id(Some(odd), || u64::MAX),
                "ffffffffffffffff",
                "{odd:?}"
            );
        }
    }

    #[test]
    fn a_request_line_is_one_json_object_with_the_names_of_the_contract() {
        let line = RequestLog {
            event: "request",
            id: "r1",
            method: "POST",
            path: "/v4/all_member_push/im_get_tag",
            status: 200,
            code: 0,
            caller: Some("ops \"night\"\n"),
            tries: 2,
            upstream_ms: Some(31),
            waited_ms: Some(12),
            ms: 40,
            info: None,
        }
        .to_json();
        assert!(!line.contains('\n'), "{line}");
        let read: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            read,
            serde_json::json!({
                "event": "request", "id": "r1", "method": "POST",
                "path": "/v4/all_member_push/im_get_tag", "status": 200, "code": 0,
                "caller": "ops \"night\"\n", "tries": 2, "upstream_ms": 31, "waited_ms": 12,
                "ms": 40
            })
        );
    }

    fn caller(scope: Scope) -> Caller {
        Caller {
            name: "ops@example.com".into(),
            scope,
            by_access: true,
        }
    }

    #[test]
    fn an_audit_line_names_the_change_and_what_came_of_it() {
        let add = Call {
            operation: Operation::Add,
            api: TagApi::Timpush,
        };
        let request = add
            .parse(br#"{"UserTags":[{"To_Account":"a","Tags":["vip","cn"]},{"To_Account":"mary","Tags":["vip"]}],"Replace":1}"#)
            .unwrap();
        let caller = caller(Scope::Write);
        let failed = [AccountError {
            to_account: "mary".into(),
            code: 70107,
            info: String::new(),
        }];
        let line: serde_json::Value = serde_json::from_str(
            &AuditLog::new("r1", &caller, add, &request, 0, &failed).to_json(),
        )
        .unwrap();
        assert_eq!(
            line,
            serde_json::json!({
                "event": "audit", "id": "r1", "caller": "ops@example.com", "op": "add",
                "api": "timpush", "accounts": ["a", "mary"], "tags": ["vip", "cn"],
                "replace": true, "outcome": "partial", "code": 0, "failed": ["mary"]
            })
        );
        let outcome = |code, failed: &[AccountError]| {
            AuditLog::new("r", &caller, add, &request, code, failed).outcome
        };
        assert_eq!(outcome(0, &[]), "ok");
        assert_eq!(outcome(91000, &[]), "failed");
        assert_eq!(outcome(80504, &[]), "failed");
        let clear = Call {
            operation: Operation::Clear,
            api: TagApi::AllMemberPush,
        };
        let request = clear.parse(br#"{"To_Account":["a"]}"#).unwrap();
        let line = AuditLog::new("r2", &caller, clear, &request, 0, &[]);
        assert_eq!(
            (line.op, line.api, line.tags.len(), line.replace),
            ("clear", "all_member_push", 0, false)
        );
    }

    #[test]
    fn a_session_says_who_what_and_which_generation() {
        assert_eq!(
            Session::new(&caller(Scope::Read), TagApi::AllMemberPush, 100).to_json(),
            r#"{"caller":"ops@example.com","scopes":["read"],"api":"all_member_push","calls_per_second":100,"admitted_by":"access"}"#
        );
        let by_token = Caller {
            by_access: false,
            ..caller(Scope::Write)
        };
        assert_eq!(
            Session::new(&by_token, TagApi::Timpush, 50).to_json(),
            r#"{"caller":"ops@example.com","scopes":["read","write"],"api":"timpush","calls_per_second":50,"admitted_by":"token"}"#
        );
    }
}
