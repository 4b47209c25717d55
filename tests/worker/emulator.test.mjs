// tim-emulator against the vendor's contract, driven with UserSigs from the official npm signer.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { API, CONTROL_HEADER, KEY, PATHS, SDKAPPID, emulatorBin, startEmulator } from './harness.mjs';

const { Api } = createRequire(import.meta.url)('tls-sig-api-v2');

/** Signs with the official signer, at `time` (Unix seconds) when given. */
function sign(identifier, { key = KEY, expire = 3600, time } = {}) {
  const realNow = Date.now;
  if (time !== undefined) Date.now = () => time * 1000;
  try {
    return new Api(Number(SDKAPPID), key).genUserSig(identifier, expire);
  } finally {
    Date.now = realNow;
  }
}

let emulator;

before(async () => {
  emulator = await startEmulator();
});

after(() => emulator?.stop());

/** Calls the emulator with these query parameters (merged over valid ones) and body. */
async function call({ query = {}, body = { To_Account: ['xiaojun'] }, method = 'POST', path = API } = {}) {
  const params = new URLSearchParams({
    usersig: sign('administrator'),
    identifier: 'administrator',
    sdkappid: SDKAPPID,
    random: '12345',
    contenttype: 'json',
    ...query,
  });
  const response = await fetch(`${emulator.url}${path}?${params}`, {
    method,
    body: method === 'POST' ? (typeof body === 'string' ? body : JSON.stringify(body)) : undefined,
  });
  const text = await response.text();
  return { status: response.status, text, json: response.status === 200 ? JSON.parse(text) : undefined };
}

/** A path's calls received and refused, over all its seconds in a rate report. */
const totals = (seconds) => ({
  received: seconds.reduce((sum, s) => sum + s.received, 0),
  refused: seconds.reduce((sum, s) => sum + s.refused, 0),
});

async function fails(options, code, infoPattern) {
  const answer = await call(options);
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.json.ActionStatus, 'FAIL', answer.text);
  assert.equal(answer.json.ErrorCode, code, answer.text);
  assert.match(answer.json.ErrorInfo, infoPattern);
}

describe('tim-emulator', () => {
  test('accepts the official signer’s UserSig and serves the seed’s tags', async () => {
    const answer = await call({ body: { To_Account: ['xiaojun', 'unknown_user'] } });
    assert.deepEqual(answer.json, {
      ActionStatus: 'OK',
      ErrorCode: 0,
      ErrorInfo: '',
      UserTags: [
        { To_Account: 'xiaojun', Tags: ['cn', 'trial'] },
        { To_Account: 'unknown_user', Tags: [] },
      ],
    });
  });

  test('checks every query parameter', async () => {
    await fails({ query: { contenttype: 'xml' } }, 60002, /contenttype must be json/);
    for (const random of ['abc', '-1', '4294967296', '']) {
      await fails({ query: { random } }, 60002, /random must be an unsigned 32-bit integer/);
    }
    assert.equal((await call({ query: { random: '4294967295' } })).json.ErrorCode, 0);
    await fails({ query: { identifier: '' } }, 60002, /identifier is missing/);
    await fails({ query: { sdkappid: 'x' } }, 60002, /sdkappid is missing/);
    await fails({ query: { sdkappid: '1400000001' } }, 70020, /not found in this region/);
  });

  test('verifies the UserSig: empty, malformed, wrong key, wrong identifier, expired', async () => {
    await fails({ query: { usersig: '' } }, 70002, /UserSig is empty/);
    await fails({ query: { usersig: 'not-a-usersig' } }, 70003, /malformed/);
    await fails({ query: { usersig: sign('administrator', { key: 'another key' }) } }, 70009, /signature check failed/);
    await fails({ query: { usersig: sign('alice') } }, 70013, /signed for identifier "alice", not "administrator"/);
    const old = sign('administrator', { time: 1_000_000_000, expire: 60 });
    await fails({ query: { usersig: old } }, 70001, /expired at 1000000060/);
  });

  test('only the administrator may call', async () => {
    await fails({ query: { identifier: 'alice', usersig: sign('alice') } }, 90009, /administrator/);
  });

  test('enforces the body’s limits with the vendor’s codes', async () => {
    const many = Array.from({ length: 101 }, (_, i) => `user_${i}`);
    await fails({ body: { To_Account: many } }, 90018, /101 accounts/);
    await fails({ body: { To_Account: ['x'.repeat(33)] } }, 90001, /33 bytes/);
    await fails({ body: 'not json' }, 90001, /not valid JSON/);
  });

  test('answers other methods and paths with HTTP errors', async () => {
    assert.equal((await call({ method: 'GET' })).status, 405);
    assert.equal((await fetch(`${emulator.url}/v4/other`, { method: 'POST' })).status, 404);
  });

  test('allows the configured calls per second at each path, then answers 60007', async () => {
    const limited = await startEmulator({ callsPerSecond: 5 });
    const saved = emulator;
    emulator = limited;
    try {
      const codes = [];
      for (let i = 0; i < 8; i++) codes.push((await call()).json.ErrorCode);
      assert.deepEqual(codes, [0, 0, 0, 0, 0, 60007, 60007, 60007]);
      const other = [];
      for (let i = 0; i < 3; i++) other.push((await call({ path: PATHS.timpush.get })).json.ErrorCode);
      assert.deepEqual(other, [0, 0, 0], 'another path has its own budget');
      assert.equal((await call()).json.ErrorCode, 60007, 'and leaves the first one’s alone');
      await new Promise((resolve) => setTimeout(resolve, 1100));
      assert.equal((await call()).json.ErrorCode, 0, 'the window moves on');
    } finally {
      emulator = saved;
      await limited.stop();
    }
  });

  test('reports the calls each path received and refused, second by second', async () => {
    const limited = await startEmulator({ callsPerSecond: 5 });
    const saved = emulator;
    emulator = limited;
    try {
      assert.deepEqual(await limited.rate(), { calls_per_second: 5, paths: {} });
      for (let i = 0; i < 8; i++) await call();
      for (let i = 0; i < 3; i++) await call({ path: PATHS.timpush.get });
      const report = await limited.rate();
      assert.deepEqual(Object.keys(report.paths).sort(), [API, PATHS.timpush.get].sort());
      assert.deepEqual(totals(report.paths[API]), { received: 8, refused: 3 });
      assert.deepEqual(totals(report.paths[PATHS.timpush.get]), { received: 3, refused: 0 });
      assert.ok(report.paths[API].length <= 2, 'the calls took under a second');
      const [first] = report.paths[API];
      if (report.paths[API].length === 1) {
        assert.deepEqual(first, { second: first.second, received: 8, refused: 3 }, 'all in one second');
      }
      await new Promise((resolve) => setTimeout(resolve, 1100));
      assert.equal((await call()).json.ErrorCode, 0);
      const later = (await limited.rate()).paths[API];
      assert.deepEqual(later.at(-1), { second: later.at(-1).second, received: 1, refused: 0 }, JSON.stringify(later));
      assert.ok(later.at(-1).second > later.at(-2).second);
      await limited.reset();
      assert.deepEqual(await limited.rate(), { calls_per_second: 5, paths: {} }, 'reset clears it');
      await call({ path: PATHS.timpush.add, body: { UserTags: [{ To_Account: 'rated', Tags: ['t'] }] } });
      assert.deepEqual(Object.keys((await limited.rate()).paths), [PATHS.timpush.add]);
    } finally {
      emulator = saved;
      await limited.stop();
    }
  });

  test('the default limit is the vendor’s 100 per second', async () => {
    const codes = await Promise.all(Array.from({ length: 110 }, () => call().then((a) => a.json.ErrorCode)));
    assert.ok(codes.filter((c) => c === 60007).length >= 10, codes.join());
    assert.ok(codes.filter((c) => c === 0).length <= 100, codes.join());
  });

  test('control endpoints take only requests no other web page can send, and grant no CORS', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the tests that flood the rate limit
    await fetch(`${emulator.url}/_emulator/faults`, { method: 'DELETE', headers: CONTROL_HEADER });
    const fault = JSON.stringify([{ kind: 'error', code: 91000 }]);
    // What a page on another origin can send without a preflight: a simple POST, a simple GET.
    const simple = await fetch(`${emulator.url}/_emulator/faults`, {
      method: 'POST', headers: { 'Content-Type': 'text/plain', Origin: 'https://evil.example' }, body: fault,
    });
    assert.equal(simple.status, 403);
    assert.match(await simple.text(), /X-Tim-Emulator: control/);
    assert.equal(simple.headers.get('access-control-allow-origin'), null);
    const read = await fetch(`${emulator.url}/_emulator/calls`, { headers: { Origin: 'https://evil.example' } });
    assert.equal(read.status, 403);
    const rate = await fetch(`${emulator.url}/_emulator/rate`, { headers: { Origin: 'https://evil.example' } });
    assert.equal(rate.status, 403);
    const preflight = await fetch(`${emulator.url}/_emulator/faults`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'x-tim-emulator' },
    });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    assert.equal(preflight.headers.get('access-control-allow-headers'), null);
    assert.equal((await call()).json.ErrorCode, 0, 'the refused fault was injected');
    // The control header admits the request.
    const marked = await fetch(`${emulator.url}/_emulator/faults`, { method: 'POST', headers: CONTROL_HEADER, body: fault });
    assert.equal(marked.status, 204);
    assert.equal(marked.headers.get('access-control-allow-origin'), null);
    assert.equal((await call()).json.ErrorCode, 91000);
  });

  test('grants CORS to the one origin it is told to, and no other', async () => {
    const page = 'http://127.0.0.1:8789';
    const open = await startEmulator({ allowOrigin: page });
    try {
      const ask = (origin) => fetch(`${open.url}/_emulator/calls`, {
        method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'GET' },
      });
      assert.equal((await ask(page)).headers.get('access-control-allow-origin'), page);
      assert.equal((await ask('https://evil.example')).headers.get('access-control-allow-origin'), null);
      const read = await fetch(`${open.url}/_emulator/calls`, { headers: { Origin: page, ...CONTROL_HEADER } });
      assert.equal(read.status, 200);
      assert.equal(read.headers.get('access-control-allow-origin'), page);
    } finally {
      await open.stop();
    }
  });

  test('stays on loopback unless told otherwise, and says so when its port is taken', async () => {
    const run = (...args) => promisify(execFile)(emulatorBin, ['--key', 'k', ...args]).then(
      () => ({ code: 0, stderr: '' }),
      (error) => ({ code: error.code, stderr: error.stderr }),
    );
    const open = await run('--listen', '0.0.0.0:0');
    assert.equal(open.code, 1);
    assert.match(open.stderr, /refusing to listen on 0\.0\.0\.0:0: .*pass --public/);
    const port = new URL(emulator.url).port;
    const taken = await run('--listen', `127.0.0.1:${port}`);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: .*in use`, 'i'));
  });

  test('serves the one generation it is told to, and answers the other with an error code', async () => {
    const timpushOnly = await startEmulator({ api: 'timpush' });
    const saved = emulator;
    emulator = timpushOnly;
    try {
      const current = await call({ path: PATHS.timpush.get });
      assert.equal(current.json.ErrorCode, 0, current.text);
      await fails({ path: PATHS.all_member_push.get }, 90010, /has the timpush tag API switched on, not all_member_push/);
    } finally {
      emulator = saved;
      await timpushOnly.stop();
    }
  });

  test('checks write bodies as the vendor does, and keeps what they change', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the tests that flood the rate limit
    await fails({ path: PATHS.timpush.add, body: { UserTags: [{ To_Account: 'a', Tags: Array(11).fill('t') }] } }, 90001, /at most 10/);
    await fails({ path: PATHS.all_member_push.add, body: { UserTags: [{ To_Account: 'a', Tags: ['t'] }], Replace: 1 } }, 90001, /Replace/);
    const added = await call({ path: PATHS.all_member_push.add, body: { UserTags: [{ To_Account: 'emulated', Tags: ['kept'] }] } });
    assert.deepEqual(added.json, { ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '' });
    const got = await call({ body: { To_Account: ['emulated'] } });
    assert.deepEqual(got.json.UserTags, [{ To_Account: 'emulated', Tags: ['kept'] }]);
  });
});
