import { readdirSync, readFileSync } from 'node:fs';

const ticksPerSecond = 100; // USER_HZ on Linux

/** CPU time (user + system) a process has used so far, in ms; its threads included. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name: utime is the 14th field, stime the 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/** Pids of processes whose command name is `name` (e.g. beam.smp for RabbitMQ). */
export function pidsNamed(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

/**
 * Measures the CPU time some processes spend while `work` runs.
 *
 * @example
 * const { result, cpuMs } = await measureCpu({ publish: child.pid!, postgres: () => pidsNamed('postgres') }, () => runWrk(url, options));
 */
export async function measureCpu<T>(
  pids: Record<string, number | number[] | (() => number[])>,
  work: () => Promise<T>,
): Promise<{ result: T; cpuMs: Record<string, number> }> {
  // Pids given as a function are looked up again at the end: processes started meanwhile (a database
  // backend for a new connection) count from zero.
  const resolve = () => Object.entries(pids).map(([key, ids]) => [key, typeof ids === 'function' ? ids() : [ids].flat()] as const);
  const read = (groups: ReturnType<typeof resolve>) => {
    const entries = groups.flatMap(([, ids]) => ids.map((pid) => [pid, safeCpuMs(pid)] as const));
    return new Map(entries.filter((entry): entry is readonly [number, number] => entry[1] !== undefined));
  };
  const before = read(resolve());
  const result = await work();
  const groups = resolve();
  const after = read(groups);
  // A process gone by the end (a short-lived one of the same name) is left out.
  const used = (pid: number) => (after.get(pid) ?? before.get(pid) ?? 0) - (before.get(pid) ?? 0);
  const cpuMs = Object.fromEntries(groups.map(([key, ids]) => [key, ids.reduce((sum, pid) => sum + used(pid), 0)]));
  return { result, cpuMs };
}

function safeCpuMs(pid: number): number | undefined {
  try {
    return cpuMs(pid);
  } catch {
    return undefined;
  }
}
