// Cloudflare Access: RS256 tokens checked against a key set served on loopback, with keys
// generated here; and the per-caller rate limit.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AUD, TEAM, b64url, jwt, other, startKeySet } from './access.mjs';
import { API, PATHS, SECOND_TOKEN, TOKEN, WRITE_TOKEN, bindingsFor, startEmulator, startWorker } from './harness.mjs';

let keySet, emulator;

before(async () => {
  keySet = await startKeySet();
  emulator = await startEmulator();
});

after(async () => {
  await keySet?.stop();
  await emulator?.stop();
});

const accessOnly = () => {
  const bindings = bindingsFor(emulator, keySet.settings({ ACCESS_WRITERS: 'lead@example.com, *@ops.example.com' }));
  delete bindings.PANEL_TOKENS;
  delete bindings.PANEL_WRITE_TOKENS;
  return startWorker(bindings);
};

const asAccess = (token) => ({ token: null, headers: { 'Cf-Access-Jwt-Assertion': token }, body: { To_Account: ['xiaojun'] } });

describe('Cloudflare Access', () => {
  let worker;
  before(async () => {
    worker = await accessOnly();
  });
  after(() => worker?.dispose());

  test('a valid token admits the caller, with no panel tokens configured', async () => {
    const answer = await worker.send(API, asAccess(jwt()));
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json.UserTags, [{ To_Account: 'xiaojun', Tags: ['cn', 'trial'] }]);
    assert.equal(keySet.fetches(), 1);
  });

  test('an Access identity reads, and writes when ACCESS_WRITERS lists it or its domain', async () => {
    const session = async (email) => {
      const answer = await worker.send('/session', { method: 'GET', token: null, headers: { 'Cf-Access-Jwt-Assertion': jwt({ claims: { email } }) } });
      assert.equal(answer.status, 200, answer.text);
      return answer.json;
    };
    assert.deepEqual(await session('ops@example.com'), { caller: 'ops@example.com', scopes: ['read'], api: 'all_member_push', calls_per_second: 100, admitted_by: 'access' });
    assert.deepEqual(await session('lead@example.com'), { caller: 'lead@example.com', scopes: ['read', 'write'], api: 'all_member_push', calls_per_second: 100, admitted_by: 'access' });
    assert.deepEqual((await session('anyone@ops.example.com')).scopes, ['read', 'write']);
    const add = (email) => worker.send(PATHS.all_member_push.add, {
      token: null,
      headers: { 'Cf-Access-Jwt-Assertion': jwt({ claims: { email } }) },
      body: { UserTags: [{ To_Account: 'access_user', Tags: ['vip'] }] },
    });
    const reader = await add('ops@example.com');
    assert.equal(reader.status, 403, reader.text);
    assert.match(reader.json.ErrorInfo, /ops@example.com may only read tags/);
    const writer = await add('lead@example.com');
    assert.equal(writer.status, 200, writer.text);
    assert.equal(writer.json.ErrorCode, 0);
  });

  test('only an e-mail makes a writer: a token without one, whose subject spells a listed writer, only reads, under its subject', async () => {
    const token = jwt({ claims: { email: undefined, sub: 'lead@example.com' } });
    const session = await worker.send('/session', { method: 'GET', token: null, headers: { 'Cf-Access-Jwt-Assertion': token } });
    assert.equal(session.status, 200, session.text);
    assert.deepEqual(session.json, { caller: 'sub:lead@example.com', scopes: ['read'], api: 'all_member_push', calls_per_second: 100, admitted_by: 'access' });
    const add = await worker.send(PATHS.all_member_push.add, {
      token: null,
      headers: { 'Cf-Access-Jwt-Assertion': token },
      body: { UserTags: [{ To_Account: 'access_user', Tags: ['by-subject'] }] },
    });
    assert.equal(add.status, 403, add.text);
    assert.match(add.json.ErrorInfo, /may only read tags/);
  });

  test('tokens whose claims or signature do not hold are refused with 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const refused = {
      'expired': jwt({ claims: { exp: now - 1 } }),
      'not yet valid': jwt({ claims: { nbf: now + 120 } }),
      'another audience': jwt({ claims: { aud: ['someone-else'] } }),
      'another issuer': jwt({ claims: { iss: 'https://evil.cloudflareaccess.com' } }),
      'signed with another key': jwt({ key: other.privateKey }),
      'alg none': `${b64url(JSON.stringify({ alg: 'none', kid: 'k1' }))}.${jwt().split('.')[1]}.`,
      'HS256': jwt({ header: { alg: 'HS256' } }),
      'tampered payload': (() => {
        const [h, , s] = jwt().split('.');
        return `${h}.${b64url(JSON.stringify({ aud: [AUD], iss: `https://${TEAM}`, exp: now + 9999 }))}.${s}`;
      })(),
      'garbage': 'not.a.jwt',
    };
    for (const [name, token] of Object.entries(refused)) {
      const answer = await worker.send(API, asAccess(token));
      assert.equal(answer.status, 401, `${name}: ${answer.text}`);
      assert.equal(answer.json.ErrorCode, 80401, name);
    }
    const none = await worker.send(API, { token: null, body: { To_Account: ['xiaojun'] } });
    assert.equal(none.status, 401);
  });

  test('an unknown kid fetches the key set again at most once a minute', async () => {
    const before = keySet.fetches();
    keySet.published.push({ kid: 'k2', key: other.publicKey });
    for (let i = 0; i < 3; i++) {
      const answer = await worker.send(API, asAccess(jwt({ header: { kid: 'k2' }, key: other.privateKey })));
      assert.equal(answer.status, 401, 'the new key was used before a minute passed');
    }
    assert.equal(keySet.fetches(), before, 'the key set was fetched again within the minute');
    keySet.published.pop();
  });

  test('a fresh isolate picks up a rotated key', async () => {
    keySet.published.push({ kid: 'k3', key: other.publicKey });
    const fresh = await accessOnly();
    try {
      const answer = await fresh.send(API, asAccess(jwt({ header: { kid: 'k3' }, key: other.privateKey })));
      assert.equal(answer.status, 200, answer.text);
    } finally {
      keySet.published.pop();
      await fresh.dispose();
    }
  });
});

describe('panel tokens and Access together', () => {
  let worker;
  before(async () => {
    worker = await startWorker(bindingsFor(emulator, keySet.settings({ ACCESS_WRITERS: 'lead@example.com' })));
  });
  after(() => worker?.dispose());

  const session = (token, assertion) => worker.send('/session', {
    method: 'GET', token, headers: assertion ? { 'Cf-Access-Jwt-Assertion': assertion } : {},
  });

  test('a valid panel token is the caller, whoever Access let through', async () => {
    const answer = await session(TOKEN, jwt({ claims: { email: 'lead@example.com' } }));
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json.scopes, ['read']);
    assert.notEqual(answer.json.caller, 'lead@example.com');
  });

  test('a wrong panel token falls through to the Access check: the person Access let through, or 401', async () => {
    const through = await session('wrong-token-0123456789abcdef', jwt({ claims: { email: 'lead@example.com' } }));
    assert.equal(through.status, 200, through.text);
    assert.deepEqual(through.json, { caller: 'lead@example.com', scopes: ['read', 'write'], api: 'all_member_push', calls_per_second: 100, admitted_by: 'access' });
    for (const [name, assertion] of [['no Access token', null], ['a forged one', jwt({ key: other.privateKey })]]) {
      const refused = await session('wrong-token-0123456789abcdef', assertion);
      assert.equal(refused.status, 401, `${name}: ${refused.text}`);
      assert.equal(refused.json.ErrorCode, 80401, name);
      assert.doesNotMatch(refused.text, /wrong-token/, 'the refusal repeats the token');
    }
  });

  test('no token at all, behind Access, is the person Access let through', async () => {
    const answer = await session(null, jwt());
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.caller, 'ops@example.com');
  });
});

test('when the key set cannot be fetched, Access callers are refused and nothing is forwarded', async () => {
  const bindings = bindingsFor(emulator, {
    ACCESS_TEAM_DOMAIN: TEAM,
    ACCESS_AUD: AUD,
    ACCESS_CERTS_URL: 'http://127.0.0.1:9/certs',
  });
  delete bindings.PANEL_TOKENS;
  const unreachable = await startWorker(bindings);
  try {
    const before = (await emulator.calls()).length;
    const answer = await unreachable.send(API, asAccess(jwt()));
    assert.equal(answer.status, 500, answer.text);
    assert.equal(answer.json.ErrorCode, 80500);
    assert.match(answer.json.ErrorInfo, /Access key set could not be fetched/);
    assert.equal((await emulator.calls()).length, before);
  } finally {
    await unreachable.dispose();
  }
});

describe('rate limit per caller', () => {
  // The local binding counts in fixed windows of its period aligned to the clock: a sequence
  // that crossed a minute's start would begin counting again. Each starts well within one.
  const withinOneWindow = async () => {
    const into = Date.now() % 60_000;
    if (into > 50_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - into + 50));
  };

  test('writes and reads count alike against a caller\'s limit', async () => {
    const worker = await startWorker(bindingsFor(emulator), {
      ratelimits: { CALLER_LIMIT: { namespace_id: '1002', simple: { limit: 3, period: 60 } } },
    });
    try {
      const get = () => worker.send(API, { token: WRITE_TOKEN, body: { To_Account: ['alice'] } });
      const add = () => worker.send(PATHS.all_member_push.add, { token: WRITE_TOKEN, body: { UserTags: [{ To_Account: 'alice', Tags: ['x'] }] } });
      const statuses = [];
      await withinOneWindow();
      for (const send of [get, add, get, add, get]) statuses.push((await send()).status);
      assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    } finally {
      await worker.dispose();
    }
  });

  test('a caller over its limit gets 429 / 80429; other callers do not', async () => {
    const worker = await startWorker(bindingsFor(emulator), {
      ratelimits: { CALLER_LIMIT: { namespace_id: '1001', simple: { limit: 3, period: 60 } } },
    });
    try {
      const body = { To_Account: ['alice'] };
      const statuses = [];
      await withinOneWindow();
      for (let i = 0; i < 5; i++) statuses.push((await worker.send(API, { body })).status);
      assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
      const limited = await worker.send(API, { body });
      assert.equal(limited.json.ErrorCode, 80429);
      assert.equal(limited.headers.get('retry-after'), '60');
      assert.match(limited.json.ErrorInfo, /too many calls/);
      assert.equal((await worker.send(API, { token: SECOND_TOKEN, body })).status, 200);
    } finally {
      await worker.dispose();
    }
  });
});
