import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['shared/**/*.test.ts', 'events/**/*.test.ts', 'functions/**/*.test.ts', 'test/**/*.test.ts', 'local/**/*.test.ts', 'scripts/**/*.test.ts', 'tooling/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
