/** Instrumentation scope and metric names: one place, so dashboards and docs agree with the code. */
export const scope = 'qfn';

export const metricNames = {
  received: 'qfn.messages.received',
  processed: 'qfn.messages.processed',
  failed: 'qfn.messages.failed',
  retried: 'qfn.messages.retried',
  deadLettered: 'qfn.messages.dead_lettered',
  duplicates: 'qfn.messages.duplicates',
  handlerDuration: 'qfn.handler.duration',
  queueLag: 'qfn.queue.lag',
  inFlight: 'qfn.messages.in_flight',
  coldStart: 'qfn.cold_start.duration',
  httpRequests: 'qfn.http.requests',
  httpDuration: 'qfn.http.request.duration',
  publishConfirm: 'qfn.publish.confirm.duration',
} as const;
