// The reference: the same Worker written the way one would without tim-tags, in plain
// JavaScript with the official npm signer under nodejs_compat, doing the job the README's
// Routes describe: the eight paths with their body checks, read and write tokens, the
// request and audit log lines, and the same answers. For `make bench` only.
import TLSSigAPIv2 from 'tls-sig-api-v2';

const OPERATIONS = {
  get: { paths: ['/v4/all_member_push/im_get_tag', '/v4/timpush/get_tag'], write: false },
  add: { paths: ['/v4/all_member_push/im_add_tag', '/v4/timpush/add_tag'], write: true, maxTags: 10 },
  remove: { paths: ['/v4/all_member_push/im_remove_tag', '/v4/timpush/remove_tag'], write: true, maxTags: 100 },
  clear: { paths: ['/v4/all_member_push/im_remove_all_tags', '/v4/timpush/clear_all_tags'], write: true },
};
const CALLS = new Map();
for (const [op, { paths }] of Object.entries(OPERATIONS)) {
  paths.forEach((path, i) => CALLS.set(path, { op, api: i ? 'timpush' : 'all_member_push', ...OPERATIONS[op] }));
}
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const encoder = new TextEncoder();
const bytes = (text) => encoder.encode(text).length;
let usersig = null;

class Refusal extends Error {
  constructor(status, code, info) {
    super(info);
    Object.assign(this, { status, code });
  }
}
const invalid = (info) => new Refusal(400, 90001, info);

function tokens(env) {
  const list = [];
  for (const [setting, scope, prefix] of [['PANEL_TOKENS', 'read', 'token'], ['PANEL_WRITE_TOKENS', 'write', 'write-token']]) {
    (env[setting] ?? '').split(',').map((e) => e.trim()).filter(Boolean).forEach((entry, i) => {
      const at = entry.indexOf(':');
      list.push(at < 0 ? { name: `${prefix}-${i + 1}`, token: entry, scope } : { name: entry.slice(0, at), token: entry.slice(at + 1), scope });
    });
  }
  return list;
}

function caller(request, env) {
  const match = /^bearer\s+(.+)$/i.exec(request.headers.get('Authorization') ?? '');
  if (!match) return null;
  const given = encoder.encode(match[1].trim());
  let found = null;
  for (const entry of tokens(env)) {
    const known = encoder.encode(entry.token);
    if (known.length === given.length && crypto.subtle.timingSafeEqual(known, given)) found = entry;
  }
  return found;
}

function account(api, value, place) {
  if (typeof value !== 'string') throw invalid(`${place} is not a string`);
  if (!value.isWellFormed()) throw invalid(`${place} is not well-formed Unicode: it holds a lone surrogate`);
  if (!value) throw invalid(`${place} is empty`);
  if (bytes(value) > 32 && !(api === 'timpush' && UUID.test(value))) throw invalid(`${place} is too long`);
  return value;
}

function list(body, field) {
  const items = body[field];
  if (!Array.isArray(items)) throw invalid(`${field} must be present and be an array`);
  if (!items.length) throw invalid(`${field} is empty`);
  if (items.length > 100) throw new Refusal(400, 90018, `${field} has ${items.length} accounts; at most 100 are allowed per call`);
  return items;
}

function onlyFields(object, fields, what) {
  for (const key of Object.keys(object)) if (!fields.includes(key)) throw invalid(`${what} has the field "${key}"`);
}

/** The checked body to send on, written anew. */
function check(call, body) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('expected a JSON object');
  if (!call.maxTags) {
    onlyFields(body, ['To_Account'], 'the body');
    const accounts = list(body, 'To_Account').map((a, i) => account(call.api, a, `To_Account[${i}]`));
    if (call.write && new Set(accounts).size !== accounts.length) throw invalid('an account is named twice');
    return { accounts, tags: [], replace: false, body: { To_Account: accounts } };
  }
  const replaceAllowed = call.op === 'add' && call.api === 'timpush';
  onlyFields(body, replaceAllowed ? ['UserTags', 'Replace'] : ['UserTags'], 'the body');
  if (body.Replace !== undefined && body.Replace !== 0 && body.Replace !== 1) throw invalid('Replace must be 0 or 1');
  const maxTags = body.Replace === 1 ? 100 : call.maxTags;
  const tags = new Set();
  const entries = list(body, 'UserTags').map((entry, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid(`UserTags[${i}] must be an object`);
    onlyFields(entry, ['To_Account', 'Tags'], `UserTags[${i}]`);
    const to = account(call.api, entry.To_Account, `UserTags[${i}].To_Account`);
    if (!Array.isArray(entry.Tags) || !entry.Tags.length || entry.Tags.length > maxTags) throw invalid(`UserTags[${i}].Tags has a wrong number of tags`);
    for (const [t, tag] of entry.Tags.entries()) {
      if (typeof tag !== 'string' || !tag.isWellFormed() || !tag || bytes(tag) > 50) throw invalid(`UserTags[${i}].Tags[${t}] is not a valid tag`);
      tags.add(tag);
    }
    return { To_Account: to, Tags: entry.Tags };
  });
  const accounts = entries.map((e) => e.To_Account);
  if (new Set(accounts).size !== accounts.length) throw invalid('an account is named twice');
  const sent = { UserTags: entries };
  if (body.Replace !== undefined) sent.Replace = body.Replace;
  return { accounts, tags: [...tags], replace: body.Replace === 1, body: sent };
}

function signed(env) {
  const now = Date.now();
  if (!usersig || now - usersig.at > 12 * 3600 * 1000) {
    const api = new TLSSigAPIv2.Api(Number(env.TIM_SDKAPPID), env.TIM_SECRET_KEY);
    usersig = { at: now, sig: api.genUserSig(env.TIM_ADMIN ?? 'administrator', 86400) };
  }
  return usersig.sig;
}

const HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', Vary: 'Origin' };

export default {
  async fetch(request, env) {
    const started = Date.now();
    const id = request.headers.get('cf-ray') ?? crypto.randomUUID().replaceAll('-', '').slice(0, 16);
    const url = new URL(request.url);
    const line = { event: 'request', id, method: request.method, path: url.pathname, status: 200, code: 0, caller: null, tries: 0, upstream_ms: null, ms: 0 };
    let answer;
    try {
      answer = await handle(request, env, url, line);
    } catch (error) {
      const refusal = error instanceof Refusal ? error : new Refusal(500, 80500, 'internal error');
      line.status = refusal.status;
      line.code = refusal.code;
      line.info = refusal.message;
      answer = new Response(JSON.stringify({ ActionStatus: 'FAIL', ErrorCode: refusal.code, ErrorInfo: refusal.message }),
        { status: refusal.status, headers: { ...HEADERS, 'X-Request-Id': id } });
    }
    line.ms = Date.now() - started;
    console.log(JSON.stringify(line));
    return answer;
  },
};

async function handle(request, env, url, line) {
  if (url.pathname === '/healthz') return new Response('{"ok":true}', { headers: { ...HEADERS, 'X-Request-Id': line.id } });
  const call = CALLS.get(url.pathname);
  if (!call && url.pathname !== '/session') throw new Refusal(404, 80404, 'no endpoint');
  const who = caller(request, env);
  if (!who) throw new Refusal(401, 80401, 'missing or invalid credentials');
  line.caller = who.name;
  if (!call) {
    return new Response(JSON.stringify({ caller: who.name, scopes: who.scope === 'write' ? ['read', 'write'] : ['read'], api: env.TIM_TAG_API ?? 'all_member_push' }),
      { headers: { ...HEADERS, 'X-Request-Id': line.id } });
  }
  if (request.method !== 'POST') throw new Refusal(405, 80405, 'use POST');
  if (call.write && who.scope !== 'write') throw new Refusal(403, 80403, `${who.name} may only read tags`);
  let body;
  try {
    body = JSON.parse(await request.text());
  } catch {
    throw invalid('not valid JSON');
  }
  const checked = check(call, body);
  const query = new URLSearchParams({
    usersig: signed(env), identifier: env.TIM_ADMIN ?? 'administrator', sdkappid: env.TIM_SDKAPPID,
    random: crypto.getRandomValues(new Uint32Array(1))[0], contenttype: 'json',
  });
  const sent = Date.now();
  line.tries = 1;
  let text, code, failed = [];
  try {
    const upstream = await fetch(`${env.TIM_API_ORIGIN}${url.pathname}?${query}`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(checked.body), signal: AbortSignal.timeout(10_000),
    });
    text = await upstream.text();
    const answer = JSON.parse(text);
    code = answer.ErrorCode ?? 0;
    failed = (answer.ErrorList ?? []).map((e) => e.To_Account);
  } catch {
    code = 80502;
    throw new Refusal(502, 80502, 'the chat service could not be reached');
  } finally {
    line.upstream_ms = Date.now() - sent;
    line.code = code;
    if (call.write) {
      const outcome = code !== 0 ? 'failed' : failed.length ? 'partial' : 'ok';
      console.log(JSON.stringify({ event: 'audit', id: line.id, caller: who.name, op: call.op, api: call.api, accounts: checked.accounts, tags: checked.tags, replace: checked.replace, outcome, code, failed }));
    }
  }
  return new Response(text, { headers: { ...HEADERS, 'X-Request-Id': line.id } });
}
