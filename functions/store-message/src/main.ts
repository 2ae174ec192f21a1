import { runFunction } from '@qfn/shared';
import storeMessage from './function';

await runFunction(storeMessage);
