import { defineConfig } from 'vitest/config';

// The console's real-cluster check: needs the cluster of cluster/up.sh (npm run cluster:up). Its file ends in
// .cluster.ts, so the default suite never picks it up.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/console/**/*.cluster.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
