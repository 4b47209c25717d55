// The panel behind Cloudflare Access with no panel token configured, on the `make dev` stack:
// every request of the page carries the Access token that Access would add at the edge, and
// the person signs in, looks up, changes tags and reads the history with no token typed. The
// token path is panel.test.mjs's.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { jwt, startKeySet } from '../worker/access.mjs';
import { startEmulator } from '../worker/harness.mjs';
import { root, screenshots } from './chromium.mjs';
import { audit, panelPage, startDev } from './stack.mjs';

const seed = JSON.parse(await readFile(join(root, 'src/emulator/demo-tags.json'), 'utf8'));
const PORT = 8804;
const PANEL = `http://127.0.0.1:${PORT}/`;
let keySet, emulator, dev, browser, page;

before(async () => {
  keySet = await startKeySet();
  emulator = await startEmulator();
  dev = await startDev(emulator, PORT, keySet.settings({ ACCESS_WRITERS: 'lead@example.com' }), { tokens: false });
  ({ browser, page } = await panelPage());
});

after(async () => {
  await browser?.close();
  await dev?.stop();
  await emulator?.stop();
  await keySet?.stop();
});

/** Opens the panel as the person `email`, let through by Access. */
async function openAs(email) {
  await page.setExtraHTTPHeaders({ 'Cf-Access-Jwt-Assertion': jwt({ claims: { email } }) });
  await page.goto(PANEL);
  await page.waitForFunction(() => document.getElementById('session').textContent !== '');
}

test('with no token, a writer let through by Access is signed in, looks tags up and changes them', async () => {
  await openAs('lead@example.com');
  assert.equal(await page.textContent('#session'), 'Signed in as lead@example.com through Cloudflare Access: may read and change tags · tag API all_member_push');
  assert.equal(await page.inputValue('#token'), '');
  await page.fill('#accounts', 'xiaojun');
  await page.click('#submit');
  await page.waitForFunction(() => document.getElementById('rows').rows.length === 1);
  assert.equal(await page.textContent('#error'), '');
  assert.deepEqual(await page.$$eval('#rows .chip', (chips) => chips.map((c) => c.textContent)), seed.xiaojun);
  assert.ok(await page.isVisible('#edit-tools'), 'a writer is offered no change');
  await page.screenshot({ path: join(screenshots, 'access-lookup.png'), fullPage: true });
  await audit(page, 'the panel behind Access');

  await page.click('#rows button[aria-label="Remove tag trial from xiaojun"]');
  await page.waitForSelector('#change-dialog[open]');
  assert.equal(await page.textContent('#change-size'), 'Remove 1 tag from 1 account.');
  await page.click('#change-confirm');
  await page.waitForSelector('#run-summary:not([hidden])', { timeout: 60_000 });
  await page.click('#run-close');
  await page.waitForFunction(() => [...document.querySelectorAll('#rows .chip')].map((c) => c.textContent).join() === 'cn');

  // The change is in the history under the person's name.
  await page.click('#tab-history');
  await page.waitForSelector('#history-rows tr');
  assert.match(await page.textContent('#history-rows tr'), /lead@example\.com/);
  assert.doesNotMatch(await page.textContent('#history-error'), /token/i);
});

test('a reader let through by Access reads with no token and is offered no change', async () => {
  await openAs('ops@example.com');
  assert.equal(await page.textContent('#session'), 'Signed in as ops@example.com through Cloudflare Access: may read tags · tag API all_member_push');
  await page.fill('#accounts', 'xiaojun');
  await page.click('#submit');
  await page.waitForFunction(() => document.getElementById('rows').rows.length === 1);
  assert.ok(!(await page.isVisible('#edit-tools')), 'a reader is offered changes');
});

test('with no Access token and no panel token, the panel asks for a token and names no other error', async () => {
  await page.setExtraHTTPHeaders({});
  await page.goto(PANEL);
  await page.fill('#accounts', 'xiaojun');
  await page.click('#submit');
  await page.waitForFunction(() => document.getElementById('error').textContent !== '');
  assert.equal(await page.textContent('#session'), '');
  assert.equal(await page.textContent('#error'), 'Enter the panel token.');
});
