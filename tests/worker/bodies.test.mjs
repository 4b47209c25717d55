// The hardest bodies to refuse (tests/worker/bodies.mjs), through the Worker: each is refused
// with the vendor's code, nothing reaches the vendor, and neither the answer nor the request's
// log line grows with the body; the largest valid body is forwarded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WRITE_TOKEN, requestLine, emulatorAndWorker } from './harness.mjs';
import { allWorstBodies, largestValidBody } from './bodies.mjs';

/** What a refusal may say, at most: its ErrorInfo, the whole answer, its log line. */
const MOST = { info: 1024, answer: 1536, line: 2048 };

let emulator, worker;

emulatorAndWorker({ api: 'timpush' }, { TIM_TAG_API: 'timpush' }, (started) => ({ emulator, worker } = started));

for (const { name, path, body } of allWorstBodies()) {
  test(`${path}, ${body.length} bytes, ${name}: refused, and briefly`, async () => {
    const calls = (await emulator.calls()).length;
    const answer = await worker.send(path, { token: WRITE_TOKEN, body });
    assert.equal(answer.status, 400, answer.text.slice(0, 300));
    assert.ok([90001, 90018].includes(answer.json.ErrorCode), answer.text.slice(0, 300));
    assert.ok(answer.json.ErrorInfo.length <= MOST.info, `ErrorInfo of ${answer.json.ErrorInfo.length} bytes`);
    assert.ok(answer.text.length <= MOST.answer, `an answer of ${answer.text.length} bytes`);
    const line = JSON.stringify(await requestLine(answer));
    assert.ok(line.length <= MOST.line, `a log line of ${line.length} bytes`);
    assert.equal((await emulator.calls()).length, calls, 'the vendor was called');
  });
}

test('the largest valid body, just under 1 MiB, is forwarded', async () => {
  const { path, body } = largestValidBody();
  assert.ok(body.length > 1000 * 1024, `${body.length} bytes`);
  const answer = await worker.send(path, { token: WRITE_TOKEN, body });
  assert.equal(answer.status, 200, answer.text.slice(0, 300));
  assert.equal(answer.json.ErrorCode, 0, answer.text.slice(0, 300));
});
