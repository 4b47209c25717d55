//! The history in D1 (`HISTORY`): the change each write leaves, the routes that read it, the
//! undo, and retention. What to store, ask and answer is decided in [`crate::edge::history`]
//! and [`crate::edge::undo`]; here the statements go to the database and the vendor.

use std::borrow::Cow;

use js_sys::Reflect;
use serde::Serialize;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use worker::Env;

use super::js::{parse_text, read_json, run_statements};
use super::pacing::Pacing;
use super::reply::{Reply, ReplyBody};
use super::request_body::read_body;
use super::vendor::{Forwarded, forward};
use super::{Handled, Incoming, Trace, apart, log};
use crate::api::answer::{AccountError, answered_tags, failed_accounts};
use crate::api::calls::{Call, Operation, TagApi};
use crate::api::codes::Coded;
use crate::api::json::Json;
use crate::api::request::TagRequest;
use crate::edge::history::{
    Change, ChangedAccount, HISTORY_FAILED_HEADER, ListQuery, Statement, WriteEnd,
    change_statement, retention_days, retention_delete, retention_select, statements_json,
};
use crate::edge::setting::{SettingProblem, SettingProblems};
use crate::edge::undo::{
    StoredChange, UndoAnswer, Undoing, plan, still_to_send, tag_list, undo_accounts, writes,
};
use crate::edge::{AuditLog, Caller, EdgeError, UpstreamSettings};

/// The most an undo's body may hold: 100 accounts, with room to spare.
const UNDO_BODY_LIMIT: usize = 64 * 1024;

/// Whether the Worker has a history to keep.
pub(super) fn bound(env: &Env) -> bool {
    Reflect::get(env.as_ref(), &"HISTORY".into()).is_ok_and(|db| !db.is_undefined())
}

/// Runs statements in one transaction; the first column of the first row any of them gives.
async fn run(env: &Env, statements: &[Statement]) -> Result<Option<String>, JsValue> {
    let promise = run_statements(env.as_ref(), &statements_json(statements));
    Ok(JsFuture::from(promise).await?.as_string())
}

/// The same, for a route that reads: a database that fails is the Worker's failure.
async fn read(env: &Env, statement: Statement) -> Result<Option<String>, EdgeError> {
    if !bound(env) {
        return Err(EdgeError::Misconfigured(SettingProblems(vec![
            SettingProblem::NotSet("HISTORY"),
        ])));
    }
    run(env, &[statement])
        .await
        .map_err(|_| EdgeError::Internal("the history could not be read"))
}

/// `GET /history`: a page of changes, newest first.
pub(super) async fn list(incoming: &Incoming<'_>) -> Handled {
    let query = incoming.url.split_once('?').map_or("", |(_, query)| query);
    let query = query.split_once('#').map_or(query, |(query, _)| query);
    let pairs: Vec<(Cow<str>, Cow<str>)> = form_urlencoded::parse(query.as_bytes()).collect();
    let query = ListQuery::read(pairs.iter().map(|(name, value)| (&**name, &**value)))?;
    let page = read(incoming.env, query.statement()).await?;
    Ok(Reply::json(200, ReplyBody::Text(page.unwrap_or_default())))
}

/// `GET /history/{id}`: one change with its accounts.
pub(super) async fn one(incoming: &Incoming<'_>, id: i64) -> Handled {
    match read(incoming.env, change_statement(id)).await? {
        Some(change) => Ok(Reply::json(200, ReplyBody::Text(change))),
        None => Err(EdgeError::NotFound(incoming.path().into())),
    }
}

/// Stores a change before the answer goes; when it cannot be, the whole change goes into a log
/// line and the answer says so. Its id, once stored.
pub(super) async fn keep(env: &Env, change: &Change, reply: &mut Reply) -> Option<String> {
    let (json, statements) = change.statements();
    let stored = run(env, &statements).await.ok().flatten();
    if stored.is_none() {
        log(&Change::lost_line(&json));
        reply.extra = Some((HISTORY_FAILED_HEADER, "failed".into()));
    }
    stored
}

/// The accounts' tags just before a write, from a get of the same generation, paced like any
/// call; none when that read fails.
pub(super) async fn read_before(
    upstream: &UpstreamSettings,
    pacing: &Pacing<'_>,
    call: Call,
    request: &TagRequest,
    trace: &mut Trace,
) -> Option<Vec<(String, Vec<String>)>> {
    let accounts = request.accounts().into_iter().map(str::to_owned).collect();
    let read = read_tags(upstream, pacing, call.api, accounts, trace)
        .await
        .ok()?;
    (read.code == 0).then_some(read.tags)
}

/// What a get of some accounts answered: its code, each account it gave with its tags, and
/// those it could not serve.
struct TagsRead {
    code: i64,
    tags: Vec<(String, Vec<String>)>,
    failed: Vec<AccountError>,
    answer: Forwarded,
}

async fn read_tags(
    upstream: &UpstreamSettings,
    pacing: &Pacing<'_>,
    api: TagApi,
    accounts: Vec<String>,
    trace: &mut Trace,
) -> Result<TagsRead, EdgeError> {
    let get = Call {
        operation: Operation::Get,
        api,
    };
    let mut read_trace = Trace::default();
    let answer = forward(
        upstream,
        pacing,
        get,
        &TagRequest::Accounts(accounts),
        &mut read_trace,
    )
    .await;
    *trace.waited_ms.get_or_insert(0) += read_trace.waited_ms.unwrap_or(0);
    let answer = answer?;
    let json = read_json(&answer.body)?;
    let mut tags = Vec::new();
    for (account, entry) in answered_tags(&json).unwrap_or_default() {
        // `answered_tags` has checked that they are strings.
        tags.push((account, tag_list(entry.field("Tags")).unwrap_or_default()));
    }
    Ok(TagsRead {
        code: answer.code,
        failed: failed_accounts(&json).unwrap_or_default(),
        tags,
        answer,
    })
}

/// `POST /history/{id}/undo`: puts the accounts asked for back to their tags before change
/// `id`, where they still hold what it left.
pub(super) async fn undo(
    incoming: &Incoming<'_>,
    caller: &Caller,
    id: i64,
    upstream: &UpstreamSettings,
    batch: Option<String>,
    trace: &mut Trace,
) -> Handled {
    let body = apart(read_body(
        incoming.request,
        &incoming.headers,
        UNDO_BODY_LIMIT,
    ))
    .await?;
    let asked = undo_accounts(&read_json(&body)?)?;
    let stored = apart(load(incoming, id)).await?;
    let plan = plan(&stored, id, &asked)?;
    let pacing = Pacing {
        env: incoming.env.as_ref(),
        app: upstream.sdkappid().to_string(),
        caller: &caller.name,
        pace: upstream.pace(),
    };
    let mut answer = UndoAnswer::default();
    for (account, skip) in &plan.skipped {
        answer.skip(account, *skip);
    }
    let mut undoing = Vec::new();
    if !plan.targets.is_empty() {
        let accounts = plan.targets.iter().map(|t| t.account.clone()).collect();
        let now = apart(read_tags(upstream, &pacing, stored.api, accounts, trace)).await?;
        if now.code != 0 {
            // Nothing was written: the vendor's refusal of the read is the answer.
            return Ok(Reply::forwarded(now.code, now.answer.body));
        }
        undoing = answer.sort_targets(stored.api, &plan.targets, &now.tags, &now.failed);
    }
    let targets: Vec<_> = undoing.iter().map(Undoing::target).collect();
    let calls = writes(stored.api, &targets);
    let (code, tags, sent) = apart(put_back(
        incoming,
        caller,
        &pacing,
        upstream,
        &calls,
        &mut undoing,
        trace,
    ))
    .await;
    let mut reply = Reply::json(200, ReplyBody::Empty);
    let mut accounts: Vec<ChangedAccount> = Vec::new();
    for account in undoing {
        answer.heard(&account);
        accounts.push(account.changed());
    }
    if sent {
        let change = Change {
            at_ms: js_sys::Date::now() as i64,
            caller: caller.name.clone(),
            op: "undo",
            api: stored.api.name(),
            request_id: incoming.id.clone(),
            tags,
            replace: false,
            code,
            batch,
            undo_of: Some(id),
            accounts,
        };
        answer.change = apart(keep(incoming.env, &change, &mut reply)).await;
    }
    reply.body = ReplyBody::Text(answer.to_json());
    Ok(reply)
}

/// The stored change `id`, as much as an undo needs of it.
async fn load(incoming: &Incoming<'_>, id: i64) -> Result<StoredChange, EdgeError> {
    let stored = read(incoming.env, change_statement(id))
        .await?
        .ok_or_else(|| EdgeError::NotFound(incoming.path().into()))?;
    parse_text(&stored)
        .as_ref()
        .and_then(StoredChange::read)
        .ok_or(EdgeError::Internal("a stored change could not be read"))
}

/// Sends an undo's writes in order, each heard by every account it names, and none to an
/// account one of whose writes did not go through; the first code that was not a success,
/// every tag the writes that went named, and whether any went.
async fn put_back(
    incoming: &Incoming<'_>,
    caller: &Caller,
    pacing: &Pacing<'_>,
    upstream: &UpstreamSettings,
    calls: &[(Call, TagRequest)],
    undoing: &mut [Undoing],
    trace: &mut Trace,
) -> (i64, Vec<String>, bool) {
    let (mut code, mut tags, mut sent) = (0, Vec::new(), false);
    for (call, planned) in calls {
        let Some(request) = still_to_send(planned, undoing, call.api) else {
            continue;
        };
        let result = apart(forward(upstream, pacing, *call, &request, trace)).await;
        let end = write_end(&result);
        // Without a slot it never went: neither audited nor among what the undo did.
        if !matches!(result, Err(EdgeError::NoSlot { .. })) {
            sent = true;
            for tag in request.tags() {
                if !tags.iter().any(|t| t == tag) {
                    tags.push(tag.to_owned());
                }
            }
            audit(incoming, caller, *call, &request, end);
        }
        if code == 0 {
            code = end.code();
        }
        for account in undoing.iter_mut() {
            account.heard(*call, &request, end);
        }
    }
    (code, tags, sent)
}

/// How a write ended: what the vendor answered, or no usable answer; with no slot for it, it
/// never went and changed nothing.
pub(super) fn write_end(result: &Result<Forwarded, EdgeError>) -> WriteEnd<'_> {
    match result {
        Ok(sent) => WriteEnd::Answered {
            code: sent.code,
            failed: &sent.failed,
        },
        Err(refused @ EdgeError::NoSlot { .. }) => WriteEnd::Answered {
            code: refused.code(),
            failed: &[],
        },
        Err(error) => WriteEnd::NoAnswer(error.code()),
    }
}

/// The audit line of a write that went to the vendor, and how it ended.
pub(super) fn audit(
    incoming: &Incoming<'_>,
    caller: &Caller,
    call: Call,
    request: &TagRequest,
    end: WriteEnd<'_>,
) {
    let failed = match end {
        WriteEnd::Answered { failed, .. } => failed,
        WriteEnd::NoAnswer(_) => &[],
    };
    let line = AuditLog::new(&incoming.id, caller, call, request, end.code(), failed);
    log(&line.to_json());
}

/// Retention: deletes the changes older than `HISTORY_RETENTION_DAYS` before `now_ms`, a
/// chunk at a time, at most a bounded number of chunks a run; one log line says what it did.
pub(super) async fn retain(env: &Env, now_ms: f64) {
    #[derive(Serialize)]
    struct Line<'a> {
        event: &'static str,
        ok: bool,
        deleted: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        info: Option<&'a str>,
    }
    let setting = super::setting(env, "HISTORY_RETENTION_DAYS");
    let (deleted, info) = match retention_days(setting.as_deref()) {
        None => (
            0,
            Some("HISTORY_RETENTION_DAYS must be a whole number of days from 1 to 36500"),
        ),
        Some(_) if !bound(env) => (0, Some("HISTORY is not bound")),
        Some(days) => delete_older(env, now_ms as i64, days).await,
    };
    let line = Line {
        event: "retention",
        ok: info.is_none(),
        deleted,
        info,
    };
    log(&serde_json::to_string(&line).unwrap_or_default());
}

async fn delete_older(env: &Env, now_ms: i64, days: u32) -> (u32, Option<&'static str>) {
    use crate::edge::history::{RETENTION_CHUNK, RETENTION_CHUNKS_PER_RUN};
    let mut deleted = 0;
    for _ in 0..RETENTION_CHUNKS_PER_RUN {
        let ids = match run(env, &[retention_select(now_ms, days)]).await {
            Ok(Some(ids)) => ids,
            Ok(None) | Err(_) => return (deleted, Some("the history could not be read")),
        };
        let count = ids.matches(',').count() as u32 + u32::from(ids != "[]");
        if count == 0 {
            break;
        }
        if run(env, &retention_delete(&ids)).await.is_err() {
            return (deleted, Some("the history could not be cleared"));
        }
        deleted += count;
        if count < RETENTION_CHUNK {
            break;
        }
    }
    (deleted, None)
}
