/**
 * Fault: on SQS, a message from another producer carrying many message attributes turns out to be
 * poison. Dead-lettering adds four attributes (reason, attempts, time, function) and SQS takes at most
 * ten: the dead letter must still be written — within the limit, with its reason — rather than fail
 * and leave the message cycling until the redrive policy moves it without one.
 */
import { describe, expect, it } from 'vitest';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { encodeEnvelope, uuidv7 } from '@qfn/shared/platform';
import { sqsQueueNames } from '@qfn/shared/platform';
import { sqsHarness } from '../support/brokers';
import { faultScenario, report, terminate, waitForDeadLetters, waitForEmptyQueue } from './support';

describe('dead-lettering on SQS within its attribute limit', () => {
  const setUp = faultScenario(sqsHarness);

  it('dead-letters a poison message that carries eight attributes, with its reason, in at most ten', async () => {
    const fn = 'many-attributes';
    const { world, spec } = await setUp('sqsattrs', fn);
    const env = world.env(fn);
    const client = new SQSClient({
      endpoint: env['SQS_ENDPOINT']!,
      region: env['AWS_REGION']!,
      credentials: { accessKeyId: env['AWS_ACCESS_KEY_ID']!, secretAccessKey: env['AWS_SECRET_ACCESS_KEY']! },
    });
    const names = sqsQueueNames(world.prefix);
    const queueUrl = (await client.send(new GetQueueUrlCommand({ QueueName: names.queue(fn) }))).QueueUrl!;
    const id = uuidv7();
    const text = (value: string) => ({ DataType: 'String', StringValue: value });
    const foreign = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`x-producer-${i}`, text(`v${i}`)]));
    // Schema-invalid data: dead-lettered at once.
    const body = encodeEnvelope({ id, type: 'message.published', time: new Date().toISOString(), data: { nope: true } }).toString();
    await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        MessageAttributes: { 'qfn-event-id': text(id), 'qfn-event-type': text('message.published'), ...foreign },
      }),
    );

    const consumer = world.start(fn);
    const letters = await waitForDeadLetters(world.broker, spec);
    await waitForEmptyQueue(world.broker, spec);
    expect(letters).toHaveLength(1);
    expect(letters[0]!.eventId).toBe(id);
    expect(letters[0]!.reason).toMatch(/^schema validation failed/);
    expect(letters[0]!.reason).toMatch(/attributes dropped to fit SQS's limit of 10/);
    expect(letters[0]!.attempts).toBe(1);

    const dlqUrl = (await client.send(new GetQueueUrlCommand({ QueueName: names.deadLetterQueue(fn) }))).QueueUrl!;
    const [raw] =
      (await client.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MessageAttributeNames: ['All'], WaitTimeSeconds: 1, VisibilityTimeout: 0 }))).Messages ??
      [];
    const attributeCount = Object.keys(raw?.MessageAttributes ?? {}).length;
    expect(attributeCount).toBeLessThanOrEqual(10);
    expect(raw?.MessageAttributes?.['qfn-event-id']?.StringValue).toBe(id);
    expect(consumer.logs.filter((l) => l['msg'] === 'could not settle a message; it will be redelivered')).toEqual([]);
    expect((await terminate(consumer)).code).toBe(0);
    client.destroy();
    report('sqs-dead-letter-attributes/sqs', { attributesIn: 8, attributesOnDeadLetter: attributeCount, attempts: letters[0]!.attempts });
  }, 90_000);
});
