/**
 * @qfn/shared: what a function author needs — declare a function and its events, run it, fail it for
 * good. Everything else (brokers, workers, telemetry, the outbox relay, tooling helpers) is
 * `@qfn/shared/platform`, for the platform's own code: the local runner, scripts/, bench/, tests.
 * Functions import this entry only (and `@qfn/shared/testing` in their tests); test/public-api.test.ts checks it.
 */
export {
  defineFunction,
  type BatchItem,
  type BatchResult,
  type EventFunctionOptions,
  type FunctionDeclaration,
  type FunctionOptions,
  type HandlerContext,
  type RetryJitter,
  type RetryPolicy,
  type ScalingOptions,
} from './function/define';
export { defineEvent, type EventData, type EventDefinition, type EventInput, type EventOptions } from './events/define';
export { runFunction, type RunFunctionOptions } from './runtime/run';
/** `ctx.signal.reason` when the handler ran past `handlerTimeoutMs` or the shutdown grace deadline came. */
export { HandlerTimeoutError, PermanentError, ShutdownDeadlineError } from './runtime/errors';
/** A function's own settings, read once from the environment with zod (a bad one: one line naming it, exit 78). */
export { booleanFlag, ConfigError, loadConfig, parseConfig, port, positiveInt } from './config/index';
export type { DeliveryOptions } from './schedule/delivery-time';
export type { Database } from './db/client';
export type { Logger } from './log/index';
