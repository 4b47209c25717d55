// Compiled with --strict by types.test.mjs: what the declarations allow, and what they refuse.
import init, {
  addTags, change, clearTags, getTags, history, removeTags, session, undo, TimError,
  type AccountError, type AddTagsOptions, type Change, type ChangedAccount, type HistoryPage, type HistoryQuery,
  type Options, type Session, type TagApi, type TagsOf, type UserTags, type WriteReport,
} from '../../pkg/tim_tags.js';

await init();
const controller = new AbortController();
const api: TagApi = 'timpush';
const options: Options = {
  endpoint: 'https://tags.example.workers.dev',
  api,
  token: 'a-panel-token',
  signal: controller.signal,
  timeoutMs: 5000,
  maxCallsPerSecond: 50,
  onProgress: (done: number, total: number) => console.log(done / total),
};
const tags: UserTags[] = await getTags(['xiaojun'], options);
const first: string[] = tags[0].Tags;
const failedCode: number | undefined = tags[0].ErrorCode;
const failedInfo: string | undefined = tags[0].ErrorInfo;
console.log(first, failedCode, failedInfo);

const who: Session = await session(options);
const scopes: ('read' | 'write')[] = who.scopes;
// @ts-expect-error a scope is read or write, nothing else
const admin: 'admin'[] = who.scopes;
const generation: TagApi = who.api;
console.log(who.caller, scopes, admin, generation);

const changes: TagsOf[] = [{ To_Account: 'xiaojun', Tags: ['vip'] }];
const added: WriteReport = await addTags(changes, { ...options, replace: true });
const removed: WriteReport = await removeTags(changes, options);
const cleared: WriteReport = await clearTags(['xiaojun'], options);
for (const report of [added, removed, cleared]) {
  const done: string[] = report.done;
  const failed: AccountError[] = report.failed;
  const notDone: string[] = report.notDone;
  const reason: [string, number, string] = [failed[0].To_Account, failed[0].ErrorCode, failed[0].ErrorInfo];
  console.log(done, notDone, reason);
}

try {
  await getTags([]);
} catch (error) {
  if (error instanceof TimError) {
    const code: number = error.code;
    const status: number | undefined = error.status;
    const report: WriteReport | undefined = error.report;
    const asError: Error = error;
    console.log(code, status, report?.notDone, error.info, asError.message);
  }
}

// @ts-expect-error accounts are strings
await getTags([42]);
// The history: a page, one change, and an undo of a batch.
const query: HistoryQuery = { account: 'a', op: 'undo', outcome: 'partial', since: '2026-12-01T00:00:00Z', limit: 50 };
const page: HistoryPage = await history(query, options);
const newest: Change | undefined = page.changes[0];
const next: string | null = page.next;
if (newest) {
  const opened = await change(newest.id, options);
  const row: ChangedAccount | undefined = opened.accounts[0];
  const before: string[] | null = row ? row.before : null;
  const undone = await undo({ batch: newest.batch ?? '' }, options);
  const reason: string | undefined = undone.skipped[0]?.reason;
  const batch: string = undone.batch;
  console.log(next, before, reason, batch, row?.outcome === 'unknown');
}
const addOptions: AddTagsOptions = { ...options, replace: true };
await addTags(changes, addOptions);
// @ts-expect-error op is one of the four
await history({ op: 'delete' });
// @ts-expect-error undo takes an id or a batch
await undo({ change: '1' });
// @ts-expect-error timeoutMs is a number
await getTags(['a'], { timeoutMs: '5000' });
// @ts-expect-error there is no such option
await getTags(['a'], { retries: 3 });
// @ts-expect-error api is one of the two generations
await getTags(['a'], { api: 'v4' });
// @ts-expect-error replace is for addTags only
await removeTags(changes, { replace: true });
// @ts-expect-error a write names its tags
await addTags([{ To_Account: 'a' }]);
// @ts-expect-error Tags are strings
const wrong: number[] = tags[0].Tags;
console.log(wrong);
// @ts-expect-error TimError is not constructed by callers
new TimError();
