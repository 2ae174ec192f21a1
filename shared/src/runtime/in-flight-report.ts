/**
 * Tells whoever picks the replica to stop how busy this one is, so scale-in takes idle replicas first:
 * - under the local runner (an IPC channel to the parent), a `{ type: 'qfn.in-flight', inFlight }` message
 *   whenever the count changes (checked every `intervalMs`);
 * - on Kubernetes with POD_DELETION_COST=true, this pod's `controller.kubernetes.io/pod-deletion-cost`
 *   annotation, patched to the in-flight count (a ReplicaSet deletes the lowest cost first), at most once
 *   per POD_DELETION_COST_INTERVAL_SECONDS and only when it changed.
 * It only reads `inFlight`: the worker does not know about it.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { z } from 'zod';

/** The settings, validated with the rest of a function's configuration. */
export const inFlightReportSettings = {
  /** Keep this pod's controller.kubernetes.io/pod-deletion-cost at its in-flight count (the chart sets it, with POD_NAME/POD_NAMESPACE). */
  POD_DELETION_COST: z.enum(['true', 'false'], { message: 'must be true or false' }).default('false'),
  /** Seconds between two patches at most (only when the count changed). */
  POD_DELETION_COST_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3600).default(5),
};

export interface InFlightReportConfig {
  POD_DELETION_COST: 'true' | 'false';
  POD_DELETION_COST_INTERVAL_SECONDS: number;
}

export interface InFlightSource {
  readonly inFlight: number;
}

export interface InFlightReport {
  stop(): void;
}

export const inFlightMessageType = 'qfn.in-flight';
export const podDeletionCostAnnotation = 'controller.kubernetes.io/pod-deletion-cost';

const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

interface Logger {
  warn(obj: object, msg: string): void;
}

/**
 * @example
 * const report = reportInFlight(worker, { config, env: process.env, log });
 * // on shutdown:
 * report.stop();
 */
export function reportInFlight(
  source: InFlightSource,
  options: { config: InFlightReportConfig; env: NodeJS.ProcessEnv; log: Logger; intervalMs?: number },
): InFlightReport {
  const timers: NodeJS.Timeout[] = [];
  const { config, env, log } = options;

  if (typeof process.send === 'function' && process.channel) {
    let last = -1;
    const timer = setInterval(() => {
      const inFlight = source.inFlight;
      if (inFlight === last || !process.connected) return;
      last = inFlight;
      process.send!({ type: inFlightMessageType, inFlight }, undefined, {}, () => {});
    }, options.intervalMs ?? 100);
    timer.unref();
    timers.push(timer);
  }

  if (config.POD_DELETION_COST === 'true') {
    if (!env['POD_NAME'] || !env['POD_NAMESPACE'] || !env['KUBERNETES_SERVICE_HOST']) {
      log.warn({}, 'POD_DELETION_COST=true needs POD_NAME, POD_NAMESPACE and KUBERNETES_SERVICE_HOST; not reporting');
      return { stop: () => timers.forEach(clearInterval) };
    }
    const patch = podPatcher(env, log);
    const intervalSeconds = config.POD_DELETION_COST_INTERVAL_SECONDS;
    let last = -1;
    let busy = false;
    const timer = setInterval(() => {
      const inFlight = source.inFlight;
      if (inFlight === last || busy) return;
      busy = true;
      patch(inFlight)
        .then(() => (last = inFlight))
        .catch((error: unknown) => log.warn({ err: String(error) }, 'could not set pod-deletion-cost'))
        .finally(() => (busy = false));
    }, intervalSeconds * 1000);
    timer.unref();
    timers.push(timer);
  }

  return { stop: () => timers.forEach(clearInterval) };
}

/** A merge patch of this pod's own annotation through the API server, with the pod's service account token. */
function podPatcher(env: NodeJS.ProcessEnv, log: Logger): (cost: number) => Promise<void> {
  const host = env['KUBERNETES_SERVICE_HOST']!;
  const port = Number(env['KUBERNETES_SERVICE_PORT'] ?? 443);
  const path = `/api/v1/namespaces/${encodeURIComponent(env['POD_NAMESPACE']!)}/pods/${encodeURIComponent(env['POD_NAME']!)}`;
  let ca: Buffer | undefined;
  try {
    ca = readFileSync(`${serviceAccountDir}/ca.crt`);
  } catch {
    log.warn({}, 'POD_DELETION_COST is on but the service account CA is not mounted');
  }
  return (cost) =>
    new Promise((resolve, reject) => {
      // The token rotates (projected volume): read it for every patch.
      const token = readFileSync(`${serviceAccountDir}/token`, 'utf8').trim();
      const body = JSON.stringify({ metadata: { annotations: { [podDeletionCostAnnotation]: String(cost) } } });
      const req = request(
        {
          host,
          port,
          path,
          method: 'PATCH',
          ca,
          timeout: 5_000,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/merge-patch+json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode && res.statusCode < 300 ? resolve() : reject(new Error(`API server answered ${res.statusCode}`))));
        },
      );
      req.on('timeout', () => req.destroy(new Error('API server did not answer within 5 s')));
      req.on('error', reject);
      req.end(body);
    });
}
