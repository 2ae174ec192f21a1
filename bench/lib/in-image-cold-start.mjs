// Run inside an image by its own Node (`docker run --entrypoint /nodejs/bin/node <image> --input-type=module -e <this>`):
// exec → "consuming" of the image's entry, with the compile cache the image was built with and without it, beside
// `node -e 0`, interleaved in the same container. Prints one JSON line: { node, cached, uncached } (ms per round).
import { spawn } from 'node:child_process';

const entry = process.env.COLD_START_ENTRY ?? '/app/index.mjs';
const rounds = Number(process.env.COLD_START_ROUNDS ?? 5);
const readyLine = `"msg":"${process.env.COLD_START_READY ?? 'consuming'}"`;

function run(args, env, ready) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    let readyAt;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      output += chunk;
      if (ready && readyAt === undefined && output.includes(ready)) {
        readyAt = performance.now() - started;
        child.kill('SIGTERM');
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      const ms = ready ? readyAt : performance.now() - started;
      if (ms === undefined) reject(new Error(`${args.join(' ')} exited ${code} before ${ready}: ${output.slice(-500)}`));
      else resolve(ms);
    });
  });
}

const withCache = { ...process.env };
const withoutCache = { ...process.env };
delete withoutCache.NODE_COMPILE_CACHE;
const result = { node: [], cached: [], uncached: [] };
// Round 0 warms the page cache and is dropped.
for (let round = 0; round <= rounds; round++) {
  const node = await run(['-e', '0'], withoutCache);
  const uncached = await run([entry], withoutCache, readyLine);
  const cached = await run([entry], withCache, readyLine);
  if (round === 0) continue;
  result.node.push(node);
  result.cached.push(cached);
  result.uncached.push(uncached);
}
console.log(JSON.stringify(result));
