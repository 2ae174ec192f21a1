import type { ScaleDecision } from '../autoscaler/decide';
import { parseLogLine } from '../supervisor/replica';
import type { LocalStatus, ReplicaEvent } from '../runner';

const hiddenLogFields = new Set(['level', 'time', 'pid', 'hostname', 'name', 'function', 'msg']);

/** `[store-message#1]`: which process a line comes from. */
export const replicaPrefix = (fn: string, index: number) => `[${fn}#${index}]`;

/** A replica's output line, its JSON log shortened to "level msg key=value …". */
export function formatOutputLine(event: { function: string; index: number; stream: 'stdout' | 'stderr'; line: string }): string {
  const log = parseLogLine(event.line);
  if (!log) return `${replicaPrefix(event.function, event.index)} ${event.line}`;
  const fields = Object.entries(log)
    .filter(([key]) => !hiddenLogFields.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return `${replicaPrefix(event.function, event.index)} ${String(log.level ?? '').padEnd(5)} ${String(log.msg ?? '')}${fields.length ? ` ${fields.join(' ')}` : ''}`;
}

const describeExit = (event: { code: number | null; signal: string | null }) => (event.signal ? `signal ${event.signal}` : `exit ${event.code}`);
const secondsText = (ms: number) => (ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 100) / 10} s`);

/** One line per replica lifecycle event. */
export function formatReplicaEvent(event: ReplicaEvent): string {
  const prefix = replicaPrefix(event.function, event.index);
  switch (event.type) {
    case 'started':
      return `${prefix} started (pid ${event.pid ?? '?'})`;
    case 'ready':
      return `${prefix} ready in ${event.coldStartMs} ms (exec → ${event.function === 'publish' ? 'listening' : 'consuming'})`;
    case 'stopped':
      return event.killed
        ? `${prefix} SIGKILLed: still running ${secondsText(event.drainMs ?? 0)} after SIGTERM`
        : `${prefix} stopped (${describeExit(event)}) after a ${event.drainMs ?? 0} ms drain`;
    case 'crashed':
      return `${prefix} exited unexpectedly (${describeExit(event)}); restart ${event.restarts} in ${secondsText(event.restartInMs)}`;
  }
}

export const formatDecision = (decision: ScaleDecision) => `[autoscaler] ${decision.reason}`;

const clock = (at: number) => new Date(at).toTimeString().slice(0, 8);

function replicasCell(fn: LocalStatus['functions'][number]): string {
  const r = fn.replicas;
  const extras = [r.starting ? `${r.starting} starting` : '', r.terminating ? `${r.terminating} stopping` : '', r.backoff ? `${r.backoff} back-off` : '']
    .filter(Boolean)
    .join(', ');
  return `${r.ready}/${r.desired}${extras ? ` (${extras})` : ''}`;
}

const number = (value: number) => value.toLocaleString('en-US');

/** The live view's table: one row per function, then the publish function and where to look. */
export function formatStatusTable(status: LocalStatus, width: number): string[] {
  const header = ['FUNCTION', 'DEPTH', 'IN-FLIGHT', 'REPLICAS', 'MIN–MAX', 'PROC/S', 'PROCESSED', 'DEAD-LETTERED', 'LAST SCALE EVENT'];
  const rows = status.functions.map((fn) => [
    fn.name,
    fn.depth ? number(fn.depth.scalerValue) : fn.depthError ? 'error' : '…',
    fn.inFlight === null ? '…' : number(fn.inFlight),
    replicasCell(fn),
    `${fn.scaling.minReplicaCount}–${fn.scaling.maxReplicaCount}`,
    number(Math.round(fn.processedPerSecond)),
    number(fn.processed),
    fn.depth ? number(fn.depth.deadLettered) : '…',
    fn.lastScale ? `${clock(fn.lastScale.at)} ${fn.lastScale.reason.slice(fn.name.length + 1)}` : '—',
  ]);
  const numeric = new Set([1, 2, 5, 6, 7]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : numeric.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ');
  const publish = status.publish
    ? `publish ${status.publishUrl} (${status.publish.ready ? 'ready' : status.publish.backoff ? 'crashed, restarting' : 'starting'})`
    : 'publish: not running';
  const infra = status.infrastructure;
  const where = `${infra.broker.kind}${infra.broker.embedded ? ' (embedded)' : ''} · ${infra.database.embedded ? `PGlite${infra.database.dataDir ? '' : ' in memory'}` : 'Postgres'} · status ${status.statusUrl ?? '…'}`;
  const fit = (text: string) => (text.length >= width ? `${text.slice(0, Math.max(0, width - 2))}…` : text);
  return ['', fit(`${publish} · ${where}`), fit(line(header)), ...rows.map((row) => fit(line(row))), fit(outboxLine(status))];
}

/** The outbox: events handlers emitted (and delayed ones) on their way to the broker. */
function outboxLine(status: LocalStatus): string {
  const outbox = status.outbox;
  if (!outbox) return 'outbox …';
  return `outbox ${number(outbox.pending)} due · ${number(outbox.scheduled)} scheduled · lag ${outbox.lagSeconds.toFixed(1)} s`;
}

/** The plain view's periodic summary: one line per function that is doing something. */
export function formatStatusLines(status: LocalStatus): string[] {
  return status.functions
    .filter((fn) => fn.replicas.replicas.length > 0 || (fn.depth?.scalerValue ?? 0) > 0)
    .map(
      (fn) =>
        `[status] ${fn.name} depth=${fn.depth?.scalerValue ?? '?'} inFlight=${fn.inFlight ?? '?'} replicas=${replicasCell(fn)} processed/s=${Math.round(fn.processedPerSecond)} processed=${fn.processed} deadLettered=${fn.depth?.deadLettered ?? '?'}`,
    )
    .concat(
      status.outbox && status.outbox.pending + status.outbox.scheduled > 0
        ? [`[status] outbox due=${status.outbox.pending} scheduled=${status.outbox.scheduled} lagSeconds=${status.outbox.lagSeconds.toFixed(1)}`]
        : [],
    );
}
