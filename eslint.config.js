// `npm run lint`: ESLint's and typescript-eslint's recommended rules (not the type-checked set: a lint of the whole
// tree stays a few seconds), with Node's globals for the tree and the browser's for the console page.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/',
      '**/dist/',
      '.tools/',
      '.data/',
      '.bench-profiles/',
      'coverage/',
      'test/console/artifacts/',
      // Written by `npm run generate` (or drizzle-kit); fixed in their generator, not here.
      '**/*.generated.ts',
      'migrations/sql/meta/',
      // Vendored under third_party/: the OTLP and KEDA protos; and uPlot (read from node_modules into console/assets.generated.ts).
      '**/third_party/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      // `_`-prefixed names are unused on purpose (a parameter a signature requires, a destructured-away field).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Tests that walk what `helm template` renders (arbitrary Kubernetes YAML, read deep and field by field) or call a
    // gRPC client built from a .proto at run time: typing every such document would restate the Kubernetes API.
    files: ['test/k8s/**/*.ts', 'test/images/support/chart-containers.ts', 'functions/publish/src/push-scaler/server.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The console's page runs in the browser, uPlot loaded before it by a script tag.
    files: ['console/page/**/*.js'],
    languageOptions: { globals: { ...globals.browser, uPlot: 'readonly' }, sourceType: 'script' },
  },
);
