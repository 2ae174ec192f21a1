import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonBody, type JsonBodyVariables } from './index';

const app = new Hono<{ Variables: JsonBodyVariables }>().post('/', jsonBody({ maxBytes: 32 }), (c) => c.json({ got: c.var.jsonBody }));

function chunked(parts: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(new TextEncoder().encode(part));
      controller.close();
    },
  });
}

describe('jsonBody', () => {
  it('parses a JSON body', async () => {
    const res = await app.request('/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ got: { a: 1 } });
  });

  it('accepts a charset parameter and +json types', async () => {
    for (const type of ['application/json; charset=utf-8', 'application/cloudevents+json']) {
      const res = await app.request('/', { method: 'POST', headers: { 'content-type': type }, body: '[]' });
      expect(res.status).toBe(200);
    }
  });

  it('answers 415 for another content type', async () => {
    const res = await app.request('/', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ error: 'unsupported_media_type' });
  });

  it('answers 413 when Content-Length announces too much', async () => {
    const res = await app.request('/', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '1000' },
      body: '{}',
    });
    expect(res.status).toBe(413);
  });

  it('answers 413 for a chunked body that grows too large', async () => {
    const body = chunked(['{"a":"', 'x'.repeat(20), 'y'.repeat(20), '"}']);
    const res = await app.request('/', { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'payload_too_large' });
  });

  it('answers 400 for malformed JSON and for bytes that are not UTF-8', async () => {
    const malformed = await app.request('/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: 'malformed_json' });
    const latin1 = await app.request('/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Uint8Array([0x22, 0xe9, 0x22]),
    });
    expect(latin1.status).toBe(400);
    expect(await latin1.json()).toMatchObject({ error: 'invalid_encoding' });
  });
});

describe('jsonBody on a Node server (body read straight from the socket)', () => {
  let server: ServerType;
  let base = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
        base = `http://127.0.0.1:${info.port}/`;
        resolve();
      });
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const send = (body: string | Uint8Array | ReadableStream<Uint8Array>, headers: Record<string, string>, init: RequestInit = {}) =>
    fetch(base, { method: 'POST', headers, body, ...init });

  it('parses a body announced by Content-Length', async () => {
    const res = await send('{"a":1}', { 'content-type': 'application/json; charset=utf-8' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ got: { a: 1 } });
  });

  it('refuses a wrong type, a too large announced body, and bytes that are not UTF-8', async () => {
    expect((await send('{}', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await send(JSON.stringify({ a: 'x'.repeat(40) }), { 'content-type': 'application/json' })).status).toBe(413);
    const latin1 = await send(new Uint8Array([0x22, 0xe9, 0x22]), { 'content-type': 'application/json' });
    expect(latin1.status).toBe(400);
    expect(await latin1.json()).toMatchObject({ error: 'invalid_encoding' });
  });

  it('still stops reading a chunked body (no Content-Length) once it passes the limit', async () => {
    const res = await send(chunked(['{"a":"', 'x'.repeat(20), 'y'.repeat(20), '"}']), { 'content-type': 'application/json' }, {
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    const small = await send(chunked(['{"a":', '2}']), { 'content-type': 'application/json' }, { duplex: 'half' } as RequestInit);
    expect(await small.json()).toEqual({ got: { a: 2 } });
  });
});
