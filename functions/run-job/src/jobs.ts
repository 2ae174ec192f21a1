import { type EventData, PermanentError } from '@qfn/shared';
import { jobRequested, type JobRequest } from './events';
import { jobRunners } from './job-runners';

export const jobTypes = Object.values(jobRequested).map((definition) => definition.type);

/** The job's kind: its event type without `job.`. */
export function jobKind(eventType: string): string {
  return eventType.slice('job.'.length);
}

/** Refuses an event type that names no job: retrying it cannot help. */
export function assertJobType(eventType: string): asserts eventType is JobRequest['type'] {
  if (!Object.hasOwn(jobRunners, eventType)) throw new PermanentError(`unknown job type "${eventType}"; known: ${jobTypes.join(', ')}`);
}

/** Runs the job an event of `eventType` asks for, with its validated data, on this thread. */
export function runJob<K extends JobRequest>(eventType: K['type'], input: EventData<K>): Record<string, unknown> {
  assertJobType(eventType);
  return (jobRunners[eventType] as (input: EventData<K>) => Record<string, unknown>)(input);
}
