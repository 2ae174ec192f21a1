import { SpanKind, trace } from '@opentelemetry/api';
import type postgres from 'postgres';
import { finish } from './broker';
import { scope } from './names';

/**
 * postgres.js has no OpenTelemetry instrumentation: this wraps a client so each query (drizzle runs
 * them through `unsafe`) is a span under the active one, transactions included.
 */
export function instrumentSql(sql: postgres.Sql): postgres.Sql {
  const tracer = trace.getTracer(scope);
  const wrap = (client: postgres.Sql): postgres.Sql =>
    new Proxy(client, {
      get(target, property, receiver) {
        if (property === 'unsafe') {
          return (query: string, parameters?: unknown[], options?: object) => tracedQuery(target.unsafe(query, parameters as never, options as never), query);
        }
        if (property === 'begin') {
          return (...args: unknown[]) => {
            const callback = args.pop() as (tx: postgres.Sql) => unknown;
            return (target.begin as (...a: unknown[]) => unknown)(...args, (tx: postgres.Sql) => callback(wrap(tx)));
          };
        }
        if (property === 'savepoint') {
          return (...args: unknown[]) => {
            const callback = args.pop() as (tx: postgres.Sql) => unknown;
            return (target as unknown as { savepoint: (...a: unknown[]) => unknown }).savepoint(...args, (tx: postgres.Sql) => callback(wrap(tx)));
          };
        }
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
      apply(target, thisArg, args) {
        return Reflect.apply(target as unknown as (...a: unknown[]) => unknown, thisArg, args);
      },
    });

  /** postgres.js queries run lazily on `then`: the span starts then, so `.values()` etc. still apply. */
  const tracedQuery = <Q extends PromiseLike<unknown>>(pending: Q, statement: string): Q =>
    new Proxy(pending as object, {
      get(target, property, receiver) {
        if (property === 'then') {
          return (onFulfilled?: (v: unknown) => unknown, onRejected?: (e: unknown) => unknown) => {
            const operation = statement.trimStart().split(/\s/, 1)[0]!.toUpperCase();
            const run = tracer.startActiveSpan(
              operation,
              {
                kind: SpanKind.CLIENT,
                attributes: { 'db.system.name': 'postgresql', 'db.operation.name': operation, 'db.query.text': statement.slice(0, 2000) },
              },
              (span) => finish(span, Promise.resolve((target as PromiseLike<unknown>).then((v) => v))),
            );
            return run.then(onFulfilled, onRejected);
          };
        }
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const result = value.apply(target, args);
          return result === target ? receiver : result;
        };
      },
    }) as Q;

  return wrap(sql);
}
