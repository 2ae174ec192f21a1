import { runHttpFunction } from '@qfn/shared/platform';
import publish from './function';

await runHttpFunction(publish);
