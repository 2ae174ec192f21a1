import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inFlightMessageType, reportInFlight } from './in-flight-report';

const moduleUrl = new URL('./in-flight-report.ts', import.meta.url).href;

describe('reportInFlight', () => {
  it('tells the parent process each new in-flight count over the IPC channel, once per change', async () => {
    const script = `
      const { reportInFlight } = await import(${JSON.stringify(moduleUrl)});
      const source = { inFlight: 0 };
      reportInFlight(source, { config: { POD_DELETION_COST: 'false', POD_DELETION_COST_INTERVAL_SECONDS: 5 }, env: {}, log: console, intervalMs: 10 });
      const steps = [0, 3, 3, 1, 0];
      for (const n of steps) { source.inFlight = n; await new Promise((r) => setTimeout(r, 60)); }
      process.disconnect();
    `;
    const child = fork('--input-type=module', [], {
      execArgv: ['--import', 'tsx', '--eval', script],
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
    });
    const seen: unknown[] = [];
    child.on('message', (message) => seen.push(message));
    await once(child, 'exit');
    expect(seen).toEqual([0, 3, 1, 0].map((inFlight) => ({ type: inFlightMessageType, inFlight })));
  });

  it('with POD_DELETION_COST=true outside a pod, says why and reports nothing', () => {
    const warnings: string[] = [];
    const report = reportInFlight(
      { inFlight: 1 },
      { config: { POD_DELETION_COST: 'true', POD_DELETION_COST_INTERVAL_SECONDS: 5 }, env: {}, log: { warn: (_, msg) => warnings.push(msg) } },
    );
    report.stop();
    expect(warnings).toEqual(['POD_DELETION_COST=true needs POD_NAME, POD_NAMESPACE and KUBERNETES_SERVICE_HOST; not reporting']);
  });
});
