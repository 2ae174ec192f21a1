import { describe, expect, it } from 'vitest';
import type { Broker, BrokerEvent } from '../queue/types';
import { startHealthServer, watchBrokerConnection } from './health';

/** Only what the watch uses of a broker: its connection events. */
function eventSource() {
  const listeners: ((event: BrokerEvent) => void)[] = [];
  return {
    broker: { on: (listener: (event: BrokerEvent) => void) => void listeners.push(listener) } as unknown as Broker,
    emit: (event: BrokerEvent) => listeners.forEach((l) => l(event)),
  };
}

describe('watchBrokerConnection', () => {
  it('stays alive while connected and for the timeout after a loss, then not until it reconnects', () => {
    let now = 0;
    const { broker, emit } = eventSource();
    const watch = watchBrokerConnection(broker, 5_000, () => now);
    emit({ type: 'connected' });
    expect(watch.isAlive()).toBe(true);
    emit({ type: 'disconnected' });
    now = 4_999;
    expect(watch.isAlive()).toBe(true);
    emit({ type: 'reconnect_failed', error: new Error('timed out'), retryInMs: 400 });
    now = 5_000;
    expect(watch.isAlive()).toBe(false);
    expect(watch.disconnectedMs()).toBe(5_000);
    emit({ type: 'connected' });
    expect(watch.isAlive()).toBe(true);
  });

  it('never fails with a timeout of 0', () => {
    let now = 0;
    const { broker, emit } = eventSource();
    const watch = watchBrokerConnection(broker, 0, () => now);
    emit({ type: 'disconnected' });
    now = 1e9;
    expect(watch.isAlive()).toBe(true);
  });
});

describe('startHealthServer', () => {
  it('answers /healthz from the liveness check and /readyz from the readiness check', async () => {
    let alive = true;
    const server = await startHealthServer(0, { isReady: () => false, isAlive: () => alive });
    const port = (server.address() as { port: number }).port;
    const status = async (path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).status;
    expect([await status('/healthz'), await status('/readyz')]).toEqual([200, 503]);
    alive = false;
    expect(await status('/healthz')).toBe(503);
    server.close();
  });
});
