/** Baseline: a bare Hono handler that parses the same JSON body and answers 202. */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const port = Number(process.env['PORT'] ?? 3100);
const app = new Hono().post('/message/publish', async (c) => {
  const body = await c.req.json();
  return c.json({ id: typeof body === 'object' ? 'baseline' : 'x' }, 202);
});
serve({ fetch: app.fetch, port }, () => console.log(JSON.stringify({ msg: 'listening', port })));
process.on('SIGTERM', () => process.exit(0));
