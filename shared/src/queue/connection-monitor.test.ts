import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionMonitor } from './connection-monitor';
import type { BrokerEvent } from './types';

/** A connection whose tries fail `failures` times, then succeed and mark it up. */
function flakyConnection(failures: number, options: { initialDelayMs?: number; maxDelayMs?: number } = {}) {
  const events: BrokerEvent[] = [];
  let tries = 0;
  const monitor: ConnectionMonitor = new ConnectionMonitor({
    ...options,
    attempt: async () => {
      tries++;
      if (tries <= failures) throw new Error(`refused ${tries}`);
      monitor.markUp();
    },
  });
  monitor.on((event) => events.push(event));
  return { monitor, events, tries: () => tries, failMore: (n: number) => (failures = tries + n) };
}

const summary = (events: BrokerEvent[]) => events.map((e) => (e.type === 'reconnect_failed' ? `failed, retry in ${e.retryInMs}` : e.type));

describe('ConnectionMonitor', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('connect() tries again with doubling delays until a try succeeds', async () => {
    const { monitor, events, tries } = flakyConnection(3, { initialDelayMs: 100 });
    const connected = monitor.connect(10_000);
    await vi.advanceTimersByTimeAsync(100 + 200 + 400);
    await connected;
    expect(tries()).toBe(4);
    expect(summary(events)).toEqual(['failed, retry in 100', 'failed, retry in 200', 'failed, retry in 400', 'connected']);
    expect(monitor.isUp).toBe(true);
  });

  it('connect() rethrows the last failure when the next try would start past its deadline', async () => {
    const { monitor, tries } = flakyConnection(100, { initialDelayMs: 100 });
    const connected = monitor.connect(250);
    const outcome = expect(connected).rejects.toThrow('refused 2');
    await vi.advanceTimersByTimeAsync(1_000);
    await outcome;
    expect(tries()).toBe(2); // at 0 and 100 ms; the third (at 300 ms) would be past 250 ms
    expect(monitor.isUp).toBe(false);
  });

  it('after a loss reports disconnected once and keeps trying in the background, backoff capped, until up again', async () => {
    const { monitor, events, tries, failMore } = flakyConnection(0, { initialDelayMs: 100, maxDelayMs: 300 });
    await monitor.connect(1_000);
    failMore(4);
    monitor.markDown(new Error('connection reset'));
    monitor.markDown(new Error('a second notice of the same loss'));
    await vi.advanceTimersByTimeAsync(100 + 200 + 300 + 300 + 300);
    expect(tries()).toBe(1 + 5);
    expect(summary(events)).toEqual([
      'connected',
      'disconnected',
      'failed, retry in 200',
      'failed, retry in 300',
      'failed, retry in 300',
      'failed, retry in 300',
      'connected',
    ]);
    expect(events[1]).toMatchObject({ type: 'disconnected', error: { message: 'connection reset' } });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(tries()).toBe(6);
  });

  it('tries in the background without a disconnected notice when it was never up', async () => {
    const { monitor, events, tries } = flakyConnection(1, { initialDelayMs: 100 });
    monitor.markDown(new Error('no answer'));
    await vi.advanceTimersByTimeAsync(100 + 200);
    expect(tries()).toBe(2);
    expect(summary(events)).toEqual(['failed, retry in 200', 'connected']);
  });

  it('stops trying after close, and is never up again', async () => {
    const { monitor, tries } = flakyConnection(100, { initialDelayMs: 100 });
    monitor.markDown();
    await vi.advanceTimersByTimeAsync(100);
    monitor.close();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(tries()).toBe(1);
    monitor.markUp();
    expect(monitor.isUp).toBe(false);
    expect(monitor.isClosed).toBe(true);
  });

  it('stops notifying a listener removed with off()', async () => {
    const { monitor } = flakyConnection(0);
    const seen: BrokerEvent[] = [];
    const listener = (event: BrokerEvent) => seen.push(event);
    monitor.on(listener);
    monitor.off(listener);
    await monitor.connect(1_000);
    expect(seen).toEqual([]);
  });
});
