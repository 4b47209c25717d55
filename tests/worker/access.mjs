// Cloudflare Access as the tests stand in for it: a team's RS256 key set served on loopback,
// with keys generated here, and the tokens Access would put on the requests it lets through.
import { createSign, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';

export const TEAM = 'tim-tags-test.cloudflareaccess.com';
export const AUD = 'test-application-audience-tag';
const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
/** The key the team signs with, published as `k1`. */
export const signing = pair();
/** A key the team does not publish, unless a test does. */
export const other = pair();

export const b64url = (data) => Buffer.from(data).toString('base64url');

/** An Access token; `claims` and `header` override the valid defaults. */
export function jwt({ claims = {}, header = {}, key = signing.privateKey } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const head = b64url(JSON.stringify({ alg: 'RS256', kid: 'k1', typ: 'JWT', ...header }));
  const body = b64url(JSON.stringify({
    aud: [AUD], iss: `https://${TEAM}`, email: 'ops@example.com', sub: 'user-1',
    iat: now, nbf: now - 5, exp: now + 300, ...claims,
  }));
  const signature = createSign('RSA-SHA256').update(`${head}.${body}`).sign(key);
  return `${head}.${body}.${b64url(signature)}`;
}

/**
 * Serves the team's key set on loopback: `published` holds its keys (`{ kid, key }`, `k1`
 * first), `fetches()` counts the requests for it.
 */
export async function startKeySet() {
  const published = [{ kid: 'k1', key: signing.publicKey }];
  let fetches = 0;
  const server = createServer((request, response) => {
    fetches++;
    const keys = published.map(({ kid, key }) => ({ ...key.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }));
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/certs`;
  return {
    url,
    published,
    fetches: () => fetches,
    /** The Worker's settings for Access with this key set. */
    settings: (extra = {}) => ({ ACCESS_TEAM_DOMAIN: TEAM, ACCESS_AUD: AUD, ACCESS_CERTS_URL: url, ...extra }),
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}
