import { createServer, type Server } from 'node:http';
import { z } from 'zod';
import type { Broker } from '../queue/types';

/** Settings of the broker connection's health, read by every process that holds one. */
export const brokerHealthSettings = {
  /**
   * Liveness (`/healthz`) fails once the broker connection has been down this long, so Kubernetes
   * restarts a process whose reconnects do not succeed; 0 turns it off.
   */
  BROKER_LIVENESS_TIMEOUT_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
  /** One connection attempt (TCP, AMQP handshake, setup) is abandoned after this long and retried. */
  BROKER_CONNECT_TIMEOUT_SECONDS: z.coerce.number().positive().max(300).default(10),
};

export interface ProbeChecks {
  /** `/readyz`: the process can work now. */
  isReady: () => boolean;
  /** `/healthz`: the process is not wedged (default: always). */
  isAlive?: () => boolean;
}

/** Liveness and readiness for Kubernetes probes: `/healthz` while the process is alive, `/readyz` while it can work. */
export function startHealthServer(port: number, checks: ProbeChecks | (() => boolean)): Promise<Server> {
  const { isReady, isAlive = () => true } = typeof checks === 'function' ? { isReady: checks } : checks;
  const server = createServer((request, response) => {
    const path = request.url?.split('?')[0];
    const status = path === '/healthz' ? (isAlive() ? 200 : 503) : path === '/readyz' ? (isReady() ? 200 : 503) : 404;
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ status: status === 200 ? 'ok' : status === 503 ? 'unavailable' : 'not found' }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}

export interface BrokerConnectionWatch {
  /** Milliseconds since the connection was lost, 0 while connected. */
  disconnectedMs(): number;
  /** False once the connection has been down longer than the liveness timeout. */
  isAlive(): boolean;
}

/**
 * Follows the broker's connection events: how long it has been down, and whether that is longer
 * than a process should wait for its own reconnects (then liveness fails and the pod is restarted).
 *
 * @example
 * const watch = watchBrokerConnection(broker, config.BROKER_LIVENESS_TIMEOUT_SECONDS * 1000);
 * startHealthServer(8080, { isReady: broker.isReady, isAlive: watch.isAlive });
 */
export function watchBrokerConnection(broker: Broker, livenessTimeoutMs: number, now = () => performance.now()): BrokerConnectionWatch {
  let lostAt: number | undefined;
  broker.on((event) => {
    if (event.type === 'connected') lostAt = undefined;
    else if (event.type === 'disconnected') lostAt ??= now();
  });
  const disconnectedMs = () => (lostAt === undefined ? 0 : now() - lostAt);
  return {
    disconnectedMs,
    isAlive: () => livenessTimeoutMs <= 0 || disconnectedMs() < livenessTimeoutMs,
  };
}
