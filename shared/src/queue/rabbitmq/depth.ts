import { retryDelays } from '../../function/define';
import type { QueueDepth, QueueSpec } from '../types';
import type { ManagementApi } from './management';
import type { TopologyNames } from './topology';

/**
 * A function's queue depth from the management API, as KEDA's `rabbitmq` scaler reads it in HTTP mode
 * (ready and unacknowledged), with the messages waiting in its delay queues and its dead letters.
 */
export async function functionQueueDepth(api: ManagementApi, names: TopologyNames, spec: QueueSpec): Promise<QueueDepth> {
  const main = await api.queue(names.queue(spec.name));
  let delayed = 0;
  for (const delayMs of retryDelays(spec.retry)) delayed += (await api.queue(names.retryQueue(spec.name, delayMs)))?.messages ?? 0;
  const deadLetters = await api.queue(names.deadLetterQueue(spec.name));
  return {
    ready: main?.messages_ready ?? 0,
    inFlight: main?.messages_unacknowledged ?? 0,
    delayed,
    deadLettered: deadLetters?.messages ?? 0,
  };
}
