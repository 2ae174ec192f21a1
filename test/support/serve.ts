import { serve } from '@hono/node-server';

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** Drops open connections (streams included) and stops listening. */
  close(): Promise<void>;
}

/** Serves `fetch` on a free loopback port, resolved once it listens. */
export async function serveOnLoopback(fetch: Parameters<typeof serve>[0]['fetch']): Promise<LoopbackServer> {
  const server = serve({ fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: async () => {
      (server as unknown as { closeAllConnections(): void }).closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
