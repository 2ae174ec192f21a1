import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryDefaults } from '../../function/define';
import type { QueueSpec } from '../types';
import { countAttribute } from './depth';
import { startSqsEmulator, type SqsEmulator } from './emulator';
import { createSqsBroker, deleteSqsQueues } from './index';

type Attributes = Record<string, string>;

/**
 * An HTTP proxy in front of the emulator that rewrites the attributes of GetQueueAttributes answers,
 * as an SQS-compatible service that leaves one out (or answers something else) would.
 */
async function attributeRewritingProxy(target: string, rewrite: { current: (attributes: Attributes) => Attributes }): Promise<Server> {
  const upstream = new URL(target);
  const server = createServer((incoming, outgoing) => {
    const rewriting = String(incoming.headers['x-amz-target'] ?? '').endsWith('.GetQueueAttributes');
    const forwarded = request(
      { host: upstream.hostname, port: upstream.port, path: incoming.url, method: incoming.method, headers: incoming.headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          let body = Buffer.concat(chunks);
          if (rewriting && answer.statusCode === 200) {
            const parsed = JSON.parse(body.toString('utf8')) as { Attributes?: Attributes };
            body = Buffer.from(JSON.stringify({ ...parsed, Attributes: rewrite.current(parsed.Attributes ?? {}) }));
          }
          outgoing.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'content-length': String(body.length) });
          outgoing.end(body);
        });
      },
    );
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('SQS queue depth (emulator behind a rewriting proxy)', () => {
  let sqs: SqsEmulator;
  let proxy: Server;
  const rewrite = { current: (attributes: Attributes) => attributes };
  const prefix = `depth${randomBytes(3).toString('hex')}`;
  const spec: QueueSpec = { name: 'counted', subscribes: ['depth.test'], retry: { ...retryDefaults, maxAttempts: 3 }, visibilityTimeoutSeconds: 30 };
  const broker = () => {
    const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    return createSqsBroker({ prefix, endpoint, region: sqs.region, credentials: sqs.credentials, waitTimeSeconds: 1 });
  };

  beforeAll(async () => {
    sqs = await startSqsEmulator();
    proxy = await attributeRewritingProxy(sqs.endpoint, rewrite);
  });
  afterAll(async () => {
    await deleteSqsQueues({ prefix, endpoint: sqs.endpoint, region: sqs.region, credentials: sqs.credentials });
    await new Promise((resolve) => proxy.close(resolve));
    await sqs.stop();
  });

  /** A connected broker, through the proxy, with the function's queues provisioned; closed after `work`. */
  async function withBroker(work: (sqsBroker: ReturnType<typeof broker>) => Promise<void>): Promise<void> {
    const sqsBroker = broker();
    try {
      await sqsBroker.connect();
      await sqsBroker.provision(spec);
      await work(sqsBroker);
    } finally {
      rewrite.current = (attributes) => attributes;
      await sqsBroker.close();
    }
  }

  it('counts what the queue holds while every attribute comes back', () =>
    withBroker(async (sqsBroker) => {
      for (let i = 0; i < 3; i++) await sqsBroker.publish({ id: `e${i}`, type: 'depth.test', body: Buffer.from('{}') });
      expect(await sqsBroker.queueDepth(spec)).toEqual({ ready: 3, inFlight: 0, delayed: 0, deadLettered: 0 });
    }));

  it('fails naming the queue and the attribute when one is missing or not a count, instead of counting 0', () =>
    withBroker(async (sqsBroker) => {
      rewrite.current = ({ ApproximateNumberOfMessagesDelayed: _, ...rest }) => rest;
      await expect(sqsBroker.queueDepth(spec)).rejects.toThrow(`SQS queue ${prefix}-counted: attribute ApproximateNumberOfMessagesDelayed is missing`);
      rewrite.current = (attributes) => ({ ...attributes, ApproximateNumberOfMessagesNotVisible: 'lots' });
      await expect(sqsBroker.queueDepth(spec)).rejects.toThrow(
        /SQS queue depth\w+-counted(-dlq)?: attribute ApproximateNumberOfMessagesNotVisible is "lots", not a count/,
      );
    }));
});

describe('countAttribute', () => {
  it('reads whole numbers and refuses anything else', () => {
    expect(countAttribute('https://sqs/1/q', 'ApproximateNumberOfMessages', '12')).toBe(12);
    expect(countAttribute('https://sqs/1/q', 'ApproximateNumberOfMessages', '0')).toBe(0);
    for (const bad of [undefined, '', ' ', '-1', '1.5', 'NaN']) {
      expect(() => countAttribute('https://sqs/1/q', 'ApproximateNumberOfMessages', bad)).toThrow(/^SQS queue q: attribute ApproximateNumberOfMessages is /);
    }
  });
});
