// The admin panel: reads accounts, calls getTags (the tim-tags package) on this origin's
// Worker, and shows, filters, copies and exports the tags (as CSV, csv.js).
import init, { getTags } from './pkg/tim_tags.js';
import { accountsFromCsv, toCsv } from './csv.js';

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'tim-tags.token';
const HEADERS = new Set(['account', 'accounts', 'userid', 'user_id', 'to_account', 'identifier']);

let results = [];
let running = null;
/** The accounts of the CSV file loaded last, until the box is edited: they are read as CSV. */
let loaded = null;
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
  $('count').textContent = accounts.length
    ? `${distinct.toLocaleString()} distinct account${distinct === 1 ? '' : 's'}`
    : '';
}

/** Plain words for what went wrong, from the TimError code. */
function explain(error) {
  const { code, info } = error;
  switch (code) {
    case 80401: return 'The panel token was refused. Check it, or ask whoever runs this panel for a new one.';
    case 80403: return 'This page is not allowed to call the tags service (its origin is not on the allow-list).';
    case 80503: return `The tags service is misconfigured: ${info}`;
    case 80408: return 'The tags service did not answer in time. Try again.';
    case 80499: return 'Cancelled.';
    case 80502: return `Could not reach the tags service: ${info}`;
    case 80504: return 'The chat service did not answer in time. Try again.';
    case 90001: return `Check the accounts: ${info}`;
    case 80429: return 'Too many lookups with this token in the last minute; wait a moment and try again.';
    case 60007: case 60011: case 60018: case 60019: case 70050:
      return `The chat service is busy with too many calls; wait a moment and try again (code ${code}).`;
    case undefined: return `Something went wrong: ${error.message ?? error}`;
    default: return `The chat service refused the lookup: ${info} (code ${code}).`;
  }
}

function showError(message) {
  $('error').textContent = message;
  $('error').hidden = !message;
}

function setStatus(message) {
  $('status').textContent = message;
}

function chip(tag) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'chip';
  button.textContent = tag;
  button.title = `Show only accounts tagged ${tag}`;
  return button;
}

function visibleResults() {
  const wanted = $('filter').value.trim().toLowerCase();
  return wanted ? results.filter((r) => r.Tags.some((t) => t.toLowerCase() === wanted)) : results;
}

function render() {
  const shown = visibleResults();
  const rows = shown.map(({ To_Account, Tags }) => {
    const row = document.createElement('tr');
    row.insertCell().textContent = To_Account;
    const cell = row.insertCell();
    if (Tags.length) cell.append(...Tags.map(chip));
    else cell.innerHTML = '<span class="none">no tags</span>';
    return row;
  });
  $('rows').replaceChildren(...rows);
  const filter = $('filter').value.trim();
  $('summary').textContent = filter
    ? `${shown.length.toLocaleString()} of ${results.length.toLocaleString()} accounts tagged “${filter}”`
    : `${results.length.toLocaleString()} accounts`;
  const tags = [...new Set(results.flatMap((r) => r.Tags))].sort();
  $('tag-list').replaceChildren(...tags.map((tag) => Object.assign(document.createElement('option'), { value: tag })));
  $('results').hidden = results.length === 0;
}

/** The rows shown, as CSV: an account and its tags (joined by `;`) a row. */
function csv() {
  return toCsv([['account', 'tags'], ...visibleResults().map(({ To_Account, Tags }) => [To_Account, Tags.join(';')])]);
}

async function lookUp(event) {
  event.preventDefault();
  const token = $('token').value.trim();
  const accounts = currentAccounts();
  showError('');
  if (!token) return showError('Enter the panel token.'), $('token').focus();
  if (!accounts.length) return showError('Enter at least one account.'), $('accounts').focus();
  sessionStorage.setItem(TOKEN_KEY, token);

  running = new AbortController();
  $('submit').disabled = true;
  $('cancel').hidden = false;
  $('progress-box').hidden = false;
  setStatus('Looking up…');
  const onProgress = (done, total) => {
    $('progress').max = Math.max(total, 1);
    $('progress').value = done;
    $('progress-text').textContent = `${done.toLocaleString()} / ${total.toLocaleString()}`;
  };
  try {
    await ready;
    results = await getTags(accounts, { token, signal: running.signal, onProgress });
    $('filter').value = '';
    render();
    const tagged = results.filter((r) => r.Tags.length).length;
    setStatus(`Found tags for ${tagged.toLocaleString()} of ${results.length.toLocaleString()} accounts.`);
  } catch (error) {
    // What is on screen would pass for this lookup's answer: it goes.
    results = [];
    $('filter').value = '';
    render();
    setStatus('');
    showError(explain(error));
  } finally {
    running = null;
    $('submit').disabled = false;
    $('cancel').hidden = true;
  }
}

async function loadFile() {
  const [file] = $('file').files;
  if (!file) return;
  const accounts = accountsFromCsv(await file.text());
  loaded = { name: file.name, accounts };
  $('accounts').value = accounts.join('\n');
  $('file').value = '';
  showCount();
  setStatus(`Loaded ${accounts.length.toLocaleString()} accounts from ${file.name}.`);
}

$('token').value = sessionStorage.getItem(TOKEN_KEY) ?? '';
$('lookup').addEventListener('submit', lookUp);
$('accounts').addEventListener('input', () => {
  loaded = null;
  showCount();
});
$('file').addEventListener('change', loadFile);
$('cancel').addEventListener('click', () => running?.abort());
$('filter').addEventListener('input', render);
$('rows').addEventListener('click', (event) => {
  if (!event.target.classList.contains('chip')) return;
  $('filter').value = event.target.textContent;
  render();
  $('filter').focus();
});
$('copy').addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(csv());
    setStatus(`Copied ${visibleResults().length.toLocaleString()} rows.`);
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
