// The size budgets in bench/budgets.json: the wasm of the browser package and of the Worker,
// gzipped, may not grow past them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { root } from './chromium.mjs';

const budgets = JSON.parse(readFileSync(join(root, 'bench/budgets.json'), 'utf8'));
const gzipped = (file) => gzipSync(readFileSync(join(root, file)), { level: 9 }).length;

test('the browser package’s wasm is within its budget', () => {
  const size = gzipped('pkg/tim_tags_bg.wasm');
  assert.ok(size <= budgets.browser_wasm_gzip_bytes, `${size} bytes gzipped, over ${budgets.browser_wasm_gzip_bytes}`);
});

test('the Worker’s wasm is within its budget', () => {
  const size = gzipped('build/index_bg.wasm');
  assert.ok(size <= budgets.worker_wasm_gzip_bytes, `${size} bytes gzipped, over ${budgets.worker_wasm_gzip_bytes}`);
});
