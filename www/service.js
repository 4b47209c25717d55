// The package's calls (./pkg/tim_tags.js), made with the caller's token and the tag API its
// session names. The session is asked of the Worker once per token; the token is kept for
// this tab only. An empty token is none (the package sends no Authorization): behind
// Cloudflare Access, the Worker admits the person Access let through.
import init, { addTags, change, clearTags, getTags, history, removeTags, session, undo } from './pkg/tim_tags.js';
import { state } from './state.js';

const TOKEN_KEY = 'tim-tags.token';
/** The package's wasm, loaded once: the session waits for it, and every other call comes after one. */
const ready = init();

/** The token this tab used last, or ''. */
export const savedToken = () => sessionStorage.getItem(TOKEN_KEY) ?? '';

export const saveToken = (token) => sessionStorage.setItem(TOKEN_KEY, token);

/** Whether the session's token may change tags. */
export const mayWrite = () => state.who?.scopes.includes('write') ?? false;

/** Whether a session is known and its token may only read: the panel offers it no change. */
export const mayOnlyRead = () => state.who !== null && !mayWrite();

/** Whether Cloudflare Access admitted the caller, rather than the token (none, or one that admits no one). */
export const admittedByAccess = () => state.who?.admitted_by === 'access';

/** Forgets the session, and the one being asked: its answer, when it comes, is not kept. */
export function forgetSession() {
  state.who = null;
  state.whoToken = null;
  state.asking = null;
}

/**
 * The session of `token`, asked of the Worker unless it is the one known already or being
 * asked. `onChange` runs as the old session is forgotten and as the new one is known, so
 * nothing on screen keeps offering what the old token might. Only the session asked last is
 * kept: an answer for a token asked before it never replaces it.
 */
export function ensureSession(token, onChange) {
  if (state.who && state.whoToken === token) return Promise.resolve(state.who);
  if (state.asking?.token === token) return state.asking.promise;
  forgetSession();
  onChange();
  // An answer for a session no longer asked for (another token's was since) is not used: the
  // call that asked for it ends with an error that says so, and shows nothing.
  const answered = () => {
    if (state.asking?.promise !== promise) throw Object.assign(new Error('the token changed'), { superseded: true });
    state.asking = null;
  };
  const promise = ready.then(() => session({ token })).then(
    (who) => {
      answered();
      state.who = who;
      state.whoToken = token;
      onChange();
      return who;
    },
    (error) => {
      answered();
      throw error;
    },
  );
  state.asking = { token, promise };
  return promise;
}

/** The tags of `accounts`, read with `options` (token, signal, onProgress) on the session's tag API. */
export function readTags(accounts, options) {
  return getTags(accounts, { ...options, api: state.who.api });
}

/**
 * Runs a change of `entries` (`{ To_Account, Tags }`): 'add' (or, with `replace`, set exactly),
 * 'remove', or 'clear' (of all their tags); resolves to the package's write report.
 */
export function writeTags(op, entries, replace, options) {
  const onApi = { ...options, api: state.who.api };
  if (op === 'add') return addTags(entries, replace ? { ...onApi, replace: true } : onApi);
  if (op === 'remove') return removeTags(entries, onApi);
  return clearTags(entries.map((e) => e.To_Account), onApi);
}

/** A page of the history, newest first: `{ changes, next }`, for `query` (the route's filters, a limit and a cursor). */
export function readHistory(query, options) {
  return history(query, options);
}

/** One change with its accounts, before and after: `{ change, accounts }`. */
export function readChange(id, options) {
  return change(id, options);
}

/** Undoes a change (its id) or a whole batch (`{ batch }`); resolves to a write report with `skipped`. */
export function undoChange(target, options) {
  return undo(target, { ...options, api: state.who.api });
}
