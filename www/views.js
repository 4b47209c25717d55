// The panel's two views, as tabs: the tags of accounts looked up, and the history of changes.
// The arrow keys, Home and End move between the tabs, as they do in any tab list.
import { $ } from './dom.js';
import { openHistory } from './history.js';
import { state } from './state.js';

const VIEWS = ['tags', 'history'];

/** Shows the view `name` and selects its tab; the history is read again each time it is shown. */
export function showView(name) {
  state.view = name;
  for (const view of VIEWS) {
    const tab = $(`tab-${view}`);
    tab.setAttribute('aria-selected', String(view === name));
    tab.tabIndex = view === name ? 0 : -1;
    $(`view-${view}`).hidden = view !== name;
  }
  if (name === 'history') openHistory();
}

/** A key in the tab list: the arrows, Home and End select a tab and move the focus to it. */
export function tabKey(event) {
  const at = VIEWS.indexOf(state.view);
  const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: VIEWS.length - 1 }[event.key];
  if (to === undefined) return;
  event.preventDefault();
  const view = VIEWS[(to + VIEWS.length) % VIEWS.length];
  if (view !== state.view) showView(view);
  $(`tab-${view}`).focus();
}
