// Run once at image build time, by the image's own Node, with NODE_COMPILE_CACHE set (see docker/Dockerfile):
//   node warm-compile-cache.mjs /app/index.mjs [more entries...]
// Starts each entry as far as it gets with nothing to connect to (broker and database refuse), so V8 compiles what a
// start runs, then writes Node's compile cache and exits 0 whatever the entries did: the build stage already proved
// they start (exit 78 on a bad setting). At run time the root filesystem is read-only and the cache is only read.
import { flushCompileCache } from 'node:module';

const exit = process.exit.bind(process);
process.exit = () => undefined;
process.on('uncaughtException', () => undefined);
process.on('unhandledRejection', () => undefined);
Object.assign(process.env, {
  AMQP_URL: 'amqp://127.0.0.1:9',
  DATABASE_URL: 'postgres://127.0.0.1:9/none',
  HEALTH_PORT: '0',
  LOG_LEVEL: 'silent',
});
setTimeout(() => {
  flushCompileCache();
  exit(0);
}, 1_500);
await Promise.all(process.argv.slice(2).map((entry) => import(entry).catch(() => undefined)));
