import { describe } from 'vitest';
import { itScalesZeroToNToZero } from './scenario';

// No SIGKILL here: on SQS a killed replica's messages stay hidden for the visibility timeout (30 s).
describe('local mode on the embedded stack (SQS emulator + PGlite)', () => {
  itScalesZeroToNToZero('embedded', { backend: 'embedded', messages: 2_000, workMs: 2, concurrency: 5, killOne: false });
});
