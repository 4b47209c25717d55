// The whole tag family through the Worker, both generations (the README's Routes and answers):
// each call's success, its body limits at their edges, scopes, /session, the audit
// log, and the faults that matter for a write. The built Worker runs in local workerd against
// the emulator, which keeps tags between calls.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEVICE, PATHS, SECOND_TOKEN, TOKEN, WRITE_TOKEN, auditLines, bindingsFor, requestLine, startWorker, emulatorAndWorker } from './harness.mjs';

/** Accounts the current generation knows besides the seed's: a hundred, for the limits. */
const KNOWN = Array.from({ length: 100 }, (_, i) => `known_${String(i).padStart(3, '0')}`);
let emulator, worker;

emulatorAndWorker({ known: KNOWN, callsPerSecond: 100_000 }, { UPSTREAM_TIMEOUT_MS: '1500' }, (started) => ({ emulator, worker } = started));

const write = (path, body) => worker.send(path, { token: WRITE_TOKEN, body });

/** An account's tags, read through the Worker. */
async function tagsOf(api, account) {
  const answer = await worker.send(PATHS[api].get, { body: { To_Account: [account] } });
  assert.equal(answer.status, 200, answer.text);
  return answer.json.UserTags.find((u) => u.To_Account === account)?.Tags;
}

/** Runs `send` and asserts the emulator got no call from it. */
async function withoutUpstream(send) {
  const before = (await emulator.calls()).length;
  const answer = await send();
  assert.equal((await emulator.calls()).length, before, 'the vendor was called');
  return answer;
}

async function refused(answer, status, code, infoPattern) {
  assert.equal(answer.status, status, answer.text);
  assert.deepEqual([answer.json.ActionStatus, answer.json.ErrorCode], ['FAIL', code], answer.text);
  assert.match(answer.json.ErrorInfo, infoPattern);
}

const userTags = (account, tags) => ({ UserTags: [{ To_Account: account, Tags: tags }] });

describe('each of the eight calls succeeds, and a get shows what a write did', () => {
  for (const [api, account] of [['all_member_push', 'family_legacy'], ['timpush', KNOWN[0]]]) {
    test(`${api}: add, get, remove, clear`, async () => {
      const add = await write(PATHS[api].add, userTags(account, ['vip', 'cn']));
      assert.equal(add.status, 200, add.text);
      assert.deepEqual(add.json, { ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '' });
      assert.deepEqual(await tagsOf(api, account), ['vip', 'cn']);
      const remove = await write(PATHS[api].remove, userTags(account, ['vip']));
      assert.equal(remove.json.ErrorCode, 0, remove.text);
      assert.deepEqual(await tagsOf(api, account), ['cn']);
      const clear = await write(PATHS[api].clear, { To_Account: [account] });
      assert.equal(clear.json.ErrorCode, 0, clear.text);
      assert.deepEqual(await tagsOf(api, account), []);
      const calls = (await emulator.calls()).filter((c) => c.accounts.includes(account));
      // Each write is read just before, for the history's record of what it changed.
      const { get } = PATHS[api];
      assert.deepEqual(calls.map((c) => c.path), [
        get, PATHS[api].add, get, get, PATHS[api].remove, get, get, PATHS[api].clear, get,
      ]);
    });
  }

  test('timpush: Replace sets the tags exactly', async () => {
    await write(PATHS.timpush.add, userTags(KNOWN[1], ['a', 'b']));
    const replace = await write(PATHS.timpush.add, { ...userTags(KNOWN[1], ['c']), Replace: 1 });
    assert.equal(replace.json.ErrorCode, 0, replace.text);
    assert.deepEqual(await tagsOf('timpush', KNOWN[1]), ['c']);
    assert.equal((await emulator.calls()).at(-2).replace, true);
  });

  test('timpush: a device is an account by its RegistrationID', async () => {
    assert.deepEqual(await tagsOf('timpush', DEVICE), ['ios', 'vip']);
  });

  test('ErrorList passes through untouched, on a get and on a write', async () => {
    const get = await worker.send(PATHS.timpush.get, { body: { To_Account: ['xiaojun', 'nobody_known'] } });
    assert.equal(get.status, 200);
    assert.deepEqual(get.json, {
      ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '',
      UserTags: [{ To_Account: 'xiaojun', Tags: ['cn', 'trial'] }],
      ErrorList: [{ To_Account: 'nobody_known', ErrorCode: 70107, ErrorInfo: 'account does not exist' }],
    });
    const add = await write(PATHS.timpush.add, { UserTags: [{ To_Account: 'stranger', Tags: ['x'] }, { To_Account: KNOWN[2], Tags: ['x'] }] });
    assert.equal(add.status, 200);
    assert.deepEqual(add.json.ErrorList, [{ To_Account: 'stranger', ErrorCode: 70107, ErrorInfo: 'account does not exist' }]);
    assert.deepEqual(await tagsOf('timpush', KNOWN[2]), ['x']);
  });

  test('only the checked values go on, written anew', async () => {
    const text = '{ "UserTags" : [ { "Tags" : [ "\\u0076ip" ], "To_Account" : "family_\\u0061" } ] }';
    const answer = await write(PATHS.all_member_push.add, text);
    assert.equal(answer.status, 200, answer.text);
    const [call] = (await emulator.calls()).slice(-1);
    assert.deepEqual([call.accounts, call.tags], [['family_a'], ['vip']]);
  });
});

describe('body limits, at their edges and just over; nothing over reaches the vendor', () => {
  const accounts = (n, prefix = 'edge') => Array.from({ length: n }, (_, i) => `${prefix}_${i}`);
  const tags = (n, bytes = 2) => Array.from({ length: n }, (_, i) => `t${i}`.padEnd(bytes, 'x'));

  test('1 to 100 accounts on every path, 90018 over', async () => {
    for (const api of ['all_member_push', 'timpush']) {
      const named = api === 'timpush' ? KNOWN : accounts(100);
      for (const [op, body] of [
        ['get', (list) => ({ To_Account: list })],
        ['clear', (list) => ({ To_Account: list })],
        ['add', (list) => ({ UserTags: list.map((a) => ({ To_Account: a, Tags: ['t'] })) })],
        ['remove', (list) => ({ UserTags: list.map((a) => ({ To_Account: a, Tags: ['t'] })) })],
      ]) {
        const path = PATHS[api][op];
        const ok = await worker.send(path, { token: WRITE_TOKEN, body: body(named) });
        assert.equal(ok.json.ErrorCode, 0, `${path}: ${ok.text.slice(0, 200)}`);
        const over = await withoutUpstream(() => worker.send(path, { token: WRITE_TOKEN, body: body([...named, 'one_more']) }));
        await refused(over, 400, 90018, /has 101 accounts; at most 100/);
        const none = await withoutUpstream(() => worker.send(path, { token: WRITE_TOKEN, body: body([]) }));
        await refused(none, 400, 90001, /is empty/);
      }
    }
  });

  test('a UserID of 32 bytes, not 33; a RegistrationID on timpush only', async () => {
    const ok = await write(PATHS.all_member_push.add, userTags('u'.repeat(32), ['t']));
    assert.equal(ok.json.ErrorCode, 0, ok.text);
    const long = await withoutUpstream(() => write(PATHS.all_member_push.add, userTags('u'.repeat(33), ['t'])));
    await refused(long, 400, 90001, /UserTags\[0\]\.To_Account .* is 33 bytes long; at most 32/);
    const device = await write(PATHS.timpush.add, userTags(DEVICE, ['t']));
    assert.equal(device.json.ErrorCode, 0, device.text);
    const legacyDevice = await withoutUpstream(() => worker.send(PATHS.all_member_push.get, { body: { To_Account: [DEVICE] } }));
    await refused(legacyDevice, 400, 90001, /is a RegistrationID, which only the timpush calls take/);
  });

  test('tags of 1 to 50 bytes; an add of 1 to 10 per account, or 100 with Replace; a remove of 100', async () => {
    const cases = [
      [PATHS.timpush.add, userTags(KNOWN[3], tags(10, 50)), null],
      [PATHS.timpush.add, userTags(KNOWN[3], tags(11)), /has 11 tags; at most 10 are allowed/],
      [PATHS.timpush.add, userTags(KNOWN[3], ['t'.repeat(51)]), /Tags\[0\] .* is 51 bytes long; a tag is at most 50 bytes/],
      [PATHS.timpush.add, userTags(KNOWN[3], ['']), /Tags\[0\] is empty/],
      [PATHS.timpush.add, userTags(KNOWN[3], []), /Tags is empty: give at least one tag/],
      [PATHS.timpush.add, { ...userTags(KNOWN[3], tags(100)), Replace: 1 }, null],
      [PATHS.timpush.add, { ...userTags(KNOWN[3], tags(101)), Replace: 1 }, /has 101 tags; at most 100/],
      [PATHS.timpush.add, { ...userTags(KNOWN[3], tags(11)), Replace: 0 }, /at most 10/],
      [PATHS.timpush.add, { ...userTags(KNOWN[3], ['t']), Replace: 2 }, /Replace must be 0 or 1/],
      [PATHS.all_member_push.add, { ...userTags('edge', ['t']), Replace: 1 }, new RegExp(`Replace is taken by ${PATHS.timpush.add} only`)],
      [PATHS.timpush.remove, { ...userTags(KNOWN[3], ['t']), Replace: 1 }, new RegExp(`Replace is taken by ${PATHS.timpush.add} only`)],
      [PATHS.all_member_push.remove, userTags('edge', tags(100)), null],
      [PATHS.all_member_push.remove, userTags('edge', tags(101)), /has 101 tags; at most 100/],
    ];
    for (const [path, body, problem] of cases) {
      if (problem === null) {
        const ok = await write(path, body);
        assert.equal(ok.json.ErrorCode, 0, `${path}: ${ok.text.slice(0, 300)}`);
      } else {
        await refused(await withoutUpstream(() => write(path, body)), 400, 90001, problem);
      }
    }
  });

  test('no account twice in a write; a get may name one twice', async () => {
    const twice = await withoutUpstream(() => write(PATHS.timpush.clear, { To_Account: [KNOWN[4], KNOWN[4]] }));
    await refused(twice, 400, 90001, /To_Account\[1\] .* repeats To_Account\[0\]: name each account once in a write/);
    const add = await withoutUpstream(() => write(PATHS.all_member_push.add, {
      UserTags: [{ To_Account: 'a', Tags: ['x'] }, { To_Account: 'a', Tags: ['y'] }],
    }));
    await refused(add, 400, 90001, /UserTags\[1\]\.To_Account .* repeats UserTags\[0\]\.To_Account/);
    const get = await worker.send(PATHS.all_member_push.get, { body: { To_Account: ['xiaojun', 'xiaojun'] } });
    assert.equal(get.json.UserTags.length, 2);
  });

  test('no field the vendor does not define, at the top or in an entry', async () => {
    const top = await withoutUpstream(() => write(PATHS.timpush.clear, { To_Account: [KNOWN[5]], Force: true }));
    await refused(top, 400, 90001, new RegExp(`the body has the field "Force", which ${PATHS.timpush.clear} does not define`));
    const entry = await withoutUpstream(() => write(PATHS.timpush.remove, { UserTags: [{ To_Account: KNOWN[5], Tags: ['x'], Note: 1 }] }));
    await refused(entry, 400, 90001, /UserTags\[0\] has the field "Note"/);
    const wrongShape = await withoutUpstream(() => write(PATHS.timpush.add, { To_Account: [KNOWN[5]] }));
    await refused(wrongShape, 400, 90001, /the body has the field "To_Account"/);
  });

  test('a lone surrogate is refused in a write too', async () => {
    const answer = await withoutUpstream(() => write(PATHS.timpush.add, '{"UserTags":[{"To_Account":"ok","Tags":["a\\udfffb"]}]}'));
    await refused(answer, 400, 90001, /UserTags\[0\]\.Tags\[0\] is not well-formed Unicode/);
  });

  test('the largest valid add fits its 1 MiB limit; get and clear take 64 KiB', async () => {
    // 100 accounts with 100 tags of 50 bytes, with Replace: about 560 KB.
    const biggest = { UserTags: KNOWN.map((a) => ({ To_Account: a, Tags: tags(100, 50) })), Replace: 1 };
    const text = JSON.stringify(biggest);
    assert.ok(text.length > 500_000 && text.length < 1024 * 1024, `${text.length}`);
    const ok = await write(PATHS.timpush.add, text);
    assert.equal(ok.status, 200, ok.text.slice(0, 300));
    assert.equal(ok.json.ErrorCode, 0, ok.text.slice(0, 300));
    assert.equal((await tagsOf('timpush', KNOWN[99])).length, 100);
    const padded = (limit) => `{"To_Account":["a"]${' '.repeat(limit - 20)}}`;
    assert.equal(padded(65536).length, 65536);
    const atLimit = await worker.send(PATHS.all_member_push.get, { body: padded(65536) });
    assert.equal(atLimit.status, 200, atLimit.text);
    const over = await withoutUpstream(() => worker.send(PATHS.all_member_push.get, { body: padded(65537) }));
    await refused(over, 413, 80413, /larger than 65536 bytes/);
    const overWrite = await withoutUpstream(() => write(PATHS.all_member_push.add, `${text}${' '.repeat(1024 * 1024 - text.length + 1)}`));
    await refused(overWrite, 413, 80413, /larger than 1048576 bytes/);
    // Clean up: the next tests count distinct tags in the app.
    const clear = await write(PATHS.timpush.clear, { To_Account: KNOWN });
    assert.equal(clear.json.ErrorCode, 0);
  });
});

describe('scopes', () => {
  const writes = Object.values(PATHS).flatMap((paths) => [
    [paths.add, userTags(KNOWN[6], ['x'])],
    [paths.remove, userTags(KNOWN[6], ['x'])],
    [paths.clear, { To_Account: [KNOWN[6]] }],
  ]);

  test('a reader calling add, remove or clear gets 403 / 80403, and the vendor hears nothing', async () => {
    for (const token of [TOKEN, SECOND_TOKEN]) {
      for (const [path, body] of writes) {
        const answer = await withoutUpstream(() => worker.send(path, { token, body }));
        await refused(answer, 403, 80403, new RegExp(`may only read tags, and ${path.replaceAll('/', '\\/')} changes them`));
        assert.deepEqual(await auditLines(answer), [], 'a refused write left an audit line');
      }
    }
  });

  test('a writer may read and write', async () => {
    for (const [path, body] of writes) {
      const answer = await worker.send(path, { token: WRITE_TOKEN, body });
      assert.equal(answer.json.ErrorCode, 0, `${path}: ${answer.text}`);
    }
    const get = await worker.send(PATHS.timpush.get, { token: WRITE_TOKEN, body: { To_Account: [KNOWN[6]] } });
    assert.equal(get.json.ErrorCode, 0);
  });

  test('the request line names the caller, never its token', async () => {
    const line = await requestLine(await write(PATHS.timpush.clear, { To_Account: [KNOWN[6]] }));
    assert.equal(line.caller, 'ops');
    const reader = await requestLine(await worker.send(PATHS.timpush.clear, { token: SECOND_TOKEN, body: { To_Account: [KNOWN[6]] } }));
    assert.deepEqual([reader.caller, reader.status, reader.code, reader.tries], ['night-shift', 403, 80403, 0]);
  });
});

describe('/session', () => {
  test('says who the caller is, what it may do, and the generation', async () => {
    const session = (token) => worker.send('/session', { method: 'GET', token });
    const cases = [
      [TOKEN, { caller: 'token-1', scopes: ['read'], api: 'all_member_push', calls_per_second: 100, admitted_by: 'token' }],
      [SECOND_TOKEN, { caller: 'night-shift', scopes: ['read'], api: 'all_member_push', calls_per_second: 100, admitted_by: 'token' }],
      [WRITE_TOKEN, { caller: 'ops', scopes: ['read', 'write'], api: 'all_member_push', calls_per_second: 100, admitted_by: 'token' }],
    ];
    for (const [token, expected] of cases) {
      const answer = await withoutUpstream(() => session(token));
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(answer.json, expected);
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      assert.match(answer.headers.get('x-request-id'), /^[0-9a-f]{16}$/);
    }
    const nobody = await session(null);
    await refused(nobody, 401, 80401, /credentials/);
    const preflight = await worker.send('/session', {
      method: 'OPTIONS', token: null, headers: { Origin: 'https://panel.example.com', 'Access-Control-Request-Method': 'GET' },
    });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-methods'), /GET/);
  });

  test('reports TIM_TAG_API', async () => {
    const timpush = await startWorker(bindingsFor(emulator, { TIM_TAG_API: 'timpush' }));
    try {
      const answer = await timpush.send('/session', { method: 'GET', token: WRITE_TOKEN });
      assert.deepEqual(answer.json, { caller: 'ops', scopes: ['read', 'write'], api: 'timpush', calls_per_second: 100, admitted_by: 'token' });
    } finally {
      await timpush.dispose();
    }
  });
});

describe('audit', () => {
  test('a write that succeeded leaves one line; a get leaves none', async () => {
    const answer = await write(PATHS.timpush.add, { ...userTags(KNOWN[7], ['vip', 'cn']), Replace: 1 });
    const lines = await auditLines(answer);
    assert.equal(lines.length, 1);
    assert.deepEqual(lines[0], {
      event: 'audit', id: answer.headers.get('x-request-id'), caller: 'ops', op: 'add', api: 'timpush',
      accounts: [KNOWN[7]], tags: ['vip', 'cn'], replace: true, outcome: 'ok', code: 0, failed: [],
    });
    assert.deepEqual(await auditLines(await worker.send(PATHS.timpush.get, { body: { To_Account: [KNOWN[7]] } })), []);
  });

  test('a write that partly failed names the accounts that failed', async () => {
    const answer = await write(PATHS.timpush.remove, { UserTags: [{ To_Account: KNOWN[7], Tags: ['cn'] }, { To_Account: 'ghost', Tags: ['cn'] }] });
    const [line] = await auditLines(answer);
    assert.deepEqual(
      [line.op, line.accounts, line.tags, line.replace, line.outcome, line.code, line.failed],
      ['remove', [KNOWN[7], 'ghost'], ['cn'], false, 'partial', 0, ['ghost']],
    );
  });

  test('a write that timed out is failed: it may or may not have been applied', async () => {
    await emulator.inject({ kind: 'delay', ms: 2500, path: PATHS.all_member_push.clear });
    const answer = await write(PATHS.all_member_push.clear, { To_Account: ['audit_slow'] });
    await refused(answer, 504, 80504, /did not answer within 1500 ms/);
    const [line] = await auditLines(answer);
    assert.deepEqual([line.op, line.api, line.accounts, line.outcome, line.code], ['clear', 'all_member_push', ['audit_slow'], 'failed', 80504]);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the emulator finishes the slow call
  });

  test('a write the vendor refused is failed, with its code', async () => {
    await emulator.inject({ kind: 'error', code: 90009, path: PATHS.timpush.add });
    const [line] = await auditLines(await write(PATHS.timpush.add, userTags(KNOWN[8], ['x'])));
    assert.deepEqual([line.outcome, line.code], ['failed', 90009]);
  });
});

describe('faults on a write', () => {
  const path = PATHS.timpush.add;
  const body = userTags(KNOWN[9], ['fault']);
  const rows = [
    ['one 91000, then success', [{ kind: 'error', code: 91000, path }], 2, 200, 0],
    ['a 91000 storm', [{ kind: 'error', code: 91000, times: 3, path }], 3, 200, 91000],
    ['one 70001 expired, then a new UserSig', [{ kind: 'error', code: 70001, path }], 2, 200, 0],
    ['slower than the timeout', [{ kind: 'delay', ms: 2500, path }], 1, 504, 80504],
  ];
  for (const [name, faults, tries, status, code] of rows) {
    test(name, async () => {
      await emulator.reset();
      if (faults[0].code === 70001) await new Promise((resolve) => setTimeout(resolve, 1100));
      await emulator.inject(...faults);
      const answer = await write(path, body);
      assert.equal(answer.status, status, answer.text);
      assert.equal(answer.json.ErrorCode, code, answer.text);
      // The accounts are read first, for the history; then the write's tries.
      const [read, ...calls] = await emulator.calls();
      assert.equal(read.path, PATHS.timpush.get);
      assert.equal(calls.length, tries);
      assert.ok(calls.every((c) => c.path === path));
      assert.equal(new Set(calls.map((c) => c.usersig_sha256)).size, faults[0].code === 70001 ? 2 : 1);
      const line = await requestLine(answer);
      assert.equal(line.tries, tries);
      const [audit] = await auditLines(answer);
      assert.deepEqual([audit.outcome, audit.code], [code === 0 ? 'ok' : 'failed', code]);
      if (status === 504) await new Promise((resolve) => setTimeout(resolve, 1100));
    });
  }

  test('a fault kept for one path leaves the others alone', async () => {
    await emulator.reset();
    await emulator.inject({ kind: 'error', code: 91000, times: 3, path: PATHS.timpush.remove });
    const get = await worker.send(PATHS.timpush.get, { body: { To_Account: [KNOWN[9]] } });
    assert.equal(get.json.ErrorCode, 0);
    const remove = await write(PATHS.timpush.remove, body);
    assert.equal(remove.json.ErrorCode, 91000);
  });
});
