import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../../errors';
import { nodeRequestOf, requestHeader } from '../../node-request';

export interface JsonBodyOptions {
  /** Largest accepted body in bytes, whether announced by Content-Length or sent chunked. */
  maxBytes: number;
}

export type JsonBodyVariables = { jsonBody: unknown };

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Accepts only `application/json` bodies up to `maxBytes` of valid UTF-8 JSON and puts the parsed
 * value in `c.var.jsonBody`. Throws a 415, 413 or 400 ApiError otherwise.
 *
 * @example
 * app.post('/message/publish', jsonBody({ maxBytes: 64 * 1024 }), (c) => c.json(c.var.jsonBody));
 */
export function jsonBody(options: JsonBodyOptions): MiddlewareHandler<{ Variables: JsonBodyVariables }> {
  const tooLarge = `body exceeds ${options.maxBytes} bytes`;
  return async (c, next) => {
    const contentType = requestHeader(c, 'content-type') ?? '';
    const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
    if (mediaType !== 'application/json' && !mediaType.endsWith('+json')) {
      throw new ApiError(415, 'unsupported_media_type', 'Content-Type must be application/json');
    }
    const declared = requestHeader(c, 'content-length');
    if (declared !== undefined && Number(declared) > options.maxBytes) {
      throw new ApiError(413, 'payload_too_large', tooLarge);
    }
    // On Node, a body with Content-Length is framed by the HTTP parser to exactly that many bytes, so it
    // can be read whole without building a WHATWG Request and stream (most of a small request's cost).
    const bytes =
      nodeRequestOf(c) && declared !== undefined ? new Uint8Array(await c.req.raw.arrayBuffer()) : await readLimited(c.req.raw.body, options.maxBytes);
    if (bytes === undefined) throw new ApiError(413, 'payload_too_large', tooLarge);
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      throw new ApiError(400, 'invalid_encoding', 'body is not valid UTF-8');
    }
    try {
      c.set('jsonBody', JSON.parse(text));
    } catch (error) {
      throw new ApiError(400, 'malformed_json', `body is not valid JSON: ${(error as Error).message}`);
    }
    await next();
  };
}

/** The whole body, or undefined as soon as it passes `maxBytes` (the rest is not read). */
async function readLimited(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array | undefined> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(chunks, size);
}
