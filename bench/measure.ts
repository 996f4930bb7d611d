/**
 * Timing shared by the benches: elapsed time, one timed operation, nearest-rank quantiles, and the
 * machine a figure was measured on (with its load average: other work on it shows in the tails).
 */
import os from 'node:os';

export const elapsedMs = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;

/** How long `op` took, in milliseconds, and what it gave. */
export async function timed<T>(op: () => Promise<T>): Promise<[number, T]> {
  const t0 = process.hrtime.bigint();
  const result = await op();
  return [elapsedMs(t0), result];
}

/** Nearest rank: the smallest sample with at least a fraction q of the samples at or below it. */
export function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

export const loadAverage = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

/** Node, the CPUs, the system, the time and the load average. */
export const machine = () =>
  `Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${os.platform()} ${os.release()}, ${new Date().toISOString()}, load average ${loadAverage()}`;
