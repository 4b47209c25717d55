// What the panel says: numbers as people read them, the size of a change, and plain words for
// what went wrong.
import { admittedByAccess, mayOnlyRead } from './service.js';

/** The vendor's code for an account that does not exist: no fault, so it is told apart from one. */
const NO_SUCH_ACCOUNT = 70107;

export const number = (n) => n.toLocaleString('en-US');

export const plural = (n, one, many = `${one}s`) => `${number(n)} ${n === 1 ? one : many}`;

/**
 * Plain words for what went wrong: by the TimError's code where the panel has words of its own
 * for it, else by the action the package decided from the code.
 */
export function explain(error) {
  // A session asked for a token since replaced: what the newer one asks for is said instead.
  if (error.superseded) return '';
  const { code, info } = error;
  switch (code) {
    case 80401: return 'The panel token was refused. Check it, or ask whoever runs this panel for a new one.';
    case 80403: return forbidden();
    case 80503: return `The tags service is misconfigured: ${info}`;
    case 80408: return 'The tags service did not answer in time. Try again.';
    case 80404: return 'That change is not in the history (it may be older than the history keeps).';
    case 80499: return 'Cancelled.';
    case 80502: return `Could not reach the tags service: ${info}`;
    case 80504: return 'The chat service did not answer in time. Try again.';
    case 90001: return `Check the input: ${info}`;
    // The caller's own limit (per token or Access identity), rather than the chat service's.
    case 80429: return 'Too many calls under your name in the last minute; wait a moment and try again.';
    case undefined: return `Something went wrong: ${error.message ?? error}`;
  }
  return error.action === 'wait'
    ? `The chat service is busy with too many calls; wait a moment and try again (code ${code}).`
    : `The chat service refused: ${info} (code ${code}).`;
}

/**
 * The Worker's 80403 is both a page whose origin it refuses and a write by a token that may only
 * read; the session's scopes tell them apart. With no session known (the session call itself
 * was refused), no write was made, so it is the origin.
 */
function forbidden() {
  if (!mayOnlyRead()) return 'This page is not allowed to call the tags service (its origin is not on the allow-list).';
  return admittedByAccess()
    ? 'You may only read tags. Ask whoever runs this panel to let you change them.'
    : 'This token may only read tags. Ask whoever runs this panel for a write token to change them.';
}

/** Why the vendor could not serve an account, from its `ErrorCode` and `ErrorInfo`. */
export function failureReason({ ErrorCode, ErrorInfo }) {
  return ErrorCode === NO_SUCH_ACCOUNT ? 'does not exist' : ErrorInfo || 'no reason given';
}

/** An account the vendor could not serve, as its row in the table says it. */
export function failedRow(entry) {
  const failed = entry.ErrorCode === NO_SUCH_ACCOUNT ? '' : 'failed: ';
  return `${failed}${failureReason(entry)} (${entry.ErrorCode})`;
}

/** "Add 2 tags to 1,240 accounts": the exact size of a change of `entries`. */
export function sizeOf({ op, entries }, replace) {
  const accounts = plural(entries.length, 'account');
  const tags = plural(new Set(entries.flatMap((e) => e.Tags ?? [])).size, 'tag');
  switch (op) {
    case 'add': return replace ? `Set ${accounts} to exactly ${tags}` : `Add ${tags} to ${accounts}`;
    case 'remove': return `Remove ${tags} from ${accounts}`;
    default: return `Clear all tags of ${accounts}`;
  }
}

/**
 * What a lookup or change says while it waits for room in the app's rate, '' while it does not:
 * the chat service counts calls per app, so every admin's calls share that rate.
 */
export function waitingNote(waiting, callsPerSecond) {
  if (!waiting) return '';
  const calls = callsPerSecond ? plural(callsPerSecond, 'call') : 'only so many calls';
  return `Waiting for the app's rate: the chat service takes ${calls} a second, shared by every admin; this goes on by itself.`;
}

/** What a lookup found: how many accounts have tags, and how many could not be read. */
export function foundTags(results) {
  const tagged = results.filter((r) => r.Tags.length).length;
  const failed = results.filter((r) => r.ErrorCode !== undefined).length;
  return `Found tags for ${number(tagged)} of ${plural(results.length, 'account')}` +
    (failed ? `; ${plural(failed, 'account')} could not be read.` : '.');
}

/** The outcome of a change (or an undo, with its skipped accounts) from its write report, and why it stopped when it did. */
export function outcome({ done, failed, notDone, skipped }, failure) {
  return `Done: ${plural(done.length, 'account')}. ` +
    `Failed: ${number(failed.length)}. Not done: ${number(notDone.length)}.` +
    (skipped ? ` Skipped: ${number(skipped.length)}.` : '') +
    (failure ? ` ${explain(failure)}` : '');
}

/** Why an undo left an account as it was, from the reason the Worker gives. */
export function skipReason(reason) {
  switch (reason) {
    case 'changed since': return 'its tags have changed since';
    case 'before unknown': return 'its tags before the change are unknown';
    case 'not done': return 'the change was not done for it';
    default: return reason || 'no reason given';
  }
}

/** A time of the history, as people read it (the computer's own time zone). */
export function when(at) {
  const time = new Date(at);
  return Number.isNaN(time.getTime()) ? at : time.toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'medium' });
}

/** A list of tags in a line: the first few, and how many more. */
function tagList(tags, few = 5) {
  return tags.length > few ? `${tags.slice(0, few).join(', ')} and ${plural(tags.length - few, 'more tag')}` : tags.join(', ');
}

/**
 * What a row of the history did, from its summary (history.js): "Add vip to 120 accounts",
 * "Undo of change 42 (120 accounts)".
 */
export function changeTitle({ op, tags, replace, accounts, undoOf }) {
  const size = plural(accounts, 'account');
  switch (op) {
    case 'add': return replace ? `Set ${size} to exactly ${tagList(tags)}` : `Add ${tagList(tags)} to ${size}`;
    case 'remove': return `Remove ${tagList(tags)} from ${size}`;
    case 'clear': return `Clear all tags of ${size}`;
    case 'undo': {
      const of = undoOf.length === 1 ? `change ${undoOf[0]}` : plural(undoOf.length, 'change');
      return `Undo of ${of} (${size}${tags.length ? `; ${tagList(tags)}` : ''})`;
    }
    default: return `${op} of ${size}`;
  }
}

/** How a row of the history ended, from its summary: done, partly done, or failed and why. */
export function changeOutcome({ outcome: result, done, failed, codes }) {
  if (result === 'ok') return 'Done';
  if (result === 'partial') return `Partly done: ${number(done)} done, ${number(failed)} failed`;
  return codes.length ? `Failed (code ${codes.join(', ')})` : 'Failed';
}

/** How a change ended for one of its accounts, as the history keeps it. */
export function accountOutcome({ outcome: result, code }) {
  if (result === 'done') return 'done';
  if (result === 'unknown') return 'no answer: may or may not have been applied';
  return code === NO_SUCH_ACCOUNT ? `failed: does not exist (${code})` : `failed (code ${code})`;
}
