import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { createRabbitMqBroker, type BrokerWithAdmin } from '@qfn/shared/platform';
import { effectsTable } from '../fixtures/effects';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { uniqueName } from '../support/names';
import { type FunctionProcess, startFunctionProcess } from '../support/process';
import { freePort } from './support';

const run = promisify(execFile);

/** A RabbitMQ node of the test's own, so restarting it disturbs nobody else on the machine. */
export interface PrivateRabbitNode {
  amqpUrl: string;
  managementUrl: string;
  /** `rabbitmqctl stop_app`: connections drop, the port closes, queues stay on disk. */
  stopApp(): Promise<void>;
  startApp(): Promise<void>;
  /** Any `rabbitmqctl` command on this node, e.g. `set_vm_memory_high_watermark 0.0001` (a memory alarm). */
  rabbitmqctl(...args: string[]): Promise<string>;
  /** Stops the node and removes its files. */
  destroy(): Promise<void>;
}

/** Whether this machine can start a node: the server is installed and we are root (it runs as its own user). */
export function canStartPrivateNode(): boolean {
  if (process.getuid?.() !== 0) return false;
  return (process.env['PATH'] ?? '').split(':').some((dir) => existsSync(join(dir, 'rabbitmq-server')));
}

/**
 * Starts a separate RabbitMQ node (own name, ports, data directory) with the management plugin.
 *
 * @example
 * const node = await startPrivateRabbitNode('restart');
 * await node.stopApp(); await node.startApp(); await node.destroy();
 */
export async function startPrivateRabbitNode(label: string): Promise<PrivateRabbitNode> {
  const name = `qfn${label}${process.pid}@localhost`;
  const dir = join(tmpdir(), `qfn-rabbit-${label}-${process.pid}`);
  const [amqpPort, managementPort, distPort] = [await freePort(), await freePort(), await freePort()];
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'mnesia'), { recursive: true });
  mkdirSync(join(dir, 'log'), { recursive: true });
  writeFileSync(join(dir, 'enabled_plugins'), '[rabbitmq_management].\n');
  writeFileSync(
    join(dir, 'rabbitmq.conf'),
    [`listeners.tcp.default = 127.0.0.1:${amqpPort}`, `management.tcp.port = ${managementPort}`, 'management.tcp.ip = 127.0.0.1', ''].join('\n'),
  );
  const { stdout } = await run('id', ['-u', 'rabbitmq']);
  const { stdout: gid } = await run('id', ['-g', 'rabbitmq']);
  for (const path of [dir, join(dir, 'mnesia'), join(dir, 'log'), join(dir, 'enabled_plugins'), join(dir, 'rabbitmq.conf')]) {
    chownSync(path, Number(stdout.trim()), Number(gid.trim()));
  }
  const env = {
    ...process.env,
    RABBITMQ_NODENAME: name,
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    RABBITMQ_PID_FILE: join(dir, 'pid'),
  };
  const ctl = (...args: string[]) => run('rabbitmqctl', ['-n', name, '-q', ...args], { env, timeout: 120_000 });
  await run('rabbitmq-server', ['-detached'], { env });
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      await ctl('await_startup', '--timeout', '60');
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  const managementUrl = `http://guest:guest@127.0.0.1:${managementPort}`;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${managementPort}/api/overview`, { headers: { authorization: `Basic ${btoa('guest:guest')}` } })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error('the private node never served its management API');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    amqpUrl: `amqp://guest:guest@127.0.0.1:${amqpPort}`,
    managementUrl,
    stopApp: async () => void (await ctl('stop_app')),
    startApp: async () => void (await ctl('start_app')),
    rabbitmqctl: async (...args) => (await ctl(...args)).stdout,
    destroy: async () => {
      await ctl('stop').catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What the tests of a file on a private node share: the node, a schema (with the effects table) and queue prefix of their own, a connected broker. */
export interface PrivateRabbitWorld {
  node: PrivateRabbitNode;
  prefix: string;
  database: TestDatabase;
  broker: BrokerWithAdmin;
  /** Environment for a function process on this node, schema and prefix. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Starts a function process; one still running after the file's tests is killed. */
  start(entry: string, env: Record<string, string>): FunctionProcess;
}

/**
 * A private RabbitMQ node for one file's tests: call inside `describe.runIf(canStartPrivateNode())`. Node, schema and
 * broker are up before the first test and gone after the last; an `afterAll` the file registers later runs before this teardown.
 *
 * @example
 * const world = privateRabbitScenario('restart');
 * it('…', async () => { const { node, broker, env, start } = world(); … await node.stopApp(); … });
 */
export function privateRabbitScenario(label: string): () => PrivateRabbitWorld {
  let world: PrivateRabbitWorld | undefined;
  let node: PrivateRabbitNode | undefined;
  let database: TestDatabase | undefined;
  let broker: BrokerWithAdmin | undefined;
  const processes: FunctionProcess[] = [];

  beforeAll(async () => {
    const prefix = uniqueName(label);
    [node, database] = await Promise.all([startPrivateRabbitNode(label), createTestDatabase(prefix)]);
    await database.db.execute(effectsTable);
    broker = createRabbitMqBroker({ url: node.amqpUrl, managementUrl: node.managementUrl, prefix, clientName: `${prefix}-test`, connectTimeoutMs: 20_000 });
    await broker.connect();
    const base = { BROKER: 'rabbitmq', AMQP_URL: node.amqpUrl, RABBITMQ_MANAGEMENT_URL: node.managementUrl, QUEUE_PREFIX: prefix, DATABASE_SCHEMA: prefix };
    world = {
      node,
      prefix,
      database,
      broker,
      env: (extra = {}) => ({ ...base, ...extra }),
      start: (entry, env) => {
        const started = startFunctionProcess(entry, env);
        processes.push(started);
        return started;
      },
    };
  }, 150_000);

  afterAll(async () => {
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    await broker?.close();
    await node?.destroy();
    await database?.drop();
  }, 60_000);

  return () => {
    if (!world) throw new Error(`the private RabbitMQ node of ${label} did not start (see beforeAll)`);
    return world;
  };
}
