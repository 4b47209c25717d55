// Starts the emulator and the built Worker (in the local workerd runtime, via Miniflare) for tests,
// and captures everything they say so that tests can check it.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import { after, before } from 'node:test';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

const root = fileURLToPath(new URL('../..', import.meta.url));

export const SDKAPPID = '1400000000';
export const KEY = 'test-secret-key-5bd2850fff3ecb11d7c805251c51ee46';
/** A token that may read (`PANEL_TOKENS`), and one that may also write (`PANEL_WRITE_TOKENS`). */
export const TOKEN = 'test-panel-token-0123456789abcdef';
export const WRITE_TOKEN = 'test-write-token-0123456789abcdef';
export const SECOND_TOKEN = 'second-token-abcdefghijklmnop';
/** A token for a fourth caller, for tests that add it to `PANEL_TOKENS` (as `name:token`). */
export const FOURTH_TOKEN = 'fourth-token-qrstuvwxyz012345';
/** A device the demo seed knows, by its RegistrationID. */
export const DEVICE = '379C2F0D-290D-47AE-94D1-919058C39C77';
/** Secrets that tests give the Worker; none may ever come back out. */
export const SECRETS = [KEY, TOKEN, WRITE_TOKEN, SECOND_TOKEN, FOURTH_TOKEN, 'not-the-app-key'];

/** The header every request to the emulator's control endpoints carries. */
export const CONTROL_HEADER = { 'X-Tim-Emulator': 'control' };

/** SHA-256 of every UserSig any emulator received (it never reveals the UserSigs themselves). */
const usersigHashes = new Set();
const liveEmulators = new Set();

async function collectUsersigHashes(emulator) {
  for (const call of await emulator.calls().catch(() => [])) {
    if (call.usersig_sha256) usersigHashes.add(call.usersig_sha256);
  }
}

/**
 * Asserts that nothing the Worker said (answers, headers, log lines) holds a secret or a
 * UserSig. Runs after every test file that uses this harness, over all it captured.
 */
export async function assertNoSecrets() {
  for (const emulator of liveEmulators) await collectUsersigHashes(emulator);
  const everything = transcript.join('\n');
  for (const secret of SECRETS) assert.ok(!everything.includes(secret), 'a secret leaked');
  for (const run of everything.match(/[A-Za-z0-9*_-]{40,}/g) ?? []) {
    assert.ok(!usersigHashes.has(createHash('sha256').update(run).digest('hex')), 'a UserSig leaked');
  }
  assert.doesNotMatch(everything, /eAE[A-Za-z0-9*_-]{40,}/, 'something shaped like a UserSig leaked');
}

// Under the test runner, every test file that uses this harness ends with the check.
if (process.env.NODE_TEST_CONTEXT) after(assertNoSecrets);

/** The emulator's binary. */
export const emulatorBin = process.env.TIM_EMULATOR_BIN ?? `${root}/target/debug/tim-emulator`;

/** Each call's path, by generation and operation, as the crate's call table has them. */
export const PATHS = JSON.parse(execFileSync(emulatorBin, ['--print-calls'], { encoding: 'utf8' }));
/** The legacy get, the call most tests make. */
export const API = PATHS.all_member_push.get;

/** Starts `tim-emulator` on a free loopback port. */
export async function startEmulator({ key = KEY, sdkappid = SDKAPPID, callsPerSecond, listen = '127.0.0.1:0', allowOrigin, api, known } = {}) {
  const args = ['--listen', listen, '--sdkappid', sdkappid, '--key', key];
  if (callsPerSecond) args.push('--calls-per-second', String(callsPerSecond));
  if (allowOrigin) args.push('--allow-origin', allowOrigin);
  if (api) args.push('--api', api);
  if (known) args.push('--known', known.join(','));
  const child = spawn(emulatorBin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const [line] = await once(lines, 'line');
  const url = /listening on (http:\/\/\S+)/.exec(line)?.[1];
  if (!url) throw new Error(`unexpected emulator output: ${line}`);
  const control = (path, init = {}) =>
    fetch(`${url}/_emulator/${path}`, { ...init, headers: { ...CONTROL_HEADER, ...init.headers } });
  const emulator = {
    url,
    async inject(...faults) {
      const response = await control('faults', { method: 'POST', body: JSON.stringify(faults) });
      if (response.status !== 204) throw new Error(`inject: ${response.status}`);
    },
    async calls() {
      return (await control('calls')).json();
    },
    /** How fast each path was called: `{ calls_per_second, paths: { [path]: [{ second, received, refused }] } }`. */
    async rate() {
      return (await control('rate')).json();
    },
    async reset() {
      await collectUsersigHashes(emulator);
      await control('faults', { method: 'DELETE' });
      await control('calls', { method: 'DELETE' });
      await control('rate', { method: 'DELETE' });
    },
    async stop() {
      await collectUsersigHashes(emulator);
      liveEmulators.delete(emulator);
      child.kill();
      await once(child, 'exit');
    },
  };
  liveEmulators.add(emulator);
  return emulator;
}

/** Everything the Worker said: its log lines, and every answer's status, headers and body. */
export const transcript = [];
/** The log lines of every Worker started here, as written. */
export const logs = [];

/** The log lines written as JSON objects with this `event`, parsed. */
export const logEvents = (event) =>
  logs.flatMap((line) => {
    try {
      const parsed = JSON.parse(line);
      return parsed?.event === event ? [parsed] : [];
    } catch {
      return [];
    }
  });

/** The `request` log line of an answer, found by its `X-Request-Id`; waits for it a little. */
export const requestLine = (answer) => lineOf('request', answer);

/** The `audit` log lines of an answer (none or one), found by its `X-Request-Id`. */
export async function auditLines(answer) {
  await requestLine(answer);
  return logEvents('audit').filter((l) => l.id === answer.headers.get('x-request-id'));
}

async function lineOf(event, answer) {
  const id = answer.headers.get('x-request-id');
  for (let i = 0; i < 50; i++) {
    const line = logEvents(event).find((l) => l.id === id);
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no ${event} line with id ${id}`);
}

/**
 * Starts the built Worker with these bindings (vars and secrets alike); `port` serves it over
 * HTTP, `ratelimits` configures the rate-limit binding as wrangler.toml does. `script` and
 * `compatibilityFlags` start another Worker the same way, for comparisons.
 */
export async function startWorker(bindings, { port, ratelimits, script, compatibilityFlags = [], pacer = !script, history = !script } = {}) {
  const capture = (stream) => stream.on('data', (chunk) => transcript.push(String(chunk)));
  const mf = new Miniflare({
    modules: true,
    scriptPath: script ?? `${root}/build/index.js`,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'], fallthrough: true }],
    compatibilityDate: '2026-07-30',
    compatibilityFlags,
    bindings,
    cf: false,
    ...(port ? { host: '127.0.0.1', port } : {}),
    ...(ratelimits ? { ratelimits } : {}),
    // The app's pacer, as wrangler.toml binds it; a Worker of another script has none.
    ...(pacer ? { durableObjects: { PACER: { className: 'Pacer', useSQLite: true } } } : {}),
    // The history, as wrangler.toml binds it, with the schema in migrations/ applied below.
    ...(history ? { d1Databases: { HISTORY: 'tim-tags-history' } } : {}),
    handleRuntimeStdio: (stdout, stderr) => {
      capture(stdout);
      capture(stderr);
    },
    handleStructuredLogs: ({ message }) => {
      transcript.push(message);
      logs.push(message);
    },
  });
  await mf.ready;
  if (history) await applyMigrations(await mf.getD1Database('HISTORY'));
  return {
    /** The history's database, to look into or to break. */
    history: () => mf.getD1Database('HISTORY'),
    /** Runs the cron trigger as if at `scheduledTime` (milliseconds since the epoch). */
    async scheduled(scheduledTime) {
      const worker = await mf.getWorker();
      return worker.scheduled({ cron: '17 * * * *', scheduledTime: new Date(scheduledTime) });
    },
    /** Sends a request; returns status, headers and the body as text and (when it is) JSON. */
    async send(path, { method = 'POST', token = TOKEN, headers = {}, body } = {}) {
      const allHeaders = { ...headers };
      if (token) allHeaders.Authorization = `Bearer ${token}`;
      // Strings, bytes and streams go as they are (a stream without a Content-Length).
      const raw = typeof body === 'string' || body === undefined || body instanceof Uint8Array || body instanceof ReadableStream;
      const response = await mf.dispatchFetch(`http://localhost${path}`, {
        method,
        headers: allHeaders,
        body: raw ? body : JSON.stringify(body),
        ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
      });
      const text = await response.text();
      const answer = { status: response.status, headers: response.headers, text };
      try {
        answer.json = JSON.parse(text);
      } catch {}
      transcript.push(`${response.status} ${JSON.stringify([...response.headers])} ${text}`);
      return answer;
    },
    dispose: () => mf.dispose(),
  };
}

/** Applies migrations/*.sql in order, one statement at a time, as `wrangler d1 migrations apply` does. */
export async function applyMigrations(db) {
  const files = readdirSync(`${root}/migrations`).filter((name) => name.endsWith('.sql')).sort();
  for (const file of files) {
    const text = readFileSync(`${root}/migrations/${file}`, 'utf8').replace(/--.*$/gm, '');
    for (const statement of text.split(';').map((s) => s.trim()).filter(Boolean)) {
      await db.prepare(statement).run();
    }
  }
}

/** The npm package (pkg/), loaded in Node as an application would load it. */
export async function loadPackage() {
  const pkg = await import(`${root}pkg/tim_tags.js`);
  await pkg.default({ module_or_path: readFileSync(`${root}pkg/tim_tags_bg.wasm`) });
  return pkg;
}

/** The bindings of a Worker wired to `emulator`. */
export const bindingsFor = (emulator, extra = {}) => ({
  TIM_SDKAPPID: SDKAPPID,
  TIM_SECRET_KEY: KEY,
  TIM_REGION: 'singapore',
  TIM_API_ORIGIN: emulator.url,
  PANEL_TOKENS: `${TOKEN},night-shift:${SECOND_TOKEN}`,
  PANEL_WRITE_TOKENS: `ops:${WRITE_TOKEN}`,
  ALLOWED_ORIGINS: 'https://panel.example.com',
  ...extra,
});

/**
 * Starts the emulator (with `emulatorOptions`) and a Worker against it (with `settings` over
 * the defaults) before a file's tests, hands both to `use` once they run, and stops both after
 * the tests.
 */
export function emulatorAndWorker(emulatorOptions, settings, use) {
  const started = {};
  before(async () => {
    started.emulator = await startEmulator(emulatorOptions);
    started.worker = await startWorker(bindingsFor(started.emulator, settings));
    use(started);
  });
  after(async () => {
    await started.worker?.dispose();
    await started.emulator?.stop();
  });
}
