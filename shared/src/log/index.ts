import { trace } from '@opentelemetry/api';
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/** The one structured JSON logger of the project; secrets in URLs are never written. */
export function createLogger(options: {
  name: string;
  level?: string;
  base?: Record<string, unknown>;
  /** Where lines go; standard output by default. */
  destination?: NodeJS.WritableStream;
}): Logger {
  const settings: pino.LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    base: { pid: process.pid, ...options.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: traceIds,
    redact: { paths: ['password', '*.password', 'authorization', '*.authorization', 'url', '*.url'], censor: '[redacted]' },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/** Trace and span ids of the active span, so a log line leads to its trace. */
function traceIds(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
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
