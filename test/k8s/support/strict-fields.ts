import { join } from 'node:path';
import ts from 'typescript';
import { repoRoot } from '@qfn/tooling/paths';

/**
 * The JSON schemas of kubernetes-models accept unknown fields (a misspelt `readOnlyRootFileSystem` passes
 * and the API server drops it). This checks every field of a manifest against the TypeScript interface the
 * same packages ship, by asking the TypeScript checker for each object's known properties.
 */
const rootTypes: Record<string, { module: string; type: string }> = {
  'v1/Pod': { module: 'kubernetes-models/v1', type: 'IPod' },
  'v1/Service': { module: 'kubernetes-models/v1', type: 'IService' },
  'v1/ServiceAccount': { module: 'kubernetes-models/v1', type: 'IServiceAccount' },
  'v1/Secret': { module: 'kubernetes-models/v1', type: 'ISecret' },
  'v1/ConfigMap': { module: 'kubernetes-models/v1', type: 'IConfigMap' },
  'apps/v1/Deployment': { module: 'kubernetes-models/apps/v1', type: 'IDeployment' },
  'batch/v1/Job': { module: 'kubernetes-models/batch/v1', type: 'IJob' },
  'networking.k8s.io/v1/NetworkPolicy': { module: 'kubernetes-models/networking.k8s.io/v1', type: 'INetworkPolicy' },
  'networking.k8s.io/v1/Ingress': { module: 'kubernetes-models/networking.k8s.io/v1', type: 'IIngress' },
  'policy/v1/PodDisruptionBudget': { module: 'kubernetes-models/policy/v1', type: 'IPodDisruptionBudget' },
  'rbac.authorization.k8s.io/v1/Role': { module: 'kubernetes-models/rbac.authorization.k8s.io/v1', type: 'IRole' },
  'rbac.authorization.k8s.io/v1/RoleBinding': { module: 'kubernetes-models/rbac.authorization.k8s.io/v1', type: 'IRoleBinding' },
  'keda.sh/v1alpha1/ScaledObject': { module: '@kubernetes-models/keda/keda.sh/v1alpha1', type: 'IScaledObject' },
  'keda.sh/v1alpha1/TriggerAuthentication': { module: '@kubernetes-models/keda/keda.sh/v1alpha1', type: 'ITriggerAuthentication' },
};

export type FieldChecker = (manifest: { apiVersion: string; kind: string }) => string[];

let built: FieldChecker | undefined;

/** The checker: a TypeScript program over the model typings, built once per test file (~4 s). */
export function createFieldChecker(): FieldChecker {
  built ??= buildFieldChecker();
  return built;
}

function buildFieldChecker(): FieldChecker {
  const fileName = join(repoRoot, 'test', 'k8s', '__manifest_types__.ts');
  const entries = Object.entries(rootTypes);
  const source = [
    ...entries.map(([, { module, type }], index) => `import type { ${type} as T${index} } from '${module}';`),
    `export interface Roots { ${entries.map(([key], index) => `'${key}': T${index};`).join(' ')} }`,
  ].join('\n');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, ...rest) =>
    name === fileName ? ts.createSourceFile(name, source, languageVersion) : getSourceFile(name, languageVersion, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const program = ts.createProgram([fileName], options, host);
  const checker = program.getTypeChecker();
  const rootsSymbol = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(fileName)!)!).find((s) => s.name === 'Roots')!;
  const roots = checker.getDeclaredTypeOfSymbol(rootsSymbol);

  function walk(value: unknown, type: ts.Type, path: string, unknown: string[]): void {
    if (value === null || typeof value !== 'object') return;
    const known = checker.getNonNullableType(type);
    if (Array.isArray(value)) {
      const element = checker.getIndexTypeOfType(known, ts.IndexKind.Number);
      if (element) value.forEach((item, index) => walk(item, element, `${path}[${index}]`, unknown));
      return;
    }
    const mapOf = checker.getIndexTypeOfType(known, ts.IndexKind.String);
    if (mapOf) {
      for (const [key, item] of Object.entries(value)) walk(item, mapOf, `${path}.${key}`, unknown);
      return;
    }
    const properties = checker.getPropertiesOfType(known);
    if (properties.length === 0) return; // a free-form object
    for (const [key, item] of Object.entries(value)) {
      const property = known.getProperty(key);
      if (!property) unknown.push(`${path}.${key}`);
      else walk(item, checker.getTypeOfSymbol(property), `${path}.${key}`, unknown);
    }
  }

  return (manifest) => {
    const key = `${manifest.apiVersion}/${manifest.kind}`;
    const property = roots.getProperty(key);
    if (!property) return [`no typings for ${key}`];
    const unknown: string[] = [];
    walk(manifest, checker.getTypeOfSymbol(property), '', unknown);
    return unknown;
  };
}
