import { createServer } from 'node:http';

export interface StatusServer {
  port: number;
  close(): Promise<void>;
}

/**
 * `GET /_local/status`: the runner's status as JSON, on its own port (the publish function stays untouched).
 *
 * @example
 * const server = await startStatusServer(3001, () => runner.status());
 */
export function startStatusServer(port: number, status: () => unknown): Promise<StatusServer> {
  const server = createServer((request, response) => {
    const path = request.url?.split('?')[0];
    if (path !== '/_local/status' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'not found', see: '/_local/status' }));
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : `${JSON.stringify(status(), null, 2)}\n`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : port,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
