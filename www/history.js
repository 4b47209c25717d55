// The history of changes: the actions newest first (the changes of one batch, such as one
// action of the panel, are one row; a change without a batch is a row of its own), filtered
// by account, tag, who, change, outcome and time, a page at a time. A row opens to its
// accounts with their tags before and after; a writer may undo it (a whole batch at once)
// after a confirmation that gives its exact size and the accounts it will skip, and the undo
// runs with progress and a summary (change.js). The filtered history exports as CSV, one
// change a row.
import { runUndo } from './change.js';
import { toCsv } from './csv.js';
import { $, download, make } from './dom.js';
import { mayWrite, readChange, readHistory, saveToken } from './service.js';
import { needsToken, signIn } from './signin.js';
import { state } from './state.js';
import { accountOutcome, changeOutcome, changeTitle, explain, number, plural, when } from './wording.js';

/** Changes a page of the list asks for. */
const PAGE = 50;
/** Changes a page asks for when a whole batch, or the whole filtered history, is read. */
const MOST = 200;
/** Changes whose accounts are read each time a row opens or shows more. */
const CHANGES_SHOWN_AT_ONCE = 5;
/** Changes read at once. */
const IN_FLIGHT = 4;
/** An undo of more accounts than this asks for their number typed before Confirm, as a large clear does. */
const TYPED_COUNT_ABOVE = 5;
const TEXT_FILTERS = ['account', 'tag', 'caller', 'op', 'outcome'];
const CSV_COLUMNS = ['id', 'at', 'caller', 'op', 'api', 'request_id', 'tags', 'replace', 'outcome', 'code',
  'accounts', 'done', 'failed', 'batch', 'undo_of'];

const token = () => $('token').value.trim();

function showHistoryError(message) {
  $('history-error').textContent = message;
  $('history-error').hidden = !message;
}

const say = (message) => {
  $('history-status').textContent = message;
};

/** Plain words for what went wrong reading the history: a refused filter says so. */
const explainHistory = (error) => (error.code === 90001 ? `Check the filters: ${error.info}` : explain(error));

/** A filter the panel refuses before asking: its message, and the field to fix. */
class FilterError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

/**
 * The time typed in `since` or `until` (local time), as RFC 3339; '' when empty. "Until" runs
 * to the end of the minute or second typed, so that what happened in it is included.
 */
function typedTime(name, label) {
  const input = $(`history-${name}`);
  if (input.validity.badInput) throw new FilterError(name, `Enter a whole date and time in “${label}”, or clear it.`);
  if (!input.value) return '';
  const time = new Date(input.value);
  if (Number.isNaN(time.getTime())) throw new FilterError(name, `“${label}” is not a date and time.`);
  if (name === 'until') {
    const [, seconds = '', fraction = ''] = /T\d\d:\d\d(:\d\d)?(\.\d+)?$/.exec(input.value) ?? [];
    if (!fraction) time.setTime(time.getTime() + (seconds ? 999 : 59_999));
  }
  return time.toISOString();
}

/** The filters typed, as the route's parameters (only those given); throws a FilterError for one it would refuse. */
function typedQuery() {
  const query = {};
  for (const name of TEXT_FILTERS) {
    const value = $(`history-${name}`).value.trim();
    if (value) query[name] = value;
  }
  const since = typedTime('since', 'Since');
  const until = typedTime('until', 'Until');
  if (since) query.since = since;
  if (until) query.until = until;
  if (since && until && since > until) throw new FilterError('until', '“Until” is before “Since”, so no change could match. Change one of them.');
  return query;
}

/** What the rows of a batch, or a change alone, add up to: what the list and the dialogs say of it. */
function summary({ changes }) {
  const newest = changes[0];
  const tags = [];
  for (const change of [...changes].reverse()) for (const tag of change.tags) if (!tags.includes(tag)) tags.push(tag);
  const sum = (field) => changes.reduce((total, change) => total + change[field], 0);
  const ops = new Set(changes.map((c) => c.op));
  const outcomes = new Set(changes.map((c) => c.outcome));
  return {
    at: newest.at,
    from: changes.at(-1).at,
    callers: [...new Set(changes.map((c) => c.caller))],
    op: ops.size === 1 ? newest.op : 'mixed',
    replace: changes.every((c) => c.replace),
    api: newest.api,
    tags,
    accounts: sum('accounts'),
    done: sum('done'),
    failed: sum('failed'),
    outcome: outcomes.size === 1 ? newest.outcome : 'partial',
    codes: [...new Set(changes.filter((c) => c.outcome === 'failed' && c.code).map((c) => c.code))],
    undoOf: [...new Set(changes.map((c) => c.undo_of).filter(Boolean))],
  };
}

// The list.

/** Puts `changes` (newest first) into the rows: a batch's with its row, the others each in a new one. Returns the rows added. */
function place(history, changes) {
  let added = 0;
  for (const change of changes) {
    const key = change.batch ? `batch ${change.batch}` : `change ${change.id}`;
    let row = history.byKey.get(key);
    if (!row) {
      row = { key, batch: change.batch ?? null, changes: [], complete: !change.batch };
      history.byKey.set(key, row);
      history.rows.push(row);
      row.changes.push(change);
      added++;
    } else if (!row.complete && !row.changes.some((c) => c.id === change.id)) {
      row.changes.push(change);
    }
  }
  return added;
}

/** Every change of the history that `query` matches, newest first, page after page; `onPage` hears how many so far. */
async function everyChange(query, options, onPage = () => {}) {
  const changes = [];
  let cursor = null;
  do {
    const page = await readHistory({ ...query, limit: MOST, ...(cursor ? { cursor } : {}) }, options);
    changes.push(...page.changes);
    cursor = page.next;
    onPage(changes.length);
  } while (cursor);
  return changes;
}

/** Runs `work` on each of `items`, `IN_FLIGHT` at once. */
async function inTurns(items, work) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, items.length) }, worker));
}

/** Reads every change of the batches listed in part, so that each row adds up its whole batch. */
async function completeBatches(history, options) {
  const partial = history.rows.filter((row) => !row.complete);
  await inTurns(partial, async (row) => {
    row.changes = await everyChange({ batch: row.batch }, options);
    row.complete = true;
  });
}

/**
 * Reads the next page of the list (the first, without a cursor), and more while a page only
 * adds changes to batches already listed. Returns the rows added.
 */
async function readRows(history, cursor) {
  const options = { token: token(), signal: history.controller.signal };
  let added = 0;
  let next = cursor;
  do {
    const page = await readHistory({ ...history.query, limit: PAGE, ...(next ? { cursor: next } : {}) }, options);
    added += place(history, page.changes);
    next = page.next;
  } while (added === 0 && next);
  await completeBatches(history, options);
  history.next = next;
  return added;
}

function historyRow(row) {
  const about = summary(row);
  const tr = make('tr');
  const time = make('time', { dateTime: about.at, textContent: when(about.at) });
  tr.insertCell().append(time);
  tr.insertCell().textContent = about.callers.join(', ');
  const open = make('button', { type: 'button', className: 'open-row', textContent: changeTitle(about) });
  open.dataset.key = row.key;
  open.setAttribute('aria-haspopup', 'dialog');
  tr.insertCell().append(open);
  const accounts = tr.insertCell();
  accounts.className = 'number';
  accounts.textContent = number(about.accounts);
  const result = tr.insertCell();
  result.textContent = changeOutcome(about);
  result.className = `outcome-${about.outcome}`;
  return tr;
}

function renderList() {
  const { rows, next, loaded, query } = state.history;
  $('history-list').hidden = !loaded;
  $('history-rows').replaceChildren(...rows.map(historyRow));
  const filtered = Object.keys(query).length > 0;
  $('history-summary').textContent = rows.length
    ? `${plural(rows.length, 'action')}${filtered ? ` that match${rows.length === 1 ? 'es' : ''} the filters` : ''}, newest first${next ? '; more to load' : ''}`
    : filtered ? 'No change matches these filters.' : 'No change has been made yet.';
  $('history-more').hidden = !next;
}

/** Lists the history from its first page with `query`, in place of what the list held. */
async function list(query) {
  state.history.controller?.abort();
  const history = { query, next: null, rows: [], byKey: new Map(), controller: new AbortController(), loaded: false };
  state.history = history;
  showHistoryError('');
  say('Reading the history…');
  try {
    await signIn(token());
    await readRows(history, null);
    if (state.history !== history) return;
    history.loaded = true;
    renderList();
    say(`Showing ${plural(history.rows.length, 'action')}${history.next ? '; Load more shows older ones' : ''}.`);
  } catch (error) {
    if (state.history !== history || history.controller.signal.aborted) return;
    renderList();
    say('');
    showHistoryError(explainHistory(error));
  } finally {
    if (state.history === history) history.controller = null;
  }
}

/** The History view was shown: it lists the history with the filters typed. */
export function openHistory() {
  return listTyped(false);
}

/** The filters were applied: the history is listed with them. */
export function applyFilters(event) {
  event?.preventDefault();
  return listTyped(true);
}

/**
 * Lists the history with the filters typed, once they make sense and the caller has a token or
 * Access admits it; saying which to fix otherwise (`focus`: the field to fix takes the focus,
 * not when the view was only opened). Nothing is listed once the view was left or the token
 * changed while the session was asked.
 */
async function listTyped(focus) {
  const typed = token();
  const needed = await needsToken(typed);
  if (state.view !== 'history' || token() !== typed) return;
  if (needed) {
    showHistoryError('Enter the panel token above to read the history.');
    if (focus) $('token').focus();
    return;
  }
  saveToken(typed);
  let query;
  try {
    query = typedQuery();
  } catch (error) {
    if (!(error instanceof FilterError)) throw error;
    showHistoryError(error.message);
    $(`history-${error.field}`).focus();
    return;
  }
  list(query);
}

/** Empties the filters and lists the whole history. */
export function resetFilters() {
  for (const name of [...TEXT_FILTERS, 'since', 'until']) $(`history-${name}`).value = '';
  applyFilters();
}

/** Lists the next page of older actions below those shown. */
export async function loadMore() {
  const history = state.history;
  if (!history.next || history.controller) return;
  history.controller = new AbortController();
  const before = history.rows.length;
  say('Reading older changes…');
  try {
    const added = await readRows(history, history.next);
    if (state.history !== history) return;
    const focused = document.activeElement === $('history-more');
    renderList();
    say(`Showing ${plural(history.rows.length, 'action')}: ${number(added)} more.`);
    // At the end of the history the button goes: the focus goes to the first row it added rather than to nothing.
    if (focused && $('history-more').hidden) $('history-rows').querySelectorAll('.open-row')[before]?.focus();
  } catch (error) {
    if (state.history === history && !history.controller.signal.aborted) showHistoryError(explainHistory(error));
  } finally {
    if (state.history === history) history.controller = null;
  }
}

/** The filtered history as CSV, one change a row. */
function historyCsv(changes) {
  const cell = (value) => (value === null || value === undefined ? '' : Array.isArray(value) ? value.join(';') : String(value));
  return toCsv([CSV_COLUMNS, ...changes.map((change) => CSV_COLUMNS.map((column) => cell(change[column])))]);
}

/** Saves every change the filters applied match (all pages, not only those listed) as history.csv. */
export async function exportHistory() {
  if (await needsToken(token())) return showHistoryError('Enter the panel token above to read the history.');
  const { query } = state.history;
  // aria-disabled rather than disabled: a disabled button loses the focus.
  if ($('history-export').getAttribute('aria-disabled') === 'true') return;
  $('history-export').setAttribute('aria-disabled', 'true');
  showHistoryError('');
  say('Exporting the history…');
  try {
    await signIn(token());
    const changes = await everyChange(query, { token: token() }, (n) => say(`Exporting the history: ${plural(n, 'change')} read…`));
    download('history.csv', historyCsv(changes));
    say(`Exported ${plural(changes.length, 'change')}${Object.keys(query).length ? ' that match the filters' : ''}, one a row.`);
  } catch (error) {
    say('');
    showHistoryError(explainHistory(error));
  } finally {
    $('history-export').removeAttribute('aria-disabled');
  }
}

// A row opened.

function fact(term, description) {
  return [make('dt', { textContent: term }), make('dd', { textContent: description })];
}

/** Tags as chips, or words for none and for tags the history does not know. */
function tagsCell(cell, tags) {
  if (tags === null) cell.append(make('span', { className: 'none', textContent: 'unknown' }));
  else if (!tags.length) cell.append(make('span', { className: 'none', textContent: 'no tags' }));
  else cell.append(...tags.map((tag) => make('span', { className: 'chip', textContent: tag })));
}

function accountRow(entry) {
  const row = make('tr');
  row.insertCell().textContent = entry.account;
  const result = row.insertCell();
  result.textContent = accountOutcome(entry);
  if (entry.outcome !== 'done') result.className = 'failed';
  tagsCell(row.insertCell(), entry.before);
  tagsCell(row.insertCell(), entry.after);
  return row;
}

/** Says which accounts the dialog shows: all of them, or those of the changes read so far. */
function showAccountsSummary(opened) {
  const { row, shown } = opened;
  const rows = $('history-account-rows').children.length;
  $('history-accounts-summary').textContent = row.changes.length === 1
    ? `Its ${plural(rows, 'account')}, in the order of the call`
    : `The accounts of ${number(shown)} of its ${plural(row.changes.length, 'call')} (${plural(rows, 'row')}), newest call first`;
  $('history-more-accounts').hidden = shown >= row.changes.length;
}

/** Reads the accounts of `changes` (those not read yet) into the opened row; `onRead` hears each one read. */
async function readAccounts(opened, changes, onRead = () => {}) {
  const options = { token: token(), signal: opened.controller.signal };
  await inTurns(changes.filter((c) => !opened.accounts.has(c.id)), async (change) => {
    const { accounts } = await readChange(change.id, options);
    opened.accounts.set(change.id, accounts);
    onRead();
  });
}

/** Shows the accounts of the next few changes of the opened row. */
export async function showMoreAccounts() {
  const opened = state.opened;
  if (!opened || opened.reading) return;
  const next = opened.row.changes.slice(opened.shown, opened.shown + CHANGES_SHOWN_AT_ONCE);
  opened.reading = true;
  $('history-dialog-status').textContent = 'Reading the accounts…';
  try {
    await readAccounts(opened, next);
    if (state.opened !== opened) return;
    $('history-account-rows').append(...next.flatMap((c) => opened.accounts.get(c.id).map(accountRow)));
    opened.shown += next.length;
    const focused = document.activeElement === $('history-more-accounts');
    showAccountsSummary(opened);
    // With every account shown the button goes: the focus goes to the accounts rather than to nothing.
    if (focused && $('history-more-accounts').hidden) $('history-accounts-box').focus();
    $('history-dialog-status').textContent = '';
  } catch (error) {
    if (state.opened === opened && !opened.controller.signal.aborted) $('history-dialog-status').textContent = explainHistory(error);
  } finally {
    opened.reading = false;
  }
}

/** Opens the row of `key`, from the button `opener`: what it was, and its accounts before and after. */
export function openRow(key, opener) {
  const row = state.history.rows.find((r) => r.key === key);
  if (!row) return;
  state.opened?.controller.abort();
  const opened = { row, accounts: new Map(), shown: 0, controller: new AbortController(), opener, reading: false };
  state.opened = opened;
  const about = summary(row);
  $('history-dialog-title').textContent = changeTitle(about);
  const first = row.changes.at(-1);
  $('history-facts').replaceChildren(
    ...fact('When', when(about.from) === when(about.at) ? when(about.at) : `${when(about.from)} to ${when(about.at)}`),
    ...fact('Who', about.callers.join(', ')),
    ...fact('Outcome', changeOutcome(about)),
    ...fact('Tag API', about.api),
    ...(row.batch
      ? fact('Batch', `${row.batch}: ${plural(row.changes.length, 'call')} of at most 100 accounts`)
      : fact('Change', `${first.id} (request ${first.request_id})`)),
    ...(about.undoOf.length ? fact('Undoes', about.undoOf.map((id) => `change ${id}`).join(', ')) : []),
  );
  $('history-account-rows').replaceChildren();
  $('history-accounts-summary').textContent = '';
  $('history-dialog-status').textContent = '';
  $('history-more-accounts').hidden = true;
  $('history-undo').hidden = !mayWrite();
  $('history-undo').removeAttribute('aria-disabled');
  $('history-dialog').showModal();
  $('history-close').focus();
  showMoreAccounts();
}

/** The dialog of a row closed: what it still read stops, and the focus goes back to the row. */
export function closedRow() {
  if (!state.opened) return;
  state.opened.controller.abort();
  if (state.undoing?.row !== state.opened.row) state.opened.opener?.focus();
  state.opened = null;
}

// Undo.

/**
 * What an undo of the opened row will do, from what the history knows: each distinct account
 * is put back if the change did it and its tags before are known; the others are skipped.
 */
function undoPlan(opened) {
  const byAccount = new Map();
  for (const change of opened.row.changes) {
    for (const entry of opened.accounts.get(change.id)) {
      const entries = byAccount.get(entry.account) ?? byAccount.set(entry.account, []).get(entry.account);
      entries.push(entry);
    }
  }
  const plan = { accounts: [...byAccount.keys()], restore: 0, notDone: 0, unknown: 0 };
  for (const entries of byAccount.values()) {
    const done = entries.filter((e) => e.outcome === 'done');
    if (done.some((e) => e.before !== null)) plan.restore++;
    else if (done.length) plan.unknown++;
    else plan.notDone++;
  }
  return plan;
}

/** Reads every account of the opened row, then asks to confirm its undo with its exact size. */
export async function prepareUndo() {
  const opened = state.opened;
  if (!opened || !mayWrite() || $('history-undo').getAttribute('aria-disabled') === 'true') return;
  const total = opened.row.changes.length;
  let read = opened.accounts.size;
  $('history-undo').setAttribute('aria-disabled', 'true');
  $('history-dialog-status').textContent = 'Reading every account of the change…';
  try {
    await readAccounts(opened, opened.row.changes, () => {
      read++;
      $('history-dialog-status').textContent = `Reading every account of the change: ${number(read)} of ${plural(total, 'call')}…`;
    });
    if (state.opened !== opened) return;
    const about = summary(opened.row);
    state.undoing = {
      row: opened.row,
      title: `Undo: ${changeTitle(about)}`,
      target: opened.row.batch ? { batch: opened.row.batch } : opened.row.changes[0].id,
      plan: undoPlan(opened),
      opener: opened.opener,
    };
    $('history-dialog').close();
    openUndo();
  } catch (error) {
    if (state.opened === opened && !opened.controller.signal.aborted) {
      $('history-dialog-status').textContent = `The undo cannot be prepared: ${explainHistory(error)}`;
      $('history-undo').removeAttribute('aria-disabled');
    }
  }
}

/** The undo's size, the accounts it will skip for what the history knows, and what to type when it is large. */
function openUndo() {
  const { title, plan } = state.undoing;
  const skipped = plan.notDone + plan.unknown;
  $('undo-title').textContent = title;
  $('undo-size').textContent = plan.restore === 0
    ? `Nothing to put back: each of the ${plural(plan.accounts.length, 'account')} would be skipped.`
    : `Put back the tags of ${plan.restore === plan.accounts.length && plan.restore > 1 ? 'all ' : ''}` +
      `${plural(plan.restore, 'account')}${plan.restore < plan.accounts.length ? ` of ${number(plan.accounts.length)}` : ''} ` +
      'as they were before the change.';
  const reasons = [
    plan.notDone && `${number(plan.notDone)} the change did not do`,
    plan.unknown && `${number(plan.unknown)} whose tags before it are unknown`,
  ].filter(Boolean);
  $('undo-skips').textContent = skipped
    ? `${plural(skipped, 'account')} will be skipped: ${reasons.join('; ')}.`
    : 'Known conflicts: none.';
  $('undo-count-field').hidden = plan.restore <= TYPED_COUNT_ABOVE;
  $('undo-count-label').textContent = `To confirm, type the number of accounts to put back: ${number(plan.restore)}`;
  $('undo-count').value = '';
  showUndoCount();
  $('undo-dialog').showModal();
  $('undo-cancel').focus();
}

/** Enables Confirm once there is something to put back and, for a large undo, its number is typed. */
export function showUndoCount() {
  const { restore } = state.undoing.plan;
  const typed = $('undo-count').value.trim();
  const counted = $('undo-count-field').hidden || typed === String(restore) || typed === number(restore);
  $('undo-confirm').disabled = restore === 0 || !counted;
}

/** Runs the undo confirmed, then lists the history again: the undo is its newest action. */
export async function confirmUndo(event) {
  event.preventDefault();
  const undoing = state.undoing;
  if (!undoing || $('undo-confirm').disabled) return;
  undoing.confirmed = true;
  $('undo-dialog').close();
  await runUndo(undoing.target, undoing.title, undoing.plan.accounts);
  state.undoing = null;
  await list(state.history.query);
}

/** After an undo's summary closes, the focus goes to the newest action (the undo), or to the list's title while it is read. */
export function focusList() {
  const first = $('history-rows').querySelector('.open-row');
  if (first && !state.history.controller) first.focus();
  else $('history-title').focus();
}

/** The undo dialog closed: unless the undo runs, the focus goes back to the row it came from. */
export function closedUndo() {
  const undoing = state.undoing;
  if (!undoing || undoing.confirmed) return;
  state.undoing = null;
  undoing.opener?.focus();
}
