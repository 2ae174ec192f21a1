import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  commonConfig,
  createBroker,
  createDatabase,
  encodeEnvelope,
  parseConfig,
  uuidv7,
  type BrokerWithAdmin,
  type DatabaseHandle,
  queueSpecOf,
} from '@qfn/shared/platform';
import storeMessage from '@qfn/store-message';
import { sendLoad } from '../../local/load/index';
import type { LocalStatus } from '../../local/runner';
import type { SeriesPoint } from '../../console/server/model';
import { uniqueName } from '../support/names';
import { waitFor } from '../support/wait';
import { artifactsDir, launchBrowser, repoRoot, startRunner, type StartedRunner } from './support';

const token = `console-test-${uuidv7()}`;
const spec = queueSpecOf(storeMessage);

describe('the web console in Chromium, on npm start with the embedded stack', () => {
  const prefix = uniqueName('console');
  let runner: StartedRunner;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let broker: BrokerWithAdmin | undefined;
  let database: DatabaseHandle | undefined;
  const consoleUrl = (fragment = `#token=${token}`) => `http://127.0.0.1:${runner.statusPort}/console/${fragment}`;
  const status = async () => (await (await fetch(`http://127.0.0.1:${runner.statusPort}/_local/status`)).json()) as LocalStatus;
  const shot = async (page: Page, name: string) => page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(artifactsDir, { recursive: true });
    runner = await startRunner({
      QUEUE_PREFIX: prefix,
      ADMIN_API_TOKEN: token,
      LOCAL_FUNCTIONS: 'store-message',
      // Short on purpose: the whole 0 → N → 0 cycle within a minute.
      LOCAL_SCALING: JSON.stringify({
        'store-message': { pollingInterval: 1, cooldownPeriod: 4, targetQueueLength: 100, scaleDownStabilizationWindowSeconds: 3 },
      }),
      LOCAL_HPA_SYNC_PERIOD_SECONDS: '1',
    });
    browser = await launchBrowser();
    await waitFor('the publish function', async () => (await status()).publish?.ready === 1, 60_000);
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await broker?.close();
    await database?.close();
    const code = await runner?.stop();
    expect(code).toBe(0);
  }, 60_000);

  it('links the console, with its token, in the first lines of npm start', () => {
    const first = runner.lines.slice(0, 3).join('\n');
    expect(first).toContain(`console: http://127.0.0.1:${runner.statusPort}/console/#token=${token}`);
  });

  it('shows no data and says why without the admin token, or with a wrong one', async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(consoleUrl(''));
      await page.getByRole('alert').filter({ hasText: 'needs the admin token' }).waitFor();
      expect(await page.locator('#main').isHidden()).toBe(true);
      expect(await page.locator('.uplot').count()).toBe(0);
      expect(await page.locator('#token-form').isVisible()).toBe(true);

      await page.goto(consoleUrl('#token=not-the-admin-token-0123456789'));
      await page.reload();
      await page.getByRole('alert').filter({ hasText: 'was not accepted (401' }).waitFor();
      expect(await page.locator('#main').isHidden()).toBe(true);
      expect(await page.locator('.uplot').count()).toBe(0);
      expect(await page.locator('#connection').textContent()).toBe('not authorised');
      await shot(page, 'wrong-token');

      // The data routes themselves refuse, not just the page.
      const refused = await page.evaluate(async () => {
        const statusOf = async (url: string, headers: Record<string, string>) => (await fetch(url, { headers })).status;
        return [
          await statusOf('api/snapshot', {}),
          await statusOf('api/snapshot', { authorization: 'Bearer not-the-admin-token-0123456789' }),
          await statusOf('/admin/dlq/store-message', { authorization: 'Bearer not-the-admin-token-0123456789' }),
        ];
      });
      expect(refused).toEqual([401, 401, 401]);

      // Entering the right token in the form brings the data.
      await page.locator('#token-input').fill(token);
      await page.locator('#token-form button[type=submit]').click();
      await page.locator('.uplot').first().waitFor();
      expect(await page.locator('#notice').isHidden()).toBe(true);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('draws a burst scaling store-message 0 → N → 0, with each decision and its reason as a marker', async () => {
    const page = await browser.context.newPage();
    const transferred: { url: string; bytes: number }[] = [];
    // Script errors and Content-Security-Policy violations show up here.
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (entry) => {
      if (entry.type() === 'error') pageErrors.push(entry.text());
    });
    page.on('requestfinished', (request) => {
      void request.sizes().then((sizes) => transferred.push({ url: request.url(), bytes: sizes.responseBodySize + sizes.responseHeadersSize }));
    });
    try {
      // A first visit: nothing from the earlier pages' cache (they fetched the same assets).
      const cdp = await browser.context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
      await page.goto(consoleUrl());
      await page.locator('.uplot').nth(3).waitFor();
      // Milliseconds from navigation start to the first chart drawn, as the page records it (performance.now()).
      const firstChartMs = await page.evaluate<number>('Number(document.documentElement.dataset.firstChartMs)');
      expect(page.url()).not.toContain('token='); // the fragment is dropped from the address bar
      expect(await page.locator('.uplot').count()).toBe(4);
      await page.locator('#window-select').selectOption('60');

      const report = await sendLoad({ url: `http://127.0.0.1:${runner.port}`, count: 1_500, rate: 0, concurrency: 20 });
      expect(report.statuses).toEqual({ 202: 1_500 });

      const series = () => page.evaluate<SeriesPoint[]>("window.qfnConsole.series('store-message')");
      const peak = await waitFor(
        'the chart to show more than one replica',
        async () => {
          const max = Math.max(...(await series()).map((p) => p.desired ?? 0));
          return max >= 2 ? max : undefined;
        },
        90_000,
        250,
      );
      await waitFor(
        'the chart to show store-message back at 0 replicas',
        async () => {
          const points = await series();
          const last = points[points.length - 1];
          return last?.desired === 0 && last.readyReplicas === 0 && points.some((p) => (p.readyReplicas ?? 0) >= 2);
        },
        90_000,
        250,
      );

      const points = await series();
      expect(Math.max(...points.map((p) => (p.ready ?? 0) + (p.inFlight ?? 0)))).toBeGreaterThan(0);
      expect(Math.max(...points.map((p) => p.processedPerSecond ?? 0))).toBeGreaterThan(0);
      expect(points.some((p) => p.lagP99 !== null)).toBe(true);

      const decisions = page.locator('#decisions li[data-kind="scale"]');
      const texts = await decisions.allTextContents();
      expect(texts.some((t) => /0→1 KEDA.*store-message 0→1: depth \d+ > activation 0/.test(t))).toBe(true);
      expect(texts.some((t) => /1→\d+ HPA.*depth \d+, target 100 per replica/.test(t))).toBe(true);
      expect(texts.some((t) => /\d+→0 KEDA.*> cooldownPeriod 4 s/.test(t))).toBe(true);
      const markersDrawn = Number(await page.locator('#chart-replicas .uplot').getAttribute('data-markers'));
      expect(markersDrawn).toBeGreaterThanOrEqual(3);
      expect(await page.locator('[data-stat="replicas"] b').textContent()).toBe('0 / 0');

      await page.waitForTimeout(1_500);
      await shot(page, 'scaling-0-N-0');
      if (process.env['CONSOLE_UPDATE_SCREENSHOT']) copyFileSync(join(artifactsDir, 'scaling-0-N-0.png'), join(repoRoot, 'console', 'screenshot.png'));
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.waitForTimeout(500);
      await shot(page, 'scaling-0-N-0-dark');

      expect(pageErrors).toEqual([]);
      const pageBytes = transferred.filter((t) => !t.url.includes('/api/')).reduce((sum, t) => sum + t.bytes, 0);
      console.log(
        `console figures: page weight ${(pageBytes / 1024).toFixed(1)} KB transferred (${transferred.filter((t) => !t.url.includes('/api/')).length} requests), first chart ${Math.round(firstChartMs)} ms after navigation, peak ${peak} replicas`,
      );
    } finally {
      await page.close();
    }
  }, 240_000);

  it('lists dead letters with reason, shows one, replays them so the fixed one is processed, and purges only after the function is named', async () => {
    // The AWS SDK reads its credentials from the process environment, as the runner's own broker client does.
    process.env['AWS_ACCESS_KEY_ID'] ??= 'local';
    process.env['AWS_SECRET_ACCESS_KEY'] ??= 'local';
    const env = { ...process.env, BROKER: 'sqs', SQS_ENDPOINT: runner.sqsEndpoint, AWS_REGION: 'us-east-1', QUEUE_PREFIX: prefix, SQS_WAIT_TIME_SECONDS: '1' };
    broker = await createBroker(parseConfig(commonConfig, env), 'console-test');
    await broker.connect();
    database = createDatabase({ url: runner.databaseUrl, schema: 'public', poolSize: 1, applicationName: 'console-test' });

    // One that can never be valid (dead-lettered at once), and one that fails until "the fix": its table is away.
    const invalidId = uuidv7();
    const data = { ts: '19941114', sender: 'console', messageAttributes: {}, sent_from_ip: '10.0.0.1', priority: 'urgent' };
    await broker.publish({
      id: invalidId,
      type: 'message.published',
      body: encodeEnvelope({ id: invalidId, type: 'message.published', time: new Date().toISOString(), data }),
    });
    await waitFor('the invalid message dead-lettered', async () => (await broker!.listDeadLetters(spec, 10)).length === 1, 60_000, 250);
    await database.db.execute(sql`alter table messages rename to messages_away`);
    let fixedId: string;
    try {
      const response = await fetch(`http://127.0.0.1:${runner.port}/message/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ts: '19941114', sender: 'console', messageAttributes: { publisher: 'test' }, sent_from_ip: '10.0.0.2', priority: 1 }),
      });
      expect(response.status).toBe(202);
      fixedId = ((await response.json()) as { id: string }).id;
      await waitFor('the message dead-lettered after its retries', async () => (await broker!.listDeadLetters(spec, 10)).length === 2, 90_000, 500);
    } finally {
      await database.db.execute(sql`alter table messages_away rename to messages`);
    }

    const page = await browser.context.newPage();
    try {
      await page.goto(consoleUrl());
      await page.locator('#dlq-rows tr').nth(1).waitFor();
      const rows = page.locator('#dlq-rows tr');
      expect(await rows.count()).toBe(2);
      await expect.poll(() => page.locator('#dlq-count').textContent(), { timeout: 20_000 }).toBe('(2)');
      const invalidRow = page.locator(`#dlq-rows tr[data-event-id="${invalidId}"]`);
      expect(await invalidRow.locator('td.reason').textContent()).toMatch(/schema validation failed/);
      expect(await page.locator(`#dlq-rows tr[data-event-id="${fixedId}"] td`).nth(2).textContent()).toBe(String(storeMessage.retry.maxAttempts));

      await invalidRow.click();
      await page.locator('#dlq-body').filter({ hasText: '"priority": "urgent"' }).waitFor();
      expect(await page.locator('#dlq-body').textContent()).toContain('reason: schema validation failed');
      await shot(page, 'dead-letters');

      await page.getByRole('button', { name: 'Replay all' }).click();
      await page.locator('#dlq-status').filter({ hasText: 'replayed 2 messages of store-message' }).waitFor();
      const stored = await waitFor(
        'the fixed message processed',
        async () => {
          const response = await fetch(`http://127.0.0.1:${runner.port}/message/${fixedId}`);
          const body = response.ok ? ((await response.json()) as { processedBy: string[] }) : undefined;
          return body?.processedBy.includes('store-message') ? body : undefined;
        },
        60_000,
        250,
      );
      expect(stored.processedBy).toEqual(['store-message']);
      // The invalid one is dead-lettered again; the list shows it alone.
      await waitFor(
        'the invalid message back among the dead letters',
        async () => {
          const letters = await broker!.listDeadLetters(spec, 10);
          return letters.length === 1 && letters[0]!.eventId === invalidId;
        },
        60_000,
        250,
      );
      await page.getByRole('button', { name: 'Refresh' }).click();
      await expect.poll(() => page.locator('#dlq-rows tr').count(), { timeout: 20_000 }).toBe(1);

      await page.getByRole('button', { name: 'Purge…' }).click();
      const dialog = page.locator('#purge-dialog');
      expect(await dialog.locator('#purge-text').textContent()).toContain('Type store-message to confirm');
      await dialog.locator('#purge-input').fill('store-messag');
      expect(await dialog.locator('#purge-confirm').isDisabled()).toBe(true);
      await dialog.locator('#purge-input').fill('store-message');
      await dialog.locator('#purge-confirm').click();
      await page.locator('#dlq-status').filter({ hasText: 'purged 1 dead letter of store-message' }).waitFor();
      await expect.poll(() => page.locator('#dlq-rows tr').count(), { timeout: 20_000 }).toBe(0);
      expect(await broker.listDeadLetters(spec, 10)).toEqual([]);
    } finally {
      await page.close();
    }
  }, 240_000);

  it("shows the event catalog with each type's JSON Schema and publishes a test event from its form", async () => {
    const page = await browser.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const status = page.locator('#events-status');
    const publishButton = page.getByRole('button', { name: 'Publish test event' });
    try {
      await page.goto(consoleUrl());
      await page.locator('#events-type option[value="message.published"]').waitFor({ state: 'attached' });
      const catalog = (await (await fetch(`http://127.0.0.1:${runner.port}/events`)).json()) as {
        revision: string;
        events: Record<string, { schema: unknown }>;
      };
      const listed = await page
        .locator('#events-type option')
        .evaluateAll((options) => options.map((option) => (option as unknown as { value: string }).value));
      expect([...listed].sort()).toEqual(Object.keys(catalog.events).sort());
      expect(await page.locator('#events-revision').textContent()).toContain(catalog.revision);
      // The selected function's own type comes first, with who receives it and its schema as GET /events serves it.
      expect(await page.locator('#events-type').inputValue()).toBe('message.published');
      expect(await page.locator('#events-subscribers').textContent()).toBe('→ store-message');
      expect(JSON.parse((await page.locator('#events-schema').textContent()) ?? '')).toEqual(catalog.events['message.published']!.schema);
      const example = JSON.parse(await page.locator('#events-data').inputValue()) as Record<string, unknown>;
      expect(Object.keys(example)).toEqual(expect.arrayContaining(['ts', 'sender', 'sent_from_ip', 'priority']));

      // Data the type's schema refuses: the publish function's own field-level 400, shown as it answered.
      await page.locator('#events-data').fill(JSON.stringify({ ts: '19941114', sender: 'console', sent_from_ip: '10.0.0.3', priority: 11 }));
      await publishButton.click();
      await status.filter({ hasText: 'refused (400)' }).waitFor();
      expect(await status.textContent()).toMatch(/priority: /);
      await page.locator('#events-data').fill('{ not json');
      await publishButton.click();
      await status.filter({ hasText: 'not JSON' }).waitFor();

      const sender = `console-${uuidv7()}`;
      await page.locator('#events-data').fill(JSON.stringify({ ts: '19941114', sender, sent_from_ip: '10.0.0.3', priority: 2 }));
      await publishButton.click();
      await status.filter({ hasText: 'accepted: message.published' }).waitFor();
      const id = /message\.published (\S+) →/.exec((await status.textContent()) ?? '')?.[1];
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const stored = await waitFor(
        'the test event processed by store-message',
        async () => {
          const response = await fetch(`http://127.0.0.1:${runner.port}/message/${id}`);
          const body = response.ok ? ((await response.json()) as { sender: string; processedBy: string[] }) : undefined;
          return body?.processedBy.includes('store-message') ? body : undefined;
        },
        90_000,
        250,
      );
      expect(stored.sender).toBe(sender);
      await shot(page, 'event-catalog');
      expect(pageErrors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 150_000);
});
