import { ListQueuesCommand, SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { ConnectionMonitor } from '../connection-monitor';
import { BrokerUnavailableError, type BrokerEventListener } from '../types';

export interface SqsClientOptions {
  /** AWS region; when absent the SDK's chain (AWS_REGION, profile) decides. */
  region?: string;
  /** An emulator or a VPC endpoint, e.g. `http://127.0.0.1:4566`. */
  endpoint?: string;
  /** Static credentials (emulators); when absent the SDK's default credentials chain is used. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Longest long poll, so the request timeout can exceed it. */
  waitTimeSeconds: number;
  /** Sockets to SQS; long polls hold one each. */
  maxSockets?: number;
}

export interface SessionOptions {
  client: SqsClientOptions;
  /** A cheap call that proves the endpoint answers. */
  probe: (client: SQSClient) => Promise<unknown>;
  /** First delay between probes while SQS is unreachable; doubles up to maxProbeDelayMs. */
  probeDelayMs?: number;
  maxProbeDelayMs?: number;
}

/**
 * The process's one SQS client, with a view of whether SQS answers: a call that fails for lack of an
 * answer marks it down (`disconnected`) and probes until it answers again (`connected`).
 */
export class SqsSession {
  readonly client: SQSClient;
  readonly #monitor: ConnectionMonitor;

  constructor(private readonly options: SessionOptions) {
    this.client = new SQSClient(clientConfig(options.client));
    this.#monitor = new ConnectionMonitor({
      attempt: () => this.call(options.probe),
      ...(options.probeDelayMs !== undefined ? { initialDelayMs: options.probeDelayMs } : {}),
      ...(options.maxProbeDelayMs !== undefined ? { maxDelayMs: options.maxProbeDelayMs } : {}),
    });
  }

  get isUp(): boolean {
    return this.#monitor.isUp;
  }

  get isClosed(): boolean {
    return this.#monitor.isClosed;
  }

  on(listener: BrokerEventListener): void {
    this.#monitor.on(listener);
  }

  off(listener: BrokerEventListener): void {
    this.#monitor.off(listener);
  }

  /** Runs one SQS call and records whether SQS answered. */
  async call<T>(operation: (client: SQSClient) => Promise<T>): Promise<T> {
    if (this.#monitor.isClosed) throw new BrokerUnavailableError('the SQS broker is closed');
    try {
      const result = await operation(this.client);
      this.#monitor.markUp();
      return result;
    } catch (error) {
      if (isUnreachable(error)) this.#monitor.markDown(error as Error);
      else if (answered(error)) this.#monitor.markUp();
      throw error;
    }
  }

  /** Probes until SQS answers or `timeoutMs` passes. */
  async connect(timeoutMs: number): Promise<void> {
    try {
      await this.#monitor.connect(timeoutMs);
    } catch (error) {
      if (this.#monitor.isClosed) throw error;
      throw new BrokerUnavailableError(`SQS did not answer within ${timeoutMs} ms: ${(error as Error).message}`);
    }
  }

  close(): void {
    this.#monitor.close();
    this.client.destroy();
  }
}

function clientConfig(options: SqsClientOptions): SQSClientConfig {
  return {
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    requestHandler: {
      connectionTimeout: 5_000,
      // Socket idle limit: a long poll is silent for up to waitTimeSeconds.
      requestTimeout: (options.waitTimeSeconds + 15) * 1000,
      httpAgent: { keepAlive: true, maxSockets: options.maxSockets ?? 200 },
      httpsAgent: { keepAlive: true, maxSockets: options.maxSockets ?? 200 },
    },
  };
}

/** A probe that costs one ListQueues call. */
export function listQueuesProbe(prefix: string) {
  return (client: SQSClient) => client.send(new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 1 }));
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** SQS answered with an error of the caller's (4xx): it is up. */
function answered(error: unknown): boolean {
  const status = httpStatus(error);
  return status !== undefined && status < 500;
}

/** No answer, or a server-side failure: SQS is (for now) unreachable. Our own aborts do not count. */
export function isUnreachable(error: unknown): boolean {
  if ((error as Error)?.name === 'AbortError') return false;
  const status = httpStatus(error);
  return status === undefined || status >= 500;
}
