import { managementRequest } from '@qfn/shared/queue/rabbitmq/management';

const managementUrl = process.env['RABBITMQ_MANAGEMENT_URL'] ?? 'http://guest:guest@127.0.0.1:15672';
export const amqpUrl = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

const management = (path: string, init?: RequestInit) => managementRequest(managementUrl, path, init);

/** Deletes every queue, exchange and policy whose name starts with `<prefix>.`. */
export async function deleteRabbitTopology(prefix: string): Promise<void> {
  const queues = (await (await management('/queues/%2F?columns=name')).json()) as { name: string }[];
  for (const { name } of queues.filter((q) => q.name.startsWith(`${prefix}.`))) {
    await management(`/queues/%2F/${encodeURIComponent(name)}`, { method: 'DELETE' });
  }
  const exchanges = (await (await management('/exchanges/%2F?columns=name')).json()) as { name: string }[];
  for (const { name } of exchanges.filter((e) => e.name.startsWith(`${prefix}.`))) {
    await management(`/exchanges/%2F/${encodeURIComponent(name)}`, { method: 'DELETE' });
  }
  const policies = (await (await management('/policies/%2F')).json()) as { name: string }[];
  for (const { name } of policies.filter((p) => p.name.startsWith(`${prefix}.`))) {
    await management(`/policies/%2F/${encodeURIComponent(name)}`, { method: 'DELETE' });
  }
}

/** Closes, from the broker's side, every connection a prefix's clients opened (they name themselves after it). */
export async function closeRabbitConnections(namePrefix: string): Promise<number> {
  const connections = (await (await management('/connections?columns=name,client_properties')).json()) as {
    name: string;
    client_properties?: { connection_name?: string };
  }[];
  const ours = connections.filter((c) => c.client_properties?.connection_name?.startsWith(namePrefix));
  for (const { name } of ours) {
    await management(`/connections/${encodeURIComponent(name)}`, { method: 'DELETE', headers: { 'x-reason': 'test: dropped on purpose' } });
  }
  return ours.length;
}
