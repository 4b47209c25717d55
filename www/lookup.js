// The lookup form: the accounts typed or loaded from a CSV file, looked up with progress and
// a cancel of their own, and the accounts a change made read again.
import { ACCOUNT_HEADERS, accountsFromCsv } from './csv.js';
import { $, readCsv, setStatus, showError } from './dom.js';
import { readTags, saveToken } from './service.js';
import { needsToken, signIn } from './signin.js';
import { state } from './state.js';
import { mergeResults, showResults } from './table.js';
import { explain, foundTags, number, plural, waitingNote } from './wording.js';

/** Accounts from pasted text: separated by new lines, commas, semicolons or spaces. */
function parseAccounts(text) {
  const accounts = text
    .split(/[\s,;]+/)
    .map((field) => field.replace(/^"(.*)"$/, '$1'))
    .filter(Boolean);
  if (accounts.length && ACCOUNT_HEADERS.has(accounts[0].toLowerCase())) accounts.shift();
  return accounts;
}

/** The accounts to look up: the loaded file's, or the box's. */
function currentAccounts() {
  return state.loaded?.accounts ?? parseAccounts($('accounts').value);
}

export function showCount() {
  const accounts = currentAccounts();
  const distinct = new Set(accounts).size;
  $('count').textContent = accounts.length ? plural(distinct, 'distinct account') : '';
}

/** The box was edited: its text, not the file loaded before, holds the accounts now. */
export function accountsEdited() {
  state.loaded = null;
  showCount();
}

export async function loadFile() {
  const file = await readCsv($('file'), accountsFromCsv);
  if (!file) return;
  state.loaded = { name: file.name, accounts: file.data };
  $('accounts').value = file.data.join('\n');
  showCount();
  setStatus(`Loaded ${plural(file.data.length, 'account')} from ${file.name}.`);
}

/** The lookup's Cancel: stops the lookup the person started, never another read. */
export function cancelLookup() {
  state.lookingUp?.controller.abort();
}

/** Stops every read running: a new lookup's answer must not meet an older one's. */
function cancelReads() {
  for (const read of state.reading) read.controller.abort();
}

/**
 * Records a read of `accounts` as running, so that a change of them waits for it; the lookup
 * the person started is also the one its Cancel stops. Returns it.
 */
function startRead(accounts, { started } = {}) {
  const read = { accounts: new Set(accounts), controller: new AbortController() };
  state.reading.add(read);
  if (started) state.lookingUp = read;
  return read;
}

function endRead(read) {
  state.reading.delete(read);
  if (state.lookingUp !== read) return;
  state.lookingUp = null;
  // A lookup cancelled or failed while it waited waits no more.
  $('progress-wait').textContent = '';
}

function startProgress(label) {
  $('progress-box').hidden = false;
  setStatus(label);
  return (done, total, waiting) => {
    $('progress').max = Math.max(total, 1);
    $('progress').value = done;
    $('progress-text').textContent = `${number(done)} / ${number(total)}`;
    $('progress-wait').textContent = waitingNote(waiting, state.who?.calls_per_second);
  };
}

/** Looks up the accounts of the form, once it has an account, and a token unless Access admitted the caller. */
export async function lookUp(event) {
  event.preventDefault();
  const token = $('token').value.trim();
  const accounts = currentAccounts();
  showError('');
  if (!accounts.length) return showError('Enter at least one account.'), $('accounts').focus();
  // No second lookup while this one asks whether a token is needed.
  $('submit').disabled = true;
  const needed = await needsToken(token);
  $('submit').disabled = false;
  // The token was changed meanwhile: the lookup it asks for is its own.
  if ($('token').value.trim() !== token) return;
  if (needed) return showError('Enter the panel token.'), $('token').focus();
  saveToken(token);
  // A read still running would merge its older answer into this one's.
  cancelReads();
  await runLookup(token, accounts);
}

async function runLookup(token, accounts) {
  const lookup = startRead(accounts, { started: true });
  $('submit').disabled = true;
  $('cancel').hidden = false;
  const onProgress = startProgress('Looking up…');
  try {
    await signIn(token);
    showResults(await readTags(accounts, { token, signal: lookup.controller.signal, onProgress }));
    setStatus(foundTags(state.results));
  } catch (error) {
    // What is on screen would pass for this lookup's answer: it goes.
    showResults([]);
    setStatus('');
    showError(explain(error));
  } finally {
    endRead(lookup);
    $('submit').disabled = false;
    $('cancel').hidden = true;
  }
}

/**
 * Reads the changed accounts again, so the table shows what the vendor now holds. It is a
 * lookup of its own: a change of them waits for it (see change.js), and a new lookup cancels
 * it, so that its answer never lands on a newer table.
 */
export async function readAgain(accounts) {
  const token = $('token').value.trim();
  const lookup = startRead(accounts);
  try {
    const fresh = await readTags(accounts, { token, signal: lookup.controller.signal });
    mergeResults(fresh);
    setStatus(`Read ${plural(fresh.length, 'changed account')} again.`);
  } catch (error) {
    if (!lookup.controller.signal.aborted) showError(`The change ran, but reading the accounts again failed: ${explain(error)}`);
  } finally {
    endRead(lookup);
  }
}
