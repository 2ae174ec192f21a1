/**
 * Fuzzes the publish API with generated requests that are each wrong in at least one way: malformed,
 * oversized, wrongly typed, wrongly encoded, unauthenticated, on the wrong route. Over 10,000 go
 * through the real app in-process and a few hundred through a real HTTP server on raw sockets
 * (chunked bodies, broken Content-Length, oversized headers). Every answer must be a 4xx JSON error
 * of the documented shape, memory must stay bounded, and nothing may reach a queue.
 */
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { serve } from '@hono/node-server';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { limits } from '@qfn/events';
import { type QueueSpec } from '@qfn/shared/platform';
import { useConsumingBroker } from '../../../test/support/consuming';
import { uniqueName } from '../../../test/support/names';
import { createTestPublishApp } from '../../../test/support/publish-app';
import { waitFor } from '../../../test/support/wait';
import { answerClientErrorsWithJson } from './protection';

const token = 'fuzz-token-0123456789abcdef';
const maxBodyBytes = 4096;
const inProcessRequests = 10_000;
const rawRequests = 400;

/** Small seeded generator (mulberry32), so a failure can be replayed with FUZZ_SEED. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const text = (length: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789') => Array.from({ length }, () => alphabet[int(alphabet.length)]).join('');
  return { next, int, pick, text };
}
type Random = ReturnType<typeof random>;

const valid = () => ({ ts: '19941114', sender: 'haimeng', messageAttributes: { publisher: 'fuzz' }, sent_from_ip: '10.0.0.1', priority: 1 });
const manyAttributes = Object.fromEntries(Array.from({ length: limits.attributeCount + 1 }, (_, i) => [`k${i}`, 'v']));

/** Values that break each field (type, format or size). */
const wrongValues: Record<string, unknown[]> = {
  ts: [0, 19941114, null, true, [], {}, '', 'soon', '2023-02-30', '20231301', '1994-11-14T25:00:00Z', 'x'.repeat(41)],
  sender: [0, null, [], {}, '', '   ', 'x'.repeat(limits.senderLength + 1), true, 'nul\u0000'],
  messageAttributes: [
    [],
    'a',
    0,
    null,
    { a: 1 },
    { a: null },
    { '': 'x' },
    { ['k'.repeat(limits.attributeKeyLength + 1)]: 'v' },
    manyAttributes,
    { a: { b: 'c' } },
    { a: ['b'] },
    { a: '\u0000' },
    { '\u0000': 'a' },
  ],
  sent_from_ip: ['', '256.1.1.1', '10.0.0', 'localhost', 0, null, '::g', '1.2.3.4/24', ' 10.0.0.1', '10.0.0.1 ', [], {}],
  priority: [-1, limits.priorityMax + 1, 1.5, '1', null, true, 1e300, [], {}],
  type: ['', 'a', 'UPPER.case', '#', '*.x', 'message..published', `${'x'.repeat(129)}.y`, 0, null, 'message.published ', 'message.#', ['message.published']],
};

interface FuzzRequest {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

const json = (body: unknown) => JSON.stringify(body);
const authorized = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
const post = (kind: string, body: string | Uint8Array, headers: Record<string, string> = authorized): FuzzRequest => ({
  kind,
  method: 'POST',
  path: '/message/publish',
  headers,
  body,
});

/** One generated request; every generator produces requests that must be refused. */
const generators: ((r: Random) => FuzzRequest)[] = [
  (r) => {
    const field = r.pick(Object.keys(wrongValues));
    return post(`wrong ${field}`, json({ ...valid(), [field]: r.pick(wrongValues[field]!) }));
  },
  (r) => {
    const body: Record<string, unknown> = valid();
    delete body[r.pick(['ts', 'sender', 'sent_from_ip', 'priority'])];
    return post('missing field', json(body));
  },
  (r) => {
    const key = r.pick(['color', 'id', 'time', 'data', 'Sender', 'priority ', r.text(1 + r.int(20))]);
    return post('unknown field', json({ ...valid(), [key]: r.pick([1, 'x', null, {}]) }));
  },
  (r) => post('prototype keys', `{${json(valid()).slice(1, -1)},"${r.pick(['__proto__', 'constructor', 'prototype'])}":{"polluted":true}}`),
  (r) => post('not an object', json(r.pick([[], 'text', 0, null, true, [valid()], { ...valid(), messageAttributes: undefined, sender: undefined }]))),
  (r) => {
    const text = json(valid());
    return post('truncated JSON', text.slice(0, r.int(text.length)));
  },
  (r) => {
    const text = json(valid());
    return post(
      'broken JSON',
      r.pick([
        `${text}x`,
        `${text}}`,
        `${text},{}`,
        `x${text}`,
        text.replaceAll('"', "'"),
        `${text.slice(0, -1)},}`,
        text.replace('"priority":1', '"priority":NaN'),
        text.replace('"priority":1', '"priority":Infinity'),
        `${text.slice(0, -1)},"priority":99}`,
        text.replace('{', '{/*c*/'),
        '',
        ' ',
        '\u0000',
      ]),
    );
  },
  (r) => {
    const depth = 100 + r.int(1500);
    return post(
      'deep nesting',
      r.pick(['['.repeat(depth), `${'['.repeat(depth)}${']'.repeat(depth)}`, `${'{"a":'.repeat(depth / 3)}1${'}'.repeat(depth / 3)}`]),
    );
  },
  (r) => {
    const bytes = Buffer.from(json(valid()));
    bytes[1 + r.int(bytes.length - 2)] = r.pick([0xff, 0xfe, 0xc0, 0xc1, 0x80, 0xbf, 0xf8]);
    return post('invalid UTF-8', bytes);
  },
  (r) => {
    const text = json(valid());
    const at = 1 + r.int(text.length - 2);
    const bytes = Buffer.concat([
      Buffer.from(text.slice(0, at)),
      Buffer.from(
        r.pick([
          [0xed, 0xa0, 0x80],
          [0xc1, 0xbb],
          [0xe0, 0x80, 0xaf],
          [0xf4, 0x90, 0x80, 0x80],
        ]),
      ),
      Buffer.from(text.slice(at)),
    ]);
    return post('overlong or surrogate UTF-8', bytes);
  },
  () => post('UTF-16', Buffer.from(json(valid()), 'utf16le')),
  (r) => post('oversized body', json({ ...valid(), sender: 'x'.repeat(maxBodyBytes + r.int(maxBodyBytes)) })),
  (r) => post('oversized attribute', json({ ...valid(), messageAttributes: { a: 'v'.repeat(limits.attributeValueLength + 1 + r.int(100)) } })),
  (r) => post('oversized declared length', json({ ...valid(), priority: -1 }), { ...authorized, 'content-length': String(maxBodyBytes + 1 + r.int(1e9)) }),
  (r) => {
    const contentType = r.pick([
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonx',
      'json',
      'application/xml',
      '*/*',
      'text/json',
    ]);
    return post('wrong content type', json(valid()), { authorization: `Bearer ${token}`, 'content-type': contentType });
  },
  () => post('no content type', json(valid()), { authorization: `Bearer ${token}` }),
  (r) => {
    const auth = r.pick<Record<string, string>>([
      {},
      { authorization: 'Bearer ' },
      { authorization: `Bearer ${token}x` },
      { authorization: `Bearer ${token.slice(0, -1)}` },
      { authorization: `Basic ${btoa(`user:${token}`)}` },
      { authorization: token },
      { authorization: `Bearer ${r.text(token.length)}` },
      { 'x-api-key': r.text(1 + r.int(64)) },
      { authorization: `Bearer ${'x'.repeat(5000)}` },
    ]);
    return post('bad credentials', json(valid()), { 'content-type': 'application/json', ...auth });
  },
  (r) => {
    const key = r.pick(['has space', 'tab\there', 'x'.repeat(256), 'clé', '']);
    return post('bad Idempotency-Key', json(valid()), { ...authorized, 'idempotency-key': key });
  },
  (r) => ({
    kind: 'wrong method',
    method: r.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']),
    path: '/message/publish',
    headers: authorized,
    body: undefined,
  }),
  (r) => ({
    kind: 'wrong path',
    method: r.pick(['POST', 'GET']),
    path: r.pick([
      '/message/publish/',
      '/messages',
      '/message/publish/x',
      '/publish',
      '/%ff',
      '/message/%00',
      `/${'a'.repeat(3000)}`,
      '/admin/dlq',
      '/admin/dlq/store-message',
    ]),
    headers: authorized,
    body: undefined,
  }),
  (r) => ({
    kind: 'bad query',
    method: 'GET',
    path: r.pick([
      '/message?cursor=%00',
      '/message?sender=a%00',
      '/message?limit=0',
      '/message?limit=abc',
      '/message?limit=501',
      `/message?cursor=${'c'.repeat(65)}`,
      '/message?color=red',
      `/message?sender=${'s'.repeat(257)}`,
      '/message?limit=-1',
    ]),
    headers: authorized,
    body: undefined,
  }),
  (r) => ({
    kind: 'unknown message',
    method: 'GET',
    path: `/message/${r.pick([r.text(36), 'x'.repeat(65), '00000000-0000-7000-8000-000000000000', '%00', 'a%00b'])}`,
    headers: authorized,
    body: undefined,
  }),
];

/** The documented error shape: `{ error, message, issues? }` and nothing else. */
function expectErrorBody(request: { kind: string }, status: number, contentType: string | null, text: string): void {
  const where = `${request.kind} → ${status} ${text.slice(0, 200)}`;
  expect(status, where).toBeGreaterThanOrEqual(400);
  expect(status, where).toBeLessThan(500);
  expect(contentType ?? '', where).toMatch(/^application\/json/);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(
    Object.keys(body).every((key) => ['error', 'message', 'issues'].includes(key)),
    where,
  ).toBe(true);
  expect(typeof body['error'] === 'string' && body['error'].length > 0, where).toBe(true);
  expect(typeof body['message'], where).toBe('string');
  if (body['issues'] !== undefined) {
    const issues = body['issues'] as { path: unknown; message: unknown }[];
    expect(Array.isArray(issues) && issues.every((i) => typeof i.path === 'string' && typeof i.message === 'string'), where).toBe(true);
  }
}

/** Sends raw bytes on a fresh connection and returns every response read until the server closes it. */
function rawExchange(port: number, bytes: Buffer): Promise<{ status: number; contentType: string | null; body: string }[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve(parseResponses(Buffer.concat(chunks))) : reject(error)));
    socket.on('close', () => resolve(parseResponses(Buffer.concat(chunks))));
    socket.end(bytes);
  });
}

function parseResponses(data: Buffer): { status: number; contentType: string | null; body: string }[] {
  const responses: { status: number; contentType: string | null; body: string }[] = [];
  let rest = data;
  while (rest.length > 0) {
    const headerEnd = rest.indexOf('\r\n\r\n');
    if (headerEnd < 0) throw new Error(`incomplete response: ${rest.toString().slice(0, 200)}`);
    const [statusLine, ...headerLines] = rest.subarray(0, headerEnd).toString('latin1').split('\r\n');
    const headers = new Map(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
    let body: Buffer;
    rest = rest.subarray(headerEnd + 4);
    if (headers.get('transfer-encoding') === 'chunked') {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = rest.indexOf('\r\n');
        const size = parseInt(rest.subarray(0, lineEnd).toString(), 16);
        rest = rest.subarray(lineEnd + 2);
        if (size === 0) {
          rest = rest.subarray(2);
          break;
        }
        parts.push(rest.subarray(0, size));
        rest = rest.subarray(size + 2);
      }
      body = Buffer.concat(parts);
    } else {
      const length = Number(headers.get('content-length') ?? rest.length);
      body = rest.subarray(0, length);
      rest = rest.subarray(length);
    }
    responses.push({ status: Number(statusLine!.split(' ')[1]), contentType: headers.get('content-type') ?? null, body: body.toString('utf8') });
  }
  return responses;
}

const chunked = (parts: Buffer[]) =>
  Buffer.concat([...parts.flatMap((part) => [Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]), Buffer.from('0\r\n\r\n')]);
const head = (lines: string[]) =>
  Buffer.from(
    `POST /message/publish HTTP/1.1\r\nhost: fuzz\r\nconnection: close\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`,
  );
const split = (r: Random, bytes: Buffer) => {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = 1 + r.int(700);
    parts.push(bytes.subarray(at, at + size));
    at += size;
  }
  return parts;
};

/** Requests only a real HTTP server sees: framing, chunking and header faults. */
const rawGenerators: ((r: Random) => { kind: string; bytes: Buffer })[] = [
  (r) => ({
    kind: 'chunked over the limit',
    bytes: Buffer.concat([
      head(['transfer-encoding: chunked']),
      chunked(split(r, Buffer.from(json({ ...valid(), sender: 's'.repeat(maxBodyBytes + r.int(20_000)) })))),
    ]),
  }),
  (r) => {
    const bytes = Buffer.from(json(valid()));
    bytes[1 + r.int(bytes.length - 2)] = 0xff;
    return { kind: 'chunked invalid UTF-8', bytes: Buffer.concat([head(['transfer-encoding: chunked']), chunked(split(r, bytes))]) };
  },
  (r) => ({
    kind: 'chunked wrong schema',
    bytes: Buffer.concat([head(['transfer-encoding: chunked']), chunked(split(r, Buffer.from(json({ ...valid(), priority: 'high' }))))]),
  }),
  (r) => ({
    kind: 'chunked truncated JSON',
    bytes: Buffer.concat([head(['transfer-encoding: chunked']), chunked(split(r, Buffer.from(json(valid()).slice(0, 20 + r.int(40)))))]),
  }),
  (r) => ({
    kind: 'bad chunk size',
    bytes: Buffer.concat([head(['transfer-encoding: chunked']), Buffer.from(`${r.pick(['zz', '-1', 'fffffffffffffffffff', '4 4'])}\r\n{"a":1}\r\n0\r\n\r\n`)]),
  }),
  (r) => ({ kind: 'huge Content-Length', bytes: Buffer.concat([head([`content-length: ${maxBodyBytes + 1 + r.int(1e9)}`]), Buffer.from('{"ts":')]) }),
  (r) => ({
    kind: 'non-numeric Content-Length',
    bytes: Buffer.concat([head([`content-length: ${r.pick(['abc', '-5', '1e3', '0x10', ''])}`]), Buffer.from(json(valid()))]),
  }),
  () => ({ kind: 'two Content-Lengths', bytes: Buffer.concat([head(['content-length: 10', 'content-length: 20']), Buffer.from(json(valid()))]) }),
  () => {
    const body = Buffer.from(json(valid()));
    return {
      kind: 'Content-Length and chunked',
      bytes: Buffer.concat([head([`content-length: ${body.length}`, 'transfer-encoding: chunked']), chunked([body])]),
    };
  },
  (r) => {
    const body = Buffer.from(json(valid()));
    return { kind: 'short Content-Length', bytes: Buffer.concat([head([`content-length: ${5 + r.int(body.length - 10)}`]), body]) };
  },
  (r) => ({
    kind: 'oversized header',
    bytes: Buffer.concat([head([`x-padding: ${'p'.repeat(20_000 + r.int(50_000))}`, 'content-length: 2']), Buffer.from('{}')]),
  }),
  () => ({
    kind: 'no token over HTTP',
    bytes: Buffer.from(
      `POST /message/publish HTTP/1.1\r\nhost: fuzz\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(json(valid()))}\r\n\r\n${json(valid())}`,
    ),
  }),
];

describe('publish API under fuzzing', () => {
  const prefix = uniqueName('fuzz');
  const seed = Number(process.env['FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
  let delivered = 0;
  const catchAll: QueueSpec = {
    name: 'fuzz-catch-all',
    subscribes: ['#'],
    retry: { maxAttempts: 1, initialDelayMs: 0, multiplier: 1, maxDelayMs: 0 },
    visibilityTimeoutSeconds: 30,
  };
  let app: ReturnType<typeof createTestPublishApp>;
  // Every event type ends up in catchAll: anything published at all is counted.
  const fixture = useConsumingBroker({ prefix, queues: [catchAll], prefetch: 100, onDelivery: () => delivered++ });

  beforeAll(async () => {
    app = createTestPublishApp(fixture.broker, fixture.database, {
      maxBodyBytes,
      protection: { publishTokens: [token] },
      admin: { queues: [catchAll], tokens: ['admin-token-0123456789abcdef'] },
    });
    // A valid request does get through, so the refusals below are the fuzzed inputs' doing.
    const accepted = await app.request('/message/publish', { method: 'POST', headers: authorized, body: json(valid()) });
    expect(accepted.status).toBe(202);
    await waitFor('the valid message delivered', () => delivered === 1, 10_000, 20);
    delivered = 0;
  });

  it(`refuses ${inProcessRequests} generated bad requests with 4xx JSON errors, in bounded memory, publishing nothing`, async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const r = random(seed);
    const used = new Set<number>();
    const statuses = new Map<number, number>();
    const send = async () => {
      const index = r.int(generators.length);
      used.add(index);
      const request = generators[index]!(r);
      const response = await app.request(request.path, {
        method: request.method,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
      });
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      expectErrorBody(request, response.status, response.headers.get('content-type'), await response.text());
    };
    for (let i = 0; i < 500; i++) await send(); // warm up before measuring
    gc();
    const before = process.memoryUsage();
    for (let i = 500; i < inProcessRequests; i += 20) await Promise.all(Array.from({ length: 20 }, send));
    gc();
    const after = process.memoryUsage();

    const heapGrowthMb = (after.heapUsed - before.heapUsed) / 2 ** 20;
    expect(heapGrowthMb, `seed ${seed}`).toBeLessThan(16);
    expect(statuses.has(202)).toBe(false);
    expect(used.size).toBe(generators.length);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(delivered).toBe(0);
    const [claims] = (await fixture.database.db.execute(sql`select count(*)::int as n from idempotency_keys`)) as unknown as { n: number }[];
    expect(claims!.n).toBe(0);
    process.stdout.write(
      `[fuzz-report] in-process ${JSON.stringify({ seed, requests: inProcessRequests, statuses: Object.fromEntries(statuses), heapGrowthMb: Math.round(heapGrowthMb * 10) / 10, rssMb: Math.round(after.rss / 2 ** 20) })}\n`,
    );
  }, 120_000);

  it(`refuses ${rawRequests} malformed HTTP requests on a real server with JSON errors`, async () => {
    const r = random(seed + 1);
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    answerClientErrorsWithJson(server);
    await new Promise((resolve) => server.once('listening', resolve));
    const port = (server.address() as { port: number }).port;
    const statuses = new Map<number, number>();
    try {
      for (let i = 0; i < rawRequests; i += 10) {
        await Promise.all(
          Array.from({ length: 10 }, async () => {
            const request = r.pick(rawGenerators)(r);
            const responses = await rawExchange(port, request.bytes);
            expect(responses.length, request.kind).toBeGreaterThan(0);
            for (const response of responses) {
              statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
              expectErrorBody(request, response.status, response.contentType, response.body);
            }
          }),
        );
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(delivered).toBe(0);
    process.stdout.write(`[fuzz-report] raw-http ${JSON.stringify({ seed, requests: rawRequests, statuses: Object.fromEntries(statuses) })}\n`);
  }, 120_000);
});
