// The panel's state, all in one object: the other modules keep only constants, so what can
// change is read here, and each field says who changes it.

export const state = {
  /** Every account looked up, as getTags gives it, in order (lookup.js, table.js). */
  results: [],
  /** The rows the filter shows (table.js). */
  shown: [],
  /** The accounts selected for a change (table.js). */
  selected: new Set(),
  /** The tag whose accounts alone are shown, chosen on the chart; '' for all (table.js). */
  tagFilter: '',
  /** The results the tag chart was drawn for: it is drawn again when they change (chart.js). */
  charted: null,
  /** The page of `shown` on screen, from 0 (table.js). */
  page: 0,
  /** The lookup the person started, running: `{ accounts, controller }`, its accounts as a Set; null when none runs; its Cancel aborts it (lookup.js). */
  lookingUp: null,
  /** Every read running, that lookup and the changed accounts read again after a change alike, in the same shape (lookup.js). */
  reading: new Set(),
  /** The running change's controller, its own, so that ending a lookup never takes its cancel away (change.js). */
  changing: null,
  /** The CSV file loaded last, `{ name, accounts }`, until the box is edited: its accounts were read as CSV (lookup.js). */
  loaded: null,
  /** Who the Worker says the caller is: `{ caller, scopes, api, calls_per_second, admitted_by }`, for `whoToken` (service.js). */
  who: null,
  whoToken: null,
  /** The session asked of the Worker and not answered yet, `{ token, promise }`: only its answer is kept (service.js). */
  asking: null,
  /** The change being confirmed: `{ op, entries, source }` (change.js). */
  change: null,
  /** The view shown: 'tags' or 'history' (views.js). */
  view: 'tags',
  /**
   * The history listed: the filters applied, the cursor of the next page (null at the end),
   * its rows (a batch's changes in one, a change without a batch alone: `{ key, batch,
   * changes, complete }`, also found by key in `byKey`), the controller of the reading under
   * way, and whether the list has been read (history.js).
   */
  history: { query: {}, next: null, rows: [], byKey: new Map(), controller: null, loaded: false },
  /**
   * The row opened: `{ row, accounts: Map(change id → its accounts), shown (changes whose
   * accounts are on screen), reading, controller, opener (the button to focus again) }`; and
   * the undo being confirmed or run, `{ row, title, target, plan, opener, confirmed }` (history.js).
   */
  opened: null,
  undoing: null,
};
