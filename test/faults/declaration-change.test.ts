/**
 * Fault: a deploy that changes a function's declaration. Every field changes between two deploys
 * (retry attempts and delays, subscriptions, concurrency, visibility timeout); the second deploy must
 * start and consume, with what changed applied: on RabbitMQ the delivery limit through the queue's
 * policy (a queue argument would make every redeclaration fail with PRECONDITION_FAILED), bindings
 * of dropped subscriptions removed, and delay queues no longer used deleted.
 */
import { describe, expect, it } from 'vitest';
import { encodeEnvelope, uuidv7 } from '@qfn/shared/platform';
import { managementRequest } from '@qfn/shared/platform';
import { brokerHarnesses } from '../support/brokers';
import { waitFor } from '../support/wait';
import { faultScenario, message, report, terminate } from './support';

const managementUrl = process.env['RABBITMQ_MANAGEMENT_URL'] ?? 'http://guest:guest@127.0.0.1:15672';
const management = async <T>(path: string): Promise<T> => (await (await managementRequest(managementUrl, path)).json()) as T;

describe.each(brokerHarnesses)('declaration changes between deploys on $kind', (harness) => {
  const setUp = faultScenario(harness);

  it('starts the second deploy with every declaration field changed, and applies the changes', async () => {
    const fn = 'redeclared';
    const { world } = await setUp('redeclare', fn);
    const publish = async (type: string) => {
      const id = uuidv7();
      await world.broker.publish({ id, type, body: encodeEnvelope({ id, type, time: new Date().toISOString(), data: message() }) });
      return id;
    };
    const processed = async (id: string) => (await world.effects(fn)).some((r) => r.event_id === id);

    /** Starts a deploy of the function with this declaration and waits until it consumes. */
    const deploy = async (declaration: {
      maxAttempts: number;
      retryDelayMs: number;
      maxRetryDelayMs: number;
      subscribes: string;
      concurrency: number;
      visibilityTimeoutSeconds: number;
    }) => {
      const started = world.start(fn, {
        FAULT_MAX_ATTEMPTS: String(declaration.maxAttempts),
        FAULT_RETRY_DELAY_MS: String(declaration.retryDelayMs),
        FAULT_MAX_RETRY_DELAY_MS: String(declaration.maxRetryDelayMs),
        FAULT_SUBSCRIBES: declaration.subscribes,
        FAULT_CONCURRENCY: String(declaration.concurrency),
        FAULT_VISIBILITY_TIMEOUT_SECONDS: String(declaration.visibilityTimeoutSeconds),
      });
      await started.waitForLog('consuming', 30_000);
      return started;
    };

    const first = await deploy({
      maxAttempts: 3,
      retryDelayMs: 200,
      maxRetryDelayMs: 1000,
      subscribes: 'message.published',
      concurrency: 20,
      visibilityTimeoutSeconds: 5,
    });
    const before = await publish('message.published');
    await waitFor('the first deploy to process a message', () => processed(before), 30_000, 100);
    expect((await terminate(first)).code).toBe(0);

    const second = await deploy({
      maxAttempts: 6,
      retryDelayMs: 300,
      maxRetryDelayMs: 2400,
      subscribes: 'order.created',
      concurrency: 35,
      visibilityTimeoutSeconds: 7,
    });
    const after = await publish('order.created');
    await waitFor('the second deploy to process a message of its new subscription', () => processed(after), 30_000, 100);

    const figures: Record<string, unknown> = { secondDeployStarted: true };
    if (harness.kind === 'rabbitmq') {
      const queue = `${world.prefix}.${fn}`;
      const info = await waitFor(
        'the new delivery limit in effect',
        async () => {
          const q = await management<{ effective_policy_definition?: Record<string, unknown>; arguments?: Record<string, unknown> }>(
            `/queues/%2F/${encodeURIComponent(queue)}`,
          );
          return q.effective_policy_definition?.['delivery-limit'] === 12 ? q : undefined;
        },
        15_000,
        250,
      );
      expect(info.arguments?.['x-delivery-limit']).toBeUndefined();
      const bindings = await management<{ routing_key: string }[]>(
        `/bindings/%2F/e/${encodeURIComponent(`${world.prefix}.events`)}/q/${encodeURIComponent(queue)}`,
      );
      expect(bindings.map((b) => b.routing_key)).toEqual(['order.created']);
      const queues = (await management<{ name: string }[]>('/queues/%2F?columns=name')).map((q) => q.name).filter((name) => name.startsWith(`${queue}.retry.`));
      expect(queues.sort()).toEqual([300, 600, 1200, 2400].map((ms) => `${queue}.retry.${ms}ms`).sort());
      await expect(publish('message.published')).rejects.toThrow(/no function subscribes/);
      Object.assign(figures, { deliveryLimit: 12, delayQueues: queues.length, bindings: bindings.length });
    }
    expect(second.child.exitCode).toBeNull();
    expect((await terminate(second)).code).toBe(0);
    report(`declaration-change/${harness.kind}`, figures);
  }, 120_000);
});
