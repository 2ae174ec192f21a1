import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inlineCredentials } from './support/credentials';
import { chartDir, helmBinaries, helmLint, render, valueSetsDir } from './support/helm';
import { schemaErrors } from './support/models';
import { podSecurityViolations } from './support/pod-security';
import { createFieldChecker } from './support/strict-fields';

const devChart = join(chartDir, 'dev-infra');

describe.each(helmBinaries())('dev-infra chart on Helm $version', (binary) => {
  const renderDev = () => render(binary, { chart: devChart, release: 'dev' });

  it('lints and renders valid Postgres and RabbitMQ Deployments under Pod Security Standards "restricted"', () => {
    expect(helmLint(binary, { chart: devChart }).status).toBe(0);
    const manifests = renderDev();
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual(
      ['Deployment/dev-postgres', 'Deployment/dev-rabbitmq', 'Secret/qfn-dev-credentials', 'Service/dev-postgres', 'Service/dev-rabbitmq'].sort(),
    );
    expect(manifests.flatMap(schemaErrors)).toEqual([]);
    const checkFields = createFieldChecker();
    expect(manifests.flatMap((m) => checkFields(m))).toEqual([]);
    expect(manifests.flatMap((m) => podSecurityViolations(m, { readOnlyRoot: false }))).toEqual([]);
  });

  it('generates its passwords into the one Secret, holding every key qfn requires', () => {
    const [first, second] = [renderDev(), renderDev()];
    const secretOf = (manifests: typeof first) => manifests.find((m) => m.kind === 'Secret')!;
    const decoded = (manifests: typeof first) =>
      Object.fromEntries(Object.entries(secretOf(manifests).data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    const [a, b] = [decoded(first), decoded(second)];
    expect(a.POSTGRES_PASSWORD).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(a.POSTGRES_PASSWORD).not.toBe(b.POSTGRES_PASSWORD);
    expect(a.DATABASE_URL).toBe(`postgres://qfn:${a.POSTGRES_PASSWORD}@dev-postgres.events.svc:5432/qfn`);
    expect(a.RABBITMQ_MANAGEMENT_URL).toBe(`http://qfn:${a.RABBITMQ_PASSWORD}@dev-rabbitmq.events.svc:15672`);
    expect(inlineCredentials(first.filter((m) => m.kind !== 'Secret'))).toEqual([]);

    const qfn = render(binary, { valueFiles: [join(valueSetsDir, 'rabbitmq-values.yaml')], set: { existingSecret: 'qfn-dev-credentials' } });
    const required = new Set(
      qfn
        .flatMap((m) => (m.spec?.template?.spec ?? m.spec)?.containers ?? [])
        .flatMap((c: any) => c.env ?? [])
        .filter((e: any) => e.valueFrom?.secretKeyRef && !e.valueFrom.secretKeyRef.optional)
        .map((e: any) => e.valueFrom.secretKeyRef.key),
    );
    const kedaHost = qfn.find((m) => m.kind === 'TriggerAuthentication')!.spec.secretTargetRef[0].key;
    for (const key of [...required, kedaHost]) expect(Object.keys(a)).toContain(key);
  });
});
