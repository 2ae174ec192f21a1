import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { databaseUrl } from '../test/support/database';
import { startTcpProxy } from '../test/support/tcp-proxy';

const postgresDir = fileURLToPath(new URL('../node_modules/postgres/', import.meta.url));

const patchedVersion = '3.4.9';
const { version: installedVersion } = JSON.parse(readFileSync(`${postgresDir}package.json`, 'utf8')) as { version: string };
const otherVersion = installedVersion !== patchedVersion;
if (otherVersion) {
  // The patch script says what to do about another version (it patches only the one it was written for).
  console.warn(`scripts/patch-dependencies.test.ts: skipping the patch check: postgres ${installedVersion} is installed, the patch is for ${patchedVersion}`);
}

describe('patched postgres.js', () => {
  it.skipIf(otherVersion)(`is installed with the fixes (npm install runs scripts/patch-dependencies.mjs on postgres ${patchedVersion})`, () => {
    for (const file of ['src/connection.js', 'cjs/src/connection.js', 'src/index.js', 'cjs/src/index.js']) {
      expect(readFileSync(`${postgresDir}${file}`, 'utf8'), file).toContain('qfn: patched by scripts/patch-dependencies.mjs');
    }
  });

  it('survives connections reset under transactions without an uncaught TypeError', async () => {
    const target = new URL(databaseUrl);
    const proxy = await startTcpProxy({ targetHost: target.hostname, targetPort: Number(target.port || 5432) });
    const sql = postgres(proxy.via(databaseUrl), { max: 5, onnotice: () => {}, connect_timeout: 5 });
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.prependListener('uncaughtException', onUncaught);
    let running = true;
    let settled = 0;
    const work = async () => {
      while (running) {
        await sql
          .begin(async (tx) => {
            await tx`select 1`;
            await sleep(2);
            await tx`select 2`;
          })
          .catch(() => {})
          .finally(() => settled++);
      }
    };
    // Unsettled transactions are the driver's remaining hang (the runtime's stall watchdog covers it): not awaited here.
    void Promise.all(Array.from({ length: 20 }, work));
    try {
      for (let round = 0; round < 3; round++) {
        await sleep(300);
        proxy.reset();
      }
      await sleep(500);
    } finally {
      running = false;
      process.off('uncaughtException', onUncaught);
      await sql.end({ timeout: 0 });
      await proxy.close();
    }
    expect(uncaught).toEqual([]);
    expect(settled).toBeGreaterThan(0);
  });
});
