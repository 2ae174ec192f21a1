import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { eq } from 'drizzle-orm';
import { idempotencyKeys } from './schema';
import { type BrokerWithAdmin, createRabbitMqBroker, queueSpecOf } from '@qfn/shared/platform';
import storeMessage from '@qfn/store-message';
import { rabbitmqHarness } from '../../../test/support/brokers';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database';
import { uniqueName } from '../../../test/support/names';
import { amqpUrl } from '../../../test/support/rabbitmq';
import { startTcpProxy, type TcpProxy } from '../../../test/support/tcp-proxy';
import { waitFor } from '../../../test/support/wait';
import { createPublishApp } from './app';

const valid = { ts: '19941114', sender: 'haimeng', messageAttributes: {}, sent_from_ip: '10.1.2.3', priority: 1 };

describe('Idempotency-Key when the broker does not confirm', () => {
  const prefix = uniqueName('unconfirmed');
  let database: TestDatabase;
  let setupBroker: BrokerWithAdmin;
  let proxy: TcpProxy;
  let broker: BrokerWithAdmin;

  beforeAll(async () => {
    database = await createTestDatabase(prefix);
    setupBroker = rabbitmqHarness.create(prefix);
    await setupBroker.connect();
    await setupBroker.provision(queueSpecOf(storeMessage));
    const target = new URL(amqpUrl);
    proxy = await startTcpProxy({ targetHost: target.hostname, targetPort: Number(target.port) });
    broker = createRabbitMqBroker({ url: proxy.via(amqpUrl), prefix, clientName: `${prefix}-proxied` });
    await broker.connect();
  });

  afterAll(async () => {
    await broker.close();
    await proxy.close();
    await setupBroker.close();
    await rabbitmqHarness.cleanup(prefix);
    await database.drop();
  });

  it('keeps the event id of an unconfirmed publish and republishes it under that id on retry', async () => {
    const app = createPublishApp({
      broker,
      queueAdmin: broker,
      db: database.db,
      pingDatabase: database.ping,
      log: pino({ level: 'silent' }),
      maxBodyBytes: 4096,
      protection: { requestTimeoutMs: 300 },
    });
    const post = () =>
      app.request('/message/publish', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `k-${prefix}` },
        body: JSON.stringify(valid),
      });
    const claim = async () =>
      (
        await database.db
          .select()
          .from(idempotencyKeys)
          .where(eq(idempotencyKeys.key, `k-${prefix}`))
      )[0];

    // The confirm never comes back: the client gets a 503, the publish fails when the connection goes.
    proxy.pause();
    expect((await post()).status).toBe(503);
    proxy.reset();
    proxy.resume();
    const unconfirmed = await waitFor('the claim marked unconfirmed', async () => ((await claim())?.state === 'unconfirmed' ? claim() : undefined));
    await waitFor('the broker connection back', () => broker.isReady(), 15_000);

    const retried = await post();
    expect(retried.status).toBe(202);
    expect(await retried.json()).toEqual({ id: unconfirmed!.eventId });
    expect((await claim())!.state).toBe('published');
    const replayed = await post();
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(await replayed.json()).toEqual({ id: unconfirmed!.eventId });
  });
});
