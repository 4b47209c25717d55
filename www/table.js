// The results table: the rows the filters show (the text typed, and the tag chosen on the
// chart), a page at a time, with the selection a change is made of, and the rows shown copied
// or exported as CSV.
import { focusBar, showChart } from './chart.js';
import { toCsv } from './csv.js';
import { $, download, make, setStatus, showError } from './dom.js';
import { mayWrite } from './service.js';
import { state } from './state.js';
import { failedRow, number, plural } from './wording.js';

/** Rows rendered at once: a page, never all of 10,000. */
const PAGE_SIZE = 100;

function matches(entry, wanted) {
  return entry.Tags.some((t) => t.toLowerCase() === wanted) || entry.To_Account.toLowerCase().includes(wanted);
}

/** Works out which rows the filters show; renders the first page. */
export function refilter() {
  const wanted = $('filter').value.trim().toLowerCase();
  const tag = state.tagFilter;
  state.shown = wanted || tag
    ? state.results.filter((entry) => (!tag || entry.Tags.includes(tag)) && (!wanted || matches(entry, wanted)))
    : state.results;
  state.page = 0;
  render();
}

/** Shows `results` in place of what the table held, unfiltered and with nothing selected. */
export function showResults(results) {
  state.results = results;
  state.selected.clear();
  state.tagFilter = '';
  $('filter').value = '';
  refilter();
}

/** Puts `fresh` entries in place of the ones of their accounts (new accounts at the end), on the same page. */
export function mergeResults(fresh) {
  const byAccount = new Map(fresh.map((entry) => [entry.To_Account, entry]));
  state.results = state.results.map((entry) => byAccount.get(entry.To_Account) ?? entry);
  const known = new Set(state.results.map((entry) => entry.To_Account));
  state.results.push(...fresh.filter((entry) => !known.has(entry.To_Account)));
  const keep = state.page;
  refilter();
  state.page = keep;
  render();
}

/** A tag: a chip that filters by it, and for a caller that may write, a button that removes it. */
function tagItem(account, tag) {
  const item = make('span', { className: 'tag' });
  item.append(make('button', { type: 'button', className: 'chip', textContent: tag, title: `Show only accounts tagged ${tag}` }));
  if (mayWrite()) {
    const remove = make('button', { type: 'button', className: 'unchip', textContent: '×' });
    remove.dataset.account = account;
    remove.dataset.tag = tag;
    remove.setAttribute('aria-label', `Remove tag ${tag} from ${account}`);
    item.append(remove);
  }
  return item;
}

function fillTagCell(entry, cell) {
  if (entry.ErrorCode !== undefined) cell.append(make('span', { className: 'failed', textContent: failedRow(entry) }));
  else if (!entry.Tags.length) cell.append(make('span', { className: 'none', textContent: 'no tags' }));
  else cell.append(...entry.Tags.map((tag) => tagItem(entry.To_Account, tag)));
}

function tableRow(entry) {
  const row = make('tr');
  if (mayWrite()) {
    const pick = make('input', { type: 'checkbox', className: 'pick-row', checked: state.selected.has(entry.To_Account) });
    pick.dataset.account = entry.To_Account;
    pick.setAttribute('aria-label', `Select ${entry.To_Account}`);
    const cell = row.insertCell();
    cell.className = 'pick';
    cell.append(pick);
  }
  row.insertCell().textContent = entry.To_Account;
  fillTagCell(entry, row.insertCell());
  return row;
}

/** Renders the current page of the rows shown, with the caption, pager and tag list that go with it. */
export function render() {
  const { results, shown } = state;
  const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
  state.page = Math.min(state.page, pages - 1);
  const from = state.page * PAGE_SIZE;
  const rows = shown.slice(from, from + PAGE_SIZE).map(tableRow);
  $('rows').replaceChildren(...rows);
  const filter = $('filter').value.trim();
  const filters = [state.tagFilter && `tagged “${state.tagFilter}”`, filter && `match “${filter}”`].filter(Boolean);
  $('summary').textContent = filters.length
    ? `${number(shown.length)} of ${plural(results.length, 'account')} ${filters.join(' and ')}`
    : plural(results.length, 'account');
  $('tag-filter').hidden = !state.tagFilter;
  $('tag-filter-name').textContent = state.tagFilter;
  $('page-text').textContent = shown.length
    ? `Showing ${number(from + 1)}–${number(from + rows.length)} of ${number(shown.length)}`
    : 'Nothing to show';
  $('previous').disabled = state.page === 0;
  $('next').disabled = state.page >= pages - 1;
  const tags = [...new Set(results.flatMap((r) => r.Tags))].sort();
  $('tag-list').replaceChildren(...tags.map((tag) => make('option', { value: tag })));
  $('results').hidden = results.length === 0;
  showSelection();
  showChart();
}

export function showSelection() {
  const { shown, selected } = state;
  const shownSelected = shown.filter((entry) => selected.has(entry.To_Account)).length;
  $('select-shown').checked = shown.length > 0 && shownSelected === shown.length;
  $('select-shown').indeterminate = shownSelected > 0 && shownSelected < shown.length;
  $('selected-count').textContent = `${number(selected.size)} selected`;
  for (const id of ['add', 'remove', 'clear']) $(id).disabled = selected.size === 0;
}

/** Moves `by` pages on. */
export function turnPage(by) {
  state.page += by;
  render();
}

/** Shows only the accounts that have `tag` (or whose name holds it). */
export function filterBy(tag) {
  $('filter').value = tag;
  refilter();
  $('filter').focus();
}

/**
 * Shows only the accounts that hold `tag` (a bar of the chart), or, when they are shown
 * already, every account again: the bar is a toggle.
 */
export function filterByTag(tag) {
  state.tagFilter = state.tagFilter === tag ? '' : tag;
  refilter();
  setStatus(state.tagFilter
    ? `Showing the ${plural(state.shown.length, 'account')} tagged ${tag}.`
    : 'Showing every tag again.');
}

/** Shows every tag again; the focus goes back to the tag's bar (or to the filter, without one). */
export function clearTagFilter() {
  const tag = state.tagFilter;
  state.tagFilter = '';
  refilter();
  setStatus('Showing every tag again.');
  if (!focusBar(tag)) $('filter').focus();
}

/** Selects, or leaves out, the account of a row's checkbox as it changes. */
export function pickRow(pick) {
  if (pick.checked) state.selected.add(pick.dataset.account);
  else state.selected.delete(pick.dataset.account);
  showSelection();
}

/** Selects, or leaves out, every row the filter shows, as the header's checkbox says. */
export function pickShown() {
  const all = $('select-shown').checked;
  for (const entry of state.shown) {
    if (all) state.selected.add(entry.To_Account);
    else state.selected.delete(entry.To_Account);
  }
  render();
}

/** The accounts selected, in the order they were looked up. */
export function selectedAccounts() {
  return state.results.map((e) => e.To_Account).filter((a) => state.selected.has(a));
}

/** The rows shown, as CSV: an account and its tags (joined by `;`) a row. */
function shownCsv() {
  return toCsv([['account', 'tags'], ...state.shown.map(({ To_Account, Tags }) => [To_Account, Tags.join(';')])]);
}

export async function copyShown() {
  try {
    await navigator.clipboard.writeText(shownCsv());
    setStatus(`Copied ${plural(state.shown.length, 'row')}.`);
  } catch {
    showError('The browser did not allow copying; use Export CSV instead.');
  }
}

export function exportShown() {
  download('tags.csv', shownCsv());
}
