// The line that says who is signed in, and the write tools that the session allows.
import { $, make, showError } from './dom.js';
import { admittedByAccess, ensureSession, forgetSession, mayWrite } from './service.js';
import { state } from './state.js';
import { render } from './table.js';
import { explain } from './wording.js';

/** Shows the session, and the table with the write tools it allows, or none while none is known. */
export function showSession() {
  const line = $('session');
  line.replaceChildren();
  if (state.who) {
    const may = mayWrite() ? 'may read and change tags' : 'may read tags';
    // Behind Access, a token that admits no one is passed over: say so, or it would seem used.
    const through = !admittedByAccess() ? '' : state.whoToken ? ' through Cloudflare Access (the token typed was not accepted)' : ' through Cloudflare Access';
    line.append('Signed in as ', make('strong', { textContent: state.who.caller }), `${through}: ${may} · tag API ${state.who.api}`);
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

/**
 * Asks who the caller is with the token typed, or with none: behind Cloudflare Access the
 * Worker admits the person Access let through, and the panel needs no token. Without a token,
 * a refusal (80401) only means one is needed, and is not shown; the rest are.
 */
export async function signInAsTyped() {
  const token = $('token').value.trim();
  try {
    await signIn(token);
  } catch (error) {
    if (error.superseded) return;
    if (token || error.code !== 80401) showError(explain(error));
  }
}

/**
 * Whether a call needs a token typed first: none is, and the Worker admits no one without one
 * (behind Cloudflare Access it admits the person). Waits for a session already being asked.
 * Any other failure is left for the call itself to report.
 */
export async function needsToken(token) {
  if (token) return false;
  try {
    await signIn('');
    return false;
  } catch (error) {
    return error.code === 80401;
  }
}
