import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { helmBinaries, helmTemplate, render, valueSetsDir, type Manifest } from './support/helm';
import { schemaErrors } from './support/models';

const binaries = helmBinaries();
const rabbitmq = join(valueSetsDir, 'rabbitmq-values.yaml');
const scratch = mkdtempSync(join(tmpdir(), 'qfn-function-access-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let files = 0;
function valuesFile(values: unknown): string {
  const file = join(scratch, `values-${++files}.yaml`);
  writeFileSync(file, stringify(values));
  return file;
}

const access = {
  functions: {
    'run-job': {
      extraEgress: [
        { to: [{ ipBlock: { cidr: '203.0.113.0/24' } }], ports: [{ port: 443, protocol: 'TCP' }] },
        { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'search' } } }], ports: [{ port: 9200 }] },
      ],
      secretEnv: {
        SEARCH_API_KEY: { secretName: 'search-credentials', key: 'api-key' },
        WEBHOOK_SECRET: { secretName: 'webhooks', key: 'secret', optional: true },
      },
    },
  },
};

describe.each(binaries)('a function reaching what its handler needs, on Helm $version', (binary) => {
  it("adds the function's own egress rules in a NetworkPolicy selecting only its pods, and its env from Secrets", () => {
    const manifests = render(binary, { valueFiles: [rabbitmq, valuesFile(access)] });
    const byName = (kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name) as Manifest;

    const policy = byName('NetworkPolicy', 'qfn-run-job-egress');
    expect(schemaErrors(policy)).toEqual([]);
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'qfn', 'app.kubernetes.io/instance': 'qfn', 'app.kubernetes.io/component': 'run-job' } },
      policyTypes: ['Egress'],
      egress: access.functions['run-job'].extraEgress,
    });
    const runJobPod = byName('Deployment', 'qfn-run-job').spec.template.metadata.labels;
    for (const [key, value] of Object.entries(policy.spec.podSelector.matchLabels)) expect(runJobPod[key]).toBe(value);
    // Nobody else gets the rules: store-message has no policy of its own.
    expect(manifests.filter((m) => m.kind === 'NetworkPolicy' && m.metadata.name.endsWith('-egress')).map((m) => m.metadata.name)).toEqual([
      'qfn-run-job-egress',
    ]);

    const deployment = byName('Deployment', 'qfn-run-job');
    expect(schemaErrors(deployment)).toEqual([]);
    const env = deployment.spec.template.spec.containers[0].env as { name: string; valueFrom?: unknown }[];
    expect(env.filter((e) => e.name === 'SEARCH_API_KEY' || e.name === 'WEBHOOK_SECRET')).toEqual([
      { name: 'SEARCH_API_KEY', valueFrom: { secretKeyRef: { name: 'search-credentials', key: 'api-key' } } },
      { name: 'WEBHOOK_SECRET', valueFrom: { secretKeyRef: { name: 'webhooks', key: 'secret', optional: true } } },
    ]);
    const storeMessageEnv = byName('Deployment', 'qfn-store-message').spec.template.spec.containers[0].env as { name: string }[];
    expect(storeMessageEnv.map((e) => e.name)).not.toContain('SEARCH_API_KEY');
  });

  it('renders no extra policy and no Secret env by default', () => {
    const manifests = render(binary, { valueFiles: [rabbitmq] });
    expect(
      manifests
        .filter((m) => m.kind === 'NetworkPolicy')
        .map((m) => m.metadata.name)
        .sort(),
    ).toEqual(['qfn-publish', 'qfn-workers']);
  });

  it('refuses malformed egress rules and Secret references through values.schema.json', () => {
    const wrong = [
      { extraEgress: [{ to: [{ ipBlock: {} }] }] },
      { extraEgress: [{ ports: [{ port: 70000 }] }] },
      { extraEgress: [{ ports: [{ port: 443, protocol: 'HTTP' }] }] },
      { extraEgress: [{ toFQDNs: ['example.com'] }] },
      { extraEgress: [{}] },
      { extraEgress: { to: [] } },
      { secretEnv: { API_KEY: { secretName: 'creds' } } },
      { secretEnv: { API_KEY: { secretName: 'Not_A_Name', key: 'k' } } },
      { secretEnv: { 'not-an-env-name': { secretName: 'creds', key: 'k' } } },
      { secretEnv: { API_KEY: 'plain text' } },
    ];
    for (const fn of wrong) {
      const result = helmTemplate(binary, { valueFiles: [rabbitmq, valuesFile({ functions: { 'run-job': fn } })] });
      expect(result.status, JSON.stringify(fn)).not.toBe(0);
      expect(result.stderr, JSON.stringify(fn)).toMatch(/values don't meet the specifications of the schema/);
    }
  });
});
