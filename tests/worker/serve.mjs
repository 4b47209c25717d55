// Runs a command with the emulator and the built Worker listening on fixed loopback ports,
// then stops both: `node tests/worker/serve.mjs -- COMMAND...`. The wasm suite (tests/suite)
// and the page tests reach them there; for instance, as a user runs the suite:
//   node tests/worker/serve.mjs -- wasm-pack test --node -- --features browser
//   node tests/worker/serve.mjs -- wasm-pack test --headless --chrome -- --features browser
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { TOKEN, assertNoSecrets, bindingsFor, startEmulator, startWorker } from './harness.mjs';

export const WORKER_PORT = 8788;
export const EMULATOR_PORT = 9788;
/** Where the pages under test are served from; the Worker allows it cross-origin. */
export const PAGE_ORIGIN = 'http://127.0.0.1:8789';

const command = process.argv.slice(process.argv.indexOf('--') + 1);
// The browser suite's page calls the emulator, and drives its faults, from its own origin.
// The write tests change accounts of their own, which the current generation knows.
const known = ['suite_w1', 'suite_w2', 'suite_w3', 'suite_w4'];
const emulator = await startEmulator({ listen: `127.0.0.1:${EMULATOR_PORT}`, allowOrigin: PAGE_ORIGIN, known });
const worker = await startWorker(
  bindingsFor(emulator, { PANEL_TOKENS: TOKEN, ALLOWED_ORIGINS: PAGE_ORIGIN }),
  { port: WORKER_PORT },
);
let code = 1;
try {
  // A browser suite's page is served where the Worker allows it (wasm-bindgen-test-runner).
  const env = { WASM_BINDGEN_TEST_ADDRESS: PAGE_ORIGIN.replace('http://', ''), ...process.env };
  const child = spawn(command[0], command.slice(1), { stdio: 'inherit', env });
  [code] = await once(child, 'exit');
  // What the Worker said while the command ran is held to the same rule as in every test file.
  await assertNoSecrets();
} finally {
  await worker.dispose();
  await emulator.stop();
}
process.exit(code ?? 1);
