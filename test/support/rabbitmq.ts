import { managementRequest } from '@qfn/shared/platform';

const managementUrl = process.env['RABBITMQ_MANAGEMENT_URL'] ?? 'http://guest:guest@127.0.0.1:15672';
export const amqpUrl = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

const management = (path: string, init?: RequestInit) => managementRequest(managementUrl, path, init);

export { deleteRabbitTopology } from '@qfn/tooling/rabbitmq-cleanup';

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
