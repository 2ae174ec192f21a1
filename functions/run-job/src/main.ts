import { runFunction } from '@qfn/shared';
import runJob from './function';

await runFunction(runJob);
