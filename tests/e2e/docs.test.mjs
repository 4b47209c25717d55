// The documentation stands alone: the repository's Markdown files link only to files of the
// repository (or to web addresses), every relative link reaches a file that exists, every
// `#anchor` a heading of its target (as GitHub writes heading ids), and no page refers to
// documents kept outside the repository.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/**
 * The Markdown files of the repository, relative to its root: those git tracks, and new ones
 * not yet added that git does not ignore (pkg/, node_modules/ and target/ are ignored). Without
 * git, the top-level pages and docs/.
 */
function markdownFiles() {
  try {
    const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z', '--', '*.md'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return [...new Set(listed.split('\0').filter(Boolean))].filter((file) => existsSync(join(root, file))).sort();
  } catch {
    const top = ['README.md', 'SECURITY.md', 'BENCHMARKS.md'].filter((file) => existsSync(join(root, file)));
    const docs = existsSync(join(root, 'docs'))
      ? readdirSync(join(root, 'docs')).filter((file) => file.endsWith('.md')).map((file) => `docs/${file}`)
      : [];
    return [...top, ...docs].sort();
  }
}

const files = markdownFiles();
const texts = new Map(files.map((file) => [file, readFileSync(join(root, file), 'utf8')]));

/** The lines of a Markdown text outside fenced code blocks, with their line numbers (from 1). */
function proseLines(text) {
  const lines = [];
  let fence = null;
  text.split('\n').forEach((line, index) => {
    const opening = line.match(/^ {0,3}(`{3,}|~{3,})/);
    if (fence) {
      if (opening && opening[1][0] === fence[0] && opening[1].length >= fence.length && !/\S/.test(line.slice(line.indexOf(opening[1]) + opening[1].length))) {
        fence = null;
      }
      return;
    }
    if (opening) {
      fence = opening[1];
      return;
    }
    lines.push({ line, number: index + 1 });
  });
  return lines;
}

/** A line with its code spans blanked out, so that code that looks like a link is not one. */
const withoutCode = (line) => line.replace(/(`+)(?:(?!\1)[^])*?\1/g, (span) => ' '.repeat(span.length));

/** The link targets of a Markdown text, with where each is. */
function links(text) {
  const found = [];
  for (const { line, number } of proseLines(text)) {
    const prose = withoutCode(line);
    const patterns = [
      /!?\[[^\]]*\]\(\s*<([^>]*)>[^)]*\)/g, // [text](<target>)
      /!?\[[^\]]*\]\(\s*([^)\s<][^)\s]*)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g, // [text](target "title")
      /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/g, // [label]: target
      /<([a-z][a-z0-9+.-]*:[^>\s]*)>/gi, // <scheme:...>
      /\b(?:href|src)\s*=\s*"([^"]*)"/gi, // HTML
    ];
    for (const pattern of patterns) {
      for (const match of prose.matchAll(pattern)) found.push({ target: match[1], number });
    }
  }
  return found;
}

/** A heading's text as GitHub renders it: links, images, code marks, emphasis and HTML undone. */
function rendered(heading) {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`/g, '')
    .replace(/\*+/g, '')
    .trim();
}

/** GitHub's id of a heading: lower case, anything but letters, digits, `_`, `-` and spaces dropped, spaces as `-`. */
const slug = (heading) =>
  rendered(heading)
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');

/** The anchors a Markdown text has: its headings' ids (a repeated one gets -1, -2, ...) and any HTML ids. */
function anchors(text) {
  const ids = new Set();
  const seen = new Map();
  const add = (base) => {
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    ids.add(count === 0 ? base : `${base}-${count}`);
  };
  const lines = proseLines(text);
  lines.forEach(({ line, number }, index) => {
    const atx = line.match(/^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/);
    if (atx) {
      add(slug(atx[1] ?? ''));
      return;
    }
    const next = lines[index + 1];
    const underline = next && next.number === number + 1 && /^ {0,3}(?:=+|-+)[ \t]*$/.test(next.line);
    const paragraph = /\S/.test(line) && !/^ {0,3}(?:[|>*+-]|\d+[.)]\s|#)/.test(line);
    if (underline && paragraph && (index === 0 || !/\S/.test(lines[index - 1].line) || lines[index - 1].number !== number - 1)) {
      add(slug(line));
    }
    for (const match of withoutCode(line).matchAll(/<a\s[^>]*(?:name|id)\s*=\s*"([^"]+)"/gi)) ids.add(match[1]);
  });
  return ids;
}

const WEB = /^(?:https?:|mailto:)/i;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/** What is wrong with a link from `file` to `target`, if anything. */
function problemOf(file, target) {
  if (WEB.test(target) || target.startsWith('//')) return null;
  if (SCHEME.test(target)) return `links to ${target}, which is neither a web address nor a file of the repository`;
  if (target.startsWith('/')) return `links to the absolute path ${target}: link to files of the repository by relative paths`;
  const hash = target.indexOf('#');
  const pathPart = (hash === -1 ? target : target.slice(0, hash)).split('?')[0];
  const fragment = hash === -1 ? null : decodeURIComponent(target.slice(hash + 1));
  const path = decodeURIComponent(pathPart);
  const absolute = path === '' ? join(root, file) : resolve(root, dirname(file), path);
  const inside = relative(root, absolute);
  if (inside === '..' || inside.startsWith('../') || inside.startsWith('..\\') || isAbsolute(inside)) {
    return `links to ${target}, outside the repository`;
  }
  if (!existsSync(absolute)) return `links to ${target}, which does not exist`;
  if (fragment === null || fragment === '') return null;
  if (statSync(absolute).isDirectory() || !absolute.endsWith('.md')) return null;
  const targetFile = relative(root, absolute);
  const text = texts.get(targetFile) ?? readFileSync(absolute, 'utf8');
  return anchors(text).has(fragment) ? null : `links to ${target}, but ${targetFile} has no heading #${fragment}`;
}

test('the Markdown files are found: the README, SECURITY.md and the docs/ pages', () => {
  for (const file of ['README.md', 'SECURITY.md']) assert.ok(files.includes(file), `${file} is not among ${files.join(', ')}`);
  assert.ok(files.some((file) => file.startsWith('docs/')), `no docs/ page among ${files.join(', ')}`);
});

test('no Markdown file refers to the spec pages kept outside the repository', () => {
  const problems = [];
  for (const [file, text] of texts) {
    text.split('\n').forEach((line, index) => {
      if (/shared\/spec/i.test(line)) problems.push(`${file}:${index + 1} mentions shared/spec`);
    });
  }
  assert.deepEqual(problems, []);
});

test('every link is a web address or a file of the repository that exists, and every anchor a heading of its target', () => {
  const problems = [];
  let checked = 0;
  for (const [file, text] of texts) {
    for (const { target, number } of links(text)) {
      checked += 1;
      const problem = problemOf(file, target);
      if (problem) problems.push(`${file}:${number} ${problem}`);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(checked > 0, 'no links found at all: the link reader is broken');
});

test('the README links to every docs/ page', () => {
  const readme = links(texts.get('README.md') ?? '').map(({ target }) => target.split('#')[0]);
  const missing = files.filter((file) => file.startsWith('docs/') && !readme.includes(file));
  assert.deepEqual(missing, []);
});

test('the checks themselves: GitHub ids, fences, code spans, and paths outside the repository', () => {
  assert.equal(slug("The Worker's answers"), 'the-workers-answers');
  assert.equal(slug('`POST /history/{id}/undo`'), 'post-historyidundo');
  assert.equal(slug('addTags, removeTags, clearTags'), 'addtags-removetags-cleartags');
  assert.equal(slug('[The history](x.md) of `TIM_TAG_API`'), 'the-history-of-tim_tag_api');
  const sample = '# A\n\n## A\n\n```md\n## Not a heading\n[no](../../outside.md)\n```\n\nB\n---\n\n`[no](/etc/passwd)` [yes](#a-1)\n';
  assert.deepEqual([...anchors(sample)], ['a', 'a-1', 'b']);
  assert.deepEqual(links(sample).map(({ target }) => target), ['#a-1']);
  assert.match(problemOf('README.md', '../outside/spec.md'), /outside the repository/);
  assert.match(problemOf('docs/worker.md', '../../README.md'), /outside the repository/);
  assert.match(problemOf('README.md', '/work/elsewhere/page.md'), /absolute path/);
  assert.match(problemOf('README.md', 'file:///tmp/page.md'), /neither a web address/);
  assert.match(problemOf('README.md', 'docs/no-such-page.md'), /does not exist/);
  assert.match(problemOf('README.md', '#no-such-heading'), /no heading/);
  assert.equal(problemOf('README.md', 'https://developers.cloudflare.com/'), null);
  assert.equal(problemOf('README.md', 'SECURITY.md'), null);
});
