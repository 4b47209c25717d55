//! The vendor's tag API: eight calls, four operations in two generations. Each operation is
//! one row of the table ([`Operation::row`]): its path in each generation, the body it takes, the answer it
//! gives and the scope a caller needs for it. The Worker, the browser package and the
//! emulator all work from this table.

use std::fmt;

use crate::api::named::Named;

/// The Worker's own route that says who the caller is and what it may do; the package asks it.
pub const SESSION_PATH: &str = "/session";

/// The generation of the vendor's tag API that an app has switched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TagApi {
    /// The legacy "push to all users" calls, `v4/all_member_push/*`.
    AllMemberPush,
    /// The current Push service's calls, `v4/timpush/*`: partial success (`ErrorList`),
    /// `Replace` on add, and RegistrationIDs as well as UserIDs.
    Timpush,
}

impl TagApi {
    /// Both generations.
    pub const ALL: [TagApi; 2] = [TagApi::AllMemberPush, TagApi::Timpush];

    /// Its name, as `TIM_TAG_API`, `/session` and the browser's `api` option spell it.
    pub fn name(self) -> &'static str {
        match self {
            TagApi::AllMemberPush => "all_member_push",
            TagApi::Timpush => "timpush",
        }
    }

    /// Whether its calls take a device's RegistrationID as an account, besides UserIDs.
    pub fn takes_registration_ids(self) -> bool {
        match self {
            TagApi::AllMemberPush => false,
            TagApi::Timpush => true,
        }
    }

    /// Whether its add takes `Replace`, which sets an account's tags exactly.
    pub fn takes_replace(self) -> bool {
        match self {
            TagApi::AllMemberPush => false,
            TagApi::Timpush => true,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for TagApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Named for TagApi {
    const KIND: &'static str = "tag API";
    const ALL: &'static [TagApi] = &TagApi::ALL;

    fn name_of(self) -> &'static str {
        self.name()
    }
}

/// What a caller may do: read tags, or read and change them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Get tags only.
    Read,
    /// Get, add, remove and clear tags.
    Write,
}

impl Scope {
    /// The scopes this one holds, as `/session` lists them.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Scope::Read => &["read"],
            Scope::Write => &["read", "write"],
        }
    }
}

/// One of the four things the tag API does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Read the tags of up to 100 accounts.
    Get,
    /// Add tags to up to 100 accounts (or, with `Replace`, set them).
    Add,
    /// Remove tags from up to 100 accounts.
    Remove,
    /// Remove all the tags of up to 100 accounts.
    Clear,
}

/// The two shapes of body the tag calls take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"To_Account": [account, ...]}`.
    Accounts {
        /// Whether each account may be named only once (in a write).
        distinct: bool,
    },
    /// `{"UserTags": [{"To_Account": account, "Tags": [tag, ...]}, ...]}`, each account once.
    Entries {
        /// The most tags one account may be given in one call.
        max_tags: usize,
        /// With `"Replace": 1`, the most tags instead, where the call's current generation
        /// takes `Replace`.
        replace_max_tags: Option<usize>,
    },
}

/// What the vendor answers a call with, besides its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerShape {
    /// `UserTags`: each account asked for with its tags (and, in the current generation, an
    /// `ErrorList` of the accounts that failed).
    Tags,
    /// The status alone (and, in the current generation, an `ErrorList`).
    Status,
}

/// One operation: one row of the table.
#[derive(Debug)]
pub struct Row {
    /// The operation.
    pub operation: Operation,
    /// Its name in logs: `get`, `add`, `remove`, `clear`.
    pub name: &'static str,
    /// Its path in each generation, in the order of [`TagApi::ALL`].
    pub paths: [&'static str; 2],
    /// The body it takes.
    pub body: Shape,
    /// The answer it gives.
    pub answer: AnswerShape,
    /// What a caller needs to be allowed to call it.
    pub scope: Scope,
    /// The largest body the Worker reads for it: every valid body, written compactly, fits.
    pub max_body_bytes: usize,
}

/// 100 accounts of 36 characters, each written as `\uXXXX` escapes, fit in 64 KiB.
const ACCOUNTS_BODY_BYTES: usize = 64 * 1024;
/// 100 users with 100 tags of 50 bytes (the largest `Replace` add, about 560 KB) fit in 1 MiB.
const USER_TAGS_BODY_BYTES: usize = 1024 * 1024;

/// The tag API, one row per operation, in the order of [`Operation::ALL`].
const ROWS: [Row; 4] = [
    Row {
        operation: Operation::Get,
        name: "get",
        paths: ["/v4/all_member_push/im_get_tag", "/v4/timpush/get_tag"],
        body: Shape::Accounts { distinct: false },
        answer: AnswerShape::Tags,
        scope: Scope::Read,
        max_body_bytes: ACCOUNTS_BODY_BYTES,
    },
    Row {
        operation: Operation::Add,
        name: "add",
        paths: ["/v4/all_member_push/im_add_tag", "/v4/timpush/add_tag"],
        body: Shape::Entries {
            max_tags: 10,
            replace_max_tags: Some(100),
        },
        answer: AnswerShape::Status,
        scope: Scope::Write,
        max_body_bytes: USER_TAGS_BODY_BYTES,
    },
    Row {
        operation: Operation::Remove,
        name: "remove",
        paths: [
            "/v4/all_member_push/im_remove_tag",
            "/v4/timpush/remove_tag",
        ],
        body: Shape::Entries {
            max_tags: 100,
            replace_max_tags: None,
        },
        answer: AnswerShape::Status,
        scope: Scope::Write,
        max_body_bytes: USER_TAGS_BODY_BYTES,
    },
    Row {
        operation: Operation::Clear,
        name: "clear",
        paths: [
            "/v4/all_member_push/im_remove_all_tags",
            "/v4/timpush/clear_all_tags",
        ],
        body: Shape::Accounts { distinct: true },
        answer: AnswerShape::Status,
        scope: Scope::Write,
        max_body_bytes: ACCOUNTS_BODY_BYTES,
    },
];

impl Row {
    /// The most tags one account may be given in one call of this operation, with or without
    /// `Replace`; `None` for an operation that takes no tags.
    pub fn max_tags(&self, replace: bool) -> Option<usize> {
        match self.body {
            Shape::Accounts { .. } => None,
            Shape::Entries {
                max_tags,
                replace_max_tags,
            } => Some(if replace {
                replace_max_tags.unwrap_or(max_tags)
            } else {
                max_tags
            }),
        }
    }
}

// A row added to the table without its operation in `Operation::ALL` does not compile.
const _: () = assert!(Operation::ALL.len() == ROWS.len());

impl Operation {
    /// Every operation, in the order of the table.
    pub const ALL: [Operation; 4] = [
        Operation::Get,
        Operation::Add,
        Operation::Remove,
        Operation::Clear,
    ];

    /// Its row of the table. A match rather than an index, so that an operation added
    /// without its row does not compile.
    pub fn row(self) -> &'static Row {
        match self {
            Operation::Get => &ROWS[0],
            Operation::Add => &ROWS[1],
            Operation::Remove => &ROWS[2],
            Operation::Clear => &ROWS[3],
        }
    }
}

/// One of the eight calls: an operation in one generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Call {
    /// What it does.
    pub operation: Operation,
    /// Which generation's path it takes.
    pub api: TagApi,
}

impl Call {
    /// The call of `operation` in the generation `api`.
    pub const fn new(operation: Operation, api: TagApi) -> Self {
        Self { operation, api }
    }

    /// Every call, each generation's four in turn.
    pub fn all() -> impl Iterator<Item = Call> {
        TagApi::ALL.into_iter().flat_map(|api| {
            Operation::ALL
                .into_iter()
                .map(move |operation| Call { operation, api })
        })
    }

    /// The call made at a path, exactly.
    pub fn at(path: &str) -> Option<Call> {
        // Two plain loops: the iterator chain of `Call::all` inlined here came to 4 KB of wasm.
        for api in TagApi::ALL {
            for operation in Operation::ALL {
                let call = Call { operation, api };
                if call.path() == path {
                    return Some(call);
                }
            }
        }
        None
    }

    /// Its operation's row.
    pub fn row(self) -> &'static Row {
        self.operation.row()
    }

    /// Its path, the same at the vendor and at the Worker.
    pub fn path(self) -> &'static str {
        self.row().paths[self.api.index()]
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_calls_at_eight_paths() {
        let paths: Vec<&str> = Call::all().map(Call::path).collect();
        assert_eq!(
            paths,
            [
                "/v4/all_member_push/im_get_tag",
                "/v4/all_member_push/im_add_tag",
                "/v4/all_member_push/im_remove_tag",
                "/v4/all_member_push/im_remove_all_tags",
                "/v4/timpush/get_tag",
                "/v4/timpush/add_tag",
                "/v4/timpush/remove_tag",
                "/v4/timpush/clear_all_tags",
            ]
        );
        for call in Call::all() {
            assert_eq!(Call::at(call.path()), Some(call));
            assert_eq!(call.row().operation, call.operation);
        }
        assert_eq!(Call::at("/v4/timpush/get_tag/"), None);
        assert_eq!(Call::at("/V4/timpush/get_tag"), None);
    }

    #[test]
    fn only_get_is_a_read() {
        for call in Call::all() {
            let read = call.operation == Operation::Get;
            assert_eq!(call.row().scope == Scope::Read, read, "{call}");
        }
        assert_eq!(Scope::Write.names(), ["read", "write"]);
        assert!(Scope::Write > Scope::Read);
    }

    #[test]
    fn tags_per_call_follow_the_vendor_s_limits() {
        assert_eq!(Operation::Add.row().max_tags(false), Some(10));
        assert_eq!(Operation::Add.row().max_tags(true), Some(100));
        assert_eq!(Operation::Remove.row().max_tags(false), Some(100));
        assert_eq!(Operation::Clear.row().max_tags(false), None);
        assert_eq!(Operation::Get.row().max_tags(true), None);
    }

    #[test]
    fn generations_have_their_names() {
        assert_eq!(TagApi::named("timpush"), Ok(TagApi::Timpush));
        assert_eq!(
            TagApi::named(" all_member_push "),
            Ok(TagApi::AllMemberPush)
        );
        let error = TagApi::named("push").unwrap_err().to_string();
        assert!(error.contains("one of all_member_push, timpush"), "{error}");
    }
}
