//! What the browser functions reject with, each with its code.

use crate::api::codes::{
    ABORTED, BAD_GATEWAY, Coded, EDGE_INTERNAL, INVALID_BODY, INVALID_OPTION, TIMEOUT,
};
use crate::api::invalid::Invalid;
use crate::api::retry::TryOutcome;

/// What the browser functions reject with, as `TimError`'s `code` and `info`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// What the caller handed over is not valid input (90001, as the vendor would say).
    #[error(transparent)]
    InvalidInput(#[from] Invalid),
    /// An option has the wrong type or value (80400).
    #[error("invalid option: {0}")]
    InvalidOption(#[from] OptionError),
    /// A call got no answer within `timeoutMs` (80408).
    #[error("no answer within {timeout_ms} ms")]
    Timeout {
        /// The time allowed, in milliseconds.
        timeout_ms: u64,
    },
    /// The caller aborted (80499).
    #[error("aborted")]
    Aborted,
    /// The Worker could not be reached (80502). A browser tells a refused CORS preflight
    /// apart from no answer at all to nobody, so for a call from another origin the message
    /// says where that origin is allowed.
    #[error(
        "{url} could not be reached{}",
        .page_origin.as_ref().map_or(String::new(), |origin| format!(
            ", or it does not allow calls from this page's origin {origin}: if the Worker is up, add {origin} to its ALLOWED_ORIGINS"
        ))
    )]
    Unreachable {
        /// Where the call went.
        url: String,
        /// The page's origin, when the call went to another one.
        page_origin: Option<String>,
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
    /// A history query holds a field that is not one of its filters (80400), named in JSON's
    /// quotes (cut when long): refused rather than left out, so that a misspelt filter never
    /// widens what is listed.
    #[error("invalid option: query has {0}, which is not a filter of history")]
    NotAFilter(String),
    /// An option no function takes (80400), named in JSON's quotes (cut when long): refused
    /// rather than left out, so that a misspelt option is never silently ignored.
    #[error(
        "invalid option: {0} is not an option; the options are endpoint, token, api, signal, timeoutMs, maxCallsPerSecond, onProgress, and replace for addTags"
    )]
    UnknownOption(String),
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
            | ClientError::NotAFilter(_)
            | ClientError::UnknownOption(_)
            | ClientError::Aborted
            | ClientError::Internal(_) => None,
        }
    }
}

impl Coded for ClientError {
    fn code(&self) -> i64 {
        match self {
            ClientError::InvalidInput(_) => INVALID_BODY,
            ClientError::InvalidOption(_)
            | ClientError::NotAFilter(_)
            | ClientError::UnknownOption(_) => INVALID_OPTION,
            ClientError::Timeout { .. } => TIMEOUT,
            ClientError::Aborted => ABORTED,
            ClientError::Unreachable { .. } | ClientError::NotTheWorker { .. } => BAD_GATEWAY,
            ClientError::Answered { code, .. } => *code,
            ClientError::Internal(_) => EDGE_INTERNAL,
        }
    }
}

/// An option of a browser function that has the wrong type or value, named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{option} {problem}")]
pub struct OptionError {
    /// The option, as JavaScript spells it.
    pub option: &'static str,
    /// What is wrong with it.
    pub problem: OptionProblem,
}

impl OptionError {
    /// `option` has `problem`.
    pub fn new(option: &'static str, problem: OptionProblem) -> Self {
        Self { option, problem }
    }
}

/// What is wrong with an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OptionProblem {
    /// Not one of the two generations.
    #[error("must be 'all_member_push' or 'timpush'")]
    NotAGeneration,
    /// Not `true` or `false`.
    #[error("must be a boolean")]
    NotABoolean,
    /// Given on the legacy generation, which has no such field.
    #[error("is taken by the timpush API only")]
    OnLegacy,
    /// Given to a function that does not take it.
    #[error("is taken by addTags only")]
    NotTaken,
    /// A number that is not positive and finite.
    #[error("must be a positive number")]
    NotPositive,
    /// Not a string.
    #[error("must be a string")]
    NotAString,
    /// Not an `AbortSignal`.
    #[error("must be an AbortSignal")]
    NotASignal,
    /// Not a function.
    #[error("must be a function")]
    NotAFunction,
    /// Not an object.
    #[error("must be an object")]
    NotAnObject,
    /// Not a whole number of at least 1.
    #[error("must be a whole number of at least 1")]
    NotACount,
    /// Not a change's id: a string that is not empty.
    #[error("must be a change id, a non-empty string")]
    NotAnId,
    /// Neither a change's id nor a batch's.
    #[error("must be a change id or {{ batch: id }}, with non-empty strings")]
    NotATarget,
}
