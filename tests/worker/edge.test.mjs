// The edge Worker's HTTP contract (the README's Routes and answers), run in the local workerd runtime
// against the emulator.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { API, SDKAPPID, SECOND_TOKEN, TOKEN, assertNoSecrets, bindingsFor, logs, requestLine, startWorker, transcript, emulatorAndWorker } from './harness.mjs';

let emulator;
let worker;

emulatorAndWorker({}, { UPSTREAM_TIMEOUT_MS: '1000' }, (started) => ({ emulator, worker } = started));

/** Asserts a refusal in the vendor's shape, and that the vendor was not called when it says so. */
async function refused(answer, status, code, infoPattern) {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.json.ActionStatus, 'FAIL');
  assert.equal(answer.json.ErrorCode, code, answer.text);
  assert.match(answer.json.ErrorInfo, infoPattern);
  assert.equal(answer.headers.get('cache-control'), 'no-store');
}

/** Runs `send` and asserts the emulator got no call from it. */
async function withoutUpstream(send) {
  const before = (await emulator.calls()).length;
  const answer = await send();
  assert.equal((await emulator.calls()).length, before, 'the vendor was called');
  return answer;
}

describe('forwarding', () => {
  test('a lookup answers with the emulator’s tags, unchanged', async () => {
    const answer = await worker.send(API, { body: { To_Account: ['xiaojun', 'user_0001', 'nobody'] } });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.ActionStatus, 'OK');
    assert.deepEqual(answer.json.UserTags.map((u) => u.To_Account), ['xiaojun', 'user_0001', 'nobody']);
    assert.deepEqual(answer.json.UserTags[0].Tags, ['cn', 'trial']);
    assert.deepEqual(answer.json.UserTags[2].Tags, []);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    assert.match(answer.headers.get('content-type'), /^application\/json/);
  });

  test('the emulator verified the Worker’s UserSig for the configured admin and app', async () => {
    const [call] = (await emulator.calls()).slice(-1);
    assert.equal(call.error_code, 0);
    assert.equal(call.identifier, 'administrator');
    assert.equal(call.sdkappid, SDKAPPID);
  });

  test('the UserSig is reused while random is fresh on every request', async () => {
    const before = (await emulator.calls()).length;
    for (let i = 0; i < 5; i++) {
      assert.equal((await worker.send(API, { body: { To_Account: [`user_000${i + 1}`] } })).status, 200);
    }
    const calls = (await emulator.calls()).slice(before);
    assert.equal(calls.length, 5);
    assert.equal(new Set(calls.map((c) => c.usersig_sha256)).size, 1);
    assert.equal(new Set(calls.map((c) => c.random)).size, 5);
    for (const { random } of calls) assert.ok(Number(random) >= 0 && Number(random) <= 0xffffffff);
  });

  test('query parameters a caller adds change nothing', async () => {
    const before = (await emulator.calls()).length;
    const forged = `${API}?identifier=intruder&sdkappid=1&usersig=forged&random=1&contenttype=xml`;
    const answer = await worker.send(forged, { body: { To_Account: ['alice'] } });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.ErrorCode, 0);
    const [call] = (await emulator.calls()).slice(before);
    assert.equal(call.identifier, 'administrator');
    assert.equal(call.sdkappid, SDKAPPID);
    assert.notEqual(call.random, '1');
    assert.notEqual(call.usersig_sha256, createHash('sha256').update('forged').digest('hex'));
  });

  test('a field the vendor does not define is refused, not passed on', async () => {
    const answer = await withoutUpstream(() => worker.send(API, { body: { To_Account: ['bob'], Extra: 'x' } }));
    await refused(answer, 400, 90001, new RegExp(`the body has the field "Extra", which ${API} does not define`));
  });

  test('a vendor error travels back as the vendor sent it', async () => {
    await emulator.inject({ kind: 'error', code: 70009 });
    const answer = await worker.send(API, { body: { To_Account: ['alice'] } });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json, { ActionStatus: 'FAIL', ErrorCode: 70009, ErrorInfo: 'injected error 70009' });
  });

  test('GET /healthz answers without calling the vendor', async () => {
    const answer = await withoutUpstream(() => worker.send('/healthz', { method: 'GET', token: null }));
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json, { ok: true });
    assert.equal(answer.headers.get('cache-control'), 'no-store');
  });
});

describe('refusals, before anything reaches the vendor', () => {
  const body = { To_Account: ['alice'] };

  test('400 / 90001: not JSON, wrong shape, empty or over-long account', async () => {
    const cases = [
      ['{"To_Account": [', /not valid JSON/],
      ['[]', /expected a JSON object/],
      ['{"To_Account": "alice"}', /To_Account must be an array of accounts/],
      ['{"To_Account": ["alice", 3]}', /To_Account\[1\] is not a string/],
      ['{"To_Account": []}', /To_Account is empty/],
      ['{"To_Account": ["alice", ""]}', /To_Account\[1\] is empty/],
      [JSON.stringify({ To_Account: ['x'.repeat(33)] }), /To_Account\[0\] .* is 33 bytes long/],
      ['', /not valid JSON/],
    ];
    for (const [text, info] of cases) {
      await refused(await withoutUpstream(() => worker.send(API, { body: text })), 400, 90001, info);
    }
  });

  test('400 / 90001: a lone surrogate escape is refused, never replaced', async () => {
    for (const text of ['{"To_Account": ["a\\udfffb"]}', '{"To_Account": ["ok", "\\ud800"]}', '{"To_Account": ["\\ud800x"]}']) {
      const answer = await withoutUpstream(() => worker.send(API, { body: text }));
      await refused(answer, 400, 90001, /To_Account\[\d\] is not well-formed Unicode: it holds a lone surrogate/);
    }
    // A surrogate pair is one character, and goes on as it is.
    const before = (await emulator.calls()).length;
    const pair = await worker.send(API, { body: '{"To_Account": ["\\ud83d\\ude00"]}' });
    assert.equal(pair.status, 200, pair.text);
    assert.deepEqual((await emulator.calls()).slice(before)[0].accounts, ['😀']);
  });

  test('400 / 90001: a body that is not UTF-8 is refused, not patched', async () => {
    const bytes = new Uint8Array([...Buffer.from('{"To_Account": ["al'), 0xff, ...Buffer.from('ice"]}')]);
    await refused(await withoutUpstream(() => worker.send(API, { body: bytes })), 400, 90001, /not valid UTF-8/);
  });

  test('a body streamed without a Content-Length is read, and cut off past the limit', async () => {
    const stream = (...chunks) => new ReadableStream({
      pull(controller) {
        const chunk = chunks.shift();
        if (chunk === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(chunk));
      },
    });
    const streamed = await worker.send(API, { body: stream('{"To_Account":', ' ["alice"', ']}') });
    assert.equal(streamed.status, 200, streamed.text);
    assert.equal(streamed.json.UserTags[0].To_Account, 'alice');
    const endless = stream('{"To_Account": ["a"], "pad": "', ...Array(80).fill('x'.repeat(1024)), '"}');
    await refused(await withoutUpstream(() => worker.send(API, { body: endless })), 413, 80413, /larger than 65536 bytes/);
  });

  test('400 / 90018: more than 100 accounts', async () => {
    const accounts = Array.from({ length: 101 }, (_, i) => `u${i}`);
    const answer = await withoutUpstream(() => worker.send(API, { body: { To_Account: accounts } }));
    await refused(answer, 400, 90018, /101 accounts; at most 100/);
  });

  test('401 / 80401: no token, a wrong token, another scheme', async () => {
    for (const headers of [{}, { Authorization: 'Bearer wrong-token-0123456789abc' }, { Authorization: `Basic ${TOKEN}` }]) {
      const answer = await withoutUpstream(() => worker.send(API, { token: null, headers, body }));
      await refused(answer, 401, 80401, /credentials/);
      assert.equal(answer.headers.get('www-authenticate'), 'Bearer');
    }
    assert.equal((await worker.send(API, { token: SECOND_TOKEN, body })).status, 200);
  });

  test('403 / 80403: an Origin not on the allow-list', async () => {
    const headers = { Origin: 'https://evil.example' };
    const answer = await withoutUpstream(() => worker.send(API, { headers, body }));
    await refused(answer, 403, 80403, /"https:\/\/evil.example" is not allowed to call this endpoint: add it to ALLOWED_ORIGINS/);
    assert.equal(answer.headers.get('access-control-allow-origin'), null);
  });

  test('404 / 80404 and 405 / 80405', async () => {
    await refused(await withoutUpstream(() => worker.send('/v4/other', { body })), 404, 80404, /no endpoint/);
    const wrongMethod = await withoutUpstream(() => worker.send(API, { method: 'GET' }));
    await refused(wrongMethod, 405, 80405, /method GET is not allowed/);
    assert.equal(wrongMethod.headers.get('allow'), 'POST, OPTIONS');
  });

  test('413 / 80413: a body over the limit', async () => {
    const big = JSON.stringify({ To_Account: ['a'], pad: 'x'.repeat(70 * 1024) });
    await refused(await withoutUpstream(() => worker.send(API, { body: big })), 413, 80413, /larger than 65536 bytes/);
  });

  test('checks run in order: path, origin, credentials, size, shape', async () => {
    const evil = { Origin: 'https://evil.example' };
    await refused(await worker.send('/nope', { headers: evil, token: null }), 404, 80404, /no endpoint/);
    await refused(await worker.send(API, { headers: evil, token: null, body: '{' }), 403, 80403, /not allowed/);
    await refused(await worker.send(API, { token: null, body: '{' }), 401, 80401, /credentials/);
    const big = `{${' '.repeat(70 * 1024)}`;
    await refused(await worker.send(API, { body: big }), 413, 80413, /larger/);
  });
});

describe('CORS', () => {
  const origin = 'https://panel.example.com';

  test('a preflight from an allowed origin is answered for it alone', async () => {
    const answer = await worker.send(API, {
      method: 'OPTIONS',
      token: null,
      headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
    });
    assert.equal(answer.status, 204);
    assert.equal(answer.headers.get('access-control-allow-origin'), origin);
    assert.match(answer.headers.get('access-control-allow-methods'), /POST/);
    assert.match(answer.headers.get('access-control-allow-headers'), /Authorization/);
    assert.equal(answer.headers.get('vary'), 'Origin');
  });

  test('a preflight from another origin is refused', async () => {
    const answer = await worker.send(API, { method: 'OPTIONS', token: null, headers: { Origin: 'https://evil.example' } });
    await refused(answer, 403, 80403, /not allowed/);
  });

  test('an allowed cross-origin call gets its origin echoed; a same-origin call needs no CORS', async () => {
    const cross = await worker.send(API, { headers: { Origin: origin }, body: { To_Account: ['alice'] } });
    assert.equal(cross.status, 200);
    assert.equal(cross.headers.get('access-control-allow-origin'), origin);
    const same = await worker.send(API, { headers: { Origin: 'http://localhost' }, body: { To_Account: ['alice'] } });
    assert.equal(same.status, 200);
    assert.equal(same.headers.get('access-control-allow-origin'), null);
  });

  test('refusals to an allowed origin are readable by it', async () => {
    const answer = await worker.send(API, { token: null, headers: { Origin: origin }, body: '{}' });
    assert.equal(answer.status, 401);
    assert.equal(answer.headers.get('access-control-allow-origin'), origin);
  });
});

describe('upstream failures', () => {
  const body = { To_Account: ['alice'] };

  test('502 / 80502 when the vendor answers with an HTTP error, garbage, half an answer, or hangs up', async () => {
    const faults = [
      [{ kind: 'status', status: 502 }, /HTTP 502/],
      [{ kind: 'malformed' }, new RegExp(`not an answer to ${API}`)],
      [{ kind: 'truncated' }, /cut short|not an answer to|could not be reached/],
      [{ kind: 'drop' }, /could not be reached/],
    ];
    for (const [fault, info] of faults) {
      await emulator.inject({ ...fault, times: 3 });
      await refused(await worker.send(API, { body }), 502, 80502, info);
    }
  });

  test('504 / 80504 when the vendor is slower than the timeout', async () => {
    await emulator.inject({ kind: 'delay', ms: 2500 });
    await refused(await worker.send(API, { body }), 504, 80504, /did not answer within 1000 ms/);
  });

  test('502 / 80502 when nothing listens at the vendor’s address', async () => {
    const closed = await freePort();
    const lonely = await startWorker(bindingsFor({ url: `http://127.0.0.1:${closed}` }));
    try {
      await refused(await lonely.send(API, { body }), 502, 80502, /could not be reached/);
    } finally {
      await lonely.dispose();
    }
  });

  test('a wrong key is refused by the emulator (70009), and the answer says so', async () => {
    const wrongKey = await startWorker(bindingsFor(emulator, { TIM_SECRET_KEY: 'not-the-app-key' }));
    try {
      const answer = await wrongKey.send(API, { body });
      assert.equal(answer.status, 200);
      assert.equal(answer.json.ErrorCode, 70009);
      assert.match(answer.json.ErrorInfo, /signature check failed/);
    } finally {
      await wrongKey.dispose();
    }
  });
});

describe('misconfiguration: 503 / 80503, naming what is missing', () => {
  const cases = [
    ['no TIM_SECRET_KEY', { TIM_SECRET_KEY: undefined }, /TIM_SECRET_KEY is not set/],
    ['no TIM_SDKAPPID', { TIM_SDKAPPID: undefined }, /TIM_SDKAPPID is not set/],
    ['an unknown TIM_REGION', { TIM_REGION: 'atlantis', TIM_API_ORIGIN: undefined }, /unknown region "atlantis"/],
    ['an unknown TIM_TAG_API', { TIM_TAG_API: 'push' }, /TIM_TAG_API: unknown tag API "push"/],
    ['no tokens (fails closed)', { PANEL_TOKENS: undefined, PANEL_WRITE_TOKENS: undefined }, /no way to authenticate callers/],
    ['empty token lists (fails closed)', { PANEL_TOKENS: ' ', PANEL_WRITE_TOKENS: ',' }, /no way to authenticate callers/],
    ['a write token too short', { PANEL_WRITE_TOKENS: 'ops:short' }, /PANEL_WRITE_TOKENS entry 1: the token is shorter than 16 characters/],
  ];
  for (const [name, change, info] of cases) {
    test(name, async () => {
      const bindings = bindingsFor(emulator, change);
      for (const [name, value] of Object.entries(change)) if (value === undefined) delete bindings[name];
      const misconfigured = await startWorker(bindings);
      try {
        const answer = await withoutUpstream(() => misconfigured.send(API, { body: { To_Account: ['alice'] } }));
        await refused(answer, 503, 80503, info);
        // The health check says the configuration is incomplete, and which setting.
        await refused(await misconfigured.send('/healthz', { method: 'GET', token: null }), 503, 80503, info);
        // Without credentials, a misconfigured app says nothing about its settings.
        if (!('PANEL_TOKENS' in change) && !('PANEL_WRITE_TOKENS' in change)) {
          await refused(await misconfigured.send(API, { token: null, body: '{}' }), 401, 80401, /credentials/);
        }
      } finally {
        await misconfigured.dispose();
      }
    });
  }
});

describe('request ids and logs', () => {
  const body = { To_Account: ['alice'] };

  test('every answer of the Worker carries nosniff, no-store and a request id', async () => {
    const answers = [
      await worker.send(API, { body }),
      await worker.send(API, { token: null, body }),
      await worker.send('/healthz', { method: 'GET', token: null }),
      await worker.send('/v4/nothing', { body }),
      await worker.send(API, { method: 'GET' }),
      await worker.send(API, { method: 'OPTIONS', token: null, headers: { Origin: 'https://panel.example.com' } }),
    ];
    const ids = new Set();
    for (const answer of answers) {
      assert.equal(answer.headers.get('x-content-type-options'), 'nosniff', answer.text);
      assert.equal(answer.headers.get('cache-control'), 'no-store', answer.text);
      assert.match(answer.headers.get('x-request-id'), /^[0-9a-f]{16}$/);
      ids.add(answer.headers.get('x-request-id'));
    }
    assert.equal(ids.size, answers.length, 'request ids repeat');
  });

  test('the runtime’s cf-ray is the request id when there is one', async () => {
    const answer = await worker.send(API, { body, headers: { 'cf-ray': '8f1c2a3b4c5d6e7f-SIN' } });
    assert.equal(answer.headers.get('x-request-id'), '8f1c2a3b4c5d6e7f-SIN');
    const odd = await worker.send(API, { body, headers: { 'cf-ray': 'not a ray "id"' } });
    assert.match(odd.headers.get('x-request-id'), /^[0-9a-f]{16}$/);
  });

  test('each request is one JSON line with the answer’s id, status, code, caller, tries and times', async () => {
    const ok = await worker.send(`${API}?usersig=caller-said-this`, { body });
    const line = await requestLine(ok);
    assert.deepEqual(Object.keys(line), ['event', 'id', 'method', 'path', 'status', 'code', 'caller', 'tries', 'upstream_ms', 'waited_ms', 'ms']);
    assert.deepEqual(
      { ...line, upstream_ms: typeof line.upstream_ms, waited_ms: typeof line.waited_ms, ms: typeof line.ms },
      { event: 'request', id: ok.headers.get('x-request-id'), method: 'POST', path: API, status: 200, code: 0,
        caller: line.caller, tries: 1, upstream_ms: 'number', waited_ms: 'number', ms: 'number' },
    );
    assert.equal(line.caller, 'token-1');
    assert.ok(line.ms >= line.upstream_ms);

    await emulator.inject({ kind: 'error', code: 91000 });
    const retried = await requestLine(await worker.send(API, { body }));
    assert.deepEqual([retried.status, retried.code, retried.tries], [200, 0, 2]);

    await emulator.inject({ kind: 'error', code: 70009 });
    const vendorError = await requestLine(await worker.send(API, { body }));
    assert.deepEqual([vendorError.status, vendorError.code, vendorError.tries], [200, 70009, 1]);

    const unauthorized = await requestLine(await worker.send(API, { token: null, body }));
    assert.deepEqual(
      [unauthorized.status, unauthorized.code, unauthorized.caller, unauthorized.tries, unauthorized.upstream_ms, unauthorized.waited_ms],
      [401, 80401, null, 0, null, null],
    );
    assert.match(unauthorized.info, /missing or invalid credentials/);
  });

  test('everything the Worker logs is a JSON object with an event', () => {
    assert.ok(logs.length > 0, 'nothing was logged');
    for (const line of logs) {
      const parsed = JSON.parse(line);
      assert.equal(typeof parsed.event, 'string', line);
    }
  });
});

describe('secret hygiene', () => {
  test('no answer, header or log line holds the key or a UserSig', async () => {
    // The Worker's own log lines were captured, not only the answers.
    assert.match(transcript.join('\n'), /"status":401,"code":80401/);
    assert.ok((await emulator.calls()).some((c) => c.usersig_sha256), 'no UserSig reached the emulator');
    await assertNoSecrets();
  });
});

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
