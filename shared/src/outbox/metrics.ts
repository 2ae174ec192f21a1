import { metrics } from '@opentelemetry/api';
import type { Database } from '../db/client';
import { scope } from '../telemetry/names';
import { outboxStats, type OutboxRelay, type OutboxStats } from './relay';

export const outboxMetricNames = {
  pending: 'qfn.outbox.pending',
  scheduled: 'qfn.outbox.scheduled',
  lag: 'qfn.outbox.lag',
  sent: 'qfn.outbox.sent',
  sendFailed: 'qfn.outbox.send_failed',
} as const;

/**
 * Outbox size and lag as gauges, read from Postgres only when a metric reader collects (never without
 * an exporter: the no-op meter calls no callback). One process per installation is enough (the publish function).
 */
export function observeOutbox(db: Database): void {
  const meter = metrics.getMeter(scope);
  const pending = meter.createObservableGauge(outboxMetricNames.pending, { description: 'Outbox rows due and not yet sent' });
  const scheduled = meter.createObservableGauge(outboxMetricNames.scheduled, { description: 'Delayed events waiting for their delivery time' });
  const lag = meter.createObservableGauge(outboxMetricNames.lag, { description: 'Seconds the oldest due outbox row has waited past its due time', unit: 's' });
  meter.addBatchObservableCallback(
    async (result) => {
      let stats: OutboxStats;
      try {
        stats = await outboxStats(db);
      } catch {
        return;
      }
      result.observe(pending, stats.pending);
      result.observe(scheduled, stats.scheduled);
      result.observe(lag, stats.lagSeconds);
    },
    [pending, scheduled, lag],
  );
}

/** Counts what a relay sent and failed to send. */
export function recordRelayMetrics(relay: OutboxRelay, source: string): void {
  const meter = metrics.getMeter(scope);
  const attributes = { 'qfn.relay': source };
  const sent = meter.createCounter(outboxMetricNames.sent, { description: 'Outbox rows published with a confirm and marked sent' });
  const failed = meter.createCounter(outboxMetricNames.sendFailed, { description: 'Outbox rows the broker refused; tried again after a backoff' });
  relay.on('sent', ({ count }) => sent.add(count, attributes));
  relay.on('send_failed', ({ count }) => failed.add(count, attributes));
}
