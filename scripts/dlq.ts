/**
 * Dead-letter tooling for operators, on either broker (BROKER, AMQP_URL / SQS settings, QUEUE_PREFIX
 * from the environment, as the functions read them):
 *
 *   npm run dlq -- list   <function> [--limit N] [--json]   dead letters, oldest first, with reason and attempts
 *   npm run dlq -- show   <function> [eventId]               one message in full (the oldest without an id)
 *   npm run dlq -- replay <function> [--limit N]             back to the function's queue, ids kept
 *   npm run dlq -- purge  <function> [--yes]                 delete them for good (asks first)
 */
import { createInterface } from 'node:readline/promises';
import { commonConfig, createBroker, describeError, loadConfig, queueSpecOf, type QueueAdmin, type QueueSpec } from '@qfn/shared/platform';
import { deadLetterView, maxBatch, missingQueue, showSearchLimit, type DeadLetterView } from '@qfn/shared/platform';
import { brokerConfigured, findLocalRunner } from '../local/endpoints';
import { commandLine } from '@qfn/tooling/command-line';
import { loadFunctions } from '@qfn/tooling/functions';

const usage = `Usage: npm run dlq -- <command> <function> [options]

  list   <function> [--limit N] [--json]   dead letters, oldest first, with reason and attempts
  show   <function> [eventId] [--json]     one message in full (the oldest without an id)
  replay <function> [--limit N]            back to the function's queue, ids kept
  purge  <function> [--yes]                delete them for good (asks first)

Talks to the broker the environment names (BROKER, AMQP_URL, SQS_ENDPOINT + AWS_REGION, QUEUE_PREFIX, as the
functions read them); with none of BROKER, AMQP_URL, SQS_ENDPOINT set, to the running \`npm start\` (its
embedded emulator or its broker), found through node_modules/.cache/qfn-local/endpoints-<port>.json.`;

class UsageError extends Error {}

interface Command {
  action: 'list' | 'show' | 'replay' | 'purge';
  spec: QueueSpec;
  eventId: string | undefined;
  limit: number | undefined;
  yes: boolean;
  json: boolean;
}

async function parseCommand(argv: string[]): Promise<Command> {
  const { values, positionals } = commandLine(
    usage,
    { limit: { type: 'string' }, yes: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
    { positionals: true, args: argv },
  );
  const [action, name, eventId, ...rest] = positionals;
  if (action !== 'list' && action !== 'show' && action !== 'replay' && action !== 'purge')
    throw new UsageError(`unknown command ${JSON.stringify(action ?? '')}`);
  if (rest.length > 0 || (eventId !== undefined && action !== 'show')) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0] ?? eventId)}`);
  const functions = await loadFunctions();
  const fn = functions.find((f) => f.declaration.name === name);
  if (!fn) throw new UsageError(`unknown function ${JSON.stringify(name ?? '')}; known: ${functions.map((f) => f.declaration.name).join(', ')}`);
  let limit: number | undefined;
  if (values.limit !== undefined) {
    limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > maxBatch) throw new UsageError(`--limit must be a whole number from 1 to ${maxBatch}`);
  }
  return { action, spec: queueSpecOf(fn.declaration), eventId, limit, yes: values.yes, json: values.json };
}

const oneLine = (text: string, max: number) => {
  const line = text.replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

function printList(name: string, views: DeadLetterView[]): void {
  console.log(`${name}: ${views.length} dead letter${views.length === 1 ? '' : 's'}`);
  for (const view of views) {
    console.log(`${view.eventId ?? view.handle}  attempts=${view.attempts}  at=${view.deadLetteredAt ?? '?'}  ${oneLine(view.reason, 120)}`);
  }
}

function printOne(view: DeadLetterView): void {
  console.log(`event id:          ${view.eventId ?? '(none)'}`);
  console.log(`attempts:          ${view.attempts}`);
  console.log(`dead-lettered at:  ${view.deadLetteredAt ?? '(unknown)'}`);
  console.log(`reason:\n${view.reason}`);
  console.log('body:');
  console.log(view.bodyBase64 !== undefined ? `(not JSON; base64) ${view.bodyBase64}` : JSON.stringify(view.body, null, 2));
}

async function confirmPurge(name: string, count: number): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`Delete ${count} dead letter${count === 1 ? '' : 's'} of ${name} for good? Type the function name to confirm: `);
    return answer.trim() === name;
  } finally {
    prompt.close();
  }
}

async function run(command: Command, broker: QueueAdmin): Promise<number> {
  const { spec } = command;
  switch (command.action) {
    case 'list': {
      const views = (await broker.listDeadLetters(spec, command.limit ?? 50)).map(deadLetterView);
      if (command.json) console.log(JSON.stringify(views, null, 2));
      else printList(spec.name, views);
      return 0;
    }
    case 'show': {
      const letters = await broker.listDeadLetters(spec, command.eventId === undefined ? 1 : showSearchLimit);
      const letter = command.eventId === undefined ? letters[0] : letters.find((l) => l.eventId === command.eventId || l.handle === command.eventId);
      if (!letter) {
        console.error(
          command.eventId === undefined
            ? `${spec.name}: no dead letters`
            : `${spec.name}: no dead letter ${command.eventId} among the oldest ${showSearchLimit}`,
        );
        return 1;
      }
      if (command.json) console.log(JSON.stringify(deadLetterView(letter), null, 2));
      else printOne(deadLetterView(letter));
      return 0;
    }
    case 'replay': {
      // "All" means the ones there now: a message that fails again while we replay is not replayed twice.
      const limit = command.limit ?? (await broker.listDeadLetters(spec, maxBatch)).length;
      const replayed = limit === 0 ? 0 : await broker.replayDeadLetters(spec, limit);
      console.log(`${spec.name}: replayed ${replayed} message${replayed === 1 ? '' : 's'} to its queue (ids kept: the inbox still prevents a second effect)`);
      return 0;
    }
    case 'purge': {
      if (!command.yes) {
        if (!process.stdin.isTTY) {
          console.error('refusing to purge without --yes when not on a terminal (nobody can confirm)');
          return 1;
        }
        const count = (await broker.listDeadLetters(spec, maxBatch)).length;
        if (count === 0) {
          console.log(`${spec.name}: no dead letters`);
          return 0;
        }
        if (!(await confirmPurge(spec.name, count))) {
          console.error('not confirmed: nothing deleted');
          return 1;
        }
      }
      const purged = await broker.purgeDeadLetters(spec);
      console.log(`${spec.name}: purged ${purged} dead letter${purged === 1 ? '' : 's'}`);
      return 0;
    }
  }
}

let command: Command;
try {
  command = await parseCommand(process.argv.slice(2));
} catch (error) {
  console.error(`${error instanceof UsageError ? error.message : describeError(error)}\n${usage}`);
  process.exit(2);
}
if (!brokerConfigured()) {
  const runner = findLocalRunner();
  if (runner) {
    for (const [key, value] of Object.entries(runner.env)) process.env[key] ??= value;
    console.error(
      `dlq: using the running npm start (pid ${runner.pid}): ${runner.env['BROKER'] ?? 'rabbitmq'} at ${runner.env['SQS_ENDPOINT'] ?? runner.env['AMQP_URL'] ?? '?'}`,
    );
  }
}
const config = loadConfig(commonConfig);
// The AWS SDK would look for a region for ~30 s (instance metadata) before saying it is missing.
if (config.BROKER === 'sqs' && !process.env['AWS_REGION'] && !process.env['AWS_DEFAULT_REGION']) {
  console.error('configuration error: AWS_REGION: required with BROKER=sqs (e.g. eu-west-1)');
  process.exit(78);
}
const broker = await createBroker(config, 'qfn-dlq');
let code = 1;
try {
  await broker.connect();
  code = await run(command, broker);
} catch (error) {
  if (missingQueue.test(describeError(error))) {
    console.error(`${command.spec.name} has no queues on this broker (QUEUE_PREFIX=${config.QUEUE_PREFIX}): it has never been started here`);
  } else {
    console.error(`dlq ${command.action} failed: ${describeError(error)}`);
  }
} finally {
  await broker.close().catch(() => {});
}
process.exit(code);
