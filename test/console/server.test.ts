import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commonConfig, createBroker, parseConfig, uuidv7 } from '@qfn/shared/platform';
import { consoleRoute } from '@qfn/publish/routes/console';
import { tokenAuth } from '@qfn/publish/middleware/auth/index';
import { generatedPath, renderAssetsModule } from '../../console/build-assets';
import { ConsoleHub } from '../../console/server/hub';
import { InboxProbe, uuidv7Floor } from '../../console/server/inbox-probe';
import type { SeriesPoint } from '../../console/server/model';
import { consoleRoutes } from '../../console/server/routes';
import type { ScaleDecision } from '../../local/autoscaler/decide';
import { markerOf } from '../../local/status/console-recorder';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { uniqueName } from '../support/names';
import { serveOnLoopback, type LoopbackServer } from '../support/serve';

const token = 'console-unit-test-token-0123456789';
const point = (t: number, desired: number): SeriesPoint => ({
  t,
  ready: 3,
  inFlight: 1,
  delayed: 0,
  desired,
  readyReplicas: desired,
  processedPerSecond: 5,
  lagP50: 10,
  lagP99: 20,
});

describe('the console assets', () => {
  it('are the committed module built from console/page and uplot (run npm run generate after editing the page)', async () => {
    expect(readFileSync(generatedPath, 'utf8') === (await renderAssetsModule())).toBe(true);
  });
});

describe('the console routes', () => {
  const watching: boolean[] = [];
  const hub = new ConsoleHub({ installation: { name: 'test', mode: 'local', detail: 'unit' }, historySeconds: 5, onWatchers: (on) => watching.push(on) });
  const app = consoleRoutes({ hub, guard: tokenAuth({ tokens: [token], realm: 'qfn-admin' }), heartbeatMs: 200 });
  let server: LoopbackServer | undefined;
  let base: string;

  beforeAll(async () => {
    hub.setFunctions([
      { name: 'fn', minReplicaCount: 0, maxReplicaCount: 3, targetQueueLength: 10, activationQueueLength: 0, pollingInterval: 1, cooldownPeriod: 5 },
    ]);
    server = await serveOnLoopback(app.fetch);
    base = server.base;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves the page to anyone, with a strict content security policy, gzipped, and its assets with an ETag', async () => {
    const page = await fetch(`${base}/console/`, { headers: { 'accept-encoding': 'gzip' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-encoding')).toBe('gzip');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<meta name="qfn-admin-path" content="/admin">');
    const script = await fetch(`${base}/console/assets/uPlot.iife.min.js`);
    const etag = script.headers.get('etag')!;
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${base}/console/assets/uPlot.iife.min.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(`${base}/console/assets/../../etc/passwd`)).status).toBe(404);
    expect((await fetch(`${base}/console`, { redirect: 'manual' })).headers.get('location')).toBe('/console/');
  });

  it('gives data only to the admin token', async () => {
    expect((await fetch(`${base}/console/api/snapshot`)).status).toBe(401);
    expect((await fetch(`${base}/console/api/stream`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const snapshot = (await (await fetch(`${base}/console/api/snapshot`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      functions: { name: string }[];
    };
    expect(snapshot.functions.map((fn) => fn.name)).toEqual(['fn']);
  });

  it('streams a snapshot, then every sample and marker as Server-Sent Events, and tells the sources when nobody watches', async () => {
    const controller = new AbortController();
    const response = await fetch(`${base}/console/api/stream`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const readUntil = async (needle: string) => {
      for (let i = 0; i < 50 && !text.includes(needle); i++) text += (await reader.read()).value ?? '';
      return text.includes(needle);
    };
    expect(await readUntil('event: snapshot')).toBe(true);
    expect(watching).toEqual([true]);
    const now = Date.now();
    hub.record('fn', point(now, 2));
    hub.marker({ function: 'fn', at: now, from: 0, to: 2, by: 'keda', kind: 'scale', reason: 'fn 0→2: depth 12 > activation 0' });
    expect(await readUntil('fn 0→2: depth 12 > activation 0')).toBe(true);
    expect(text).toMatch(/event: update\ndata: \[.*"type":"sample"/);
    expect(await readUntil(': keep-alive')).toBe(true);
    controller.abort();
    await reader.cancel().catch(() => {});
    for (let i = 0; i < 50 && watching.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(watching).toEqual([true, false]);
  });

  it('keeps only the last historySeconds of points', () => {
    const now = Date.now();
    hub.record('fn', point(now + 10_000, 1));
    expect(hub.snapshot().series['fn']!.every((p) => p.t >= now + 5_000)).toBe(true);
  });
});

describe('the publish function’s console route', () => {
  const broker = () =>
    createBroker(parseConfig(commonConfig, { ...process.env, BROKER: 'rabbitmq', QUEUE_PREFIX: uniqueName('consoleroute') }), 'console-route-test');

  it('answers 403 like the admin API when no admin token is set, and 401 to a wrong one', async () => {
    const b = await broker();
    const queues = [{ name: 'store-message' }] as never;
    const off = consoleRoute({ queueAdmin: b, db: undefined as never, queues, tokens: [], env: {} });
    expect((await off.request('/console/api/snapshot')).status).toBe(403);
    expect((await off.request('/console/')).status).toBe(200);
    const on = consoleRoute({ queueAdmin: b, db: undefined as never, queues, tokens: [token], env: {} });
    expect((await on.request('/console/api/snapshot', { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const snapshot = (await (await on.request('/console/api/snapshot', { headers: { authorization: `Bearer ${token}` } })).json()) as {
      functions: { name: string; maxReplicaCount: number | null }[];
      installation: { mode: string };
    };
    expect(snapshot.installation.mode).toBe('kubernetes');
    expect(snapshot.functions).toEqual([expect.objectContaining({ name: 'store-message', maxReplicaCount: null })]);
    await b.close();
  });

  it('says why replicas are unknown when Kubernetes access is asked for but the pod has none', async () => {
    const b = await broker();
    const route = consoleRoute({ queueAdmin: b, db: undefined as never, queues: [], tokens: [token], env: { CONSOLE_KUBERNETES: 'true' } });
    const snapshot = (await (await route.request('/console/api/snapshot', { headers: { authorization: `Bearer ${token}` } })).json()) as { warnings: string[] };
    expect(snapshot.warnings.join()).toMatch(/replicas and scale decisions unavailable: KUBERNETES_SERVICE_HOST is not set|no such file/);
    await b.close();
  });
});

describe('local decisions as console markers', () => {
  const decision = (from: number, to: number, reason: string, by: ScaleDecision['by'] = 'hpa'): ScaleDecision => ({
    function: 'fn',
    at: Date.now(),
    from,
    to,
    by,
    depth: 10,
    active: true,
    fallback: [],
    errors: [],
    reason,
    inputs: {} as ScaleDecision['inputs'],
  });

  it('marks every change, and a hold with a reason once until its reason changes', () => {
    const last = new Map<string, string>();
    expect(markerOf(decision(0, 1, 'fn 0→1: depth 37 > activation 0', 'keda'), last)).toMatchObject({ kind: 'scale', from: 0, to: 1, by: 'keda' });
    expect(markerOf(decision(1, 1, 'fn 1: nothing due', 'none'), last)).toBeUndefined();
    const held = 'fn 4: depth 900, target 100 per replica → 9, limited to 4 by the scale-up rate max(+4, ×2) per 15 s';
    expect(markerOf(decision(4, 4, held), last)).toMatchObject({ kind: 'hold', reason: held });
    expect(markerOf(decision(4, 4, held.replace('900', '950')), last)).toBeUndefined();
    expect(markerOf(decision(4, 4, 'fn 4: depth 0 ≤ activation 0; cooling down, 0 in 3.2 s', 'none'), last)).toMatchObject({ kind: 'hold' });
    expect(markerOf(decision(4, 4, 'fn 4: depth 0 ≤ activation 0; cooling down, 0 in 2.1 s', 'none'), last)).toBeUndefined();
    expect(markerOf(decision(4, 0, 'fn 4→0: depth 0 ≤ activation 0, inactive for 5 s > cooldownPeriod 5 s', 'keda'), last)).toMatchObject({
      kind: 'scale',
      to: 0,
    });
  });
});

describe('the inbox probe', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(uniqueName('consoleprobe'));
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('bounds its scan by acceptance time: uuidv7 ids sort as text in time order', () => {
    const t = Date.now();
    expect(uuidv7(t) >= uuidv7Floor(t)).toBe(true);
    expect(uuidv7(t - 1) < uuidv7Floor(t)).toBe(true);
  });

  it('counts what was processed since the last reading and the lag from the ids’ acceptance time', async () => {
    const probe = new InboxProbe(database.db);
    expect(await probe.read('fn')).toBeUndefined(); // the first reading only sets the starting point
    const now = Date.now();
    const rows = [...Array.from({ length: 98 }, () => uuidv7(now - 200)), uuidv7(now - 5_000), 'not-a-uuidv7-id'];
    for (const id of rows)
      await database.db.execute(
        sql`insert into inbox (function_name, event_id, processed_at) values ('fn', ${id}, ${new Date(now + 50).toISOString()}::timestamptz)`,
      );
    await database.db.execute(sql`insert into inbox (function_name, event_id) values ('other', ${uuidv7()})`);
    // The rows say they were processed 50 ms from now: read once that time has passed, or the next reading counts them again.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, now + 60 - Date.now())));
    const reading = (await probe.read('fn'))!;
    expect(reading.processed).toBe(100);
    // processed 50 ms after now, accepted 200 ms before (one 5 s before): p50 250 ms, p99 pulled up by the slow one.
    expect(reading.lagP50).toBeGreaterThanOrEqual(245);
    expect(reading.lagP50).toBeLessThanOrEqual(255);
    expect(reading.lagP99).toBeGreaterThan(260);
    expect((await probe.read('fn'))!.processed).toBe(0);
  });
});
