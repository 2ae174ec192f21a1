import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe } from 'vitest';
import { localCluster, type LocalCluster } from './support/cluster';
import type { Release } from './support/release';
import { userPath } from './user-path';

let cluster: LocalCluster;
let sqs: SQSClient;

/** Queue name as the chart and the functions make it: <prefix>-<function>, a '.' in the prefix as '_'. */
const queueName = (release: Release, fn: string) => `${release.namespace.replace(/\./g, '_')}-${fn}`;

async function queueUrl(release: Release, fn: string): Promise<string | undefined> {
  try {
    return (await sqs.send(new GetQueueUrlCommand({ QueueName: queueName(release, fn) }))).QueueUrl;
  } catch (error) {
    if ((error as { name?: string }).name?.includes('NonExistentQueue')) return undefined;
    throw error;
  }
}

beforeAll(async () => {
  cluster = await localCluster();
  sqs = new SQSClient({
    endpoint: cluster.sqsEndpoint,
    region: cluster.awsRegion,
    credentials: { accessKeyId: cluster.awsAccessKeyId, secretAccessKey: cluster.awsSecretAccessKey },
  });
});
afterAll(() => {
  sqs?.destroy();
  cluster?.agent.destroy();
});

describe.sequential("the user path on a real cluster with real KEDA: SQS (KEDA's aws-sqs-queue scaler at the emulator)", () => {
  userPath({
    broker: 'sqs',
    cluster: () => cluster,
    // What KEDA's scaler adds up with scaleOnInFlight: visible + not visible.
    queueDepth: async (release, fn) => {
      const url = await queueUrl(release, fn);
      if (!url) return Number.NaN;
      const { Attributes: a } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      return Number(a?.ApproximateNumberOfMessages ?? 0) + Number(a?.ApproximateNumberOfMessagesNotVisible ?? 0);
    },
    queueExists: async (release, fn) => (await queueUrl(release, fn)) !== undefined,
  });
});
