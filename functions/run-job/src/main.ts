import { runFunction } from '@qfn/shared';
import runJob from './function';
import { closeReplicaJobPool, startReplicaJobPool } from './replica-pool';

// The threads start and load the job code (and JOB_* settings are checked) before the first message arrives.
await startReplicaJobPool(runJob.concurrency);
// At SIGTERM the worker drains (or, at the grace deadline, aborts the jobs' threads through ctx.signal); then the pool goes.
await runFunction(runJob, { onStopped: closeReplicaJobPool });
