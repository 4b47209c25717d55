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
/** Every request of the page that carried an Authorization header, by path. */
let authorized = [];

before(async () => {
  keySet = await startKeySet();
  emulator = await startEmulator();
  dev = await startDev(emulator, PORT, keySet.settings({ ACCESS_WRITERS: 'lead@example.com' }), { tokens: false });
  ({ browser, page } = await panelPage());
  page.on('request', (request) => {
    if (request.headers().authorization !== undefined) authorized.push(new URL(request.url()).pathname);
  });
});

after(async () => {
  await browser?.close();
  await dev?.stop();
  await emulator?.stop();
  await keySet?.stop();
});

/** Opens the panel as the person `email`, let through by Access, and waits for its session. */
async function openAs(email) {
  await page.setExtraHTTPHeaders({ 'Cf-Access-Jwt-Assertion': jwt({ claims: { email } }) });
  await page.goto(PANEL);
  await page.waitForFunction(() => document.getElementById('session').textContent !== '');
}

const chips = () => page.$$eval('#rows .chip', (all) => all.map((c) => c.textContent));

test('with no token, a writer let through by Access is signed in, looks tags up and changes them', async () => {
  authorized = [];
  await openAs('lead@example.com');
  assert.equal(await page.textContent('#session'), 'Signed in as lead@example.com through Cloudflare Access: may read and change tags · tag API all_member_push');
  assert.equal(await page.inputValue('#token'), '');
  await page.fill('#accounts', 'xiaojun');
  await page.click('#submit');
  await page.waitForFunction(() => document.getElementById('rows').rows.length === 1);
  assert.equal(await page.textContent('#error'), '');
  assert.deepEqual(await chips(), seed.xiaojun);
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
  assert.equal(await page.textContent('#history-error'), '');
  assert.deepEqual(authorized, [], 'a call carried an Authorization header with the token field empty');
  await page.click('#tab-tags');
});

test('a lookup asked for before the session has answered waits for it, and needs no token', async () => {
  await page.setExtraHTTPHeaders({ 'Cf-Access-Jwt-Assertion': jwt({ claims: { email: 'lead@example.com' } }) });
  await page.goto(PANEL);
  await page.fill('#accounts', 'alice');
  await page.click('#submit');
  await page.waitForFunction(() => document.getElementById('rows').rows.length === 1);
  assert.equal(await page.textContent('#error'), '');
  assert.deepEqual(await chips(), seed.alice);
});

test('Look up clicked twice while the session is asked runs one lookup, and says nothing was cancelled', async () => {
  await page.setExtraHTTPHeaders({ 'Cf-Access-Jwt-Assertion': jwt({ claims: { email: 'lead@example.com' } }) });
  await page.goto(PANEL);
  await page.fill('#accounts', 'bob');
  await emulator.reset();
  await page.evaluate(() => {
    document.getElementById('submit').click();
    document.getElementById('submit').click();
  });
  await page.waitForFunction(() => document.getElementById('rows').rows.length === 1 && !document.getElementById('submit').disabled);
  assert.equal(await page.textContent('#error'), '');
  assert.deepEqual(await chips(), seed.bob);
  const gets = (await emulator.calls()).filter((call) => call.accounts?.includes('bob'));
  assert.equal(gets.length, 1, `${gets.length} lookups reached the vendor`);
});

test('a reader let through by Access reads with no token and is offered no change', async () => {
  await openAs('ops@example.com');
  assert.equal(await page.textContent('#session'), 'Signed in as ops@example.com through Cloudflare Access: may read tags · tag API all_member_push');
  await page.fill('#accounts', 'xiaojun');
  await page.click('#submit');
  await page.waitForFunction(() => document.getElementById('rows').rows.length === 1);
  assert.ok(!(await page.isVisible('#edit-tools')), 'a reader is offered changes');
});

test('a token typed that admits no one is said not to be used; cleared, it is forgotten, even across a reload', async () => {
  await openAs('lead@example.com');
  await page.fill('#token', 'not-a-token-of-this-worker-0123');
  await page.dispatchEvent('#token', 'change');
  await page.press('#token', 'Enter');
  await page.waitForFunction(() => document.getElementById('session').textContent.includes('not accepted'));
  assert.equal(await page.textContent('#session'), 'Signed in as lead@example.com through Cloudflare Access (the token typed was not accepted): may read and change tags · tag API all_member_push');
  await page.fill('#token', '');
  await page.dispatchEvent('#token', 'change');
  await page.waitForFunction(() => document.getElementById('session').textContent.endsWith('tag API all_member_push')
    && !document.getElementById('session').textContent.includes('not accepted'));
  await page.reload();
  await page.waitForFunction(() => document.getElementById('session').textContent !== '');
  assert.equal(await page.inputValue('#token'), '', 'the cleared token came back after a reload');
  assert.equal(await page.textContent('#session'), 'Signed in as lead@example.com through Cloudflare Access: may read and change tags · tag API all_member_push');
});

test('with no Access token and no panel token, the panel shows nothing at first, then asks for a token', async () => {
  await page.setExtraHTTPHeaders({});
  const refused = page.waitForResponse((response) => new URL(response.url()).pathname === '/session');
  await page.goto(PANEL);
  assert.equal((await refused).status(), 401);
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 100)));
  assert.equal(await page.textContent('#error'), '', 'the refusal of a session asked without a token was shown');
  assert.equal(await page.textContent('#session'), '');
  await page.fill('#accounts', 'xiaojun');
  await page.click('#submit');
  await page.waitForFunction(() => document.getElementById('error').textContent !== '');
  assert.equal(await page.textContent('#error'), 'Enter the panel token.');
});
