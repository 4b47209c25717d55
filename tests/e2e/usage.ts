// Compiled with --strict by types.test.mjs: what the declarations allow, and what they refuse.
import init, { getTags, TimError, type Options, type TagApi, type UserTags } from '../../pkg/tim_tags.js';

await init();
const controller = new AbortController();
const api: TagApi = 'timpush';
const options: Options = {
  endpoint: 'https://tags.example.workers.dev',
  api,
  token: 'a-panel-token',
  signal: controller.signal,
  timeoutMs: 5000,
  maxCallsPerSecond: 50,
  onProgress: (done: number, total: number) => console.log(done / total),
};
const tags: UserTags[] = await getTags(['xiaojun'], options);
const first: string[] = tags[0].Tags;
const failed: number | undefined = tags[0].ErrorCode;
console.log(first, failed, tags[0].ErrorInfo);
try {
  await getTags([]);
} catch (error) {
  if (error instanceof TimError) {
    const code: number = error.code;
    const status: number | undefined = error.status;
    const asError: Error = error;
    console.log(code, status, error.info, asError.message);
  }
}

// @ts-expect-error accounts are strings
await getTags([42]);
// @ts-expect-error timeoutMs is a number
await getTags(['a'], { timeoutMs: '5000' });
// @ts-expect-error there is no such option
await getTags(['a'], { retries: 3 });
// @ts-expect-error api is one of the two generations
await getTags(['a'], { api: 'v4' });
// @ts-expect-error Tags are strings
const wrong: number[] = tags[0].Tags;
console.log(wrong);
// @ts-expect-error TimError is not constructed by callers
new TimError();
