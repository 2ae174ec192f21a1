import { afterAll, beforeAll } from 'vitest';
import { type BrokerWithAdmin, createRabbitMqBroker, queueSpecOf } from '@qfn/shared/platform';
import storeMessage from '@qfn/store-message';
import { type Consuming, useConsumingBroker } from '../../../test/support/consuming';
import { amqpUrl } from '../../../test/support/rabbitmq';
import { startTcpProxy, type TcpProxy } from '../../../test/support/tcp-proxy';

/**
 * Registers the file's hooks for what the publish app stands on in its tests: a migrated test database and a
 * connected RabbitMQ broker with store-message's queue declared (so a message.published event has a subscriber),
 * all removed again after the tests. Read `database` and `broker` inside tests and hooks.
 */
export function usePublishBackends(prefix: string): Consuming {
  const fixture = useConsumingBroker({ prefix });
  beforeAll(() => fixture.broker.provision(queueSpecOf(storeMessage)));
  return fixture;
}

export interface ProxiedBroker {
  /** Pause it to stall the broker's confirms; the hooks resume it before closing. */
  readonly proxy: TcpProxy;
  /** A connected RabbitMQ broker whose connection goes through `proxy`. */
  readonly broker: BrokerWithAdmin;
}

/**
 * Registers the file's hooks for a second broker connection through a TCP proxy, closed again after the tests;
 * returns its accessor, to call inside tests and hooks.
 */
export function useProxiedBroker(prefix: string, clientName: string): () => ProxiedBroker {
  let proxied: ProxiedBroker | undefined;

  beforeAll(async () => {
    const target = new URL(amqpUrl);
    const proxy = await startTcpProxy({ targetHost: target.hostname, targetPort: Number(target.port) });
    const broker = createRabbitMqBroker({ url: proxy.via(amqpUrl), prefix, clientName });
    proxied = { proxy, broker };
    await broker.connect();
  });

  afterAll(async () => {
    proxied?.proxy.resume();
    await proxied?.broker.close();
    await proxied?.proxy.close();
  });

  return () => {
    if (!proxied) throw new Error('useProxiedBroker: the proxied broker is there only inside tests and hooks');
    return proxied;
  };
}
