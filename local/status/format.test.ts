import { describe, expect, it } from 'vitest';
import type { FunctionStatus, LocalStatus } from '../runner';
import { formatStatusLines, formatStatusTable } from './format';

function functionStatus(name: string, depth: FunctionStatus['depth']): FunctionStatus {
  return {
    name,
    scaling: { minReplicaCount: 0, maxReplicaCount: 10 } as FunctionStatus['scaling'],
    depth,
    depthError: null,
    replicas: { desired: 1, ready: 1, starting: 0, terminating: 0, backoff: 0, replicas: [] },
    inFlight: depth?.inFlight ?? null,
    processed: 1200,
    processedPerSecond: 40,
    lastScale: null,
    lastDecision: null,
  };
}

const status = (functions: FunctionStatus[], outbox: LocalStatus['outbox'] = null): LocalStatus => ({
  startedAt: new Date(0).toISOString(),
  uptimeSeconds: 5,
  publishUrl: 'http://127.0.0.1:3000',
  statusUrl: 'http://127.0.0.1:3001/_local/status',
  infrastructure: { broker: { kind: 'sqs', embedded: true, endpoint: 'http://127.0.0.1:4566' }, database: { embedded: true, url: '', dataDir: undefined } },
  publish: null,
  functions,
  outbox,
  scaleEvents: [],
});

describe('the live status table', () => {
  it('shows each function’s dead-lettered count beside what it processed, and … while it is not known yet', () => {
    const lines = formatStatusTable(
      status([functionStatus('store-message', { ready: 30, inFlight: 7, delayed: 0, deadLettered: 2, scalerValue: 37 }), functionStatus('run-job', null)]),
      200,
    );
    const [header, storeMessage, runJob] = lines.slice(2);
    const column = header!.indexOf('DEAD-LETTERED');
    expect(column).toBeGreaterThan(header!.indexOf('PROCESSED'));
    // Right-aligned under its header, like the other numbers.
    expect(storeMessage!.slice(column, column + 'DEAD-LETTERED'.length).trim()).toBe('2');
    expect(runJob!.slice(column, column + 'DEAD-LETTERED'.length).trim()).toBe('…');
  });

  it('shows the outbox under the functions: due, scheduled and the lag of the oldest due event', () => {
    const fn = functionStatus('store-message', { ready: 0, inFlight: 0, delayed: 0, deadLettered: 0, scalerValue: 0 });
    expect(formatStatusTable(status([fn]), 200).at(-1)).toBe('outbox …');
    expect(formatStatusTable(status([fn], { pending: 1200, scheduled: 3, lagSeconds: 0.42 }), 200).at(-1)).toBe('outbox 1,200 due · 3 scheduled · lag 0.4 s');
    expect(formatStatusLines(status([], { pending: 0, scheduled: 0, lagSeconds: 0 }))).toEqual([]);
    expect(formatStatusLines(status([], { pending: 5, scheduled: 2, lagSeconds: 1.25 }))).toEqual(['[status] outbox due=5 scheduled=2 lagSeconds=1.3']);
  });

  it('names the dead-lettered count in the plain view’s summary line', () => {
    const [line] = formatStatusLines(status([functionStatus('store-message', { ready: 3, inFlight: 0, delayed: 0, deadLettered: 4, scalerValue: 3 })]));
    expect(line).toMatch(/^\[status\] store-message depth=3 .* deadLettered=4$/);
  });
});
