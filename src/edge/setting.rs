//! What is wrong with the Worker's settings: each problem names the setting, and never quotes
//! a token or the key.

use std::fmt;

use crate::api::account::AccountProblem;
use crate::api::named::UnknownName;

/// The longest the Worker waits for the vendor, in milliseconds.
pub const MAX_UPSTREAM_TIMEOUT_MS: u32 = 60_000;
/// The fewest characters a panel token has.
pub const MIN_TOKEN_CHARS: usize = 16;
/// The most characters a token's name has.
pub const MAX_NAME_CHARS: usize = 64;

/// One setting that is missing or wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingProblem {
    /// A setting that must be there is not.
    #[error("{0} is not set")]
    NotSet(&'static str),
    /// The app's secret key is not set.
    #[error("TIM_SECRET_KEY is not set (wrangler secret put TIM_SECRET_KEY)")]
    NoSecretKey,
    /// A number that is not one.
    #[error("{0} must be a whole number")]
    NotAWholeNumber(&'static str),
    /// The admin account is not a UserID the vendor takes.
    #[error("TIM_ADMIN is not a valid UserID: it {0}")]
    Admin(AccountProblem),
    /// Not one of the two generations.
    #[error("TIM_TAG_API: {0}")]
    TagApi(UnknownName),
    /// Not one of the vendor's regions.
    #[error("TIM_REGION: {0}")]
    Region(UnknownName),
    /// An origin without its scheme.
    #[error("{0} must start with https:// or http://")]
    NotAnOrigin(&'static str),
    /// A number out of its range.
    #[error("{name} must be a whole number from {min} to {max}")]
    OutOfRange {
        /// The setting.
        name: &'static str,
        /// The least it may be.
        min: u32,
        /// The most it may be.
        max: u32,
    },
    /// A timeout out of range.
    #[error("UPSTREAM_TIMEOUT_MS must be 1 to {MAX_UPSTREAM_TIMEOUT_MS}")]
    Timeout,
    /// An entry of a token list, named by its place.
    #[error("{setting} entry {entry}: {problem}")]
    TokenEntry {
        /// `PANEL_TOKENS` or `PANEL_WRITE_TOKENS`.
        setting: &'static str,
        /// Its place in the list, from 1.
        entry: usize,
        /// What is wrong with it.
        problem: TokenProblem,
    },
    /// One token in two entries.
    #[error("a token is listed twice: give each token one entry, in one list")]
    TokenTwice,
    /// No token and no Access: nobody could ever be admitted.
    #[error(
        "no way to authenticate callers: set PANEL_TOKENS or PANEL_WRITE_TOKENS (wrangler secret \
         put PANEL_TOKENS), or ACCESS_TEAM_DOMAIN and ACCESS_AUD"
    )]
    NoCallers,
    /// One of the two Access settings without the other.
    #[error("ACCESS_TEAM_DOMAIN and ACCESS_AUD go together: set both or neither")]
    AccessHalfSet,
}

/// What is wrong with one `token` or `name:token` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenProblem {
    /// The name before `:` is empty, too long, or has other characters.
    #[error("the name before ':' must be 1 to {MAX_NAME_CHARS} of A-Z a-z 0-9 . _ @ -")]
    BadName,
    /// Too short to be hard to guess.
    #[error("the token is shorter than {MIN_TOKEN_CHARS} characters")]
    TooShort,
}

/// Every problem found in the settings, so that one deploy can fix them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingProblems(pub Vec<SettingProblem>);

impl fmt::Display for SettingProblems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, problem) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}
