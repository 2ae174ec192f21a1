#!/usr/bin/env node
/**
 * Fixes known bugs in installed dependencies, in place, idempotently (`postinstall`; run it again
 * before bundling when npm ran with --ignore-scripts).
 *
 * postgres.js 3.4.9 (porsager/postgres issues #1154, #1208): when a connection closes while a small
 * write is buffered, `closed()` cancels the flush timer without forgetting it, so that connection
 * never flushes again (every later query on it, the reconnect's startup message included, waits
 * forever), or a flush already scheduled writes to the null socket and throws an uncaught TypeError
 * that kills the process; a connection lost while it fetches array types leaves an unhandled
 * rejection (which also kills the process); and a transaction's rollback after its connection closed
 * is written to the reconnected socket. The fault suite's connection resets hit all of them. The
 * patch forgets the timer and the buffer on close, fails a write to a closed connection, handles the
 * type fetch's rejection, and fails a closed transaction's later queries at once.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const marker = '/* qfn: patched by scripts/patch-dependencies.mjs */';

const postgresFixes = [
  {
    what: 'a write to a closed connection fails its query instead of throwing from a timer',
    from: '  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)\n',
    to:
      '  function nextWrite(fn) {\n' +
      `    ${marker}\n` +
      '    if (!socket) {\n' +
      '      nextWriteTimer !== null && clearImmediate(nextWriteTimer)\n' +
      '      chunk = nextWriteTimer = null\n' +
      "      error(Errors.connection('CONNECTION_CLOSED', options))\n" +
      '      return false\n' +
      '    }\n' +
      '    const x = socket.write(chunk, fn)\n',
  },
  {
    what: 'a connection lost while fetching array types does not leave an unhandled rejection (the waiting query already failed)',
    from: '        return fetchArrayTypes()\n',
    to: '        return fetchArrayTypes().catch(() => {})\n',
  },
  {
    what: 'terminate() forgets the flush timer and the buffer',
    from: '    clearImmediate(nextWriteTimer)\n    if (socket) {\n',
    to: '    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    if (socket) {\n',
  },
  {
    what: 'closed() forgets the flush timer and the buffer, so the reconnected socket flushes again',
    from: '    incomings = null\n    clearImmediate(nextWriteTimer)\n    socket.removeListener',
    to: '    incomings = null\n    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    socket.removeListener',
  },
];

const postgresIndexFixes = [
  {
    what: 'a transaction remembers that its connection closed',
    from: '      return await Promise.race([\n        scope(connection, fn),\n        new Promise((_, reject) => connection.onclose = reject)\n      ])\n',
    to:
      `      ${marker}\n` +
      "      return await Promise.race([\n        scope(connection, fn),\n        new Promise((_, reject) => connection.onclose = (e) => reject(closedError = e || new Error('CONNECTION_CLOSED')))\n      ])\n",
  },
  {
    what: 'a transaction whose connection closed sends nothing more on it (its rollback would land on the reconnected socket)',
    from: '      function handler(q) {\n        q.catch(e => uncaughtError || (uncaughtError = e))\n        c.queue === full\n',
    to: '      function handler(q) {\n        q.catch(e => uncaughtError || (uncaughtError = e))\n        if (closedError)\n          return q.reject(closedError)\n        c.queue === full\n',
  },
  {
    what: 'declare closedError',
    from: '    let savepoints = 0\n      , connection\n      , prepare = null\n',
    to: '    let savepoints = 0\n      , connection\n      , prepare = null\n      , closedError = null\n',
  },
];

/** Applies `fixes` to `file`; returns what happened, throws when the file is not the one the fixes were written for. */
export function patchFile(file, fixes) {
  let text = readFileSync(file, 'utf8');
  if (text.includes(marker)) return 'already patched';
  for (const fix of fixes) {
    const at = text.indexOf(fix.from);
    if (at < 0 || text.indexOf(fix.from, at + 1) >= 0) throw new Error(`${file}: cannot apply "${fix.what}": the code is not what the patch expects`);
    text = text.replace(fix.from, fix.to);
  }
  writeFileSync(file, text);
  return 'patched';
}

export function patchPostgres() {
  const dir = join(root, 'node_modules', 'postgres');
  if (!existsSync(join(dir, 'package.json'))) return ['postgres: not installed, nothing to patch'];
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (version !== '3.4.9') {
    return [`postgres ${version}: not patched (the patch is for 3.4.9; check whether upstream fixed issues #1154 / #1208 and drop or update it)`];
  }
  const files = [
    ['src/connection.js', postgresFixes],
    ['cjs/src/connection.js', postgresFixes],
    ['src/index.js', postgresIndexFixes],
    ['cjs/src/index.js', postgresIndexFixes],
  ];
  return files.filter(([file]) => existsSync(join(dir, file))).map(([file, fixes]) => `postgres ${version} ${file}: ${patchFile(join(dir, file), fixes)}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const line of patchPostgres()) console.log(`patch-dependencies: ${line}`);
}
