//! What the browser package decides without a browser: its errors and their codes, and the
//! checks of what a caller hands it. `src/browser.rs` carries these to and from JavaScript.

use crate::api::TagApi;
use crate::body::{account_problem, quote};
use crate::codes::{
    ABORTED, BAD_GATEWAY, Coded, EDGE_INTERNAL, INVALID_BODY, INVALID_OPTION, TIMEOUT,
};
use crate::json::{Json, NotText};
use crate::retry::TryOutcome;

/// Calls of up to this many accounts.
pub use crate::body::MAX_ACCOUNTS as ACCOUNTS_PER_CALL;
/// Calls in flight at once; browsers open about six connections per host.
pub const MAX_IN_FLIGHT: usize = 6;
/// The vendor's rate limit, and so the default pace.
pub const DEFAULT_CALLS_PER_SECOND: f64 = 100.0;
/// How long one call may take unless `timeoutMs` says otherwise.
pub const DEFAULT_CALL_TIMEOUT_MS: f64 = 30_000.0;

/// What the browser functions reject with, as `TimError`'s `code` and `info`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// What the caller handed over is not valid input (90001, as the vendor would say).
    #[error("{0}")]
    InvalidInput(String),
    /// An option has the wrong type or value (80400).
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// A call got no answer within `timeoutMs` (80408).
    #[error("no answer within {timeout_ms} ms")]
    Timeout {
        /// The time allowed, in milliseconds.
        timeout_ms: u64,
    },
    /// The caller aborted (80499).
    #[error("aborted")]
    Aborted,
    /// The Worker could not be reached (80502).
    #[error("{url} could not be reached")]
    Unreachable {
        /// Where the call went.
        url: String,
    },
    /// Something answered, but not as the Worker does (80502).
    #[error("the answer of {url} is not an answer of the Worker (HTTP {status})")]
    NotTheWorker {
        /// Where the call went.
        url: String,
        /// The HTTP status of what answered.
        status: u16,
    },
    /// The Worker or the vendor answered with a failure: its code and text, as they are.
    #[error("{info}")]
    Answered {
        /// `ErrorCode`.
        code: i64,
        /// `ErrorInfo`.
        info: String,
    },
    /// The browser could not do what it needed to (80500).
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl ClientError {
    /// How a try of a call ended, when it ended in this error; `None` when there is nothing
    /// to try again (an abort, bad input, the browser itself failing).
    pub fn try_outcome(&self) -> Option<TryOutcome> {
        match self {
            ClientError::Answered { code, .. } => Some(TryOutcome::Answered(*code)),
            ClientError::Unreachable { .. } => Some(TryOutcome::Unreachable),
            ClientError::NotTheWorker { .. } => Some(TryOutcome::NotAnAnswer),
            ClientError::Timeout { .. } => Some(TryOutcome::TimedOut),
            ClientError::InvalidInput(_)
            | ClientError::InvalidOption(_)
            | ClientError::Aborted
            | ClientError::Internal(_) => None,
        }
    }
}

impl Coded for ClientError {
    fn code(&self) -> i64 {
        match self {
            ClientError::InvalidInput(_) => INVALID_BODY,
            ClientError::InvalidOption(_) => INVALID_OPTION,
            ClientError::Timeout { .. } => TIMEOUT,
            ClientError::Aborted => ABORTED,
            ClientError::Unreachable { .. } | ClientError::NotTheWorker { .. } => BAD_GATEWAY,
            ClientError::Answered { code, .. } => *code,
            ClientError::Internal(_) => EDGE_INTERNAL,
        }
    }
}

/// Reads the `api` option (absent: the legacy generation).
pub fn read_api(option: Option<&impl Json>) -> Result<TagApi, ClientError> {
    match option {
        None => Ok(TagApi::AllMemberPush),
        Some(value) => value
            .string()
            .and_then(|name| name.parse().ok())
            .ok_or_else(|| {
                ClientError::InvalidOption("api must be 'all_member_push' or 'timpush'".into())
            }),
    }
}

/// Reads an option that must be a positive, finite number (absent: `default`).
pub fn read_positive(
    option: Option<&impl Json>,
    name: &str,
    default: f64,
) -> Result<f64, ClientError> {
    match option {
        None => Ok(default),
        Some(value) => value
            .number()
            .filter(|n| n.is_finite() && *n > 0.0)
            .ok_or_else(|| ClientError::InvalidOption(format!("{name} must be a positive number"))),
    }
}

/// One account handed over at `place` (such as `accounts[3]`), checked for `api`.
pub fn read_account(api: TagApi, value: &impl Json, place: &str) -> Result<String, ClientError> {
    let account = value.text().map_err(|not_text| {
        ClientError::InvalidInput(match not_text {
            NotText::NotAString => format!("{place} is not a string"),
            NotText::IllFormed => {
                format!("{place} is not well-formed Unicode: it holds a lone surrogate")
            }
        })
    })?;
    match account_problem(api, &account) {
        Some(problem) => Err(ClientError::InvalidInput(format!(
            "{place}{} {problem}",
            quote(&account)
        ))),
        None => Ok(account),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_error_has_its_code() {
        let cases = [
            (ClientError::InvalidInput("x".into()), 90001),
            (ClientError::InvalidOption("x".into()), 80400),
            (ClientError::Timeout { timeout_ms: 1 }, 80408),
            (ClientError::Aborted, 80499),
            (ClientError::Unreachable { url: "u".into() }, 80502),
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
            outcome(ClientError::Unreachable { url: String::new() }),
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
                Err(ClientError::InvalidOption(
                    "timeoutMs must be a positive number".into()
                ))
            );
        }
    }

    #[test]
    fn accounts_are_named_by_their_place_in_the_input() {
        let device = "379C2F0D-290D-47AE-94D1-919058C39C77";
        assert_eq!(
            read_account(TagApi::Timpush, &json!(device), "accounts[0]"),
            Ok(device.into())
        );
        let legacy =
            read_account(TagApi::AllMemberPush, &json!(device), "accounts[4]").unwrap_err();
        assert!(
            legacy.to_string().starts_with("accounts[4] (\"379C"),
            "{legacy}"
        );
        assert!(
            legacy.to_string().contains("only the timpush calls take"),
            "{legacy}"
        );
        assert_eq!(
            read_account(TagApi::AllMemberPush, &json!(7), "accounts[1]"),
            Err(ClientError::InvalidInput(
                "accounts[1] is not a string".into()
            ))
        );
        assert_eq!(
            read_account(TagApi::AllMemberPush, &json!(""), "accounts[2]"),
            Err(ClientError::InvalidInput("accounts[2] is empty".into()))
        );
    }
}
