//! The bodies of the tag calls: their two shapes, the one validator of what a caller sends
//! (the Worker's bodies and the package's input alike), and the one writer of the body sent on,
//! written anew from only what was checked.

use serde::{Deserialize, Serialize};

use crate::api::account::{
    MAX_ACCOUNTS, account_problem, same_account_key, tag_count_problem, tag_problem,
};
use crate::api::calls::{Call, Shape, TagApi};
use crate::api::invalid::{BodyError, Holder, Holds, Invalid, Place, REPLACE_CALL, Within};
use crate::api::json::{Exceeded, Extent, Json, NotText, quoted};

/// How many undefined fields an error message names; past them it says how many more there
/// are, so that what a refusal says stays small whatever the body holds.
const NAMED_FIELDS: usize = 5;

/// One account and its tags, as the vendor writes them in bodies and answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserTags {
    /// The account: a UserID, or in the current generation a RegistrationID.
    #[serde(rename = "To_Account")]
    pub to_account: String,
    /// Its tags.
    #[serde(rename = "Tags", default)]
    pub tags: Vec<String>,
}

/// A checked body: every value within the vendor's limits for its call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagRequest {
    /// The accounts of a get or a clear, in the order given.
    Accounts(Vec<String>),
    /// The accounts and tags of an add or a remove.
    Entries {
        /// Each account once, with its tags.
        entries: Vec<UserTags>,
        /// `Replace` as given (an add of the current generation only).
        replace: Option<bool>,
    },
}

impl TagRequest {
    /// The body to send to the vendor.
    pub fn to_json(&self) -> String {
        match self {
            TagRequest::Accounts(accounts) => accounts_body(accounts.iter().map(String::as_str)),
            TagRequest::Entries { entries, replace } => entries_body(
                entries
                    .iter()
                    .map(|entry| (entry.to_account.as_str(), entry.tags.as_slice())),
                *replace,
            ),
        }
    }

    /// The accounts named, in order.
    pub fn accounts(&self) -> Vec<&str> {
        match self {
            TagRequest::Accounts(accounts) => accounts.iter().map(String::as_str).collect(),
            TagRequest::Entries { entries, .. } => {
                entries.iter().map(|e| e.to_account.as_str()).collect()
            }
        }
    }

    /// The distinct tags named, in the order they first appear.
    pub fn tags(&self) -> Vec<&str> {
        // A set beside the list: a Replace add may name 10,000 tags, and this runs on every write.
        let mut seen = std::collections::BTreeSet::new();
        let mut tags: Vec<&str> = Vec::new();
        let entries = match self {
            TagRequest::Accounts(_) => return tags,
            TagRequest::Entries { entries, .. } => entries,
        };
        for tag in entries.iter().flat_map(|entry| &entry.tags) {
            if seen.insert(tag.as_str()) {
                tags.push(tag);
            }
        }
        tags
    }

    /// Whether the call sets the tags exactly (`"Replace": 1`).
    pub fn replace(&self) -> bool {
        match self {
            TagRequest::Accounts(_) => false,
            TagRequest::Entries { replace, .. } => *replace == Some(true),
        }
    }
}

/// `{"To_Account":[...]}`: the body of a get or a clear, for the Worker and the package alike.
pub fn accounts_body<'a>(accounts: impl Iterator<Item = &'a str>) -> String {
    let mut body = String::from(r#"{"To_Account":"#);
    push_strings(&mut body, accounts);
    body.push('}');
    body
}

/// `{"UserTags":[{"To_Account":...,"Tags":[...]},...]}`, and `"Replace"` when given: the body
/// of an add or a remove, for the Worker and the package alike.
pub fn entries_body<'a>(
    entries: impl Iterator<Item = (&'a str, &'a [String])>,
    replace: Option<bool>,
) -> String {
    let mut body = String::from(r#"{"UserTags":["#);
    for (index, (account, tags)) in entries.enumerate() {
        if index > 0 {
            body.push(',');
        }
        body.push_str(r#"{"To_Account":"#);
        body.push_str(&quoted(account));
        body.push_str(r#","Tags":"#);
        push_strings(&mut body, tags.iter().map(String::as_str));
        body.push('}');
    }
    body.push(']');
    if let Some(replace) = replace {
        body.push_str(if replace {
            r#","Replace":1"#
        } else {
            r#","Replace":0"#
        });
    }
    body.push('}');
    body
}

/// `["a","b"]`, each string escaped as JSON writes it.
pub fn push_strings<'a>(out: &mut String, strings: impl Iterator<Item = &'a str>) {
    out.push('[');
    for (index, string) in strings.enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(&quoted(string));
    }
    out.push(']');
}

/// A call's checks of a body, here beside the validator they run.
impl Call {
    /// Checks a parsed body as this call takes it; what comes back is what to send on.
    pub fn check(self, body: &impl Json) -> Result<TagRequest, BodyError> {
        self.row().body.check(self, body)
    }

    /// Refuses, before parsing, a body whose structure reaches far past any this call takes.
    pub fn check_extent(self, body: &[u8]) -> Result<(), BodyError> {
        self.row().body.check_extent(body)
    }

    /// Parses and checks a body as a caller sends it (natively, with `serde_json`).
    pub fn parse(self, body: &[u8]) -> Result<TagRequest, BodyError> {
        self.check_extent(body)?;
        let text = std::str::from_utf8(body).map_err(|_| BodyError::NotUtf8)?;
        let value =
            <serde_json::Value as Json>::parse(text).map_err(|why| BodyError::not_json(&why.0))?;
        self.check(&value)
    }
}

impl Shape {
    /// How far a body of this shape may reach before it is parsed: twice the depth and twice
    /// the parts of the largest such body. Every valid body, and every body only a little off
    /// (a small one of the other shape, say), is parsed and told exactly what is wrong; one far
    /// past them is refused for what it is, at the cost of one pass over its bytes rather than
    /// of the parser building it.
    pub fn extent(self) -> Extent {
        // A list of n items has n parts: its bracket and n - 1 commas.
        match self {
            Shape::Accounts { .. } => Extent {
                depth: 2 * 2,
                parts: 2 * (1 + MAX_ACCOUNTS),
            },
            Shape::Entries {
                max_tags,
                replace_max_tags,
            } => {
                let tags = max_tags.max(replace_max_tags.unwrap_or(0));
                // An entry is its brace, one comma and its list of tags; the body is its brace,
                // the comma before `Replace` and the list of entries.
                let entry = 2 + tags;
                Extent {
                    depth: 2 * 4,
                    parts: 2 * (2 + MAX_ACCOUNTS + MAX_ACCOUNTS * entry),
                }
            }
        }
    }

    /// Refuses a body whose structure reaches past [`Shape::extent`], before it is parsed.
    pub fn check_extent(self, body: &[u8]) -> Result<(), BodyError> {
        let extent = self.extent();
        extent.check(body).map_err(|exceeded| match exceeded {
            Exceeded::Depth => BodyError::TooDeep(extent.depth),
            Exceeded::Parts => BodyError::TooManyParts(extent.parts),
        })
    }

    /// Checks a body for `call`, in this order: an object, no field the call does not define,
    /// the list, its length, then each entry in turn, and no account twice in a write.
    pub(crate) fn check(self, call: Call, body: &impl Json) -> Result<TagRequest, BodyError> {
        if !body.is_object() {
            return Err(Invalid::NotAnObject(call).into());
        }
        match self {
            Shape::Accounts { distinct } => check_accounts(call, body, distinct),
            Shape::Entries {
                max_tags,
                replace_max_tags,
            } => {
                let replace_max_tags = replace_max_tags.filter(|_| call.api.takes_replace());
                check_entries(call, body, max_tags, replace_max_tags)
            }
        }
    }
}

/// `{"To_Account": [...]}`: each account checked, and in a write named once.
fn check_accounts(call: Call, body: &impl Json, distinct: bool) -> Result<TagRequest, BodyError> {
    defined_fields_only(body, &["To_Account"], Holder::Body, call)?;
    let items = list(body, "To_Account", Holds::Accounts)?;
    let accounts = items
        .iter()
        .enumerate()
        .map(|(i, item)| read_account(call.api, item, Place::item("To_Account", i)))
        .collect::<Result<Vec<_>, _>>()?;
    if distinct {
        each_once(call.api, &accounts, |i| Place::item("To_Account", i))?;
    }
    Ok(TagRequest::Accounts(accounts))
}

/// `{"UserTags": [...], "Replace": 0 or 1}`: `Replace` where the call takes it, each entry
/// checked, and each account named once.
fn check_entries(
    call: Call,
    body: &impl Json,
    max_tags: usize,
    replace_max_tags: Option<usize>,
) -> Result<TagRequest, BodyError> {
    let fields: &[&str] = match replace_max_tags {
        Some(_) => &["UserTags", "Replace"],
        None => &["UserTags"],
    };
    defined_fields_only(body, fields, Holder::Body, call)?;
    // Present is present: `"Replace": null` is not taken as absent.
    let replace = match body.field_or_null("Replace").map(|value| value.integer()) {
        None => None,
        Some(Some(0)) => Some(false),
        Some(Some(1)) => Some(true),
        Some(_) => return Err(Invalid::ReplaceNotZeroOrOne.into()),
    };
    let max_tags = match (replace, replace_max_tags) {
        (Some(true), Some(max)) => max,
        _ => max_tags,
    };
    let items = list(body, "UserTags", Holds::Entries)?;
    let entries = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            read_entry(call, item, Place::item("UserTags", i), Some(max_tags))
                .map(|(_, entry)| entry)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let accounts: Vec<String> = entries.iter().map(|e| e.to_account.clone()).collect();
    each_once(call.api, &accounts, |i| {
        Place::item("UserTags", i).within(Within::Account)
    })?;
    Ok(TagRequest::Entries { entries, replace })
}

/// Refuses the fields the vendor does not define for this call. It names the first few in
/// sorted order (parsers disagree on the order of an object's fields) and counts the rest, in
/// one pass that keeps only those few: a body may hold a hundred thousand such fields.
fn defined_fields_only(
    object: &impl Json,
    defined: &[&str],
    holder: Holder,
    call: Call,
) -> Result<(), Invalid> {
    let mut first: Vec<String> = Vec::with_capacity(NAMED_FIELDS + 1);
    let mut count = 0usize;
    for key in object.keys() {
        if defined.contains(&key.as_str()) {
            continue;
        }
        count += 1;
        let at = first.partition_point(|named| *named < key);
        if at < NAMED_FIELDS {
            first.insert(at, key);
            first.truncate(NAMED_FIELDS);
        }
    }
    let only_replace = count == 1 && first[0] == "Replace";
    match (count, holder) {
        (0, _) => Ok(()),
        (1, Holder::Entry(place)) if only_replace && call == REPLACE_CALL => {
            Err(Invalid::ReplaceInEntry(place))
        }
        (1, Holder::Body | Holder::Entry(_)) if only_replace => Err(Invalid::ReplaceNotTaken(call)),
        (count, holder) => Err(Invalid::UndefinedFields {
            holder,
            first,
            count,
            call,
        }),
    }
}

/// The items of a list of 1 to 100 accounts.
fn list<J: Json>(object: &J, field: &'static str, holds: Holds) -> Result<Vec<J>, BodyError> {
    let items = object
        .field(field)
        .and_then(|list| list.items())
        .ok_or(Invalid::NotAList { list: field, holds })?;
    match items.len() {
        0 => Err(Invalid::NoAccounts(field).into()),
        count if count > MAX_ACCOUNTS => Err(BodyError::TooManyAccounts { field, count }),
        _ => Ok(items),
    }
}

/// One `{"To_Account": ..., "Tags": [...]}` entry at `place`, as a body holds it or a caller
/// hands it to the package: an object with no other field, its account checked for the call's
/// generation and each of its tags; and, with `max_tags`, no more tags than that. What comes
/// back is the value that holds the account (the package keys its index by it) and the entry.
pub fn read_entry<J: Json>(
    call: Call,
    item: &J,
    place: Place,
    max_tags: Option<usize>,
) -> Result<(J, UserTags), Invalid> {
    if !item.is_object() {
        return Err(Invalid::NotAnEntry(place));
    }
    defined_fields_only(item, &["To_Account", "Tags"], Holder::Entry(place), call)?;
    let value = item.field("To_Account").ok_or(Invalid::NoAccount(place))?;
    let to_account = read_account(call.api, &value, place.within(Within::Account))?;
    let tags_place = place.within(Within::Tags);
    let tags = item
        .field("Tags")
        .and_then(|tags| tags.items())
        .ok_or(Invalid::NoTags(tags_place))?;
    if let Some(problem) = tag_count_problem(tags.len(), max_tags.unwrap_or(usize::MAX)) {
        return Err(Invalid::TagCount {
            place: tags_place,
            problem,
        });
    }
    let mut read = Vec::with_capacity(tags.len());
    for (i, tag) in tags.iter().enumerate() {
        read.push(read_tag(tag, place.within(Within::Tag(i)))?);
    }
    Ok((
        value,
        UserTags {
            to_account,
            tags: read,
        },
    ))
}

/// A string at `place` that is text: not another type, and well-formed Unicode.
fn read_text(value: &impl Json, place: Place) -> Result<String, Invalid> {
    value.text().map_err(|not_text| match not_text {
        NotText::NotAString => Invalid::NotAString(place),
        NotText::IllFormed => Invalid::IllFormed(place),
    })
}

/// An account at `place`, of `api`'s forms.
pub fn read_account(api: TagApi, value: &impl Json, place: Place) -> Result<String, Invalid> {
    let account = read_text(value, place)?;
    match account_problem(api, &account) {
        Some(problem) => Err(Invalid::Account {
            place,
            account,
            problem,
        }),
        None => Ok(account),
    }
}

/// A tag at `place`.
pub fn read_tag(value: &impl Json, place: Place) -> Result<String, Invalid> {
    let tag = read_text(value, place)?;
    match tag_problem(&tag) {
        Some(problem) => Err(Invalid::Tag {
            place,
            tag,
            problem,
        }),
        None => Ok(tag),
    }
}

/// Refuses an account named twice. A RegistrationID names one device in either case, so
/// two spellings of it are one account ([`same_account_key`], taken once per account).
/// Pairwise: a write names at most 100 accounts, and no set's code need come into the Worker
/// for them.
fn each_once(
    api: TagApi,
    accounts: &[String],
    place: impl Fn(usize) -> Place,
) -> Result<(), Invalid> {
    let keys: Vec<_> = accounts
        .iter()
        .map(|account| same_account_key(api, account))
        .collect();
    for (index, key) in keys.iter().enumerate() {
        let Some(first) = keys[..index].iter().position(|earlier| earlier == key) else {
            continue;
        };
        return Err(Invalid::Repeated {
            place: place(index),
            account: accounts[index].clone(),
            first: place(first),
            other_case: accounts[first] != accounts[index],
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::calls::Operation;
    use crate::api::codes::Coded;
    use crate::api::invalid::BodyError;
    use serde_json::json;

    const REGISTRATION_ID: &str = "379C2F0D-290D-47AE-94D1-919058C39C77";

    fn call(operation: Operation, api: TagApi) -> Call {
        Call { operation, api }
    }

    fn get() -> Call {
        call(Operation::Get, TagApi::AllMemberPush)
    }

    fn check(call: Call, body: serde_json::Value) -> Result<TagRequest, BodyError> {
        call.parse(body.to_string().as_bytes())
    }

    fn refusal(call: Call, body: serde_json::Value) -> String {
        check(call, body).unwrap_err().to_string()
    }

    fn accounts(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("u{i}")).collect()
    }

    #[test]
    fn a_get_forwards_only_its_checked_accounts() {
        let request = check(get(), json!({ "To_Account": ["user_a", "用户", "user_a"] })).unwrap();
        assert_eq!(request.accounts(), ["user_a", "用户", "user_a"]);
        assert_eq!(
            request.to_json(),
            r#"{"To_Account":["user_a","用户","user_a"]}"#
        );
    }

    #[test]
    fn malformed_bodies_say_what_is_wrong() {
        let cases = [
            (&b""[..], "not valid JSON"),
            (b"{\"To_Account\": [", "not valid JSON"),
            (b"\xff", "not valid UTF-8"),
            (b"[\"a\"]", "expected a JSON object"),
            (b"{}", "To_Account must be an array of accounts"),
            (
                b"{\"To_Account\": null}",
                "To_Account must be an array of accounts",
            ),
            (
                b"{\"To_Account\": \"a\"}",
                "To_Account must be an array of accounts (strings)",
            ),
            (
                b"{\"To_Account\": [\"a\", 7]}",
                "To_Account[1] is not a string",
            ),
            (b"{\"To_Account\": [\"a\\udfffb\"]}", "not valid JSON"),
            (b"{\"To_Account\": []}", "To_Account is empty"),
            (b"{\"To_Account\": [\"a\", \"\"]}", "To_Account[1] is empty"),
            (
                b"{\"To_Account\": [\"a\"], \"Extra\": 1}",
                "the body has the field \"Extra\", which /v4/all_member_push/im_get_tag does not define",
            ),
        ];
        for (body, expected) in cases {
            let error = get().parse(body).unwrap_err();
            assert_eq!(error.code(), 90001, "{body:?}");
            assert!(error.to_string().contains(expected), "{body:?}: {error}");
        }
    }

    #[test]
    fn accounts_are_counted_in_bytes_and_named_with_their_place() {
        assert!(check(get(), json!({ "To_Account": ["y".repeat(32)] })).is_ok());
        let long = "x".repeat(33);
        assert_eq!(
            refusal(get(), json!({ "To_Account": ["ok", long] })),
            format!("To_Account[1] (\"{long}\") is 33 bytes long; at most 32 bytes are allowed")
        );
        // 11 × 3 bytes is 33.
        assert!(refusal(get(), json!({ "To_Account": ["用".repeat(11)] })).contains("33 bytes"));
        let error = refusal(get(), json!({ "To_Account": ["é".repeat(1000)] }));
        assert!(
            error.contains(&format!("(\"{}…\")", "é".repeat(40))),
            "{error}"
        );
    }

    #[test]
    fn more_than_100_accounts_is_90018_in_both_shapes() {
        let error = check(get(), json!({ "To_Account": accounts(101) })).unwrap_err();
        assert_eq!(
            error,
            BodyError::TooManyAccounts {
                field: "To_Account",
                count: 101
            }
        );
        assert_eq!(error.code(), 90018);
        assert!(check(get(), json!({ "To_Account": accounts(100) })).is_ok());
        let entries: Vec<_> = accounts(101)
            .into_iter()
            .map(|a| json!({ "To_Account": a, "Tags": ["t"] }))
            .collect();
        let add = call(Operation::Add, TagApi::Timpush);
        assert_eq!(
            check(add, json!({ "UserTags": entries }))
                .unwrap_err()
                .to_string(),
            "UserTags has 101 accounts; at most 100 are allowed per call"
        );
        assert!(check(add, json!({ "UserTags": entries[..100] })).is_ok());
    }

    #[test]
    fn registration_ids_only_in_the_current_generation() {
        use crate::api::account::is_registration_id;
        assert!(is_registration_id(REGISTRATION_ID));
        assert!(is_registration_id(&REGISTRATION_ID.to_lowercase()));
        assert!(!is_registration_id(&REGISTRATION_ID.replace('-', "_")));
        assert!(!is_registration_id(&REGISTRATION_ID.replacen('9', "G", 1)));
        let body = json!({ "To_Account": [REGISTRATION_ID] });
        assert!(check(call(Operation::Get, TagApi::Timpush), body.clone()).is_ok());
        assert!(
            refusal(get(), body).contains("is a RegistrationID, which only the timpush calls take")
        );
        // 36 characters that are not a UUID are a UserID too long.
        let odd = json!({ "To_Account": ["x".repeat(36)] });
        assert!(refusal(call(Operation::Get, TagApi::Timpush), odd).contains("36 bytes long"));
    }

    #[test]
    fn an_add_takes_one_to_ten_tags_of_one_to_50_bytes_per_account() {
        let add = call(Operation::Add, TagApi::AllMemberPush);
        let body = |tags: Vec<String>| json!({ "UserTags": [{ "To_Account": "a", "Tags": tags }] });
        let tags = |n: usize| (0..n).map(|i| format!("t{i}")).collect::<Vec<_>>();
        assert!(check(add, body(tags(10))).is_ok());
        assert_eq!(
            refusal(add, body(tags(11))),
            "UserTags[0].Tags has 11 tags; at most 10 are allowed in one call"
        );
        assert_eq!(
            refusal(add, body(vec![])),
            "UserTags[0].Tags is empty: give at least one tag"
        );
        assert!(check(add, body(vec!["t".repeat(50)])).is_ok());
        assert_eq!(
            refusal(add, body(vec!["ok".into(), "t".repeat(51)])),
            format!(
                "UserTags[0].Tags[1] (\"{}…\") is 51 bytes long; a tag is at most 50 bytes",
                "t".repeat(40)
            )
        );
        assert_eq!(
            refusal(add, body(vec!["".into()])),
            "UserTags[0].Tags[0] is empty"
        );
        let request = check(add, body(vec!["vip".into(), "cn".into()])).unwrap();
        assert_eq!(
            request.to_json(),
            r#"{"UserTags":[{"To_Account":"a","Tags":["vip","cn"]}]}"#
        );
    }

    #[test]
    fn replace_is_for_the_current_add_only_and_raises_the_limit_to_100() {
        let add = call(Operation::Add, TagApi::Timpush);
        let tags: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
        let body = |replace: serde_json::Value, n: usize| json!({ "UserTags": [{ "To_Account": "a", "Tags": tags[..n] }], "Replace": replace });
        let request = check(add, body(json!(1), 100)).unwrap();
        assert!(request.replace());
        assert!(request.to_json().ends_with(r#""Replace":1}"#));
        assert!(refusal(add, body(json!(0), 11)).contains("at most 10"));
        for wrong in [json!(2), json!(true), json!("1"), json!(0.5)] {
            assert_eq!(refusal(add, body(wrong, 1)), "Replace must be 0 or 1");
        }
        let replace = json!({ "UserTags": [{ "To_Account": "a", "Tags": ["t"] }], "Replace": 1 });
        for other in [
            call(Operation::Add, TagApi::AllMemberPush),
            call(Operation::Remove, TagApi::Timpush),
        ] {
            assert_eq!(
                refusal(other, replace.clone()),
                format!("Replace is taken by /v4/timpush/add_tag only, not by {other}")
            );
        }
    }

    #[test]
    fn a_remove_takes_up_to_100_tags_per_account() {
        let remove = call(Operation::Remove, TagApi::AllMemberPush);
        let tags: Vec<String> = (0..101).map(|i| format!("t{i}")).collect();
        let body = |n: usize| json!({ "UserTags": [{ "To_Account": "a", "Tags": tags[..n] }] });
        assert!(check(remove, body(100)).is_ok());
        assert!(refusal(remove, body(101)).contains("has 101 tags; at most 100"));
    }

    #[test]
    fn a_write_names_each_account_once() {
        let clear = call(Operation::Clear, TagApi::Timpush);
        assert_eq!(
            refusal(clear, json!({ "To_Account": ["a", "b", "a"] })),
            "To_Account[2] (\"a\") repeats To_Account[0]: name each account once in a write"
        );
        let add = call(Operation::Add, TagApi::AllMemberPush);
        let twice = json!({ "UserTags": [
            { "To_Account": "a", "Tags": ["x"] }, { "To_Account": "a", "Tags": ["y"] }
        ] });
        assert!(
            refusal(add, twice)
                .starts_with("UserTags[1].To_Account (\"a\") repeats UserTags[0].To_Account")
        );
    }

    #[test]
    fn entries_of_a_write_are_objects_of_two_defined_fields() {
        let remove = call(Operation::Remove, TagApi::Timpush);
        let cases = [
            (
                json!({ "UserTags": ["a"] }),
                "UserTags[0] must be a {To_Account, Tags} object",
            ),
            (
                json!({ "UserTags": [{ "Tags": ["x"] }] }),
                "UserTags[0].To_Account is missing",
            ),
            (
                json!({ "UserTags": [{ "To_Account": "a" }] }),
                "UserTags[0].Tags must be an array of tags",
            ),
            (
                json!({ "UserTags": [{ "To_Account": "a", "Tags": "x" }] }),
                "UserTags[0].Tags must be an array of tags",
            ),
            (
                json!({ "UserTags": [{ "To_Account": "a", "Tags": [1] }] }),
                "UserTags[0].Tags[0] is not a string",
            ),
            (
                json!({ "UserTags": [{ "To_Account": "a", "Tags": ["x"], "Note": "" }] }),
                "UserTags[0] has the field \"Note\", which /v4/timpush/remove_tag does not define",
            ),
            (
                json!({ "To_Account": ["a"] }),
                "the body has the field \"To_Account\"",
            ),
        ];
        for (body, expected) in cases {
            let error = refusal(remove, body.clone());
            assert!(error.contains(expected), "{body}: {error}");
        }
    }

    #[test]
    fn the_tags_of_a_write_are_listed_once_for_the_audit() {
        let add = call(Operation::Add, TagApi::AllMemberPush);
        let request = check(
            add,
            json!({ "UserTags": [
                { "To_Account": "a", "Tags": ["vip", "cn"] }, { "To_Account": "b", "Tags": ["cn", "new"] }
            ] }),
        )
        .unwrap();
        assert_eq!(request.accounts(), ["a", "b"]);
        assert_eq!(request.tags(), ["vip", "cn", "new"]);
        assert!(!request.replace());
    }

    /// What a refusal says about a body: at most about a kilobyte, whatever the body holds.
    const MOST_SAID: usize = 1024;

    #[test]
    fn many_undefined_fields_are_named_a_few_and_counted() {
        let add = call(Operation::Add, TagApi::AllMemberPush);
        for keys in [
            (0..116_502).map(|i| format!("k{i:06}")).collect::<Vec<_>>(),
            (0..116_502).rev().map(|i| format!("k{i:06}")).collect(),
        ] {
            let mut body = serde_json::Map::new();
            body.insert(
                "UserTags".into(),
                json!([{ "To_Account": "a", "Tags": ["t"] }]),
            );
            for key in keys {
                body.insert(key, json!(1));
            }
            // Checked as parsed: so many fields would not reach the parser (see below).
            let error = add
                .check(&serde_json::Value::Object(body))
                .unwrap_err()
                .to_string();
            assert_eq!(
                error,
                "the body has the fields \"k000000\", \"k000001\", \"k000002\", \"k000003\", \
                 \"k000004\" and 116497 more, which /v4/all_member_push/im_add_tag does not define"
            );
        }
        let two = refusal(get(), json!({ "To_Account": ["a"], "b": 1, "a": 2 }));
        assert!(
            two.starts_with("the body has the fields \"a\", \"b\", which"),
            "{two}"
        );
    }

    #[test]
    fn what_a_refusal_says_stays_small() {
        let long = "k".repeat(500_000);
        let entry = json!([{ "To_Account": "a", "Tags": ["t"], long.clone(): 1 }]);
        let remove = call(Operation::Remove, TagApi::Timpush);
        let bodies = [
            json!({ long.clone(): 1, "To_Account": ["a"] }),
            json!({ "To_Account": [long.clone()] }),
            json!({ "UserTags": entry }),
            json!({ "UserTags": [{ "To_Account": "a", "Tags": ["t", long.clone()] }] }),
        ];
        // Field names of control characters, six bytes each once escaped, named five times.
        let control = "\u{1}".repeat(40);
        let mut named = serde_json::Map::new();
        named.insert("To_Account".into(), json!(["a"]));
        for i in 0..6 {
            named.insert(format!("{control}{i}"), json!(0));
        }
        let bodies = bodies.into_iter().chain([serde_json::Value::Object(named)]);
        for body in bodies {
            let call = if body.get("UserTags").is_some() {
                remove
            } else {
                get()
            };
            let error = refusal(call, body);
            assert!(error.len() < MOST_SAID, "{} bytes", error.len());
            assert!(error.contains('…'), "{error}");
        }
        let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(get().parse(deep.as_bytes()), Err(BodyError::TooDeep(4)));
        let error = BodyError::not_json(&"x".repeat(10_000)).to_string();
        assert!(error.len() < MOST_SAID, "{} bytes", error.len());
    }

    #[test]
    fn replace_is_0_or_1_at_the_top_of_the_body() {
        let add = call(Operation::Add, TagApi::Timpush);
        let null = json!({ "UserTags": [{ "To_Account": "a", "Tags": ["t"] }], "Replace": null });
        assert_eq!(refusal(add, null), "Replace must be 0 or 1");
        let inside = json!({ "UserTags": [{ "To_Account": "a", "Tags": ["t"], "Replace": 1 }] });
        assert_eq!(
            refusal(add, inside),
            "UserTags[0] has the field \"Replace\", which /v4/timpush/add_tag takes beside \
             UserTags, at the top of the body, not inside an entry"
        );
    }

    #[test]
    fn a_registration_id_in_two_cases_is_one_account() {
        let lower = REGISTRATION_ID.to_lowercase();
        let clear = call(Operation::Clear, TagApi::Timpush);
        assert_eq!(
            refusal(clear, json!({ "To_Account": [REGISTRATION_ID, lower] })),
            format!(
                "To_Account[1] (\"{lower}\") repeats To_Account[0] (the same RegistrationID in \
                 another case): name each account once in a write"
            )
        );
        let add = call(Operation::Add, TagApi::Timpush);
        let twice = json!({ "UserTags": [
            { "To_Account": REGISTRATION_ID, "Tags": ["x"] }, { "To_Account": lower, "Tags": ["y"] }
        ] });
        assert!(refusal(add, twice).contains("repeats UserTags[0].To_Account"));
        // UserIDs keep their case: two are two accounts.
        assert!(check(clear, json!({ "To_Account": ["Ann", "ann"] })).is_ok());
        // A get may name an account twice, in any case.
        let get = call(Operation::Get, TagApi::Timpush);
        assert!(check(get, json!({ "To_Account": [REGISTRATION_ID, lower] })).is_ok());
    }

    #[test]
    fn structure_far_past_any_valid_body_is_refused_before_parsing() {
        let get = get();
        let remove = call(Operation::Remove, TagApi::Timpush);
        // The largest valid bodies, and a little past them, are parsed and told exactly.
        let tags: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
        let entries: Vec<_> = accounts(100)
            .into_iter()
            .map(|a| json!({ "To_Account": a, "Tags": tags }))
            .collect();
        assert!(check(remove, json!({ "UserTags": entries })).is_ok());
        assert_eq!(
            check(get, json!({ "To_Account": accounts(201) })).unwrap_err(),
            BodyError::TooManyAccounts {
                field: "To_Account",
                count: 201
            }
        );
        // Far past them, the structure alone refuses them.
        assert_eq!(
            check(get, json!({ "To_Account": accounts(202) })).unwrap_err(),
            BodyError::TooManyParts(202)
        );
        // The other shape's body is told what is wrong with it; one nested deeper is not.
        let other = br#"{"UserTags":[{"To_Account":"a","Tags":["t"]}]}"#;
        assert!(
            get.parse(other)
                .unwrap_err()
                .to_string()
                .contains("does not define")
        );
        let deep = br#"{"UserTags":[{"Tags":[[[[[["t"]]]]]]}]}"#;
        let error = remove.parse(deep).unwrap_err();
        assert_eq!(error, BodyError::TooDeep(8));
        assert_eq!(error.code(), 90001);
        let mut many = serde_json::Map::new();
        // A brace and a comma between each two fields: one part past the bound.
        for i in 0..20_605 {
            many.insert(format!("k{i}"), json!(0));
        }
        assert_eq!(
            check(remove, serde_json::Value::Object(many)).unwrap_err(),
            BodyError::TooManyParts(20_604)
        );
    }
}
