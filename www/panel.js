// The admin panel: asks the Worker who the caller is (signin.js), looks tags up (lookup.js),
// shows them (table.js) with a chart of how many accounts hold each tag (chart.js), and for a
// caller that may write, changes them after a confirmation that gives the change's exact
// size, with progress, cancel and a summary of every account (change.js); afterwards it reads
// the changed accounts again. The History view (history.js) lists the changes made, opens
// them, exports them and undoes them; views.js switches between the two. The package's calls
// are in service.js, the state they share in state.js, the panel's words in wording.js, CSV
// in csv.js. This module ties them to the page.
import { cancelChange, cancelOnEscape, confirmChange, keepRunOpen, loadBulk, openChange, showChange } from './change.js';
import { $, showError } from './dom.js';
import {
  applyFilters, closedRow, closedUndo, confirmUndo, exportHistory, focusList, loadMore, openHistory, openRow,
  prepareUndo, resetFilters, showMoreAccounts, showUndoCount,
} from './history.js';
import { accountsEdited, cancelLookup, loadFile, lookUp } from './lookup.js';
import { saveToken, savedToken } from './service.js';
import { needsToken, signIn, signInAsTyped, signOut } from './signin.js';
import { state } from './state.js';
import {
  clearTagFilter, copyShown, exportShown, filterBy, filterByTag, pickRow, pickShown, refilter, selectedAccounts, turnPage,
} from './table.js';
import { showView, tabKey } from './views.js';
import { explain } from './wording.js';

/** A click in the table: a tag's chip filters by it, its × offers to remove it. */
function clickRow({ target }) {
  if (target.classList.contains('chip')) filterBy(target.textContent);
  else if (target.classList.contains('unchip')) {
    openChange('remove', { accounts: [target.dataset.account], tags: [target.dataset.tag] });
  }
}

/**
 * Enter in the token field: in the History view, lists the history; in the Tags view, looks
 * up the accounts given, or with none given yet, asks who the caller is.
 */
async function submitToken(event) {
  event.preventDefault();
  const token = $('token').value.trim();
  if (await needsToken(token)) return;
  saveToken(token);
  if (state.view === 'history') return openHistory();
  if (state.loaded || $('accounts').value.trim()) return $('lookup').requestSubmit();
  try {
    await signIn(token);
    showError('');
  } catch (error) {
    showError(explain(error));
  }
}

function wireViews() {
  $('signin').addEventListener('submit', submitToken);
  $('token').addEventListener('change', () => {
    const token = $('token').value.trim();
    // The same token as the session's, or the one being asked for: nothing changed.
    if (token === (state.asking ? state.asking.token : state.whoToken)) return;
    signOut();
    if (token) return;
    // A token cleared is forgotten; behind Cloudflare Access the person is signed in without one.
    saveToken('');
    signInAsTyped();
  });
  for (const view of ['tags', 'history']) $(`tab-${view}`).addEventListener('click', () => showView(view));
  document.querySelector('[role="tablist"]').addEventListener('keydown', tabKey);
}

function wireLookup() {
  $('lookup').addEventListener('submit', lookUp);
  $('accounts').addEventListener('input', accountsEdited);
  $('file').addEventListener('change', loadFile);
  $('cancel').addEventListener('click', cancelLookup);
}

function wireTable() {
  $('filter').addEventListener('input', refilter);
  $('previous').addEventListener('click', () => turnPage(-1));
  $('next').addEventListener('click', () => turnPage(1));
  $('rows').addEventListener('click', clickRow);
  $('rows').addEventListener('change', ({ target }) => {
    if (target.classList.contains('pick-row')) pickRow(target);
  });
  $('select-shown').addEventListener('change', pickShown);
  $('copy').addEventListener('click', copyShown);
  $('export').addEventListener('click', exportShown);
  $('chart-bars').addEventListener('click', ({ target }) => {
    const bar = target.closest('.chart-bar');
    if (bar) filterByTag(bar.dataset.tag);
  });
  $('tag-filter-clear').addEventListener('click', clearTagFilter);
}

function wireChanges() {
  for (const op of ['add', 'remove', 'clear']) {
    $(op).addEventListener('click', () => openChange(op, { accounts: selectedAccounts() }));
  }
  $('bulk-file').addEventListener('change', loadBulk);
  $('change-form').addEventListener('submit', confirmChange);
  $('change-form').addEventListener('input', showChange);
  $('change-cancel').addEventListener('click', () => $('change-dialog').close());
  $('run-cancel').addEventListener('click', cancelChange);
  $('run-close').addEventListener('click', () => $('run-dialog').close());
  $('run-dialog').addEventListener('cancel', cancelOnEscape);
  $('run-dialog').addEventListener('close', keepRunOpen);
  $('run-dialog').addEventListener('close', () => {
    if (!state.changing && state.view === 'history') focusList();
  });
}

function wireHistory() {
  $('history-filters').addEventListener('submit', applyFilters);
  $('history-reset').addEventListener('click', resetFilters);
  $('history-export').addEventListener('click', exportHistory);
  $('history-more').addEventListener('click', loadMore);
  $('history-rows').addEventListener('click', ({ target }) => {
    const open = target.closest('.open-row');
    if (open) openRow(open.dataset.key, open);
  });
  $('history-more-accounts').addEventListener('click', showMoreAccounts);
  $('history-undo').addEventListener('click', prepareUndo);
  $('history-close').addEventListener('click', () => $('history-dialog').close());
  $('history-dialog').addEventListener('close', closedRow);
  $('undo-form').addEventListener('submit', confirmUndo);
  $('undo-form').addEventListener('input', showUndoCount);
  $('undo-cancel').addEventListener('click', () => $('undo-dialog').close());
  $('undo-dialog').addEventListener('close', closedUndo);
}

$('token').value = savedToken();
signInAsTyped();
wireViews();
wireLookup();
wireTable();
wireChanges();
wireHistory();
