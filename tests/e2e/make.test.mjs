// make test prints the time of each stage it ran, whether the run passes or a stage fails.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { root } from './chromium.mjs';

test('a failed stage still prints the time of each stage run, then fails the run', () => {
  const run = spawnSync('make', ['--no-print-directory', 'test', 'TEST_STAGES=wasm-target no-such-stage lint'], { cwd: root, encoding: 'utf8' });
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /the no-such-stage stage failed; the time of each stage run/);
  assert.match(run.stderr, /wasm-target +\d+ s\n +no-such-stage +\d+ s/);
  assert.doesNotMatch(run.stderr, /lint +\d+ s/, 'no stage runs after the failed one');
});
