//! The emulated app's tags, and what each call does to them, as `tag-api.md` models the
//! vendor: kept in memory, so a get after an add shows the add; in the legacy generation
//! every account exists; in the current one only known accounts do, and the others are
//! listed in `ErrorList` with 70107; a user holds at most 100 tags and the app at most 1,000.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::api::answer::{AccountError, VendorError};
use crate::api::calls::{Call, Operation, TagApi};
use crate::api::codes::{INVALID_BODY, NO_SUCH_ACCOUNT};
use crate::api::request::{TagRequest, UserTags};

/// The most tags one user may hold.
pub const MAX_TAGS_PER_USER: usize = 100;
/// The most distinct tags the whole app may hold.
pub const MAX_TAGS_PER_APP: usize = 1_000;

/// What a call that was carried out gives back: a get's tags, and the accounts that failed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// A get's tags, one entry per account served.
    pub user_tags: Option<Vec<UserTags>>,
    /// The accounts that failed (current generation only).
    pub failed: Vec<AccountError>,
}

/// The app's tags by account, and the accounts the current generation knows.
#[derive(Debug, Default)]
pub struct Store {
    tags: HashMap<String, Vec<String>>,
    known: HashSet<String>,
    /// How many accounts hold each tag: the app's distinct tags are its keys.
    holders: HashMap<String, usize>,
}

/// Changes decided in one call but not yet made: each account's new tags, and how the number
/// of holders of each tag moves, so that the app's limit is checked without a pass over it.
#[derive(Default)]
struct Pending {
    changes: Vec<(String, Vec<String>)>,
    holders: HashMap<String, isize>,
}

impl Store {
    /// A store holding the seed; the seed's accounts and `known` exist in the current generation.
    pub fn new(
        seed: HashMap<String, Vec<String>>,
        known: impl IntoIterator<Item = String>,
    ) -> Self {
        let known = seed.keys().cloned().chain(known).collect();
        let mut holders = HashMap::new();
        for tag in seed.values().flatten() {
            *holders.entry(tag.clone()).or_insert(0) += 1;
        }
        Self {
            tags: seed,
            known,
            holders,
        }
    }

    /// How many accounts hold tags or are known.
    pub fn accounts(&self) -> usize {
        self.tags
            .keys()
            .chain(&self.known)
            .collect::<HashSet<_>>()
            .len()
    }

    /// Carries out a checked call. A legacy call that would break a limit fails as a whole and
    /// changes nothing; a current one lists the accounts that would, and changes the rest.
    pub fn apply(&mut self, call: Call, request: &TagRequest) -> Result<Applied, VendorError> {
        match (call.operation, request) {
            (Operation::Get, TagRequest::Accounts(accounts)) => Ok(self.get(call.api, accounts)),
            (Operation::Clear, TagRequest::Accounts(accounts)) => {
                Ok(self.clear(call.api, accounts))
            }
            (Operation::Add, TagRequest::Entries { entries, replace }) => {
                let edit = match replace {
                    Some(true) => Edit::Replace,
                    Some(false) | None => Edit::Add,
                };
                self.write(call.api, entries, edit)
            }
            (Operation::Remove, TagRequest::Entries { entries, .. }) => {
                self.write(call.api, entries, Edit::Remove)
            }
            (Operation::Get | Operation::Clear, TagRequest::Entries { .. })
            | (Operation::Add | Operation::Remove, TagRequest::Accounts(_)) => Err(VendorError {
                code: INVALID_BODY,
                info: format!("{call} does not take this body"),
            }),
        }
    }

    /// Whether an account exists in a generation.
    fn exists(&self, api: TagApi, account: &str) -> bool {
        knows_every_account(api) || self.known.contains(account)
    }

    /// The tags of each account that exists; the others fail.
    fn get(&self, api: TagApi, accounts: &[String]) -> Applied {
        let mut outcome = Applied::default();
        let mut served = Vec::new();
        for account in accounts {
            if self.exists(api, account) {
                let tags = self.tags.get(account).cloned().unwrap_or_default();
                served.push(UserTags {
                    to_account: account.clone(),
                    tags,
                });
            } else {
                outcome.failed.push(no_such_account(account));
            }
        }
        outcome.user_tags = Some(served);
        outcome
    }

    /// Removes every tag of each account that exists; the others fail.
    fn clear(&mut self, api: TagApi, accounts: &[String]) -> Applied {
        let mut outcome = Applied::default();
        for account in accounts {
            if self.exists(api, account) {
                for tag in self.tags.remove(account).unwrap_or_default() {
                    self.let_go(&tag);
                }
            } else {
                outcome.failed.push(no_such_account(account));
            }
        }
        outcome
    }

    /// One account fewer holds `tag`; the app no longer holds it when none does.
    fn let_go(&mut self, tag: &str) {
        if let Some(held) = self.holders.get_mut(tag) {
            *held -= 1;
            if *held == 0 {
                self.holders.remove(tag);
            }
        }
    }

    /// Edits the tags of each account given, within the limits: every change is decided
    /// before any is made, so that a legacy call that breaks one changes nothing.
    fn write(
        &mut self,
        api: TagApi,
        entries: &[UserTags],
        edit: Edit,
    ) -> Result<Applied, VendorError> {
        let mut outcome = Applied::default();
        let mut pending = Pending::default();
        for entry in entries {
            let account = &entry.to_account;
            if !self.exists(api, account) {
                outcome.failed.push(no_such_account(account));
                continue;
            }
            let now = self.tags.get(account).cloned().unwrap_or_default();
            let after = edit.after(&now, &entry.tags);
            match self.limit_problem(&mut pending, account, &now, &after) {
                None => pending.changes.push((account.clone(), after)),
                Some(info) if fails_per_account(api) => outcome.failed.push(AccountError {
                    to_account: account.clone(),
                    code: INVALID_BODY,
                    info,
                }),
                Some(info) => {
                    return Err(VendorError {
                        code: INVALID_BODY,
                        info,
                    });
                }
            }
        }
        self.commit(pending);
        Ok(outcome)
    }

    /// Why `account` going from `before` to `after` would break a limit, if it would;
    /// otherwise the move joins the pending ones.
    fn limit_problem(
        &self,
        pending: &mut Pending,
        account: &str,
        before: &[String],
        after: &[String],
    ) -> Option<String> {
        if after.len() > MAX_TAGS_PER_USER {
            return Some(format!(
                "{account} would hold {} tags; a user holds at most {MAX_TAGS_PER_USER}",
                after.len()
            ));
        }
        self.app_limit_problem(pending, before, after)
    }

    /// Makes the changes decided.
    fn commit(&mut self, pending: Pending) {
        for (tag, moved) in pending.holders {
            let held = self.holders.get(&tag).copied().unwrap_or(0) as isize + moved;
            if held > 0 {
                self.holders.insert(tag, held as usize);
            } else {
                self.holders.remove(&tag);
            }
        }
        for (account, tags) in pending.changes {
            self.tags.insert(account, tags);
        }
    }

    /// Why an account going from `before` to `after`, after the changes already pending,
    /// would take the app past its distinct tags, if it would; otherwise the move joins them.
    fn app_limit_problem(
        &self,
        pending: &mut Pending,
        before: &[String],
        after: &[String],
    ) -> Option<String> {
        let held = |tag: &str| self.holders.get(tag).copied().unwrap_or(0) as isize;
        let mut distinct = self.holders.len() as isize;
        for (tag, moved) in &pending.holders {
            distinct += isize::from(held(tag) + moved > 0) - isize::from(held(tag) > 0);
        }
        let mut moves: Vec<(&String, isize)> = Vec::new();
        moves.extend(
            before
                .iter()
                .filter(|t| !after.contains(t))
                .map(|t| (t, -1)),
        );
        moves.extend(after.iter().filter(|t| !before.contains(t)).map(|t| (t, 1)));
        for (tag, moved) in &moves {
            let was = held(tag) + pending.holders.get(*tag).copied().unwrap_or(0);
            distinct += isize::from(was + moved > 0) - isize::from(was > 0);
        }
        if distinct > MAX_TAGS_PER_APP as isize {
            return Some(format!(
                "the app would hold {distinct} distinct tags; it holds at most {MAX_TAGS_PER_APP}"
            ));
        }
        for (tag, moved) in moves {
            *pending.holders.entry(tag.clone()).or_insert(0) += moved;
        }
        None
    }
}

/// How a write changes an account's tags.
#[derive(Debug, Clone, Copy)]
enum Edit {
    /// Adds the tags given to those held.
    Add,
    /// Sets the tags exactly (an add with `"Replace": 1`).
    Replace,
    /// Removes the tags given from those held.
    Remove,
}

impl Edit {
    /// The tags an account holding `now` holds after this edit with `given`.
    fn after(self, now: &[String], given: &[String]) -> Vec<String> {
        match self {
            Edit::Add => distinct(now.iter().chain(given)),
            Edit::Replace => distinct(given),
            Edit::Remove => now.iter().filter(|t| !given.contains(t)).cloned().collect(),
        }
    }
}

/// Whether a generation knows every account (the legacy one) or only known ones.
fn knows_every_account(api: TagApi) -> bool {
    match api {
        TagApi::AllMemberPush => true,
        TagApi::Timpush => false,
    }
}

/// Whether a generation lists the accounts that failed and carries out the rest (the current
/// one), rather than failing the whole call.
fn fails_per_account(api: TagApi) -> bool {
    match api {
        TagApi::AllMemberPush => false,
        TagApi::Timpush => true,
    }
}

/// The tags, each once, in their first order.
fn distinct<'a>(tags: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    tags.into_iter()
        .filter(|tag| seen.insert(tag.as_str()))
        .cloned()
        .collect()
}

fn no_such_account(account: &str) -> AccountError {
    AccountError {
        to_account: account.into(),
        code: NO_SUCH_ACCOUNT,
        info: "account does not exist".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(operation: Operation, api: TagApi) -> Call {
        Call { operation, api }
    }

    fn store() -> Store {
        let seed = HashMap::from([
            ("alice".to_owned(), vec!["vip".to_owned()]),
            ("bob".to_owned(), vec![]),
        ]);
        Store::new(seed, ["dev-379C".to_owned()])
    }

    fn run(
        store: &mut Store,
        operation: Operation,
        api: TagApi,
        body: &str,
    ) -> Result<Applied, VendorError> {
        let call = call(operation, api);
        store.apply(call, &call.parse(body.as_bytes()).unwrap())
    }

    fn tags_of(store: &mut Store, api: TagApi, account: &str) -> Vec<String> {
        let body = format!(r#"{{"To_Account":["{account}"]}}"#);
        let outcome = run(store, Operation::Get, api, &body).unwrap();
        outcome
            .user_tags
            .unwrap()
            .pop()
            .map(|u| u.tags)
            .unwrap_or_default()
    }

    #[test]
    fn a_get_after_an_add_shows_it_and_replace_sets_exactly() {
        let mut store = store();
        for api in TagApi::ALL {
            run(
                &mut store,
                Operation::Add,
                api,
                r#"{"UserTags":[{"To_Account":"alice","Tags":["cn","vip"]}]}"#,
            )
            .unwrap();
            assert_eq!(tags_of(&mut store, api, "alice"), ["vip", "cn"]);
        }
        run(
            &mut store,
            Operation::Add,
            TagApi::Timpush,
            r#"{"UserTags":[{"To_Account":"alice","Tags":["new"]}],"Replace":1}"#,
        )
        .unwrap();
        assert_eq!(tags_of(&mut store, TagApi::AllMemberPush, "alice"), ["new"]);
        run(
            &mut store,
            Operation::Remove,
            TagApi::AllMemberPush,
            r#"{"UserTags":[{"To_Account":"alice","Tags":["new","absent"]}]}"#,
        )
        .unwrap();
        assert!(tags_of(&mut store, TagApi::AllMemberPush, "alice").is_empty());
        run(
            &mut store,
            Operation::Add,
            TagApi::AllMemberPush,
            r#"{"UserTags":[{"To_Account":"bob","Tags":["a","b"]}]}"#,
        )
        .unwrap();
        run(
            &mut store,
            Operation::Clear,
            TagApi::Timpush,
            r#"{"To_Account":["bob"]}"#,
        )
        .unwrap();
        assert!(tags_of(&mut store, TagApi::AllMemberPush, "bob").is_empty());
    }

    #[test]
    fn a_body_of_the_other_shape_is_refused_and_changes_nothing() {
        let mut store = store();
        let user_tags = TagRequest::Entries {
            entries: vec![UserTags {
                to_account: "alice".into(),
                tags: vec!["vip".into()],
            }],
            replace: None,
        };
        let accounts = TagRequest::Accounts(vec!["alice".into()]);
        for api in TagApi::ALL {
            for (operation, request) in [
                (Operation::Get, &user_tags),
                (Operation::Clear, &user_tags),
                (Operation::Add, &accounts),
                (Operation::Remove, &accounts),
            ] {
                let refused = store.apply(call(operation, api), request).unwrap_err();
                assert_eq!(refused.code, INVALID_BODY);
                assert!(
                    refused.info.contains("does not take this body"),
                    "{refused:?}"
                );
            }
        }
        assert_eq!(tags_of(&mut store, TagApi::AllMemberPush, "alice"), ["vip"]);
    }

    #[test]
    fn the_legacy_generation_knows_every_account_the_current_only_known_ones() {
        let mut store = store();
        let add = r#"{"UserTags":[{"To_Account":"newcomer","Tags":["x"]},{"To_Account":"dev-379C","Tags":["y"]}]}"#;
        let legacy = run(&mut store, Operation::Add, TagApi::AllMemberPush, add).unwrap();
        assert!(legacy.failed.is_empty());
        assert_eq!(
            tags_of(&mut store, TagApi::AllMemberPush, "newcomer"),
            ["x"]
        );
        let current = run(&mut store, Operation::Add, TagApi::Timpush, r#"{"UserTags":[{"To_Account":"stranger","Tags":["x"]},{"To_Account":"alice","Tags":["z"]}]}"#).unwrap();
        assert_eq!(current.failed, [no_such_account("stranger")]);
        assert_eq!(tags_of(&mut store, TagApi::Timpush, "alice"), ["vip", "z"]);
        let get = run(
            &mut store,
            Operation::Get,
            TagApi::Timpush,
            r#"{"To_Account":["newcomer","dev-379C"]}"#,
        )
        .unwrap();
        assert_eq!(get.failed, [no_such_account("newcomer")]);
        assert_eq!(get.user_tags.unwrap()[0].to_account, "dev-379C");
    }

    #[test]
    fn a_user_holds_at_most_100_tags() {
        let mut store = store();
        let tags: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
        let replace = serde_json::json!({ "UserTags": [{ "To_Account": "alice", "Tags": tags }], "Replace": 1 });
        run(
            &mut store,
            Operation::Add,
            TagApi::Timpush,
            &replace.to_string(),
        )
        .unwrap();
        let one_more = r#"{"UserTags":[{"To_Account":"alice","Tags":["over"]},{"To_Account":"bob","Tags":["fine"]}]}"#;
        let current = run(&mut store, Operation::Add, TagApi::Timpush, one_more).unwrap();
        assert_eq!(current.failed.len(), 1);
        assert_eq!(
            (
                current.failed[0].to_account.as_str(),
                current.failed[0].code
            ),
            ("alice", 90001)
        );
        assert!(
            current.failed[0].info.contains("a user holds at most 100"),
            "{:?}",
            current.failed
        );
        assert_eq!(tags_of(&mut store, TagApi::Timpush, "bob"), ["fine"]);
        let legacy = run(
            &mut store,
            Operation::Add,
            TagApi::AllMemberPush,
            r#"{"UserTags":[{"To_Account":"bob","Tags":["x"]},{"To_Account":"alice","Tags":["over"]}]}"#,
        );
        assert_eq!(legacy.as_ref().unwrap_err().code, 90001);
        // The legacy call failed as a whole: bob was not changed either.
        assert_eq!(tags_of(&mut store, TagApi::AllMemberPush, "bob"), ["fine"]);
    }

    #[test]
    fn the_app_holds_at_most_1000_distinct_tags() {
        let mut store = Store::new(HashMap::new(), (0..20).map(|i| format!("u{i}")));
        for i in 0..10 {
            let tags: Vec<String> = (0..100).map(|t| format!("tag{}", i * 100 + t)).collect();
            let body = serde_json::json!({ "UserTags": [{ "To_Account": format!("u{i}"), "Tags": tags }], "Replace": 1 });
            assert!(
                run(
                    &mut store,
                    Operation::Add,
                    TagApi::Timpush,
                    &body.to_string()
                )
                .unwrap()
                .failed
                .is_empty()
            );
        }
        let known_tag = r#"{"UserTags":[{"To_Account":"u10","Tags":["tag5"]}]}"#;
        assert!(
            run(&mut store, Operation::Add, TagApi::Timpush, known_tag)
                .unwrap()
                .failed
                .is_empty()
        );
        let new_tag = r#"{"UserTags":[{"To_Account":"u11","Tags":["tag-1001"]}]}"#;
        let outcome = run(&mut store, Operation::Add, TagApi::Timpush, new_tag).unwrap();
        assert!(
            outcome.failed[0].info.contains("it holds at most 1000"),
            "{:?}",
            outcome.failed
        );
        // Clearing a user frees the tags only it held.
        run(
            &mut store,
            Operation::Clear,
            TagApi::Timpush,
            r#"{"To_Account":["u9"]}"#,
        )
        .unwrap();
        assert!(
            run(&mut store, Operation::Add, TagApi::Timpush, new_tag)
                .unwrap()
                .failed
                .is_empty()
        );
        // Replacing a user's tags frees the ones only it held.
        let swap = r#"{"UserTags":[{"To_Account":"u0","Tags":["tag-1001"]}],"Replace":1}"#;
        assert!(
            run(&mut store, Operation::Add, TagApi::Timpush, swap)
                .unwrap()
                .failed
                .is_empty()
        );
    }
}
