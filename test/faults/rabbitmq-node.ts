import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
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
