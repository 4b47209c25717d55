// The package's TypeScript declarations: strict, precise, and without `any` in the public API.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { root } from './chromium.mjs';

test('a strict TypeScript program uses the package as documented, and misuse does not compile', async () => {
  const tsc = join(root, 'node_modules/.bin/tsc');
  const flags = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'esnext', '--moduleResolution', 'bundler', '--lib', 'es2022,dom'];
  const { stdout } = await promisify(execFile)(tsc, [...flags, join(root, 'tests/e2e/usage.ts')]).catch((e) => e);
  assert.equal(stdout, '', 'tsc reported errors');
});

test('the public declarations hold no `any`', async () => {
  const declarations = await readFile(join(root, 'pkg/tim_tags.d.ts'), 'utf8');
  const publicPart = declarations.slice(0, declarations.indexOf('export type InitInput'));
  for (const name of [
    'type TagApi', 'interface UserTags', 'interface AccountError', 'interface WriteReport', 'interface Options',
    'interface Session', 'class TimError', 'readonly report?: WriteReport', 'function getTags', 'function addTags',
    'function removeTags', 'function clearTags', 'function session',
  ]) {
    assert.ok(publicPart.includes(name), `${name} is not declared`);
  }
  const code = publicPart.replace(/\/\*[\s\S]*?\*\//g, '');
  assert.doesNotMatch(code, /\bany\b/);
});

test('the declarations show nothing of the wasm\'s internals as API', async () => {
  const declarations = (await readFile(join(root, 'pkg/tim_tags.d.ts'), 'utf8')).replace(/\/\*[\s\S]*?\*\//g, '');
  assert.doesNotMatch(declarations, /__wbindgen|__wbg_|wasm_bindgen__|__externref|\bany\b/);
  assert.match(declarations, /export default function init\(/);
});
