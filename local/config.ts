import { z } from 'zod';
import { commonConfig, kedaDefaults, logLevel, port, url, type ScalingOptions, type ScalingPolicy } from '@qfn/shared/platform';

const scalingFields = Object.keys(kedaDefaults) as (keyof ScalingPolicy)[];

/**
 * Any subset of a declaration's scaling fields (nested ones too: {"rabbitmq":{"activationOverAmqp":false}});
 * numbers are checked here, the merged policy by defineFunction's own rules.
 */
const scalingOverride = z
  .object(Object.fromEntries(scalingFields.map((key) => [key, typeof kedaDefaults[key] === 'number' ? z.number() : z.unknown()])))
  .partial()
  .strict();

/** Per-function scaling overrides for local runs, `*` for every function: {"*": {"cooldownPeriod": 10}}. */
export type ScalingOverrides = Record<string, ScalingOptions>;

const jsonScalingOverrides = z.string().transform((text, ctx): ScalingOverrides => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be JSON such as {"*":{"cooldownPeriod":10}}' });
    return z.NEVER;
  }
  const parsed = z.record(z.string(), scalingOverride).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    ctx.addIssue({ code: 'custom', message: `${issue.path.join('.')}: ${issue.message}` });
    return z.NEVER;
  }
  return parsed.data as ScalingOverrides;
});

const commaList = z.string().transform((text) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const anyPort = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/**
 * Settings of `npm start`. Broker and database are embedded unless configured: AMQP_URL (or
 * BROKER=rabbitmq) uses RabbitMQ, BROKER=sqs with SQS_ENDPOINT uses that SQS, DATABASE_URL uses that Postgres.
 */
export const localConfig = z.object({
  LOG_LEVEL: logLevel,
  BROKER: z.enum(['rabbitmq', 'sqs'], { message: 'must be rabbitmq or sqs' }).optional(),
  AMQP_URL: url(['amqp', 'amqps']).optional(),
  RABBITMQ_MANAGEMENT_URL: commonConfig.shape.RABBITMQ_MANAGEMENT_URL,
  SQS_ENDPOINT: url(['http', 'https']).optional(),
  AWS_REGION: z.string().optional(),
  QUEUE_PREFIX: commonConfig.shape.QUEUE_PREFIX,
  DATABASE_URL: url(['postgres', 'postgresql']).optional(),
  DATABASE_SCHEMA: commonConfig.shape.DATABASE_SCHEMA,
  /** Port of the publish function. */
  PORT: port(3000),
  /** Port of the publish function's push scaler (PUSH_SCALER_PORT), served when a function has scaling.pushActivation. */
  LOCAL_PUSH_SCALER_PORT: port(3002),
  /** Port of GET /_local/status; 0 picks a free one. */
  LOCAL_STATUS_PORT: anyPort(3001),
  /** Keeps the embedded database here across restarts; in memory when unset. */
  DATA_DIR: z.string().min(1).optional(),
  /** Port of the embedded SQS emulator (0: a free one). */
  LOCAL_SQS_PORT: anyPort(0),
  /** Port of the embedded Postgres (PGlite) server (0: a free one). */
  LOCAL_POSTGRES_PORT: anyPort(0),
  /** `bundle` (esbuild at startup, ~210 ms cold start) or `tsx` (no build, ~520 ms). */
  LOCAL_RUNTIME: z.enum(['bundle', 'tsx'], { message: 'must be bundle or tsx' }).default('bundle'),
  /** `live` redraws a table, `plain` prints log lines, `auto` picks live on a terminal. */
  LOCAL_VIEW: z.enum(['auto', 'live', 'plain'], { message: 'must be auto, live or plain' }).default('auto'),
  /** Only these functions (comma-separated); all when unset. */
  LOCAL_FUNCTIONS: commaList.optional(),
  LOCAL_SCALING: jsonScalingOverrides.optional(),
  /** The HPA controller's sync period (kube-controller-manager's default is 15 s). */
  LOCAL_HPA_SYNC_PERIOD_SECONDS: z.coerce.number().positive().max(600).default(15),
});
export type LocalConfig = z.output<typeof localConfig>;
