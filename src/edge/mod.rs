//! The edge Worker's decisions, free of any runtime so that they test natively: its routes
//! ([`routes`]), who may call and what they may do ([`callers`]), its settings and the
//! cached admin UserSig ([`settings`]), and its log lines ([`logs`]). `src/worker/` only
//! carries requests and answers between the runtime and these.

pub mod access;
pub mod callers;
pub mod history;
pub mod logs;
pub mod pace;
pub mod routes;
pub mod setting;
pub mod settings;
pub mod undo;

use crate::api::calls::Call;
use crate::api::codes::{
    BAD_GATEWAY, BODY_TOO_LARGE, Coded, EDGE_INTERNAL, FORBIDDEN, GATEWAY_TIMEOUT, INVALID_BODY,
    METHOD_NOT_ALLOWED, MISCONFIGURED, NOT_FOUND, TOO_MANY_CALLS, UNAUTHORIZED,
};
use crate::api::invalid::BodyError;
use crate::api::json::quoted;
use crate::api::retry::TryOutcome;
use history::HistoryProblem;
use setting::SettingProblems;

pub use callers::{Caller, Callers};
pub use logs::{AuditLog, RequestLog, Session, request_id};
pub use routes::{Route, route};
pub use settings::{SignedQuery, UpstreamSettings, UserSigCache};

/// Why the Worker refuses a request or fails it, each with its HTTP status and code.
///
/// Messages name what is wrong and never hold the key, a UserSig or a token.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum EdgeError {
    /// The body is not what its call takes (400, the vendor's code).
    #[error(transparent)]
    Body(#[from] BodyError),
    /// A history request is not one the history takes (400, 90001).
    #[error(transparent)]
    History(#[from] HistoryProblem),
    /// No credentials, or wrong ones.
    #[error("missing or invalid credentials: send Authorization: Bearer <panel token>")]
    Unauthorized,
    /// A reader asked for a change.
    #[error("{caller} may only read tags, and {path} changes them: use a write token")]
    ReadOnly {
        /// The caller's name.
        caller: String,
        /// The call it made.
        path: &'static str,
    },
    /// A cross-origin call from an origin that is not on the allow-list.
    #[error("origin {} is not allowed to call this endpoint: add it to ALLOWED_ORIGINS", quoted(.0))]
    OriginNotAllowed(String),
    /// No endpoint at this path.
    #[error("no endpoint at {}", quoted(.0))]
    NotFound(String),
    /// The endpoint exists but not for this method.
    #[error("method {method} is not allowed here; use {allow}")]
    MethodNotAllowed {
        /// The method the caller used.
        method: String,
        /// The methods the endpoint takes.
        allow: &'static str,
    },
    /// The request body is over its call's limit.
    #[error("request body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The caller made too many calls (the Worker's per-caller rate limit).
    #[error("too many calls from this caller; wait, then try again more slowly")]
    RateLimited,
    /// No slot of the app's vendor rate within the longest wait.
    #[error(
        "the chat service's rate for this app is taken for the next {retry_after_s} s; try again then"
    )]
    NoSlot {
        /// When a slot is likely free, in whole seconds.
        retry_after_s: u32,
    },
    /// A setting is missing or wrong; the message names each.
    #[error("this endpoint is misconfigured: {0}")]
    Misconfigured(SettingProblems),
    /// The vendor's API could not be reached.
    #[error("the chat service could not be reached")]
    UpstreamUnreachable,
    /// The vendor answered, but not with an answer of its shape.
    #[error("the chat service's answer could not be read: {0}")]
    UpstreamNotAnAnswer(NotAnAnswer),
    /// The vendor did not answer in time.
    #[error("the chat service did not answer within {timeout_ms} ms")]
    UpstreamTimeout {
        /// The time allowed, in milliseconds.
        timeout_ms: u32,
    },
    /// The Worker failed in a way that says nothing about the request.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl Coded for EdgeError {
    fn code(&self) -> i64 {
        match self {
            EdgeError::Body(body) => body.code(),
            EdgeError::History(_) => INVALID_BODY,
            EdgeError::Unauthorized => UNAUTHORIZED,
            EdgeError::ReadOnly { .. } | EdgeError::OriginNotAllowed(_) => FORBIDDEN,
            EdgeError::NotFound(_) => NOT_FOUND,
            EdgeError::MethodNotAllowed { .. } => METHOD_NOT_ALLOWED,
            EdgeError::BodyTooLarge { .. } => BODY_TOO_LARGE,
            EdgeError::RateLimited | EdgeError::NoSlot { .. } => TOO_MANY_CALLS,
            EdgeError::Misconfigured(_) => MISCONFIGURED,
            EdgeError::UpstreamUnreachable | EdgeError::UpstreamNotAnAnswer(_) => BAD_GATEWAY,
            EdgeError::UpstreamTimeout { .. } => GATEWAY_TIMEOUT,
            EdgeError::Internal(_) => EDGE_INTERNAL,
        }
    }
}

impl EdgeError {
    /// How a try of a forwarded call ended, when it ended in this error.
    pub fn try_outcome(&self) -> TryOutcome {
        match self {
            EdgeError::UpstreamTimeout { .. } => TryOutcome::TimedOut,
            EdgeError::UpstreamUnreachable => TryOutcome::Unreachable,
            EdgeError::UpstreamNotAnAnswer(_) => TryOutcome::NotAnAnswer,
            // Not from a try of the vendor; were one to come, nothing says the vendor answered.
            EdgeError::Body(_)
            | EdgeError::History(_)
            | EdgeError::Unauthorized
            | EdgeError::ReadOnly { .. }
            | EdgeError::OriginNotAllowed(_)
            | EdgeError::NotFound(_)
            | EdgeError::MethodNotAllowed { .. }
            | EdgeError::BodyTooLarge { .. }
            | EdgeError::RateLimited
            | EdgeError::NoSlot { .. }
            | EdgeError::Misconfigured(_)
            | EdgeError::Internal(_) => TryOutcome::NotAnAnswer,
        }
    }

    /// The HTTP status the Worker answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            EdgeError::Body(_) | EdgeError::History(_) => 400,
            EdgeError::Unauthorized => 401,
            EdgeError::ReadOnly { .. } | EdgeError::OriginNotAllowed(_) => 403,
            EdgeError::NotFound(_) => 404,
            EdgeError::MethodNotAllowed { .. } => 405,
            EdgeError::BodyTooLarge { .. } => 413,
            EdgeError::RateLimited | EdgeError::NoSlot { .. } => 429,
            EdgeError::Internal(_) => 500,
            EdgeError::UpstreamUnreachable | EdgeError::UpstreamNotAnAnswer(_) => 502,
            EdgeError::Misconfigured(_) => 503,
            EdgeError::UpstreamTimeout { .. } => 504,
        }
    }
}

/// How what came back from the vendor is not one of its answers.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotAnAnswer {
    /// An HTTP status other than 200.
    #[error("HTTP {0}")]
    Status(u16),
    /// The body stopped before its end.
    #[error("the answer was cut short")]
    CutShort,
    /// A body that is not the vendor's JSON for this call.
    #[error("not an answer to {0}")]
    NotFor(Call),
}

/// The non-empty, trimmed entries of a comma-separated setting.
fn list(setting: &str) -> impl Iterator<Item = &str> {
    setting.split(',').map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::codes::Action;
    use std::collections::HashMap;

    /// Settings looked up in a fixed list, as the runtime's environment would give them.
    pub(crate) fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn each_refusal_has_its_status_and_a_code_that_repeats_it() {
        let cases = [
            (EdgeError::Unauthorized, 401, Action::Configuration),
            (
                EdgeError::ReadOnly {
                    caller: "ops".into(),
                    path: "/v4/timpush/add_tag",
                },
                403,
                Action::Configuration,
            ),
            (
                EdgeError::OriginNotAllowed("https://evil.example".into()),
                403,
                Action::Configuration,
            ),
            (EdgeError::NotFound("/x".into()), 404, Action::GiveUp),
            (
                EdgeError::MethodNotAllowed {
                    method: "GET".into(),
                    allow: "POST",
                },
                405,
                Action::GiveUp,
            ),
            (EdgeError::BodyTooLarge { limit: 1 }, 413, Action::GiveUp),
            (EdgeError::RateLimited, 429, Action::RateLimited),
            (EdgeError::Internal("x"), 500, Action::Retry),
            (EdgeError::UpstreamUnreachable, 502, Action::Retry),
            (
                EdgeError::UpstreamNotAnAnswer(NotAnAnswer::Status(500)),
                502,
                Action::Retry,
            ),
            (
                EdgeError::Misconfigured(SettingProblems(vec![setting::SettingProblem::NotSet(
                    "TIM_SDKAPPID",
                )])),
                503,
                Action::Configuration,
            ),
            (
                EdgeError::UpstreamTimeout { timeout_ms: 10 },
                504,
                Action::Retry,
            ),
        ];
        for (error, status, action) in cases {
            assert_eq!(error.http_status(), status, "{error}");
            assert_eq!(error.code(), 80_000 + i64::from(status), "{error}");
            assert_eq!(error.action(), action, "{error}");
        }
        let body = EdgeError::from(BodyError::TooManyAccounts {
            field: "To_Account",
            count: 101,
        });
        assert_eq!((body.http_status(), body.code()), (400, 90018));
    }

    #[test]
    fn a_failed_try_is_an_outcome_for_the_retry_policy() {
        assert_eq!(
            EdgeError::UpstreamTimeout { timeout_ms: 1 }.try_outcome(),
            TryOutcome::TimedOut
        );
        assert_eq!(
            EdgeError::UpstreamUnreachable.try_outcome(),
            TryOutcome::Unreachable
        );
        assert_eq!(
            EdgeError::UpstreamNotAnAnswer(NotAnAnswer::Status(502)).try_outcome(),
            TryOutcome::NotAnAnswer
        );
    }

    #[test]
    fn a_reader_is_told_it_may_only_read() {
        let error = EdgeError::ReadOnly {
            caller: "night-shift".into(),
            path: "/v4/timpush/clear_all_tags",
        };
        assert_eq!(
            error.to_string(),
            "night-shift may only read tags, and /v4/timpush/clear_all_tags changes them: use a write token"
        );
    }
}
