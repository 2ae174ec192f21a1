import { managementRequest } from '@qfn/shared/platform';
import { rabbitmqHttpMetric, ScalerError } from '../autoscaler/scalers';

/**
 * KEDA's rabbitmq scaler over HTTP: GET /api/queues/<vhost>/<queue> on the management API. A missing
 * queue, an error status or a reply without counts is an error, never an empty queue.
 *
 * @example
 * const look = rabbitmqHttpLook(managementUrl, '/', { queueName: 'qfn.store-message', mode: 'QueueLength', excludeUnacknowledged: false, activation: 0 });
 * await look(); // { value: 37, active: true }
 */
export function rabbitmqHttpLook(
  managementUrl: string,
  vhost: string,
  trigger: { queueName: string; mode: 'QueueLength' | 'MessageRate'; excludeUnacknowledged: boolean; activation: number },
) {
  const path = `/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(trigger.queueName)}`;
  return async () => {
    const response = await managementRequest(managementUrl, path, { signal: AbortSignal.timeout(5_000) });
    if (response.status === 404) throw new ScalerError(`queue ${trigger.queueName} not found (management API 404)`);
    if (!response.ok) throw new ScalerError(`management API answered ${response.status} for queue ${trigger.queueName}`);
    return rabbitmqHttpMetric(await response.json(), trigger);
  };
}
