//! The one error type, with the vendor's codes and what a caller should do about each.

use crate::tags::{MAX_ACCOUNT_BYTES, MAX_ACCOUNTS};

/// Everything that can go wrong, from a bad account name to a vendor error code.
///
/// Messages name what is wrong and never contain a secret key or a UserSig.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request body is not JSON of the form `{"To_Account": ["..."]}`.
    #[error("invalid request body: {0}")]
    InvalidBody(String),
    /// `To_Account` holds no account.
    #[error("To_Account is empty: give at least one account")]
    NoAccounts,
    /// `To_Account` holds more accounts than one call may ask for.
    #[error("To_Account has {count} accounts; at most {MAX_ACCOUNTS} are allowed per call")]
    TooManyAccounts {
        /// How many accounts were given.
        count: usize,
    },
    /// An account name is the empty string.
    #[error("account #{index} is empty")]
    EmptyAccount {
        /// Its position in `To_Account`, from 0.
        index: usize,
    },
    /// An account name is longer than the vendor allows.
    #[error(
        "account #{index} ({account:?}) is {bytes} bytes long; at most {MAX_ACCOUNT_BYTES} bytes are allowed"
    )]
    AccountTooLong {
        /// Its position in `To_Account`, from 0.
        index: usize,
        /// The account name, shortened when very long.
        account: String,
        /// Its length in UTF-8 bytes.
        bytes: usize,
    },
    /// The accounts given to `getTags` are not a list of account names.
    #[error("invalid accounts: {0}")]
    InvalidAccounts(String),
    /// An option given to `getTags` has the wrong type or value.
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// A call from the browser got no answer in time.
    #[error("no answer within {timeout_ms} ms")]
    Timeout {
        /// The time allowed, in milliseconds.
        timeout_ms: u64,
    },
    /// The caller aborted.
    #[error("aborted")]
    Aborted,
    /// The edge could not be reached from the browser, or did not answer as the edge does.
    #[error("{0}")]
    Endpoint(String),
    /// The UserSig is the empty string.
    #[error("UserSig is empty")]
    SigEmpty,
    /// The UserSig cannot be decoded into a signature document.
    #[error("UserSig is malformed: {0}")]
    SigMalformed(&'static str),
    /// The UserSig decodes, but its document is not a version 2.0 signature document.
    #[error("UserSig document is invalid: {0}")]
    SigInvalidDocument(&'static str),
    /// The UserSig was signed for another SDKAppID.
    #[error("UserSig was signed for SDKAppID {signed}, not {expected}")]
    SigAppMismatch {
        /// The SDKAppID in the UserSig.
        signed: u64,
        /// The SDKAppID it was checked against.
        expected: u64,
    },
    /// The UserSig was signed for another account.
    #[error("UserSig was signed for identifier {signed:?}, not {expected:?}")]
    SigIdentifierMismatch {
        /// The identifier in the UserSig.
        signed: String,
        /// The identifier it was checked against.
        expected: String,
    },
    /// The HMAC does not match: the UserSig was not signed with this app's key, or was altered.
    #[error("UserSig signature check failed: it was not signed with this app's key")]
    SigBadSignature,
    /// The UserSig is authentic but its validity has ended.
    #[error("UserSig expired at {expired_at} (Unix seconds); sign a new one")]
    SigExpired {
        /// The Unix time at which it stopped being valid.
        expired_at: u64,
    },
    /// A region name that is not one of the vendor's regions.
    #[error("unknown region {0:?}; expected one of {regions}", regions = crate::upstream::REGION_NAMES)]
    UnknownRegion(String),
    /// The platform has no cryptographic random source.
    #[error("no secure random source is available: {0}")]
    NoRandomness(String),
    /// The caller sent no credentials, or wrong ones.
    #[error("missing or invalid credentials: send Authorization: Bearer <panel token>")]
    Unauthorized,
    /// A cross-origin call from an origin that is not on the allow-list.
    #[error("origin {0:?} is not allowed to call this endpoint")]
    OriginNotAllowed(String),
    /// No endpoint at this path.
    #[error("no endpoint at {0:?}")]
    NotFound(String),
    /// The endpoint exists but not for this method.
    #[error("method {method} is not allowed here; use {allow}")]
    MethodNotAllowed {
        /// The method the caller used.
        method: String,
        /// The methods the endpoint takes.
        allow: &'static str,
    },
    /// The caller made too many calls; the Worker's rate limit.
    #[error("too many calls from this caller; wait, then try again more slowly")]
    RateLimited,
    /// The request body is over the limit.
    #[error("request body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The vendor's API could not be reached.
    #[error("the chat service could not be reached")]
    UpstreamUnreachable,
    /// The vendor answered, but not with a readable get-tags answer.
    #[error("the chat service's answer could not be read: {0}")]
    UpstreamUnreadable(String),
    /// The vendor did not answer in time.
    #[error("the chat service did not answer within {timeout_ms} ms")]
    UpstreamTimeout {
        /// The time allowed, in milliseconds.
        timeout_ms: u32,
    },
    /// The edge failed in a way that says nothing about the request.
    #[error("internal error: {0}")]
    Internal(&'static str),
    /// The edge is missing a setting or has a wrong one.
    #[error("this endpoint is misconfigured: {0}")]
    Misconfigured(String),
    /// The vendor answered with an error code.
    #[error("vendor error {code}: {info}")]
    Vendor {
        /// The vendor's `ErrorCode`.
        code: i64,
        /// The vendor's `ErrorInfo`.
        info: String,
    },
}

/// What a caller should do after an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A passing fault (timeout, internal error): try again with exponential backoff.
    Retry,
    /// The UserSig expired: sign a new one and try once more.
    SignAgain,
    /// Too many calls: wait, then try again more slowly.
    RateLimited,
    /// The app's key, SDKAppID, admin account or region is wrong: retrying cannot help.
    Configuration,
    /// The request itself is refused, or the app cannot use this API: report it.
    GiveUp,
}

impl Error {
    /// The vendor's error code for this error (`ErrorCode` in an answer).
    pub fn code(&self) -> i64 {
        match self {
            Error::InvalidBody(_)
            | Error::InvalidAccounts(_)
            | Error::NoAccounts
            | Error::EmptyAccount { .. }
            | Error::AccountTooLong { .. } => codes::INVALID_BODY,
            Error::InvalidOption(_) => codes::INVALID_OPTION,
            Error::Timeout { .. } => codes::TIMEOUT,
            Error::Aborted => codes::ABORTED,
            Error::TooManyAccounts { .. } => codes::TOO_MANY_ACCOUNTS,
            Error::SigEmpty => codes::SIG_EMPTY,
            Error::SigMalformed(_) => codes::SIG_MALFORMED,
            Error::SigInvalidDocument(_) => codes::SIG_INVALID_DOCUMENT,
            Error::SigAppMismatch { .. } => codes::SIG_APP_MISMATCH,
            Error::SigIdentifierMismatch { .. } => codes::SIG_IDENTIFIER_MISMATCH,
            Error::SigBadSignature => codes::SIG_BAD_SIGNATURE,
            Error::SigExpired { .. } => codes::SIG_EXPIRED,
            Error::Unauthorized => codes::UNAUTHORIZED,
            Error::OriginNotAllowed(_) => codes::ORIGIN_NOT_ALLOWED,
            Error::NotFound(_) => codes::NOT_FOUND,
            Error::MethodNotAllowed { .. } => codes::METHOD_NOT_ALLOWED,
            Error::BodyTooLarge { .. } => codes::BODY_TOO_LARGE,
            Error::RateLimited => codes::TOO_MANY_CALLS,
            Error::UpstreamUnreachable | Error::UpstreamUnreadable(_) | Error::Endpoint(_) => {
                codes::BAD_GATEWAY
            }
            Error::UpstreamTimeout { .. } => codes::GATEWAY_TIMEOUT,
            Error::UnknownRegion(_) | Error::Misconfigured(_) => codes::MISCONFIGURED,
            Error::NoRandomness(_) => codes::INTERNAL,
            Error::Internal(_) => codes::EDGE_INTERNAL,
            Error::Vendor { code, .. } => *code,
        }
    }

    /// The HTTP status the edge answers with; vendor-side errors travel in a 200, as the vendor sends them.
    pub fn http_status(&self) -> u16 {
        match self {
            Error::InvalidBody(_)
            | Error::InvalidAccounts(_)
            | Error::InvalidOption(_)
            | Error::NoAccounts
            | Error::TooManyAccounts { .. }
            | Error::EmptyAccount { .. }
            | Error::AccountTooLong { .. } => 400,
            Error::Timeout { .. } => 408,
            Error::Aborted => 499,
            Error::Unauthorized => 401,
            Error::OriginNotAllowed(_) => 403,
            Error::NotFound(_) => 404,
            Error::MethodNotAllowed { .. } => 405,
            Error::BodyTooLarge { .. } => 413,
            Error::RateLimited => 429,
            Error::NoRandomness(_) | Error::Internal(_) => 500,
            Error::UpstreamUnreachable | Error::UpstreamUnreadable(_) | Error::Endpoint(_) => 502,
            Error::UnknownRegion(_) | Error::Misconfigured(_) => 503,
            Error::UpstreamTimeout { .. } => 504,
            Error::SigEmpty
            | Error::SigMalformed(_)
            | Error::SigInvalidDocument(_)
            | Error::SigAppMismatch { .. }
            | Error::SigIdentifierMismatch { .. }
            | Error::SigBadSignature
            | Error::SigExpired { .. }
            | Error::Vendor { .. } => 200,
        }
    }

    /// What to do about this error.
    pub fn action(&self) -> Action {
        Action::for_code(self.code())
    }
}

impl Action {
    /// Classifies a vendor error code.
    pub fn for_code(code: i64) -> Action {
        use codes::*;
        match code {
            SIG_EXPIRED => Action::SignAgain,
            60008 | 70169 | 70202 | 70500 | INTERNAL => Action::Retry,
            RATE_LIMITED | TOO_MANY_CALLS | 60011 | 60018 | 60019 | 70050 => Action::RateLimited,
            SIG_EMPTY
            | SIG_MALFORMED
            | SIG_INVALID_DOCUMENT
            | SIG_BAD_SIGNATURE
            | SIG_IDENTIFIER_MISMATCH
            | SIG_APP_MISMATCH
            | 70016
            | KEY_OR_APP_NOT_FOUND
            | 60010
            | 70403
            | NOT_ADMIN
            | UNAUTHORIZED
            | ORIGIN_NOT_ALLOWED
            | MISCONFIGURED => Action::Configuration,
            EDGE_INTERNAL | BAD_GATEWAY | GATEWAY_TIMEOUT | TIMEOUT => Action::Retry,
            _ => Action::GiveUp,
        }
    }
}

/// The error codes this crate produces: the vendor's, and the edge's own (`8xxxx`, where the
/// last three digits are the HTTP status), which the vendor never uses.
pub mod codes {
    /// An option of `getTags` is wrong (in the browser; 400).
    pub const INVALID_OPTION: i64 = 80400;
    /// No or wrong credentials (HTTP 401).
    pub const UNAUTHORIZED: i64 = 80401;
    /// A cross-origin call from an origin not on the allow-list (HTTP 403).
    pub const ORIGIN_NOT_ALLOWED: i64 = 80403;
    /// No endpoint at this path (HTTP 404).
    pub const NOT_FOUND: i64 = 80404;
    /// Wrong method for the endpoint (HTTP 405).
    pub const METHOD_NOT_ALLOWED: i64 = 80405;
    /// A call from the browser got no answer in time (408).
    pub const TIMEOUT: i64 = 80408;
    /// Request body over the limit (HTTP 413).
    pub const BODY_TOO_LARGE: i64 = 80413;
    /// Too many calls from one caller (HTTP 429).
    pub const TOO_MANY_CALLS: i64 = 80429;
    /// The caller aborted (in the browser; 499).
    pub const ABORTED: i64 = 80499;
    /// The edge failed internally (HTTP 500).
    pub const EDGE_INTERNAL: i64 = 80500;
    /// The vendor could not be reached or its answer could not be read (HTTP 502).
    pub const BAD_GATEWAY: i64 = 80502;
    /// The edge is misconfigured (HTTP 503).
    pub const MISCONFIGURED: i64 = 80503;
    /// The vendor did not answer in time (HTTP 504).
    pub const GATEWAY_TIMEOUT: i64 = 80504;
    /// The body is not valid JSON, or not the expected JSON.
    pub const INVALID_BODY: i64 = 90001;
    /// The request needs app administrator rights.
    pub const NOT_ADMIN: i64 = 90009;
    /// More accounts than one call may ask for.
    pub const TOO_MANY_ACCOUNTS: i64 = 90018;
    /// Internal service error; try again.
    pub const INTERNAL: i64 = 91000;
    /// The UserSig expired.
    pub const SIG_EXPIRED: i64 = 70001;
    /// The UserSig is empty.
    pub const SIG_EMPTY: i64 = 70002;
    /// The UserSig cannot be decoded.
    pub const SIG_MALFORMED: i64 = 70003;
    /// The UserSig's document is not a valid signature document.
    pub const SIG_INVALID_DOCUMENT: i64 = 70005;
    /// The signature check failed.
    pub const SIG_BAD_SIGNATURE: i64 = 70009;
    /// The identifier does not match the UserSig.
    pub const SIG_IDENTIFIER_MISMATCH: i64 = 70013;
    /// The SDKAppID does not match the UserSig.
    pub const SIG_APP_MISMATCH: i64 = 70014;
    /// The app (or its key) was not found, often because of the wrong region.
    pub const KEY_OR_APP_NOT_FOUND: i64 = 70020;
    /// The REST API's call rate for the app was exceeded.
    pub const RATE_LIMITED: i64 = 60007;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_codes_are_classified_as_the_spec_says() {
        let expect = [
            (Action::SignAgain, &[70001][..]),
            (
                Action::Configuration,
                &[
                    70002, 70003, 70005, 70009, 70013, 70014, 70016, 70020, 60010, 70403, 90009,
                ],
            ),
            (Action::RateLimited, &[60007, 60011, 60018, 60019, 70050]),
            (Action::Retry, &[60008, 70169, 70202, 70500, 91000]),
            (Action::GiveUp, &[60020, 60021, 90001, 90018, 12345]),
        ];
        for (action, codes) in expect {
            for &code in codes {
                assert_eq!(Action::for_code(code), action, "code {code}");
            }
        }
    }

    #[test]
    fn own_errors_carry_the_vendor_code_for_the_same_fault() {
        assert_eq!(Error::TooManyAccounts { count: 101 }.code(), 90018);
        assert_eq!(Error::EmptyAccount { index: 0 }.code(), 90001);
        assert_eq!(
            Error::SigExpired { expired_at: 1 }.action(),
            Action::SignAgain
        );
        assert_eq!(Error::SigBadSignature.action(), Action::Configuration);
        let vendor = Error::Vendor {
            code: 91000,
            info: "busy".into(),
        };
        assert_eq!(vendor.action(), Action::Retry);
        assert_eq!(vendor.to_string(), "vendor error 91000: busy");
    }

    #[test]
    fn edge_errors_have_their_own_codes_and_statuses() {
        let cases = [
            (Error::Unauthorized, 401, Action::Configuration),
            (
                Error::OriginNotAllowed("https://evil.example".into()),
                403,
                Action::Configuration,
            ),
            (Error::NotFound("/x".into()), 404, Action::GiveUp),
            (
                Error::MethodNotAllowed {
                    method: "GET".into(),
                    allow: "POST",
                },
                405,
                Action::GiveUp,
            ),
            (Error::BodyTooLarge { limit: 1 }, 413, Action::GiveUp),
            (Error::RateLimited, 429, Action::RateLimited),
            (Error::Internal("x"), 500, Action::Retry),
            (Error::UpstreamUnreachable, 502, Action::Retry),
            (
                Error::UpstreamUnreadable("HTTP 500".into()),
                502,
                Action::Retry,
            ),
            (
                Error::Misconfigured("TIM_SDKAPPID is not set".into()),
                503,
                Action::Configuration,
            ),
            (
                Error::UpstreamTimeout { timeout_ms: 10 },
                504,
                Action::Retry,
            ),
        ];
        for (error, status, action) in cases {
            assert_eq!(error.http_status(), status, "{error}");
            assert_eq!(error.code(), 80_000 + i64::from(status), "{error}");
            assert_eq!(error.action(), action, "{error}");
        }
        assert_eq!(Error::TooManyAccounts { count: 101 }.http_status(), 400);
        assert_eq!(Error::SigExpired { expired_at: 0 }.http_status(), 200);
    }

    #[test]
    fn unknown_region_lists_the_known_ones() {
        let message = Error::UnknownRegion("mars".into()).to_string();
        assert!(message.contains("\"mars\""), "{message}");
        assert!(message.contains("silicon-valley"), "{message}");
    }
}
