import { runFunction } from '@qfn/shared';
import runJob from './function';
import { startReplicaJobPool } from './replica-pool';

// The threads start and load the job code (and JOB_* settings are checked) before the first message arrives.
await startReplicaJobPool(runJob.concurrency);
await runFunction(runJob);
