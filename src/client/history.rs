//! The history routes as the package calls them: the paths and query strings, checked before
//! anything is sent; what an undo is asked to undo; the answers read; and the batch id that
//! ties the calls of one write together in the history.

use super::{ClientError, OptionError, OptionProblem};
use crate::api::json::{Json, quoted_within};
use crate::api::request::push_strings;

/// The route that lists the changes, and under which each change is found by its id.
pub const HISTORY_PATH: &str = "/history";
/// The filters `GET /history` takes, as the route names them; a query may hold no others.
pub const FILTERS: [&str; 10] = [
    "account", "tag", "caller", "op", "outcome", "batch", "since", "until", "limit", "cursor",
];
/// Changes listed a page while an undo gathers a batch's changes: the most a page may hold.
pub const UNDO_PAGE: &str = "200";
/// How many hex digits a batch id has.
const BATCH_ID_LENGTH: usize = 16;
/// Lowercase hex digits, for batch ids and percent-encoding.
const HEX: &[u8; 16] = b"0123456789abcdef";

/// A write's batch id: 16 lowercase hex digits, each from one draw of `random` (a number in
/// [0, 1)). Every call of the write carries it, so that its changes are found together in the
/// history and undone together; it needs to be unique among an app's batches, not secret.
pub fn batch_id(random: &mut dyn FnMut() -> f64) -> String {
    let mut id = String::with_capacity(BATCH_ID_LENGTH);
    for _ in 0..BATCH_ID_LENGTH {
        id.push(char::from(HEX[(random() * 16.0) as usize & 15]));
    }
    id
}

/// Appends `value` percent-encoded: every byte but `A-Z a-z 0-9 - . _ ~` as `%xx`, so that
/// whatever a value holds, it reaches the route as it was given, in a path or a query.
pub fn push_encoded(out: &mut String, value: &str) {
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 15)]));
        }
    }
}

/// Appends `name=value` to `/history`, after `?` for the first parameter (while the path is
/// the route's alone) and `&` after that.
fn push_param(path: &mut String, name: &str, value: &str) {
    path.push(if path.len() > HISTORY_PATH.len() {
        '&'
    } else {
        '?'
    });
    path.push_str(name);
    path.push('=');
    push_encoded(path, value);
}

/// `/history` with the caller's query, every field checked before anything is sent: a field
/// that is not a filter, or a value of the wrong type, is refused with 80400 naming it.
/// Fields that are `undefined` or `null` are left out; the others go in the query's order.
pub fn history_path<J: Json>(query: Option<&J>) -> Result<String, ClientError> {
    let mut path = String::from(HISTORY_PATH);
    let Some(query) = query else {
        return Ok(path);
    };
    if !query.is_object() {
        return Err(refused("query", OptionProblem::NotAnObject));
    }
    for key in query.keys() {
        let Some(&name) = FILTERS.iter().find(|name| **name == key) else {
            return Err(ClientError::NotAFilter(quoted_within(&key, 40, 160)));
        };
        let Some(value) = query.field(name) else {
            continue;
        };
        let text = match name {
            "limit" => value
                .integer()
                .filter(|count| *count > 0)
                .map(|count| count.to_string())
                .ok_or(refused(name, OptionProblem::NotACount))?,
            _ => value
                .string()
                .ok_or(refused(name, OptionProblem::NotAString))?,
        };
        push_param(&mut path, name, &text);
    }
    Ok(path)
}

/// The option `name` has `problem`.
fn refused(name: &'static str, problem: OptionProblem) -> ClientError {
    ClientError::InvalidOption(OptionError::new(name, problem))
}

/// Reads `change`'s id: a string that is not empty, sent as given.
pub fn read_id(id: &impl Json) -> Result<String, ClientError> {
    id.string()
        .filter(|id| !id.is_empty())
        .ok_or(refused("id", OptionProblem::NotAnId))
}

/// `/history/{id}`, the id percent-encoded.
pub fn change_path(id: &str) -> String {
    path_of(id, "")
}

/// `/history/{id}{tail}`, the id percent-encoded.
fn path_of(id: &str, tail: &str) -> String {
    let mut path = String::from(HISTORY_PATH);
    path.push('/');
    push_encoded(&mut path, id);
    path.push_str(tail);
    path
}

/// What an undo undoes: one change, or every change of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UndoTarget {
    /// The change with this id.
    Change(String),
    /// Every change whose batch id is this.
    Batch(String),
}

impl UndoTarget {
    /// Reads `undo`'s target: a change id, or `{ batch: id }`, each a non-empty string.
    pub fn read(target: &impl Json) -> Result<UndoTarget, ClientError> {
        let non_empty = |text: Option<String>| text.filter(|text| !text.is_empty());
        if let Some(id) = non_empty(target.string()) {
            return Ok(UndoTarget::Change(id));
        }
        match non_empty(target.field("batch").and_then(|batch| batch.string())) {
            Some(batch) => Ok(UndoTarget::Batch(batch)),
            None => Err(refused("target", OptionProblem::NotATarget)),
        }
    }
}

/// The path of a page of a batch's changes: `limit` at its most, from `cursor` when given.
pub fn batch_page_path(batch: &str, cursor: Option<&str>) -> String {
    let mut path = String::from(HISTORY_PATH);
    push_param(&mut path, "batch", batch);
    push_param(&mut path, "limit", UNDO_PAGE);
    if let Some(cursor) = cursor {
        push_param(&mut path, "cursor", cursor);
    }
    path
}

/// The path and body of an undo of `accounts` of the change `id`.
pub fn undo_request<'a>(id: &str, accounts: impl Iterator<Item = &'a str>) -> (String, String) {
    let mut body = String::from(r#"{"accounts":"#);
    push_strings(&mut body, accounts);
    body.push('}');
    (path_of(id, "/undo"), body)
}

/// A page of the history as the Worker sends it: the ids of its changes, newest first, and
/// the cursor of the next page (`None` on the last); `None` when the answer is not a page:
/// `changes` a list of objects with a string `id`, `next` a string or `null`.
pub fn read_page(page: &impl Json) -> Option<(Vec<String>, Option<String>)> {
    let changes = page.field("changes")?.items()?;
    let next = match page.field_or_null("next")? {
        next if next.is_null() => None,
        next => Some(next.string()?),
    };
    let mut ids = Vec::with_capacity(changes.len());
    for change in &changes {
        ids.push(change.field("id")?.string()?);
    }
    Some((ids, next))
}

/// A change as `GET /history/{id}` sends it: its id, and its accounts, each as the JSON
/// string it is and as text, in the order of the call; `None` when the answer has no `change`
/// with a string `id`, or its `accounts` are not a list of objects with a string `account`.
pub fn read_change<J: Json>(answer: &J) -> Option<(String, Vec<(J, String)>)> {
    let id = answer.field("change")?.field("id")?.string()?;
    let items = answer.field("accounts")?.items()?;
    let mut accounts = Vec::with_capacity(items.len());
    for item in &items {
        let account = item.field("account")?;
        let text = account.string()?;
        accounts.push((account, text));
    }
    Some((id, accounts))
}
