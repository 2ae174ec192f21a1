import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  createBroker,
  createDatabase,
  defineFunction,
  migrateDatabase,
  queueSpecOf,
  type BrokerWithAdmin,
  type DatabaseHandle,
  type FunctionDeclaration,
  type OutboxStats,
  type QueueSpec,
  type ScalingOptions,
  type ScalingPolicy,
} from '@qfn/shared/platform';
import { loadCredentials } from '@qfn/publish/credentials';
import { adminRoutes } from '@qfn/publish/routes/admin';
import { ConsoleHub } from '../console/server/hub';
import { InboxProbe } from '../console/server/inbox-probe';
import { kedaManifests, type BrokerKind } from '@qfn/tooling/keda-manifests';
import { loadFunctions, loadHttpFunctions, type FunctionPackage } from '@qfn/tooling/functions';
import { repoRoot } from '@qfn/tooling/paths';
import { hpaDefaults, type HpaSettings } from './autoscaler/hpa';
import { readScaledObject, type LocalScaledObject } from './autoscaler/scaled-object';
import type { ScaleDecision } from './autoscaler/decide';
import { FunctionAutoscaler, type FunctionAutoscalerOptions } from './autoscaler/loop';
import { localConfig, type LocalConfig, type ScalingOverrides } from './config';
import { startInfrastructure, type Infrastructure, type InfrastructureDescription } from './infrastructure';
import { createQueueScalers, type QueueScalers } from './scalers/index';
import { prepareLaunchers, type Launcher } from './supervisor/launch';
import { ReplicaSet, type BackoffPolicy, type ReplicaSetEvents, type ReplicaSetStatus } from './supervisor/replica-set';
import { MetricsSampler } from './status/sampler';
import { functionInfoOf, recordLocalConsole } from './status/console-recorder';
import { startStatusServer, type StatusServer } from './status/server';
import { isProcessAlive } from './process-alive';

/** A consumer function the runner runs; `env` is added to its replicas' environment. */
export interface LocalFunction extends FunctionPackage {
  env?: Record<string, string>;
}

export interface LocalRunnerOptions {
  config: LocalConfig;
  /** Every function under functions/ (loadFunctions) when absent. */
  functions?: LocalFunction[];
  /** The publish function's entry point; the declared HTTP function's (functions/publish/src/main.ts) when absent, none when false. */
  publishEntry?: string | false;
  backoff?: BackoffPolicy;
  /** The admin token of the console and the dead-letter API; ADMIN_API_TOKEN(_FILE) when absent, else one made for this run. */
  adminToken?: string;
}

export type ReplicaEvent =
  | ({ type: 'started' } & ReplicaSetEvents['replica_started'][0])
  | ({ type: 'ready' } & ReplicaSetEvents['replica_ready'][0])
  | ({ type: 'stopped' } & ReplicaSetEvents['replica_stopped'][0])
  | ({ type: 'crashed' } & ReplicaSetEvents['replica_crashed'][0]);

export interface LocalRunnerEvents {
  /** A step of starting or stopping, for the operator. */
  notice: [string];
  /** Every scaling decision, changes and holds. */
  decision: [ScaleDecision];
  replica: [ReplicaEvent];
  output: [ReplicaSetEvents['output'][0]];
}

export interface FunctionStatus {
  name: string;
  scaling: ScalingPolicy;
  /**
   * Ready + in flight + delayed as the broker reports them, and what sits in the dead-letter queue;
   * `scalerValue` is what KEDA's scaler reads (ready + in flight).
   */
  depth: { ready: number; inFlight: number; delayed: number; deadLettered: number; scalerValue: number } | null;
  depthError: string | null;
  replicas: ReplicaSetStatus;
  /** Messages received by replicas and not yet settled. */
  inFlight: number | null;
  processed: number;
  processedPerSecond: number;
  lastScale: ScaleDecision | null;
  lastDecision: ScaleDecision | null;
}

export interface LocalStatus {
  startedAt: string;
  uptimeSeconds: number;
  publishUrl: string | null;
  statusUrl: string | null;
  infrastructure: InfrastructureDescription;
  publish: ReplicaSetStatus | null;
  functions: FunctionStatus[];
  /** Events emitted through ctx.publish or delayed, not sent yet (due, scheduled) and the oldest due one's wait; null before the first sample. */
  outbox: OutboxStats | null;
  /** The last scale changes, newest last. */
  scaleEvents: ScaleDecision[];
}

interface RunningFunction {
  pkg: LocalFunction;
  spec: QueueSpec;
  policy: ScalingPolicy;
  replicas: ReplicaSet;
  autoscaler: FunctionAutoscaler;
  /** The replicas' environment, kept for a rollout onto new code. */
  env: NodeJS.ProcessEnv;
  /** The autoscaler's options, edited in place when the declaration changes (as an edited ScaledObject). */
  scaling: FunctionAutoscalerOptions;
  /** Stops the StreamIsActive watch of its push trigger (none without one). */
  stopPushWatch: () => void;
}

const keptScaleEvents = 50;

/** `stop()` was called before `start()` finished. */
export class StoppedWhileStartingError extends Error {
  override name = 'StoppedWhileStartingError';
  constructor() {
    super('stopped while starting');
  }
}

/**
 * A directory for this run's bundles under node_modules/.cache/qfn-local, after removing the ones
 * runners that were killed left behind (their pid is in the name).
 */
function bundleDirectory(): string {
  const cache = join(repoRoot, 'node_modules', '.cache', 'qfn-local');
  mkdirSync(cache, { recursive: true });
  for (const entry of readdirSync(cache)) {
    const pid = Number(/^bundles-(\d+)-/.exec(entry)?.[1]);
    if (pid && pid !== process.pid && !isProcessAlive(pid)) rmSync(join(cache, entry), { recursive: true, force: true });
  }
  return mkdtempSync(join(cache, `bundles-${process.pid}-`));
}

/** Fails fast, naming the setting, instead of a replica crash-looping on EADDRINUSE. */
async function assertPortFree(port: number, setting: string): Promise<void> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
  } catch (error) {
    throw new Error(`port ${port} is not available (${(error as NodeJS.ErrnoException).code}): choose another with ${setting}`, { cause: error });
  }
  await new Promise((resolve) => server.close(resolve));
}

/** A declaration's scaling policy with the local overrides applied (`*` first, then the function's own), checked like a declaration. */
export function localScalingPolicy(declaration: FunctionDeclaration, overrides: ScalingOverrides | undefined): ScalingPolicy {
  const name = declaration.name;
  if (!overrides?.['*'] && !overrides?.[name]) return declaration.scaling;
  const merged = [overrides['*'], overrides[name]].reduce<ScalingOptions>(
    (scaling, override) => ({
      ...scaling,
      ...override,
      rabbitmq: { ...scaling.rabbitmq, ...override?.rabbitmq },
      sqs: { ...scaling.sqs, ...override?.sqs },
      behavior: { ...scaling.behavior, ...override?.behavior },
    }),
    declaration.scaling,
  );
  return defineFunction({ ...declaration, scaling: merged }).scaling;
}

/**
 * What the local autoscaler follows for a function: the ScaledObject `npm run generate` writes from
 * its (locally overridden) declaration, read back as KEDA reads it, so keda/, the chart and the runner
 * cannot drift apart.
 */
export function localScaledObject(
  declaration: FunctionDeclaration,
  scaling: ScalingPolicy,
  broker: BrokerKind,
  queuePrefix: string,
  pushScalerAddress = `127.0.0.1:${localConfig.shape.LOCAL_PUSH_SCALER_PORT.parse(undefined)}`,
): LocalScaledObject {
  const manifests = kedaManifests({ ...declaration, scaling }, broker, { queuePrefix, secretName: 'local', pushScalerAddress });
  return readScaledObject(manifests.find((m) => m.kind === 'ScaledObject') as Parameters<typeof readScaledObject>[0]);
}

/**
 * The whole app on one machine: broker and database (embedded unless configured), migrations, the
 * publish function, and every consumer function as real processes scaled by KEDA's and the HPA's rules.
 *
 * @example
 * const runner = new LocalRunner({ config: loadConfig(localConfig) });
 * runner.on('decision', (d) => d.from !== d.to && console.log(d.reason));
 * await runner.start();
 * // …
 * await runner.stop();
 */
export class LocalRunner extends EventEmitter<LocalRunnerEvents> {
  readonly #functions = new Map<string, RunningFunction>();
  readonly #scaleEvents: ScaleDecision[] = [];
  readonly #startedAt = new Date();
  #infrastructure: Infrastructure | undefined;
  #broker: BrokerWithAdmin | undefined;
  #scalers: QueueScalers | undefined;
  #database: DatabaseHandle | undefined;
  #sampler: MetricsSampler | undefined;
  #statusServer: StatusServer | undefined;
  #publish: ReplicaSet | undefined;
  #bundleDir: string | undefined;
  #stopping: Promise<void> | undefined;
  #adminTokens: string[] = [];
  #tokenGenerated = false;
  #adminApp: ReturnType<typeof adminRoutes> | undefined;
  /** Replica sets a rollout is draining. */
  readonly #draining = new Set<ReplicaSet>();
  #publishEnv: NodeJS.ProcessEnv | undefined;
  /** Drain time of the publish function's replicas (its declaration's shutdownGracePeriodSeconds). */
  #publishGraceSeconds = 10;
  #publishEntryFile: string | undefined;
  #consoleRecorder: { stop(): Promise<void> } | undefined;

  constructor(private readonly options: LocalRunnerOptions) {
    super();
  }

  get publishUrl(): string | null {
    return this.#publish ? `http://127.0.0.1:${this.options.config.PORT}` : null;
  }

  /** The entry point the publish function runs from (watch mode rebuilds it); undefined when it does not run. */
  get publishEntryFile(): string | undefined {
    return this.#publishEntryFile;
  }

  get statusUrl(): string | null {
    return this.#statusServer ? `http://127.0.0.1:${this.#statusServer.port}/_local/status` : null;
  }

  /** The web console, with the admin token in the fragment (never sent to the server, dropped from the address bar). */
  get consoleUrl(): string | null {
    return this.#statusServer ? `http://127.0.0.1:${this.#statusServer.port}/console/#token=${encodeURIComponent(this.#adminTokens[0] ?? '')}` : null;
  }

  /** The admin token of the console and the dead-letter API (made for this run unless ADMIN_API_TOKEN is set). */
  get adminToken(): string | undefined {
    return this.#adminTokens[0];
  }

  /** Broker and database settings every process gets (DATABASE_URL of the embedded database, …); empty before start. */
  get env(): Readonly<Record<string, string>> {
    return { ...this.#infrastructure?.env };
  }

  /** This run's bundle directory (watch mode bundles changed code under it); undefined before start. */
  get bundleDirectory(): string | undefined {
    return this.#bundleDir;
  }

  /** The functions running, by name. */
  get functionNames(): string[] {
    return [...this.#functions.keys()];
  }

  /**
   * Rolls a function onto new code, as a Deployment rollout: replicas of the new launcher start at the
   * current count, the old ones drain (SIGTERM, grace period). `publish` is replaced (stopped first: it holds its port).
   */
  async rollout(name: string, launcher: Launcher): Promise<void> {
    if (this.#stopping) return;
    if (name === 'publish') {
      const old = this.#publish;
      if (!old) return;
      const desired = old.desired;
      this.#draining.add(old);
      await old.stop();
      this.#draining.delete(old);
      if (this.#stopping) return;
      this.#publish = this.#replicaSet('publish', launcher, this.#publishEnv!, this.#publishGraceSeconds);
      this.#publish.scale(desired);
      return;
    }
    const fn = this.#functions.get(name);
    if (!fn) throw new Error(`no function ${name} is running`);
    const old = fn.replicas;
    fn.replicas = this.#replicaSet(name, launcher, fn.env, fn.pkg.declaration.shutdownGracePeriodSeconds);
    fn.replicas.scale(old.desired);
    this.#draining.add(old);
    await old.stop();
    this.#draining.delete(old);
  }

  /** Re-derives a function's scaling from a changed declaration; its replicas and scaling history are kept. */
  rescale(declaration: FunctionDeclaration): ScalingPolicy {
    const fn = this.#functions.get(declaration.name);
    if (!fn || !this.#infrastructure || !this.#scalers) throw new Error(`no function ${declaration.name} is running`);
    const { config } = this.options;
    const { policy, triggers } = localScaledObject(
      declaration,
      localScalingPolicy(declaration, config.LOCAL_SCALING),
      this.#infrastructure.config.BROKER,
      config.QUEUE_PREFIX,
      this.#pushScalerAddress,
    );
    fn.scaling.policy = policy;
    fn.scaling.read = this.#scalers.reader(triggers, declaration.name);
    fn.stopPushWatch();
    fn.stopPushWatch = this.#watchPush(declaration.name, triggers, fn.autoscaler);
    fn.policy = policy;
    fn.pkg = { ...fn.pkg, declaration };
    return policy;
  }

  /** The replicas of a function (tests stop them mid-stream through it). */
  replicaSet(name: string): ReplicaSet | undefined {
    return name === 'publish' ? this.#publish : this.#functions.get(name)?.replicas;
  }

  async start(): Promise<void> {
    try {
      await this.#start();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async #start(): Promise<void> {
    const { config } = this.options;
    await assertPortFree(config.PORT, 'PORT (--port)');
    if (config.LOCAL_STATUS_PORT !== 0) await assertPortFree(config.LOCAL_STATUS_PORT, 'LOCAL_STATUS_PORT (--status-port)');
    const functions = await this.#selectFunctions();
    const policies = new Map(functions.map((fn) => [fn.declaration.name, localScalingPolicy(fn.declaration, config.LOCAL_SCALING)]));
    const hub = await this.#startConsole(functions, policies);

    const publishFunction = await this.#selectHttpFunction();
    const poolOverride = Number(process.env['DATABASE_POOL_SIZE']) || undefined;
    const publishPool = poolOverride ?? publishFunction?.poolSize ?? 5;
    const functionPools = functions.reduce(
      (sum, fn) => sum + policies.get(fn.declaration.name)!.maxReplicaCount * (poolOverride ?? fn.declaration.poolSize),
      0,
    );
    // Every pool at its largest, plus the runner's own connection and the migrator's.
    const maxConnections = functionPools + publishPool + 2;

    this.emit('notice', 'starting the broker and the database');
    this.#infrastructure = await startInfrastructure(config, { maxConnections });
    this.#throwIfStopping();
    const { description, env: infraEnv } = this.#infrastructure;
    this.emit('notice', `broker: ${description.broker.kind}${description.broker.embedded ? ' (embedded emulator)' : ''} at ${description.broker.endpoint}`);
    this.emit(
      'notice',
      `database: ${description.database.embedded ? `PGlite (embedded, ${description.database.dataDir ? `data in ${description.database.dataDir}` : 'in memory'}, ${maxConnections} connections)` : 'Postgres'} at ${description.database.url}`,
    );

    const migrationStarted = performance.now();
    await migrateDatabase({
      url: infraEnv['DATABASE_URL']!,
      schema: config.DATABASE_SCHEMA,
      migrationsFolder: join(repoRoot, 'migrations', 'sql'),
      waitTimeoutMs: 30_000,
    });
    this.emit('notice', `migrations applied (${Math.round(performance.now() - migrationStarted)} ms)`);
    this.#throwIfStopping();

    this.#broker = await createBroker(this.#infrastructure.config, `${config.QUEUE_PREFIX}-local-runner`);
    await this.#broker.connect();
    for (const fn of functions) await this.#broker.provision(queueSpecOf(fn.declaration));
    this.#adminApp = adminRoutes({ queueAdmin: this.#broker, queues: functions.map((fn) => queueSpecOf(fn.declaration)), tokens: this.#adminTokens });
    this.emit('notice', `queues provisioned for ${functions.map((fn) => fn.declaration.name).join(', ') || 'no functions'}`);

    const buildStarted = performance.now();
    this.#bundleDir = bundleDirectory();
    const launchers = await prepareLaunchers(
      config.LOCAL_RUNTIME,
      [
        ...functions.map((fn) => ({ name: fn.declaration.name, entryFile: fn.entryFile })),
        ...(publishFunction ? [{ name: 'publish', entryFile: publishFunction.entryFile }] : []),
      ],
      { outDir: this.#bundleDir, cwd: repoRoot },
    );
    if (config.LOCAL_RUNTIME === 'bundle') this.emit('notice', `functions bundled (${Math.round(performance.now() - buildStarted)} ms)`);
    this.#throwIfStopping();

    const baseEnv = { ...process.env, ...infraEnv, ...(this.#tokenGenerated ? { ADMIN_API_TOKEN: this.#adminTokens[0]! } : {}) };
    const publishLauncher = launchers.get('publish');
    if (publishLauncher) {
      // The push scaler is served only when some function's ScaledObject has an external-push trigger, as the chart does.
      const push = [...policies.values()].some((policy) => policy.pushActivation) ? { PUSH_SCALER_PORT: String(config.LOCAL_PUSH_SCALER_PORT) } : {};
      this.#publishGraceSeconds = publishFunction!.graceSeconds;
      this.#publishEntryFile = publishFunction!.entryFile;
      this.#publishEnv = { ...baseEnv, PORT: String(config.PORT), QFN_LOCAL_GRACE_SECONDS: String(this.#publishGraceSeconds), ...push };
      this.#publish = this.#replicaSet('publish', publishLauncher, this.#publishEnv, this.#publishGraceSeconds);
      this.#publish.scale(1);
    }

    const hpa: HpaSettings = { ...hpaDefaults, syncPeriodSeconds: config.LOCAL_HPA_SYNC_PERIOD_SECONDS };
    const scalers = (this.#scalers = createQueueScalers(this.#infrastructure.config, { ...process.env, ...infraEnv }));
    for (const fn of functions) {
      const name = fn.declaration.name;
      const spec = queueSpecOf(fn.declaration);
      const { policy, triggers } = localScaledObject(
        fn.declaration,
        policies.get(name)!,
        this.#infrastructure.config.BROKER,
        config.QUEUE_PREFIX,
        this.#pushScalerAddress,
      );
      const grace = fn.declaration.shutdownGracePeriodSeconds;
      const env = { ...baseEnv, ...fn.env, HEALTH_PORT: '0', QFN_LOCAL_GRACE_SECONDS: String(grace) };
      const replicas = this.#replicaSet(name, launchers.get(name)!, env, grace);
      const scaling: FunctionAutoscalerOptions = {
        name,
        policy,
        hpa,
        read: scalers.reader(triggers, name),
        // Through the map: a rollout (watch mode) swaps the replica set.
        scale: (count) => this.#functions.get(name)?.replicas.scale(count),
      };
      const autoscaler = new FunctionAutoscaler(scaling);
      autoscaler.on('decision', (decision) => {
        if (decision.from !== decision.to) {
          this.#scaleEvents.push(decision);
          if (this.#scaleEvents.length > keptScaleEvents) this.#scaleEvents.shift();
        }
        this.emit('decision', decision);
      });
      this.#functions.set(name, { pkg: fn, spec, policy, replicas, autoscaler, env, scaling, stopPushWatch: this.#watchPush(name, triggers, autoscaler) });
    }

    this.#database = createDatabase({ url: infraEnv['DATABASE_URL']!, schema: config.DATABASE_SCHEMA, poolSize: 1, applicationName: 'local-runner' });
    this.#sampler = new MetricsSampler({
      functions: [...this.#functions.values()].map((fn) => fn.spec),
      broker: this.#broker,
      db: this.#database.db,
      hasReplicas: (name) => (this.#functions.get(name)?.replicas.status().replicas.length ?? 0) > 0,
    });
    await this.#sampler.start();
    this.#consoleRecorder = recordLocalConsole(this, hub, { inbox: new InboxProbe(this.#database.db) });
    for (const fn of this.#functions.values()) fn.autoscaler.start();
    this.emit('notice', `status at ${this.statusUrl}`);
  }

  get #pushScalerAddress(): string {
    return `127.0.0.1:${this.options.config.LOCAL_PUSH_SCALER_PORT}`;
  }

  /** KEDA's external-push path: a `true` on StreamIsActive makes the function's autoscaler look at once. */
  #watchPush(name: string, triggers: LocalScaledObject['triggers'], autoscaler: FunctionAutoscaler): () => void {
    return this.#scalers!.watchPush(
      triggers,
      name,
      () => autoscaler.wake(),
      (message) => this.emit('notice', `${name}: ${message} (retrying)`),
    );
  }

  /** The status server and the console, first, so the console's link is among the first lines (it shows the rest starting). */
  async #startConsole(functions: LocalFunction[], policies: Map<string, ScalingPolicy>): Promise<ConsoleHub> {
    const { config } = this.options;
    this.#adminTokens = this.options.adminToken ? [this.options.adminToken] : loadCredentials(process.env).adminTokens;
    if (this.#adminTokens.length === 0) {
      this.#adminTokens = [randomBytes(24).toString('hex')];
      this.#tokenGenerated = true;
    }
    const broker = config.AMQP_URL || config.BROKER === 'rabbitmq' ? 'RabbitMQ' : config.SQS_ENDPOINT ? 'SQS' : 'embedded SQS emulator';
    const hub = new ConsoleHub({
      installation: { name: config.QUEUE_PREFIX, mode: 'local', detail: `${broker} · ${config.DATABASE_URL ? 'Postgres' : 'PGlite'}` },
    });
    hub.setFunctions(functions.map((fn) => functionInfoOf({ name: fn.declaration.name, scaling: policies.get(fn.declaration.name)! })));
    this.#statusServer = await startStatusServer(config.LOCAL_STATUS_PORT, () => this.status(), {
      hub,
      tokens: this.#adminTokens,
      admin: () => this.#adminApp,
      publishUrl: () => this.publishUrl,
    });
    this.emit('notice', `console: ${this.consoleUrl}${this.#tokenGenerated ? ' (admin token made for this run; set ADMIN_API_TOKEN to choose one)' : ''}`);
    return hub;
  }

  /** Stop was asked for while starting (Ctrl+C during startup): start no more processes. */
  #throwIfStopping(): void {
    if (this.#stopping) throw new StoppedWhileStartingError();
  }

  /**
   * The HTTP function served on PORT (the publish function): its entry point, and its pool and drain time
   * from its declaration (defineHttpFunction). None with `publishEntry: false` or when its entry is missing.
   */
  async #selectHttpFunction(): Promise<{ entryFile: string; poolSize: number; graceSeconds: number } | undefined> {
    if (this.options.publishEntry === false) return undefined;
    const [declared] = await loadHttpFunctions();
    const entryFile = this.options.publishEntry ?? declared?.entryFile;
    if (!entryFile || !existsSync(entryFile)) return undefined;
    return { entryFile, poolSize: declared?.declaration.poolSize ?? 5, graceSeconds: declared?.declaration.shutdownGracePeriodSeconds ?? 10 };
  }

  async #selectFunctions(): Promise<LocalFunction[]> {
    const all = this.options.functions ?? (await loadFunctions());
    const wanted = this.options.config.LOCAL_FUNCTIONS;
    if (!wanted) return all;
    const unknown = wanted.filter((name) => !all.some((fn) => fn.declaration.name === name));
    if (unknown.length > 0) throw new Error(`LOCAL_FUNCTIONS names unknown functions: ${unknown.join(', ')}`);
    return all.filter((fn) => wanted.includes(fn.declaration.name));
  }

  #replicaSet(name: string, launcher: Launcher, env: NodeJS.ProcessEnv, graceSeconds: number): ReplicaSet {
    const set = new ReplicaSet({
      name,
      launch: launcher(env),
      shutdownGracePeriodSeconds: graceSeconds,
      ...(this.options.backoff ? { backoff: this.options.backoff } : {}),
    });
    set.on('replica_started', (event) => this.emit('replica', { type: 'started', ...event }));
    set.on('replica_ready', (event) => this.emit('replica', { type: 'ready', ...event }));
    set.on('replica_stopped', (event) => this.emit('replica', { type: 'stopped', ...event }));
    set.on('replica_crashed', (event) => this.emit('replica', { type: 'crashed', ...event }));
    set.on('output', (event) => this.emit('output', event));
    return set;
  }

  status(): LocalStatus {
    const functions: FunctionStatus[] = [...this.#functions.values()].map((fn) => {
      const metrics = this.#sampler?.metrics(fn.spec.name);
      const depth = metrics?.depth;
      return {
        name: fn.spec.name,
        scaling: fn.policy,
        depth: depth ? { ...depth, scalerValue: depth.ready + depth.inFlight } : null,
        // The autoscaler's own reads are strict (a missing count is an error); the sampler's may not be.
        depthError: metrics?.depthError ?? (fn.autoscaler.lastDecision?.errors.join('; ') || null),
        replicas: fn.replicas.status(),
        inFlight: depth ? depth.inFlight : null,
        processed: metrics?.processed ?? 0,
        processedPerSecond: Math.round((metrics?.processedPerSecond ?? 0) * 10) / 10,
        lastScale: fn.autoscaler.lastChange ?? null,
        lastDecision: fn.autoscaler.lastDecision ?? null,
      };
    });
    return {
      startedAt: this.#startedAt.toISOString(),
      uptimeSeconds: Math.round((Date.now() - this.#startedAt.getTime()) / 1000),
      publishUrl: this.publishUrl,
      statusUrl: this.statusUrl,
      infrastructure: this.#infrastructure?.description ?? {
        broker: { kind: 'sqs', embedded: false, endpoint: '' },
        database: { embedded: false, url: '', dataDir: undefined },
      },
      publish: this.#publish?.status() ?? null,
      functions,
      outbox: this.#sampler?.outbox() ?? null,
      scaleEvents: [...this.#scaleEvents],
    };
  }

  /** Stops polling, drains every replica (SIGTERM, grace period), then the publish function and the infrastructure. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    for (const fn of this.#functions.values()) fn.stopPushWatch();
    await Promise.all([...this.#functions.values()].map((fn) => fn.autoscaler.stop()));
    await this.#consoleRecorder?.stop();
    await this.#sampler?.stop();
    await this.#statusServer?.close();
    if (this.#functions.size > 0) this.emit('notice', 'stopping function replicas (SIGTERM, waiting for the drain)');
    await Promise.all([...this.#functions.values()].map((fn) => fn.replicas.stop()).concat([...this.#draining].map((set) => set.stop())));
    await this.#publish?.stop();
    await this.#broker?.close().catch(() => {});
    await this.#scalers?.close().catch(() => {});
    await this.#database?.close().catch(() => {});
    if (this.#infrastructure) this.emit('notice', 'stopping the broker and the database');
    await this.#infrastructure?.stop();
    if (this.#bundleDir) rmSync(this.#bundleDir, { recursive: true, force: true });
  }

  /** SIGKILLs every process at once: the last resort when the runner itself is exiting abruptly. */
  kill(): void {
    for (const fn of this.#functions.values()) fn.replicas.kill();
    for (const set of this.#draining) set.kill();
    this.#publish?.kill();
  }
}
