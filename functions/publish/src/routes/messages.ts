import { Hono } from 'hono';
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import { messages } from '@qfn/events';
import { inbox, type Database } from '@qfn/shared/platform';
import { ApiError, parseQuery } from '../errors';
import { listQuery } from '../schemas';

type MessageRow = typeof messages.$inferSelect;

function present(row: MessageRow) {
  return {
    id: row.id,
    type: row.type,
    ts: row.ts,
    sender: row.sender,
    messageAttributes: row.messageAttributes,
    sent_from_ip: row.sentFromIp,
    priority: row.priority,
    acceptedAt: new Date(row.acceptedAt).toISOString(),
    storedAt: new Date(row.storedAt).toISOString(),
  };
}

/** `GET /message/:id` and `GET /message?sender&limit&cursor`: what the consumers stored. */
export function messageRoutes(db: Database) {
  return new Hono()
    .get('/message/:id', async (c) => {
      const id = c.req.param('id');
      if (id.length > 64 || id.includes('\u0000')) throw new ApiError(404, 'not_found', `no message ${JSON.stringify(id.slice(0, 64))}`);
      const [row] = await db.select().from(messages).where(eq(messages.id, id));
      if (!row) throw new ApiError(404, 'not_found', `no stored message with id ${id}`);
      const processed = await db.select({ functionName: inbox.functionName }).from(inbox).where(eq(inbox.eventId, id));
      return c.json({ ...present(row), processedBy: processed.map((p) => p.functionName).sort() });
    })
    .get('/message', async (c) => {
      const { sender, limit, cursor } = parseQuery(listQuery, c.req.query());
      const conditions: SQL[] = [];
      if (sender) conditions.push(eq(messages.sender, sender));
      if (cursor) conditions.push(lt(messages.id, cursor));
      const rows = await db
        .select()
        .from(messages)
        .where(conditions.length ? and(...conditions) : undefined)
        .orderBy(desc(messages.id))
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      return c.json({ items: page.map(present), nextCursor: rows.length > limit ? page[page.length - 1]!.id : null });
    });
}
