import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { commonConfig, parseConfig, redactUrl, type CommonConfig } from '@qfn/shared/platform';
import type { LocalConfig } from './config';
import { startEmbeddedPostgres, startEmbeddedSqs, type EmbeddedService } from './embedded/index';

export interface InfrastructureDescription {
  broker: { kind: 'rabbitmq' | 'sqs'; embedded: boolean; endpoint: string };
  database: { embedded: boolean; url: string; dataDir: string | undefined };
}

export interface Infrastructure {
  /** Broker and database settings every process of the app gets (replicas, publish, the runner's own clients). */
  env: Record<string, string>;
  /** The same settings, parsed as every process parses them. */
  config: CommonConfig;
  description: InfrastructureDescription;
  stop(): Promise<void>;
}

/** Chooses the broker the settings ask for: RabbitMQ when AMQP_URL or BROKER=rabbitmq, SQS otherwise (embedded without SQS_ENDPOINT). */
export function chooseBroker(config: Pick<LocalConfig, 'BROKER' | 'AMQP_URL' | 'SQS_ENDPOINT'>): { kind: 'rabbitmq' | 'sqs'; embedded: boolean } {
  const kind = config.BROKER ?? (config.AMQP_URL ? 'rabbitmq' : 'sqs');
  return { kind, embedded: kind === 'sqs' && !config.SQS_ENDPOINT };
}

/**
 * Starts what is not configured: the SQS emulator when no broker is, PGlite when no DATABASE_URL is.
 * `maxConnections` is every Postgres pool of the app added up (the embedded server refuses more).
 *
 * @example
 * const infrastructure = await startInfrastructure(config, { maxConnections: 64 });
 * spawn(node, [entry], { env: { ...process.env, ...infrastructure.env } });
 */
export async function startInfrastructure(config: LocalConfig, options: { maxConnections: number }): Promise<Infrastructure> {
  const broker = chooseBroker(config);
  const started: EmbeddedService[] = [];
  const stop = async () => {
    await Promise.allSettled(started.map((service) => service.stop()));
  };
  try {
    const dataDir = config.DATA_DIR ? resolve(config.DATA_DIR) : undefined;
    const [sqs, postgres] = await Promise.all([
      broker.embedded ? startEmbeddedSqs(config.LOCAL_SQS_PORT).then((s) => (started.push(s), s)) : undefined,
      config.DATABASE_URL ? undefined : startEmbeddedPostgres(postgresOptions(config, options.maxConnections, dataDir)).then((s) => (started.push(s), s)),
    ]);

    const env: Record<string, string> = {
      BROKER: broker.kind,
      QUEUE_PREFIX: config.QUEUE_PREFIX,
      DATABASE_SCHEMA: config.DATABASE_SCHEMA,
      DATABASE_URL: postgres ? `postgres://postgres@127.0.0.1:${postgres.port}/postgres` : config.DATABASE_URL!,
      LOG_LEVEL: config.LOG_LEVEL,
    };
    if (broker.kind === 'rabbitmq') {
      env['AMQP_URL'] = config.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
      if (config.RABBITMQ_MANAGEMENT_URL) env['RABBITMQ_MANAGEMENT_URL'] = config.RABBITMQ_MANAGEMENT_URL;
    } else {
      env['SQS_ENDPOINT'] = sqs ? `http://127.0.0.1:${sqs.port}` : config.SQS_ENDPOINT!;
      env['AWS_REGION'] = config.AWS_REGION ?? process.env['AWS_REGION'] ?? 'us-east-1';
      // The emulator accepts any credentials, but the AWS SDK (here and in every replica) insists on having some.
      if (sqs && !process.env['AWS_ACCESS_KEY_ID']) {
        Object.assign(env, { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
        Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
      }
      // A draining replica waits for its long polls to come back (so no message is hidden by a receive
      // nobody reads): short polls on the emulator keep scale-down drains to about 2 s instead of 20.
      if (sqs && !process.env['SQS_WAIT_TIME_SECONDS']) env['SQS_WAIT_TIME_SECONDS'] = '2';
      // The runner's own SDK client prints the SDK's Node-version notice once; every replica would repeat it.
      env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ?? 'true';
    }

    const brokerEndpoint = broker.kind === 'rabbitmq' ? redactUrl(env['AMQP_URL']!) : env['SQS_ENDPOINT']!;
    return {
      env,
      config: parseConfig(commonConfig, { ...process.env, ...env }),
      description: {
        broker: { kind: broker.kind, embedded: broker.embedded, endpoint: brokerEndpoint },
        database: { embedded: Boolean(postgres), url: redactUrl(env['DATABASE_URL']!), dataDir },
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function postgresOptions(config: LocalConfig, maxConnections: number, dataDir: string | undefined) {
  if (!dataDir) return { port: config.LOCAL_POSTGRES_PORT, maxConnections };
  mkdirSync(dataDir, { recursive: true });
  return { port: config.LOCAL_POSTGRES_PORT, maxConnections, dataDir: join(dataDir, 'pglite') };
}
