export type BrokerKind = 'rabbitmq' | 'sqs';

/**
 * The one rule that names a function's queues, read by both adapters, KEDA's triggers (keda/ and the
 * chart, whose `qfn.queueName` helper test/k8s/queue-names.test.ts holds to this) and the local runner:
 *
 * - RabbitMQ: `<prefix>.<fn>`, its dead letters `<prefix>.<fn>.dlq`;
 * - SQS: `<prefix>-<fn>[-<suffix>]`, its dead letters `…-dlq`. SQS names cannot hold `.`, which
 *   QUEUE_PREFIX allows: it becomes `_`; a name SQS would refuse (over 80 characters) throws.
 *
 * @example
 * functionQueueNames('sqs', 'team.a').queue('store-message'); // 'team_a-store-message'
 */
export function functionQueueNames(broker: BrokerKind, prefix: string, suffix?: string) {
  if (broker === 'rabbitmq') {
    if (suffix) throw new Error('queue name suffixes exist on SQS only');
    return { queue: (fn: string) => `${prefix}.${fn}`, deadLetterQueue: (fn: string) => `${prefix}.${fn}.dlq` };
  }
  const tail = suffix ? `-${suffix}` : '';
  const queue = (fn: string) => checkedSqsName(`${sqsSafePrefix(prefix)}-${fn}${tail}`);
  return { queue, deadLetterQueue: (fn: string) => checkedSqsName(`${queue(fn)}-dlq`) };
}

/** The queue a function consumes (what KEDA watches). */
export function functionQueueName(broker: BrokerKind, prefix: string, fn: string, suffix?: string): string {
  return functionQueueNames(broker, prefix, suffix).queue(fn);
}

/** SQS queue names: 1–80 characters, letters, digits, `-` and `_`. */
const sqsQueueNamePattern = /^[A-Za-z0-9_-]{1,80}$/;

function checkedSqsName(name: string): string {
  if (!sqsQueueNamePattern.test(name)) {
    throw new Error(`SQS queue name ${JSON.stringify(name)} is invalid: at most 80 letters, digits, "-" or "_"`);
  }
  return name;
}

/** QUEUE_PREFIX as SQS names can hold it. */
export function sqsSafePrefix(prefix: string): string {
  return prefix.replaceAll('.', '_');
}
