/**
 * `npm run publish:load -- --count 20000 --rate 1000`: real HTTP POSTs to the publish function, so you can
 * watch the consumers scale up in `npm start`'s view and back down after the cooldown.
 */
import { findLocalRunner } from '../local/endpoints';
import { sendLoad } from '../local/load/index';
import { commandLine, usageError } from '@qfn/tooling/command-line';

const usage = `Usage: npm run publish:load -- [options]

  --count <n>           messages to send (default 1000)
  --rate <n>            messages per second (default 200; 0 = as fast as --concurrency allows)
  --concurrency <n>     requests open at once (default 50)
  --url <url>           publish function (default: the running npm start's, else http://127.0.0.1:$PORT or :3000)
  --type <type>         event type (default message.published)
  --data <json>         the data of a declared event type, sent to POST /events/<type> (needs --type), e.g.
                        --type job.count-primes --data '{"limit":2000000}'
  --attribute k=v       a messageAttributes entry of a seed message (repeatable)
  --sender <name>       sender field (default publish-load)`;

const { values } = commandLine(usage, {
  count: { type: 'string', default: '1000' },
  rate: { type: 'string', default: '200' },
  concurrency: { type: 'string', default: '50' },
  url: { type: 'string' },
  type: { type: 'string' },
  data: { type: 'string' },
  attribute: { type: 'string', multiple: true },
  sender: { type: 'string', default: 'publish-load' },
});

function wholeNumber(flag: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    usageError(usage, `--${flag} must be a whole number ≥ ${min}, got ${JSON.stringify(text)}`);
  }
  return value;
}

const attributes: Record<string, string> = {};
for (const pair of values.attribute ?? []) {
  const at = pair.indexOf('=');
  if (at < 1) {
    usageError(usage, `--attribute must be key=value, got ${JSON.stringify(pair)}`);
  }
  attributes[pair.slice(0, at)] = pair.slice(at + 1);
}

let data: unknown;
if (values.data !== undefined) {
  if (!values.type) usageError(usage, '--data needs --type: the declared event type the data belongs to');
  try {
    data = JSON.parse(values.data);
  } catch (error) {
    usageError(usage, `--data is not JSON: ${(error as Error).message}`);
  }
  if (Object.keys(attributes).length > 0) usageError(usage, '--attribute belongs to seed messages; put the fields in --data');
}

const count = wholeNumber('count', values.count, 1);
const rate = wholeNumber('rate', values.rate, 0);
const concurrency = wholeNumber('concurrency', values.concurrency, 1);
const url = values.url ?? findLocalRunner()?.publishUrl ?? `http://127.0.0.1:${process.env['PORT'] ?? 3000}`;

const path = data !== undefined ? `/events/${values.type}` : '/message/publish';
console.log(`sending ${count} messages to ${url}${path} at ${rate > 0 ? `${rate}/s` : 'full speed'}, ${concurrency} at once`);
const report = await sendLoad({
  url,
  count,
  rate,
  concurrency,
  sender: values.sender,
  attributes,
  ...(values.type ? { type: values.type } : {}),
  ...(data !== undefined ? { data } : {}),
  onProgress: (p) => console.log(`  ${p.accepted} accepted, ${p.failed} failed, ${(p.elapsedMs / 1000).toFixed(1)} s`),
});
const seconds = report.elapsedMs / 1000;
console.log(
  `done: ${report.accepted} accepted, ${report.failed} failed in ${seconds.toFixed(2)} s (${Math.round(report.started / seconds)} req/s); ` +
    `latency p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms; statuses ${JSON.stringify(report.statuses)}`,
);
if (report.firstError) console.log(`first failure: ${report.firstError}`);
process.exit(report.failed > 0 ? 1 : 0);
