// The fault matrix: every fault the emulator can inject, and the exact answer the Worker gives
// for it after its retries (up to 3 tries within UPSTREAM_TIMEOUT_MS, here 3000 ms: more than
// the longest two pauses, so that every row's number of tries is certain).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { API, bindingsFor, requestLine, startWorker, transcript, emulatorAndWorker } from './harness.mjs';

let emulator, worker;
const body = { To_Account: ['xiaojun'] };
const ok = { status: 200, code: 0 };

emulatorAndWorker({}, { UPSTREAM_TIMEOUT_MS: '3000' }, (started) => ({ emulator, worker } = started));

// fault(s) injected → calls the emulator receives → the Worker's answer (HTTP status, ErrorCode, ErrorInfo)
const matrix = [
  ['one 91000, then success', [{ kind: 'error', code: 91000 }], 2, ok],
  ['a 91000 storm', [{ kind: 'error', code: 91000, times: 3 }], 3, { status: 200, code: 91000, info: /injected error 91000/ }],
  ['one 60008 timeout code, then success', [{ kind: 'error', code: 60008 }], 2, ok],
  ['one 70001 expired, then a new UserSig', [{ kind: 'error', code: 70001 }], 2, ok],
  ['70001 twice: signed again once only', [{ kind: 'error', code: 70001, times: 2 }], 2, { status: 200, code: 70001 }],
  ['one 60007 rate limit, then success', [{ kind: 'error', code: 60007 }], 2, ok],
  ['60018 rate limit every time', [{ kind: 'error', code: 60018, times: 3 }], 3, { status: 200, code: 60018 }],
  ['70009 wrong key: never retried', [{ kind: 'error', code: 70009 }], 1, { status: 200, code: 70009 }],
  ['90009 not admin: never retried', [{ kind: 'error', code: 90009 }], 1, { status: 200, code: 90009 }],
  ['one HTTP 503, then success', [{ kind: 'status', status: 503 }], 2, ok],
  ['HTTP 502 every time', [{ kind: 'status', status: 502, times: 3 }], 3, { status: 502, code: 80502, info: /HTTP 502/ }],
  ['malformed JSON every time', [{ kind: 'malformed', times: 3 }], 3, { status: 502, code: 80502, info: /not an answer to/ }],
  ['truncated JSON every time', [{ kind: 'truncated', times: 3 }], 3, { status: 502, code: 80502 }],
  ['one dropped connection, then success', [{ kind: 'drop' }], 2, ok],
  ['dropped connections every time', [{ kind: 'drop', times: 3 }], 3, { status: 502, code: 80502, info: /could not be reached/ }],
  ['slower than the timeout', [{ kind: 'delay', ms: 4000 }], 1, { status: 504, code: 80504, info: /within 3000 ms/ }],
  ['slow, but within the timeout', [{ kind: 'delay', ms: 300 }], 1, ok],
];

for (const [name, faults, calls, expected] of matrix) {
  test(name, async () => {
    await emulator.reset();
    // Signing again in the second the cached UserSig was signed would sign the same one.
    if (faults[0].code === 70001) await new Promise((resolve) => setTimeout(resolve, 1100));
    await emulator.inject(...faults);
    const answer = await worker.send(API, { body });
    assert.equal(answer.status, expected.status, answer.text);
    assert.equal(answer.json.ErrorCode, expected.code, answer.text);
    const line = await requestLine(answer);
    assert.deepEqual([line.status, line.code, line.tries], [expected.status, expected.code, calls]);
    if (expected.info) assert.match(answer.json.ErrorInfo, expected.info);
    if (expected.code === 0) assert.deepEqual(answer.json.UserTags, [{ To_Account: 'xiaojun', Tags: ['cn', 'trial'] }]);
    const received = await emulator.calls();
    assert.equal(received.length, calls, JSON.stringify(received));
    assert.equal(new Set(received.map((c) => c.random)).size, calls, 'random was reused');
    const signatures = new Set(received.map((c) => c.usersig_sha256)).size;
    assert.equal(signatures, faults[0].code === 70001 ? 2 : 1, 'the UserSig changed only after 70001');
  });
}

test('a refused connection to the main origin fails over to the backup', async () => {
  const failover = await startWorker(
    bindingsFor(emulator, { TIM_API_ORIGIN: 'http://127.0.0.1:9', TIM_API_BACKUP_ORIGIN: emulator.url }),
  );
  try {
    await emulator.reset();
    const answer = await failover.send(API, { body });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.ErrorCode, 0);
    assert.equal((await emulator.calls()).length, 1);
  } finally {
    await failover.dispose();
  }
});

test('a refused connection with no backup is a 502 after three tries', async () => {
  const lonely = await startWorker(bindingsFor({ url: 'http://127.0.0.1:9' }));
  try {
    const answer = await lonely.send(API, { body });
    assert.equal(answer.status, 502);
    assert.equal(answer.json.ErrorCode, 80502);
    const line = await requestLine(answer);
    assert.deepEqual([line.status, line.code, line.tries], [502, 80502, 3]);
    assert.match(line.info, /could not be reached/);
  } finally {
    await lonely.dispose();
  }
});

test('nothing panicked', () => {
  assert.doesNotMatch(transcript.join('\n'), /panicked|RuntimeError|unreachable executed/);
});
