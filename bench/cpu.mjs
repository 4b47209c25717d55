// The CPU time of a Worker's runtime process, read from /proc: a view of a load that a slow
// spell of this shared machine moves less than throughput.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The runtime process listening on `port` (the one that serves a Worker started there). */
export const pidOn = (port) => Number(/pid=(\d+)/.exec(execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' }))[1]);

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/** CPU milliseconds, user and system, that a process has used so far. */
export function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
