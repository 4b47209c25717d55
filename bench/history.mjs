// The history's rows: what keeping it costs a write (the same Worker with and without its
// `HISTORY` database), and what 100,000 stored changes cost its routes (the same requests
// against a history of a few hundred), each measured beside its baseline in the same run.
// `node bench/history.mjs` prints these rows alone (HISTORY_ADDS, HISTORY_CHANGES and
// HISTORY_READS make them smaller); `make bench` prints them with the rest.
import { API, PATHS, TOKEN, WRITE_TOKEN, bindingsFor, startEmulator, startWorker } from '../tests/worker/harness.mjs';
import { addBody, load } from '../tests/worker/load.mjs';
import { cpuMs, pidOn } from './cpu.mjs';

const ADD = PATHS.all_member_push.add;
const reader = { Authorization: `Bearer ${TOKEN}` };
const writer = { Authorization: `Bearer ${WRITE_TOKEN}`, 'Content-Type': 'application/json' };
// The rows measure the Worker and its database, not the vendor's rate (the pacer still books
// every call), as the other throughput rows do.
const unpaced = { TIM_CALLS_PER_SECOND: '10000', PACE_MAX_WAIT_MS: '60000' };
const CONCURRENCY = 64;
/** Slices per target: the targets take turns, in alternating order, a slice at a time. */
const SLICES = 8;
/** At most this many of a batch's calls in flight, as the package sends them. */
const IN_FLIGHT = 6;

/** The `q` quantile of sorted `list`. */
const quantile = (list, q) => list[Math.min(list.length - 1, Math.floor(q * list.length))];

/**
 * Runs `measure(name, share)` for each target a slice at a time, in alternating order, so that a
 * slow spell of the shared machine falls on every target alike; each slice's latencies, seconds,
 * requests and its runtime's CPU milliseconds are summed per target.
 */
async function inTurns(names, measure, calls, pids = {}) {
  const totals = Object.fromEntries(names.map((name) => [name, { latencies: [], seconds: 0, requests: 0, cpuMs: 0 }]));
  for (let turn = 0; turn < SLICES; turn++) {
    for (const name of turn % 2 ? [...names].reverse() : names) {
      const before = pids[name] ? cpuMs(pids[name]) : 0;
      const slice = await measure(name, Math.ceil(calls / SLICES));
      const total = totals[name];
      total.latencies.push(...slice.latencies);
      total.seconds += slice.seconds;
      total.requests += slice.latencies.length;
      total.cpuMs += pids[name] ? cpuMs(pids[name]) - before : NaN;
    }
  }
  for (const total of Object.values(totals)) {
    total.latencies.sort((a, b) => a - b);
    total.p50 = quantile(total.latencies, 0.5);
    total.p99 = quantile(total.latencies, 0.99);
    total.perSecond = total.requests / total.seconds;
    total.cpuPerCall = (total.cpuMs * 1000) / total.requests;
  }
  return totals;
}

/** Adds of two tags to 100 accounts through `url`, as `load` sends them; fails on any failure. */
async function adds(url, requests, concurrency) {
  const result = await load({ url, headers: writer, requests, concurrency, body: addBody() });
  if (result.failed + result.lost + result.crossed) throw new Error(`adds through ${url}: ${result.failed} failed`);
  return result;
}

/** What keeping the history costs an add: the same Worker with its database and without. */
async function writeCost(emulator, row, fixed) {
  const count = Number(process.env.HISTORY_ADDS ?? 2_000);
  const calmCount = Math.max(SLICES, Math.round(count * 0.15));
  const ports = { kept: 8781, none: 8782 };
  const kept = await startWorker(bindingsFor(emulator, unpaced), { port: ports.kept });
  const none = await startWorker(bindingsFor(emulator, unpaced), { port: ports.none, history: false });
  try {
    const url = (name) => `http://127.0.0.1:${ports[name]}${ADD}`;
    const pids = { kept: pidOn(ports.kept), none: pidOn(ports.none) };
    const unkept = await fetch(`http://127.0.0.1:${ports.none}/history`, { headers: reader });
    if (unkept.status !== 503) throw new Error(`the Worker without a history answered /history with ${unkept.status}`);
    const warmUp = 200;
    for (const name of ['kept', 'none']) await adds(url(name), warmUp, CONCURRENCY);
    const busy = await inTurns(['kept', 'none'], (name, calls) => adds(url(name), calls, CONCURRENCY), count, pids);
    const calm = await inTurns(['kept', 'none'], (name, calls) => adds(url(name), calls, 1), calmCount, pids);
    // Every add of the Worker with the history left one change of 100 accounts, all done.
    const expected = warmUp + busy.kept.requests + calm.kept.requests;
    const stored = await (await kept.history())
      .prepare("SELECT count(*) AS changes, sum(op = 'add' AND outcome = 'ok' AND done = 100) AS done FROM changes").first();
    if (stored.changes !== expected || stored.done !== expected) {
      throw new Error(`the history holds ${stored.changes} changes (${stored.done} of 100 accounts done), not ${expected}`);
    }
    // With the history, each add was read before at the vendor; without it, none was.
    const calls = await emulator.calls();
    const made = (path) => calls.filter((call) => call.path === path && call.error_code === 0).length;
    const unread = warmUp + busy.none.requests + calm.none.requests;
    if (made(API) !== expected || made(ADD) !== expected + unread) {
      throw new Error(`the vendor had ${made(API)} gets and ${made(ADD)} adds, not ${expected} and ${expected + unread}`);
    }
    await emulator.reset();
    const loaded = (r) => `${fixed(r.perSecond, 0)} req/s, p50 ${fixed(r.p50, 1)} / p99 ${fixed(r.p99, 1)} ms, ${fixed(r.cpuPerCall, 0)} µs of CPU an add`;
    row(`History: adds of 2 tags to 100 accounts, ${busy.kept.requests} at concurrency ${CONCURRENCY}, each kept as a change`,
      `with the history ${loaded(busy.kept)}`, `the same Worker without it ${loaded(busy.none)}`,
      `${fixed(busy.kept.perSecond / busy.none.perSecond)}× its throughput, ` +
      `${signed(busy.kept.cpuPerCall - busy.none.cpuPerCall, 0)} µs of CPU an add`, 'reported');
    row(`History: adds of 2 tags to 100 accounts, p50 / p99 ms, ${calm.kept.requests} one at a time`,
      `with the history ${fixed(calm.kept.p50)} / ${fixed(calm.kept.p99)}`,
      `without it ${fixed(calm.none.p50)} / ${fixed(calm.none.p99)}`,
      `${signed(calm.kept.p50 - calm.none.p50)} ms p50, ${signed(calm.kept.p99 - calm.none.p99)} ms p99`, 'reported');
  } finally {
    await kept.dispose();
    await none.dispose();
  }
}

const signed = (n, digits = 2) => `${n < 0 ? '−' : '+'}${Math.abs(n).toFixed(digits)}`;

// A history of `count` changes, written straight into the tables of migrations/0001_history.sql,
// spread over the 30 days before now, oldest first. One change in ten is of 100 accounts, one of
// the 50 calls of an import of 5,000 accounts (a batch; two such imports run side by side, so
// their calls interleave with the others), three in four of them adds and one in four removes;
// the rest are of 1 to 5 accounts each, most of them a batch of their own and a tenth in none:
// 60% adds, 25% removes, 10% clears, 5% undos. Six callers, two generations, 8 common tags and
// about 1,000 rarer ones; 1% of changes failed as a whole and about 3% partly. Accounts come
// from 100,000 users, so that each is in about a dozen changes.
const POOL = 100_000;
const CHANGES_SQL = `WITH RECURSIVE n(i) AS (SELECT CAST(?1 AS INTEGER) UNION ALL SELECT i + 1 FROM n WHERE i < ?2),
  c AS (SELECT i, i % 10 = 0 AS big, (i * 31) % 20 AS roll FROM n)
  INSERT INTO changes (id, at, caller, op, api, request_id, tags, replace_all, outcome, code, accounts, done, failed, batch, undo_of)
  SELECT i, CAST(?3 AS INTEGER) + i * CAST(?4 AS INTEGER),
    CASE (i * 17) % 6 WHEN 0 THEN 'ops' WHEN 1 THEN 'night-shift' WHEN 2 THEN 'alice@example.com'
      WHEN 3 THEN 'bob@example.com' WHEN 4 THEN 'sync' ELSE 'token-3' END,
    op, CASE WHEN i % 3 THEN 'all_member_push' ELSE 'timpush' END, printf('%016x', i * 2654435761),
    CASE op WHEN 'clear' THEN '[]' WHEN 'undo' THEN json_array(tag_a)
      ELSE CASE WHEN i % 5 = 0 THEN json_array(tag_a, tag_b, 'tag-' || (200 + (i / 5) % 800)) ELSE json_array(tag_a, tag_b) END END,
    op = 'add' AND i % 50 = 1, outcome, CASE outcome WHEN 'failed' THEN 91000 ELSE 0 END, accounts,
    CASE outcome WHEN 'failed' THEN 0 WHEN 'partial' THEN accounts - 1 ELSE accounts END,
    CASE outcome WHEN 'failed' THEN accounts WHEN 'partial' THEN 1 ELSE 0 END,
    CASE WHEN big THEN 'import-' || (i / 1000) || '-' || ((i / 10) % 2) WHEN i % 10 = 5 THEN NULL ELSE 'edit-' || i END,
    CASE op WHEN 'undo' THEN max(1, i - 1 - (i * 7) % 97) END
  FROM (SELECT i, big,
    CASE WHEN big THEN CASE WHEN (i / 10) % 4 = 3 THEN 'remove' ELSE 'add' END
      WHEN roll < 12 THEN 'add' WHEN roll < 17 THEN 'remove' WHEN roll < 19 THEN 'clear' ELSE 'undo' END AS op,
    CASE WHEN big THEN 100 ELSE 1 + (i * 7) % 5 END AS accounts,
    CASE WHEN i % 100 = 99 THEN 'failed' WHEN i % 25 = 7 AND NOT big AND (i * 7) % 5 > 0 THEN 'partial'
      WHEN big AND i % 250 = 20 THEN 'partial' ELSE 'ok' END AS outcome,
    'tag-' || ((i * 7) % 8) AS tag_a, 'tag-' || (8 + (i * 13) % 192) AS tag_b FROM c)`;
// Each change's accounts: an import's 5,000 consecutive users, a small change's scattered ones;
// the first account of a partial change failed. Tags before and after follow the op.
const ACCOUNTS_SQL = `WITH RECURSIVE p(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM p WHERE k < 99)
  INSERT INTO change_accounts (change_id, position, account, outcome, code, tags_before, tags_after)
  SELECT id, k, 'user-' || CASE WHEN accounts = 100
      THEN ((id / 1000) * 10000 + ((id / 10) % 2) * 5000 + ((id % 1000) / 20) * 100 + k) % ${POOL}
      ELSE (id * 7919 + k * 104729) % ${POOL} END,
    state, CASE state WHEN 'done' THEN 0 WHEN 'failed' THEN CASE outcome WHEN 'failed' THEN 91000 ELSE 70107 END END,
    before, CASE WHEN state != 'done' THEN before
      WHEN op = 'clear' THEN '[]'
      WHEN op = 'remove' THEN json_array('tag-' || ((id + k) % 8))
      ELSE json_insert(before, '$[#]', json_extract(tags, '$[0]')) END
  FROM (SELECT id, k, accounts, op, outcome, tags,
      CASE WHEN outcome = 'failed' OR (outcome = 'partial' AND k = 0) THEN 'failed' ELSE 'done' END AS state,
      CASE WHEN op = 'remove' THEN json_array('tag-' || ((id + k) % 8), json_extract(tags, '$[0]'))
        WHEN op = 'clear' THEN json_array('tag-' || ((id + k) % 8), 'tag-' || (8 + (id + k) % 192))
        ELSE json_array('tag-' || ((id + k) % 8)) END AS before
    FROM changes JOIN p ON k < accounts WHERE id BETWEEN ?1 AND ?2)`;
// The tags each change named, and those a clear took (its accounts' tags before).
const TAGS_SQL = `INSERT OR IGNORE INTO change_tags (tag, change_id)
  SELECT t.value, c.id FROM changes AS c, json_each(c.tags) AS t WHERE c.id BETWEEN ?1 AND ?2
  UNION SELECT t.value, a.change_id FROM change_accounts AS a, json_each(a.tags_before) AS t
    WHERE a.change_id IN (SELECT id FROM changes WHERE op = 'clear' AND id BETWEEN ?1 AND ?2)`;

/** Writes `count` changes into `db`, in chunks of 2,000, so that no statement runs long. */
async function seed(db, count) {
  const now = Date.now();
  const span = 30 * 86_400_000;
  const step = Math.floor((span - 3_600_000) / count);
  for (let lo = 1; lo <= count; lo += 2_000) {
    const hi = Math.min(count, lo + 1_999);
    await db.prepare(CHANGES_SQL).bind(lo, hi, now - span, step).run();
    await db.prepare(ACCOUNTS_SQL).bind(lo, hi).run();
    await db.prepare(TAGS_SQL).bind(lo, hi).run();
  }
  return db.prepare('SELECT (SELECT count(*) FROM changes) AS changes, (SELECT count(*) FROM change_accounts) AS accounts, ' +
    '(SELECT count(*) FROM change_tags) AS tags').first();
}

/** `fetch`, with the answer's JSON and the milliseconds it took; throws unless it is `status`. */
async function timed(url, init, status = 200) {
  const sent = performance.now();
  const response = await fetch(url, init);
  const text = await response.text();
  const ms = performance.now() - sent;
  if (response.status !== status) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${text.slice(0, 300)}`);
  return { ms, json: JSON.parse(text), headers: response.headers };
}

/** Runs `send(item)` for each item, at most `width` at once; their results, in order. */
async function inFlight(items, width, send) {
  const results = [];
  let next = 0;
  async function lane() {
    while (next < items.length) {
      const i = next++;
      results[i] = await send(items[i], i);
    }
  }
  await Promise.all(Array.from({ length: width }, lane));
  return results;
}

/**
 * Makes a batch of 5,000 accounts through the Worker at `origin`, as the package would: 50 adds
 * of two tags to 100 accounts each, six in flight, all naming the batch in `X-Tim-Batch`.
 */
async function makeBatch(origin, batch) {
  const calls = Array.from({ length: 50 }, (_, c) => Array.from({ length: 100 }, (_, k) => `${batch}-${c * 100 + k}`));
  await inFlight(calls, IN_FLIGHT, async (accounts) => {
    const body = JSON.stringify({ UserTags: accounts.map((To_Account) => ({ To_Account, Tags: ['spring-sale', 'imported'] })) });
    const { json, headers } = await timed(`${origin}${ADD}`, { method: 'POST', headers: { ...writer, 'X-Tim-Batch': batch }, body });
    if (json.ErrorCode !== 0 || headers.get('x-tim-history')) throw new Error(`batch ${batch}: ${JSON.stringify(json)}`);
  });
}

/** A history of `count` changes, the newest 100 of them two real batches of 5,000 accounts. */
async function historyOf(emulator, port, count, name) {
  const worker = await startWorker(bindingsFor(emulator, unpaced), { port });
  const origin = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const sizes = await seed(await worker.history(), count - 100);
  const batches = [`${name}-a`, `${name}-b`];
  for (const batch of batches) await makeBatch(origin, batch);
  process.stderr.write(`history of ${name}: ${sizes.changes} changes, ${sizes.accounts} accounts, ${sizes.tags} tags written in ` +
    `${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  return { worker, origin, batches, count: sizes.changes + 100 };
}

/** The ids `sql` selects, newest first, as the list should give them. */
async function ids(db, sql, ...values) {
  const { results } = await db.prepare(sql).bind(...values).all();
  return results.map((r) => String(r.id));
}

/**
 * What 100,000 stored changes cost the routes: pages of the list, filtered and not, one change
 * of 100 accounts and the undo of a 5,000-account batch, against the same on a few hundred.
 */
async function readCost(emulator, row, fixed) {
  const large = Number(process.env.HISTORY_CHANGES ?? 100_000);
  const small = 300;
  const reads = Number(process.env.HISTORY_READS ?? 200);
  const histories = {
    large: await historyOf(emulator, 8783, large, 'large'),
    small: await historyOf(emulator, 8784, small, 'small'),
  };
  try {
    // The requests, each with what its answer must be, read from the tables themselves. The
    // filters' values are of the written history, so both histories hold them: a user of the
    // imports, one of the 8 common tags and one of the rarer ones, the first real batch, and the
    // day after the oldest change.
    const requests = {};
    /** How many changes each filter matches, of which a page lists the newest 50. */
    const matching = {};
    for (const [name, history] of Object.entries(histories)) {
      const db = await history.worker.history();
      const [batch] = history.batches;
      const [first] = await ids(db, 'SELECT id FROM changes WHERE batch = ? ORDER BY id LIMIT 1', batch);
      const { oldest } = await db.prepare('SELECT min(at) AS oldest FROM changes').first();
      const until = oldest + 86_400_000;
      const tagged = (tag) => ids(db, 'SELECT change_id AS id FROM change_tags WHERE tag = ? ORDER BY change_id DESC LIMIT 50', tag);
      const counted = async (sql, value) => (await db.prepare(`SELECT count(*) AS n FROM ${sql}`).bind(value).first()).n;
      matching[name] = {
        account: await counted('change_accounts WHERE account = ?', 'user-342'),
        commonTag: await counted('change_tags WHERE tag = ?', 'tag-3'),
        rareTag: await counted('change_tags WHERE tag = ?', 'tag-37'),
        until: await counted('changes WHERE at <= ?', until),
      };
      requests[name] = {
        page: ['/history?limit=50', await ids(db, 'SELECT id FROM changes ORDER BY id DESC LIMIT 50')],
        account: ['/history?account=user-342', await ids(db,
          'SELECT change_id AS id FROM change_accounts WHERE account = ? ORDER BY change_id DESC LIMIT 50', 'user-342')],
        commonTag: ['/history?tag=tag-3', await tagged('tag-3')],
        rareTag: ['/history?tag=tag-37', await tagged('tag-37')],
        batch: [`/history?batch=${batch}`, await ids(db, 'SELECT id FROM changes WHERE batch = ? ORDER BY id DESC LIMIT 50', batch)],
        until: [`/history?until=${encodeURIComponent(new Date(until).toISOString())}`,
          await ids(db, 'SELECT id FROM changes WHERE at <= ? ORDER BY id DESC LIMIT 50', until)],
        one: [`/history/${first}`, first],
      };
    }
    const kinds = Object.keys(requests.large);
    for (const kind of kinds) {
      for (const name of ['large', 'small']) {
        const [, expected] = requests[name][kind];
        if (kind !== 'one' && (expected.length === 0 || (['page', 'batch'].includes(kind) && expected.length !== 50))) {
          throw new Error(`${name} ${kind}: ${expected.length} changes to list`);
        }
      }
    }
    /** One request of `kind` to history `name`, its answer checked against the tables. */
    async function read(name, kind) {
      const [path, expected] = requests[name][kind];
      const { ms, json } = await timed(`${histories[name].origin}${path}`, { headers: reader });
      if (kind === 'one') {
        if (json.change?.id !== expected || json.accounts?.length !== 100) throw new Error(`${path}: ${JSON.stringify(json).slice(0, 300)}`);
      } else {
        const got = json.changes?.map((c) => c.id);
        if (JSON.stringify(got) !== JSON.stringify(expected)) throw new Error(`${path}: ${got?.length} changes, not the ${expected.length} expected`);
      }
      return ms;
    }
    for (const name of ['large', 'small']) for (const kind of kinds) for (let i = 0; i < 20; i++) await read(name, kind); // warm-up
    const measured = {};
    for (const kind of kinds) {
      measured[kind] = await inTurns(['large', 'small'], async (name, calls) => {
        const started = performance.now();
        const latencies = [];
        for (let i = 0; i < calls; i++) latencies.push(await read(name, kind));
        return { latencies, seconds: (performance.now() - started) / 1000 };
      }, reads);
    }
    const what = {
      page: 'a page of the list, GET /history?limit=50',
      account: 'a page of one account\'s changes, ?account=',
      commonTag: 'a page of a common tag\'s changes, ?tag=',
      rareTag: 'a page of a rarer tag\'s changes, ?tag=',
      batch: 'a page of one batch\'s 50 changes, ?batch=',
      until: 'a page of the changes of the oldest day, ?until=',
      one: 'one change of 100 accounts, GET /history/{id}',
    };
    const found = (name, kind) => (matching[name][kind] === undefined ? ''
      : `, ${requests[name][kind][1].length} listed of ${matching[name][kind].toLocaleString('en-US')}`);
    for (const kind of kinds) {
      const [l, s] = [measured[kind].large, measured[kind].small];
      row(`History: ms to read ${what[kind]}, p50 / p99 of ${l.requests}`,
        `${histories.large.count.toLocaleString('en-US')} changes: ${fixed(l.p50)} / ${fixed(l.p99)}${found('large', kind)}`,
        `${histories.small.count} changes: ${fixed(s.p50)} / ${fixed(s.p99)}${found('small', kind)}`,
        `${fixed(l.p50 / s.p50)}× the p50`, 'reported');
    }

    // The undo of each real batch: its 50 changes, each undone for its 100 accounts, six at a
    // time; the two histories take turns (small, large, large, small).
    const undone = { large: [], small: [] };
    for (const [name, which] of [['small', 0], ['large', 0], ['large', 1], ['small', 1]]) {
      undone[name].push(await undoBatch(histories[name], histories[name].batches[which]));
    }
    const seconds = (list) => list.reduce((a, b) => a + b, 0) / list.length;
    const each = (list) => list.map((s) => fixed(s)).join(' and ');
    row('History: s to undo a batch of 5,000 accounts (50 changes of 100, six in flight), two batches each',
      `${histories.large.count.toLocaleString('en-US')} changes: ${fixed(seconds(undone.large))} (${each(undone.large)})`,
      `${histories.small.count} changes: ${fixed(seconds(undone.small))} (${each(undone.small)})`,
      `${fixed(seconds(undone.large) / seconds(undone.small))}× the time; 5,000 of 5,000 accounts put back in each`, 'reported');
  } finally {
    for (const { worker } of Object.values(histories)) await worker.dispose();
  }
}

/**
 * Undoes batch `batch` of a history: its changes listed and opened first (not timed), then each
 * undone for all its accounts, six at a time (timed). Checks that every account was put back and
 * that each now holds its tags from before. Seconds the undos took.
 */
async function undoBatch({ origin }, batch) {
  const { json: page } = await timed(`${origin}/history?batch=${batch}&limit=200`, { headers: reader });
  if (page.changes.length !== 50) throw new Error(`batch ${batch}: ${page.changes.length} changes`);
  const changes = [];
  for (const { id } of page.changes) changes.push((await timed(`${origin}/history/${id}`, { headers: reader })).json);
  const started = performance.now();
  const answers = await inFlight(changes, IN_FLIGHT, async ({ change, accounts }) => {
    const body = JSON.stringify({ accounts: accounts.map((a) => a.account) });
    const { json } = await timed(`${origin}/history/${change.id}/undo`, { method: 'POST', headers: { ...writer, 'X-Tim-Batch': `undo-${batch}` }, body });
    return json;
  });
  const seconds = (performance.now() - started) / 1000;
  const done = answers.reduce((n, answer) => n + (answer.done?.length ?? 0), 0);
  const troubles = answers.filter((answer) => answer.failed?.length || answer.skipped?.length || answer.change == null);
  if (done !== 5_000 || troubles.length) throw new Error(`undo of ${batch}: ${done} done; ${JSON.stringify(troubles[0]).slice(0, 300)}`);
  // Each account holds again what it held before the batch.
  for (const { accounts } of changes) {
    const { json } = await timed(`${origin}${API}`, { method: 'POST', headers: reader, body: JSON.stringify({ To_Account: accounts.map((a) => a.account) }) });
    const now = new Map(json.UserTags.map((u) => [u.To_Account, JSON.stringify(u.Tags ?? [])]));
    for (const { account, before } of accounts) {
      if (now.get(account) !== JSON.stringify(before)) throw new Error(`undo of ${batch}: ${account} holds ${now.get(account)}, not ${JSON.stringify(before)}`);
    }
  }
  return seconds;
}

/** The history's rows, `row(what, ours, baseline, ratio, goal)`, against one emulator. */
export async function historyRows(row, fixed) {
  const emulator = await startEmulator({ callsPerSecond: 1_000_000_000 });
  try {
    await writeCost(emulator, row, fixed);
    await readCost(emulator, row, fixed);
  } finally {
    await emulator.stop();
  }
}

if (process.argv[1] === import.meta.filename) {
  const rows = [];
  await historyRows((...cells) => rows.push(cells), (n, digits = 2) => n.toFixed(digits));
  console.log('| what | ours | baseline | ratio | goal |\n| --- | --- | --- | --- | --- |');
  for (const cells of rows) console.log(`| ${cells.join(' | ')} |`);
}
