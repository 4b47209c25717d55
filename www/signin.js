// The line that says who is signed in, and the write tools that the session allows.
import { $, make } from './dom.js';
import { ensureSession, forgetSession, mayWrite } from './service.js';
import { state } from './state.js';
import { render } from './table.js';

/** Shows the session, and the table with the write tools it allows, or none while none is known. */
export function showSession() {
  const line = $('session');
  line.replaceChildren();
  if (state.who) {
    const may = mayWrite() ? 'may read and change tags' : 'may read tags';
    line.append('Signed in as ', make('strong', { textContent: state.who.caller }), `: ${may} · tag API ${state.who.api}`);
  }
  $('edit-tools').hidden = !mayWrite();
  $('pick-head').hidden = !mayWrite();
  render();
}

/** The session of `token`, asked of the Worker once per token, and shown. */
export const signIn = (token) => ensureSession(token, showSession);

/** Forgets the session, so the next call asks the Worker again: the token has changed. */
export function signOut() {
  forgetSession();
  showSession();
}
