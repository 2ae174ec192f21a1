import { managementRequest } from '@qfn/shared/platform';

const defaultManagementUrl = () => process.env['RABBITMQ_MANAGEMENT_URL'] ?? 'http://guest:guest@127.0.0.1:15672';

/**
 * Deletes every queue, exchange and policy whose name starts with `<prefix>.`: what a test run or a
 * benchmark leaves on RabbitMQ under a prefix of its own (RABBITMQ_MANAGEMENT_URL, guest on loopback by default).
 */
export async function deleteRabbitTopology(prefix: string, managementUrl = defaultManagementUrl()): Promise<void> {
  const management = (path: string, init?: RequestInit) => managementRequest(managementUrl, path, init);
  for (const kind of ['queues', 'exchanges', 'policies'] as const) {
    const columns = kind === 'policies' ? '' : '?columns=name';
    const items = (await (await management(`/${kind}/%2F${columns}`)).json()) as { name: string }[];
    for (const { name } of items.filter((item) => item.name.startsWith(`${prefix}.`))) {
      await management(`/${kind}/%2F/${encodeURIComponent(name)}`, { method: 'DELETE' });
    }
  }
}
