import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: ['./shared/src/db/schema.ts', './events/src/schema.ts', './functions/*/src/schema.ts'],
  out: './migrations/sql',
  dbCredentials: { url: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
});
