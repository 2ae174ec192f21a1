import { createHash } from 'node:crypto';
import { z } from 'zod';
import { matchesTopic } from '../messages/topic';
import type { EventDefinition } from './define';

type JsonSchema = Record<string, unknown>;

export interface CatalogEntry {
  version: number;
  description?: string;
  /** Functions subscribed to the type (by definition or topic pattern); none: publishing it answers 422. */
  subscribers: string[];
  /** JSON Schema (draft 2020-12) of the event's `data` as a producer sends it. */
  schema: JsonSchema;
}

/** Every declared event type as JSON Schema, for producers in any language (`GET /events`, events/catalog.json). */
export interface EventCatalog {
  format: 1;
  /** Changes whenever an entry does: a cache key, and the catalog's version. */
  revision: string;
  events: Record<string, CatalogEntry>;
}

export function eventJsonSchema(definition: EventDefinition): JsonSchema {
  return z.toJSONSchema(definition.schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

/** The catalog of `definitions`, each with the functions whose subscriptions match its type. */
export function buildCatalog(definitions: Iterable<EventDefinition>, functions: readonly { name: string; subscribes: readonly string[] }[]): EventCatalog {
  const events: Record<string, CatalogEntry> = {};
  for (const definition of [...definitions].sort((a, b) => a.type.localeCompare(b.type))) {
    events[definition.type] = {
      version: definition.version,
      ...(definition.description ? { description: definition.description } : {}),
      subscribers: functions
        .filter((fn) => fn.subscribes.some((pattern) => matchesTopic(pattern, definition.type)))
        .map((fn) => fn.name)
        .sort(),
      schema: eventJsonSchema(definition),
    };
  }
  const revision = createHash('sha256').update(JSON.stringify(events)).digest('hex').slice(0, 16);
  return { format: 1, revision, events };
}

export interface CatalogChange {
  type: string;
  /** Where in the event's data, e.g. `data.rounds`. */
  path: string;
  change: string;
  /** An event valid before may be refused (or misread) after it. */
  breaking: boolean;
}

/**
 * What changed from the committed catalog to the declared one. Breaking means an event that was valid
 * may no longer be: a required field added, a field's type changed, a known field removed from a closed
 * object, a constraint tightened, an enum value or a whole event type removed. A breaking change with a
 * raised `version` is reported as not breaking: it was announced.
 */
export function compareCatalogs(committed: EventCatalog, declared: EventCatalog): CatalogChange[] {
  const changes: CatalogChange[] = [];
  for (const [type, before] of Object.entries(committed.events)) {
    const after = declared.events[type];
    if (!after) {
      changes.push({ type, path: '', change: 'event type removed', breaking: true });
      continue;
    }
    const found: Omit<CatalogChange, 'type'>[] = [];
    compareSchemas(before.schema, after.schema, 'data', found);
    const announced = after.version > before.version;
    for (const change of found) changes.push({ type, ...change, breaking: change.breaking && !announced });
    if (after.version < before.version) changes.push({ type, path: '', change: `version lowered from ${before.version} to ${after.version}`, breaking: true });
  }
  for (const type of Object.keys(declared.events)) {
    if (!committed.events[type]) changes.push({ type, path: '', change: 'event type added', breaking: false });
  }
  return changes;
}

export function describeChange(change: CatalogChange): string {
  return `${change.type}${change.path ? ` ${change.path}` : ''}: ${change.change}`;
}

function typesOf(schema: JsonSchema): string[] {
  const type = schema['type'];
  if (Array.isArray(type)) return type.map(String);
  if (typeof type === 'string') return type === 'integer' ? ['integer'] : [type];
  return [];
}

const tighterWhenLarger = ['minLength', 'minimum', 'exclusiveMinimum', 'minItems', 'minProperties'];
const tighterWhenSmaller = ['maxLength', 'maximum', 'exclusiveMaximum', 'maxItems', 'maxProperties'];

function compareSchemas(before: JsonSchema, after: JsonSchema, path: string, out: Omit<CatalogChange, 'type'>[]): void {
  const beforeTypes = typesOf(before);
  const afterTypes = typesOf(after);
  const accepts = (types: string[], t: string) => types.includes(t) || (t === 'integer' && types.includes('number'));
  if (beforeTypes.length > 0 && afterTypes.length > 0) {
    const lost = beforeTypes.filter((t) => !accepts(afterTypes, t));
    if (lost.length > 0) {
      out.push({ path, change: `type changed from ${beforeTypes.join('|')} to ${afterTypes.join('|')}`, breaking: true });
      return;
    }
  } else if (beforeTypes.length === 0 && afterTypes.length > 0 && !before['anyOf'] && !before['oneOf'] && !before['enum'] && before['const'] === undefined) {
    out.push({ path, change: `now restricted to ${afterTypes.join('|')}`, breaking: true });
    return;
  }
  for (const key of tighterWhenLarger) {
    if (typeof after[key] === 'number' && (typeof before[key] !== 'number' || (after[key] as number) > (before[key] as number))) {
      out.push({ path, change: `${key} tightened from ${before[key] ?? 'none'} to ${after[key]}`, breaking: true });
    }
  }
  for (const key of tighterWhenSmaller) {
    if (typeof after[key] === 'number' && (typeof before[key] !== 'number' || (after[key] as number) < (before[key] as number))) {
      out.push({ path, change: `${key} tightened from ${before[key] ?? 'none'} to ${after[key]}`, breaking: true });
    }
  }
  if (after['pattern'] !== undefined && after['pattern'] !== before['pattern']) {
    out.push({ path, change: `pattern changed to ${String(after['pattern'])}`, breaking: true });
  }
  if (Array.isArray(before['enum']) && Array.isArray(after['enum'])) {
    const removed = (before['enum'] as unknown[]).filter((v) => !(after['enum'] as unknown[]).some((w) => JSON.stringify(w) === JSON.stringify(v)));
    if (removed.length > 0) out.push({ path, change: `enum values removed: ${removed.map((v) => JSON.stringify(v)).join(', ')}`, breaking: true });
  } else if (Array.isArray(after['enum']) && !Array.isArray(before['enum'])) {
    out.push({ path, change: 'now restricted to an enum', breaking: true });
  }
  for (const union of ['anyOf', 'oneOf'] as const) {
    if (JSON.stringify(before[union]) !== JSON.stringify(after[union]) && (before[union] || after[union])) {
      out.push({
        path,
        change: `${union} changed (not compared member by member)`,
        breaking: Boolean(before[union] && after[union]) || Boolean(after[union] && !before[union] && beforeTypes.length === 0),
      });
    }
  }
  const beforeProps = (before['properties'] ?? {}) as Record<string, JsonSchema>;
  const afterProps = (after['properties'] ?? {}) as Record<string, JsonSchema>;
  const beforeRequired = new Set((before['required'] ?? []) as string[]);
  const afterRequired = new Set((after['required'] ?? []) as string[]);
  const closed = after['additionalProperties'] === false;
  for (const name of afterRequired) {
    if (!beforeRequired.has(name))
      out.push({ path: `${path}.${name}`, change: beforeProps[name] ? 'optional field became required' : 'required field added', breaking: true });
  }
  for (const [name, schema] of Object.entries(beforeProps)) {
    const next = afterProps[name];
    if (!next) {
      if (closed) out.push({ path: `${path}.${name}`, change: 'field removed (the object refuses unknown fields)', breaking: true });
      else out.push({ path: `${path}.${name}`, change: 'field removed', breaking: false });
      continue;
    }
    compareSchemas(schema, next, `${path}.${name}`, out);
  }
  for (const name of Object.keys(afterProps)) {
    if (!beforeProps[name] && !afterRequired.has(name)) out.push({ path: `${path}.${name}`, change: 'optional field added', breaking: false });
  }
  if (before['additionalProperties'] !== false && closed && Object.keys(beforeProps).length > 0) {
    out.push({ path, change: 'now refuses unknown fields', breaking: true });
  }
  if (typeof before['items'] === 'object' && typeof after['items'] === 'object') {
    compareSchemas(before['items'] as JsonSchema, after['items'] as JsonSchema, `${path}[]`, out);
  }
  if (typeof before['additionalProperties'] === 'object' && typeof after['additionalProperties'] === 'object') {
    compareSchemas(before['additionalProperties'] as JsonSchema, after['additionalProperties'] as JsonSchema, `${path}{}`, out);
  }
}
