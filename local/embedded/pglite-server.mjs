// Serves one PGlite database to many Postgres clients over TCP. PGlite is a single session, so the
// server must never let two connections' messages mix: pglite-socket's own queue does mix extended-
// protocol sequences (Parse/Bind/Execute/Sync) of different connections outside transactions, and
// stalls for good after one failed message (electric-sql/pglite#1046). This scheduler keeps
// pglite-socket's protocol framing (PGLiteSocketHandler) and replaces its queue: a connection keeps
// the session from its first message until the sequence ends (Sync or a simple Query) and the
// session is out of any transaction it opened.
import { createServer } from 'node:net';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';

/** Message types after which the backend is ready for any connection again (unless in a transaction). */
const sequenceEnds = new Set(['S', 'Q', 'X']);
/** Sync, to end a sequence a client left unfinished when it went away. */
const syncMessage = new Uint8Array([0x53, 0, 0, 0, 4]);

const isStartup = (message) => message.length >= 8 && message[0] === 0 && new DataView(message.buffer, message.byteOffset).getInt32(4) === 196608;

export class SessionScheduler {
  /** @param {import('@electric-sql/pglite').PGlite} db */
  constructor(db) {
    this.db = db;
    /** @type {{ handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void, resolve: (n: number) => void, reject: (e: unknown) => void }[]} */
    this.queue = [];
    /** The connection that holds the session, or null. */
    this.owner = null;
    this.processing = false;
  }

  enqueue(handlerId, message, onData) {
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.process();
    });
  }

  getQueueLength() {
    return this.queue.length;
  }

  #next() {
    if (this.owner === null) return this.queue.shift();
    const index = this.queue.findIndex((item) => item.handlerId === this.owner);
    return index === -1 ? undefined : this.queue.splice(index, 1)[0];
  }

  async process() {
    if (this.processing) return;
    this.processing = true;
    try {
      for (let item = this.#next(); item; item = this.#next()) {
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
          item.resolve(bytes);
        } catch (error) {
          item.reject(error);
        }
        const type = isStartup(item.message) ? '' : String.fromCharCode(item.message[0]);
        const sequenceOpen = type !== '' && !sequenceEnds.has(type);
        this.owner = sequenceOpen || this.db.isInTransaction() ? item.handlerId : null;
      }
    } finally {
      this.processing = false;
    }
  }

  clearQueueForHandler(handlerId) {
    this.queue = this.queue.filter((item) => {
      if (item.handlerId !== handlerId) return true;
      item.reject(new Error('connection closed'));
      return false;
    });
  }

  /** A connection went away: end whatever it left open, then let the others in. */
  async clearTransactionIfNeeded(handlerId) {
    if (this.owner !== handlerId) return;
    try {
      await this.db.runExclusive(() => this.db.execProtocolRaw(syncMessage));
      // exec() takes the exclusive lock itself.
      if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    } finally {
      this.owner = null;
      void this.process();
    }
  }
}

/**
 * @param {{ db: import('@electric-sql/pglite').PGlite, host: string, port: number, maxConnections: number }} options
 * @returns {Promise<{ port: number, stop(): Promise<void> }>}
 */
export async function servePglite(options) {
  await options.db.waitReady;
  const scheduler = new SessionScheduler(options.db);
  const handlers = new Set();
  const server = createServer((socket) => {
    if (handlers.size >= options.maxConnections) {
      socket.end();
      return;
    }
    const handler = new PGLiteSocketHandler({ queryQueue: scheduler, closeOnDetach: true });
    handlers.add(handler);
    handler.addEventListener('close', () => handlers.delete(handler));
    handler.addEventListener('error', () => handlers.delete(handler));
    void handler.attach(socket);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  return {
    port: server.address().port,
    async stop() {
      await Promise.all([...handlers].map((handler) => handler.detach(true)));
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
