//! Accounts and tags as the vendor takes them: their limits, the two forms of an account, and
//! what is wrong with a value that breaks them.

use std::borrow::Cow;
use std::fmt;

use crate::api::calls::TagApi;

/// The most accounts one call may name.
pub const MAX_ACCOUNTS: usize = 100;
/// The longest UserID, in UTF-8 bytes.
pub const MAX_USERID_BYTES: usize = 32;
/// The longest tag, in UTF-8 bytes.
pub const MAX_TAG_BYTES: usize = 50;
/// The length of a RegistrationID: a UUID, `8-4-4-4-12` hex digits.
const REGISTRATION_ID_CHARS: usize = 36;

/// What is wrong with an account, written as the end of a sentence that starts with where the
/// account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountProblem {
    /// It is the empty string.
    Empty,
    /// A RegistrationID, in the generation that takes UserIDs only.
    RegistrationIdNotTaken,
    /// A UserID longer than the vendor takes.
    TooLong {
        /// Its length in UTF-8 bytes.
        bytes: usize,
    },
}

impl fmt::Display for AccountProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountProblem::Empty => f.write_str("is empty"),
            AccountProblem::RegistrationIdNotTaken => write!(
                f,
                "is a RegistrationID, which only the timpush calls take; a UserID is at most \
                 {MAX_USERID_BYTES} bytes"
            ),
            AccountProblem::TooLong { bytes } => write!(
                f,
                "is {bytes} bytes long; at most {MAX_USERID_BYTES} bytes are allowed"
            ),
        }
    }
}

/// What is wrong with a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagProblem {
    /// It is the empty string.
    Empty,
    /// Longer than the vendor takes.
    TooLong {
        /// Its length in UTF-8 bytes.
        bytes: usize,
    },
}

impl fmt::Display for TagProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TagProblem::Empty => f.write_str("is empty"),
            TagProblem::TooLong { bytes } => write!(
                f,
                "is {bytes} bytes long; a tag is at most {MAX_TAG_BYTES} bytes"
            ),
        }
    }
}

/// What is wrong with the number of tags given to one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagCountProblem {
    /// No tags at all.
    None,
    /// More than one call takes for one account.
    TooMany {
        /// How many were given.
        count: usize,
        /// The most one call takes.
        max: usize,
    },
}

impl fmt::Display for TagCountProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TagCountProblem::None => f.write_str("is empty: give at least one tag"),
            TagCountProblem::TooMany { count, max } => {
                write!(f, "has {count} tags; at most {max} are allowed in one call")
            }
        }
    }
}

/// What is wrong with an account for this generation, if anything.
pub fn account_problem(api: TagApi, account: &str) -> Option<AccountProblem> {
    let bytes = account.len();
    if bytes == 0 {
        return Some(AccountProblem::Empty);
    }
    if bytes <= MAX_USERID_BYTES || (api.takes_registration_ids() && is_registration_id(account)) {
        return None;
    }
    if is_registration_id(account) {
        return Some(AccountProblem::RegistrationIdNotTaken);
    }
    Some(AccountProblem::TooLong { bytes })
}

/// What is wrong with a tag, if anything.
pub fn tag_problem(tag: &str) -> Option<TagProblem> {
    match tag.len() {
        0 => Some(TagProblem::Empty),
        bytes if bytes > MAX_TAG_BYTES => Some(TagProblem::TooLong { bytes }),
        _ => None,
    }
}

/// What is wrong with this many tags for one account in one call, if anything.
pub fn tag_count_problem(count: usize, max: usize) -> Option<TagCountProblem> {
    match count {
        0 => Some(TagCountProblem::None),
        count if count > max => Some(TagCountProblem::TooMany { count, max }),
        _ => None,
    }
}

/// A device's RegistrationID: a UUID, hex digits in groups 8-4-4-4-12, in either case.
pub fn is_registration_id(account: &str) -> bool {
    account.len() == REGISTRATION_ID_CHARS
        && account.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// What two spellings of one account have in common: a RegistrationID in upper case (in the
/// generation that takes them), any other account as it is.
pub fn same_account_key(api: TagApi, account: &str) -> Cow<'_, str> {
    if api.takes_registration_ids() && is_registration_id(account) {
        Cow::Owned(account.to_ascii_uppercase())
    } else {
        Cow::Borrowed(account)
    }
}
