// The admin panel on the `make dev` stack (wrangler dev serving www/ and the Worker, the
// emulator behind it), used as an operator would, in Chromium. Screenshots go to target/screenshots.
// Everything wrangler prints joins the transcript that the harness checks for secrets.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { accountsFromCsv } from '../../www/csv.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KEY, TOKEN, startEmulator, transcript } from '../worker/harness.mjs';
import { launch, root, screenshots, serveFiles } from './chromium.mjs';

const seed = JSON.parse(await readFile(join(root, 'src/emulator/demo-tags.json'), 'utf8'));
const PORT = 8797;
const PANEL = `http://127.0.0.1:${PORT}/`;
let emulator, wrangler, browser, page;

before(async () => {
  emulator = await startEmulator();
  // As `make dev` does with .dev.vars: wrangler treats these as secrets and never prints them.
  const envFile = join(await mkdtemp(join(tmpdir(), 'tim-tags-dev-')), '.env');
  await writeFile(envFile, `TIM_SECRET_KEY=${KEY}\nPANEL_TOKENS=${TOKEN}\nTIM_API_ORIGIN=${emulator.url}\n`);
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(PORT), '--show-interactive-dev-session=false', '--env-file', envFile];
  wrangler = spawn(join(root, 'node_modules/.bin/wrangler'), args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_SEND_ERROR_REPORTS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  });
  for (const stream of [wrangler.stdout, wrangler.stderr]) stream.on('data', (chunk) => transcript.push(String(chunk)));
  for (let i = 0; ; i++) {
    if ((await fetch(`${PANEL}healthz`).catch(() => null))?.ok) break;
    if (i === 120) throw new Error('wrangler dev did not start');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  browser = await launch();
  page = await browser.newPage();
  await page.setViewportSize({ width: 1100, height: 900 });
  // Every Content-Security-Policy violation on the panel's pages, kept for the tests to check.
  await page.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI}`);
    });
  });
});

after(async () => {
  await browser?.close();
  if (wrangler?.exitCode === null) {
    wrangler.kill('SIGINT');
    await once(wrangler, 'exit');
  }
  await emulator?.stop();
});

/** Looks up `accounts` typed into the box, or, without them, what the box holds (a loaded file). */
async function lookUp(token, accounts) {
  await page.fill('#token', token);
  if (accounts !== undefined) await page.fill('#accounts', accounts);
  await page.click('#submit');
  await page.waitForFunction(() => !document.getElementById('submit').disabled);
}

/** The table's rows: each account and its tags. */
const tableRows = () =>
  page.$$eval('#rows tr', (trs) =>
    trs.map((tr) => [tr.cells[0].textContent, [...tr.querySelectorAll('.chip')].map((c) => c.textContent)]));

async function loadCsv(name, text) {
  await page.setInputFiles('#file', { name, mimeType: 'text/csv', buffer: Buffer.from(text) });
  await page.waitForFunction((n) => document.getElementById('status').textContent.includes(n), name);
}

/** Clicks Export CSV; the downloaded file's text. */
async function exportCsv() {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  return Buffer.concat(await (await download.createReadStream()).toArray()).toString();
}

test('looks up the tags of a few accounts', async () => {
  await page.goto(PANEL);
  await lookUp(TOKEN, 'xiaojun, user_0001\nnobody_here xiaojun');
  await page.screenshot({ path: join(screenshots, 'panel-lookup.png'), fullPage: true });
  assert.deepEqual(await tableRows(), [['xiaojun', seed.xiaojun], ['user_0001', seed.user_0001], ['nobody_here', []]]);
  assert.match(await page.textContent('#status'), /Found tags for 2 of 3 accounts/);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('tim-tags.token')), TOKEN);
  assert.equal(await page.evaluate(() => localStorage.length), 0);
});

test('says plainly that a wrong token was refused, and leaves no earlier results on screen', async () => {
  assert.ok((await tableRows()).length > 0, 'the earlier lookup left no results');
  await lookUp('not-the-right-token-000', 'xiaojun');
  const error = await page.textContent('#error');
  assert.match(error, /panel token was refused/);
  assert.ok(await page.isVisible('#error'));
  assert.deepEqual(await tableRows(), []);
  assert.ok(!(await page.isVisible('#results')), 'the earlier results are still shown');
  await page.screenshot({ path: join(screenshots, 'panel-wrong-token.png'), fullPage: true });
});

test('loads 1,000 accounts from a CSV file and shows the progress complete', async () => {
  const lines = ['account', ...Array.from({ length: 1000 }, (_, i) => `user_${String(i + 1).padStart(4, '0')}`)];
  await loadCsv('accounts.csv', lines.join('\n'));
  assert.match(await page.textContent('#count'), /^1,000 distinct/);
  await lookUp(TOKEN);
  assert.equal(await page.$eval('#progress', (p) => [p.value, p.max].join('/')), '1000/1000');
  assert.equal(await page.textContent('#progress-text'), '1,000 / 1,000');
  assert.equal(await page.$$eval('#rows tr', (trs) => trs.length), 1000);
  await page.screenshot({ path: join(screenshots, 'panel-1000.png') });
});

test('filters by tag, by typing or by clicking a chip, and exports what is shown', async () => {
  const total = await page.$$eval('#rows tr', (trs) => trs.length);
  await page.click('#rows .chip >> text=vip');
  const shown = await page.$$eval('#rows tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('.chip')].map((c) => c.textContent)));
  assert.ok(shown.length > 0 && shown.length < total);
  assert.ok(shown.every((tags) => tags.includes('vip')));
  assert.match(await page.textContent('#summary'), new RegExp(`${shown.length} of 1,000 accounts tagged “vip”`));
  const lines = (await exportCsv()).trim().split('\r\n');
  assert.equal(lines[0], 'account,tags');
  assert.equal(lines.length, shown.length + 1);
  await page.screenshot({ path: join(screenshots, 'panel-filtered.png') });
});

test('is usable from the keyboard, with labelled fields and a visible focus', async () => {
  await page.goto(PANEL);
  for (const id of ['token', 'accounts', 'file', 'filter']) {
    assert.ok(await page.$eval(`#${id}`, (el) => el.labels.length > 0), `#${id} has no label`);
  }
  assert.equal(await page.inputValue('#token'), TOKEN, 'the token is kept for this tab');
  await page.focus('#token');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'accounts');
  const outline = await page.$eval('#accounts', (el) => getComputedStyle(el).outlineStyle);
  assert.notEqual(outline, 'none');
  await page.keyboard.type('alice');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'submit');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#rows tr');
  assert.equal(await page.textContent('#rows tr td'), 'alice');
});

test('a CSV file is read as CSV, exported without formulas, and reads back to the same accounts', async () => {
  await page.goto(PANEL);
  const accounts = ['csv,comma', 'say "hi"', '=1+2', '@cmd', 'user_0002'];
  await loadCsv('tricky.csv', 'To_Account,note\r\n"csv,comma",a\r\n"say ""hi""",b\r\n=1+2,c\r\n@cmd,d\r\nuser_0002,e\r\n');
  await lookUp(TOKEN);
  assert.deepEqual((await tableRows()).map(([account]) => account), accounts);
  const exported = await exportCsv();
  assert.match(exported, /\r\n'=1\+2,\r\n'@cmd,\r\n/);
  assert.deepEqual(accountsFromCsv(exported), accounts);
  // The exported file, loaded again, looks up the same accounts.
  await loadCsv('exported.csv', exported);
  await lookUp(TOKEN);
  assert.deepEqual((await tableRows()).map(([account]) => account), accounts);
  // Copy writes the same neutralised CSV.
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(PANEL).origin });
  await page.click('#copy');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), exported);
});

test('the panel is served with its security headers', async () => {
  for (const path of ['', 'panel.js', 'csv.js', 'panel.css']) {
    const response = await fetch(`${PANEL}${path}`);
    assert.equal(response.status, 200, path);
    const csp = response.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", "connect-src 'self'", "frame-ancestors 'none'"]) {
      assert.ok(csp.includes(directive), `${path}: ${directive} missing from "${csp}"`);
    }
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer', path);
  }
  assert.equal((await fetch(`${PANEL}_headers`)).status, 404, 'the _headers file itself is served');
});

test('no lookup, load or export raised a Content-Security-Policy violation', async () => {
  await page.goto(PANEL);
  await lookUp(TOKEN, 'xiaojun user_0001');
  await page.click('#rows .chip');
  await exportCsv();
  assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
});

test('a page on another origin cannot frame the panel', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tim-tags-framer-'));
  await writeFile(join(dir, 'index.html'), `<!doctype html><iframe id="panel" src="${PANEL}"></iframe>`);
  const framer = await serveFiles(dir);
  const other = await browser.newPage();
  try {
    const refusals = [];
    other.on('console', (message) => refusals.push(message.text()));
    await other.goto(`${framer.origin}/`);
    await other.waitForTimeout(1000);
    const frame = other.frames().find((f) => f !== other.mainFrame());
    assert.ok(frame, 'no frame');
    const framed = await frame.$('#token').catch(() => null);
    assert.equal(framed, null, 'the panel loaded inside another origin’s page');
    assert.ok(refusals.some((text) => /frame-ancestors/.test(text)), refusals.join('\n'));
    await other.screenshot({ path: join(screenshots, 'panel-framed.png') });
  } finally {
    await other.close();
    await framer.stop();
  }
});
