// The docs' code as a user takes it: the package packed with `npm pack` and installed from its
// tarball into a fresh app; every JavaScript and TypeScript block of the README and docs/
// compiled as strict TypeScript against it; every complete example run in Chromium, from a
// plain page and from a Vite build, against the local Worker and the emulator; every JSON
// block parsed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { transform } from 'esbuild';
import { build } from 'vite';
import { WRITE_TOKEN, bindingsFor, startEmulator, startWorker } from '../worker/harness.mjs';
import { launch, root, serveFiles, visitOutcome } from './chromium.mjs';

const run = promisify(execFile);

/** The local Worker's port: no other test file uses it. */
const WORKER_PORT = 8805;

/** The endpoint the examples show, which the runs point at the local Worker instead. */
const SHOWN_ENDPOINT = 'https://tags.example.workers.dev';

/** What the examples take from their surroundings, as a page of a user's panel would have it. */
const CONTEXT_NAMES = {
  panelToken: 'string',
  token: 'string',
  bar: '{ update(fraction: number, waiting: boolean): void }',
  manyChanges: "import('tim-tags').UserTags[]",
};

/** Every fenced block of the docs in `languages`: its file, line, language and code. */
async function codeBlocks(languages) {
  const files = ['README.md', ...(await readdir(join(root, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const blocks = [];
  for (const file of files) {
    const lines = (await readFile(join(root, file), 'utf8')).split('\n');
    for (let i = 0; i < lines.length; i++) {
      // A fence may be indented, in a list item; its code is taken with the indent removed.
      const open = lines[i].match(/^(\s*)```(\w*)\s*$/);
      if (!open) continue;
      const end = lines.findIndex((line, j) => j > i && /^\s*```\s*$/.test(line));
      assert.ok(end > i, `${file}:${i + 1}: a code block is never closed`);
      const code = lines.slice(i + 1, end).map((line) => line.slice(open[1].length)).join('\n');
      if (languages.includes(open[2])) blocks.push({ file, line: i + 1, language: open[2], code });
      i = end;
    }
  }
  return blocks;
}

/** The module scripts of an HTML block, as JavaScript. */
const moduleScripts = (html) => [...html.matchAll(/<script type="module">([\s\S]*?)<\/script>/g)].map((m) => m[1]);

/** A fragment that calls the package without importing it uses the imports the README shows. */
const IMPORTS = (await readFile(join(root, 'README.md'), 'utf8')).match(/^import init, \{[^}]*\} from 'tim-tags';$/m)[0];
const asModule = (code) => (/^\s*import /m.test(code) ? code : `${IMPORTS}\n${code}`);
const label = (block) => `${block.file}:${block.line}`;

let app, emulator, worker, site, viteSite, browser;

before(async () => {
  app = await mkdtemp(join(tmpdir(), 'tim-tags-examples-'));
  const tarball = JSON.parse((await run('npm', ['pack', '--json', '--pack-destination', app], { cwd: join(root, 'pkg') })).stdout)[0].filename;
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'examples', private: true, type: 'module' }));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(app, tarball)], { cwd: app });
});

after(async () => {
  await browser?.close();
  await worker?.dispose();
  await emulator?.stop();
  await site?.stop();
  await viteSite?.stop();
  if (app) await rm(app, { recursive: true, force: true });
});

test('the package installs from its tarball with its files, and nothing else', async () => {
  const installed = (await readdir(join(app, 'node_modules/tim-tags'))).sort();
  for (const file of ['README.md', 'package.json', 'tim_tags.d.ts', 'tim_tags.js', 'tim_tags_bg.wasm']) {
    assert.ok(installed.includes(file), `${file} is not installed: ${installed.join(', ')}`);
  }
  const lock = JSON.parse(await readFile(join(app, 'package-lock.json'), 'utf8'));
  assert.deepEqual(Object.keys(lock.packages).filter((p) => p), ['node_modules/tim-tags'], 'the package brought dependencies');
});

test('every JavaScript and TypeScript block of the docs compiles as strict TypeScript against the installed package', async () => {
  const blocks = await codeBlocks(['js', 'ts', 'html']);
  assert.ok(blocks.length >= 8, `only ${blocks.length} blocks found`);
  const dir = join(app, 'compiled');
  await mkdir(dir, { recursive: true });
  const context = Object.entries(CONTEXT_NAMES).map(([name, type]) => `declare const ${name}: ${type};`).join('\n');
  await writeFile(join(dir, 'context.d.ts'), `${context}\n`);
  const names = new Map();
  for (const [i, block] of blocks.entries()) {
    const sources = block.language === 'html' ? moduleScripts(block.code) : [block.code];
    for (const [j, code] of sources.entries()) {
      const name = `block-${i}-${j}.${block.language === 'ts' ? 'ts' : 'js'}`;
      names.set(name, label(block));
      // Each block is a module of its own, so that blocks do not see each other's names.
      await writeFile(join(dir, name), `${asModule(code)}\nexport {};\n`);
    }
  }
  const flags = ['--noEmit', '--strict', '--allowJs', '--checkJs', '--target', 'es2022', '--module', 'esnext', '--moduleResolution', 'bundler', '--lib', 'es2022,dom'];
  const tsc = join(root, 'node_modules/.bin/tsc');
  const { stdout } = await run(tsc, [...flags, 'context.d.ts', ...names.keys()], { cwd: dir }).catch((e) => e);
  // Name each error by the doc and line of its block.
  const errors = stdout.replace(/block-\d+-\d+\.[jt]s/g, (name) => names.get(name) ?? name);
  assert.equal(errors, '', 'a block of the docs does not compile');
});

test('every JSON block of the docs parses: one value, or one value a line (log lines)', async () => {
  const blocks = await codeBlocks(['json']);
  assert.ok(blocks.length >= 10, `only ${blocks.length} JSON blocks found`);
  const parses = (text) => {
    try {
      JSON.parse(text);
      return true;
    } catch {
      return false;
    }
  };
  for (const block of blocks) {
    const lines = block.code.split('\n').filter((line) => line.trim());
    assert.ok(parses(block.code) || lines.every(parses), `${label(block)} is not JSON`);
  }
});

/** The complete examples: those that load the package themselves. */
async function completeExamples() {
  const blocks = await codeBlocks(['js', 'ts']);
  return blocks.filter((block) => /^import init\b/m.test(block.code) && /await init\(\)/.test(block.code));
}

/** The page that runs example `name`, whatever serves it, and says how it ended in #out. */
const CONTEXT_SCRIPT = `
  const consoleErrors = [];
  const progress = [];
  const error = console.error.bind(console);
  console.error = (...args) => { consoleErrors.push(args.map(String).join(' ')); error(...args); };
  const search = new URLSearchParams(location.search);
  Object.assign(globalThis, {
    panelToken: search.get('token'),
    token: search.get('token'),
    bar: { update: (fraction, waiting) => progress.push([fraction, waiting]) },
    // One entry the package refuses before sending anything: the batch stops with a report.
    manyChanges: [{ To_Account: 'user_0001', Tags: ['vip'] }, { To_Account: '', Tags: ['vip'] }],
    ended: (outcome) => {
      document.getElementById('out').textContent = JSON.stringify({ ...outcome, consoleErrors, progress });
    },
  });
`;
const RUNNER = (file) => `import(${JSON.stringify(`./${file}`)}).then(() => ended({ ok: true }), (e) => ended({ ok: false, error: String(e?.stack ?? e) }));`;

/** The import map the package's README shows for a plain page. */
async function documentedImportMap() {
  const [html] = (await codeBlocks(['html'])).filter((block) => block.file === 'docs/npm-readme.md');
  const map = html?.code.match(/<script type="importmap">[\s\S]*?<\/script>/)?.[0];
  assert.ok(map, "the package's README shows no import map for a plain page");
  return map;
}

async function writeApp(examples, endpoint) {
  const importMap = await documentedImportMap();
  const names = [];
  for (const [i, block] of examples.entries()) {
    const name = `example-${i}`;
    names.push(name);
    const code = block.code.replaceAll(SHOWN_ENDPOINT, endpoint);
    const source = `${name}-source.${block.language}`;
    await writeFile(join(app, source), code);
    // A plain page runs JavaScript: TypeScript loses its types first, as a build step would.
    const plain = block.language === 'ts' ? (await transform(code, { loader: 'ts', format: 'esm', target: 'es2022' })).code : code;
    await writeFile(join(app, `${name}.js`), plain);
    // A plain page, with the import map that the package's README shows for one.
    await writeFile(join(app, `${name}.html`), `<!doctype html><meta charset="utf-8"><title>${label(block)}</title><pre id="out">pending</pre>
<script>${CONTEXT_SCRIPT}</script>
${importMap}
<script type="module">${RUNNER(`${name}.js`)}</script>`);
    // A bundler's page: Vite resolves the package by its name from node_modules.
    await writeFile(join(app, `${name}-context.js`), CONTEXT_SCRIPT);
    await writeFile(join(app, `${name}-vite.js`), `import './${name}-context.js';\n${RUNNER(source)}\n`);
    await writeFile(join(app, `${name}-vite.html`), `<!doctype html><meta charset="utf-8"><title>${label(block)}</title><pre id="out">pending</pre>
<script type="module" src="./${name}-vite.js"></script>`);
  }
  return names;
}


test('every complete example of the docs runs, from a plain page and from a Vite build, against the Worker', async () => {
  const examples = await completeExamples();
  assert.ok(examples.some((block) => block.file === 'README.md'), 'the README has no complete example');
  assert.ok(examples.some((block) => block.file === 'docs/npm-readme.md'), "the package's README has no complete example");
  emulator = await startEmulator();
  // Both servers are up before the Worker starts, so that it allows their origins.
  site = await serveFiles(app);
  const viteDir = join(app, 'dist');
  const names = await writeApp(examples, `http://127.0.0.1:${WORKER_PORT}`);
  const input = Object.fromEntries(names.map((name) => [name, join(app, `${name}-vite.html`)]));
  await build({ root: app, logLevel: 'warn', build: { outDir: viteDir, target: 'es2022', rollupOptions: { input } } });
  viteSite = await serveFiles(viteDir);
  worker = await startWorker(bindingsFor(emulator, { ALLOWED_ORIGINS: `${site.origin},${viteSite.origin}` }), { port: WORKER_PORT });
  browser = await launch();

  for (const [i, block] of examples.entries()) {
    for (const [form, origin, page] of [['plain', site.origin, `${names[i]}.html`], ['vite', viteSite.origin, `${names[i]}-vite.html`]]) {
      const before = await (await worker.history()).prepare('SELECT count(*) AS n FROM changes').first('n');
      const outcome = await visitOutcome(browser, `${origin}/${page}?token=${WRITE_TOKEN}`, `example-${form}-${i}`);
      const where = `${label(block)} from a ${form} page`;
      assert.equal(outcome.ok, true, `${where} threw: ${outcome.error}`);
      // An example that catches a TimError prints it: only the refusal the context sets up for it.
      for (const line of outcome.consoleErrors) assert.match(line, /^90001 /, `${where} logged ${line}`);
      if (block.code.includes('manyChanges')) assert.equal(outcome.consoleErrors.length, 1, `${where} did not reach its catch`);
      if (block.code.includes('onProgress')) assert.ok(outcome.progress.length > 0, `${where}: onProgress was never called`);
      // An example that writes leaves its changes in the history.
      const written = await (await worker.history()).prepare('SELECT count(*) AS n FROM changes').first('n');
      if (/\b(addTags|removeTags|clearTags)\(\[/.test(block.code)) assert.ok(written > before, `${where} left no change in the history`);
    }
  }
});
