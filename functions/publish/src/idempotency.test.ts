import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { idempotencyKeys } from './schema';
import { createTestPublishApp } from '../../../test/support/publish-app';
import { uniqueName } from '../../../test/support/names';
import { waitFor } from '../../../test/support/wait';
import { usePublishBackends, useProxiedBroker } from '../test/publish-fixture';

const valid = { ts: '19941114', sender: 'haimeng', messageAttributes: {}, sent_from_ip: '10.1.2.3', priority: 1 };

describe('Idempotency-Key when the broker does not confirm', () => {
  const prefix = uniqueName('unconfirmed');
  const backends = usePublishBackends(prefix);
  const proxied = useProxiedBroker(prefix, `${prefix}-proxied`);

  it('keeps the event id of an unconfirmed publish and republishes it under that id on retry', async () => {
    const { database } = backends;
    const { proxy, broker } = proxied();
    const app = createTestPublishApp(broker, database, { maxBodyBytes: 4096, protection: { requestTimeoutMs: 300 } });
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
