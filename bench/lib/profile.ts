import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time by function, largest first. */
  topFrames: { frame: string; selfMs: number; share: number }[];
  /** Self time by package (node_modules name, node internals, own code, GC/idle). */
  byPackage: { name: string; selfMs: number; share: number }[];
}

/**
 * Summarises a `node --cpu-prof` profile: where the CPU time went, by function and by package.
 *
 * @example
 * const summary = summariseProfile('CPU.2026.cpuprofile', 15);
 * for (const f of summary.topFrames) console.log(f.selfMs, f.frame);
 */
export function summariseProfile(file: string, top = 15, options: { includeIdle?: boolean } = {}): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, index) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const frames = new Map<string, number>();
  const packages = new Map<string, number>();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (!options.includeIdle && functionName === '(idle)') continue;
    totalUs += us;
    const frame = `${functionName || '(anonymous)'} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`;
    frames.set(frame, (frames.get(frame) ?? 0) + us);
    const name = packageOf(functionName, url);
    packages.set(name, (packages.get(name) ?? 0) + us);
  }
  const rank = (entries: Map<string, number>) => [...entries].sort((a, b) => b[1] - a[1]).map(([key, us]) => ({ key, selfMs: us / 1000, share: us / totalUs }));
  return {
    totalMs: totalUs / 1000,
    topFrames: rank(frames)
      .slice(0, top)
      .map(({ key, selfMs, share }) => ({ frame: key, selfMs, share })),
    byPackage: rank(packages)
      .slice(0, top)
      .map(({ key, selfMs, share }) => ({ name: key, selfMs, share })),
  };
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  return url.replace(/^file:\/\/.*?\/(shared|functions|bench)\//, '$1/').replace(/^file:\/\/.*\//, '');
}

function packageOf(functionName: string, url: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const modules = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1]!;
  return shortUrl(url);
}

/**
 * The summary as text. With `cpuUsPerUnit` (CPU µs per request or message, measured from /proc over the timed runs),
 * each row also shows its share of that: the profiler's time deltas are wall clock between samples, so on a loaded
 * machine its milliseconds overstate CPU, while its shares still say where the CPU goes.
 */
export function formatSummary(summary: ProfileSummary, cpuUsPerUnit?: number): string {
  const percent = (share: number) => `${(share * 100).toFixed(1).padStart(5)} %`;
  const each = (share: number) => (cpuUsPerUnit ? `  ${(share * cpuUsPerUnit).toFixed(1).padStart(6)} µs` : '');
  return [
    `CPU ${summary.totalMs.toFixed(0)} ms sampled (idle excluded)${cpuUsPerUnit ? `; ${cpuUsPerUnit.toFixed(1)} µs CPU per unit measured, split by share` : ''}`,
    'by package:',
    ...summary.byPackage.map((p) => `  ${percent(p.share)}  ${p.selfMs.toFixed(0).padStart(6)} ms${each(p.share)}  ${p.name}`),
    'top frames (self time):',
    ...summary.topFrames.map((f) => `  ${percent(f.share)}  ${f.selfMs.toFixed(0).padStart(6)} ms${each(f.share)}  ${f.frame}`),
  ].join('\n');
}
