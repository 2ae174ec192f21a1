import { createHash } from 'node:crypto';

/**
 * The id of the `position`-th event a handler publishes while processing `parentId`: the same on every
 * run of that handler, so a child written twice (a retried relay, a rerun after a crash) is one event
 * to its subscribers' inboxes. A UUID (version 8, name-based on SHA-256).
 */
export function childEventId(parentId: string, position: number): string {
  const bytes = createHash('sha256').update(parentId).update('\n').update(String(position)).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
