// The admin panel on the `make dev` stack (wrangler dev serving www/ and the Worker, the
// emulator behind it), used as an operator would, in Chromium: lookups, CSV, headers, and,
// for a write token, every change with its confirmation, progress, cancel and summary, read
// back from the emulator. axe-core audits the page with results shown and each dialog open.
// Screenshots go to target/screenshots. Everything wrangler prints joins the transcript that
// the harness checks for secrets.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { accountsFromCsv } from '../../www/csv.js';
import { PATHS, TOKEN, WRITE_TOKEN, startEmulator } from '../worker/harness.mjs';
import { root, screenshots, serveFiles } from './chromium.mjs';
import { audit as auditPage, panelPage, startDev as startDevStack } from './stack.mjs';

const seed = JSON.parse(await readFile(join(root, 'src/emulator/demo-tags.json'), 'utf8'));
const PORT = 8797;
const TIMPUSH_PORT = 8799;
const PANEL = `http://127.0.0.1:${PORT}/`;
let emulator, legacy, browser, page;

const startDev = (port, vars) => startDevStack(emulator, port, vars);

before(async () => {
  emulator = await startEmulator({ known: ['bulk_known_1', 'bulk_known_2'] });
  legacy = await startDev(PORT);
  ({ browser, page } = await panelPage());
});

after(async () => {
  await browser?.close();
  await legacy?.stop();
  await emulator?.stop();
});

/** Looks up `accounts` typed into the box, or, without them, what the box holds (a loaded file). */
async function lookUp(token, accounts) {
  await page.fill('#token', token);
  await page.dispatchEvent('#token', 'change');
  if (accounts !== undefined) await page.fill('#accounts', accounts);
  await page.click('#submit');
  await page.waitForFunction(() => !document.getElementById('submit').disabled);
}

/** The table's rows on the page shown: each account and its tags (or what failed). */
const tableRows = () =>
  page.$$eval('#rows tr', (trs) =>
    trs.map((tr) => {
      const cells = [...tr.cells].filter((cell) => !cell.classList.contains('pick'));
      const failed = cells[1].querySelector('.failed');
      return [cells[0].textContent, failed ? failed.textContent : [...cells[1].querySelectorAll('.chip')].map((c) => c.textContent)];
    }));

async function loadCsv(input, name, text) {
  await page.setInputFiles(input, { name, mimeType: 'text/csv', buffer: Buffer.from(text) });
}

/** Clicks Export CSV; the downloaded file's text. */
async function exportCsv() {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  return Buffer.concat(await (await download.createReadStream()).toArray()).toString();
}

const audit = (what) => auditPage(page, what);

/** The accounts' tags as the emulator now holds them, read through the Worker. */
async function heldTags(path, accounts, port = PORT) {
  const answer = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ To_Account: accounts }),
  }).then((r) => r.json());
  return Object.fromEntries(answer.UserTags.map((u) => [u.To_Account, u.Tags]));
}

/** Confirms the open change dialog after checking its size, then waits for the summary. */
async function confirmChange(size) {
  await page.waitForSelector('#change-dialog[open]');
  assert.equal(await page.textContent('#change-size'), size);
  await page.click('#change-confirm');
  await page.waitForSelector('#run-summary:not([hidden])', { timeout: 60_000 });
}

async function closeSummary() {
  await page.click('#run-close');
  await page.waitForSelector('#run-dialog:not([open])', { state: 'attached' });
}

/** The calls the emulator received at `path` since it was last reset. */
const callsAt = async (path) => (await emulator.calls()).filter((call) => call.path === path);

/** The id of the element that has the focus. */
const focused = () => page.evaluate(() => document.activeElement.id);

describe('looking up', () => {
  test('looks up the tags of a few accounts, after asking who the caller is', async () => {
    await page.goto(PANEL);
    await lookUp(TOKEN, 'xiaojun, user_0001\nnobody_here xiaojun');
    await page.screenshot({ path: join(screenshots, 'panel-lookup.png'), fullPage: true });
    assert.deepEqual(await tableRows(), [['xiaojun', seed.xiaojun], ['user_0001', seed.user_0001], ['nobody_here', []]]);
    assert.match(await page.textContent('#status'), /Found tags for 2 of 3 accounts/);
    assert.equal(await page.textContent('#session'), 'Signed in as token-1: may read tags · tag API all_member_push');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('tim-tags.token')), TOKEN);
    assert.equal(await page.evaluate(() => localStorage.length), 0);
  });

  test('a reader sees no editing controls', async () => {
    assert.ok(!(await page.isVisible('#edit-tools')), 'the editing tools are shown to a reader');
    assert.equal(await page.$$eval('#rows .pick-row, #rows .unchip', (els) => els.length), 0);
    assert.ok(!(await page.isVisible('#select-shown')), 'a reader can select rows');
    await audit('results, as a reader');
  });

  test('says plainly that a wrong token was refused, and leaves no earlier results on screen', async () => {
    assert.ok((await tableRows()).length > 0, 'the earlier lookup left no results');
    await lookUp('not-the-right-token-000', 'xiaojun');
    assert.match(await page.textContent('#error'), /panel token was refused/);
    assert.ok(await page.isVisible('#error'));
    assert.deepEqual(await tableRows(), []);
    assert.ok(!(await page.isVisible('#results')), 'the earlier results are still shown');
    await page.screenshot({ path: join(screenshots, 'panel-wrong-token.png'), fullPage: true });
  });

  test('loads 1,000 accounts from a CSV file, shows the progress complete, and renders a page of them', async () => {
    const lines = ['account', ...Array.from({ length: 1000 }, (_, i) => `user_${String(i + 1).padStart(4, '0')}`)];
    await loadCsv('#file', 'accounts.csv', lines.join('\n'));
    await page.waitForFunction(() => document.getElementById('status').textContent.includes('accounts.csv'));
    assert.match(await page.textContent('#count'), /^1,000 distinct/);
    await lookUp(TOKEN);
    assert.equal(await page.$eval('#progress', (p) => [p.value, p.max].join('/')), '1000/1000');
    assert.equal(await page.textContent('#progress-text'), '1,000 / 1,000');
    assert.equal(await page.$$eval('#rows tr', (trs) => trs.length), 100);
    assert.equal(await page.textContent('#page-text'), 'Showing 1–100 of 1,000');
    await page.click('#next');
    assert.equal(await page.textContent('#rows tr td'), 'user_0101');
    await page.screenshot({ path: join(screenshots, 'panel-1000.png') });
  });

  test('filters by tag, by typing or by clicking a chip, and exports what is shown', async () => {
    await page.click('#rows .chip >> text=vip');
    const summary = await page.textContent('#summary');
    const matched = Number(/^([\d,]+) of 1,000 accounts match “vip”$/.exec(summary)?.[1].replace(',', ''));
    assert.ok(matched > 0 && matched < 1000, summary);
    const shown = await tableRows();
    assert.ok(shown.every(([, tags]) => tags.includes('vip')));
    const lines = (await exportCsv()).trim().split('\r\n');
    assert.equal(lines[0], 'account,tags');
    assert.equal(lines.length, matched + 1);
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
    // The tab list between the token and the views: only the selected tab takes the focus.
    assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-tags');
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

  test('a CSV file with a quoted field never closed is refused, naming the line where it starts', async () => {
    await page.goto(PANEL);
    await page.fill('#accounts', 'xiaojun');
    await loadCsv('#file', 'broken.csv', 'account\r\nalice\r\n"bob\r\ncarol\r\n');
    await page.waitForSelector('#error:not([hidden])');
    assert.equal(await page.textContent('#error'), 'broken.csv was not loaded. The quoted field that starts on line 3 has no closing quote.');
    assert.equal(await page.inputValue('#accounts'), 'xiaojun', 'the box changed');
    assert.equal(await page.textContent('#status'), '');
    // The same file, fixed, loads, and the error goes.
    await loadCsv('#file', 'broken.csv', 'account\r\nalice\r\n"bob"\r\ncarol\r\n');
    await page.waitForFunction(() => document.getElementById('status').textContent === 'Loaded 3 accounts from broken.csv.');
    assert.ok(!(await page.isVisible('#error')), 'the error is still shown');
  });

  test('a CSV file is read as CSV, exported without formulas, and reads back to the same accounts', async () => {
    await page.goto(PANEL);
    const accounts = ['csv,comma', 'say "hi"', '=1+2', '@cmd', 'user_0002'];
    await loadCsv('#file', 'tricky.csv', 'To_Account,note\r\n"csv,comma",a\r\n"say ""hi""",b\r\n=1+2,c\r\n@cmd,d\r\nuser_0002,e\r\n');
    await page.waitForFunction(() => document.getElementById('status').textContent.includes('tricky.csv'));
    await lookUp(TOKEN);
    assert.deepEqual((await tableRows()).map(([account]) => account), accounts);
    const exported = await exportCsv();
    assert.match(exported, /\r\n'=1\+2,\r\n'@cmd,\r\n/);
    assert.deepEqual(accountsFromCsv(exported), accounts);
    await loadCsv('#file', 'exported.csv', exported);
    await page.waitForFunction(() => document.getElementById('status').textContent.includes('exported.csv'));
    await lookUp(TOKEN);
    assert.deepEqual((await tableRows()).map(([account]) => account), accounts);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(PANEL).origin });
    await page.click('#copy');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), exported);
  });

  test('a lookup that waits for the app\'s rate says so while it waits, and not once it ends', async () => {
    await page.goto(PANEL);
    // The Worker tries each call 4 times, then answers 60007: the package waits, then sends it again.
    await emulator.inject({ kind: 'error', code: 60007, times: 6, path: PATHS.all_member_push.get });
    await page.fill('#token', TOKEN);
    await page.dispatchEvent('#token', 'change');
    await page.fill('#accounts', 'xiaojun user_0001 user_0002');
    await page.click('#submit');
    const note = "Waiting for the app's rate: the chat service takes 100 calls a second, shared by every admin; this goes on by itself.";
    const waiting = await page.waitForSelector(`#progress-wait[role="status"]:visible:text-is("${note}")`, { timeout: 10_000 });
    assert.equal(await waiting.textContent(), note);
    await page.screenshot({ path: join(screenshots, 'panel-waiting.png') });
    await audit('a lookup waiting for the app\'s rate');
    await page.waitForFunction(() => !document.getElementById('submit').disabled, null, { timeout: 30_000 });
    assert.equal(await page.textContent('#status'), 'Found tags for 3 of 3 accounts.');
    assert.deepEqual(await tableRows(), ['xiaojun', 'user_0001', 'user_0002'].map((a) => [a, seed[a]]));
    assert.ok(await page.isHidden('#progress-wait'), 'the note is still shown');
    assert.equal(await page.textContent('#progress-wait'), '');
    assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
    await emulator.reset();
  });
});

describe('changing tags, as a writer', () => {
  const selection = Array.from({ length: 250 }, (_, i) => `sel_${String(i + 1).padStart(3, '0')}`);
  const others = Array.from({ length: 50 }, (_, i) => `other_${String(i + 1).padStart(3, '0')}`);

  test('the session shows a writer the editing controls', async () => {
    await page.goto(PANEL);
    await lookUp(WRITE_TOKEN, [...selection, ...others].join('\n'));
    assert.equal(await page.textContent('#session'), 'Signed in as ops: may read and change tags · tag API all_member_push');
    assert.ok(await page.isVisible('#edit-tools'));
    assert.equal(await page.$$eval('#rows .pick-row', (els) => els.length), 100);
    await audit('results, as a writer');
  });

  test('adds a tag to the 250 accounts a filter shows, confirmed with its size, then read back', async () => {
    await page.fill('#filter', 'sel_');
    await page.dispatchEvent('#filter', 'input');
    assert.match(await page.textContent('#summary'), /^250 of 300 accounts match “sel_”$/);
    await page.check('#select-shown');
    assert.equal(await page.textContent('#selected-count'), '250 selected');
    await page.click('#add');
    await page.fill('#change-tags', 'promo, spring');
    await page.dispatchEvent('#change-tags', 'input');
    await page.screenshot({ path: join(screenshots, 'panel-confirm-add.png') });
    await audit('the add dialog open');
    await confirmChange('Add 2 tags to 250 accounts.');
    assert.equal(await page.textContent('#run-outcome'), 'Done: 250 accounts. Failed: 0. Not done: 0.');
    await page.screenshot({ path: join(screenshots, 'panel-added.png') });
    await audit('the summary open');
    await closeSummary();
    // The table shows what the emulator now holds, read again.
    const rows = await tableRows();
    assert.equal(rows.length, 100);
    assert.ok(rows.every(([, tags]) => tags.join() === 'promo,spring'), JSON.stringify(rows.slice(0, 3)));
    const held = await heldTags(PATHS.all_member_push.get, [selection[0], selection[249], others[0]]);
    assert.deepEqual(held, { [selection[0]]: ['promo', 'spring'], [selection[249]]: ['promo', 'spring'], [others[0]]: [] });
  });

  test('removes one tag from one account from its chip', async () => {
    await page.click(`#rows button[aria-label="Remove tag promo from ${selection[0]}"]`);
    await audit('the remove dialog open');
    await confirmChange('Remove 1 tag from 1 account.');
    await closeSummary();
    assert.deepEqual((await tableRows())[0], [selection[0], ['spring']]);
    assert.deepEqual(await heldTags(PATHS.all_member_push.get, [selection[0]]), { [selection[0]]: ['spring'] });
  });

  test('clears all the tags of an account', async () => {
    await page.uncheck('#select-shown');
    await page.check(`#rows input[aria-label="Select ${selection[1]}"]`);
    assert.equal(await page.textContent('#selected-count'), '1 selected');
    await page.click('#clear');
    await audit('the clear dialog open');
    await confirmChange('Clear all tags of 1 account.');
    await closeSummary();
    assert.deepEqual((await tableRows())[1], [selection[1], []]);
    assert.deepEqual(await heldTags(PATHS.all_member_push.get, [selection[1]]), { [selection[1]]: [] });
  });

  test('a cancelled bulk change reports what was and was not done', async () => {
    // The first call of 100 answers at once; the next ones are slow enough to cancel.
    await emulator.inject(
      { kind: 'delay', ms: 0, path: PATHS.all_member_push.add },
      { kind: 'delay', ms: 4000, times: 9, path: PATHS.all_member_push.add },
    );
    const rows = ['account,tag', ...Array.from({ length: 1000 }, (_, i) => `bulk_${i},autumn`)];
    await loadCsv('#bulk-file', 'bulk.csv', rows.join('\n'));
    await page.waitForSelector('#change-dialog[open]');
    await audit('the bulk dialog open');
    assert.equal(await page.textContent('#change-size'), 'Add 1 tag to 1,000 accounts.');
    await page.click('#change-confirm');
    await page.waitForFunction(() => document.getElementById('run-text').textContent.startsWith('100 of'));
    await page.click('#run-cancel');
    await page.waitForSelector('#run-summary:not([hidden])');
    assert.match(await page.textContent('#run-outcome'), /^Done: 100 accounts\. Failed: 0\. Not done: 900\. Cancelled\.$/);
    assert.equal(await page.$$eval('#run-not-done li', (items) => items.length), 900);
    assert.ok(await page.isVisible('#run-retry'), 'no way to try the rest again');
    await page.screenshot({ path: join(screenshots, 'panel-cancelled.png') });
    await closeSummary();
    await new Promise((resolve) => setTimeout(resolve, 4000)); // the emulator finishes the slow calls
    await emulator.reset();
  });

  test('no change raised a Content-Security-Policy violation', async () => {
    assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
  });
});

describe('a change is deliberate, and cancelled when asked', () => {
  const accounts = (prefix, count) => Array.from({ length: count }, (_, i) => `${prefix}_${String(i + 1).padStart(4, '0')}`);
  const clears = () => callsAt(PATHS.all_member_push.clear);

  /** Looks up `others` slowly (each lookup's call answers after `ms`), without waiting for it. */
  async function startSlowLookup(others, ms) {
    await emulator.inject({ kind: 'delay', ms, path: PATHS.all_member_push.get });
    await page.fill('#accounts', others);
    await page.click('#submit');
    await page.waitForSelector('#cancel:not([hidden])');
  }

  /** Selects every account shown, and confirms clearing them all, typing their number as asked. */
  async function clearShown(count) {
    await page.check('#select-shown');
    await page.click('#clear');
    await page.fill('#change-count', count);
    await page.click('#change-confirm');
    await page.waitForSelector('#run-dialog[open]');
  }

  const lookupEnded = () => page.waitForFunction(() => /^Found tags/.test(document.getElementById('status').textContent));

  beforeEach(async () => {
    await page.goto(PANEL);
    await emulator.reset();
  });

  test('Enter twice changes nothing: the clear and bulk dialogs open with the focus on Cancel', async () => {
    await lookUp(WRITE_TOKEN, accounts('enter', 150).join('\n'));
    await page.check('#select-shown');
    await page.focus('#clear');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#change-dialog[open]');
    assert.equal(await focused(), 'change-cancel');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#change-dialog:not([open])', { state: 'attached' });
    await loadCsv('#bulk-file', 'bulk.csv', 'account,tag\nenter_0001,gold\n');
    await page.waitForSelector('#change-dialog[open]');
    assert.equal(await focused(), 'change-cancel');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#change-dialog:not([open])', { state: 'attached' });
    assert.ok(!(await page.isVisible('#run-dialog')), 'a change ran');
    assert.deepEqual(await clears(), []);
    assert.deepEqual(await callsAt(PATHS.all_member_push.add), []);
  });

  test('clearing more than 5 accounts is confirmed only once their exact number is typed', async () => {
    await lookUp(WRITE_TOKEN, accounts('typed', 150).join('\n'));
    await page.check('#select-shown');
    await page.click('#clear');
    assert.equal(await page.textContent('#change-size'), 'Clear all tags of 150 accounts.');
    assert.equal(await page.textContent('label[for="change-count"]'), 'To confirm, type the number of accounts: 150');
    assert.ok(await page.isDisabled('#change-confirm'), 'Confirm is enabled before the number is typed');
    for (const wrong of ['15', '1500', '149', 'all']) {
      await page.fill('#change-count', wrong);
      assert.ok(await page.isDisabled('#change-confirm'), `Confirm is enabled with "${wrong}" typed`);
    }
    // Enter in the field does not confirm while the number is wrong.
    await page.press('#change-count', 'Enter');
    assert.ok(await page.isVisible('#change-dialog'), 'Enter confirmed a wrong number');
    await page.fill('#change-count', '150');
    await audit('the clear dialog open, asking for the number of accounts');
    await page.screenshot({ path: join(screenshots, 'panel-confirm-clear.png') });
    await page.click('#change-confirm');
    await page.waitForSelector('#run-summary:not([hidden])');
    assert.equal(await page.textContent('#run-outcome'), 'Done: 150 accounts. Failed: 0. Not done: 0.');
    await closeSummary();
  });

  /**
   * Looks up 1,000 accounts named from `prefix`, then starts a slow lookup of another account
   * and, while it runs, a clear of the 1,000 (confirmed by typing `typed`) whose calls each
   * answer after 4 s (10 calls, at most 6 at once); returns once the slow lookup has ended.
   */
  async function clearDuringSlowLookup(prefix, typed) {
    await lookUp(WRITE_TOKEN, accounts(prefix, 1000).join('\n'));
    await emulator.inject({ kind: 'delay', ms: 4000, times: 10, path: PATHS.all_member_push.clear });
    await startSlowLookup('xiaojun', 2000);
    await clearShown(typed);
    await lookupEnded();
  }

  test('a change started while a lookup of other accounts runs is still cancelled by its Cancel once the lookup ends', async () => {
    await clearDuringSlowLookup('stop', '1,000');
    // Cancelled once the package holds its most calls in flight, so none is due to be sent then.
    const sent = 6;
    while ((await clears()).length < sent) await new Promise((resolve) => setTimeout(resolve, 20));
    await page.click('#run-cancel');
    await page.waitForSelector('#run-summary:not([hidden])');
    assert.equal(await page.textContent('#run-title'), 'The change stopped');
    assert.equal(await page.textContent('#run-outcome'), 'Done: 0 accounts. Failed: 0. Not done: 1,000. Cancelled.');
    // Past the time the calls in flight would have taken: no call was sent after the cancel.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    assert.equal((await clears()).length, sent, 'calls were sent after the cancel');
    await closeSummary();
  });

  test('the dialog of a running change stays open: Escape cancels the change, and nothing else hides it', async () => {
    await clearDuringSlowLookup('stay', '1000');
    // Closed without a cancel event, as Chromium does on a second Escape with no click between.
    await page.evaluate(() => document.getElementById('run-dialog').close());
    await page.waitForSelector('#run-dialog[open]', { timeout: 2000 });
    assert.equal(await page.textContent('#run-title'), 'Clear all tags of 1,000 accounts…');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#run-summary:not([hidden])');
    assert.ok(await page.isVisible('#run-dialog'), 'Escape hid the dialog');
    assert.equal(await page.textContent('#run-outcome'), 'Done: 0 accounts. Failed: 0. Not done: 1,000. Cancelled.');
    await closeSummary();
    await new Promise((resolve) => setTimeout(resolve, 4000)); // the emulator finishes the slow calls
  });

  test('the lookup’s Cancel stops that lookup, even after a change of other accounts ended and read its accounts again meanwhile', async () => {
    await lookUp(WRITE_TOKEN, accounts('reread', 6).join('\n'));
    // Looking up xiaojun takes 6 s; meanwhile the six accounts shown are cleared and read again.
    await startSlowLookup('xiaojun', 6000);
    await clearShown('6');
    await page.waitForSelector('#run-summary:not([hidden])');
    await closeSummary();
    await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('Read 6 changed accounts again'));
    assert.ok(await page.isVisible('#cancel'), 'the lookup of xiaojun is still running');
    const cancelled = Date.now();
    await page.click('#cancel');
    await page.waitForFunction(() => !document.getElementById('submit').disabled, null, { timeout: 2000 });
    assert.ok(Date.now() - cancelled < 2000, 'the Cancel did not stop the lookup');
    assert.ok(!(await page.isVisible('#cancel')));
    await new Promise((resolve) => setTimeout(resolve, 4500)); // the emulator finishes the slow get
  });

  test('a change of accounts that a running lookup reads is refused, saying why', async () => {
    const some = accounts('busy', 20).join('\n');
    await lookUp(WRITE_TOKEN, some);
    await startSlowLookup(some, 2000);
    await page.check('#select-shown');
    await page.click('#clear');
    assert.equal(await page.textContent('#error'),
      'The lookup still running reads 20 accounts of this change. Wait for it to end, or cancel it, then try again.');
    assert.ok(!(await page.isVisible('#change-dialog')), 'the change dialog opened');
    await page.screenshot({ path: join(screenshots, 'panel-change-refused.png') });
    await lookupEnded();
    await page.check('#select-shown');
    await page.click('#clear');
    await page.waitForSelector('#change-dialog[open]');
    assert.ok(!(await page.isVisible('#error')), 'the refusal is still shown');
    await page.click('#change-cancel');
    assert.deepEqual(await clears(), []);
  });
});

describe('on the current generation', () => {
  let timpush;
  before(async () => {
    timpush = await startDev(TIMPUSH_PORT, { TIM_TAG_API: 'timpush' });
  });
  after(() => timpush?.stop());

  test('a bulk add with unknown accounts ends with a summary naming them, and a way to try them again', async () => {
    await page.goto(`http://127.0.0.1:${TIMPUSH_PORT}/`);
    await lookUp(WRITE_TOKEN, 'xiaojun');
    assert.match(await page.textContent('#session'), /tag API timpush$/);
    const file = 'To_Account,Tags\r\nbulk_known_1,gold\r\nstranger_1,gold\r\nbulk_known_2,"gold;silver"\r\nstranger_2,gold\r\n';
    await loadCsv('#bulk-file', 'bulk.csv', file);
    await confirmChange('Add 2 tags to 4 accounts.');
    assert.equal(await page.textContent('#run-outcome'), 'Done: 2 accounts. Failed: 2. Not done: 0.');
    assert.deepEqual(await page.$$eval('#run-failed li', (items) => items.map((li) => li.textContent)), [
      'stranger_1: does not exist (70107)',
      'stranger_2: does not exist (70107)',
    ]);
    await page.screenshot({ path: join(screenshots, 'panel-bulk-timpush.png') });
    await closeSummary();
    // The accounts read again: those that failed show it, distinct from "no tags".
    const rows = Object.fromEntries(await tableRows());
    assert.deepEqual(rows.bulk_known_2, ['gold', 'silver']);
    assert.equal(rows.stranger_1, 'does not exist (70107)');
    assert.deepEqual(await heldTags(PATHS.timpush.get, ['bulk_known_1'], TIMPUSH_PORT), { bulk_known_1: ['gold'] });
    assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
  });
});

describe('the panel\'s own protection', () => {
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

  test('10,000 accounts are looked up and shown a page at a time', async () => {
    const accounts = Array.from({ length: 10_000 }, (_, i) => `many_${i}`);
    await loadCsv('#file', 'many.csv', accounts.join('\n'));
    await page.waitForFunction(() => document.getElementById('status').textContent.includes('many.csv'));
    await lookUp(WRITE_TOKEN);
    assert.equal(await page.textContent('#summary'), '10,000 accounts');
    assert.equal(await page.$$eval('#rows tr', (trs) => trs.length), 100);
    await page.fill('#filter', 'many_99');
    await page.dispatchEvent('#filter', 'input');
    assert.equal(await page.textContent('#summary'), '111 of 10,000 accounts match “many_99”');
    await page.check('#select-shown');
    assert.equal(await page.textContent('#selected-count'), '111 selected');
    await page.screenshot({ path: join(screenshots, 'panel-10000.png') });
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
});
