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

/// An option of a browser function that has the wrong type or value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    /// `api` is not one of the two generations.
    #[error("api must be 'all_member_push' or 'timpush'")]
    Api,
    /// `replace` is not a boolean.
    #[error("replace must be a boolean")]
    ReplaceNotBoolean,
    /// `replace` on the legacy generation, which has no such field.
    #[error("replace is taken by the timpush API only")]
    ReplaceOnLegacy,
    /// `replace` given to a function other than `addTags`.
    #[error("replace is taken by addTags only")]
    ReplaceNotTaken,
    /// A number that is not positive and finite.
    #[error("{0} must be a positive number")]
    NotPositive(&'static str),
    /// Text that is not a string.
    #[error("{0} must be a string")]
    NotAString(&'static str),
    /// `signal` that is not an `AbortSignal`.
    #[error("signal must be an AbortSignal")]
    NotASignal,
    /// `onProgress` that is not a function.
    #[error("onProgress must be a function")]
    NotAFunction,
}
