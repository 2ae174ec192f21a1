import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/** The one structured JSON logger of the project; secrets in URLs are never written. */
export function createLogger(options: { name: string; level?: string; base?: Record<string, unknown> }): Logger {
  return pino({
    name: options.name,
    level: options.level ?? 'info',
    base: { pid: process.pid, ...options.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: ['password', '*.password', 'authorization', '*.authorization', 'url', '*.url'], censor: '[redacted]' },
  });
}

/** Removes the password from a connection URL before it is shown anywhere. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '[invalid url]';
  }
}
