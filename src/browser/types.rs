//! The package's TypeScript declarations, written out in full: the functions are exported
//! without wasm-bindgen's own, which cannot say what a duck-typed option or a report holds.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** Which generation of the vendor's tag API the app has: see session(). */
export type TagApi = 'all_member_push' | 'timpush';

/** One account and its push tags; an account the vendor could not serve has its code and reason. */
export interface UserTags {
  To_Account: string;
  Tags: string[];
  /** Present when the vendor listed the account as failed (70107: it does not exist). */
  ErrorCode?: number;
  ErrorInfo?: string;
}

/** An account the vendor listed as failed, and why. */
export interface AccountError {
  To_Account: string;
  ErrorCode: number;
  ErrorInfo: string;
}

/** What a write did: each distinct account is in exactly one of the three lists. */
export interface WriteReport {
  /** Changed: every call that carried the account succeeded for it. */
  done: string[];
  /** Listed by the vendor as failed, with its code and reason. */
  failed: AccountError[];
  /** Not known to be changed: never sent, or sent without an answer (sending again is safe). */
  notDone: string[];
  /**
   * The id every call of the write carried (X-Tim-Batch): its changes share it in the history,
   * where history({ batch }) lists them and undo({ batch }) undoes them. Every report has it,
   * a report of calls never sent included.
   */
  batch: string;
}

/** Which changes history() lists: every field optional, and no others. */
export interface HistoryQuery {
  /** Changes of this account. */
  account?: string;
  /** Changes that added, removed or cleared this tag. */
  tag?: string;
  /** Changes made by this caller (a panel token's name, or an Access identity). */
  caller?: string;
  op?: 'add' | 'remove' | 'clear' | 'undo';
  outcome?: 'ok' | 'partial' | 'failed';
  /** The changes of one write or undo: its report's batch. */
  batch?: string;
  /** From this moment on (RFC 3339). */
  since?: string;
  /** Up to this moment (RFC 3339). */
  until?: string;
  /** Changes a page: 1 to 200 (default 50). */
  limit?: number;
  /** Where a page starts: the next of the page before. */
  cursor?: string;
}

/** One change: one call of a write or an undo, of up to 100 accounts. */
export interface Change {
  id: string;
  /** When it was made (RFC 3339, UTC). */
  at: string;
  caller: string;
  op: 'add' | 'remove' | 'clear' | 'undo';
  api: TagApi;
  request_id: string;
  /** The tags it added or removed (for an undo, every tag it put back or took away). */
  tags: string[];
  replace: boolean;
  outcome: 'ok' | 'partial' | 'failed';
  /** The call's code: 0 unless it failed as a whole. */
  code: number;
  /** Its accounts, those done and those failed. */
  accounts: number;
  done: number;
  failed: number;
  batch: string | null;
  /** For an undo: the change it undid. */
  undo_of: string | null;
}

/** One account of a change: what it held before, and what the change left. */
export interface ChangedAccount {
  account: string;
  /** 'unknown': the call got no usable answer, so the vendor may or may not have applied it. */
  outcome: 'done' | 'failed' | 'unknown';
  code: number;
  /** Its tags just before the change; null when they could not be read. */
  before: string[] | null;
  /** What the change left; null when unknown. */
  after: string[] | null;
}

/** A page of the history, newest first. */
export interface HistoryPage {
  changes: Change[];
  /** The cursor of the next page; null on the last. */
  next: string | null;
}

/** One account and the tags to add or remove. */
export interface TagsOf {
  To_Account: string;
  Tags: string[];
}

/** Who the caller is, what it may do, and the app's generation, as the Worker says. */
export interface Session {
  caller: string;
  /** ['read'], or ['read', 'write'] for a caller that may change tags. */
  scopes: ('read' | 'write')[];
  api: TagApi;
  /** The calls per second the app may make on each vendor path, shared by every admin. */
  calls_per_second: number;
  /**
   * How the Worker admitted the caller: by the panel token sent, or by Cloudflare Access (no
   * token was sent, or the one sent admits no one and Access let the person through).
   */
  admitted_by: 'token' | 'access';
}

/** How the functions call the edge Worker. */
export interface Options {
  /** The Worker's origin, such as "https://tags.example.workers.dev"; default: this page's origin. */
  endpoint?: string;
  /** A panel token (Authorization: Bearer); none with Cloudflare Access. An empty string is none. */
  token?: string;
  /** Which generation's paths to call (default 'all_member_push'). */
  api?: TagApi;
  /** Aborting it cancels the calls in flight and those not yet sent. */
  signal?: AbortSignal;
  /** How long each call of up to 100 accounts may take, in milliseconds (default 30000). */
  timeoutMs?: number;
  /**
   * A ceiling of the caller's own on calls per second. Without it, calls go at the app's rate
   * as the Worker tells it (its RateLimit-Policy); with it, never faster than either.
   */
  maxCallsPerSecond?: number;
  /**
   * Called with the number of accounts finished, the number of distinct accounts, and whether
   * the batch is waiting for the app's rate (every call of it is in use, by this batch or by
   * other admins; the batch goes on as soon as there is room, and is never failed by it).
   */
  onProgress?: (done: number, total: number, waiting: boolean) => void;
}

/** The options of getTags. */
export type GetTagsOptions = Options;

/** What the functions reject with: a real Error with the code of what went wrong. */
export class TimError extends Error {
  private constructor();
  readonly name: "TimError";
  /**
   * The vendor's ErrorCode (such as 90001, 70001 or 91000), the Worker's own code (8 and the
   * HTTP status, such as 80401 or 80403), or, for what happened in the browser: 80400 bad
   * options (or an option no function takes, such as a misspelt one), 80408 a call timed
   * out, 80499 aborted, 80502 the endpoint could not be reached or read.
   */
  readonly code: number;
  /** What went wrong, in words. */
  readonly info: string;
  /**
   * What to do about it, decided from the code: 'retry' a passing fault, 'wait' for the app's
   * or the caller's rate and try again more slowly, 'sign-again' (the Worker does), fix the
   * 'configuration' (keys, tokens, scopes, origins), or 'give-up' on a request that is refused.
   */
  readonly action: 'retry' | 'wait' | 'sign-again' | 'configuration' | 'give-up';
  /** The HTTP status of the answer, when there was one. */
  readonly status?: number;
  /**
   * Always there when addTags, removeTags, clearTags or undo rejects (absent for the other
   * functions): what was done, what failed, what was not done (and, for an undo, its skipped
   * accounts too, as undo() resolves to). Refused before anything was sent, every account
   * the input names is in notDone.
   */
  readonly report?: WriteReport;
}

/**
 * Reads the push tags of any number of accounts. Duplicates are dropped (on 'timpush', a
 * RegistrationID in two cases is one account, under its first spelling); the rest go in calls
 * of up to 100 accounts. Resolves to one entry per distinct account, in the order given; an
 * account the vendor could not serve comes back with no tags and its ErrorCode and ErrorInfo.
 */
export function getTags(accounts: string[], options?: Options): Promise<UserTags[]>;

/**
 * Adds tags: an account named twice (a RegistrationID in another case too) has its tags joined
 * under its first spelling, and its tags go in calls of up to 10 (with replace, which sets
 * them exactly on 'timpush', up to 100 in one call).
 */
export function addTags(userTags: TagsOf[], options?: AddTagsOptions): Promise<WriteReport>;

/** The options of addTags: those of every function, and replace. */
export interface AddTagsOptions extends Options {
  /**
   * 'timpush' only: set each account's tags to exactly these (up to 100, in one call) rather
   * than adding them. Refused with 80400 on 'all_member_push' and by the other functions.
   */
  replace?: boolean;
}

/**
 * Removes tags: an account named twice (a RegistrationID in another case too) has its tags
 * joined under its first spelling; its tags go in calls of up to 100.
 */
export function removeTags(userTags: TagsOf[], options?: Options): Promise<WriteReport>;

/**
 * Removes all the tags of any number of accounts, 100 a call; duplicates are dropped as by
 * getTags.
 */
export function clearTags(accounts: string[], options?: Options): Promise<WriteReport>;

/** Who the caller is, what it may do (["read"] or ["read", "write"]), and the app's generation. */
export function session(options?: Options): Promise<Session>;

/**
 * A page of the changes the Worker keeps, newest first, filtered by the query. A field that is
 * not a filter, or a value of the wrong type, rejects with 80400 naming it before anything is
 * sent; a value the Worker refuses (such as a bad date) rejects with 90001.
 */
export function history(query?: HistoryQuery, options?: Options): Promise<HistoryPage>;

/** One change with its accounts, in the order of its call; an unknown id rejects with 80404. */
export function change(id: string, options?: Options): Promise<{ change: Change; accounts: ChangedAccount[] }>;

/**
 * Undoes a change, or every change of a batch (newest first), as a batch of its own with one
 * batch id: each account goes back to what it held before the change, unless its tags have
 * changed since. Calls go as a write's do (up to 100 accounts each, six in flight, paced,
 * retried); a reader's undo rejects with 80403. Each distinct account of the change or batch
 * ends in exactly one of done, failed, notDone and skipped (with the reason: 'changed since',
 * 'before unknown' or 'not done'); an account in several changes of a batch is failed if any of
 * its undos failed, else notDone if any was not done, else skipped if any was skipped, else
 * done. When the undo stops, it rejects with a TimError whose report holds the same lists.
 */
export function undo(
  target: string | { batch: string },
  options?: Options,
): Promise<WriteReport & { skipped: { To_Account: string; reason: string }[] }>;
"#;
