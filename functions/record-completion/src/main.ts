import { runFunction } from '@qfn/shared';
import recordCompletion from './function';

await runFunction(recordCompletion);
