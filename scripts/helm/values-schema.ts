import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { declarationShape } from '@qfn/shared/platform';
import { repoRoot } from '@qfn/tooling/paths';
import { declaredValueDocs, scalingValueDocs } from './function-values';

export const valuesSchemaFile = join(repoRoot, 'helm', 'values.schema.json');

type JsonSchema = { [key: string]: unknown; properties?: Record<string, JsonSchema>; required?: string[]; items?: JsonSchema };

/** The declaration fields the chart takes per function (functionValues), beside its own enabled, image, resources, env… */
const declaredValues = ['concurrency', 'poolSize', 'shutdownGracePeriodSeconds', 'scaling'] as const;

/**
 * Scaling values the chart's templates default when a values file leaves them out (functions/scaledobject.yaml):
 * the generated `functions:` block always sets them, a user's own values need not.
 */
const defaultedByTemplates: Record<string, readonly string[]> = {
  scaling: ['initialCooldownPeriod', 'behavior', 'paused', 'pausedScaleIn', 'pausedScaleOut', 'pushActivation', 'rabbitmq', 'sqs'],
  'scaling.rabbitmq': ['mode', 'excludeUnacknowledged', 'activationOverAmqp'],
  'scaling.sqs': ['scaleOnInFlight', 'scaleOnDelayed'],
  'scaling.fallback': ['behavior'],
};

/** The comment each value has in helm/values.yaml, as its description. */
const describedAs = (docs: readonly string[]) => docs.join(' ');

/** zod states `int()`'s safe-integer range on every integer; a bound nobody declared says nothing. */
function withoutImplicitBounds(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if ((key === 'maximum' && value === Number.MAX_SAFE_INTEGER) || (key === 'minimum' && value === Number.MIN_SAFE_INTEGER)) continue;
    if (Array.isArray(value)) out[key] = value.map((item) => (item && typeof item === 'object' ? withoutImplicitBounds(item as JsonSchema) : item));
    else if (value && typeof value === 'object') out[key] = withoutImplicitBounds(value as JsonSchema);
    else out[key] = value;
  }
  return out;
}

/** The values hold `null` where the declaration leaves an optional setting unset (idleReplicaCount, fallback, pausedReplicas). */
function nullable(schema: JsonSchema): JsonSchema {
  return typeof schema['type'] === 'string' ? { ...schema, type: [schema['type'], 'null'] } : { anyOf: [schema, { type: 'null' }] };
}

function chartShape(schema: JsonSchema, path: string): JsonSchema {
  const out: JsonSchema = { ...schema };
  if (schema.properties) {
    const required = new Set(schema.required ?? []);
    out.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([key, property]) => {
        const shaped = chartShape(property, path ? `${path}.${key}` : key);
        return [key, path === 'scaling' && !required.has(key) ? nullable(shaped) : shaped];
      }),
    );
    const defaulted = defaultedByTemplates[path] ?? [];
    const stillRequired = [...required].filter((key) => !defaulted.includes(key));
    if (stillRequired.length > 0) out.required = stillRequired;
    else delete out.required;
  }
  return out;
}

/**
 * The JSON Schema of the declaration fields in a function's chart values, from the declaration schema
 * (`defineFunction`'s zod schema): the chart refuses at `helm install` what `defineFunction` would refuse.
 */
export function declaredValuesSchema(): Record<(typeof declaredValues)[number], JsonSchema> {
  const declaration = withoutImplicitBounds(z.toJSONSchema(declarationShape, { target: 'draft-7', unrepresentable: 'any' }) as JsonSchema);
  const properties = declaration.properties ?? {};
  return Object.fromEntries(
    declaredValues.map((key) => {
      const property = properties[key];
      if (!property) throw new Error(`the declaration schema has no ${key}`);
      const shaped = chartShape(property, key);
      if (key !== 'scaling') return [key, { ...shaped, description: describedAs(declaredValueDocs[key]) }];
      const scaling = Object.entries(shaped.properties ?? {}).map(([field, schema]) => [
        field,
        { ...schema, description: describedAs(scalingValueDocs[field as keyof typeof scalingValueDocs]) },
      ]);
      return [key, { ...shaped, description: 'KEDA ScaledObject settings (same names and meaning as in KEDA).', properties: Object.fromEntries(scaling) }];
    }),
  ) as Record<(typeof declaredValues)[number], JsonSchema>;
}

/** helm/values.schema.json with its functions' declared fields replaced by the generated ones; the rest is the chart's own. */
export function renderValuesSchema(current = readFileSync(valuesSchemaFile, 'utf8')): string {
  const schema = JSON.parse(current) as JsonSchema;
  const fn = (schema.properties?.['functions'] as JsonSchema | undefined)?.['additionalProperties'] as JsonSchema | undefined;
  if (!fn?.properties) throw new Error('helm/values.schema.json must describe properties.functions.additionalProperties.properties');
  Object.assign(fn.properties, declaredValuesSchema());
  return `${JSON.stringify(schema, null, 2)}\n`;
}
