// Signs each case read from stdin with the official npm signer at the case's fixed time.
import { createRequire } from 'node:module';
import { text } from 'node:stream/consumers';

const { Api } = createRequire(import.meta.url)('tls-sig-api-v2');

const sigs = JSON.parse(await text(process.stdin)).map((c) => {
  Date.now = () => c.time * 1000;
  const api = new Api(c.sdkappid, c.key);
  return c.userbuf === null
    ? api.genUserSig(c.identifier, c.expire)
    : api.genSig(c.identifier, c.expire, Buffer.from(c.userbuf, 'base64'));
});
process.stdout.write(JSON.stringify(sigs));
