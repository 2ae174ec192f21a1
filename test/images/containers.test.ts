/**
 * The four images, built from the Dockerfiles (on stand-in base images where no registry is reachable) and run the way
 * the chart runs them: env from `helm template`, its security context and memory limits, host networking. Hook order
 * migrate → provision → consumers + publish, against the machine's RabbitMQ and Postgres under a prefix and schema of
 * this run only; 2,000 messages with one consumer replaced mid-stream; the chart's `helm test` in the publish image.
 * Skips (saying why) only where no Docker Engine runs, and never with CI=true.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { freePort } from '../../bench/lib/ports';
import { buildImage, docker, dockerCli, engineStatus, removeContainers, removeImages, stepCached, type BuildResult } from '../../scripts/images/docker';
import { repoRoot } from '@qfn/tooling/paths';
import { chartDir, helmBinaries, render, valueSetsDir, type Manifest } from '../k8s/support/helm';
import { uniqueName } from '../support/names';
import { followJsonLogs, type FunctionProcess } from '../support/process';
import { amqpUrl, deleteRabbitTopology } from '../support/rabbitmq';
import { copyBuildContext, type BuildContext } from '@qfn/tooling/build-context';
import { chartContainer, containerEnv, dockerRunFlags, envFlags, type ChartContainer } from './support/chart-containers';
import { dropTestSchema } from '../support/database';

const databaseUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const managementUrl = process.env['RABBITMQ_MANAGEMENT_URL'] ?? 'http://guest:guest@127.0.0.1:15672';
const messageCount = 2_000;
const npmCi = /npm ci/;
const bundleStep = /scripts\/build\.ts --all/;

const engine = engineStatus();
const mustRun = process.env['CI'] === 'true';
if (!engine.ok) console.warn(`test/images: ${mustRun ? 'CI=true: failing, not skipping' : 'skipped'}: no Docker Engine (${engine.reason})`);

describe.skipIf(!engine.ok && !mustRun)('images built from the Dockerfiles, run as the chart runs them', () => {
  const name = uniqueName('img');
  const schema = name;
  const prefix = name;
  const token = `image-test-token-${name}`;
  const secret = { DATABASE_URL: databaseUrl, AMQP_URL: amqpUrl, RABBITMQ_MANAGEMENT_URL: managementUrl, PUBLISH_API_TOKENS: token };
  const image = (target: string) => `qfn-test-${name}/${target}:run`;
  const builds = new Map<string, BuildResult>();
  const containers: string[] = [];
  const running: FunctionProcess[] = [];
  let context: BuildContext | undefined;
  let manifests: Manifest[];
  let codeChange: BuildResult;

  beforeAll(async () => {
    if (!engine.ok) throw new Error(`CI=true but no Docker Engine: ${engine.reason}`);
    const standins = spawnSync('bash', [join(repoRoot, 'scripts', 'images', 'standins.sh')], { encoding: 'utf8', timeout: 900_000 });
    expect(standins.status, `standins.sh: ${standins.stdout}${standins.stderr}`).toBe(0);

    context = copyBuildContext();
    const started = performance.now();
    for (const target of ['store-message', 'run-job', 'publish']) {
      builds.set(target, await buildImage({ dockerfile: 'docker/Dockerfile', context: context.dir, tag: image(target), buildArgs: { FUNCTION: target } }));
    }
    builds.set('migrate', await buildImage({ dockerfile: 'docker/migrate.Dockerfile', context: context.dir, tag: image('migrate') }));
    // A code change, as a new commit: the dependency layer must come from the cache, the bundles must not.
    context.changeCode('functions/store-message/src/function.ts', `changed by the image test ${name}`);
    codeChange = await buildImage({
      dockerfile: 'docker/Dockerfile',
      context: context.dir,
      tag: image('store-message'),
      buildArgs: { FUNCTION: 'store-message' },
    });
    console.log(
      `test/images: built in ${Math.round((performance.now() - started) / 1000)} s (${[...builds].map(([target, b]) => `${target} ${(b.ms / 1000).toFixed(1)} s`).join(', ')}, code change ${(codeChange.ms / 1000).toFixed(1)} s)`,
    );

    const [helm] = helmBinaries();
    manifests = render(helm!, {
      valueFiles: [join(valueSetsDir, 'rabbitmq-values.yaml')],
      set: { 'broker.queuePrefix': prefix, 'database.schema': schema, 'migrations.waitSeconds': 10 },
    });
  }, 1_200_000);

  afterAll(async () => {
    await Promise.all(running.map(async (replica) => replica.child.exitCode === null && (replica.child.kill('SIGKILL'), await replica.exited)));
    await removeContainers(...containers);
    await removeImages(...['store-message', 'run-job', 'publish', 'migrate'].map(image));
    context?.remove();
    await dropTestSchema(schema);
    await deleteRabbitTopology(prefix);
  }, 120_000);

  it('npm ci runs at most once per release: every other image and a code change reuse its layer', () => {
    const [first, ...others] = [...builds.values()];
    expect(stepCached(first!.log, npmCi), 'the first build has an npm ci step').toBeDefined();
    for (const [target, build] of [...builds].slice(1)) {
      expect(stepCached(build.log, npmCi), `${target}: npm ci from the cache`).toBe(true);
      expect(stepCached(build.log, bundleStep), `${target}: bundles from the cache`).toBe(true);
    }
    expect(others).toHaveLength(3);
    expect(stepCached(codeChange.log, npmCi), 'after a code change: npm ci from the cache').toBe(true);
    expect(stepCached(codeChange.log, bundleStep), 'after a code change: bundled again').toBe(false);
    // Only the Dockerfile frontend built into the Engine: nothing pulled.
    for (const build of [...builds.values(), codeChange])
      expect(build.log).not.toMatch(/docker\/dockerfile|resolve image config for docker-image:\/\/docker\.io\/docker/);
  });

  const chart = (kind: 'Deployment' | 'Job' | 'Pod', component: string) => chartContainer(manifests, kind, component);

  /** `docker run` of a rendered container: its image, env, security context, memory limit and args. */
  const runArgs = (role: string, target: string, spec: ChartContainer, overrides: Record<string, string>) => {
    const container = `qfn-test-${name}-${role}`;
    containers.push(container);
    const env = containerEnv(spec.container, secret, overrides, { 'metadata.name': container, 'metadata.namespace': 'events' });
    return ['run', '--rm', '--name', container, '--network', 'host', ...dockerRunFlags(spec), ...envFlags(env), image(target), ...(spec.container.args ?? [])];
  };
  const start = (role: string, target: string, spec: ChartContainer, overrides: Record<string, string>): FunctionProcess => {
    const child = spawn(dockerCli(), runArgs(role, target, spec, overrides), { stdio: ['ignore', 'pipe', 'pipe'] });
    const replica = { child, ...followJsonLogs(child) };
    running.push(replica);
    return replica;
  };

  it('runs with the security context, env and limits the chart renders', () => {
    const flags = dockerRunFlags(chart('Deployment', 'store-message'));
    expect(flags.join(' ')).toMatch(/--read-only --user 65532:65532 --cap-drop ALL --security-opt no-new-privileges --tmpfs \/tmp:\S+ --memory \d+/);
    for (const [kind, component] of [
      ['Job', 'migrate'],
      ['Job', 'provision'],
      ['Deployment', 'publish'],
      ['Deployment', 'run-job'],
      ['Pod', 'test'],
    ] as const) {
      expect(dockerRunFlags(chart(kind, component)), component).toEqual(
        expect.arrayContaining(['--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--memory']),
      );
    }
  });

  it('migrates, provisions, consumes 2,000 messages exactly once across a replaced replica, serves health, passes helm test', async () => {
    for (const component of ['migrate', 'provision']) {
      const job = await docker(runArgs(component, 'migrate', chart('Job', component), {}), { timeoutMs: 120_000 });
      expect(job.status, `${component}: ${job.stderr}${job.stdout.slice(-2000)}`).toBe(0);
    }

    const [publishPort, firstHealth, secondHealth, runJobHealth] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const storeMessage = chart('Deployment', 'store-message');
    const first = start('store-message-1', 'store-message', storeMessage, { HEALTH_PORT: String(firstHealth) });
    const runJob = start('run-job', 'run-job', chart('Deployment', 'run-job'), { HEALTH_PORT: String(runJobHealth) });
    const publish = start('publish', 'publish', chart('Deployment', 'publish'), { PORT: String(publishPort) });
    await Promise.all([first.waitForLog('consuming', 60_000), runJob.waitForLog('consuming', 60_000), publish.waitForLog('listening', 60_000)]);

    const probes = (spec: ChartContainer) => [spec.container.livenessProbe.httpGet.path, spec.container.readinessProbe.httpGet.path] as string[];
    const expectHealthy = async (port: number, spec: ChartContainer) => {
      const paths = probes(spec);
      expect(paths).toEqual(['/healthz', '/readyz']);
      for (const path of paths) expect((await fetch(`http://127.0.0.1:${port}${path}`)).status, `:${port}${path}`).toBe(200);
    };
    await expectHealthy(firstHealth, storeMessage);
    await expectHealthy(runJobHealth, chart('Deployment', 'run-job'));
    await expectHealthy(publishPort, chart('Deployment', 'publish'));

    // 2,000 messages from 8 clients; at 500 accepted one store-message container gets the chart's stop, and a new one starts.
    const grace = String(storeMessage.pod.terminationGracePeriodSeconds);
    const accepted: string[] = [];
    const refused: string[] = [];
    let next = 0;
    let replacement: Promise<FunctionProcess> | undefined;
    const publishDeadline = Date.now() + 90_000;
    const client = async () => {
      while (next < messageCount && Date.now() < publishDeadline) {
        const index = next++;
        const response = await fetch(`http://127.0.0.1:${publishPort}/message/publish`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({
            ts: new Date().toISOString(),
            sender: `image-test-${index % 10}`,
            messageAttributes: { index: String(index) },
            sent_from_ip: '192.0.2.1',
            priority: 1,
          }),
        });
        const body = (await response.json()) as { id?: string };
        if (response.status === 202 && body.id) accepted.push(body.id);
        else refused.push(`${response.status} ${JSON.stringify(body)}`);
        if (accepted.length >= 500 && !replacement) {
          const stopAt = accepted.length;
          replacement = docker(['stop', '-t', grace, `qfn-test-${name}-store-message-1`], { timeoutMs: 120_000 }).then(async () => {
            const stoppedAt = accepted.length;
            const second = start('store-message-2', 'store-message', storeMessage, { HEALTH_PORT: String(secondHealth) });
            await second.waitForLog('consuming', 60_000);
            console.log(
              `test/images: docker stop -t ${grace} at ${stopAt} accepted, stopped at ${stoppedAt}, replacement consuming at ${accepted.length} of ${messageCount}`,
            );
            return second;
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    await Promise.all(Array.from({ length: 8 }, client));
    expect(refused.slice(0, 5)).toEqual([]);
    expect(accepted).toHaveLength(messageCount);
    const second = await replacement!;

    // The stopped replica drained and exited 0 within the grace period.
    expect(await first.exited).toBe(0);
    expect(first.logs.find((line) => line['msg'] === 'stopped')).toMatchObject({ drained: true });
    await expectHealthy(secondHealth, storeMessage);

    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {}, connection: { search_path: schema } });
    try {
      let counts = { rows: 0, ids: 0, ours: 0 };
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 500))) {
        const [row] = await sql<{ rows: number; ids: number; ours: number }[]>`
          select count(*)::int as rows, count(distinct id)::int as ids, count(*) filter (where id = any(${accepted}))::int as ours from messages`;
        counts = row!;
        if (counts.rows >= accepted.length) break;
      }
      expect(counts).toEqual({ rows: accepted.length, ids: accepted.length, ours: accepted.length });
    } finally {
      await sql.end();
    }

    // The chart's `helm test` pod: its script, run by the publish image's Node, with the pod's env and security context.
    const testPod = chart('Pod', 'test');
    expect(testPod.container.args).toEqual(['--input-type=module', '-e', readFileSync(join(chartDir, 'files', 'smoke-test.mjs'), 'utf8')]);
    const helmTest = await docker(runArgs('helm-test', 'publish', testPod, { PUBLISH_URL: `http://127.0.0.1:${publishPort}`, TIMEOUT_SECONDS: '60' }), {
      timeoutMs: 120_000,
    });
    expect(helmTest.stderr).toBe('');
    expect(helmTest.stdout).toMatch(/helm test: stored and read back: \{"id":"[0-9a-f-]{36}"/);
    expect(helmTest.status).toBe(0);

    await docker(['stop', '-t', grace, ...containers.filter((c) => /store-message-2|run-job|publish$/.test(c))]);
    expect(await Promise.all([second.exited, runJob.exited, publish.exited])).toEqual([0, 0, 0]);
  }, 300_000);

  it('stops with exit 78 and one line naming a bad setting', async () => {
    const result = await docker(runArgs('bad-setting', 'store-message', chart('Deployment', 'store-message'), { DATABASE_URL: 'not-a-url' }), {
      timeoutMs: 60_000,
    });
    expect(result.stderr).toMatch(/^configuration error: DATABASE_URL: must be a postgres or postgresql URL/m);
    expect(result.status).toBe(78);
  });

  it('starts from the compile cache written at build time, read-only, as uid 65532', async () => {
    for (const [target, entry, spec] of [
      ['store-message', 'index', chart('Deployment', 'store-message')],
      ['migrate', 'migrate', chart('Job', 'migrate')],
    ] as const) {
      const result = await docker(runArgs(`cache-${target}`, target, spec, { DATABASE_URL: 'not-a-url', NODE_DEBUG_NATIVE: 'COMPILE_CACHE' }), {
        timeoutMs: 60_000,
      });
      expect(result.status, result.stderr).toBe(78);
      expect(result.stderr, target).toContain(`V8 code cache for ESM file:///app/${entry}.mjs was accepted`);
    }
  });
});
