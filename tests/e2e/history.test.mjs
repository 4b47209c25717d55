// The panel's picture of the tags and its History view, on the `make dev` stack (wrangler dev
// serving www/ and the Worker with its local history database, the emulator behind it), in
// Chromium, used as an operator would: the chart's numbers against the emulator's tags, its
// bars filtering the table by mouse and keyboard; a change made through the panel listed as
// one row, filtered, opened to its accounts before and after, undone after a confirmation
// (with an account changed since skipped and named), and exported as CSV, checked against
// the Worker's own answers. axe-core audits each view and dialog; screenshots go to
// target/screenshots.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseCsv, restore } from '../../www/csv.js';
import { PATHS, SECRETS, TOKEN, WRITE_TOKEN, startEmulator } from '../worker/harness.mjs';
import { root, screenshots } from './chromium.mjs';
import { audit as auditPage, panelPage, startDev } from './stack.mjs';

const seed = JSON.parse(await readFile(join(root, 'src/emulator/demo-tags.json'), 'utf8'));
const PORT = 8803;
const ORIGIN = `http://127.0.0.1:${PORT}`;
const PANEL = `${ORIGIN}/`;
const GET = PATHS.all_member_push.get;
const ADD = PATHS.all_member_push.add;
const REMOVE = PATHS.all_member_push.remove;
let emulator, dev, browser, page;

before(async () => {
  emulator = await startEmulator();
  dev = await startDev(emulator, PORT);
  ({ browser, page } = await panelPage());
});

after(async () => {
  await browser?.close();
  await dev?.stop();
  await emulator?.stop();
});

const audit = (what) => auditPage(page, what);
const shot = (name) => page.screenshot({ path: join(screenshots, name), fullPage: true });
const focused = () => page.evaluate(() => document.activeElement.id || document.activeElement.dataset.tag || document.activeElement.className);
const textOf = (selector) => page.textContent(selector);
const pad = (n, width = 2) => String(n).padStart(width, '0');

/**
 * Waits for a dialog's close to be handled: the panel gives the focus back to the row it was
 * opened from as the dialog's close event comes, after the browser's own focus change.
 */
async function focusBackOnRow() {
  await page.waitForFunction(() => document.activeElement.classList.contains('open-row'), null, { timeout: 2000 });
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 50)));
  assert.equal(await focused(), 'open-row', 'the focus did not stay on the row');
}

/** Sends a call to the Worker as `token` would; its JSON answer. */
async function call(path, body, token = WRITE_TOKEN) {
  const answer = await fetch(`${ORIGIN}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  assert.equal(answer.status, 200, path);
  return answer.json();
}

/** Adds each account's tags through the Worker, 10 tags an account a call, as the vendor takes them. */
async function addThroughWorker(tagsOf) {
  for (let from = 0; ; from += 10) {
    const userTags = Object.entries(tagsOf)
      .map(([To_Account, tags]) => ({ To_Account, Tags: tags.slice(from, from + 10) }))
      .filter((u) => u.Tags.length);
    if (!userTags.length) return;
    for (let i = 0; i < userTags.length; i += 100) {
      const answer = await call(ADD, { UserTags: userTags.slice(i, i + 100) });
      assert.equal(answer.ErrorCode, 0, JSON.stringify(answer));
    }
  }
}

/** The accounts' tags as the emulator now holds them, read through the Worker. */
async function heldTags(accounts) {
  const answer = await call(GET, { To_Account: accounts }, TOKEN);
  return Object.fromEntries(answer.UserTags.map((u) => [u.To_Account, u.Tags]));
}

/** Every change the Worker's history holds for `query`, newest first, through every page. */
async function historyOf(query) {
  const changes = [];
  let cursor = null;
  do {
    const params = new URLSearchParams({ ...query, limit: '200', ...(cursor ? { cursor } : {}) });
    const answer = await fetch(`${ORIGIN}/history?${params}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(answer.status, 200, await answer.clone().text());
    const page = await answer.json();
    changes.push(...page.changes);
    cursor = page.next;
  } while (cursor);
  return changes;
}

/** Each tag and how many of `tagsOf`'s accounts hold it, the most held first, ties by name. */
function expectedCounts(tagsOf) {
  const counts = new Map();
  for (const tags of Object.values(tagsOf)) for (const tag of new Set(tags)) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  return [...counts].sort(([a, m], [b, n]) => n - m || (a < b ? -1 : 1));
}

async function signInWith(token) {
  await page.fill('#token', token);
  await page.dispatchEvent('#token', 'change');
}

/** Looks up `accounts` from a CSV file (names with any characters come through whole). */
async function lookUp(token, accounts) {
  await page.click('#tab-tags');
  await signInWith(token);
  await page.setInputFiles('#file', { name: 'accounts.csv', mimeType: 'text/csv', buffer: Buffer.from(['account', ...accounts].join('\n')) });
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('accounts.csv'));
  await page.click('#submit');
  await page.waitForFunction(() => !document.getElementById('submit').disabled);
  assert.ok(!(await page.isVisible('#error')), await textOf('#error'));
}

/** The table's rows on the page shown: each account and its tags. */
const tableRows = () =>
  page.$$eval('#rows tr', (trs) =>
    trs.map((tr) => {
      const cells = [...tr.cells].filter((cell) => !cell.classList.contains('pick'));
      return [cells[0].textContent, [...cells[1].querySelectorAll('.chip')].map((c) => c.textContent)];
    }));

/** The chart as drawn: each bar's tag, its button's name and pressed state, its width and count; and its table. */
async function chart() {
  const buttons = await page.$$eval('#chart-bars .chart-bar', (bs) => bs.map((b) => [b.dataset.tag, b.getAttribute('aria-label'), b.getAttribute('aria-pressed')]));
  const bars = await page.$$eval('#chart-drawing .bar', (gs) =>
    gs.map((g) => [g.dataset.tag, Number(g.querySelector('rect').getAttribute('width')), g.querySelector('.bar-count').textContent]));
  const table = await page.$$eval('#chart-rows tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  return { buttons, bars, table };
}

const bar = (tag) => `#chart-bars .chart-bar[data-tag="${tag}"]`;

describe('the picture of the tags', () => {
  const accounts = Object.keys(seed).filter((a) => Buffer.byteLength(a) <= 32);
  const tagsOf = Object.fromEntries(accounts.map((a) => [a, seed[a]]));
  const total = accounts.length;

  test('after a lookup, a bar for each tag gives how many of the accounts hold it, most first, ties by name', async () => {
    await page.goto(PANEL);
    await lookUp(TOKEN, accounts);
    assert.ok(await page.isVisible('#chart-box'), 'no chart');
    const expected = expectedCounts(tagsOf);
    assert.ok(expected.length <= 20, 'the seed has more tags than the chart draws');
    const { buttons, bars, table } = await chart();
    assert.deepEqual(buttons, expected.map(([tag, n]) => [tag, `${tag}: ${n} accounts of ${total}`, 'false']));
    assert.deepEqual(bars.map(([tag, , count]) => [tag, Number(count)]), expected);
    for (let i = 1; i < bars.length; i++) assert.ok(bars[i][1] <= bars[i - 1][1], `bar ${i} is longer than the one before it`);
    assert.deepEqual(table, expected.map(([tag, n]) => [tag, String(n), `${Math.round((n / total) * 100)}%`]));
    // One picture to screen readers, named and described.
    assert.equal(await page.getAttribute('#chart', 'role'), 'img');
    assert.equal(await textOf('#chart-title'), 'Accounts per tag');
    const [top, count] = expected[0];
    assert.match(await textOf('#chart-desc'), new RegExp(`^A bar for each of ${expected.length} tags among ${total} accounts, longest first: ${top} is held by ${count}, down to `));
    assert.equal(await textOf('#chart-more'), '');
    await audit('the chart of a lookup');
    await shot('panel-chart.png');
  });

  test('clicking a bar shows only the accounts that hold its tag, and says how to show them all again', async () => {
    const holders = accounts.filter((a) => seed[a].includes('vip'));
    await page.click(bar('vip'));
    assert.equal(await textOf('#summary'), `${holders.length} of ${total} accounts tagged “vip”`);
    const rows = await tableRows();
    assert.deepEqual(rows.map(([account]) => account), holders.slice(0, 100));
    assert.ok(rows.every(([, tags]) => tags.includes('vip')));
    assert.equal(await page.getAttribute(bar('vip'), 'aria-pressed'), 'true');
    assert.equal(await textOf('#status'), `Showing the ${holders.length} accounts tagged vip.`);
    assert.ok(await page.isVisible('#tag-filter-clear'), 'no way to clear the filter');
    await audit('the chart filtering the table');
    await shot('panel-chart-filtered.png');
  });

  test('the bars are buttons the keyboard reaches: Enter filters, pressing again shows every account', async () => {
    await page.focus(bar('web'));
    await page.keyboard.press('Enter');
    const web = accounts.filter((a) => seed[a].includes('web')).length;
    assert.equal(await textOf('#summary'), `${web} of ${total} accounts tagged “web”`);
    assert.equal(await page.getAttribute(bar('vip'), 'aria-pressed'), 'false');
    assert.equal(await page.getAttribute(bar('web'), 'aria-pressed'), 'true');
    assert.equal(await focused(), 'web', 'the bar lost the focus');
    await page.keyboard.press('Space');
    assert.equal(await textOf('#summary'), `${total} accounts`);
    assert.ok(!(await page.isVisible('#tag-filter')), 'the tag filter is still shown');
    // Shift+Tab from the table's toggle reaches the last bar.
    await page.focus('#chart-numbers summary');
    await page.keyboard.press('Shift+Tab');
    assert.equal(await focused(), 'android');
  });

  test('the tag chosen and the text typed filter together; clearing the tag keeps the text and puts the focus back on the bar', async () => {
    await page.click(bar('kr'));
    await page.fill('#filter', 'user_');
    await page.dispatchEvent('#filter', 'input');
    const both = accounts.filter((a) => seed[a].includes('kr') && a.includes('user_')).length;
    assert.equal(await textOf('#summary'), `${both} of ${total} accounts tagged “kr” and match “user_”`);
    await page.click('#tag-filter-clear');
    const typed = accounts.filter((a) => a.includes('user_') || seed[a].includes('user_')).length;
    assert.equal(await textOf('#summary'), `${typed} of ${total} accounts match “user_”`);
    assert.equal(await focused(), 'kr');
    await page.click('#chart-numbers summary');
    await audit('the chart with its table open');
  });

  test('past 20 tags, the 20 held most are drawn and the others counted; a change is drawn once it is read again', async () => {
    // cap_01 to cap_25: tag cK is held by 26 - K of them; tie-a and tie-b by 10, as c16 is.
    const capped = Array.from({ length: 25 }, (_, i) => `cap_${pad(i + 1)}`);
    const held = Object.fromEntries(capped.map((account, i) => [
      account,
      [...Array.from({ length: 25 - i }, (_, k) => `c${pad(k + 1)}`), ...(i < 10 ? ['tie-a', 'tie-b'] : [])],
    ]));
    await addThroughWorker(held);
    const looked = [...capped, 'cap_none'];
    await page.goto(PANEL);
    await lookUp(WRITE_TOKEN, looked);
    const { buttons } = await chart();
    const order = [...Array.from({ length: 16 }, (_, k) => `c${pad(k + 1)}`), 'tie-a', 'tie-b', 'c17', 'c18'];
    assert.deepEqual(buttons.map(([tag]) => tag), order);
    assert.deepEqual(buttons.map(([, name]) => name).slice(15, 18), ['c16: 10 accounts of 26', 'tie-a: 10 accounts of 26', 'tie-b: 10 accounts of 26']);
    assert.equal(await textOf('#chart-more'), '7 more tags held by fewer accounts are not drawn; type one in the filter to see its accounts.');
    assert.match(await textOf('#chart-desc'), /^A bar for each of the 20 held most of 27 tags among 26 accounts/);
    assert.equal(await page.$$eval('#chart-rows tr', (trs) => trs.length), 20);
    await shot('panel-chart-capped.png');
    // Add a tag to every account: once they are read again, it is the longest bar.
    await page.check('#select-shown');
    await page.click('#add');
    await page.fill('#change-tags', 'everyone');
    await page.dispatchEvent('#change-tags', 'input');
    await page.click('#change-confirm');
    await page.waitForSelector('#run-summary:not([hidden])');
    await page.click('#run-close');
    await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('Read 26 changed accounts again'));
    assert.deepEqual((await chart()).buttons[0], ['everyone', 'everyone: 26 accounts of 26', 'false']);
  });
});

describe('the History view', () => {
  const accounts = Array.from({ length: 120 }, (_, i) => `hist_${pad(i + 1, 3)}`);
  const TAG = 'hist-vip';

  /** Shows the History view (or lists it again with the filters typed) and waits for the list. */
  async function listHistory(how = () => page.click('#tab-history')) {
    await how();
    await page.waitForFunction(() => document.getElementById('history-status').textContent !== 'Reading the history…', null, { timeout: 30_000 });
    assert.ok(!(await page.isVisible('#history-error')), await textOf('#history-error'));
  }

  const historyRows = () =>
    page.$$eval('#history-rows tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));

  /** Sets the filters (the others emptied) and shows what they match. */
  async function filter(values) {
    for (const name of ['account', 'tag', 'caller', 'since', 'until']) await page.fill(`#history-${name}`, values[name] ?? '');
    for (const name of ['op', 'outcome']) await page.selectOption(`#history-${name}`, values[name] ?? '');
    await listHistory(() => page.click('#history-show'));
  }

  /** Opens the row whose change reads `title`, and waits for its accounts. */
  async function openRow(title) {
    await page.click(`#history-rows .open-row:text-is("${title}")`);
    await page.waitForSelector('#history-dialog[open]');
    await page.waitForFunction(() => document.getElementById('history-account-rows').children.length > 0);
  }

  test('a change made through the panel is one row at the top, though it took two calls', async () => {
    await page.goto(PANEL);
    await lookUp(WRITE_TOKEN, accounts);
    await page.check('#select-shown');
    await page.click('#add');
    await page.fill('#change-tags', TAG);
    await page.dispatchEvent('#change-tags', 'input');
    await page.click('#change-confirm');
    await page.waitForSelector('#run-summary:not([hidden])');
    assert.equal(await textOf('#run-outcome'), 'Done: 120 accounts. Failed: 0. Not done: 0.');
    await page.click('#run-close');

    const stored = await historyOf({ tag: TAG });
    assert.equal(stored.length, 2, 'the Worker did not keep one change a call');
    assert.ok(stored[0].batch && stored.every((c) => c.batch === stored[0].batch), 'the calls do not share a batch');

    await listHistory();
    assert.equal(await page.getAttribute('#tab-history', 'aria-selected'), 'true');
    assert.ok(await page.isHidden('#view-tags'), 'the Tags view is still shown');
    const [top] = await historyRows();
    assert.deepEqual(top.slice(1), ['ops', `Add ${TAG} to 120 accounts`, '120', 'Done']);
    assert.equal((await historyRows()).filter((row) => row[2].includes(TAG)).length, 1);
    await audit('the History view');
    await shot('panel-history.png');
  });

  test('the filters narrow the list, and one that cannot match says why', async () => {
    await filter({ tag: TAG });
    assert.deepEqual((await historyRows()).map((row) => row[2]), [`Add ${TAG} to 120 accounts`]);
    assert.match(await textOf('#history-summary'), /^1 action that matches the filters, newest first$/);
    await filter({ tag: TAG, op: 'remove' });
    assert.deepEqual(await historyRows(), []);
    assert.equal(await textOf('#history-summary'), 'No change matches these filters.');
    await filter({ account: 'hist_007', caller: 'ops', outcome: 'ok' });
    assert.deepEqual((await historyRows()).map((row) => row[2]), [`Add ${TAG} to 120 accounts`]);
    await filter({ tag: TAG, caller: 'token-1' });
    assert.deepEqual(await historyRows(), []);
    const hour = new Date(Date.now() + 3_600_000);
    const local = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
    await filter({ tag: TAG, since: local(new Date(Date.now() - 3_600_000)), until: local(hour) });
    assert.equal((await historyRows()).length, 1);
    await filter({ tag: TAG, since: local(hour) });
    assert.deepEqual(await historyRows(), []);
    // Until before since: refused before anything is asked, the focus on the field to fix.
    await page.fill('#history-since', local(hour));
    await page.fill('#history-until', local(new Date()));
    await page.click('#history-show');
    assert.equal(await textOf('#history-error'), '“Until” is before “Since”, so no change could match. Change one of them.');
    assert.equal(await focused(), 'history-until');
    await audit('a filter refused');
    await filter({ tag: TAG });
  });

  test('a row opens to every account with its tags before and after', async () => {
    await openRow(`Add ${TAG} to 120 accounts`);
    assert.equal(await focused(), 'history-close');
    const rows = await page.$$eval('#history-account-rows tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    assert.equal(rows.length, 120);
    assert.deepEqual(rows.map(([account]) => account).sort(), accounts);
    assert.ok(rows.every(([, outcome, before, after]) => outcome === 'done' && before === 'no tags' && after === TAG), JSON.stringify(rows[0]));
    const facts = await page.$$eval('#history-facts dt', (dts) => dts.map((dt) => `${dt.textContent}: ${dt.nextElementSibling.textContent}`));
    assert.ok(facts.includes('Who: ops') && facts.includes('Outcome: Done') && facts.includes('Tag API: all_member_push'), facts.join('\n'));
    assert.ok(facts.some((f) => /^Batch: [A-Za-z0-9_-]+: 2 calls of at most 100 accounts$/.test(f)), facts.join('\n'));
    assert.ok(await page.isVisible('#history-undo'), 'a writer is not offered Undo');
    await audit('a row opened');
    await shot('panel-history-open.png');
  });

  test('an undo is confirmed with its exact size: Enter on the Cancel it opens with does nothing', async () => {
    await page.click('#history-undo');
    await page.waitForSelector('#undo-dialog[open]');
    assert.equal(await textOf('#undo-title'), `Undo: Add ${TAG} to 120 accounts`);
    assert.equal(await textOf('#undo-size'), 'Put back the tags of all 120 accounts as they were before the change.');
    assert.equal(await textOf('#undo-skips'), 'Known conflicts: none.');
    assert.equal(await focused(), 'undo-cancel');
    assert.ok(await page.isDisabled('#undo-confirm'), 'Confirm is enabled before the number is typed');
    await audit('the undo confirmation');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#undo-dialog:not([open])', { state: 'attached' });
    await focusBackOnRow();
    assert.equal((await historyOf({ op: 'undo' })).length, 0, 'an undo ran');
  });

  test('the undo puts every account back but one changed since, which it names', async () => {
    const changed = await call(REMOVE, { UserTags: [{ To_Account: 'hist_002', Tags: [TAG] }] });
    assert.equal(changed.ErrorCode, 0);
    await openRow(`Add ${TAG} to 120 accounts`);
    await page.click('#history-undo');
    await page.waitForSelector('#undo-dialog[open]');
    for (const wrong of ['12', '1200', 'all']) {
      await page.fill('#undo-count', wrong);
      assert.ok(await page.isDisabled('#undo-confirm'), `Confirm is enabled with "${wrong}" typed`);
    }
    await page.fill('#undo-count', '120');
    await page.click('#undo-confirm');
    await page.waitForSelector('#run-summary:not([hidden])', { timeout: 60_000 });
    assert.equal(await textOf('#run-title'), 'The undo is done');
    assert.equal(await textOf('#run-outcome'), 'Done: 119 accounts. Failed: 0. Not done: 0. Skipped: 1.');
    assert.deepEqual(await page.$$eval('#run-skipped li', (items) => items.map((li) => li.textContent)), ['hist_002: its tags have changed since']);
    await audit('the undo summary');
    await shot('panel-history-undone.png');
    await page.click('#run-close');
    // Once the undo ends, the history is listed again: the undo is its newest action.
    await page.waitForFunction(() => /^Undo of/.test(document.querySelector('#history-rows .open-row')?.textContent), null, { timeout: 30_000 });
    await listHistory(async () => {});
    const held = await heldTags(accounts.slice(0, 100));
    assert.deepEqual(Object.values(held).filter((tags) => tags.length), [], 'an account still holds the tag');
    assert.deepEqual(await heldTags(accounts.slice(100)), Object.fromEntries(accounts.slice(100).map((a) => [a, []])));
    // The undo is the newest action, and the table of the Tags view was read again.
    const [top] = await historyRows();
    assert.match(top[2], /^Undo of 2 changes \(/);
    assert.equal(top[4], 'Done');
    await page.click('#tab-tags');
    assert.ok((await tableRows()).every(([, tags]) => tags.length === 0));
  });

  test('the filtered history exports as CSV, a change a row, as the Worker holds it', async () => {
    await page.click('#tab-history');
    await filter({ tag: TAG });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#history-export')]);
    assert.equal(download.suggestedFilename(), 'history.csv');
    const text = Buffer.concat(await (await download.createReadStream()).toArray()).toString();
    for (const secret of SECRETS) assert.ok(!text.includes(secret), 'a token is in the CSV');
    const [header, ...rows] = parseCsv(text).map((row) => row.map(restore));
    const columns = ['id', 'at', 'caller', 'op', 'api', 'request_id', 'tags', 'replace', 'outcome', 'code', 'accounts', 'done', 'failed', 'batch', 'undo_of'];
    assert.deepEqual(header, columns);
    const stored = await historyOf({ tag: TAG });
    assert.deepEqual(rows.map((row) => row[3]).sort(), ['add', 'add', 'remove', 'undo', 'undo'], JSON.stringify(rows));
    assert.deepEqual(rows, stored.map((change) => columns.map((column) => {
      const value = change[column];
      return value === null ? '' : Array.isArray(value) ? value.join(';') : String(value);
    })));
    assert.match(await textOf('#history-status'), /^Exported 5 changes that match the filters, one a row\.$/);
  });

  test('Load more lists the older actions, page after page, until there are none', async () => {
    // 55 calls of one account each, sent without a batch: 55 rows, newest first.
    for (let i = 1; i <= 55; i++) await call(ADD, { UserTags: [{ To_Account: `page_${pad(i)}`, Tags: ['paged'] }] });
    await filter({ tag: 'paged' });
    const first = await historyRows();
    assert.equal(first.length, 50);
    assert.equal(first[0][2], 'Add paged to 1 account');
    assert.match(await textOf('#history-summary'), /; more to load$/);
    await page.click('#history-more');
    await page.waitForFunction(() => document.getElementById('history-rows').children.length === 55);
    assert.ok(!(await page.isVisible('#history-more')), 'Load more is still offered at the end');
    assert.equal(await focused(), 'open-row', 'the focus went nowhere when Load more went');
    assert.equal(await page.evaluate(() => [...document.querySelectorAll('#history-rows .open-row')].indexOf(document.activeElement)), 50);
    assert.equal(await textOf('#history-status'), 'Showing 55 actions: 5 more.');
  });

  test('a reader sees the history, but no Undo', async () => {
    await signInWith(TOKEN);
    await filter({ tag: TAG });
    await openRow(`Add ${TAG} to 120 accounts`);
    assert.ok(!(await page.isVisible('#history-undo')), 'a reader is offered Undo');
    await audit('a row opened, as a reader');
    await page.click('#history-close');
    await focusBackOnRow();
  });

  test('the keyboard moves between the views, and nothing raised a Content-Security-Policy violation', async () => {
    await page.focus('#tab-history');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await focused(), 'tab-tags');
    assert.ok(await page.isVisible('#view-tags'));
    await page.keyboard.press('End');
    assert.equal(await focused(), 'tab-history');
    assert.ok(await page.isVisible('#view-history'));
    assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
  });
});
