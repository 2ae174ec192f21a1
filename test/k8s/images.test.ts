import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@qfn/tooling/paths';
import { buildImageBundle, imageTargets, type BundleReport, type ImageTarget } from '@qfn/tooling/images';
import { followJsonLogs } from '../support/process';
import { freePort } from '../faults/support';
import { chartDir, helmBinaries, render, valueSetsDir, type Manifest } from './support/helm';
import { containerEnv as renderedEnv } from '../images/support/chart-containers';
import { dropTestSchema } from '../support/database';

const containerEnv = (container: any, secret: Record<string, string>, overrides: Record<string, string>): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  ...renderedEnv(container, secret, overrides),
});

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const managementUrl = process.env.RABBITMQ_MANAGEMENT_URL ?? 'http://guest:guest@127.0.0.1:15672';

const targets = await imageTargets();
const outRoot = mkdtempSync(join(tmpdir(), 'qfn-bundles-'));
const reports: BundleReport[] = [];

beforeAll(async () => {
  for (const target of targets) reports.push(await buildImageBundle(target, outRoot));
  console.log(
    reports.flatMap((r) => r.files.map((f) => `${f.file}: ${(f.bytes / 1024).toFixed(0)} KiB (gzip ${(f.gzipBytes / 1024).toFixed(0)} KiB)`)).join('\n'),
  );
}, 120_000);
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

const bundle = (target: string, entry = 'index') => join(outRoot, target, `${entry}.mjs`);

describe('image bundles (npm run build)', () => {
  it('bundles every function, publish and the migration runner into modules that need no node_modules', () => {
    expect(reports.map((r) => r.target)).toEqual(targets.map((t) => t.name));
    // Entries and their chunks hold every dependency (the next tests run them with no node_modules).
    for (const report of reports)
      expect(
        report.files.reduce((sum, f) => sum + f.bytes, 0),
        report.target,
      ).toBeGreaterThan(100_000);
    expect(existsSync(join(outRoot, 'migrate', 'sql', 'meta', '_journal.json'))).toBe(true);
  });

  it.each(targets.flatMap((t) => Object.keys(t.entries).map((entry) => [t.name, entry])))(
    '%s/%s starts and stops on a bad setting with exit 78, naming it',
    (target, entry) => {
      const result = spawnSync(process.execPath, [bundle(target, entry)], {
        env: { PATH: process.env.PATH, DATABASE_URL: 'not-a-url' },
        cwd: tmpdir(), // no node_modules to fall back on: everything must be in the bundle
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(result.stderr).toMatch(/^configuration error: DATABASE_URL: must be a postgres or postgresql URL/m);
      expect(result.status).toBe(78);
    },
  );
});

describe('Dockerfiles', () => {
  const read = (file: string) => readFileSync(join(repoRoot, file), 'utf8');
  const stagesOf = (text: string) =>
    Object.fromEntries(
      text
        .split(/^FROM /m)
        .slice(1)
        .map((stage) => [/ AS (\w+)$/m.exec(stage.split('\n')[0]!)![1]!, stage]),
    );

  it.each(targets)('$name: built from its bundle, run by Node 24 as a non-root user', (target: ImageTarget) => {
    const text = read(target.dockerfile);
    const stages = stagesOf(text);
    expect(Object.keys(stages)).toEqual(['manifests', 'dependencies', 'bundles', 'build', 'runtime']);
    // Only the Dockerfile frontend built into Docker 20.10+: a syntax line would pull one from a registry.
    expect(text).not.toMatch(/^# *syntax=/m);
    expect(text).toMatch(/^ARG NODE_MAJOR=24$/m);
    expect(stages['manifests']).toMatch(/^node:\$\{NODE_MAJOR\}-slim AS manifests/);
    expect(stages['build']).toMatch(/test \$\? -eq 78/);
    expect(stages['runtime']).toMatch(/^gcr\.io\/distroless\/nodejs\$\{NODE_MAJOR\}-debian12:nonroot AS runtime/);
    expect(stages['runtime']).toMatch(/^USER 65532:65532$/m);
    expect(stages['runtime']).toMatch(/NODE_COMPILE_CACHE=\/app\/\.compile-cache/);
    expect(stages['runtime']).toContain('warm-compile-cache.mjs');
    // The whole output folder: entries load their chunks from beside them.
    expect(stages['runtime']).toContain(
      target.kind === 'migrate' ? 'COPY --from=build /src/dist/migrate/ /app/' : 'COPY --from=build /src/dist/${FUNCTION}/ /app/',
    );
  });

  it('npm ci sees only the lockfile and the workspace manifests, before anything that names a function', () => {
    for (const file of ['docker/Dockerfile', 'docker/migrate.Dockerfile']) {
      const { dependencies } = stagesOf(read(file));
      expect(dependencies!.match(/^COPY .*$/gm), file).toEqual([
        'COPY --from=manifests /manifests/ ./',
        'COPY scripts/patch-dependencies.mjs scripts/patch-dependencies.mjs',
      ]);
      expect(dependencies, file).toMatch(/npm ci/);
      expect(read(file).indexOf('ARG FUNCTION') === -1 || read(file).indexOf('ARG FUNCTION') > read(file).indexOf('npm ci'), file).toBe(true);
      expect(read(file), file).not.toMatch(/COPY functions /);
    }
    // Both Dockerfiles share their stages up to the bundles, so one release installs and bundles once for all images.
    const shared = (file: string) => read(file).slice(read(file).indexOf('ARG NODE_MAJOR'), read(file).indexOf('FROM bundles AS build'));
    expect(shared('docker/migrate.Dockerfile')).toBe(shared('docker/Dockerfile'));
  });

  it('the context is the repository root minus what a build never needs, for BuildKit and the legacy builder alike', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .filter((line) => line && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.git', '.tools']));
    // BuildKit would prefer a <Dockerfile>.dockerignore over the root one; the legacy builder ignores it.
    for (const target of targets) expect(existsSync(join(repoRoot, `${target.dockerfile}.dockerignore`))).toBe(false);
  });
});

describe("the chart's containers, run from their bundles with the env the chart renders", () => {
  const suffix = `${process.pid}${Date.now().toString(36)}`;
  const schema = `k8s_e2e_${suffix}`;
  const prefix = `k8se2e${suffix}`;
  const secret = { DATABASE_URL: databaseUrl, AMQP_URL: amqpUrl, RABBITMQ_MANAGEMENT_URL: managementUrl, PUBLISH_API_TOKENS: 'local-helm-test-token-0001' };
  const running: ChildProcess[] = [];
  let manifests: Manifest[];

  beforeAll(() => {
    const [binary] = helmBinaries();
    manifests = render(binary!, {
      valueFiles: [join(valueSetsDir, 'rabbitmq-values.yaml')],
      set: { 'broker.queuePrefix': prefix, 'database.schema': schema, 'migrations.waitSeconds': 10 },
    });
  });

  afterAll(async () => {
    await Promise.all(running.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM')) : undefined)));
    await dropTestSchema(schema);
    const url = new URL(managementUrl);
    const auth = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    for (const kind of ['queues', 'exchanges']) {
      const listed = (await (await fetch(`${url.origin}/api/${kind}/%2F`, { headers: { authorization: auth } })).json()) as { name: string }[];
      for (const { name } of listed.filter((item) => item.name.startsWith(`${prefix}.`))) {
        await fetch(`${url.origin}/api/${kind}/%2F/${encodeURIComponent(name)}`, { method: 'DELETE', headers: { authorization: auth } });
      }
    }
  });

  const container = (kind: string, component: string) => {
    const manifest = manifests.find((m) => m.kind === kind && m.metadata.labels?.['app.kubernetes.io/component'] === component)!;
    const spec = kind === 'Pod' ? manifest.spec : manifest.spec.template.spec;
    return spec.containers[0];
  };

  it('migrates, provisions, serves, consumes, and passes the helm test round trip', async () => {
    for (const [component, file] of [
      ['migrate', bundle('migrate', 'migrate')],
      ['provision', bundle('migrate', 'provision')],
    ] as const) {
      const job = container('Job', component);
      expect(job.args).toEqual([`/app/${component}.mjs`]);
      const result = spawnSync(process.execPath, [file], { env: containerEnv(job, secret, {}), cwd: tmpdir(), encoding: 'utf8', timeout: 60_000 });
      expect(result.status, `${component}: ${result.stderr}`).toBe(0);
    }

    const consumer = spawn(process.execPath, [bundle('store-message')], {
      env: containerEnv(container('Deployment', 'store-message'), secret, { HEALTH_PORT: '0' }),
      cwd: tmpdir(),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    running.push(consumer);
    // A port nothing listens on now, as the OS hands them out (a random pick collided with another test's port in CI).
    const port = String(await freePort());
    const publish = spawn(process.execPath, [bundle('publish')], {
      env: containerEnv(container('Deployment', 'publish'), secret, { PORT: port }),
      cwd: tmpdir(),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    running.push(publish);
    await Promise.all([followJsonLogs(consumer).waitForLog('consuming'), followJsonLogs(publish).waitForLog('listening')]);

    const testPod = container('Pod', 'test');
    const script = readFileSync(join(chartDir, 'files', 'smoke-test.mjs'), 'utf8');
    expect(testPod.args).toEqual(['--input-type=module', '-e', script]);
    const result = spawnSync(process.execPath, testPod.args, {
      env: containerEnv(testPod, secret, { PUBLISH_URL: `http://127.0.0.1:${port}`, TIMEOUT_SECONDS: '30' }),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/helm test: stored and read back: \{"id":"[0-9a-f-]{36}"/);
    expect(result.status).toBe(0);
  }, 120_000);
});
