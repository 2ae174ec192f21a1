import { Hono } from 'hono';
import { z } from 'zod';
import type { EventDefinition } from '@qfn/shared';
import { errorBody, listQuery, messagePage, publishAccepted, publishRequest, storedMessage } from './schemas';

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output') => z.toJSONSchema(s, { target: 'openapi-3.0', io, unrepresentable: 'any' });
const json = (s: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema: schema(s) } } });
const error = (description: string) => json(errorBody, description);

/** The OpenAPI 3.0 document of the HTTP API, derived from the same zod schemas that validate requests. */
export function openApiDocument(options: { maxBodyBytes: number; events?: ReadonlyMap<string, EventDefinition> }) {
  const queryParameters = Object.entries((schema(listQuery, 'input') as { properties: Record<string, object> }).properties).map(([name, s]) => ({
    name,
    in: 'query',
    required: false,
    schema: s,
  }));
  return {
    openapi: '3.0.3',
    info: {
      title: 'qfn publish API',
      version: '1.0.0',
      description: 'Accepts events for queue-driven functions and reads back what they stored.',
    },
    components: {
      securitySchemes: {
        publishToken: { type: 'http', scheme: 'bearer', description: 'PUBLISH_API_TOKENS (X-API-Key works too); the message API is open when none is set' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_API_TOKEN' },
      },
    },
    security: [{ publishToken: [] }],
    paths: {
      '/message/publish': {
        post: {
          summary: 'Publish a message',
          description: `Validates the message, publishes it and answers 202 once the broker confirmed it durably. Body at most ${options.maxBodyBytes} bytes.`,
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              description: 'A retried request with the same key and body returns the same id without publishing twice.',
              schema: { type: 'string', maxLength: 255 },
            },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: schema(publishRequest, 'input') } } },
          responses: {
            '202': json(publishAccepted, 'Published; the broker confirmed it'),
            '400': error('Malformed JSON, invalid UTF-8, or schema violations (issues lists each field)'),
            '409': error('A request with the same Idempotency-Key is being published'),
            '413': error('Body too large'),
            '415': error('Content-Type is not application/json'),
            '401': error('Missing or invalid token (when PUBLISH_API_TOKENS is set)'),
            '408': error('The request body did not arrive within REQUEST_TIMEOUT_MS'),
            '422': error('No function subscribes to the event type, or the Idempotency-Key was used with another body'),
            '429': error('Rate limit of this client exceeded (Retry-After says when to retry)'),
            '503': error('Broker unreachable, or it did not confirm in time: retry (with the same Idempotency-Key the retry cannot publish twice)'),
          },
        },
      },
      ...eventPaths(options.events ?? new Map(), options.maxBodyBytes),
      '/events': {
        get: {
          summary: 'The event catalog: every declared event type as JSON Schema (draft 2020-12), its version and subscribers',
          responses: { '200': { description: '{ format, revision, events: { <type>: { version, description, subscribers, schema } } } (ETag: the revision)' } },
        },
      },
      '/message/{id}': {
        get: {
          summary: 'A stored message and the functions that processed it',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': json(storedMessage, 'The stored message'), '401': error('Missing or invalid token'), '404': error('Unknown id') },
        },
      },
      '/message': {
        get: {
          summary: 'List stored messages, newest first',
          parameters: queryParameters,
          responses: { '200': json(messagePage, 'One page'), '400': error('Bad query parameters'), '401': error('Missing or invalid token') },
        },
      },
      '/admin/dlq/{function}': {
        get: {
          summary: 'Dead letters of a function, oldest first (admin token); POST …/replay?limit= moves them back, DELETE ?confirm=<function> purges',
          security: [{ adminToken: [] }],
          parameters: [{ name: 'function', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': { description: '{ function, count, items: [{ eventId, reason, attempts, deadLetteredAt, body }] }' },
            '401': error('Not the admin token'),
            '403': error('Admin API off'),
            '404': error('Unknown function'),
          },
        },
      },
      '/healthz': { get: { summary: 'Liveness', security: [], responses: { '200': { description: 'The process runs' } } } },
      '/readyz': {
        get: {
          summary: 'Readiness',
          security: [],
          responses: { '200': { description: 'Broker and database reachable' }, '503': { description: 'Not ready' } },
        },
      },
    },
  };
}

/** One path per declared event type, each with its own request body. */
function eventPaths(events: ReadonlyMap<string, EventDefinition>, maxBodyBytes: number) {
  const paths: Record<string, object> = {};
  for (const definition of [...events.values()].sort((a, b) => a.type.localeCompare(b.type))) {
    paths[`/events/${definition.type}`] = {
      post: {
        summary: `Publish ${definition.type}${definition.description ? `: ${definition.description}` : ''}`,
        description: `The event's data is the body (version ${definition.version}). 202 once the broker confirmed it durably. Body at most ${maxBodyBytes} bytes.`,
        parameters: [
          {
            name: 'delaySeconds',
            in: 'query',
            required: false,
            description: 'Deliver this many seconds from now (kept in Postgres until due; up to a year)',
            schema: { type: 'number', minimum: 0 },
          },
          {
            name: 'deliverAt',
            in: 'query',
            required: false,
            description: 'Deliver at this ISO 8601 time (with a zone); not with delaySeconds',
            schema: { type: 'string', format: 'date-time' },
          },
        ],
        requestBody: { required: true, content: { 'application/json': { schema: schema(definition.schema, 'input') } } },
        responses: {
          '202': json(publishAccepted, 'Published; the broker confirmed it'),
          '400': error('Malformed JSON, or the data does not match the type (issues lists each field)'),
          '413': error('Body too large'),
          '415': error('Content-Type is not application/json'),
          '401': error('Missing or invalid token (when PUBLISH_API_TOKENS is set)'),
          '422': error('No function subscribes to this type (unknown types also answer 422)'),
          '503': error('Broker unreachable or blocked: retry'),
        },
      },
    };
  }
  return paths;
}

const docsPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>qfn publish API</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><script id="api-reference" data-url="/openapi.json"></script>
<script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference"></script></body></html>`;

/** `/openapi.json` and an interactive reference page at `/docs`. */
export function openApiRoutes(options: { maxBodyBytes: number; events?: ReadonlyMap<string, EventDefinition> }) {
  const document = openApiDocument(options);
  return new Hono().get('/openapi.json', (c) => c.json(document)).get('/docs', (c) => c.html(docsPage));
}
