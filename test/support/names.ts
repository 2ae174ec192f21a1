import { randomBytes } from 'node:crypto';

/** A short name no other test run uses: queue prefixes and database schemas are made from it. */
export function uniqueName(label: string): string {
  return `t${label.replace(/[^a-z0-9]/g, '').slice(0, 12)}${randomBytes(4).toString('hex')}`;
}
