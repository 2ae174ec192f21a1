import { type Broker, encodeEnvelope, uuidv7 } from '@qfn/shared/platform';

/** Publishes one job event (`job.<kind>` with its typed data) the way the publish function does; returns its id. */
export async function publishJob(broker: Broker, type: string, data: Record<string, unknown>): Promise<string> {
  const id = uuidv7();
  await broker.publish({ id, type, body: encodeEnvelope({ id, type, time: new Date().toISOString(), data }) });
  return id;
}
