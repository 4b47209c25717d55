// The `make dev` stack for the panel's tests: wrangler dev serving www/ and the Worker, in front
// of an emulator, with its own local state (the history database with its migrations applied,
// when wrangler.toml binds one), and what the page under test needs: an axe-core audit and
// the Content-Security-Policy violations it raised. Everything wrangler prints joins the
// transcript that the harness checks for secrets.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KEY, TOKEN, WRITE_TOKEN, transcript } from '../worker/harness.mjs';
import { launch, root } from './chromium.mjs';

const axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const wrangler = join(root, 'node_modules/.bin/wrangler');
const quiet = { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_SEND_ERROR_REPORTS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

/** The D1 database wrangler.toml binds, by name, or null when it binds none. */
async function database() {
  const config = await readFile(join(root, 'wrangler.toml'), 'utf8');
  return /\[\[d1_databases\]\][^[]*?database_name\s*=\s*"([^"]+)"/.exec(config)?.[1] ?? null;
}

/** Applies the migrations to the local database kept in `state`, as `make dev` does. */
async function migrate(state) {
  const name = await database();
  if (!name) return;
  const { stdout, stderr } = await promisify(execFile)(wrangler, ['d1', 'migrations', 'apply', name, '--local', '--persist-to', state], {
    cwd: root, env: { ...quiet, CI: '1' },
  });
  transcript.push(stdout, stderr);
}

/**
 * Starts `wrangler dev` on `port` as `make dev` does, against `emulator`, with these extra
 * vars, a reader token (TOKEN, named token-1), a writer (WRITE_TOKEN, named ops) unless
 * `tokens` is false, and a fresh local state; resolves once it answers.
 */
export async function startDev(emulator, port, vars = {}, { tokens = true } = {}) {
  // As `make dev` does with .dev.vars: wrangler treats these as secrets and never prints them.
  const envDir = await mkdtemp(join(tmpdir(), 'tim-tags-dev-'));
  const envFile = join(envDir, '.env');
  const panelTokens = tokens ? `PANEL_TOKENS=${TOKEN}\nPANEL_WRITE_TOKENS=ops:${WRITE_TOKEN}\n` : '';
  await writeFile(envFile, `TIM_SECRET_KEY=${KEY}\n${panelTokens}`);
  const state = await mkdtemp(join(tmpdir(), 'tim-tags-state-'));
  await migrate(state);
  const varArgs = Object.entries({ TIM_API_ORIGIN: emulator.url, ...vars }).flatMap(([name, value]) => ['--var', `${name}:${value}`]);
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(port), '--show-interactive-dev-session=false', '--env-file', envFile,
    '--persist-to', state, ...varArgs];
  const child = spawn(wrangler, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: quiet });
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => transcript.push(String(chunk)));
  for (let i = 0; ; i++) {
    if ((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok) break;
    if (i === 120) throw new Error('wrangler dev did not start');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return {
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGINT');
        await once(child, 'exit');
      }
      for (const dir of [envDir, state]) await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Chromium with one page the size the panel's tests use, every Content-Security-Policy
 * violation on its documents kept for the tests to check.
 */
export async function panelPage() {
  const browser = await launch();
  const page = await browser.newPage();
  await page.setViewportSize({ width: 1100, height: 900 });
  await watchCsp(page);
  return { browser, page };
}

/** Keeps every Content-Security-Policy violation of `page`'s documents in `window.cspViolations`. */
export async function watchCsp(page) {
  await page.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI}`);
    });
  });
}

/** Runs axe-core on `page` as it is, and asserts no WCAG 2.1 A or AA violation. */
export async function audit(page, what) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  assert.deepEqual(violations, [], `${what}: ${violations.join('\n')}`);
}
