/** SQLSTATEs that say the server cannot take the work now, not that the work is wrong. */
const unavailableStates = new Set([
  '53300', // too_many_connections
  '53400', // configuration_limit_exceeded
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, in recovery)
  '57P05', // idle_session_timeout
  '25006', // read_only_sql_transaction: a failover left us on a replica
]);

/** Node and postgres.js codes of a connection that failed, was refused or went away. */
const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

/**
 * Whether an error means the database is unreachable or refusing connections (the
 * infrastructure's fault, not the message's): SQLSTATE class 08 and the codes above, found on the
 * error or anywhere in its `cause` chain (drizzle wraps the driver's errors).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 8; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('08') || unavailableStates.has(code) || connectionCodes.has(code))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
