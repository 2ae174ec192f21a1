import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtlpSink {
  endpoint: string;
  /** Export requests received (traces + metrics). */
  requests(): number;
  close(): Promise<void>;
}

/**
 * A local OTLP/HTTP collector stand-in: accepts every export and answers 200, so "telemetry on" pays
 * for building, batching and sending spans and metrics without a real collector's CPU on this machine.
 *
 * @example
 * const sink = await startOtlpSink();
 * spawn('node', [bundle], { env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint } });
 */
export async function startOtlpSink(): Promise<OtlpSink> {
  let received = 0;
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received++;
      response.writeHead(200, { 'content-type': request.headers['content-type'] ?? 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests: () => received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
