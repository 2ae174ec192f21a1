import { prepareTestDatabase } from './database';

/**
 * vitest `globalSetup`: migrates and caches the test database once, before any test file starts, so
 * that the files which open one (testContext, createTestDatabase) load the copy instead of each running
 * initdb at the same time.
 */
export default async function setup(): Promise<void> {
  await prepareTestDatabase();
}
