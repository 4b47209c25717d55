// A bounded load: N requests at concurrency C through the Worker (listening on loopback) to the
// emulator, each for accounts of its own; checks that every answer is its own request's.
// As a program: node tests/worker/load.mjs [--requests N] [--concurrency C]
import { API, TOKEN, bindingsFor, startEmulator, startWorker } from './harness.mjs';

const PORT = 8796;

/** An add of two tags to 100 accounts, the same ones every time: writes are idempotent. */
export const addBody = () =>
  JSON.stringify({ UserTags: Array.from({ length: 100 }, (_, k) => ({ To_Account: `load_add_${k}`, Tags: ['bench', 'batch'] })) });

/**
 * Sends `requests` calls, `concurrency` at a time, to `url` (a string, or a function of the
 * call's number): gets of three accounts of their own, each answer checked to be its own, or
 * with `body`, that body every time, each answer checked to be a success. Returns counts,
 * throughput, the latencies (sorted, ms) and their p50 and p99.
 */
export async function load({ url, headers, requests, concurrency, body }) {
  let next = 0;
  const latencies = [];
  const problems = { failed: 0, lost: 0, crossed: 0 };
  const started = performance.now();
  async function lane() {
    while (next < requests) {
      const i = next++;
      const accounts = [`load_${i}_a`, `load_${i}_b`, `load_${i}_c`];
      const sent = performance.now();
      try {
        const target = typeof url === 'function' ? url(i) : url;
        const response = await fetch(target, { method: 'POST', headers, body: body ?? JSON.stringify({ To_Account: accounts }) });
        const answer = await response.json();
        latencies.push(performance.now() - sent);
        if (answer.ErrorCode !== 0) problems.failed++;
        else if (body) continue;
        else if (!Array.isArray(answer.UserTags) || answer.UserTags.length !== accounts.length) problems.lost++;
        else if (answer.UserTags.some((tags, k) => tags.To_Account !== accounts[k])) problems.crossed++;
      } catch {
        problems.failed++;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { requests, concurrency, ...problems, seconds, latencies, perSecond: requests / seconds, p50: at(0.5), p99: at(0.99) };
}

/** Starts the emulator (no rate limit) and the Worker on loopback, runs `fn` with the Worker's URL, stops both. */
export async function withStack(fn) {
  const emulator = await startEmulator({ callsPerSecond: 1_000_000_000 });
  const worker = await startWorker(bindingsFor(emulator), { port: PORT });
  try {
    return await fn({ url: `http://127.0.0.1:${PORT}${API}`, headers: { Authorization: `Bearer ${TOKEN}` }, emulator });
  } finally {
    await worker.dispose();
    await emulator.stop();
  }
}

export const describe = (r) =>
  `${r.requests} requests at concurrency ${r.concurrency}: ${r.perSecond.toFixed(0)} req/s, ` +
  `p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms; failed ${r.failed}, lost ${r.lost}, crossed ${r.crossed}`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, fallback) => Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) || fallback;
  const result = await withStack((target) =>
    load({ ...target, requests: arg('requests', 10_000), concurrency: arg('concurrency', 64) }));
  console.log(describe(result));
  process.exit(result.failed + result.lost + result.crossed === 0 ? 0 : 1);
}
