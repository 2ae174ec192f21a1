import { z } from 'zod';
import { brokerHealthSettings, commonConfig, port, positiveInt } from '@qfn/shared/platform';

export const publishConfig = commonConfig
  .extend({
    PORT: port(3000),
    /** Largest request body accepted by POST /message/publish. */
    MAX_BODY_BYTES: positiveInt(64 * 1024),
    /** Message API tokens, comma-separated; unset (with no _FILE): the message API is open, for local use. */
    PUBLISH_API_TOKENS: z.string().optional(),
    /** A file of message API tokens, one a line: a mounted Secret. */
    PUBLISH_API_TOKENS_FILE: z.string().optional(),
    /** Admin API (dead letters) token(s), distinct from the publish tokens; unset: the admin API is off. */
    ADMIN_API_TOKEN: z.string().optional(),
    ADMIN_API_TOKEN_FILE: z.string().optional(),
    /** Requests per second one client (token, else address) may make on the message API; 0: no limit. */
    RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).max(1_000_000).default(0),
    /** Bucket size of the rate limit; default twice the rate. */
    RATE_LIMIT_BURST: z.coerce.number().int().positive().optional(),
    /** Longest a request may take before it is answered 503 (Node's own request timeout is set a bit above). */
    REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
    /** Seconds to finish open requests after SIGTERM. */
    SHUTDOWN_GRACE_PERIOD_SECONDS: z.coerce.number().positive().max(3600).default(10),
    ...brokerHealthSettings,
    /** A pending Idempotency-Key claim whose request did not finish within this (its publisher died) is taken over by a retry. */
    IDEMPOTENCY_LEASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
    /** Idempotency-Keys are forgotten after this long: the same key then publishes a new event. */
    IDEMPOTENCY_KEY_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(2)
      .max(30 * 86_400)
      .default(86_400),
    /** Outbox rows of any function still unsent this long after their commit are sent by the publish function (their replica died). */
    OUTBOX_ADOPT_AFTER_SECONDS: z.coerce.number().min(1).max(3600).default(10),
    /** How often the publish function looks for due delayed events and abandoned outbox rows. */
    OUTBOX_POLL_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(200),
    /** Serve KEDA's external-push scaler (gRPC externalscaler.ExternalScaler) on this port; unset: off. */
    PUSH_SCALER_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    /** The push scaler reports a function inactive once nothing was published to its queue for this long. */
    PUSH_SCALER_IDLE_SECONDS: z.coerce.number().positive().max(3600).default(10),
  })
  .superRefine((config, ctx) => {
    if (config.IDEMPOTENCY_LEASE_SECONDS * 1000 <= config.REQUEST_TIMEOUT_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['IDEMPOTENCY_LEASE_SECONDS'],
        message: 'must be longer than REQUEST_TIMEOUT_MS, or a request still publishing could lose its claim',
      });
    }
    if (config.IDEMPOTENCY_KEY_TTL_SECONDS <= config.IDEMPOTENCY_LEASE_SECONDS) {
      ctx.addIssue({ code: 'custom', path: ['IDEMPOTENCY_KEY_TTL_SECONDS'], message: 'must be longer than IDEMPOTENCY_LEASE_SECONDS' });
    }
  });
export type PublishConfig = z.output<typeof publishConfig>;
