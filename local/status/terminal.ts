import type { LocalRunner, LocalStatus } from '../runner';
import { formatDecision, formatOutputLine, formatReplicaEvent, formatStatusLines, formatStatusTable } from './format';

export interface TerminalViewOptions {
  /** `live`: log lines scroll above a table redrawn every second; `plain`: log lines only, with a periodic summary. */
  mode: 'live' | 'plain';
  out?: NodeJS.WriteStream;
  /** Seconds between two summaries in plain mode. */
  summaryEverySeconds?: number;
}

const clearBlock = (lines: number) => (lines > 0 ? `\x1b[${lines}F\x1b[J` : '');

/**
 * Shows a running LocalRunner: every scale decision that changes something, replica lifecycle and
 * output, and the status table (live) or a status summary (plain, for logs and CI).
 *
 * @example
 * const view = attachTerminalView(runner, { mode: process.stdout.isTTY ? 'live' : 'plain' });
 * // …
 * view.close();
 */
export function attachTerminalView(runner: LocalRunner, options: TerminalViewOptions): { print(line: string): void; close(): void } {
  const out = options.out ?? process.stdout;
  const pending: string[] = [];
  let drawnLines = 0;
  let table: string[] = [];

  const flushLive = () => {
    if (pending.length === 0 && table.length === 0) return;
    const logs = pending
      .splice(0)
      .map((line) => `${line}\n`)
      .join('');
    out.write(`${clearBlock(drawnLines)}${logs}${table.map((line) => `${line}\n`).join('')}`);
    drawnLines = table.length;
  };
  const print = (line: string) => {
    if (options.mode === 'live') pending.push(line);
    else out.write(`${line}\n`);
  };

  const onNotice = (message: string) => print(`[local] ${message}`);
  const onDecision = (decision: Parameters<typeof formatDecision>[0]) => {
    if (decision.from !== decision.to) print(formatDecision(decision));
  };
  const onReplica = (event: Parameters<typeof formatReplicaEvent>[0]) => print(formatReplicaEvent(event));
  const onOutput = (event: Parameters<typeof formatOutputLine>[0]) => print(formatOutputLine(event));
  runner.on('notice', onNotice);
  runner.on('decision', onDecision);
  runner.on('replica', onReplica);
  runner.on('output', onOutput);

  const timers: NodeJS.Timeout[] = [];
  let lastSummary = '';
  let summaryAge = 0;
  const status = (): LocalStatus | undefined => (runner.statusUrl ? runner.status() : undefined);
  if (options.mode === 'live') {
    timers.push(setInterval(flushLive, 100));
    timers.push(
      setInterval(() => {
        const current = status();
        if (current) table = formatStatusTable(current, out.columns ?? 120);
      }, 1_000),
    );
  } else {
    const every = options.summaryEverySeconds ?? 5;
    timers.push(
      setInterval(() => {
        const current = status();
        if (!current) return;
        const summary = formatStatusLines(current).join('\n');
        summaryAge += every;
        // Print when something changed, and at least every minute while anything is running.
        if (summary && (summary !== lastSummary || summaryAge >= 60)) {
          out.write(`${summary}\n`);
          summaryAge = 0;
        }
        lastSummary = summary;
      }, every * 1_000),
    );
  }
  for (const timer of timers) timer.unref();

  return {
    print,
    close() {
      for (const timer of timers) clearInterval(timer);
      runner.off('notice', onNotice);
      runner.off('decision', onDecision);
      runner.off('replica', onReplica);
      runner.off('output', onOutput);
      // The last table stays on screen below the last log lines.
      if (options.mode === 'live') flushLive();
    },
  };
}
