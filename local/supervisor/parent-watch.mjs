// Preloaded (node --import) into every replica the local runner starts. When the runner goes away
// without stopping its replicas (killed, terminal closed), the replica gets the SIGTERM a pod gets,
// drains, and exits; after its grace period it exits regardless.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

/**
 * The runner read our stdout and stderr; with it gone, writes fail with EPIPE, and pino's writer
 * (sonic-boom) retries a failed synchronous flush forever, so the exit would hang. Discard them.
 */
function discardOutput() {
  const { writeSync, write } = fs;
  const isOutput = (fd) => fd === 1 || fd === 2;
  const size = (data, offset, length) => (typeof data === 'string' ? Buffer.byteLength(data) : (length ?? data.byteLength - (Number(offset) || 0)));
  fs.writeSync = function (fd, data, offset, length, ...rest) {
    return isOutput(fd) ? size(data, offset, length) : writeSync.call(this, fd, data, offset, length, ...rest);
  };
  fs.write = function (fd, data, ...rest) {
    if (!isOutput(fd)) return write.call(this, fd, data, ...rest);
    const callback = rest.findLast((arg) => typeof arg === 'function');
    const bytes = size(data, typeof rest[0] === 'number' ? rest[0] : undefined, typeof rest[1] === 'number' ? rest[1] : undefined);
    process.nextTick(() => callback?.(null, bytes, data));
  };
  syncBuiltinESMExports();
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
}

if (process.channel) {
  process.channel.unref();
  process.once('disconnect', () => {
    discardOutput();
    const graceSeconds = Number(process.env.QFN_LOCAL_GRACE_SECONDS) || 30;
    setTimeout(() => process.exit(1), graceSeconds * 1000 + 1000).unref();
    process.kill(process.pid, 'SIGTERM');
  });
}
