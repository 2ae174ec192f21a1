import { z } from 'zod';
import { commonConfig, port, positiveInt } from '@qfn/shared';

export const publishConfig = commonConfig.extend({
  PORT: port(3000),
  /** Largest request body accepted by POST /message/publish. */
  MAX_BODY_BYTES: positiveInt(64 * 1024),
  /** Seconds to finish open requests after SIGTERM. */
  SHUTDOWN_GRACE_PERIOD_SECONDS: z.coerce.number().positive().max(3600).default(10),
});
export type PublishConfig = z.output<typeof publishConfig>;
