import { startFauxqs } from 'fauxqs';

/** An SQS emulator in this process, and what a client needs to reach it. */
export interface SqsEmulator {
  endpoint: string;
  region: string;
  /** Emulators check no signature; any static keys do. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The variables that point a function process (BROKER=sqs) at it. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts the fauxqs SQS emulator on a free port (or `port`), for tests and the local runner.
 *
 * @example
 * const sqs = await startSqsEmulator();
 * const broker = createSqsBroker({ prefix: 'test', endpoint: sqs.endpoint, region: sqs.region, credentials: sqs.credentials });
 */
export async function startSqsEmulator(options: { port?: number; region?: string } = {}): Promise<SqsEmulator> {
  const region = options.region ?? 'us-east-1';
  const server = await startFauxqs({ port: options.port ?? 0, logger: false, defaultRegion: region });
  const credentials = { accessKeyId: 'emulator', secretAccessKey: 'emulator' };
  return {
    endpoint: server.address,
    region,
    credentials,
    env: {
      BROKER: 'sqs',
      SQS_ENDPOINT: server.address,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    stop: () => server.stop(),
  };
}
