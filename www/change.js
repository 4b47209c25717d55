// Changes of tags: the dialog that confirms a change with its exact size (and, for a large
// clear, its number of accounts typed), the dialog that runs it with progress and a cancel,
// and the summary of what it did to every account. A change runs with its dialog open, so
// nothing else starts meanwhile. An undo from the history (confirmed there) runs in the same
// dialog, and its summary also names the accounts it skipped.
import { userTagsFromCsv } from './csv.js';
import { $, make, readCsv, showError } from './dom.js';
import { cancelLookup, readAgain } from './lookup.js';
import { undoChange, writeTags } from './service.js';
import { state } from './state.js';
import { failureReason, number, outcome, plural, sizeOf, skipReason, waitingNote } from './wording.js';

/**
 * A clear of more accounts than this asks for their number typed before Confirm: it has
 * nothing else to fill in, so a stray second Enter must not be enough to run it.
 */
const TYPED_COUNT_ABOVE = 5;
const TITLES = Object.freeze({ add: 'Add tags', remove: 'Remove tags', clear: 'Clear all tags', bulk: 'Change tags from a file' });

/** The tags typed in the change dialog: comma-separated, each once. */
function typedTags() {
  return [...new Set($('change-tags').value.split(',').map((t) => t.trim()).filter(Boolean))];
}

/** The change the dialog describes now: its operation and its `{ To_Account, Tags }` entries. */
function describedChange() {
  const { op, entries } = state.change;
  if (op === 'bulk') return { op: document.querySelector('input[name="bulk-op"]:checked').value, entries };
  if (op === 'clear') return { op, entries };
  const tags = typedTags();
  return { op, entries: entries.map((e) => ({ To_Account: e.To_Account, Tags: tags })) };
}

/** Whether the dialog's "replace" is ticked, for an add: only an add may replace. */
function replacing(op) {
  return op === 'add' && $('change-replace').checked;
}

/** Whether the number of accounts is typed where the dialog asks for it: as shown, or without commas. */
function countTyped() {
  const typed = $('change-count').value.trim();
  const count = state.change.entries.length;
  return $('count-field').hidden || typed === String(count) || typed === number(count);
}

/** Shows the change's exact size, and enables Confirm once anything it asks to type is typed. */
export function showChange() {
  const described = describedChange();
  $('change-size').textContent = `${sizeOf(described, replacing(described.op))}.`;
  $('change-error').hidden = true;
  $('change-confirm').disabled = !countTyped();
}

/**
 * Why a change of `entries` may not start now, or '' when it may: a lookup of some of its
 * accounts still runs, and its answer, read before the change ends, would then replace the
 * table with tags those accounts no longer have.
 */
function refusal(entries) {
  const read = (account) => [...state.reading].some((r) => r.accounts.has(account));
  const shared = entries.filter((e) => read(e.To_Account)).length;
  return shared
    ? `The lookup still running reads ${plural(shared, 'account')} of this change. Wait for it to end, or cancel it, then try again.`
    : '';
}

/** Opens the confirmation of a change to `accounts` (or, for a bulk change, `entries`), unless it is refused. */
export function openChange(op, { accounts = [], entries, tags = [], source } = {}) {
  const planned = entries ?? accounts.map((To_Account) => ({ To_Account }));
  const refused = refusal(planned);
  showError(refused);
  if (refused) return;
  state.change = { op, entries: planned, source };
  $('change-title').textContent = TITLES[op];
  $('tags-field').hidden = op === 'clear' || op === 'bulk';
  $('bulk-field').hidden = op !== 'bulk';
  $('bulk-source').textContent = source ? `From ${source}.` : '';
  $('replace-field').hidden = !(op === 'add' && state.who?.api === 'timpush');
  $('change-replace').checked = false;
  $('change-tags').value = tags.join(', ');
  $('count-field').hidden = !(op === 'clear' && planned.length > TYPED_COUNT_ABOVE);
  $('change-count-label').textContent = `To confirm, type the number of accounts: ${number(planned.length)}`;
  $('change-count').value = '';
  showChange();
  $('change-dialog').showModal();
  // Focus goes where Enter cannot run the change: the tags field while it is empty, else Cancel.
  ($('tags-field').hidden || tags.length ? $('change-cancel') : $('change-tags')).focus();
}

/** Runs the change the dialog describes, once it has the tags it needs. */
export async function confirmChange(event) {
  event.preventDefault();
  const described = describedChange();
  if (described.op !== 'clear' && !described.entries.every((e) => e.Tags?.length)) {
    $('change-error').textContent = 'Enter at least one tag.';
    $('change-error').hidden = false;
    $('change-tags').focus();
    return;
  }
  $('change-dialog').close();
  await runChange(described.op, described.entries, replacing(described.op));
}

/** The bulk file chosen: its changes, confirmed as any other. */
export async function loadBulk() {
  const file = await readCsv($('bulk-file'), userTagsFromCsv);
  if (!file) return;
  if (!file.data.length) return showError(`${file.name} holds no account and tag rows.`);
  openChange('bulk', { entries: file.data, source: file.name });
}

/** Opens the run dialog titled `title`, at no progress, with only its cancel offered. */
function openRun(title) {
  $('run-title').textContent = title;
  $('run-progress').value = 0;
  $('run-text').textContent = '';
  $('run-wait').textContent = '';
  $('run-summary').hidden = true;
  $('run-cancel').hidden = false;
  $('run-retry').hidden = true;
  $('run-close').hidden = true;
  $('run-dialog').showModal();
  $('run-cancel').focus();
}

function showRunProgress(done, total, waiting) {
  $('run-progress').max = Math.max(total, 1);
  $('run-progress').value = done;
  $('run-text').textContent = `${number(done)} of ${plural(total, 'account')} finished`;
  $('run-wait').textContent = waitingNote(waiting, state.who?.calls_per_second);
}

/** Runs a change, shows its progress and then what it did, and reads the accounts again. */
async function runChange(op, entries, replace) {
  const token = $('token').value.trim();
  state.changing = new AbortController();
  const options = { token, signal: state.changing.signal, onProgress: showRunProgress };
  openRun(`${sizeOf({ op, entries }, replace)}…`);
  let report;
  let failure = null;
  try {
    report = await writeTags(op, entries, replace, options);
  } catch (error) {
    failure = error;
    report = error.report ?? { done: [], failed: [], notDone: entries.map((e) => e.To_Account) };
  }
  state.changing = null;
  showReport(report, failure);
  offerRetry(op, entries, replace, report);
  await readAgain(entries.map((e) => e.To_Account));
}

/**
 * Undoes `target` (a change's id, or `{ batch }`), titled `title`, with progress, a cancel and
 * a summary that also names the accounts skipped and why; then reads again those of
 * `accounts` that the table shows. Resolves once the summary is shown.
 */
export async function runUndo(target, title, accounts) {
  const token = $('token').value.trim();
  state.changing = new AbortController();
  const options = { token, signal: state.changing.signal, onProgress: showRunProgress };
  openRun(`${title}…`);
  let report;
  let failure = null;
  try {
    report = await undoChange(target, options);
  } catch (error) {
    failure = error;
    report = error.report ?? { done: [], failed: [], notDone: accounts };
  }
  state.changing = null;
  showReport({ ...report, skipped: report.skipped ?? [] }, failure, 'undo');
  $('run-retry').hidden = true;
  $('run-close').hidden = false;
  $('run-close').focus();
  const shown = new Set(state.results.map((e) => e.To_Account));
  const again = accounts.filter((account) => shown.has(account));
  if (again.length) await readAgain(again);
}

function listItems(list, items) {
  list.replaceChildren(...items.map((text) => make('li', { textContent: text })));
}

/** Shows what the change (or undo) did: its outcome, and the accounts that failed, were not done or were skipped. */
function showReport(report, failure, what = 'change') {
  const { failed, notDone, skipped = [] } = report;
  $('run-title').textContent = failure ? `The ${what} stopped` : `The ${what} is done`;
  // A change that stopped while it waited waits no more.
  $('run-wait').textContent = '';
  $('run-outcome').textContent = outcome(report, failure);
  listItems($('run-failed'), failed.map((f) => `${f.To_Account}: ${failureReason(f)} (${f.ErrorCode})`));
  listItems($('run-not-done'), notDone);
  $('run-failed-title').textContent = `Failed (${number(failed.length)})`;
  $('run-not-done-title').textContent = `Not done (${number(notDone.length)})`;
  $('run-failed-box').hidden = failed.length === 0;
  $('run-not-done-box').hidden = notDone.length === 0;
  $('run-failed-box').open = failed.length > 0;
  $('run-not-done-box').open = notDone.length > 0;
  listItems($('run-skipped'), skipped.map((s) => `${s.To_Account}: ${skipReason(s.reason)}`));
  $('run-skipped-title').textContent = `Skipped (${number(skipped.length)})`;
  $('run-skipped-box').hidden = skipped.length === 0;
  $('run-skipped-box').open = skipped.length > 0;
  $('run-summary').hidden = false;
  $('run-cancel').hidden = true;
}

/** Offers the change again for the accounts that failed or were not done, if any, and Close. */
function offerRetry(op, entries, replace, { failed, notDone }) {
  const again = new Set([...failed.map((f) => f.To_Account), ...notDone]);
  $('run-retry').hidden = again.size === 0;
  $('run-retry').onclick = () => {
    // The re-read of the change tried again is older than the one the retry ends with.
    cancelLookup();
    runChange(op, entries.filter((e) => again.has(e.To_Account)), replace);
  };
  $('run-close').hidden = false;
  $('run-close').focus();
}

export function cancelChange() {
  state.changing?.abort();
}

/** While a change runs, Escape cancels it rather than hiding it. */
export function cancelOnEscape(event) {
  if (!state.changing) return;
  event.preventDefault();
  state.changing.abort();
}

/**
 * The browser closes a dialog without asking (a second Escape with no click between, for one):
 * while its change runs, it opens again, so that no change goes on unseen.
 */
export function keepRunOpen() {
  if (state.changing) $('run-dialog').showModal();
}
