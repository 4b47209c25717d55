// A small version of the load that `make bench` runs: every answer belongs to its own request.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describe, load, withStack } from './load.mjs';

test('1,000 requests at concurrency 32: none lost, none crossed, none failed', async () => {
  const result = await withStack(async (target) => {
    const result = await load({ ...target, requests: 1000, concurrency: 32 });
    assert.equal((await target.emulator.calls()).length, 1000, 'the emulator did not get one call per request');
    return result;
  });
  console.log(describe(result));
  assert.deepEqual([result.failed, result.lost, result.crossed], [0, 0, 0]);
});
