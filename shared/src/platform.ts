/**
 * @qfn/shared/platform: the runtime's parts for the platform's own code — the publish function, the
 * local runner, scripts/, bench/, migrations/ and tests. A superset of the root entry. Function packages
 * never import it (test/public-api.test.ts). SQS lives in `@qfn/shared/sqs` (and its emulator in
 * `@qfn/shared/sqs-emulator`) so that loading this entry never loads the AWS SDK: `createBroker` imports
 * it on demand.
 */
export * from './index';

export { deadLetterView, maxBatch, missingQueue, showSearchLimit, type DeadLetterView } from './admin/dead-letters';

export { commonConfig, logLevel, url, type CommonConfig } from './config/index';

export { createDatabase, type DatabaseHandle, type DatabaseOptions } from './db/client';
export { isDatabaseUnavailable } from './db/errors';
export { migrateDatabase, waitForDatabase, type MigrateOptions } from './db/migrate';
export { deliveryStarts, inbox, outbox } from './db/schema';

export {
  declarationShape,
  kedaDefaults,
  retryDefaults,
  retryDelayMs,
  retryDelays,
  type BatchHandlerDeclaration,
  type FallbackPolicy,
  type HpaBehavior,
  type HpaScalingPolicy,
  type HpaScalingRules,
  type ScalingPolicy,
  type SingleHandlerDeclaration,
} from './function/define';
export {
  defineHttpFunction,
  isHttpFunction,
  type HttpFunctionApp,
  type HttpFunctionConfig,
  type HttpFunctionContext,
  type HttpFunctionDeclaration,
  type HttpFunctionOptions,
  type HttpShutdownStep,
} from './function/http';

export { createLogger, redactUrl } from './log/index';

export { collectEventDefinitions, eventsByType, eventType, isEventDefinition } from './events/define';
export { schemaFor, subscriptionsOf, type Subscribable } from './events/subscriptions';
export { buildCatalog, compareCatalogs, describeChange, eventJsonSchema, type CatalogChange, type CatalogEntry, type EventCatalog } from './events/catalog';
export { decodeDelivery } from './events/cloudevents';

export { decodeEnvelope, encodeEnvelope, EnvelopeError, envelopeSchema, uuidv7, type Envelope } from './messages/envelope';
export { matchesTopic } from './messages/topic';

export { childEventId } from './outbox/child-id';
export { handlerContext } from './outbox/handler-context';
export { outboxPublisher, type PublishEvent } from './outbox/publisher';
export { OutboxRelay, outboxStats, type OutboxRelayEvents, type OutboxRelayOptions, type OutboxStats } from './outbox/relay';
export { observeOutbox, outboxMetricNames, recordRelayMetrics } from './outbox/metrics';

export { deliveryOptionsSchema, deliveryTime, maxDelaySeconds } from './schedule/delivery-time';
export { scheduleEvent, type ScheduledEvent } from './schedule/schedule';

export {
  BrokerUnavailableError,
  UnroutableError,
  type Broker,
  type BrokerEvent,
  type BrokerEventListener,
  type BrokerWithAdmin,
  type ConsumeOptions,
  type DeadLetter,
  type Delivery,
  type DeliveryListener,
  type OutgoingMessage,
  type QueueAdmin,
  type QueueDepth,
  type QueueSpec,
  type Subscription,
} from './queue/types';
export { createDelivery, interceptDelivery, type DeliveredMessage, type Settlement, type SettlementInterceptor, type SettlementName } from './queue/delivery';
export { createBroker, type CreateBrokerOptions } from './queue/create';
export { createRabbitMqBroker, type RabbitMqBrokerOptions } from './queue/rabbitmq/index';
export { managementRequest, managementUrlFor } from './queue/rabbitmq/management';
export { topologyNames, type TopologyNames } from './queue/rabbitmq/topology';
export { sqsQueueNames, type SqsQueueNames } from './queue/sqs/names';
export { functionQueueName, functionQueueNames, type BrokerKind } from './queue/names';

export { describeError, WorkerLifecycleError } from './runtime/errors';
export { CleanupError } from './runtime/cleanup';
export { brokerHealthSettings, startHealthServer, watchBrokerConnection, type BrokerConnectionWatch, type ProbeChecks } from './runtime/health';
export { inFlightMessageType, podDeletionCostAnnotation } from './runtime/in-flight-report';
export { functionConfig, logBrokerEvents, logWorkerEvents } from './runtime/run';
export { httpFunctionConfig, runHttpFunction } from './runtime/run-http';
export { onShutdownSignal } from './runtime/shutdown';
export { watchForStalls, type StallWatchOptions } from './runtime/stall';
export { FunctionWorker, queueSpecOf, type StopOptions, type WorkerEvents, type WorkerOptions } from './runtime/worker';
export type { StopResult, WorkerState } from './runtime/worker-types';

export { instrumentBroker } from './telemetry/broker';
export { telemetryConfig, telemetryPlan, type TelemetryConfig } from './telemetry/config';
export { metricNames, scope } from './telemetry/names';
export { startProcessTelemetry, type ProcessTelemetry } from './telemetry/process';
export { extractTraceContext, injectTraceHeaders } from './telemetry/propagation';
export { startTelemetrySdk } from './telemetry/sdk';
export { instrumentSql } from './telemetry/sql';
export { otelProcessingTracer, recordColdStart, recordWorkerMetrics } from './telemetry/worker';
