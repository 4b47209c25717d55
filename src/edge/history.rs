//! The history of changes, kept in D1: what a write turns into (a change and its accounts, with
//! their tags before and after), the routes that serve it, the statements that store and read
//! it, and what retention deletes. Every value is bound as a parameter; the SQL here is fixed
//! text, and the database writes the routes' JSON itself.

use std::borrow::Cow;
use std::collections::BTreeSet;

use serde::Serialize;

use crate::api::account::same_account_key;
use crate::api::answer::AccountError;
use crate::api::calls::{Call, Operation, TagApi};
use crate::api::invalid::quoted_short;
use crate::api::request::TagRequest;

/// The list of changes; one change is at `/history/{id}`, its undo at `/history/{id}/undo`.
pub const HISTORY_PATH: &str = "/history";
/// The undo route, as a refusal names it.
pub const UNDO_PATH: &str = "/history/{id}/undo";
/// The header a caller names a batch with, so that the changes of one action share it.
pub const BATCH_HEADER: &str = "X-Tim-Batch";
/// The header an answer carries when its change could not be stored.
pub const HISTORY_FAILED_HEADER: &str = "X-Tim-History";
/// The longest batch id, and the longest value a text filter takes: longer ones name nothing
/// stored (accounts, tags and callers are all shorter).
const MAX_BATCH_CHARS: usize = 64;
const MAX_FILTER_BYTES: usize = 256;
/// Changes a page holds unless asked otherwise, and at most.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;
/// The longest history is kept, unless `HISTORY_RETENTION_DAYS` says otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;
/// How many changes one retention transaction deletes: a bounded amount of work each.
pub const RETENTION_CHUNK: u32 = 500;
/// How many of them one run takes at most, however much is due: the next run takes the rest.
pub const RETENTION_CHUNKS_PER_RUN: u32 = 20;
const DAY_MS: i64 = 86_400_000;

/// Which history route a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryRoute {
    /// `GET /history`.
    List,
    /// `GET /history/{id}`.
    Change(i64),
    /// `POST /history/{id}/undo`.
    Undo(i64),
}

impl HistoryRoute {
    /// The history route at `path`, if it is one; an id that is not a change's number is not.
    pub fn at(path: &str) -> Option<Self> {
        let rest = path.strip_prefix(HISTORY_PATH)?;
        if rest.is_empty() {
            return Some(Self::List);
        }
        let rest = rest.strip_prefix('/')?;
        match rest.strip_suffix("/undo") {
            Some(id) => change_id(id).map(Self::Undo),
            None => change_id(rest).map(Self::Change),
        }
    }
}

/// A change's id as the routes write it: its number, in decimal.
fn change_id(text: &str) -> Option<i64> {
    let digits = (1..=15).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| text.parse().ok()).flatten()
}

/// Why a history request is refused (400 / 90001).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryProblem {
    /// `X-Tim-Batch` is not an id.
    #[error("X-Tim-Batch must be 1 to 64 of A-Z a-z 0-9 _ -, not {}", quoted_short(.0))]
    Batch(String),
    /// A query parameter the history does not take.
    #[error(
        "the history takes no parameter {}: use account, tag, caller, op, outcome, batch, since, until, limit or cursor",
        quoted_short(.0)
    )]
    UnknownParameter(String),
    /// A query parameter given twice.
    #[error("{0} is given more than once")]
    Repeated(&'static str),
    /// A query parameter's value is not one it takes.
    #[error("{name} must be {expected}, not {}", quoted_short(.value))]
    Value {
        /// The parameter.
        name: &'static str,
        /// What it takes.
        expected: &'static str,
        /// What came.
        value: String,
    },
    /// An undo's body is not `{"accounts": [...]}` of 1 to 100 strings.
    #[error("an undo takes {{\"accounts\": [1 to 100 accounts of the change]}} and nothing else")]
    UndoBody,
    /// An undo names an account the change does not have.
    #[error("{} is not an account of change {change}", quoted_short(.account))]
    NotInChange {
        /// The account named.
        account: String,
        /// The change.
        change: i64,
    },
}

/// The batch a request belongs to, from its `X-Tim-Batch` header, if it names one.
pub fn batch_of(header: Option<&str>) -> Result<Option<String>, HistoryProblem> {
    let Some(batch) = header else {
        return Ok(None);
    };
    let valid = (1..=MAX_BATCH_CHARS).contains(&batch.len())
        && batch
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    match valid {
        true => Ok(Some(batch.to_owned())),
        false => Err(HistoryProblem::Batch(batch.into())),
    }
}

/// A value bound to a statement's `?`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Param {
    /// Text.
    Text(String),
    /// An integer (times in milliseconds, ids and counts stay within 2^53).
    Number(i64),
    /// SQL `NULL`.
    Null,
}

/// One SQL statement and the values bound to its `?`s in order, written for the runtime as
/// `[sql, [values]]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement(pub Cow<'static, str>, pub Vec<Param>);

impl Statement {
    fn fixed(sql: &'static str, params: Vec<Param>) -> Self {
        Statement(Cow::Borrowed(sql), params)
    }
}

/// The statements of one transaction, as the runtime takes them: a JSON array.
pub fn statements_json(statements: &[Statement]) -> String {
    json_text(&statements)
}

fn json_text(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("text and numbers always serialize")
}

/// A change as the routes write it (`history.md`), made by the database from its row.
macro_rules! change_json {
    () => {
        "json_object('id', CAST(id AS TEXT), \
'at', strftime('%Y-%m-%dT%H:%M:%fZ', at / 1000.0, 'unixepoch'), 'caller', caller, 'op', op, \
'api', api, 'request_id', request_id, 'tags', json(tags), \
'replace', json(CASE WHEN replace_all THEN 'true' ELSE 'false' END), 'outcome', outcome, \
'code', code, 'accounts', accounts, 'done', done, 'failed', failed, 'batch', batch, \
'undo_of', CAST(undo_of AS TEXT))"
    };
}

/// Each filter of the list: its parameter, and its condition on a change.
const FILTERS: [(&str, &str); 8] = [
    (
        "account",
        " AND id IN (SELECT change_id FROM change_accounts WHERE account = ?)",
    ),
    (
        "tag",
        " AND id IN (SELECT change_id FROM change_tags WHERE tag = ?)",
    ),
    ("caller", " AND caller = ?"),
    ("op", " AND op = ?"),
    ("outcome", " AND outcome = ?"),
    ("batch", " AND batch = ?"),
    ("since", " AND at >= ?"),
    ("until", " AND at <= ?"),
];

/// A checked `GET /history` query: its filters' conditions and values, and the page wanted.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    conditions: Vec<(&'static str, Param)>,
    limit: u32,
    /// Changes older than this id: where the previous page ended.
    cursor: Option<i64>,
}

impl ListQuery {
    /// Reads the query's parameters, decoded; an empty value is the same as none.
    pub fn read<'a>(
        pairs: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, HistoryProblem> {
        let mut query = ListQuery {
            conditions: Vec::new(),
            limit: DEFAULT_LIMIT,
            cursor: None,
        };
        let mut seen: Vec<&'static str> = Vec::new();
        for (name, value) in pairs {
            let name = parameter(name)?;
            if seen.contains(&name) {
                return Err(HistoryProblem::Repeated(name));
            }
            seen.push(name);
            if !value.is_empty() {
                query.take(name, value)?;
            }
        }
        Ok(query)
    }

    fn take(&mut self, name: &'static str, value: &str) -> Result<(), HistoryProblem> {
        let bad = |expected| HistoryProblem::Value {
            name,
            expected,
            value: value.into(),
        };
        let param = match name {
            "limit" => {
                self.limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| bad("a whole number from 1 to 200"))?;
                return Ok(());
            }
            "cursor" => {
                self.cursor = Some(change_id(value).ok_or_else(|| bad("a next from a page"))?);
                return Ok(());
            }
            "op" => one_of(value, &["add", "remove", "clear", "undo"])
                .ok_or_else(|| bad("add, remove, clear or undo"))?,
            "outcome" => one_of(value, &["ok", "partial", "failed"])
                .ok_or_else(|| bad("ok, partial or failed"))?,
            "batch" => batch_of(Some(value))
                .map_err(|_| bad("1 to 64 of A-Z a-z 0-9 _ -"))?
                .map_or(Param::Null, Param::Text),
            "since" | "until" => {
                Param::Number(rfc3339_ms(value).ok_or_else(|| bad("an RFC 3339 time"))?)
            }
            _ if value.len() > MAX_FILTER_BYTES => return Err(bad("at most 256 bytes")),
            _ => Param::Text(value.into()),
        };
        let condition = FILTERS
            .iter()
            .find(|(filter, _)| *filter == name)
            .map_or("", |(_, condition)| condition);
        self.conditions.push((condition, param));
        Ok(())
    }

    /// The statement that writes the page as `{"changes": [...], "next": ...}`: one more change
    /// than the page is read, and `next` is where it starts.
    pub fn statement(&self) -> Statement {
        let mut params: Vec<Param> = Vec::new();
        let mut filters = String::new();
        for (condition, value) in &self.conditions {
            filters.push_str(condition);
            params.push(value.clone());
        }
        if let Some(cursor) = self.cursor {
            filters.push_str(" AND id < ?");
            params.push(Param::Number(cursor));
        }
        params.push(Param::Number(i64::from(self.limit) + 1));
        params.push(Param::Number(i64::from(self.limit)));
        params.push(Param::Number(i64::from(self.limit)));
        // Only the fixed conditions above are joined into the SQL; every value is bound.
        let sql = format!(
            "WITH page AS (SELECT * FROM changes WHERE 1{filters} ORDER BY id DESC LIMIT ?) {}",
            concat!(
                "SELECT json_object('changes', (SELECT json_group_array(json(",
                change_json!(),
                ")) FROM (SELECT * FROM page ORDER BY id DESC LIMIT ?)), 'next', ",
                "(SELECT CAST(id + 1 AS TEXT) FROM page ORDER BY id DESC LIMIT 1 OFFSET ?))"
            )
        );
        Statement(Cow::Owned(sql), params)
    }
}

fn parameter(name: &str) -> Result<&'static str, HistoryProblem> {
    FILTERS
        .iter()
        .map(|(filter, _)| *filter)
        .chain(["limit", "cursor"])
        .find(|known| *known == name)
        .ok_or_else(|| HistoryProblem::UnknownParameter(name.into()))
}

fn one_of(value: &str, names: &[&str]) -> Option<Param> {
    names.contains(&value).then(|| Param::Text(value.into()))
}

/// `{"change": ..., "accounts": [...]}` for one change, or no row when there is none.
pub fn change_statement(id: i64) -> Statement {
    const SQL: &str = concat!(
        "SELECT json_object('change', json(",
        change_json!(),
        "), 'accounts', (SELECT json_group_array(json_object('account', account, ",
        "'outcome', outcome, 'code', code, 'before', json(tags_before), ",
        "'after', json(tags_after))) FROM (SELECT * FROM change_accounts ",
        "WHERE change_id = ? ORDER BY position))) FROM changes WHERE id = ?"
    );
    Statement::fixed(SQL, vec![Param::Number(id), Param::Number(id)])
}

/// What came of one account in a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountOutcome {
    /// The vendor changed it.
    Done,
    /// The vendor refused it, or the call as a whole: its tags are as before.
    Failed,
    /// The call got no usable answer: the vendor may or may not have changed it.
    Unknown,
}

/// One account of a change: what came of it, and its tags before and after, when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedAccount {
    /// The account.
    pub account: String,
    /// What came of it.
    pub outcome: AccountOutcome,
    /// The vendor's code for it (0 when done), or the Worker's when there was no answer.
    pub code: i64,
    /// Its tags just before, as read then; `None` when that read failed.
    pub before: Option<Vec<String>>,
    /// Its tags after: `before` with the change applied when done, `before` when failed.
    pub after: Option<Vec<String>>,
}

/// One change: a write that reached the vendor, and each of its accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// When it was answered, in milliseconds since the epoch.
    pub at_ms: i64,
    /// Who asked for it; never a token.
    pub caller: String,
    /// `add`, `remove`, `clear` or `undo`.
    pub op: &'static str,
    /// The generation called.
    pub api: &'static str,
    /// The request it was made by.
    pub request_id: String,
    /// The tags it named (for an undo: every tag it took away or put back).
    pub tags: Vec<String>,
    /// Whether it set the tags exactly.
    pub replace: bool,
    /// The vendor's code for the call, or the Worker's when there was no usable answer.
    pub code: i64,
    /// The batch it belongs to.
    pub batch: Option<String>,
    /// The change it undid.
    pub undo_of: Option<i64>,
    /// Its accounts, in the order of the call.
    pub accounts: Vec<ChangedAccount>,
}

impl Change {
    /// The change as one JSON object: what its log line holds when it cannot be stored, and
    /// the one value its statements bind.
    pub fn to_json(&self) -> String {
        json_text(self)
    }

    /// The change as JSON ([`Change::to_json`], what its log line holds when it cannot be
    /// stored) and the statements that store it in one transaction, the last giving its id:
    /// the change, with its outcome and counts; the tags it touched, for the tag filter; and
    /// its accounts. The JSON is bound once, for the accounts: the rest is decided here, so
    /// that SQLite reads no JSON twice.
    pub fn statements(&self) -> (String, Vec<Statement>) {
        let change_json = self.to_json();
        const CHANGE: &str = "INSERT INTO changes (at, caller, op, api, request_id, tags, \
replace_all, outcome, code, accounts, done, failed, batch, undo_of) \
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        const TAGS: &str = "INSERT OR IGNORE INTO change_tags (tag, change_id) \
SELECT value, last_insert_rowid() FROM json_each(?)";
        const ACCOUNTS: &str = "INSERT INTO change_accounts (change_id, position, account, \
outcome, code, tags_before, tags_after) SELECT last_insert_rowid(), key, \
value ->> 'account', value ->> 'outcome', value ->> 'code', \
json_extract(value, '$.before'), json_extract(value, '$.after') FROM json_each(?, '$.accounts')";
        const ID: &str = "SELECT CAST(last_insert_rowid() AS TEXT)";
        let count = |outcome| {
            self.accounts
                .iter()
                .filter(|a| a.outcome == outcome)
                .count()
        };
        let failed = count(AccountOutcome::Failed);
        // Failed when the call was refused or got no usable answer, partial when the vendor
        // failed some of its accounts.
        let outcome = match (self.code, failed) {
            (0, 0) => "ok",
            (0, _) => "partial",
            _ => "failed",
        };
        let change = vec![
            Param::Number(self.at_ms),
            Param::Text(self.caller.clone()),
            Param::Text(self.op.into()),
            Param::Text(self.api.into()),
            Param::Text(self.request_id.clone()),
            Param::Text(json_text(&self.tags)),
            Param::Number(i64::from(self.replace)),
            Param::Text(outcome.into()),
            Param::Number(self.code),
            Param::Number(self.accounts.len() as i64),
            Param::Number(count(AccountOutcome::Done) as i64),
            Param::Number(failed as i64),
            self.batch.clone().map_or(Param::Null, Param::Text),
            self.undo_of.map_or(Param::Null, Param::Number),
        ];
        let statements = vec![
            Statement::fixed(CHANGE, change),
            Statement::fixed(TAGS, vec![Param::Text(json_text(&self.touched_tags()))]),
            Statement::fixed(ACCOUNTS, vec![Param::Text(change_json.clone())]),
            Statement::fixed(ID, Vec::new()),
        ];
        (change_json, statements)
    }

    /// The tags the tag filter finds it by: those it named, and those any account gained or
    /// lost (a clear names none, yet takes every tag its accounts held), each once, in the
    /// order first met. A replace of 100 accounts may touch 10,000: a set keeps it linear.
    fn touched_tags(&self) -> Vec<&str> {
        let changed = self.accounts.iter().flat_map(|account| {
            let (before, after): (&[String], &[String]) = match (&account.before, &account.after) {
                (Some(before), Some(after)) => (before, after),
                // Without both, what it gained or lost is not known.
                _ => (&[], &[]),
            };
            let lost = before.iter().filter(move |tag| !after.contains(tag));
            let gained = after.iter().filter(move |tag| !before.contains(tag));
            lost.chain(gained)
        });
        let mut seen = BTreeSet::new();
        self.tags
            .iter()
            .chain(changed)
            .map(String::as_str)
            .filter(|tag| seen.insert(*tag))
            .collect()
    }

    /// The log line that holds the whole change when it could not be stored.
    pub fn lost_line(change_json: &str) -> String {
        format!(r#"{{"event":"history","ok":false,"change":{change_json}}}"#)
    }
}

/// How a write to the vendor ended, for its change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteEnd<'a> {
    /// The vendor answered with this code and these failed accounts.
    Answered {
        /// Its `ErrorCode`.
        code: i64,
        /// Its `ErrorList`.
        failed: &'a [AccountError],
    },
    /// No usable answer came; the Worker's code for why.
    NoAnswer(i64),
}

impl<'a> WriteEnd<'a> {
    /// The code the change records.
    pub fn code(self) -> i64 {
        match self {
            WriteEnd::Answered { code, .. } | WriteEnd::NoAnswer(code) => code,
        }
    }

    /// What came of `account` (of generation `api`, either spelling of a RegistrationID) in
    /// this write: `None` when the vendor changed it, else its outcome, code and the vendor's
    /// reason when it gave one.
    pub fn of_account(self, api: TagApi, account: &str) -> Option<(AccountOutcome, i64, &'a str)> {
        match self {
            WriteEnd::Answered { code: 0, failed } => {
                let key = same_account_key(api, account);
                failed
                    .iter()
                    .find(|f| same_account_key(api, &f.to_account) == key)
                    .map(|f| (AccountOutcome::Failed, f.code, f.info.as_str()))
            }
            WriteEnd::Answered { code, .. } => Some((AccountOutcome::Failed, code, "")),
            WriteEnd::NoAnswer(code) => Some((AccountOutcome::Unknown, code, "")),
        }
    }
}

/// Each account of a write, with its tags before (as `before` lists them: accounts and tags,
/// `None` when that read failed), what came of it, and its tags after.
pub fn changed_accounts(
    call: Call,
    request: &TagRequest,
    before: Option<&[(String, Vec<String>)]>,
    end: WriteEnd<'_>,
) -> Vec<ChangedAccount> {
    let key = |account: &str| same_account_key(call.api, account).into_owned();
    let mut changed = Vec::new();
    for (account, tags) in request_entries(request) {
        let held = before.and_then(|before| {
            before
                .iter()
                .find(|(other, _)| key(other) == key(account))
                .map(|(_, tags)| tags.clone())
        });
        let (outcome, code) = match end.of_account(call.api, account) {
            None => (AccountOutcome::Done, 0),
            Some((outcome, code, _)) => (outcome, code),
        };
        let after = match outcome {
            AccountOutcome::Done => {
                applied(call.operation, request.replace(), tags, held.as_deref())
            }
            AccountOutcome::Failed => held.clone(),
            AccountOutcome::Unknown => None,
        };
        changed.push(ChangedAccount {
            account: account.to_owned(),
            outcome,
            code,
            before: held,
            after,
        });
    }
    changed
}

/// Each account of a request, with the tags it names for that account.
fn request_entries(request: &TagRequest) -> Vec<(&str, &[String])> {
    match request {
        TagRequest::Accounts(accounts) => accounts.iter().map(|a| (a.as_str(), &[][..])).collect(),
        TagRequest::Entries { entries, .. } => entries
            .iter()
            .map(|e| (e.to_account.as_str(), e.tags.as_slice()))
            .collect(),
    }
}

/// An account's tags once `operation` with `tags` is applied to those it held; unknown when
/// what it held is, unless the operation sets them whatever they were.
pub fn applied(
    operation: Operation,
    replace: bool,
    tags: &[String],
    held: Option<&[String]>,
) -> Option<Vec<String>> {
    match (operation, replace, held) {
        (Operation::Clear, ..) => Some(Vec::new()),
        (Operation::Add, true, _) => {
            let mut set: Vec<String> = Vec::new();
            for tag in tags {
                if !set.contains(tag) {
                    set.push(tag.clone());
                }
            }
            Some(set)
        }
        (_, _, None) => None,
        (Operation::Add, false, Some(held)) => {
            let mut after = held.to_vec();
            for tag in tags {
                if !after.contains(tag) {
                    after.push(tag.clone());
                }
            }
            Some(after)
        }
        (Operation::Remove, _, Some(held)) => {
            Some(held.iter().filter(|t| !tags.contains(t)).cloned().collect())
        }
        (Operation::Get, _, Some(held)) => Some(held.to_vec()),
    }
}

/// The days of history kept, from `HISTORY_RETENTION_DAYS` (unset: the default).
pub fn retention_days(setting: Option<&str>) -> Option<u32> {
    match setting {
        None => Some(DEFAULT_RETENTION_DAYS),
        Some(days) => days.parse().ok().filter(|d| (1..=36_500).contains(d)),
    }
}

/// The ids of up to one chunk of changes older than `days` before `now_ms`, oldest first, as a
/// JSON array; then [`retention_delete`] deletes them and everything of theirs.
pub fn retention_select(now_ms: i64, days: u32) -> Statement {
    const SQL: &str = "SELECT json_group_array(id) FROM \
(SELECT id FROM changes WHERE at < ? ORDER BY id LIMIT ?)";
    let cutoff = now_ms - i64::from(days) * DAY_MS;
    Statement::fixed(
        SQL,
        vec![Param::Number(cutoff), Param::Number(RETENTION_CHUNK.into())],
    )
}

/// Deletes the changes whose ids `ids` (a JSON array) lists, with their accounts and tags.
pub fn retention_delete(ids: &str) -> Vec<Statement> {
    const SQL: [&str; 3] = [
        "DELETE FROM change_accounts WHERE change_id IN (SELECT value FROM json_each(?))",
        "DELETE FROM change_tags WHERE change_id IN (SELECT value FROM json_each(?))",
        "DELETE FROM changes WHERE id IN (SELECT value FROM json_each(?))",
    ];
    SQL.iter()
        .map(|sql| Statement::fixed(sql, vec![Param::Text(ids.into())]))
        .collect()
}

/// Milliseconds since the epoch of an RFC 3339 time such as `2026-12-04T18:03:11.512Z` or
/// `2026-12-04T20:03:11+02:00`; `None` for anything else, an impossible date included.
pub fn rfc3339_ms(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let number = |from: usize, to: usize| -> Option<i64> {
        let digits = b.get(from..to)?;
        digits
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| digits.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if b.len() < 20 || !separators.iter().all(|&(i, c)| b[i] == c) || !matches!(b[10], b'T' | b't')
    {
        return None;
    }
    let (year, month, day) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
    let (hour, minute, second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);
    let mut at = 19;
    let mut millis = 0;
    if b[at] == b'.' {
        let digits = b[at + 1..]
            .iter()
            .take_while(|d| d.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        let kept = digits.min(3);
        millis = number(at + 1, at + 1 + kept)? * 10_i64.pow(3 - kept as u32);
        at += 1 + digits;
    }
    let offset_minutes = match b.get(at..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (hours, minutes) = (number(at + 1, at + 3)?, number(at + 4, at + 6)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 60 + minutes;
            if *sign == b'-' { -offset } else { offset }
        }
        _ => return None,
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let valid = (1..=12).contains(&month)
        && (1..=month_days[(month - 1).clamp(0, 11) as usize]).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60;
    if !valid {
        return None;
    }
    let minutes = (days_from_civil(year, month, day) * 24 + hour) * 60 + minute - offset_minutes;
    Some((minutes * 60 + second) * 1000 + millis)
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests;
