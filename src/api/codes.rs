//! The error codes, the vendor's and this crate's own, and what a caller does about each.
//!
//! Each concern has its own error type ([`BodyError`](crate::api::invalid::BodyError),
//! [`SigError`](crate::api::usersig::SigError), [`EdgeError`](crate::edge::EdgeError),
//! [`VendorError`](crate::api::answer::VendorError), and the browser's `TimError`); every one has a
//! code from here, and through it an [`Action`]. The Worker's and the browser's own codes are
//! `8` followed by an HTTP status, which the vendor never uses.

/// An option of a browser function is wrong (400).
pub const INVALID_OPTION: i64 = 80400;
/// No or wrong credentials (HTTP 401).
pub const UNAUTHORIZED: i64 = 80401;
/// A cross-origin call from an origin not on the allow-list, or a reader calling a write (HTTP 403).
pub const FORBIDDEN: i64 = 80403;
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
/// The vendor could not be reached or its answer could not be read (HTTP 502); in the browser,
/// the Worker could not be reached or did not answer as the Worker does.
pub const BAD_GATEWAY: i64 = 80502;
/// The edge is misconfigured (HTTP 503).
pub const MISCONFIGURED: i64 = 80503;
/// The vendor did not answer in time (HTTP 504).
pub const GATEWAY_TIMEOUT: i64 = 80504;
/// The body is not valid JSON, or not the expected JSON, or breaks a limit.
pub const INVALID_BODY: i64 = 90001;
/// The request needs app administrator rights.
pub const NOT_ADMIN: i64 = 90009;
/// More accounts than one call may name.
pub const TOO_MANY_ACCOUNTS: i64 = 90018;
/// Internal service error; try again.
pub const INTERNAL: i64 = 91000;
/// The account does not exist (an `ErrorList` entry of the current generation).
pub const NO_SUCH_ACCOUNT: i64 = 70107;
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

/// What a caller should do after an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A passing fault (timeout, internal error): try again with exponential backoff.
    Retry,
    /// The UserSig expired: sign a new one and try once more.
    SignAgain,
    /// Too many calls: wait, then try again more slowly.
    RateLimited,
    /// The app's key, SDKAppID, admin account or region is wrong, or the caller may not do
    /// this: retrying cannot help.
    Configuration,
    /// The request itself is refused, or the app cannot use this API: report it.
    GiveUp,
}

impl Action {
    /// Its name, as the browser's `TimError` carries it in `action`.
    pub fn name(self) -> &'static str {
        match self {
            Action::Retry => "retry",
            Action::SignAgain => "sign-again",
            Action::RateLimited => "wait",
            Action::Configuration => "configuration",
            Action::GiveUp => "give-up",
        }
    }

    /// What to do after an answer with this code.
    pub fn for_code(code: i64) -> Action {
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
            | FORBIDDEN
            | MISCONFIGURED => Action::Configuration,
            EDGE_INTERNAL | BAD_GATEWAY | GATEWAY_TIMEOUT | TIMEOUT => Action::Retry,
            _ => Action::GiveUp,
        }
    }
}

/// An error that carries a code, and so says what to do about it.
pub trait Coded {
    /// The code an answer carries for this error (`ErrorCode`).
    fn code(&self) -> i64;

    /// What to do about this error.
    fn action(&self) -> Action {
        Action::for_code(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified_as_the_specs_say() {
        let expect = [
            (Action::SignAgain, &[70001][..]),
            (
                Action::Configuration,
                &[
                    70002, 70003, 70005, 70009, 70013, 70014, 70016, 70020, 60010, 70403, 90009,
                    80401, 80403, 80503,
                ],
            ),
            (
                Action::RateLimited,
                &[60007, 60011, 60018, 60019, 70050, 80429],
            ),
            (
                Action::Retry,
                &[
                    60008, 70169, 70202, 70500, 91000, 80500, 80502, 80504, 80408,
                ],
            ),
            (
                Action::GiveUp,
                &[
                    60020, 60021, 90001, 90018, 70107, 80404, 80405, 80413, 80499, 12345,
                ],
            ),
        ];
        for (action, codes) in expect {
            for &code in codes {
                assert_eq!(Action::for_code(code), action, "code {code}");
            }
        }
    }
}
