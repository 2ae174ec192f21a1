import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxyOptions {
  targetHost: string;
  targetPort: number;
}

/**
 * A TCP proxy a test puts between a process and its broker or database, to break the network
 * between them on purpose.
 */
export interface TcpProxy {
  /** Port on 127.0.0.1 to connect to instead of the target. */
  readonly port: number;
  /** Open client connections. */
  readonly connections: number;
  /** The local ports of the proxy's open connections to the target (how the target sees them, e.g. pg_stat_activity.client_port). */
  readonly upstreamPorts: number[];
  /** Rewrites a URL so it goes through the proxy. */
  via(url: string): string;
  /** Stops moving bytes both ways (a stalled network: nothing is lost, nothing arrives) until resume(). */
  pause(): void;
  resume(): void;
  /** Holds every chunk this long before forwarding it, in order (0: no delay). */
  setDelay(ms: number): void;
  /** Resets every open connection (TCP RST both ways). */
  reset(): number;
  /** While refusing, new connections are reset as soon as they arrive (the target is "down"). */
  refuse(refusing: boolean): void;
  /**
   * While black-holing, new connections are accepted and never answered (a half-open network, a
   * stuck proxy, a peer that accepts and hangs); they stay that way after it ends.
   */
  blackhole(on: boolean): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

/**
 * Starts a proxy on a free port of 127.0.0.1 forwarding to the target.
 *
 * @example
 * const proxy = await startTcpProxy({ targetHost: '127.0.0.1', targetPort: 5432 });
 * const env = { DATABASE_URL: proxy.via('postgres://postgres@127.0.0.1:5432/postgres') };
 * proxy.reset(); // every open database connection breaks
 */
export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let paused = false;
  let delayMs = 0;
  let refusing = false;
  let blackholing = false;
  const swallowed = new Set<Socket>();

  /** Forwards `from` → `to`, honouring pause and delay, keeping chunk order. */
  const forward = (from: Socket, to: Socket) => {
    let queue = Promise.resolve();
    let pending = 0;
    from.on('data', (chunk) => {
      const wait = delayMs;
      if (wait === 0 && !paused && pending === 0) {
        if (!to.destroyed) to.write(chunk);
        return;
      }
      pending++;
      queue = queue.then(async () => {
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        while (paused && !from.destroyed) await new Promise((resolve) => setTimeout(resolve, 20));
        if (!to.destroyed) to.write(chunk);
        pending--;
      });
    });
    from.on('end', () => queue.then(() => to.end()));
  };

  const resetAll = () => {
    const count = pairs.size;
    for (const { client, upstream } of [...pairs]) {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    pairs.clear();
    return count;
  };

  const server: Server = createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    if (blackholing) {
      swallowed.add(client);
      client
        .on('data', () => {})
        .on('error', () => {})
        .on('close', () => swallowed.delete(client));
      return;
    }
    const upstream = connect(options.targetPort, options.targetHost);
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      if (!client.destroyed) client.resetAndDestroy();
      if (!upstream.destroyed) upstream.resetAndDestroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    if (paused) {
      client.pause();
      upstream.pause();
    }
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  return {
    port,
    get connections() {
      return pairs.size;
    },
    get upstreamPorts() {
      return [...pairs].flatMap(({ upstream }) => (upstream.localPort === undefined ? [] : [upstream.localPort]));
    },
    via(url) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    pause() {
      paused = true;
      for (const { client, upstream } of pairs) {
        client.pause();
        upstream.pause();
      }
    },
    resume() {
      paused = false;
      for (const { client, upstream } of pairs) {
        client.resume();
        upstream.resume();
      }
    },
    setDelay(ms) {
      delayMs = ms;
    },
    reset: resetAll,
    refuse(value) {
      refusing = value;
    },
    blackhole(on) {
      blackholing = on;
    },
    async close() {
      resetAll();
      for (const socket of swallowed) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
