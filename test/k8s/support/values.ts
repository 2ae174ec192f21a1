import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { chartDir } from './helm';

type Plain = Record<string, any>;

function isPlainObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Helm's value merge: maps merge key by key, anything else replaces. */
export function mergeValues(base: Plain, override: Plain): Plain {
  const merged: Plain = { ...base };
  for (const [key, value] of Object.entries(override)) {
    merged[key] = isPlainObject(value) && isPlainObject(base[key]) ? mergeValues(base[key], value) : value;
  }
  return merged;
}

/** The values a release gets from the chart's values.yaml and the given value files, in order. */
export function effectiveValues(...valueFiles: string[]): Plain {
  return [join(chartDir, 'values.yaml'), ...valueFiles].reduce<Plain>(
    (values, file) => mergeValues(values, (parse(readFileSync(file, 'utf8')) as Plain | null) ?? {}),
    {},
  );
}
