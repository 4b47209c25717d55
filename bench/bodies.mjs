// The hardest bodies to refuse (tests/worker/bodies.mjs) through our Worker, each beside the
// largest body it accepts, measured in the same run: refusing the worst 1 MiB body should cost
// no more than forwarding the largest valid one. `node bench/bodies.mjs` prints these rows alone;
// `make bench` prints them with the rest.
import { WRITE_TOKEN, bindingsFor, startEmulator, startWorker } from '../tests/worker/harness.mjs';
import { allWorstBodies, largestValidBody } from '../tests/worker/bodies.mjs';

/** Sends of each body per slice, and slices per body; the bodies take turns a slice at a time. */
const SENDS = 5;
const SLICES = 4;

/** Milliseconds of each send of `body` through `worker`; throws unless answered with `status`. */
async function timed(worker, { path, body, name }, status) {
  const times = [];
  for (let i = 0; i < SENDS; i++) {
    const started = performance.now();
    const answer = await worker.send(path, { token: WRITE_TOKEN, body });
    times.push(performance.now() - started);
    if (answer.status !== status) throw new Error(`${name}: ${answer.status} ${answer.text.slice(0, 200)}`);
  }
  return times;
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];

/**
 * Rows `row(what, ours, baseline, ratio, goal)` for every worst body against the largest valid
 * body, the bodies taking turns so that a slow spell of the machine falls on all alike.
 */
export async function bodyRows(row, fixed) {
  const emulator = await startEmulator({ api: 'timpush', callsPerSecond: 1_000_000_000 });
  const worker = await startWorker(bindingsFor(emulator, { TIM_TAG_API: 'timpush' }));
  try {
    const valid = largestValidBody();
    const worst = allWorstBodies();
    const times = new Map([valid, ...worst].map((body) => [body, []]));
    for (const body of times.keys()) await timed(worker, body, body === valid ? 200 : 400); // warm-up
    for (let slice = 0; slice < SLICES; slice++) {
      const order = slice % 2 ? [...times.keys()].reverse() : [...times.keys()];
      for (const body of order) times.get(body).push(...(await timed(worker, body, body === valid ? 200 : 400)));
    }
    const baseline = median(times.get(valid));
    for (const body of worst) {
      const ms = median(times.get(body));
      row(`Bad bodies: ms to refuse ${body.path.split('/').pop()}, ${fixed(body.body.length / 1024, 0)} KiB, ${body.name} (median of ${SENDS * SLICES})`,
        fixed(ms), `the largest valid body (${fixed(valid.body.length / 1024, 0)} KiB) forwarded in ${fixed(baseline)}`,
        `${fixed(ms / baseline)}× its time`, '≤ 1×');
    }
  } finally {
    await worker.dispose();
    await emulator.stop();
  }
}

if (process.argv[1] === import.meta.filename) {
  const rows = [];
  await bodyRows((...cells) => rows.push(cells), (n, digits = 2) => n.toFixed(digits));
  console.log('| what | ours | baseline | ratio | goal |\n| --- | --- | --- | --- | --- |');
  for (const cells of rows) console.log(`| ${cells.join(' | ')} |`);
}
