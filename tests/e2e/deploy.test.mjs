// The README's deploy walk-through on a clean copy of the repository (what a clone of this
// working tree would hold: no build output, no node_modules), as far as it goes without a
// Cloudflare account: the
// app's settings put in wrangler.toml (step 3), the database id (step 4), then
// `wrangler deploy --dry-run` (step 7), which must build the Worker and the panel's package
// and bundle the panel with everything it loads.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { root } from './chromium.mjs';

const run = promisify(execFile);
/** Each step's longest: a cold npm cache and a first build of the crate fit well within it. */
const STEP_TIMEOUT_MS = 600_000;
let clone, output;

/** What `git clone` of this working tree would hold: tracked files, and new ones not ignored. */
async function cleanCopy() {
  const dir = await mkdtemp(join(tmpdir(), 'tim-tags-deploy-'));
  clone = dir;
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, maxBuffer: 1 << 26 });
  for (const file of stdout.split('\0').filter(Boolean)) {
    if (!(await stat(join(root, file)).catch(() => null))) continue; // deleted, not yet committed
    await mkdir(join(dir, dirname(file)), { recursive: true });
    await cp(join(root, file), join(dir, file));
  }
  return dir;
}

/** Sets `name = "value"` in wrangler.toml, as step 3 says to. */
function setVar(toml, name, value) {
  const line = new RegExp(`^${name} = "[^"]*"`, 'm');
  assert.match(toml, line, `wrangler.toml has no ${name}`);
  return toml.replace(line, `${name} = "${value}"`);
}

before(async () => {
  await cleanCopy();
  const tomlPath = join(clone, 'wrangler.toml');
  let toml = await readFile(tomlPath, 'utf8');
  for (const [name, value] of Object.entries({
    TIM_SDKAPPID: '1400123456', TIM_ADMIN: 'ops_admin', TIM_REGION: 'frankfurt', TIM_TAG_API: 'timpush',
    ALLOWED_ORIGINS: 'https://admin.example.com', database_id: '0f6c3b9e-2d4a-4c1e-9b7f-5a8d2e6c1f40',
  })) toml = setVar(toml, name, value);
  await writeFile(tomlPath, toml);
  // The clone's own modules: npm ci never touches another checkout's. The crates' builds are
  // shared with this checkout's target/, so that the dependencies are not compiled again; the
  // crate itself is, from the copy (the same sources).
  const env = { ...process.env, CARGO_TARGET_DIR: join(root, 'target') };
  await run('make', ['--no-print-directory', 'node_modules/.installed'], { cwd: clone, env, timeout: STEP_TIMEOUT_MS });
  const wrangler = join(clone, 'node_modules/.bin/wrangler');
  const done = await run(wrangler, ['deploy', '--dry-run', '--outdir', join(clone, 'dist')], {
    cwd: clone, env: { ...env, WRANGLER_SEND_METRICS: 'false', CI: '1' }, maxBuffer: 1 << 26, timeout: STEP_TIMEOUT_MS,
  });
  output = done.stdout + done.stderr;
});

after(async () => {
  if (clone) await rm(clone, { recursive: true, force: true });
});

test('the dry run builds the Worker and bundles it with the settings step 3 put in wrangler.toml', async () => {
  assert.match(output, /--dry-run: exiting now/);
  const bundled = await readdir(join(clone, 'dist'));
  assert.ok(bundled.includes('index.js'), bundled.join(', '));
  assert.ok(bundled.some((file) => file.endsWith('.wasm')), `no wasm in the bundle: ${bundled.join(', ')}`);
  for (const binding of ['env.PACER (Pacer)', 'env.HISTORY (tim-tags-history)', 'env.CALLER_LIMIT', 'env.TIM_SDKAPPID ("1400123456")',
    'env.TIM_REGION ("frankfurt")', 'env.TIM_TAG_API ("timpush")', 'env.ALLOWED_ORIGINS ("https://admin.example.com")']) {
    assert.ok(output.includes(binding), `the dry run binds no ${binding}:\n${output}`);
  }
});

test('the panel is uploaded with its package and every file it loads', async () => {
  const www = join(clone, 'www');
  const entries = await readdir(www, { recursive: true });
  const read = Number(output.match(/Read (\d+) files? from the assets directory/)?.[1]);
  assert.equal(read, entries.length, `wrangler read ${read} entries of www/, which holds ${entries.length} after the build`);
  // What wrangler reads it uploads, but for what an ignore file names: there is none to apply.
  assert.ok(!entries.includes('.assetsignore'), 'www/.assetsignore would leave files out: apply it here');
  // Everything index.html loads, and everything that loads in turn, is there.
  const wanted = ['index.html'];
  for (let i = 0; i < wanted.length; i++) {
    const file = wanted[i];
    const text = await readFile(join(www, file), 'utf8').catch(() => assert.fail(`www/${file} is not uploaded`));
    const references = [
      ...text.matchAll(/(?:src|href)="\.?\/?([\w./-]+\.(?:js|css))"/g),
      ...text.matchAll(/(?:from|import)\s*\(?\s*['"]\.\/([\w./-]+)['"]/g),
      ...text.matchAll(/new URL\('([\w./-]+\.wasm)', import\.meta\.url\)/g),
    ].map((m) => join(dirname(file), m[1]));
    for (const reference of references) if (!wanted.includes(reference)) wanted.push(reference);
  }
  for (const file of ['pkg/tim_tags.js', 'pkg/tim_tags_bg.wasm']) assert.ok(wanted.includes(file), `the panel does not load ${file}: ${wanted.join(', ')}`);
});
