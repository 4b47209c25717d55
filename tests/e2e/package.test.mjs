// The npm package (pkg/) loaded the two ways applications load it: a plain module script, and a
// Vite build that imports it by name. Both call the local Worker, which calls the emulator.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { build } from 'vite';
import { TOKEN, bindingsFor, startEmulator, startWorker } from '../worker/harness.mjs';
import { launch, root, serveFiles, visitOutcome } from './chromium.mjs';

const seed = JSON.parse(await readFile(join(root, 'src/emulator/demo-tags.json'), 'utf8'));
let emulator, worker, site, viteSite, browser;
const WORKER_PORT = 8798;

before(async () => {
  site = await serveFiles(root);
  const app = await mkdtemp(join(tmpdir(), 'tim-tags-vite-'));
  await cp(join(root, 'tests/e2e/vite-app'), app, { recursive: true });
  await mkdir(join(app, 'node_modules'));
  await symlink(join(root, 'pkg'), join(app, 'node_modules/tim-tags'));
  await build({ root: app, logLevel: 'warn', build: { outDir: join(app, 'dist'), target: 'es2022' } });
  viteSite = await serveFiles(join(app, 'dist'));
  emulator = await startEmulator();
  const allowed = `${site.origin},${viteSite.origin}`;
  worker = await startWorker(bindingsFor(emulator, { ALLOWED_ORIGINS: allowed }), { port: WORKER_PORT });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await worker?.dispose();
  await emulator?.stop();
  await site?.stop();
  await viteSite?.stop();
});

const visit = (url, name) => visitOutcome(browser, url, name);

const query = (token) => `?endpoint=http://127.0.0.1:${WORKER_PORT}&token=${token}`;

test('the manifest says what the package does and where its entry, types and wasm are', async () => {
  const manifest = JSON.parse(await readFile(join(root, 'pkg/package.json'), 'utf8'));
  assert.match(manifest.description, /look up and change the user tags/i);
  assert.doesNotMatch(manifest.description, /emulator/, 'the description is the whole project\'s, not the package\'s');
  assert.equal(manifest.types, 'tim_tags.d.ts');
  assert.ok(manifest.keywords.includes('tencent-cloud-chat'), JSON.stringify(manifest.keywords));
  assert.deepEqual(manifest.exports['.'], { types: './tim_tags.d.ts', default: './tim_tags.js' });
  for (const target of [manifest.exports['.'].types, manifest.exports['.'].default, manifest.exports['./tim_tags_bg.wasm']]) {
    assert.ok(manifest.files.includes(target.slice(2)), `${target} is not among the files published`);
  }
});

test('the manifest names no file the package lacks, and its source when built from a clone of a published repository', async () => {
  const manifest = JSON.parse(await readFile(join(root, 'pkg/package.json'), 'utf8'));
  for (const entry of manifest.sideEffects ?? []) {
    assert.ok(existsSync(join(root, 'pkg', entry.replace(/^\.\//, '').replace(/\/\*$/, ''))), `sideEffects names ${entry}, which the package lacks`);
  }
  // The same step in a clone whose origin is a web address, with credentials in it.
  const clone = await mkdtemp(join(tmpdir(), 'tim-tags-manifest-'));
  try {
    await mkdir(join(clone, 'pkg'));
    await copyFile(join(root, 'Makefile'), join(clone, 'Makefile'));
    await writeFile(join(clone, 'pkg/package.json'), JSON.stringify({ name: 'tim-tags', sideEffects: ['./snippets/*'] }));
    const git = (...args) => execFileSync('git', args, { cwd: clone, stdio: 'ignore' });
    git('init', '-q');
    git('remote', 'add', 'origin', 'https://someone:secret@git.example.com/team/tim-tags.git');
    execFileSync('make', ['-s', 'pkg-manifest'], { cwd: clone, stdio: 'ignore' });
    const made = JSON.parse(await readFile(join(clone, 'pkg/package.json'), 'utf8'));
    assert.deepEqual(made.repository, { type: 'git', url: 'git+https://git.example.com/team/tim-tags.git' });
    assert.equal(made.homepage, 'https://git.example.com/team/tim-tags#readme');
    assert.equal(made.sideEffects, undefined);
    assert.ok(made.exports['.']);
  } finally {
    await rm(clone, { recursive: true, force: true });
  }
});

test('the tarball holds the package, its own README and both licenses', async () => {
  const readme = await readFile(join(root, 'pkg/README.md'), 'utf8');
  assert.equal(readme, await readFile(join(root, 'docs/npm-readme.md'), 'utf8'));
  assert.doesNotMatch(readme, /\]\((?!https?:|#)/, 'a relative link, which npm cannot follow');
  assert.doesNotMatch(readme, /\bmake \w/, 'make targets are the repository\'s, not the package\'s');
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: join(root, 'pkg'), encoding: 'utf8' }));
  const files = packed.files.map((file) => file.path).sort();
  for (const file of ['LICENSE-APACHE', 'LICENSE-MIT', 'README.md', 'package.json', 'tim_tags.d.ts', 'tim_tags.js', 'tim_tags_bg.wasm']) {
    assert.ok(files.includes(file), `${file} is not in the tarball: ${files.join(', ')}`);
  }
});

test('a page on an origin the Worker does not allow is told so, and where to allow it', async () => {
  const elsewhere = await serveFiles(root);
  try {
    const { error } = await visit(`${elsewhere.origin}/tests/e2e/plain.html${query(TOKEN)}`, 'package-origin-refused');
    assert.equal(error.code, 80502);
    assert.ok(error.info.includes(`add ${elsewhere.origin} to its ALLOWED_ORIGINS`), error.info);
  } finally {
    await elsewhere.stop();
  }
});

test('a plain <script type="module"> page gets the tags', async () => {
  const { errorClassIsError, tags } = await visit(`${site.origin}/tests/e2e/plain.html${query(TOKEN)}`, 'package-plain');
  assert.equal(errorClassIsError, true, 'TimError.prototype instanceof Error is false after init()');
  assert.deepEqual(tags, [
    { To_Account: 'xiaojun', Tags: seed.xiaojun },
    { To_Account: 'user_0001', Tags: seed.user_0001 },
  ]);
});

test('the same page catches a TimError, a real Error, for a wrong token', async () => {
  const { error } = await visit(`${site.origin}/tests/e2e/plain.html${query('wrong-token-0123456789')}`, 'package-plain-error');
  assert.deepEqual(error, {
    code: 80401, status: 401, info: 'missing or invalid credentials: send Authorization: Bearer <panel token>',
    timError: true, error: true, name: 'TimError',
  });
});

test('a Vite build that imports the package by name gets the tags', async () => {
  const tags = await visit(`${viteSite.origin}/${query(TOKEN)}`, 'package-vite');
  assert.deepEqual(tags, [
    { To_Account: 'alice', Tags: seed.alice },
    { To_Account: 'bob', Tags: seed.bob },
  ]);
});
