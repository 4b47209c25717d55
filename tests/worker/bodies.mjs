// The hardest request bodies to refuse that fit a call's size limit, and the largest body that
// is accepted, for the Worker's tests, `make bench` and the fuzzers' seeds. Every body is built
// to end within `limit` bytes, each shape stretching one dimension of the checks as far as the
// limit lets it: fields, nesting, accounts, tags, string lengths, escapes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PATHS } from './harness.mjs';

/** The body limits of the two shapes: a get's or clear's accounts, an add's or remove's tags. */
export const LIMITS = { accounts: 64 * 1024, userTags: 1024 * 1024 };

/** A JSON list of `count` items written by `item(i)`, as text. */
const list = (count, item) => `[${Array.from({ length: count }, (_, i) => item(i)).join(',')}]`;

/** How many items of `itemBytes` each fit beside `fixed` bytes within `limit`. */
const fitting = (limit, fixed, itemBytes) => Math.floor((limit - fixed) / itemBytes);

/** `{"k000000":0,...}`'s fields: `count` six-digit keys, ascending or descending. */
const keys = (count, descending) =>
  Array.from({ length: count }, (_, i) => `"k${String(descending ? count - 1 - i : i).padStart(6, '0')}":0`).join(',');

const ENTRY = '{"To_Account":"a","Tags":["t"]}';

/**
 * The worst bodies for the call at `path` whose shape is `shape` ('accounts' or 'userTags'),
 * each `{ name, path, body }` with the body at most `limit` bytes.
 */
export function worstBodies(shape, path, limit) {
  const head = shape === 'accounts' ? '{"To_Account":["a"],' : `{"UserTags":[${ENTRY}],`;
  const listField = shape === 'accounts' ? 'To_Account' : 'UserTags';
  const keyCount = fitting(limit, head.length + 1, '"k000000":0,'.length);
  const depth = fitting(limit, `{"${listField}":}`.length, 2);
  const stringBytes = limit - `{"${listField}":[""]}`.length - 64;
  const bodies = {
    'undefined fields, ascending': `${head}${keys(keyCount, false)}}`,
    'undefined fields, descending': `${head}${keys(keyCount, true)}}`,
    'deepest nesting': `{"${listField}":${'['.repeat(depth)}${']'.repeat(depth)}}`,
    'most accounts': `{"${listField}":${shape === 'accounts' ? list(fitting(limit, 32, 4), () => '"a"') : list(fitting(limit, 32, 3), () => '{}')}}`,
    'longest string': `{"${listField}":["${'x'.repeat(stringBytes)}"]}`,
    'most escapes': `{"${listField}":["${'\\u0041'.repeat(Math.floor(stringBytes / 6))}"]}`,
    'longest field name': `{"${'k'.repeat(stringBytes)}":0}`,
    // Six bytes each once quoted in a message, as in the body.
    'field names of control characters': `${head}${Array.from({ length: 6 }, (_, i) => `"${'\\u0001'.repeat(40)}${i}":0`).join(',')}}`,
  };
  if (shape === 'userTags') {
    // Just within the structure the Worker scans for before parsing (20,604 parts for a remove):
    // the most undefined fields that reach the parser.
    bodies['undefined fields, 20,000'] = `${head}${keys(20_000, false)}}`;
    const entryKeys = fitting(limit, ENTRY.length + 32, '"k000000":0,'.length);
    bodies['undefined fields in an entry'] = `{"UserTags":[{"To_Account":"a","Tags":["t"],${keys(entryKeys, false)}}]}`;
    bodies['most tags'] = `{"UserTags":[{"To_Account":"a","Tags":${list(fitting(limit, 64, 4), () => '"t"')}}]}`;
  }
  return Object.entries(bodies).map(([name, body]) => {
    if (body.length > limit) throw new Error(`${name}: ${body.length} bytes, over ${limit}`);
    return { name, path, body };
  });
}

/** Every worst body: a get's at 64 KiB and a remove's at 1 MiB, both of the current generation. */
export const allWorstBodies = () => [
  ...worstBodies('accounts', PATHS.timpush.get, LIMITS.accounts),
  ...worstBodies('userTags', PATHS.timpush.remove, LIMITS.userTags),
];

/**
 * The largest body a call accepts within 1 MiB: a remove of 100 tags of 50 bytes from each of
 * 100 accounts, each tag's first letters written as `\u` escapes until the body fills the limit.
 */
export function largestValidBody(limit = LIMITS.userTags) {
  const tag = (account, i, escaped) => {
    const text = `${account}-${String(i).padStart(3, '0')}-`.padEnd(50, 'x');
    const head = [...text.slice(0, escaped)].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
    return `"${head}${text.slice(escaped)}"`;
  };
  const body = (escaped) => `{"UserTags":${list(100, (a) => `{"To_Account":"user_${a}","Tags":${list(100, (i) => tag(`u${a}`, i, escaped))}}`)}}`;
  let escaped = 0;
  while (escaped < 50 && body(escaped + 1).length <= limit) escaped++;
  return { name: 'largest valid body', path: PATHS.timpush.remove, body: body(escaped) };
}

// `node tests/worker/bodies.mjs DIR`: writes the worst bodies into DIR, as the fuzzers' seeds.
if (process.argv[1] === import.meta.filename) {
  const dir = process.argv[2];
  mkdirSync(dir, { recursive: true });
  for (const [i, { body }] of allWorstBodies().entries()) writeFileSync(join(dir, `worst-${i}.json`), body);
}
