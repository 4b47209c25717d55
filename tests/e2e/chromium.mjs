// Debian's Chromium driven by playwright-core, and a static file server for pages under test.
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = fileURLToPath(new URL('../..', import.meta.url));
/** Screenshots for people to look at; git-ignored. */
export const screenshots = join(root, 'target/screenshots');

/** A headless Chromium with a fresh profile and no background traffic. */
export async function launch() {
  await mkdir(screenshots, { recursive: true });
  const profile = await mkdtemp(join(tmpdir(), 'tim-tags-chromium-'));
  return chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/**
 * Opens `url` in a new page of `browser`, waits for its `#out` to leave 'pending', keeps a
 * screenshot named `shot`, and gives what `#out` then holds, read as JSON.
 */
export async function visitOutcome(browser, url, shot) {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById('out').textContent !== 'pending');
    await page.screenshot({ path: join(screenshots, `${shot}.png`) });
    return JSON.parse(await page.textContent('#out'));
  } finally {
    await page.close();
  }
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };

/** Serves the files under `dir` on a free loopback port; resolves to its origin and a stop function. */
export async function serveFiles(dir) {
  const server = createServer(async (request, response) => {
    const path = join(dir, normalize(decodeURIComponent(new URL(request.url, 'http://x').pathname)));
    const file = path.endsWith('/') ? join(path, 'index.html') : path;
    if (!file.startsWith(dir) || !(await stat(file).catch(() => null))?.isFile()) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(response);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}
