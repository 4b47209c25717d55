// `make dev` as a person runs it: on ports of their choosing, and with a clear stop when a
// port is taken.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { API, CONTROL_HEADER, PATHS } from '../worker/harness.mjs';
import { root } from './chromium.mjs';

const DEV_PORT = 8767;
const EMULATOR_PORT = 9767;

/** Runs `make dev` with these ports in a process group of its own; collects what it prints. */
function makeDev(devPort, emulatorPort, ...settings) {
  const args = ['--no-print-directory', 'dev', `DEV_PORT=${devPort}`, `EMULATOR_PORT=${emulatorPort}`, ...settings];
  const child = spawn('make', args, {
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

/** The first token of a `.dev.vars` list, without its name. */
const tokenOf = (devVars, list) => new RegExp(`^${list}=(?:[^,:\\n]+:)?([^,\\n]+)`, 'm').exec(devVars)[1];

/** Starts `make dev`, waits for its banner, runs `use` with the tokens, then stops it with Ctrl-C. */
async function withMakeDev(settings, use) {
  const dev = makeDev(DEV_PORT, EMULATOR_PORT, ...settings);
  try {
    await until(() => dev.output.stdout.includes(`http://127.0.0.1:${DEV_PORT}/`), 180, `no banner:\n${dev.output.stderr}`);
    const devVars = await readFile(join(root, '.dev.vars'), 'utf8');
    const reader = tokenOf(devVars, 'PANEL_TOKENS');
    const writer = tokenOf(devVars, 'PANEL_WRITE_TOKENS');
    assert.ok(dev.output.stdout.includes(`read token   ${reader}`), dev.output.stdout);
    assert.ok(dev.output.stdout.includes(`write token  ${writer}`), dev.output.stdout);
    const key = /^TIM_SECRET_KEY=(.+)$/m.exec(devVars)[1];
    assert.ok(!`${dev.output.stdout}${dev.output.stderr}`.includes(key), 'the secret key was printed');
    const send = (path, token, body) =>
      fetch(`http://127.0.0.1:${DEV_PORT}${path}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, json: await r.json() }));
    await use({ dev, reader, writer, send });
  } finally {
    dev.stop();
    await dev.exited;
  }
  await until(async () => !(await listening(DEV_PORT)) && !(await listening(EMULATOR_PORT)), 20, 'still listening after Ctrl-C');
}

test('make dev runs the Worker against the emulator on the ports it is given', { timeout: 240_000 }, async () => {
  await withMakeDev([], async ({ dev, reader, writer, send }) => {
    assert.match(dev.output.stdout, new RegExp(`emulator +http://127\\.0\\.0\\.1:${EMULATOR_PORT}`));
    assert.match(dev.output.stdout, /tag API +all_member_push/);
    const answer = await send(API, reader, { To_Account: ['xiaojun'] });
    assert.deepEqual(answer.json.UserTags, [{ To_Account: 'xiaojun', Tags: ['cn', 'trial'] }]);
    const calls = await fetch(`http://127.0.0.1:${EMULATOR_PORT}/_emulator/calls`, { headers: CONTROL_HEADER }).then((r) => r.json());
    assert.deepEqual(calls.map((c) => c.accounts), [['xiaojun']], 'the Worker did not call the emulator on EMULATOR_PORT');
    // The write token adds a tag that the next get shows; the read token may not.
    const add = { UserTags: [{ To_Account: 'xiaojun', Tags: ['made-in-dev'] }] };
    assert.equal((await send(PATHS.all_member_push.add, reader, add)).status, 403);
    assert.equal((await send(PATHS.all_member_push.add, writer, add)).json.ErrorCode, 0);
    const after = await send(API, reader, { To_Account: ['xiaojun'] });
    assert.deepEqual(after.json.UserTags, [{ To_Account: 'xiaojun', Tags: ['cn', 'trial', 'made-in-dev'] }]);
    // The history's database was made by make dev: the add is its newest change.
    const history = await fetch(`http://127.0.0.1:${DEV_PORT}/history?account=xiaojun&limit=1`, { headers: { Authorization: `Bearer ${reader}` } });
    const [change] = (await history.json()).changes;
    assert.deepEqual([change.op, change.caller, change.tags], ['add', 'dev-writer', ['made-in-dev']]);
  });
});

test('make dev TIM_TAG_API=timpush runs the current generation', { timeout: 240_000 }, async () => {
  await withMakeDev(['TIM_TAG_API=timpush'], async ({ dev, reader, writer, send }) => {
    assert.match(dev.output.stdout, /tag API +timpush/);
    const session = await fetch(`http://127.0.0.1:${DEV_PORT}/session`, { headers: { Authorization: `Bearer ${writer}` } }).then((r) => r.json());
    assert.deepEqual(session, { caller: 'dev-writer', scopes: ['read', 'write'], api: 'timpush', calls_per_second: 100, admitted_by: 'token' });
    const add = await send(PATHS.timpush.add, writer, { UserTags: [{ To_Account: 'alice', Tags: ['made-in-dev'] }, { To_Account: 'stranger', Tags: ['x'] }] });
    assert.deepEqual(add.json.ErrorList, [{ To_Account: 'stranger', ErrorCode: 70107, ErrorInfo: 'account does not exist' }]);
    const get = await send(PATHS.timpush.get, reader, { To_Account: ['alice'] });
    assert.deepEqual(get.json.UserTags, [{ To_Account: 'alice', Tags: ['beta', 'made-in-dev'] }]);
    // The app has one generation: the other's calls get the vendor's error code, not tags.
    const legacy = await send(API, reader, { To_Account: ['alice'] });
    assert.equal(legacy.json.ErrorCode, 90010);
  });
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
      // The ports it suggests are free, and neither is the one taken.
      const [, suggestedDev, suggestedEmulator] = /make dev DEV_PORT=(\d+) EMULATOR_PORT=(\d+)/.exec(dev.output.stderr);
      assert.notEqual(suggestedDev, suggestedEmulator);
      for (const port of [suggestedDev, suggestedEmulator]) {
        assert.notEqual(Number(port), taken);
        assert.equal(await listening(Number(port)), false, `suggested port ${port} is busy`);
      }
      assert.ok(!dev.output.stdout.includes('read token'), 'the banner was printed');
    } finally {
      squatter.close();
    }
  }
});

test('make dev refuses to start with settings the Worker would refuse, naming the setting and never the token', { timeout: 240_000 }, async () => {
  const path = join(root, '.dev.vars');
  const kept = await readFile(path, 'utf8').catch(() => null);
  const short = 'dev-reader:short9';
  try {
    await writeFile(path, `TIM_SECRET_KEY=${'k'.repeat(32)}\nPANEL_TOKENS=${short}\nPANEL_WRITE_TOKENS=dev-writer:${'w'.repeat(16)}\n`);
    const dev = makeDev(DEV_PORT, EMULATOR_PORT);
    const [code] = await dev.exited;
    assert.notEqual(code, 0);
    assert.match(dev.output.stderr, /PANEL_TOKENS entry 1: the token is shorter than 16 characters/);
    assert.ok(!`${dev.output.stdout}${dev.output.stderr}`.includes('short9'), 'the token was printed');
    assert.ok(!dev.output.stdout.includes('read token'), 'the banner was printed');
    await until(async () => !(await listening(DEV_PORT)) && !(await listening(EMULATOR_PORT)), 20, 'still listening after refusing');
  } finally {
    if (kept === null) await rm(path, { force: true });
    else await writeFile(path, kept);
  }
});
