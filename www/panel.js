// The admin panel: asks the Worker who the caller is (session), looks tags up (getTags), and
// for a caller that may write, changes them (addTags, removeTags, clearTags) after a
// confirmation that gives the change's exact size, with progress, cancel and a summary of
// every account; afterwards it reads the changed accounts again. A lookup and a change each
// have their own cancel; a change is refused while a lookup of any of its accounts runs, and
// while a change runs its dialog stays open, so nothing else can start. CSV in and out: csv.js.
import init, { addTags, clearTags, getTags, removeTags, session } from './pkg/tim_tags.js';
import { accountsFromCsv, toCsv, userTagsFromCsv } from './csv.js';

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'tim-tags.token';
const HEADERS = new Set(['account', 'accounts', 'userid', 'user_id', 'to_account', 'identifier']);
/** Rows rendered at once: a page, never all of 10,000. */
const PAGE_SIZE = 100;
/**
 * A clear of more accounts than this asks for their number typed before Confirm: it has
 * nothing else to fill in, so a stray second Enter must not be enough to run it.
 */
const TYPED_COUNT_ABOVE = 5;
const number = (n) => n.toLocaleString('en-US');
const plural = (n, one, many = `${one}s`) => `${number(n)} ${n === 1 ? one : many}`;

/** Every account looked up, as getTags gives it, in order. */
let results = [];
/** The rows the filter shows. */
let shown = [];
/** The accounts selected for a change. */
const selected = new Set();
let page = 0;
/** The running lookup: `{ accounts, controller }`, its accounts as a Set; null when none runs. */
let lookingUp = null;
/** The running change's controller, its own, so that ending a lookup never takes its cancel away. */
let changing = null;
/** The accounts of the CSV file loaded last, until the box is edited: they are read as CSV. */
let loaded = null;
/** Who the Worker says the caller is: { caller, scopes, api }, for `token`. */
let who = null;
let whoToken = null;
/** The change being confirmed or run: { op, entries, source }. */
let change = null;
const ready = init();

/** Accounts from pasted text: separated by new lines, commas, semicolons or spaces. */
function parseAccounts(text) {
  const accounts = text
    .split(/[\s,;]+/)
    .map((field) => field.replace(/^"(.*)"$/, '$1'))
    .filter(Boolean);
  if (accounts.length && HEADERS.has(accounts[0].toLowerCase())) accounts.shift();
  return accounts;
}

/** The accounts to look up: the loaded file's, or the box's. */
function currentAccounts() {
  return loaded?.accounts ?? parseAccounts($('accounts').value);
}

function showCount() {
  const accounts = currentAccounts();
  const distinct = new Set(accounts).size;
  $('count').textContent = accounts.length ? plural(distinct, 'distinct account') : '';
}

/** Plain words for what went wrong, from the TimError code. */
function explain(error) {
  const { code, info } = error;
  switch (code) {
    case 80401: return 'The panel token was refused. Check it, or ask whoever runs this panel for a new one.';
    case 80403: return /may only read/.test(info ?? '')
      ? 'This token may only read tags. Ask whoever runs this panel for a write token to change them.'
      : 'This page is not allowed to call the tags service (its origin is not on the allow-list).';
    case 80503: return `The tags service is misconfigured: ${info}`;
    case 80408: return 'The tags service did not answer in time. Try again.';
    case 80499: return 'Cancelled.';
    case 80502: return `Could not reach the tags service: ${info}`;
    case 80504: return 'The chat service did not answer in time. Try again.';
    case 90001: return `Check the input: ${info}`;
    case 80429: return 'Too many calls with this token in the last minute; wait a moment and try again.';
    case 60007: case 60011: case 60018: case 60019: case 70050:
      return `The chat service is busy with too many calls; wait a moment and try again (code ${code}).`;
    case undefined: return `Something went wrong: ${error.message ?? error}`;
    default: return `The chat service refused: ${info} (code ${code}).`;
  }
}

function showError(message) {
  $('error').textContent = message;
  $('error').hidden = !message;
}

function setStatus(message) {
  $('status').textContent = message;
}

const mayWrite = () => who?.scopes.includes('write') ?? false;

/** Asks the Worker who the token's holder is, once per token. */
async function ensureSession(token) {
  if (who && whoToken === token) return who;
  await ready;
  who = null;
  whoToken = null;
  showSession();
  who = await session({ token });
  whoToken = token;
  showSession();
  return who;
}

function showSession() {
  const line = $('session');
  line.replaceChildren();
  if (who) {
    const name = document.createElement('strong');
    name.textContent = who.caller;
    const may = mayWrite() ? 'may read and change tags' : 'may read tags';
    line.append('Signed in as ', name, `: ${may} · tag API ${who.api}`);
  }
  $('edit-tools').hidden = !mayWrite();
  $('pick-head').hidden = !mayWrite();
  render();
}

function matches(entry, wanted) {
  return entry.Tags.some((t) => t.toLowerCase() === wanted) || entry.To_Account.toLowerCase().includes(wanted);
}

/** Works out which rows the filter shows; renders the first page. */
function refilter() {
  const wanted = $('filter').value.trim().toLowerCase();
  shown = wanted ? results.filter((entry) => matches(entry, wanted)) : results;
  page = 0;
  render();
}

function tagCell(entry, cell) {
  if (entry.ErrorCode !== undefined) {
    const failed = document.createElement('span');
    failed.className = 'failed';
    failed.textContent = entry.ErrorCode === 70107
      ? 'does not exist (70107)'
      : `failed: ${entry.ErrorInfo || 'no reason given'} (${entry.ErrorCode})`;
    cell.append(failed);
    return;
  }
  if (!entry.Tags.length) {
    const none = document.createElement('span');
    none.className = 'none';
    none.textContent = 'no tags';
    cell.append(none);
    return;
  }
  for (const tag of entry.Tags) {
    const item = document.createElement('span');
    item.className = 'tag';
    const chip = document.createElement('button');
    chip.type = 'button';
    chip.className = 'chip';
    chip.textContent = tag;
    chip.title = `Show only accounts tagged ${tag}`;
    item.append(chip);
    if (mayWrite()) {
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'unchip';
      remove.textContent = '×';
      remove.dataset.account = entry.To_Account;
      remove.dataset.tag = tag;
      remove.setAttribute('aria-label', `Remove tag ${tag} from ${entry.To_Account}`);
      item.append(remove);
    }
    cell.append(item);
  }
}

function render() {
  const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
  page = Math.min(page, pages - 1);
  const from = page * PAGE_SIZE;
  const rows = shown.slice(from, from + PAGE_SIZE).map((entry) => {
    const row = document.createElement('tr');
    if (mayWrite()) {
      const pick = document.createElement('input');
      pick.type = 'checkbox';
      pick.className = 'pick-row';
      pick.checked = selected.has(entry.To_Account);
      pick.dataset.account = entry.To_Account;
      pick.setAttribute('aria-label', `Select ${entry.To_Account}`);
      const cell = row.insertCell();
      cell.className = 'pick';
      cell.append(pick);
    }
    row.insertCell().textContent = entry.To_Account;
    tagCell(entry, row.insertCell());
    return row;
  });
  $('rows').replaceChildren(...rows);
  const filter = $('filter').value.trim();
  $('summary').textContent = filter
    ? `${number(shown.length)} of ${plural(results.length, 'account')} match “${filter}”`
    : plural(results.length, 'account');
  $('page-text').textContent = shown.length
    ? `Showing ${number(from + 1)}–${number(from + rows.length)} of ${number(shown.length)}`
    : 'Nothing to show';
  $('previous').disabled = page === 0;
  $('next').disabled = page >= pages - 1;
  const tags = [...new Set(results.flatMap((r) => r.Tags))].sort();
  $('tag-list').replaceChildren(...tags.map((tag) => Object.assign(document.createElement('option'), { value: tag })));
  $('results').hidden = results.length === 0;
  showSelection();
}

function showSelection() {
  const shownSelected = shown.filter((entry) => selected.has(entry.To_Account)).length;
  $('select-shown').checked = shown.length > 0 && shownSelected === shown.length;
  $('select-shown').indeterminate = shownSelected > 0 && shownSelected < shown.length;
  $('selected-count').textContent = `${number(selected.size)} selected`;
  for (const id of ['add', 'remove', 'clear']) $(id).disabled = selected.size === 0;
}

/** The rows shown, as CSV: an account and its tags (joined by `;`) a row. */
function csv() {
  return toCsv([['account', 'tags'], ...shown.map(({ To_Account, Tags }) => [To_Account, Tags.join(';')])]);
}

function startProgress(label) {
  $('progress-box').hidden = false;
  setStatus(label);
  return (done, total) => {
    $('progress').max = Math.max(total, 1);
    $('progress').value = done;
    $('progress-text').textContent = `${number(done)} / ${number(total)}`;
  };
}

async function lookUp(event) {
  event.preventDefault();
  const token = $('token').value.trim();
  const accounts = currentAccounts();
  showError('');
  if (!token) return showError('Enter the panel token.'), $('token').focus();
  if (!accounts.length) return showError('Enter at least one account.'), $('accounts').focus();
  sessionStorage.setItem(TOKEN_KEY, token);

  // A re-read after a change still running would merge its older answer into this one's.
  lookingUp?.controller.abort();
  const mine = { accounts: new Set(accounts), controller: new AbortController() };
  lookingUp = mine;
  const { signal } = mine.controller;
  $('submit').disabled = true;
  $('cancel').hidden = false;
  const onProgress = startProgress('Looking up…');
  try {
    const { api } = await ensureSession(token);
    results = await getTags(accounts, { token, api, signal, onProgress });
    selected.clear();
    $('filter').value = '';
    refilter();
    const tagged = results.filter((r) => r.Tags.length).length;
    const failed = results.filter((r) => r.ErrorCode !== undefined).length;
    setStatus(`Found tags for ${number(tagged)} of ${plural(results.length, 'account')}` +
      (failed ? `; ${plural(failed, 'account')} could not be read.` : '.'));
  } catch (error) {
    // What is on screen would pass for this lookup's answer: it goes.
    results = [];
    selected.clear();
    $('filter').value = '';
    refilter();
    setStatus('');
    showError(explain(error));
  } finally {
    if (lookingUp === mine) lookingUp = null;
    $('submit').disabled = false;
    $('cancel').hidden = true;
  }
}

/**
 * The file chosen in `input` as `read` (a csv.js reader) makes it: `{ name, data }`; or null
 * when none is chosen or it cannot be read, and then the error says why (a quoted field never
 * closed names its line) and nothing is loaded.
 */
async function readCsv(input, read) {
  const [file] = input.files;
  input.value = '';
  if (!file) return null;
  try {
    const data = read(await file.text());
    showError('');
    return { name: file.name, data };
  } catch (error) {
    showError(`${file.name} was not loaded. ${error.message}`);
    return null;
  }
}

async function loadFile() {
  const file = await readCsv($('file'), accountsFromCsv);
  if (!file) return;
  loaded = { name: file.name, accounts: file.data };
  $('accounts').value = file.data.join('\n');
  showCount();
  setStatus(`Loaded ${plural(file.data.length, 'account')} from ${file.name}.`);
}

/** The tags typed in the change dialog: comma-separated, each once. */
function typedTags() {
  return [...new Set($('change-tags').value.split(',').map((t) => t.trim()).filter(Boolean))];
}

/** The change the dialog describes now: its operation and its `{ To_Account, Tags }` entries. */
function describedChange() {
  if (change.op === 'bulk') {
    const op = document.querySelector('input[name="bulk-op"]:checked').value;
    return { op, entries: change.entries };
  }
  if (change.op === 'clear') return { op: 'clear', entries: change.entries };
  const tags = typedTags();
  return { op: change.op, entries: change.entries.map((e) => ({ To_Account: e.To_Account, Tags: tags })) };
}

/** "Add 2 tags to 1,240 accounts": the change's exact size. */
function sizeOf({ op, entries }) {
  const accounts = plural(entries.length, 'account');
  const tags = plural(new Set(entries.flatMap((e) => e.Tags ?? [])).size, 'tag');
  const replace = op === 'add' && $('change-replace').checked;
  switch (op) {
    case 'add': return replace ? `Set ${accounts} to exactly ${tags}` : `Add ${tags} to ${accounts}`;
    case 'remove': return `Remove ${tags} from ${accounts}`;
    default: return `Clear all tags of ${accounts}`;
  }
}

/** Whether the number of accounts is typed where the dialog asks for it: as shown, or without commas. */
function countTyped() {
  const typed = $('change-count').value.trim();
  const count = change.entries.length;
  return $('count-field').hidden || typed === String(count) || typed === number(count);
}

/** Shows the change's exact size, and enables Confirm once anything it asks to type is typed. */
function showChange() {
  $('change-size').textContent = `${sizeOf(describedChange())}.`;
  $('change-error').hidden = true;
  $('change-confirm').disabled = !countTyped();
}

/**
 * Why a change of `entries` may not start now, or '' when it may: a lookup of some of its
 * accounts still runs, and its answer, read before the change ends, would then replace the
 * table with tags those accounts no longer have.
 */
function refusal(entries) {
  const shared = lookingUp ? entries.filter((e) => lookingUp.accounts.has(e.To_Account)).length : 0;
  return shared
    ? `The lookup still running reads ${plural(shared, 'account')} of this change. Wait for it to end, or cancel it, then try again.`
    : '';
}

/** Opens the confirmation of a change to `accounts` (or, for a bulk change, `entries`), unless it is refused. */
function openChange(op, { accounts = [], entries, tags = [], source } = {}) {
  const planned = entries ?? accounts.map((To_Account) => ({ To_Account }));
  const refused = refusal(planned);
  showError(refused);
  if (refused) return;
  change = { op, entries: planned, source };
  const titles = { add: 'Add tags', remove: 'Remove tags', clear: 'Clear all tags', bulk: 'Change tags from a file' };
  $('change-title').textContent = titles[op];
  $('tags-field').hidden = op === 'clear' || op === 'bulk';
  $('bulk-field').hidden = op !== 'bulk';
  $('bulk-source').textContent = source ? `From ${source}.` : '';
  $('replace-field').hidden = !(op === 'add' && who?.api === 'timpush');
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

async function confirmChange(event) {
  event.preventDefault();
  const described = describedChange();
  if (described.op !== 'clear' && !described.entries.every((e) => e.Tags?.length)) {
    $('change-error').textContent = 'Enter at least one tag.';
    $('change-error').hidden = false;
    $('change-tags').focus();
    return;
  }
  $('change-dialog').close();
  await runChange(described.op, described.entries, $('change-replace').checked);
}

/** Runs a change, shows its progress and then what it did, and reads the accounts again. */
async function runChange(op, entries, replace) {
  const token = $('token').value.trim();
  changing = new AbortController();
  const options = { token, api: who.api, signal: changing.signal, onProgress: (done, total) => {
    $('run-progress').max = Math.max(total, 1);
    $('run-progress').value = done;
    $('run-text').textContent = `${number(done)} of ${plural(total, 'account')} finished`;
  } };
  $('run-title').textContent = `${sizeOf({ op, entries })}…`;
  $('run-progress').value = 0;
  $('run-text').textContent = '';
  $('run-summary').hidden = true;
  $('run-cancel').hidden = false;
  $('run-retry').hidden = true;
  $('run-close').hidden = true;
  $('run-dialog').showModal();
  $('run-cancel').focus();
  let report;
  let failure = null;
  try {
    if (op === 'add') report = await addTags(entries, replace ? { ...options, replace: true } : options);
    else if (op === 'remove') report = await removeTags(entries, options);
    else report = await clearTags(entries.map((e) => e.To_Account), options);
  } catch (error) {
    failure = error;
    report = error.report ?? { done: [], failed: [], notDone: entries.map((e) => e.To_Account) };
  }
  changing = null;
  showReport(op, entries, replace, report, failure);
  await readAgain(entries.map((e) => e.To_Account));
}

function listItems(list, items) {
  list.replaceChildren(...items.map((text) => Object.assign(document.createElement('li'), { textContent: text })));
}

function showReport(op, entries, replace, report, failure) {
  const { done, failed, notDone } = report;
  $('run-title').textContent = failure ? 'The change stopped' : 'The change is done';
  $('run-outcome').textContent = `Done: ${plural(done.length, 'account')}. ` +
    `Failed: ${number(failed.length)}. Not done: ${number(notDone.length)}.` +
    (failure ? ` ${explain(failure)}` : '');
  listItems($('run-failed'), failed.map((f) => `${f.To_Account}: ${f.ErrorCode === 70107 ? 'does not exist' : f.ErrorInfo || 'no reason given'} (${f.ErrorCode})`));
  listItems($('run-not-done'), notDone);
  $('run-failed-title').textContent = `Failed (${number(failed.length)})`;
  $('run-not-done-title').textContent = `Not done (${number(notDone.length)})`;
  $('run-failed-box').hidden = failed.length === 0;
  $('run-not-done-box').hidden = notDone.length === 0;
  $('run-failed-box').open = failed.length > 0;
  $('run-not-done-box').open = notDone.length > 0;
  $('run-summary').hidden = false;
  $('run-cancel').hidden = true;
  const again = new Set([...failed.map((f) => f.To_Account), ...notDone]);
  $('run-retry').hidden = again.size === 0;
  $('run-retry').onclick = () => {
    // The re-read of the change tried again is older than the one the retry ends with.
    lookingUp?.controller.abort();
    runChange(op, entries.filter((e) => again.has(e.To_Account)), replace);
  };
  $('run-close').hidden = false;
  $('run-close').focus();
}

/** Reads the changed accounts again, so the table shows what the vendor now holds. */
/**
 * Reads the changed accounts again, as a lookup of its own: a change of them waits for it (see
 * `refusal`), and a new lookup cancels it, so that its answer never lands on a newer table.
 */
async function readAgain(accounts) {
  const token = $('token').value.trim();
  const reading = { accounts: new Set(accounts), controller: new AbortController() };
  lookingUp = reading;
  try {
    const fresh = await getTags(accounts, { token, api: who.api, signal: reading.controller.signal });
    const byAccount = new Map(fresh.map((entry) => [entry.To_Account, entry]));
    results = results.map((entry) => byAccount.get(entry.To_Account) ?? entry);
    const known = new Set(results.map((entry) => entry.To_Account));
    results.push(...fresh.filter((entry) => !known.has(entry.To_Account)));
    const keep = page;
    refilter();
    page = keep;
    render();
    setStatus(`Read ${plural(fresh.length, 'changed account')} again.`);
  } catch (error) {
    if (!reading.controller.signal.aborted) showError(`The change ran, but reading the accounts again failed: ${explain(error)}`);
  } finally {
    if (lookingUp === reading) lookingUp = null;
  }
}

async function loadBulk() {
  const file = await readCsv($('bulk-file'), userTagsFromCsv);
  if (!file) return;
  if (!file.data.length) return showError(`${file.name} holds no account and tag rows.`);
  openChange('bulk', { entries: file.data, source: file.name });
}

$('token').value = sessionStorage.getItem(TOKEN_KEY) ?? '';
if ($('token').value) ensureSession($('token').value.trim()).catch((error) => showError(explain(error)));
$('lookup').addEventListener('submit', lookUp);
$('accounts').addEventListener('input', () => {
  loaded = null;
  showCount();
});
$('token').addEventListener('change', () => {
  who = null;
  whoToken = null;
  showSession();
});
$('file').addEventListener('change', loadFile);
$('bulk-file').addEventListener('change', loadBulk);
$('cancel').addEventListener('click', () => lookingUp?.controller.abort());
$('filter').addEventListener('input', refilter);
$('previous').addEventListener('click', () => { page -= 1; render(); });
$('next').addEventListener('click', () => { page += 1; render(); });
$('rows').addEventListener('click', (event) => {
  const target = event.target;
  if (target.classList.contains('chip')) {
    $('filter').value = target.textContent;
    refilter();
    $('filter').focus();
  } else if (target.classList.contains('unchip')) {
    openChange('remove', { accounts: [target.dataset.account], tags: [target.dataset.tag] });
  }
});
$('rows').addEventListener('change', (event) => {
  const pick = event.target;
  if (!pick.classList.contains('pick-row')) return;
  if (pick.checked) selected.add(pick.dataset.account);
  else selected.delete(pick.dataset.account);
  showSelection();
});
$('select-shown').addEventListener('change', () => {
  for (const entry of shown) {
    if ($('select-shown').checked) selected.add(entry.To_Account);
    else selected.delete(entry.To_Account);
  }
  render();
});
for (const op of ['add', 'remove', 'clear']) {
  $(op).addEventListener('click', () => openChange(op, { accounts: results.map((e) => e.To_Account).filter((a) => selected.has(a)) }));
}
$('change-form').addEventListener('submit', confirmChange);
$('change-form').addEventListener('input', showChange);
$('change-cancel').addEventListener('click', () => $('change-dialog').close());
$('run-cancel').addEventListener('click', () => changing?.abort());
$('run-close').addEventListener('click', () => $('run-dialog').close());
// While a change runs, Escape cancels it rather than hiding it.
$('run-dialog').addEventListener('cancel', (event) => {
  if (changing) {
    event.preventDefault();
    changing.abort();
  }
});
// The browser closes a dialog without asking (a second Escape with no click between, for one):
// while its change runs, it opens again, so that no change goes on unseen.
$('run-dialog').addEventListener('close', () => {
  if (changing) $('run-dialog').showModal();
});
$('copy').addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(csv());
    setStatus(`Copied ${plural(shown.length, 'row')}.`);
  } catch {
    showError('The browser did not allow copying; use Export CSV instead.');
  }
});
$('export').addEventListener('click', () => {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([csv()], { type: 'text/csv' }));
  link.download = 'tags.csv';
  link.click();
  URL.revokeObjectURL(link.href);
});
