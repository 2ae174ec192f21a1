import { createServer, type Server } from 'node:http';

/** Liveness and readiness for Kubernetes probes: `/healthz` while the process runs, `/readyz` while it can work. */
export function startHealthServer(port: number, isReady: () => boolean): Promise<Server> {
  const server = createServer((request, response) => {
    const path = request.url?.split('?')[0];
    const status = path === '/healthz' ? 200 : path === '/readyz' ? (isReady() ? 200 : 503) : 404;
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ status: status === 200 ? 'ok' : status === 503 ? 'unavailable' : 'not found' }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}
