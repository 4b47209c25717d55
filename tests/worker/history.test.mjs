// The history in D1 (the README's History): the change each write leaves, with its accounts'
// tags before and after; the list, its filters and paging; one change; the undo; a database
// that fails; and retention. The built Worker runs in local workerd with a real D1 database
// (Miniflare), against the emulator.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  PATHS, SECOND_TOKEN, TOKEN, WRITE_TOKEN, auditLines, bindingsFor, emulatorAndWorker, loadPackage,
  logEvents, requestLine, startEmulator, startWorker,
} from './harness.mjs';

const KNOWN = Array.from({ length: 40 }, (_, i) => `hist_${String(i).padStart(2, '0')}`);
let emulator, worker;

emulatorAndWorker({ known: KNOWN, callsPerSecond: 100_000 }, { UPSTREAM_TIMEOUT_MS: '1500' }, (started) => ({ emulator, worker } = started));

const write = (path, body, headers = {}) => worker.send(path, { token: WRITE_TOKEN, body, headers });
const get = (path, token = TOKEN) => worker.send(path, { method: 'GET', token });
const userTags = (entries) => ({ UserTags: entries.map(([account, tags]) => ({ To_Account: account, Tags: tags })) });

/** The newest change, and its accounts. */
async function newest(query = '') {
  const page = await get(`/history?limit=1${query}`);
  assert.equal(page.status, 200, page.text);
  const [change] = page.json.changes;
  const one = await get(`/history/${change.id}`);
  assert.equal(one.status, 200, one.text);
  assert.deepEqual(one.json.change, change);
  return one.json;
}

async function tagsNow(api, accounts) {
  const answer = await worker.send(PATHS[api].get, { body: { To_Account: accounts } });
  return Object.fromEntries(answer.json.UserTags.map((u) => [u.To_Account, u.Tags]));
}

async function seed(api, entries) {
  await write(PATHS[api].clear, { To_Account: entries.map(([account]) => account) });
  const some = entries.filter(([, tags]) => tags.length);
  if (!some.length) return;
  const added = await write(PATHS[api].add, userTags(some));
  assert.equal(added.json.ErrorCode, 0, added.text);
}

describe('every write that reached the vendor is one change, committed before the answer', () => {
  test('an add: caller, request id, batch and each account before and after', async () => {
    await seed('timpush', [[KNOWN[0], ['a']], [KNOWN[1], []]]);
    const answer = await write(PATHS.timpush.add, userTags([[KNOWN[0], ['vip']], [KNOWN[1], ['vip', 'cn']]]), { 'X-Tim-Batch': 'batch_1-a' });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers.get('X-Tim-History'), null);
    const { change, accounts } = await newest();
    assert.equal(change.caller, 'ops');
    assert.equal(change.request_id, answer.headers.get('X-Request-Id'));
    assert.match(change.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Math.abs(Date.parse(change.at) - Date.now()) < 60_000);
    assert.deepEqual(
      { ...change, id: undefined, at: undefined, request_id: undefined },
      { id: undefined, at: undefined, request_id: undefined, caller: 'ops', op: 'add', api: 'timpush', tags: ['vip', 'cn'], replace: false, outcome: 'ok', code: 0, accounts: 2, done: 2, failed: 0, batch: 'batch_1-a', undo_of: null },
    );
    assert.deepEqual(accounts, [
      { account: KNOWN[0], outcome: 'done', code: 0, before: ['a'], after: ['a', 'vip'] },
      { account: KNOWN[1], outcome: 'done', code: 0, before: [], after: ['vip', 'cn'] },
    ]);
    assert.ok(!JSON.stringify(change).includes(WRITE_TOKEN));
  });

  test('a remove and a clear in the legacy generation', async () => {
    await seed('all_member_push', [['legacy_h1', ['x', 'y', 'z']]]);
    await write(PATHS.all_member_push.remove, userTags([['legacy_h1', ['y', 'absent']]]));
    let { change, accounts } = await newest();
    assert.deepEqual([change.op, change.api, change.tags, change.outcome], ['remove', 'all_member_push', ['y', 'absent'], 'ok']);
    assert.deepEqual(accounts, [{ account: 'legacy_h1', outcome: 'done', code: 0, before: ['x', 'y', 'z'], after: ['x', 'z'] }]);
    await write(PATHS.all_member_push.clear, { To_Account: ['legacy_h1'] });
    ({ change, accounts } = await newest());
    assert.deepEqual([change.op, change.tags], ['clear', []]);
    assert.deepEqual(accounts, [{ account: 'legacy_h1', outcome: 'done', code: 0, before: ['x', 'z'], after: [] }]);
    // A clear names no tag, yet the tag filter finds it by those it took away.
    const byTag = await get('/history?tag=z&account=legacy_h1');
    assert.deepEqual(byTag.json.changes.map((c) => c.op), ['clear', 'add']);
  });

  test('a replace sets the tags exactly', async () => {
    await seed('timpush', [[KNOWN[2], ['old']]]);
    await write(PATHS.timpush.add, { ...userTags([[KNOWN[2], ['n1', 'n2']]]), Replace: 1 });
    const { change, accounts } = await newest();
    assert.equal(change.replace, true);
    assert.deepEqual(accounts[0].after, ['n1', 'n2']);
  });

  test('partial: an account the vendor refused keeps its tags, with its code', async () => {
    await seed('timpush', [[KNOWN[3], []]]);
    const answer = await write(PATHS.timpush.add, userTags([[KNOWN[3], ['p']], ['nobody_h', ['p']]]));
    assert.equal(answer.json.ErrorList.length, 1, answer.text);
    const { change, accounts } = await newest();
    assert.deepEqual([change.outcome, change.code, change.done, change.failed], ['partial', 0, 1, 1]);
    assert.deepEqual(accounts[0], { account: KNOWN[3], outcome: 'done', code: 0, before: [], after: ['p'] });
    assert.deepEqual(accounts[1].outcome, 'failed');
    assert.equal(accounts[1].code, answer.json.ErrorList[0].ErrorCode);
    assert.deepEqual(accounts[1].after, accounts[1].before);
  });

  test('failed as a whole: every account as before, with the vendor code', async () => {
    await seed('timpush', [[KNOWN[4], ['f']]]);
    await emulator.inject({ kind: 'error', code: 91000, times: 3, path: PATHS.timpush.remove });
    const answer = await write(PATHS.timpush.remove, userTags([[KNOWN[4], ['f']]]));
    assert.equal(answer.json.ErrorCode, 91000);
    const { change, accounts } = await newest();
    assert.deepEqual([change.outcome, change.code, change.done, change.failed], ['failed', 91000, 0, 1]);
    assert.deepEqual(accounts, [{ account: KNOWN[4], outcome: 'failed', code: 91000, before: ['f'], after: ['f'] }]);
  });

  test('no answer in time: the accounts are unknown, and the refusal still answers', async () => {
    await seed('timpush', [[KNOWN[5], ['t']]]);
    await emulator.inject({ kind: 'delay', ms: 2500, path: PATHS.timpush.clear });
    const answer = await write(PATHS.timpush.clear, { To_Account: [KNOWN[5]] });
    assert.equal(answer.status, 504, answer.text);
    const { change, accounts } = await newest();
    assert.deepEqual([change.op, change.outcome, change.code], ['clear', 'failed', 80504]);
    assert.deepEqual(accounts, [{ account: KNOWN[5], outcome: 'unknown', code: 80504, before: ['t'], after: null }]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
  });

  test('a get, and a write refused before the vendor, leave no change', async () => {
    const before = (await get('/history?limit=200')).json.changes.length;
    await worker.send(PATHS.timpush.get, { body: { To_Account: [KNOWN[0]] } });
    await write(PATHS.timpush.add, userTags([[KNOWN[0], ['x'.repeat(51)]]]));
    await worker.send(PATHS.timpush.add, { token: TOKEN, body: userTags([[KNOWN[0], ['r']]]) });
    assert.equal((await get('/history?limit=200')).json.changes.length, before);
  });

  test('a bad X-Tim-Batch is refused before anything is sent', async () => {
    const calls = (await emulator.calls()).length;
    for (const batch of ['a b', 'x'.repeat(65), "a'b", 'ü']) {
      const answer = await write(PATHS.timpush.add, userTags([[KNOWN[0], ['b']]]), { 'X-Tim-Batch': batch });
      assert.equal(answer.status, 400, `${batch}: ${answer.text}`);
      assert.equal(answer.json.ErrorCode, 90001);
      assert.match(answer.json.ErrorInfo, /X-Tim-Batch/);
    }
    assert.equal((await emulator.calls()).length, calls);
  });
});

describe('each write call × outcome leaves the change it should', () => {
  const writes = [];
  for (const api of ['all_member_push', 'timpush']) {
    for (const op of ['add', 'remove', 'clear']) {
      for (const outcome of ['ok', 'partial', 'failed', 'timeout']) {
        // The legacy generation lists no failed accounts: every account exists there.
        if (outcome === 'partial' && api === 'all_member_push') continue;
        writes.push([api, op, outcome]);
      }
    }
  }
  let n = 0;
  for (const [api, op, outcome] of writes) {
    test(`${api} ${op}, ${outcome}`, async () => {
      const account = api === 'timpush' ? KNOWN[32 + (n++ % 8)] : `legacy_m${n++}`;
      await seed(api, [[account, ['m1', 'm2']]]);
      const accounts = outcome === 'partial' ? [account, 'nobody_m'] : [account];
      const body = op === 'clear' ? { To_Account: accounts } : userTags(accounts.map((a) => [a, ['m2', 'm3']]));
      const path = PATHS[api][op];
      if (outcome === 'failed') await emulator.inject({ kind: 'error', code: 90009, path });
      if (outcome === 'timeout') await emulator.inject({ kind: 'delay', ms: 2000, times: 3, path });
      const answer = await write(path, body, { 'X-Tim-Batch': `m-${api}-${op}-${outcome}` });
      const { change, accounts: recorded } = await newest(`&batch=m-${api}-${op}-${outcome}`);
      assert.equal(change.request_id, answer.headers.get('X-Request-Id'));
      assert.deepEqual([change.op, change.api, change.caller], [op, api, 'ops']);
      const after = { add: ['m1', 'm2', 'm3'], remove: ['m1'], clear: [] }[op];
      const expected = {
        ok: [{ account, outcome: 'done', code: 0, before: ['m1', 'm2'], after }],
        partial: [{ account, outcome: 'done', code: 0, before: ['m1', 'm2'], after }, { account: 'nobody_m', outcome: 'failed', code: 70107, before: null, after: null }],
        failed: [{ account, outcome: 'failed', code: 90009, before: ['m1', 'm2'], after: ['m1', 'm2'] }],
        timeout: [{ account, outcome: 'unknown', code: 80504, before: ['m1', 'm2'], after: null }],
      }[outcome];
      assert.deepEqual(recorded, expected, answer.text);
      assert.equal(change.outcome, { ok: 'ok', partial: 'partial', failed: 'failed', timeout: 'failed' }[outcome]);
      // The tag filter finds a change by the tags it named or changed, never by those an
      // account held when what it holds after is unknown.
      const byTag = await get(`/history?batch=m-${api}-${op}-${outcome}&tag=m1`);
      assert.equal(byTag.json.changes.length, { ok: op === 'clear' ? 1 : 0, partial: op === 'clear' ? 1 : 0, failed: 0, timeout: 0 }[outcome], byTag.text);
      if (outcome === 'timeout') {
        assert.equal(answer.status, 504);
        await new Promise((resolve) => setTimeout(resolve, 600));
      }
      await emulator.reset();
    });
  }
});

describe('the list: filters, paging, and hostile values', () => {
  test('each filter narrows the list to its changes, newest first', async () => {
    await write(PATHS.timpush.add, userTags([[KNOWN[10], ['alpha']]]), { 'X-Tim-Batch': 'filters' });
    await write(PATHS.timpush.remove, userTags([[KNOWN[10], ['alpha']], [KNOWN[11], ['beta']]]), { 'X-Tim-Batch': 'filters' });
    const ids = async (query) => {
      const answer = await get(`/history?${query}`);
      assert.equal(answer.status, 200, `${query}: ${answer.text}`);
      return answer.json.changes;
    };
    const inBatch = await ids('batch=filters');
    assert.deepEqual(inBatch.map((c) => c.op), ['remove', 'add']);
    assert.ok(Number(inBatch[0].id) > Number(inBatch[1].id));
    assert.deepEqual((await ids(`batch=filters&account=${KNOWN[11]}`)).map((c) => c.op), ['remove']);
    assert.deepEqual((await ids('batch=filters&tag=beta')).map((c) => c.op), ['remove']);
    assert.deepEqual((await ids('batch=filters&op=add')).map((c) => c.op), ['add']);
    assert.deepEqual((await ids('batch=filters&caller=ops')).length, 2);
    assert.deepEqual((await ids('batch=filters&caller=night-shift')).length, 0);
    assert.deepEqual((await ids('batch=filters&outcome=ok')).length, 2);
    assert.deepEqual((await ids('batch=filters&outcome=failed')).length, 0);
    const at = inBatch[1].at;
    assert.deepEqual((await ids(`batch=filters&since=${encodeURIComponent(at)}`)).length, 2);
    assert.deepEqual((await ids(`batch=filters&until=${encodeURIComponent(at)}`)).map((c) => c.op), ['add']);
    assert.deepEqual((await ids('batch=filters&since=2999-01-01T00:00:00Z')).length, 0);
    // An empty value is no filter, as a form sends it.
    assert.deepEqual((await ids('batch=filters&tag=&account=')).length, 2);
  });

  test('paging through 1,200 changes: every one once, in order, with limits at their edges', async () => {
    const db = await worker.history();
    await db.prepare(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
      INSERT INTO changes (at, caller, op, api, request_id, tags, replace_all, outcome, code, accounts, done, failed, batch)
      SELECT 1700000000000 + i, 'pager', 'add', 'timpush', 'r' || i, '["p"]', 0, 'ok', 0, 1, 1, 0, 'paging' FROM n`).run();
    const seen = [];
    let cursor = '';
    let pages = 0;
    do {
      const answer = await get(`/history?batch=paging&limit=200${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(answer.status, 200, answer.text);
      seen.push(...answer.json.changes.map((c) => c.request_id));
      cursor = answer.json.next;
      pages += 1;
    } while (cursor);
    assert.equal(pages, 6);
    assert.equal(seen.length, 1200);
    assert.deepEqual(seen, Array.from({ length: 1200 }, (_, i) => `r${1200 - i}`));
    const small = await get('/history?batch=paging&limit=1');
    assert.equal(small.json.changes.length, 1);
    const all = await get('/history?batch=paging');
    assert.equal(all.json.changes.length, 50, 'fifty unless asked');
    const last = await get('/history?batch=paging&limit=200&since=1970-01-01T00:00:00Z&until=2023-11-14T22:13:20.200Z');
    assert.equal(last.json.changes.length, 200);
    assert.equal(last.json.next, null);
  });

  test('hostile values get a 400 naming the parameter, or an empty page; never another filter’s rows', async () => {
    const bad = [
      ['limit=0', /limit/], ['limit=201', /limit/], ['limit=1.5', /limit/], ['limit=-1', /limit/],
      ['op=drop', /op/], ['outcome=OK', /outcome/], ['since=yesterday', /since/],
      ['until=2026-02-30T00:00:00Z', /until/], ['cursor=abc', /cursor/], ['cursor=1%20OR%201=1', /cursor/],
      ['batch=%27%3B--', /batch/], ['secret=1', /secret/], ['tag=a&tag=b', /tag/],
      [`account=${'x'.repeat(10_000)}`, /account/],
    ];
    for (const [query, pattern] of bad) {
      const answer = await get(`/history?${query}`);
      assert.equal(answer.status, 400, `${query.slice(0, 40)}: ${answer.text}`);
      assert.deepEqual([answer.json.ActionStatus, answer.json.ErrorCode], ['FAIL', 90001]);
      assert.match(answer.json.ErrorInfo, pattern);
      assert.ok(answer.text.length < 600, 'a refusal stays short');
    }
    for (const value of ["' OR '1'='1", '%', '_', '%_%', '"; DROP TABLE changes; --', 'ops\' --', '*']) {
      for (const name of ['account', 'tag', 'caller']) {
        const answer = await get(`/history?${name}=${encodeURIComponent(value)}`);
        assert.equal(answer.status, 200, `${name}=${value}: ${answer.text}`);
        assert.deepEqual(answer.json, { changes: [], next: null }, `${name}=${value}`);
      }
    }
    assert.equal((await get('/history?limit=1')).status, 200, 'the tables are still there');
  });

  test('routes: readers may read, unknown ids are 404, other methods 405, preflights allow X-Tim-Batch', async () => {
    assert.equal((await get('/history', SECOND_TOKEN)).status, 200);
    assert.equal((await get('/history', null)).status, 401);
    for (const path of ['/history/999999999', '/history/abc', '/history/1/2']) {
      const answer = await get(path);
      assert.equal(answer.status, 404, path);
      assert.equal(answer.json.ErrorCode, 80404);
    }
    assert.equal((await worker.send('/history', { method: 'POST', token: WRITE_TOKEN, body: {} })).status, 405);
    assert.equal((await get('/history/1/undo')).status, 405);
    const preflight = await worker.send('/history/1/undo', {
      method: 'OPTIONS', token: null,
      headers: { Origin: 'https://panel.example.com', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('Access-Control-Allow-Headers'), /X-Tim-Batch/);
    const listed = await worker.send('/history', { method: 'GET', headers: { Origin: 'https://panel.example.com' } });
    assert.match(listed.headers.get('Access-Control-Expose-Headers'), /X-Tim-History/);
    assert.equal(listed.headers.get('Cache-Control'), 'no-store');
  });
});

describe('undo', () => {
  const undo = (id, accounts, token = WRITE_TOKEN) =>
    worker.send(`/history/${id}/undo`, { token, body: { accounts } });

  test('puts back exactly what the change did, skips what changed since, and is itself a change', async () => {
    const [u1, u2, u3] = [KNOWN[20], KNOWN[21], KNOWN[22]];
    await seed('timpush', [[u1, ['keep', 'gone']], [u2, ['keep']], [u3, []]]);
    await write(PATHS.timpush.remove, userTags([[u1, ['gone']], [u2, ['keep']], [u3, ['none']]]));
    const { change } = await newest();
    // u2 changes again after the remove: the undo must leave it alone.
    await write(PATHS.timpush.add, userTags([[u2, ['later']]]));
    const answer = await undo(change.id, [u1, u2, u3]);
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json.done.sort(), [u1, u3].sort());
    assert.deepEqual(answer.json.failed, []);
    assert.deepEqual(answer.json.skipped, [{ To_Account: u2, reason: 'changed since' }]);
    assert.deepEqual(await tagsNow('timpush', [u1, u2, u3]), { [u1]: ['keep', 'gone'], [u2]: ['later'], [u3]: [] });
    const recorded = await get(`/history/${answer.json.change}`);
    assert.deepEqual([recorded.json.change.op, recorded.json.change.undo_of, recorded.json.change.tags], ['undo', change.id, ['gone']]);
    const [line] = await auditLines(answer);
    assert.deepEqual([line.op, line.caller, line.accounts], ['add', 'ops', [u1]]);
    // An undo of the undo puts the change back.
    const again = await undo(answer.json.change, [u1, u3]);
    assert.deepEqual(again.json.done.sort(), [u1, u3].sort(), again.text);
    assert.deepEqual((await tagsNow('timpush', [u1]))[u1], ['keep']);
  });

  test('an add undone takes away only what it gave, in calls within the limits', async () => {
    const u = KNOWN[23];
    await seed('timpush', [[u, ['had']]]);
    const many = Array.from({ length: 10 }, (_, i) => `m${i}`);
    await write(PATHS.timpush.add, userTags([[u, ['had', ...many.slice(0, 9)]]]));
    const { change, accounts } = await newest();
    assert.deepEqual(accounts[0].after, ['had', ...many.slice(0, 9)]);
    const answer = await undo(change.id, [u]);
    assert.deepEqual(answer.json.done, [u], answer.text);
    assert.deepEqual((await tagsNow('timpush', [u]))[u], ['had']);
  });

  test('skips accounts whose before is unknown or that were not done; refuses readers and strangers', async () => {
    await seed('timpush', [[KNOWN[24], ['z']]]);
    await emulator.inject({ kind: 'error', code: 91000, times: 3, path: PATHS.timpush.get });
    await write(PATHS.timpush.add, userTags([[KNOWN[24], ['y']], ['nobody_u', ['y']]]));
    const { change, accounts } = await newest();
    assert.equal(accounts[0].before, null, 'the read before failed');
    const calls = (await emulator.calls()).length;
    const answer = await undo(change.id, [KNOWN[24], 'nobody_u']);
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json, {
      change: null, done: [], failed: [],
      skipped: [{ To_Account: KNOWN[24], reason: 'before unknown' }, { To_Account: 'nobody_u', reason: 'not done' }],
    });
    assert.equal((await emulator.calls()).length, calls, 'nothing to put back, nothing sent');
    const reader = await undo(change.id, [KNOWN[24]], TOKEN);
    assert.deepEqual([reader.status, reader.json.ErrorCode], [403, 80403]);
    const stranger = await undo(change.id, ['not_in_it']);
    assert.deepEqual([stranger.status, stranger.json.ErrorCode], [400, 90001]);
    assert.match(stranger.json.ErrorInfo, /not_in_it/);
    for (const body of [{}, { accounts: [] }, { accounts: [1] }, { accounts: ['a'], more: 1 }, { accounts: Array(101).fill('a').map((a, i) => a + i) }]) {
      const bad = await worker.send(`/history/${change.id}/undo`, { token: WRITE_TOKEN, body });
      assert.deepEqual([bad.status, bad.json.ErrorCode], [400, 90001], JSON.stringify(body).slice(0, 60));
    }
    assert.equal((await undo('123456789', ['a'])).status, 404);
  });
});

describe('a 5,000-account batch through the package: 50 changes, and one undo', () => {
  test('the batch is 50 changes of one batch id, and its undo puts every account back', async () => {
    const port = 8796;
    const endpoint = `http://127.0.0.1:${port}`;
    const own = await startEmulator({ callsPerSecond: 100_000 });
    const served = await startWorker(bindingsFor(own, {}), { port });
    try {
      const pkg = await loadPackage();
      const options = { endpoint, token: WRITE_TOKEN };
      const accounts = Array.from({ length: 5000 }, (_, i) => `batch5k_${String(i).padStart(4, '0')}`);
      const report = await pkg.addTags(accounts.map((a) => ({ To_Account: a, Tags: ['b5k'] })), options);
      assert.equal(report.done.length, 5000);
      assert.match(report.batch, /^[A-Za-z0-9_-]{1,64}$/);
      const changes = [];
      for (let cursor = null; ;) {
        const page = await pkg.history({ batch: report.batch, limit: 200, ...(cursor ? { cursor } : {}) }, options);
        changes.push(...page.changes);
        if (!page.next) break;
        cursor = page.next;
      }
      assert.equal(changes.length, 50);
      assert.ok(changes.every((c) => c.op === 'add' && c.accounts === 100 && c.done === 100 && c.batch === report.batch));
      const undone = await pkg.undo({ batch: report.batch }, options);
      assert.deepEqual([undone.done.length, undone.failed.length, undone.notDone.length, undone.skipped.length], [5000, 0, 0, 0]);
      const tags = await pkg.getTags(accounts, { endpoint, token: TOKEN });
      assert.ok(tags.every((t) => t.Tags.length === 0), 'every account is back to no tags');
      const undos = await pkg.history({ batch: undone.batch, limit: 200 }, options);
      assert.equal(undos.changes.length, 50);
      assert.ok(undos.changes.every((c) => c.op === 'undo' && changes.some((d) => d.id === c.undo_of)));
    } finally {
      await served.dispose();
      await own.stop();
    }
  });
});

describe('a history that cannot be written', () => {
  test('the write still answers, with X-Tim-History: failed and a log line holding the whole change', async () => {
    const own = await startEmulator({ known: KNOWN });
    const broken = await startWorker(bindingsFor(own, {}));
    try {
      await (await broken.history()).prepare('DROP TABLE change_accounts').run();
      const answer = await broken.send(PATHS.timpush.add, { token: WRITE_TOKEN, body: userTags([[KNOWN[30], ['kept']]]), headers: { 'X-Tim-Batch': 'lost' } });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.json.ErrorCode, 0);
      assert.equal(answer.headers.get('X-Tim-History'), 'failed');
      const id = answer.headers.get('X-Request-Id');
      const line = logEvents('history').find((l) => l.change?.request_id === id);
      assert.ok(line, 'a history line');
      assert.equal(line.ok, false);
      assert.deepEqual([line.change.op, line.change.caller, line.change.batch], ['add', 'ops', 'lost']);
      assert.deepEqual(line.change.accounts, [{ account: KNOWN[30], outcome: 'done', code: 0, before: [], after: ['kept'] }]);
      // Nothing half-stored: the change's row went with its accounts'.
      const rows = await (await broken.history()).prepare('SELECT count(*) AS n FROM changes').first();
      assert.equal(rows.n, 0);
      assert.equal((await requestLine(answer)).status, 200);
    } finally {
      await broken.dispose();
      await own.stop();
    }
  });
});

describe('a Worker without a HISTORY binding', () => {
  test('keeps no history: no read before a write, no header, and the history routes say what is missing', async () => {
    const own = await startEmulator({ known: KNOWN });
    const plain = await startWorker(bindingsFor(own, {}), { history: false });
    try {
      const answer = await plain.send(PATHS.timpush.add, { token: WRITE_TOKEN, body: userTags([[KNOWN[31], ['plain']]]) });
      assert.equal(answer.json.ErrorCode, 0, answer.text);
      assert.equal(answer.headers.get('X-Tim-History'), null);
      assert.deepEqual((await own.calls()).map((c) => c.path), [PATHS.timpush.add]);
      const id = answer.headers.get('X-Request-Id');
      assert.ok(!logEvents('history').some((l) => l.change?.request_id === id));
      const list = await plain.send('/history', { method: 'GET' });
      assert.deepEqual([list.status, list.json.ErrorCode], [503, 80503]);
      assert.match(list.json.ErrorInfo, /HISTORY/);
    } finally {
      await plain.dispose();
      await own.stop();
    }
  });
});

describe('retention', () => {
  test('deletes only what is older than HISTORY_RETENTION_DAYS, in bounded chunks a run', async () => {
    const own = await startEmulator({ known: KNOWN });
    const kept = await startWorker(bindingsFor(own, { HISTORY_RETENTION_DAYS: '30' }));
    try {
      const db = await kept.history();
      const day = 86_400_000;
      const now = Date.UTC(2026, 11, 4);
      // 10,700 changes 40 days old, each with an account and a tag; 5 changes 29 days old.
      await db.prepare(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10700)
        INSERT INTO changes (at, caller, op, api, request_id, tags, replace_all, outcome, code, accounts, done, failed)
        SELECT ?, 'old', 'add', 'timpush', 'o' || i, '[]', 0, 'ok', 0, 1, 1, 0 FROM n`).bind(now - 40 * day).run();
      await db.prepare(`INSERT INTO change_accounts (change_id, position, account, outcome, code) SELECT id, 0, 'a', 'done', 0 FROM changes`).run();
      await db.prepare(`INSERT INTO change_tags (tag, change_id) SELECT 't', id FROM changes`).run();
      await db.prepare(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5)
        INSERT INTO changes (at, caller, op, api, request_id, tags, replace_all, outcome, code, accounts, done, failed)
        SELECT ?, 'recent', 'add', 'timpush', 'n' || i, '[]', 0, 'ok', 0, 0, 0, 0 FROM n`).bind(now - 29 * day).run();
      const count = async (table) => (await db.prepare(`SELECT count(*) AS n FROM ${table}`).first()).n;
      await kept.scheduled(now);
      assert.equal(await count('changes'), 700 + 5, 'one run deletes 20 chunks of 500');
      const [line] = logEvents('retention').slice(-1);
      assert.deepEqual([line.ok, line.deleted], [true, 10_000]);
      await kept.scheduled(now);
      assert.equal(await count('changes'), 5);
      assert.equal(await count('change_accounts'), 0);
      assert.equal(await count('change_tags'), 0);
      const left = await db.prepare(`SELECT DISTINCT caller FROM changes`).all();
      assert.deepEqual(left.results.map((r) => r.caller), ['recent']);
    } finally {
      await kept.dispose();
      await own.stop();
    }
  });
});
