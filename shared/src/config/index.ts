import { z } from 'zod';

/** Thrown when the environment does not satisfy a configuration schema. */
export class ConfigError extends Error {
  constructor(readonly issues: readonly { variable: string; problem: string }[]) {
    super(issues.map((i) => `${i.variable}: ${i.problem}`).join('; '));
    this.name = 'ConfigError';
  }
}

/**
 * Parses configuration from environment variables, once, with a zod object
 * whose keys are the variable names.
 *
 * @example
 * const config = parseConfig(z.object({ PORT: port(3000) }));
 */
export function parseConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    input[key] = value === '' ? undefined : value;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const [variable = '(config)', ...inside] = issue.path.map(String);
      // zod leaves issue.input out by default: whether the variable was set is read from the input itself.
      const missing = issue.code === 'invalid_type' && input[variable] === undefined;
      if (inside.length > 0) return { variable, problem: `${inside.join('.')} ${missing ? 'is missing' : issue.message}` };
      return { variable, problem: missing ? 'is required but not set' : issue.message };
    }),
  );
}

/** Like parseConfig, but a bad setting stops the process with one line naming the variable. */
export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  try {
    return parseConfig(schema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`configuration error: ${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
}

export const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
export const booleanFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
export const url = (protocols: string[], fallback?: string) => {
  const schema = z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol.replace(':', ''));
      } catch {
        return false;
      }
    },
    { message: `must be a ${protocols.join(' or ')} URL` },
  );
  return fallback === undefined ? schema : schema.default(fallback);
};

export const logLevel = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    message: 'must be one of fatal, error, warn, info, debug, trace, silent',
  })
  .default('info');

/** Settings every process of the platform reads. */
export const commonConfig = z.object({
  LOG_LEVEL: logLevel,
  BROKER: z.enum(['rabbitmq', 'sqs'], { message: 'must be rabbitmq or sqs' }).default('rabbitmq'),
  AMQP_URL: url(['amqp', 'amqps'], 'amqp://guest:guest@127.0.0.1:5672'),
  /** Prefix of every exchange and queue name, so several installations (or tests) share one broker. */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'may hold only lower-case letters, digits, ".", "_" and "-"')
    .default('qfn'),
  /** Management API (with credentials) for queue depth; derived from AMQP_URL when unset. */
  RABBITMQ_MANAGEMENT_URL: url(['http', 'https']).optional(),
  /** SQS region; the AWS SDK reads it too (and AWS_PROFILE's region when unset). */
  AWS_REGION: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as eu-west-1')
    .optional(),
  /** SQS endpoint of an emulator or a VPC endpoint; the region's public endpoint when unset. */
  SQS_ENDPOINT: url(['http', 'https']).optional(),
  /** Appended to SQS queue names: `<QUEUE_PREFIX>-<function>-<SQS_QUEUE_SUFFIX>`. */
  SQS_QUEUE_SUFFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,20}$/, 'may hold only letters, digits, "_" and "-" (at most 20)')
    .optional(),
  /** Long-poll wait of SQS receives (0–20 s); shorter wakes idle consumers more often. */
  SQS_WAIT_TIME_SECONDS: z.coerce.number().int().min(0).max(20).default(20),
  DATABASE_URL: url(['postgres', 'postgresql'], 'postgres://postgres@127.0.0.1:5432/postgres'),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case SQL identifier')
    .default('public'),
  /** Postgres connections of this process; a function's declaration gives the default. */
  DATABASE_POOL_SIZE: z.coerce.number().int().positive().max(1000).optional(),
});
export type CommonConfig = z.output<typeof commonConfig>;
