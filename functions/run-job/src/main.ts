import { runFunction } from '@qfn/shared';
import runJob from './function';
import { replicaJobPool } from './replica-pool';

// Threads start (and JOB_* settings are checked) before the first message arrives.
replicaJobPool(runJob.concurrency);
await runFunction(runJob);
