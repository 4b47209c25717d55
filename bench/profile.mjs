// Where a Worker's time goes under load: a V8 CPU profile of the runtime's main thread (through
// its inspector) while it serves gets or adds at concurrency 64, printed as the callers and
// callees that took the most samples. For deciding what to try next in `make bench`; not a
// measure itself (the inspector slows what it watches).
//
//   node --experimental-websocket bench/profile.mjs [get|add] [path/to/index.js] [requests]
//
// The Worker defaults to build/index.js; bench/reference-worker's bundle, as `make bench` writes
// it to target/bench-reference/index.js, runs with nodejs_compat. A Worker built with its wasm
// name section (wasm-opt -g rather than --strip-debug) shows Rust functions by name.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { PATHS, TOKEN, WRITE_TOKEN, bindingsFor, startEmulator } from '../tests/worker/harness.mjs';
import { addBody, load } from '../tests/worker/load.mjs';

const root = join(import.meta.dirname, '..');
const [kind = 'get', script = join(root, 'build/index.js'), requests = '6000'] = process.argv.slice(2);
const PORT = 8791;
const INSPECTOR_PORT = 9333;

const emulator = await startEmulator({ callsPerSecond: 1_000_000_000 });
const mf = new Miniflare({
  modules: true,
  scriptPath: script,
  modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'], fallthrough: true }],
  compatibilityDate: '2026-07-30',
  compatibilityFlags: script.includes('bench-reference') ? ['nodejs_compat'] : [],
  bindings: bindingsFor(emulator),
  cf: false,
  host: '127.0.0.1',
  port: PORT,
  inspectorPort: INSPECTOR_PORT,
  handleRuntimeStdio: (stdout, stderr) => {
    stdout.resume();
    stderr.resume();
  },
  handleStructuredLogs: () => {},
});
try {
  await mf.ready;
  const path = PATHS.all_member_push[kind === 'add' ? 'add' : 'get'];
  const run = (calls) => load({
    url: `http://127.0.0.1:${PORT}${path}`,
    headers: { Authorization: `Bearer ${kind === 'add' ? WRITE_TOKEN : TOKEN}` },
    requests: calls,
    concurrency: 64,
    body: kind === 'add' ? addBody() : undefined,
  });
  await run(2000); // so that what is profiled is compiled code

  const [target] = await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json();
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve);
    socket.addEventListener('error', reject);
  });
  const waiting = new Map();
  socket.addEventListener('message', ({ data }) => {
    const message = JSON.parse(String(data));
    waiting.get(message.id)?.(message);
    waiting.delete(message.id);
  });
  let lastId = 0;
  const send = (method, params = {}) => new Promise((resolve) => {
    waiting.set(++lastId, resolve);
    socket.send(JSON.stringify({ id: lastId, method, params }));
  });
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 100 });
  await send('Profiler.start');
  const served = await run(Number(requests));
  const { result } = await send('Profiler.stop');
  socket.close();
  const file = join(root, `target/profile-${kind}.cpuprofile`);
  writeFileSync(file, JSON.stringify(result.profile));

  const { nodes, samples } = result.profile;
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const parentOf = new Map(nodes.flatMap((node) => (node.children ?? []).map((child) => [child, node])));
  const name = (node) => {
    if (!node) return '(top)';
    const { functionName, url, lineNumber } = node.callFrame;
    return `${functionName || '(anonymous)'}${url ? ` ${url.split('/').pop()}:${lineNumber}` : ''}`;
  };
  const shares = new Map();
  for (const id of samples) {
    const node = byId.get(id);
    const key = `${name(parentOf.get(id))} > ${name(node)}`;
    shares.set(key, (shares.get(key) ?? 0) + 1);
  }
  console.log(`${served.requests} ${kind}s at ${served.perSecond.toFixed(0)}/s, ${samples.length} samples; the profile is in ${file}`);
  console.log('% of samples  caller > function (its own time)');
  for (const [key, count] of [...shares].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
    console.log(`${((100 * count) / samples.length).toFixed(1).padStart(5)}  ${key}`);
  }
} finally {
  await mf.dispose();
  await emulator.stop();
}
