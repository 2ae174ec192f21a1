import { defineConfig } from 'vitest/config';

// The local cluster suite (npm run test:cluster): needs the cluster of cluster/up.sh and the images of cluster/images.sh.
// Its files end in .cluster.ts, so the default suite (test/**/*.test.ts) never picks them up.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/cluster/**/*.cluster.ts'],
    testTimeout: 900_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
