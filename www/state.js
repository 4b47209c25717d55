// The panel's state, all in one object: the other modules keep only constants, so what can
// change is read here, and each field says who changes it.

export const state = {
  /** Every account looked up, as getTags gives it, in order (lookup.js, table.js). */
  results: [],
  /** The rows the filter shows (table.js). */
  shown: [],
  /** The accounts selected for a change (table.js). */
  selected: new Set(),
  /** The page of `shown` on screen, from 0 (table.js). */
  page: 0,
  /** The running lookup: `{ accounts, controller }`, its accounts as a Set; null when none runs (lookup.js). */
  lookingUp: null,
  /** The running change's controller, its own, so that ending a lookup never takes its cancel away (change.js). */
  changing: null,
  /** The CSV file loaded last, `{ name, accounts }`, until the box is edited: its accounts were read as CSV (lookup.js). */
  loaded: null,
  /** Who the Worker says the caller is: `{ caller, scopes, api, calls_per_second }`, for `whoToken` (service.js). */
  who: null,
  whoToken: null,
  /** The change being confirmed: `{ op, entries, source }` (change.js). */
  change: null,
};
