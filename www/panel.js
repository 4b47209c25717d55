// The admin panel: asks the Worker who the caller is (signin.js), looks tags up (lookup.js),
// shows them (table.js), and for a caller that may write, changes them after a confirmation
// that gives the change's exact size, with progress, cancel and a summary of every account
// (change.js); afterwards it reads the changed accounts again. The package's calls are in
// service.js, the state they share in state.js, the panel's words in wording.js, CSV in csv.js.
// This module ties them to the page.
import { cancelChange, cancelOnEscape, confirmChange, keepRunOpen, loadBulk, openChange, showChange } from './change.js';
import { $, showError } from './dom.js';
import { accountsEdited, cancelLookup, loadFile, lookUp } from './lookup.js';
import { savedToken } from './service.js';
import { signIn, signOut } from './signin.js';
import { copyShown, exportShown, filterBy, pickRow, pickShown, refilter, selectedAccounts, turnPage } from './table.js';
import { explain } from './wording.js';

/** A click in the table: a tag's chip filters by it, its × offers to remove it. */
function clickRow({ target }) {
  if (target.classList.contains('chip')) filterBy(target.textContent);
  else if (target.classList.contains('unchip')) {
    openChange('remove', { accounts: [target.dataset.account], tags: [target.dataset.tag] });
  }
}

function wireLookup() {
  $('lookup').addEventListener('submit', lookUp);
  $('accounts').addEventListener('input', accountsEdited);
  $('token').addEventListener('change', signOut);
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
}

$('token').value = savedToken();
if ($('token').value) signIn($('token').value.trim()).catch((error) => showError(explain(error)));
wireLookup();
wireTable();
wireChanges();
