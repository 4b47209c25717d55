// `make dev` as a person runs it: on ports of their choosing, and with a clear stop when a
// port is taken.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { API, CONTROL_HEADER } from '../worker/harness.mjs';
import { root } from './chromium.mjs';

const DEV_PORT = 8767;
const EMULATOR_PORT = 9767;

/** Runs `make dev` with these ports in a process group of its own; collects what it prints. */
function makeDev(devPort, emulatorPort) {
  const child = spawn('make', ['--no-print-directory', 'dev', `DEV_PORT=${devPort}`, `EMULATOR_PORT=${emulatorPort}`], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => (output.stdout += chunk));
  child.stderr.on('data', (chunk) => (output.stderr += chunk));
  const exited = once(child, 'exit');
  return { child, output, exited, stop: () => process.kill(-child.pid, 'SIGINT') };
}

async function until(condition, seconds, what) {
  for (let waited = 0; !(await condition()); waited += 0.25) {
    if (waited > seconds) throw new Error(`${what} after ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const listening = (port) =>
  new Promise((resolve) => {
    const probe = createServer().once('error', () => resolve(true));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)));
  });

test('make dev runs the Worker against the emulator on the ports it is given', { timeout: 240_000 }, async () => {
  const dev = makeDev(DEV_PORT, EMULATOR_PORT);
  try {
    await until(() => dev.output.stdout.includes(`http://127.0.0.1:${DEV_PORT}/`), 180, `no banner:\n${dev.output.stderr}`);
    assert.match(dev.output.stdout, new RegExp(`emulator +http://127\\.0\\.0\\.1:${EMULATOR_PORT}`));
    const devVars = await readFile(join(root, '.dev.vars'), 'utf8');
    const token = /^PANEL_TOKENS=([^,\n]+)/m.exec(devVars)[1];
    assert.ok(dev.output.stdout.includes(token), 'the banner does not give the token');
    const key = /^TIM_SECRET_KEY=(.+)$/m.exec(devVars)[1];
    assert.ok(!`${dev.output.stdout}${dev.output.stderr}`.includes(key), 'the secret key was printed');
    const answer = await fetch(`http://127.0.0.1:${DEV_PORT}${API}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: JSON.stringify({ To_Account: ['xiaojun'] }),
    }).then((r) => r.json());
    assert.deepEqual(answer.UserTags, [{ To_Account: 'xiaojun', Tags: ['cn', 'trial'] }]);
    const calls = await fetch(`http://127.0.0.1:${EMULATOR_PORT}/_emulator/calls`, { headers: CONTROL_HEADER }).then((r) => r.json());
    assert.deepEqual(calls.map((c) => c.accounts), [['xiaojun']], 'the Worker did not call the emulator on EMULATOR_PORT');
  } finally {
    dev.stop();
    await dev.exited;
  }
  await until(async () => !(await listening(DEV_PORT)) && !(await listening(EMULATOR_PORT)), 20, 'still listening after Ctrl-C');
});

test('make dev stops at once, saying which port is taken, when one is', { timeout: 120_000 }, async () => {
  for (const [taken, devPort, emulatorPort] of [[EMULATOR_PORT, DEV_PORT, EMULATOR_PORT], [DEV_PORT, DEV_PORT, EMULATOR_PORT]]) {
    const squatter = createServer().listen(taken, '127.0.0.1');
    await once(squatter, 'listening');
    try {
      const dev = makeDev(devPort, emulatorPort);
      const [code] = await dev.exited;
      assert.notEqual(code, 0);
      assert.match(dev.output.stderr, new RegExp(`port ${taken} on 127\\.0\\.0\\.1 is already in use`));
      assert.ok(!dev.output.stdout.includes('read token'), 'the banner was printed');
    } finally {
      squatter.close();
    }
  }
});
