//! Why a body, or what a caller hands the browser package, is refused: one typed error per
//! fault, each naming where the value is. The words are written only when an error is shown,
//! and stay short whatever the body holds.

use std::fmt;

use crate::api::account::{AccountProblem, TagCountProblem, TagProblem};
use crate::api::calls::{Call, Operation, TagApi};
use crate::api::codes::{Coded, INVALID_BODY, TOO_MANY_ACCOUNTS};
use crate::api::json::{quoted, quoted_within};

/// How much of an over-long value an error message quotes: its first characters, and no more
/// bytes once escaped (a control character is six).
const QUOTED_CHARS: usize = 40;
const QUOTED_BYTES: usize = 120;
/// How much of a parser's account of bad JSON an error message keeps.
const PARSER_MESSAGE_CHARS: usize = 200;

/// The one call that takes `Replace`.
pub const REPLACE_CALL: Call = Call {
    operation: Operation::Add,
    api: TagApi::Timpush,
};

/// Why a body is refused: the vendor's codes for the same faults.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// The bytes are not UTF-8.
    #[error("the body is not valid UTF-8")]
    NotUtf8,
    /// The text is not JSON; the parser's own account of why (see [`BodyError::not_json`]).
    #[error("the body is not valid JSON ({0})")]
    NotJson(String),
    /// The body could not be read at all.
    #[error("the body could not be read")]
    Unreadable,
    /// The JSON is not the shape the call takes, or breaks a limit.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Arrays and objects nested deeper than any body of the call, found before parsing.
    #[error(
        "the body nests arrays and objects more than {0} deep, deeper than any body this call takes"
    )]
    TooDeep(usize),
    /// More parts than twice the largest body of the call has, found before parsing.
    #[error(
        "the body has more than {0} fields and items in all, over twice as many as the largest \
         body this call takes"
    )]
    TooManyParts(usize),
    /// More accounts than one call may name.
    #[error(
        "{field} has {count} accounts; at most {} are allowed per call",
        crate::api::account::MAX_ACCOUNTS
    )]
    TooManyAccounts {
        /// The list: `To_Account` or `UserTags`.
        field: &'static str,
        /// How many it holds.
        count: usize,
    },
}

impl BodyError {
    /// Not JSON, with the parser's account of why cut to its first 200 characters: a parser
    /// may quote the text it stopped at, and what a refusal says stays small whatever the body
    /// holds.
    pub fn not_json(parser_message: &str) -> Self {
        let mut message: String = parser_message.chars().take(PARSER_MESSAGE_CHARS).collect();
        if message.len() < parser_message.len() {
            message.push('…');
        }
        BodyError::NotJson(message)
    }
}

impl Coded for BodyError {
    fn code(&self) -> i64 {
        match self {
            BodyError::TooManyAccounts { .. } => TOO_MANY_ACCOUNTS,
            BodyError::NotUtf8
            | BodyError::NotJson(_)
            | BodyError::Unreadable
            | BodyError::Invalid(_)
            | BodyError::TooDeep(_)
            | BodyError::TooManyParts(_) => INVALID_BODY,
        }
    }
}

/// What a list holds, as its refusal names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holds {
    /// Accounts: strings.
    Accounts,
    /// `{To_Account, Tags}` objects.
    Entries,
}

/// A value that is not what the call takes, named by where it is. One set of messages for the
/// Worker's check of a body and the package's check of what a caller hands it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    /// The body is not an object.
    #[error("expected a JSON object, the body {0} takes")]
    NotAnObject(Call),
    /// Fields the call does not define: the first few by name, in sorted order, and how many.
    #[error("{holder} has {}, which {call} does not define", FieldNames { first, count: *count })]
    UndefinedFields {
        /// The body or the entry that holds them.
        holder: Holder,
        /// The first few, sorted.
        first: Vec<String>,
        /// How many there are.
        count: usize,
        /// The call.
        call: Call,
    },
    /// `Replace` inside an entry of the one call that takes it beside `UserTags`.
    #[error(
        "{0} has the field \"Replace\", which {REPLACE_CALL} takes beside UserTags, at the top of \
         the body, not inside an entry"
    )]
    ReplaceInEntry(Place),
    /// `Replace` given to a call that does not take it.
    #[error("Replace is taken by {REPLACE_CALL} only, not by {0}")]
    ReplaceNotTaken(Call),
    /// `Replace` that is neither 0 nor 1.
    #[error("Replace must be 0 or 1")]
    ReplaceNotZeroOrOne,
    /// A list that is missing or not a list.
    #[error("{list} must be an array of {holds}")]
    NotAList {
        /// Its name.
        list: &'static str,
        /// What it should hold.
        holds: Holds,
    },
    /// A list of accounts with none in it.
    #[error("{0} is empty: give at least one account")]
    NoAccounts(&'static str),
    /// An entry that is not an object.
    #[error("{0} must be a {{To_Account, Tags}} object")]
    NotAnEntry(Place),
    /// An entry without its account.
    #[error("{0}.To_Account is missing")]
    NoAccount(Place),
    /// An entry's tags that are missing or not a list.
    #[error("{0} must be an array of tags")]
    NoTags(Place),
    /// A value that is not a string.
    #[error("{0} is not a string")]
    NotAString(Place),
    /// A string with a lone surrogate.
    #[error("{0} is not well-formed Unicode: it holds a lone surrogate")]
    IllFormed(Place),
    /// An account the generation does not take.
    #[error("{place}{} {problem}", quote(account))]
    Account {
        /// Where it is.
        place: Place,
        /// The account.
        account: String,
        /// What is wrong with it.
        problem: AccountProblem,
    },
    /// A tag the vendor does not take.
    #[error("{place}{} {problem}", quote(tag))]
    Tag {
        /// Where it is.
        place: Place,
        /// The tag.
        tag: String,
        /// What is wrong with it.
        problem: TagProblem,
    },
    /// No tags, or more than one call takes, for one account.
    #[error("{place} {problem}")]
    TagCount {
        /// The entry's `Tags`.
        place: Place,
        /// What is wrong with their number.
        problem: TagCountProblem,
    },
    /// With `replace`, more tags for one account (from all its entries) than one call takes.
    #[error(
        "{place} ({}) {problem}: with replace, all of an account's tags go in one call",
        quoted(account)
    )]
    TooManyToReplace {
        /// The `Tags` of the entry that first named the account.
        place: Place,
        /// The account.
        account: String,
        /// How many tags, against the most.
        problem: TagCountProblem,
    },
    /// An account named twice in a write.
    #[error(
        "{place}{} repeats {first}{}: name each account once in a write",
        quote(account),
        if *other_case { " (the same RegistrationID in another case)" } else { "" }
    )]
    Repeated {
        /// Where it is named again.
        place: Place,
        /// The account as named there.
        account: String,
        /// Where it was named first.
        first: Place,
        /// Whether the two spellings differ in case.
        other_case: bool,
    },
}

impl fmt::Display for Holds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Holds::Accounts => "accounts (strings)",
            Holds::Entries => "{To_Account, Tags} objects",
        })
    }
}

/// The fields a refusal names: `the field "a"`, or `the fields "a", "b" and 3 more`.
struct FieldNames<'a> {
    first: &'a [String],
    count: usize,
}

impl fmt::Display for FieldNames<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.count == 1 {
            "the field"
        } else {
            "the fields"
        })?;
        for (index, name) in self.first.iter().enumerate() {
            let before = if index == 0 { " " } else { ", " };
            write!(f, "{before}{}", quoted_short(name))?;
        }
        match self.count.saturating_sub(self.first.len()) {
            0 => Ok(()),
            more => write!(f, " and {more} more"),
        }
    }
}

/// The object whose fields are checked: the body itself, or one entry of its `UserTags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// The body.
    Body,
    /// An entry of a list.
    Entry(Place),
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Holder::Body => f.write_str("the body"),
            Holder::Entry(place) => place.fmt(f),
        }
    }
}

/// Where a value is in a body or in what a caller handed over, such as `To_Account[3]` or
/// `userTags[2].Tags[1]`: written out only for an error message, so that checking a value
/// that is right costs nothing for its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// The list: `To_Account` or `UserTags` in a body, `accounts` or `userTags` in the package.
    pub list: &'static str,
    /// The item of the list.
    pub index: usize,
    /// In a `{ To_Account, Tags }` item: the account, or the tag at this index.
    pub within: Within,
}

/// Where within one item of a list a value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Within {
    /// The item itself.
    Item,
    /// Its `To_Account`.
    Account,
    /// Its `Tags`.
    Tags,
    /// One of its `Tags`.
    Tag(usize),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.list, self.index)?;
        match self.within {
            Within::Item => Ok(()),
            Within::Account => f.write_str(".To_Account"),
            Within::Tags => f.write_str(".Tags"),
            Within::Tag(tag) => write!(f, ".Tags[{tag}]"),
        }
    }
}

impl Place {
    /// An item of a list.
    pub fn item(list: &'static str, index: usize) -> Self {
        Self {
            list,
            index,
            within: Within::Item,
        }
    }

    /// The same item, somewhere within it.
    pub fn within(self, within: Within) -> Self {
        Self { within, ..self }
    }
}

/// A field's name or a value in quotes for a message, shortened when long.
pub fn quoted_short(text: &str) -> String {
    quoted_within(text, QUOTED_CHARS, QUOTED_BYTES)
}

/// ` ("value")`, shortened when long, for an error message; nothing for an empty value.
pub fn quote(value: &str) -> String {
    if value.is_empty() {
        return String::new();
    }
    format!(" ({})", quoted_short(value))
}
