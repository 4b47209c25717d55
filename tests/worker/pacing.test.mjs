// The app's vendor rate, as callers meet it: batches through the npm package use the whole rate
// without a single call refused by the vendor, callers at once share it fairly, a single lookup
// meanwhile is answered quickly, and a refusal's Retry-After can be relied on.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  API,
  FOURTH_TOKEN,
  SECOND_TOKEN,
  TOKEN,
  WRITE_TOKEN,
  bindingsFor,
  loadPackage,
  logs,
  requestLine,
  startEmulator,
  startWorker,
} from './harness.mjs';

const WORKER_PORT = 8794;
const ENDPOINT = `http://127.0.0.1:${WORKER_PORT}`;
/** The vendor's rate per path, and the share of it a batch must use. */
const RATE = 100;
const ACCOUNTS_PER_CALL = 100;
const MIN_USE = 0.95;
/** The rate of the Workers that refuse calls. */
const RATE_HERE = 5;

const seed = JSON.parse(readFileSync(new URL('../../src/emulator/demo-tags.json', import.meta.url), 'utf8'));
// The legacy generation's accounts: UserIDs, at most 32 bytes (the seed holds a device too).
const demoAccounts = Object.keys(seed).filter((account) => Buffer.byteLength(account) <= 32);
/** What the emulator holds for an account: its seeded tags, or none. */
const held = (account) => ({ To_Account: account, Tags: seed[account] ?? [] });

/** `count` distinct accounts named `prefix`N, with the demo accounts spread among them. */
function accountsOf(prefix, count, every = Math.floor(count / demoAccounts.length)) {
  const accounts = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  demoAccounts.forEach((account, k) => {
    if (k * every < count) accounts[k * every] = account;
  });
  return accounts;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/**
 * The rate the vendor was called at on `path` since the last reset, as it saw the calls
 * arrive: the calls after the first, over the time from the first to the last.
 */
async function vendorRate(emulator, path = API) {
  const arrivals = (await emulator.calls()).filter((call) => call.path === path).map((call) => call.at_ms);
  return (arrivals.length - 1) / ((Math.max(...arrivals) - Math.min(...arrivals)) / 1000);
}

/** What the emulator received and refused on `path` since its last reset. */
async function vendorCalls(emulator, path = API) {
  const seconds = (await emulator.rate()).paths[path] ?? [];
  const sum = (field) => seconds.reduce((total, s) => total + s[field], 0);
  return {
    received: sum('received'),
    refused: sum('refused'),
    busiest: Math.max(0, ...seconds.map((s) => s.received)),
    // Each second as received/refused, e.g. "99/0 99/1 53/0".
    seconds: seconds.map((s) => `${s.received}/${s.refused}`).join(' '),
  };
}

/** The log lines with this `event` written since `from`, parsed, in the order written. */
const eventsSince = (from, event) =>
  logs.slice(from).flatMap((line) => {
    try {
      const parsed = JSON.parse(line);
      return parsed?.event === event ? [parsed] : [];
    } catch {
      return [];
    }
  });

/** The `RateLimit` field's parameters, as numbers. */
const rateLimit = (answer) =>
  Object.fromEntries([...(answer.headers.get('ratelimit') ?? '').matchAll(/;(\w+)=(\d+)/g)].map(([, k, v]) => [k, Number(v)]));

let emulator, pkg;

before(async () => {
  emulator = await startEmulator();
  pkg = await loadPackage();
});

after(async () => {
  await emulator?.stop();
});

describe('batches through the npm package, at the default pace', () => {
  const FOURTH = 'front-desk';
  let worker;
  const options = (token) => ({ endpoint: ENDPOINT, token });

  before(async () => {
    worker = await startWorker(
      bindingsFor(emulator, { PANEL_TOKENS: `${TOKEN},night-shift:${SECOND_TOKEN},${FOURTH}:${FOURTH_TOKEN}` }),
      { port: WORKER_PORT },
    );
    // A running Worker and pacer, as in production: their start is not part of any batch.
    await pkg.getTags(['xiaojun'], options(TOKEN));
    await sleep(1100);
  });

  after(async () => {
    await worker?.dispose();
  });

  test('one caller, 80,000 accounts: all exact, none refused by the vendor, ≥ 95% of its rate used', async (t) => {
    await emulator.reset();
    const accounts = accountsOf('single_', 80_000);
    const from = logs.length;
    const started = performance.now();
    const tags = await pkg.getTags(accounts, options(TOKEN));
    const seconds = (performance.now() - started) / 1000;
    const perSecond = accounts.length / seconds;
    const vendor = await vendorCalls(emulator);
    const used = (await vendorRate(emulator)) / RATE;
    t.diagnostic(
      `80,000 accounts in ${seconds.toFixed(2)} s: ${perSecond.toFixed(0)} accounts/s end to end ` +
        `(${((perSecond / (RATE * ACCOUNTS_PER_CALL)) * 100).toFixed(1)}%); the vendor called at ` +
        `${(used * 100).toFixed(1)}% of its rate; ` +
        `vendor received ${vendor.received}, refused ${vendor.refused}, busiest second ${vendor.busiest}; ` +
        `received/refused each second: ${vendor.seconds}; ` +
        `requests the Worker tried more than once: ${eventsSince(from, 'request').filter((l) => l.tries > 1).length}`,
    );
    assert.equal(tags.length, accounts.length);
    assert.deepEqual(tags.map((entry) => entry.To_Account), accounts, 'not in the order given');
    assert.deepEqual(tags, accounts.map(held));
    assert.ok(tags.some((entry) => entry.Tags.length > 0), 'no seeded account among them');
    assert.equal(vendor.refused, 0, `the vendor refused ${vendor.refused} calls (60007)`);
    assert.equal(vendor.received, accounts.length / ACCOUNTS_PER_CALL);
    assert.ok(used >= MIN_USE, `the vendor was called at ${(used * 100).toFixed(1)}% of its rate`);
  });

  // Three batches at once and a fourth caller's single lookups meanwhile, run once for the
  // two tests that follow.
  let busy;
  const runBusy = () => (busy ??= (async () => {
    await emulator.reset();
    const callers = [
      ['token-1', TOKEN],
      ['night-shift', SECOND_TOKEN],
      ['ops', WRITE_TOKEN],
    ];
    const from = logs.length;
    const started = performance.now();
    const batches = callers.map(async ([name, token], c) => {
      const accounts = accountsOf(`caller${c}_`, 20_000);
      const tags = await pkg.getTags(accounts, options(token));
      return { name, accounts, tags, ended: performance.now() };
    });
    let running = true;
    const lookups = [];
    const desk = (async () => {
      await sleep(200);
      for (let i = 0; running; i++) {
        const account = demoAccounts[i % demoAccounts.length];
        const sent = performance.now();
        const tags = await pkg.getTags([account], options(FOURTH_TOKEN)).catch((error) => error);
        const ended = performance.now();
        lookups.push({ account, tags, ms: ended - sent, ended });
        await sleep(Math.max(0, 200 - (ended - sent)));
      }
    })();
    let results;
    try {
      results = await Promise.all(batches);
    } finally {
      running = false;
      await desk;
    }
    const ended = Math.max(...results.map((r) => r.ended));
    await sleep(200); // the last request lines
    return { from, started, ended, results, lookups, vendor: await vendorCalls(emulator), used: (await vendorRate(emulator)) / RATE };
  })());

  test('three callers at once, 20,000 accounts each: all exact, none refused, ≥ 95% used, fair shares', async (t) => {
    const { from, started, ended, results, lookups, vendor, used } = await runBusy();
    const seconds = (ended - started) / 1000;
    const batchCalls = results.length * 20_000 / ACCOUNTS_PER_CALL;
    const lookupCalls = lookups.filter((l) => l.ended <= ended).length;
    const callsPerSecond = (batchCalls + lookupCalls) / seconds;
    // Each caller's calls while all three were running: from the line by which each had been
    // answered once, to the last line of the first to finish.
    const names = results.map((r) => r.name);
    const lines = eventsSince(from, 'request').filter((l) => l.path === API && l.status === 200 && names.includes(l.caller));
    const firsts = names.map((name) => lines.findIndex((l) => l.caller === name));
    const lasts = names.map((name) => lines.findLastIndex((l) => l.caller === name));
    const window = lines.slice(Math.max(...firsts), Math.min(...lasts) + 1);
    const counts = Object.fromEntries(names.map((name) => [name, window.filter((l) => l.caller === name).length]));
    const shares = Object.fromEntries(names.map((name) => [name, counts[name] / window.length]));
    t.diagnostic(
      `3 × 20,000 accounts in ${seconds.toFixed(2)} s: ${(60_000 / seconds).toFixed(0)} accounts/s; ` +
        `${callsPerSecond.toFixed(1)} vendor calls/s end to end with the ${lookupCalls} single lookups; ` +
        `the vendor called at ${(used * 100).toFixed(1)}% of its rate; vendor received ${vendor.received}, ` +
        `refused ${vendor.refused}, busiest second ${vendor.busiest}; received/refused each second: ${vendor.seconds}`,
    );
    t.diagnostic(
      `shares over ${window.length} calls while all three ran: ` +
        names.map((name) => `${name} ${counts[name]} (${(shares[name] * 100).toFixed(1)}%)`).join(', ') +
        `; finished after ${results.map((r) => `${r.name} ${((r.ended - started) / 1000).toFixed(2)} s`).join(', ')}`,
    );
    for (const { name, accounts, tags } of results) {
      assert.equal(tags.length, accounts.length, name);
      assert.deepEqual(tags, accounts.map(held), `${name}'s tags`);
    }
    assert.equal(vendor.refused, 0, `the vendor refused ${vendor.refused} calls (60007)`);
    assert.equal(vendor.received, batchCalls + lookups.length);
    assert.ok(used >= MIN_USE, `the vendor was called at ${(used * 100).toFixed(1)}% of its rate`);
    assert.ok(window.length >= 100, `only ${window.length} calls while all three ran`);
    for (const name of names) {
      assert.ok(shares[name] >= 0.8 / 3 && shares[name] <= 1.2 / 3, `${name}'s share ${shares[name].toFixed(3)}`);
    }
  });

  test('single lookups by a fourth caller meanwhile: exact, p95 ≤ 1 s', async (t) => {
    const { lookups } = await runBusy();
    const sorted = lookups.map((l) => l.ms).sort((a, b) => a - b);
    t.diagnostic(
      `${lookups.length} lookups: p50 ${percentile(sorted, 50).toFixed(0)} ms, p95 ${percentile(sorted, 95).toFixed(0)} ms, ` +
        `max ${sorted.at(-1).toFixed(0)} ms`,
    );
    assert.ok(lookups.length >= 10, `only ${lookups.length} lookups`);
    for (const { account, tags } of lookups) assert.deepEqual(tags, [held(account)]);
    assert.ok(percentile(sorted, 95) <= 1000, `p95 ${percentile(sorted, 95).toFixed(0)} ms`);
  });
});

test('without the pacer binding: calls are still answered, and that is said once', async (t) => {
  await emulator.reset();
  const from = logs.length;
  const worker = await startWorker(bindingsFor(emulator), { pacer: false });
  try {
    const send = () => worker.send(API, { body: { To_Account: ['xiaojun', 'nobody'] } });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await send());
    answers.push(...(await Promise.all(Array.from({ length: 5 }, send))));
    for (const answer of answers) {
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(answer.json.UserTags, [held('xiaojun'), held('nobody')]);
    }
    for (const answer of answers) assert.equal(typeof (await requestLine(answer)).waited_ms, 'number');
    const mine = eventsSince(from, 'pacer');
    t.diagnostic(`${answers.length} requests; pacer lines: ${JSON.stringify(mine)}`);
    assert.equal(mine.length, 1, `${mine.length} pacer lines for ${answers.length} requests`);
    assert.equal(mine[0].ok, false);
    assert.equal(typeof mine[0].error, 'string');
    assert.equal((await vendorCalls(emulator)).received, answers.length);
  } finally {
    await worker.dispose();
  }
});

// At 5 calls/s a slot is 250 ms from the next: a Worker that may not wait at all, and one that
// may wait a little longer than one slot.
for (const maxWaitMs of [0, 300]) describe(`a Worker with PACE_MAX_WAIT_MS ${maxWaitMs}, at 5 calls/s`, () => {
  let worker, burst;

  before(async () => {
    worker = await startWorker(bindingsFor(emulator, { PACE_MAX_WAIT_MS: String(maxWaitMs), TIM_CALLS_PER_SECOND: String(RATE_HERE) }));
    await emulator.reset();
    const send = () => worker.send(API, { body: { To_Account: ['a'] } });
    burst = await Promise.all(Array.from({ length: 10 }, send));
    burst.received = (await vendorCalls(emulator)).received;
    burst.at = performance.now();
  });

  after(async () => {
    await worker?.dispose();
  });

  const refusals = () => burst.filter((answer) => answer.status === 429);
  const retryAfter = (answer) => Number(answer.headers.get('retry-after'));

  test('a burst from one caller: the first goes, the rest are 429 / 80429 with a Retry-After, and sent nowhere', (t) => {
    const statuses = burst.map((answer) => answer.status);
    t.diagnostic(
      `statuses ${JSON.stringify(statuses)}; Retry-After ${JSON.stringify(refusals().map(retryAfter))}; ` +
        `the vendor received ${burst.received}`,
    );
    assert.ok(statuses.every((status) => status === 200 || status === 429), JSON.stringify(statuses));
    assert.ok(refusals().length > 0, 'none refused');
    for (const answer of refusals()) {
      assert.equal(answer.json.ErrorCode, 80429);
      assert.match(answer.headers.get('retry-after') ?? '', /^\d+$/);
      assert.ok(retryAfter(answer) >= 1, answer.headers.get('retry-after'));
    }
    assert.equal(burst.received, burst.length - refusals().length, 'a refused call reached the vendor');
    assert.ok(statuses.includes(200), 'even the first call on an idle path was refused');
  });

  test('after Retry-After seconds, the next call gets a slot', async (t) => {
    const wait = Math.max(...refusals().map(retryAfter));
    assert.ok(wait >= 1);
    await sleep(Math.max(0, burst.at + wait * 1000 - performance.now()));
    const next = await worker.send(API, { body: { To_Account: ['a'] } });
    t.diagnostic(`after ${wait} s: ${next.status}, RateLimit ${next.headers.get('ratelimit')}`);
    assert.equal(next.status, 200, `${next.status} ${next.text}`);
    burst.push(next);
  });

  test('RateLimit-Policy and RateLimit: q is the rate; r ≤ q on a 200, r = 0 on a 429', () => {
    for (const answer of burst) {
      assert.equal(answer.headers.get('ratelimit-policy'), `"vendor";q=${RATE_HERE};w=1`);
      const { r, t: reset } = rateLimit(answer);
      assert.ok(Number.isInteger(r) && Number.isInteger(reset), answer.headers.get('ratelimit'));
      if (answer.status === 429) {
        assert.equal(r, 0);
        assert.equal(reset, retryAfter(answer));
      } else {
        assert.ok(r <= RATE_HERE, answer.headers.get('ratelimit'));
      }
    }
  });
});

test('/session tells the rate the Worker paces at; a get says it too', async () => {
  const worker = await startWorker(bindingsFor(emulator, { TIM_CALLS_PER_SECOND: '50' }));
  try {
    const session = await worker.send('/session', { method: 'GET' });
    assert.equal(session.status, 200, session.text);
    assert.equal(session.json.calls_per_second, 50);
    const get = await worker.send(API, { body: { To_Account: ['xiaojun'] } });
    assert.equal(get.status, 200, get.text);
    assert.equal(get.headers.get('ratelimit-policy'), '"vendor";q=50;w=1');
    const { r } = rateLimit(get);
    assert.ok(Number.isInteger(r) && r <= 50, get.headers.get('ratelimit'));
  } finally {
    await worker.dispose();
  }
});
